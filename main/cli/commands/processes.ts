import { constants as osConstants } from 'node:os';
import { Option } from 'commander';
import type { WebSocketClient } from '../../../shared/client/index.js';
import {
  AgentProviderSchema,
  ApprovalPolicySchema,
  EXEC_MAX_INPUT_BYTES,
  EXEC_MAX_OUTPUT_BYTES,
  HabitatError,
  isHabitatError,
  SignalSchema,
  type AgentProvider,
  type ExecResult,
  type ApprovalPolicy,
  type LogEntry,
  type ProcessInfo,
  type ProcessState,
} from '../../../shared/protocol/index.js';
import { EXIT, intArg, parsePid, pidArg, type CliContext } from '../context.js';
import { formatDuration, table } from '../format.js';
import { parseGpus } from './gpus.js';
import { parseShare } from './shares.js';
import { parseScreen } from './vnc.js';

const LIVE: ProcessState[] = ['created', 'running', 'sleeping', 'stopped', 'zombie'];

interface SpawnFlags {
  name?: string;
  role?: string;
  goal?: string;
  parent?: string;
  sandbox: 'host' | 'docker';
  image?: string;
  engine?: string;
  memory?: string;
  cpus?: string;
  pids?: string;
  network?: boolean;
  gpus?: string;
  provider?: AgentProvider;
  model?: string;
  approval?: ApprovalPolicy;
  maxSteps?: string;
  checkpoints?: boolean | string;
  share: string[];
  graphical?: boolean | string;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker's size notation: 512m, 2g, 1048576. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!match) throw new HabitatError('E_INVALID', `not a size: ${text} (try 512m or 2g)`);
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
}

export function parseCount(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new HabitatError('E_INVALID', `${flag} must be a positive integer`);
  return value;
}

function parseNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new HabitatError('E_INVALID', `${flag} must be a positive number`);
  return value;
}

export function formatProcesses(processes: ProcessInfo[], now = Date.now()): string {
  return table(
    ['PID', 'PPID', 'NAME', 'STATE', 'PHASE', 'SANDBOX', 'OS PID / CONTAINER', 'AGE'],
    processes.map((p) => [
      String(p.pid),
      p.ppid === null ? '-' : String(p.ppid),
      p.name,
      p.state,
      p.phase,
      `${p.sandbox.kind}/${p.sandbox.isolation}${p.sandbox.network ? '+net' : ''}`,
      p.sandbox.containerId?.slice(0, 12) ?? (p.sandbox.osPid === null ? '-' : String(p.sandbox.osPid)),
      formatDuration(now - Date.parse(p.createdAt)),
    ]),
  );
}

function formatEntry(entry: LogEntry): string {
  const time = new Date(entry.at).toISOString().slice(11, 23);
  const payload = entry.payload === undefined ? '' : ` ${JSON.stringify(entry.payload)}`;
  return `${time} #${entry.seq} ${entry.type}${payload}`;
}

