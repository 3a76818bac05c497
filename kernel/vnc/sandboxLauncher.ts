import { createInterface } from 'node:readline';
import type { DisplayLauncher, DisplayProcess, ProgramExit } from './launcher.js';

/** What the launcher needs of a sandbox (an AgentSandbox of a container has it): programs streamed, commands run. */
export interface ProgramSandbox {
  spawn(
    argv: string[],
    env: Record<string, string>,
  ): {
    readonly stdout: NodeJS.ReadableStream;
    readonly stderr: NodeJS.ReadableStream;
    readonly exited: Promise<number | null>;
    readonly ready: Promise<void>;
    close(): void;
  };
  exec(
    argv: string[],
    options: { timeoutMs: number; maxOutputBytes: number },
  ): Promise<{ exitCode: number | null; stdout: string }>;
}

/** Every display program started in a sandbox carries this variable: a later kernel finds leftovers by it. */
export const DISPLAY_PROGRAM_VARIABLE = 'HABITAT_DISPLAY_PROGRAM';

/**
 * Prints the shell's pid, then becomes the program (exec keeps the pid). `env -u HABITAT_TAG` takes it out of the
 * signals the kernel sends to "every program of the agent" (INT, WINCH, TERM's first round): the display is the
 * kernel's, supervised and stopped on its own; the container's end still takes it.
 */
const WRAPPER = `echo "$$"; exec env -u HABITAT_TAG "$@"`;

/**
 * Ends every display program a previous kernel left running in the sandbox (found by the variable in its
 * environment) and the X server's stale lock, before a display starts again on the same number.
 */
const CLEANUP = `
for d in /proc/[0-9]*; do
  p=\${d#/proc/}
  [ "$p" = "$$" ] && continue
  grep -qxz '${DISPLAY_PROGRAM_VARIABLE}=1' "$d/environ" 2>/dev/null && kill -9 "$p" 2>/dev/null
done
rm -f "/tmp/.X$1-lock" "/tmp/.X11-unix/X$1"
true`;

const COMMAND_TIMEOUT_MS = 15_000;
/** After a SIGKILL, how long a program's connection may stay open before it is cut. */
const LET_GO_MS = 1_500;

/** A launcher whose programs' connections can all be cut at once (the display stopped). */
export interface SandboxLauncher extends DisplayLauncher {
  /** Cuts the connection to every program it started that has not ended (they are not signalled). */
  closeAll(): void;
}
const TAIL_BYTES = 8 * 1024;

/**
 * Runs a display's programs inside a sandbox (an agent's container) through its exec API: output streamed (Xvfb's
 * -displayfd answer arrives on stdout), each killed by its pid inside the sandbox, `has` answered by `command -v`.
 */
export function sandboxLauncher(sandbox: ProgramSandbox): SandboxLauncher {
  const run = (argv: string[]) =>
    sandbox.exec(argv, { timeoutMs: COMMAND_TIMEOUT_MS, maxOutputBytes: 4096 }).catch(() => undefined);
  const running = new Set<{ close(): void }>();
  return {
    closeAll() {
      for (const program of running) program.close();
      running.clear();
    },
    launch(spec) {
      const env = { ...spec.env, [DISPLAY_PROGRAM_VARIABLE]: '1' };
      const program = sandbox.spawn(['sh', '-c', WRAPPER, 'sh', spec.command, ...spec.args], env);
      running.add(program);
      let pid: number | undefined;
      let pendingSignal: NodeJS.Signals | undefined;
      let ended = false;
      let tail = '';
      const listeners: ((line: string) => void)[] = [];
      program.stderr.setEncoding('utf8');
      program.stderr.on('data', (text: string) => {
        tail = (tail + text).slice(-TAIL_BYTES);
      });
      const send = (signal: NodeJS.Signals): void => {
        if (pid !== undefined) void run(['kill', '-s', signal.replace(/^SIG/, ''), String(pid)]);
      };
      const reader = createInterface({ input: program.stdout });
      // Its last lines are delivered before its end is: the output can trail the exit a little.
      const drained = new Promise<void>((resolve) => {
        reader.once('close', resolve);
        void program.exited.then(() => setTimeout(resolve, 2_000).unref());
      });
      reader.on('line', (line) => {
        if (pid === undefined) {
          pid = Number(line.trim()) || undefined;
          if (pendingSignal) send(pendingSignal);
          return;
        }
        for (const listener of listeners) listener(line);
      });
      const exited = program.ready.then(
        () =>
          Promise.all([program.exited, drained]).then(([code]): ProgramExit => {
            ended = true;
            running.delete(program);
            // The connection to the engine can end while the program runs on: it must not linger unsupervised.
            if (code === null) send('SIGKILL');
            return code !== null && code > 128
              ? { code, signal: signalName(code - 128) }
              : { code, signal: null };
          }),
        (error: unknown): ProgramExit => {
          ended = true;
          running.delete(program);
          return { code: null, signal: null, error: error instanceof Error ? error.message : String(error) };
        },
      );
      const proc: DisplayProcess & { sandboxPid(): number | undefined } = {
        pid: undefined, // it lives in the sandbox's PID namespace: the kernel cannot signal it directly
        exited,
        onLine: (listener) => void listeners.push(listener),
        errorTail: () => tail,
        kill: (signal = 'SIGTERM') => {
          if (ended) return;
          if (pid === undefined) pendingSignal = signal;
          else send(signal);
          if (signal === 'SIGKILL') setTimeout(() => !ended && program.close(), LET_GO_MS).unref();
        },
        sandboxPid: () => pid,
      };
      return proc;
    },
    async has(command) {
      const result = await run(['sh', '-c', 'command -v "$1" >/dev/null', 'sh', command]);
      return result?.exitCode === 0;
    },
  };
}

/** Ends display programs a previous kernel left in the sandbox; display is the X display number to free. */
export async function cleanupDisplayPrograms(sandbox: ProgramSandbox, display: number): Promise<void> {
  await sandbox
    .exec(['sh', '-c', CLEANUP, 'sh', String(display)], {
      timeoutMs: COMMAND_TIMEOUT_MS,
      maxOutputBytes: 4096,
    })
    .catch(() => undefined);
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  6: 'SIGABRT',
  9: 'SIGKILL',
  15: 'SIGTERM',
};

function signalName(n: number): string {
  return SIGNALS[n] ?? `signal ${n}`;
}