export function registerProcesses(ctx: CliContext): void {
  const { program, print, withClient, io, setExit } = ctx;

  program
    .command('ps')
    .description(
      'list agent processes: kernel PID, state, phase, sandbox and the backing OS process or container',
    )
    .option('-a, --all', 'include processes that have ended')
    .action(
      withClient(async (client, flags: { all?: boolean }) => {
        const { processes } = await client.call('process.list', flags.all ? {} : { states: LIVE });
        print(processes, () => formatProcesses(processes));
      }),
    );

  program
    .command('spawn')
    .description('start an agent process with its home folder, sandbox and shell; with --goal it works on it')
    .option('--name <name>', 'a name for the agent')
    .option('--role <role>', 'its role')
    .option('--goal <goal>', 'its goal: it runs its think-act-observe loop on it, then exits')
    .addOption(
      new Option(
        '--provider <provider>',
        'the model behind the goal (default heuristic, the offline planner)',
      ).choices(AgentProviderSchema.options),
    )
    .option('--model <model>', "the provider's model (its default otherwise)")
    .addOption(
      new Option('--approval <policy>', 'which actions wait for a person (default dangerous)').choices(
        ApprovalPolicySchema.options,
      ),
    )
    .option('--max-steps <n>', 'model turns before the run gives up (default 50)')
    .option(
      '--checkpoints [keep]',
      'a checkpoint after every step, for snapshot rollback; the last 20 kept, or the number given',
    )
    .option('--parent <pid>', 'parent kernel PID')
    .addOption(new Option('--sandbox <kind>', 'host or docker').choices(['host', 'docker']).default('host'))
    .option('--image <image>', 'container image (docker; default habitat/sandbox:base)')
    .option(
      '--engine <name>',
      "Docker engine to run on (docker; default local, others from serve's --docker-engine)",
    )
    .option('--memory <size>', 'container memory limit, e.g. 512m or 2g (docker)')
    .option('--cpus <n>', 'container CPU limit, e.g. 1 or 0.5 (docker)')
    .option('--pids <n>', 'container process limit (docker)')
    .option('--network', 'give it network access (off by default)')
    .option('--gpus <gpus>', 'GPUs it holds: a count (2), ids (0,1 or GPU-uuid), or device=1 for GPU 1 alone')
    .option(
      '--share <name[:mode]>',
      'mount a shared workspace at ~/shared/<name>, rw (default) or ro; repeatable',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option(
      '--graphical [WxH]',
      'a desktop (docker; image habitat/sandbox:desktop): 1280x800 or the size given',
    )
    .action(
      withClient(async (client, flags: SpawnFlags) => {
        const docker = flags.sandbox === 'docker';
        if (!docker && (flags.image || flags.engine || flags.memory || flags.cpus || flags.pids)) {
          throw new HabitatError(
            'E_INVALID',
            '--image, --engine, --memory, --cpus and --pids apply to --sandbox docker',
          );
        }
        const info = await client.call('process.spawn', {
          name: flags.name,
          role: flags.role,
          goal: flags.goal,
          parent: flags.parent === undefined ? undefined : parsePid(flags.parent),
          sandbox: flags.sandbox,
          image: flags.image,
          engine: flags.engine,
          memoryBytes: flags.memory === undefined ? undefined : parseSize(flags.memory),
          cpus: flags.cpus === undefined ? undefined : parseNumber(flags.cpus, '--cpus'),
          pids: flags.pids === undefined ? undefined : parseCount(flags.pids, '--pids'),
          network: flags.network ?? false,
          gpus: flags.gpus === undefined ? undefined : parseGpus(flags.gpus),
          provider: flags.provider,
          model: flags.model,
          approvalPolicy: flags.approval,
          maxSteps: flags.maxSteps === undefined ? undefined : parseCount(flags.maxSteps, '--max-steps'),
          checkpoints:
            typeof flags.checkpoints === 'string'
              ? parseCount(flags.checkpoints, '--checkpoints')
              : flags.checkpoints,
          workspaces: flags.share.length ? flags.share.map(parseShare) : undefined,
          graphical: typeof flags.graphical === 'string' ? parseScreen(flags.graphical) : flags.graphical,
        });
        print(info, () => String(info.pid));
      }),
    );

  program
    .command('kill')
    .description('send a signal to a process: STOP, CONT, TERM (default), KILL, INT, WINCH')
    .option('-s, --signal <signal>', 'signal name, with or without SIG', 'TERM')
    .argument('<pid>', 'kernel PID', pidArg)
    .action(
      withClient(async (client, pid: number, flags: { signal: string }) => {
        const name = flags.signal.toUpperCase().replace(/^SIG/, '');
        const signal = SignalSchema.safeParse(name);
        if (!signal.success) throw new HabitatError('E_INVALID', `unknown signal ${flags.signal}`);
        const info = await client.call('process.signal', { pid, signal: signal.data });
        print(info, () => `${info.pid} ${info.state}`);
      }),
    );

  program
    .command('exec')
    .description(
      "run a command in the agent's sandbox; prints its output byte for byte and exits with its code " +
        '(124 timed out, 127 command not found; 1 when its output was cut at --max-output)',
    )
    .argument('<pid>', 'kernel PID', pidArg)
    .argument('<command...>', 'the command and its arguments (put -- before them)')
    .option(
      '--timeout <ms>',
      'kill it after this many milliseconds (exit 124)',
      intArg('--timeout', 1),
      60000,
    )
    .option('--max-output <size>', 'bytes kept of its stdout and of its stderr, up to 8m', '1m')
    // opt-in, as docker exec -i: read by default, stdin would hang on a pipe left open and eat a read loop's input
    .option('-i, --stdin', 'pass standard input to it (up to 1 MiB), read to its end first')
    .action(
      withClient(
        async (
          client,
          pid: number,
          argv: string[],
          flags: { timeout: number; maxOutput: string; stdin?: boolean },
        ) => {
          const maxOutputBytes = parseSize(flags.maxOutput);
          if (maxOutputBytes < 1 || maxOutputBytes > EXEC_MAX_OUTPUT_BYTES)
            throw new HabitatError(
              'E_INVALID',
              `--max-output must be between 1 and 8m, not ${flags.maxOutput}`,
            );
          const timeoutMs = flags.timeout;
          // read only once every argument is known good: a pipe that stays open must not hold back a usage error
          const input = flags.stdin ? await readInput() : undefined;
          const result = await client.call('process.exec', {
            pid,
            argv,
            encoding: 'base64',
            ...(input?.length ? { input: input.toString('base64') } : {}),
            timeoutMs,
            maxOutputBytes,
          });
          const stdout = Buffer.from(result.stdout, 'base64');
          const stderr = Buffer.from(result.stderr, 'base64');
          const code = execExitCode(result);
          if (ctx.globals().json) {
            // the shape it always had: the output as text
            io.out(
              JSON.stringify({ ...result, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') }),
            );
          } else {
            io.write(stdout);
            if (stderr.length) process.stderr.write(stderr);
            if (result.truncated) {
              io.err(
                `habitat: E_LIMIT: output cut at ${maxOutputBytes} bytes (--max-output, up to 8m)` +
                  (code === EXIT.error && result.exitCode === 0 ? '; the command itself exited 0' : ''),
              );
            }
            if (result.timedOut) io.err(`habitat: E_TIMEOUT: killed after ${timeoutMs} ms`);
          }
          setExit(code);
        },
      ),
    );

  program
    .command('logs')
    .description("an agent's log: its lifecycle, signals, commands and the events of its run")
    .option('-f, --follow', 'keep printing new entries until the process ends')
    .option('-n, --lines <n>', 'how many of the latest entries', intArg('--lines', 1), 100)
    .argument('<pid>', 'kernel PID', pidArg)
    .action(
      withClient(async (client, pid: number, flags: { follow?: boolean; lines: number }) => {
        const json = ctx.globals().json;
        const show = (entry: LogEntry): void => {
          if (entry.seq <= last) return;
          io.out(json ? JSON.stringify(entry) : formatEntry(entry));
          last = entry.seq;
          if (ENDED_ENTRIES.has(entry.type)) ended = true;
        };
        let last = -1;
        let ended = false;
        const live: LogEntry[] = [];
        const unsubscribe = flags.follow
          ? [
              client.subscribe(`process.log.${pid}`, (payload) => live.push(payload as LogEntry)),
              // the end also shows in the process's state, should a slow reader miss the log entry
              client.subscribe('process.changed', (payload) => {
                const info = payload as ProcessInfo;
                if (info.pid === pid && ENDED_STATES.has(info.state)) ended = true;
              }),
            ]
          : undefined;
        try {
          const { entries } = await client.call('process.logs', { pid, limit: flags.lines });
          for (const entry of entries) show(entry);
          if (!unsubscribe) return;
          try {
            // an agent that has already ended: its log is all there is
            if (ENDED_STATES.has((await client.call('process.get', { pid })).state)) ended = true;
          } catch (error) {
            if (!isHabitatError(error) || error.code !== 'E_UNAVAILABLE') throw error;
            ctx.reportError(error, EXIT.unavailable); // the host went away: as watch, 3
            return;
          }
          setExit(
            await followLog(
              client,
              pid,
              live,
              show,
              () => ended,
              () => last,
            ),
          );
        } finally {
          for (const off of unsubscribe ?? []) off();
        }
      }),
    );
}

/**
 * exec's exit status: 124 when it timed out (as coreutils timeout, whatever the sandbox reports for the kill),
 * 1 when its output was cut and it had exited 0 (a script must not take a partial output for the whole), else its
 * own code, 128 + the signal that ended it, or 127 for a command that could not be found.
 */
export function execExitCode(result: ExecResult): number {
  if (result.timedOut) return 124;
  const own =
    result.exitCode ??
    (result.signal ? 128 + (osConstants.signals[result.signal as NodeJS.Signals] ?? 0) : 128);
  if (result.truncated && own === 0) return EXIT.error;
  return own;
}

/** Standard input, whole, bounded by what process.exec takes (E_LIMIT beyond, before anything runs). */
async function readInput(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > EXEC_MAX_INPUT_BYTES) {
      process.stdin.destroy();
      throw new HabitatError(
        'E_LIMIT',
        `standard input is over ${EXEC_MAX_INPUT_BYTES} bytes, what exec can pass to a command ` +
          '(copy it in with habitat fs put)',
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const ENDED_STATES: ReadonlySet<ProcessState> = new Set(['zombie', 'dead']);
const ENDED_ENTRIES: ReadonlySet<string> = new Set(['process.exited', 'process.reaped']);
const LOG_PAGE = 500;

/**
 * `logs -f` after the history: prints entries as they come (those that arrived while the history loaded once, in
 * order) until the process has ended (0, once the rest of its log is printed), SIGINT or SIGTERM (0), or the host is
 * lost (3, like watch).
 */
async function followLog(
  client: WebSocketClient,
  pid: number,
  live: LogEntry[],
  show: (entry: LogEntry) => void,
  ended: () => boolean,
  last: () => number,
): Promise<number> {
  // whatever the log holds past what was printed (entries a slow reader may have been dropped included)
  const catchUp = async (): Promise<void> => {
    for (;;) {
      const { entries } = await client.call('process.logs', { pid, after: last(), limit: LOG_PAGE });
      for (const entry of entries) show(entry);
      if (entries.length < LOG_PAGE) return;
    }
  };
  return await new Promise<number>((resolve) => {
    let done = false;
    let busy = false;
    const stop = (code: number): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      offConnection();
      resolve(code);
    };
    const interrupt = (): void => {
      for (const entry of live.splice(0).sort((a, b) => a.seq - b.seq)) show(entry);
      stop(EXIT.ok);
    };
    const tick = async (): Promise<void> => {
      if (busy || done) return;
      busy = true;
      try {
        for (const entry of live.splice(0).sort((a, b) => a.seq - b.seq)) show(entry);
        if (!ended()) return;
        await catchUp();
        stop(EXIT.ok);
      } catch (error) {
        if (!done)
          stop(isHabitatError(error) && error.code !== 'E_UNAVAILABLE' ? EXIT.error : EXIT.unavailable);
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), 50);
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    const offConnection = client.onConnectionChange((state) => {
      if (state === 'closed') stop(EXIT.unavailable);
    });
    void tick();
  });
}
