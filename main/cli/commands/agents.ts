import type { WebSocketClient } from '../../../shared/client/index.js';
import {
  HabitatError,
  type AgentEvent,
  type EventPayload,
  type ApprovalRequest,
  type ProcessInfo,
  type ProcessState,
  type ProviderStatus,
  sameModelName,
} from '../../../shared/protocol/index.js';
import { eventFromLog, formatAgentEvent, formatApprovals } from '../agentFormat.js';
import { EXIT, parsePid, type CliContext, type CliIo } from '../context.js';
import { table } from '../format.js';

const ENDED: ReadonlySet<ProcessState> = new Set(['zombie', 'dead']);
const LOG_PAGE = 5000;

export function formatProviders(providers: ProviderStatus[]): string {
  return table(
    ['PROVIDER', 'READY', 'DEFAULT MODEL', 'DETAIL'],
    providers.map((p) => [
      p.name,
      p.ready ? 'yes' : 'no',
      p.defaultModel ?? '-',
      p.models.length > 0 ? `${p.detail} Models: ${p.models.join(', ')}.` : p.detail,
    ]),
  );
}

interface DecisionFlags {
  id?: string;
  reason?: string;
}

export function registerAgents(ctx: CliContext): void {
  const { program, print, withClient, io, globals, setExit } = ctx;

  const decide = (verb: 'approve' | 'deny') =>
    withClient(async (client, pidText: string, flags: DecisionFlags) => {
      const request = await client.call(verb === 'approve' ? 'agent.approve' : 'agent.deny', {
        pid: parsePid(pidText),
        id: flags.id,
        reason: flags.reason,
      });
      print(request, () => `${verb === 'approve' ? 'approved' : 'denied'}: ${describe(request)}`);
    });

  program
    .command('approve')
    .description("let an agent's action that waits for approval run")
    .argument('<pid>', 'kernel PID')
    .option('--id <id>', 'the request (default: the one the agent waits on)')
    .option('--reason <text>', 'a note the agent will read')
    .action(decide('approve'));

  program
    .command('deny')
    .description("refuse an agent's action that waits for approval: the agent sees the refusal")
    .argument('<pid>', 'kernel PID')
    .option('--id <id>', 'the request (default: the one the agent waits on)')
    .option('--reason <text>', 'why, for the agent')
    .action(decide('deny'));

  program
    .command('answer')
    .description('answer the question an agent asked a person (ask_human): it reads your text and goes on')
    .argument('<pid>', 'kernel PID')
    .argument('<text...>', 'the answer (words are joined with spaces)')
    .option('--id <id>', 'the question (default: the one the agent waits on)')
    .action(
      withClient(async (client, pidText: string, words: string[], flags: { id?: string }) => {
        const request = await client.call('agent.answer', {
          pid: parsePid(pidText),
          id: flags.id,
          text: words.join(' '),
        });
        print(request, () => `answered: ${request.question ?? request.tool} (process ${request.pid})`);
      }),
    );

  program
    .command('approvals')
    .description('list the actions and questions waiting for a person')
    .argument('[pid]', 'only this agent')
    .action(
      withClient(async (client, pidText?: string) => {
        const { approvals } = await client.call(
          'agent.approvals',
          pidText === undefined ? {} : { pid: parsePid(pidText) },
        );
        print(approvals, () => formatApprovals(approvals));
      }),
    );

  program
    .command('memory')
    .description("show an agent's memory (the notes in its system prompt), or replace it with --set")
    .argument('<pid>', 'kernel PID')
    .option('--set <notes>', 'the new notes')
    .action(
      withClient(async (client, pidText: string, flags: { set?: string }) => {
        const pid = parsePid(pidText);
        const { notes } =
          flags.set === undefined
            ? await client.call('agent.getMemory', { pid })
            : await client.call('agent.setMemory', { pid, notes: flags.set });
        print({ notes }, () => notes.trimEnd());
      }),
    );

  program
    .command('watch')
    .description("follow an agent's run (thoughts, tool calls, results, approvals) until it ends")
    .argument('<pid>', 'kernel PID')
    .action(
      withClient(async (client, pidText: string) => {
        setExit(await watch(client, parsePid(pidText), globals().json ?? false, io));
      }),
    );

  program
    .command('pull')
    .description(
      'pull a model onto the Ollama server agents use (its default model unless named), with progress',
    )
    .argument('[model]', 'the model, e.g. llama3.2 or qwen2.5:7b')
    .action(
      withClient(async (client, model: string | undefined) => {
        let last = '';
        // subscribed before the call, so the first lines are not missed
        const unsubscribe = client.subscribe('agent.pullProgress', (payload) => {
          const { model: name, status, percent } = payload as EventPayload<'agent.pullProgress'>;
          if (globals().json || (model !== undefined && !sameModelName(name, model))) return;
          // one line per step and per tenth of a download: a pull reports many times a second
          const line = percent === undefined ? status : `${status} ${Math.floor(percent / 10) * 10}%`;
          if (line !== last) io.out(line);
          last = line;
        });
        try {
          const result = await client.call('agent.pullModel', model ? { model } : {}, { timeoutMs: 0 });
          print(result, () => `pulled ${result.model}`);
        } finally {
          unsubscribe();
        }
      }),
    );

  program
    .command('providers')
    .description(
      'the model providers and whether each can drive an agent now (a key, a local server, its models)',
    )
    .option(
      '--ollama-host <url>',
      "set the Ollama server agents use from now on, kept in the data folder; 'default' goes back to OLLAMA_HOST, else http://127.0.0.1:11434",
    )
    .action(
      withClient(async (client, flags: { ollamaHost?: string }) => {
        const { providers } =
          flags.ollamaHost === undefined
            ? await client.call('agent.providers', {})
            : await client.call('agent.setProviderSettings', {
                ollamaHost: flags.ollamaHost === 'default' ? null : flags.ollamaHost,
              });
        print(providers, () => formatProviders(providers));
      }),
    );
}

function describe(request: ApprovalRequest): string {
  return `${request.tool} ${JSON.stringify(request.args ?? {}).slice(0, 200)} (process ${request.pid}, request ${request.id})`;
}

/**
 * Prints the run so far from the agent's log, then its events as they come, until the run ends. Subscribed first,
 * so nothing falls between the history and the stream; entries are told apart by their log seq. Exit code: 0 only
 * when the run completed; 1 when it did not: it failed, or watching was interrupted (SIGINT, SIGTERM: the run goes
 * on, but `timeout 60 habitat watch P` must not read as success); 3 when the host went away.
 */
async function watch(client: WebSocketClient, pid: number, json: boolean, io: CliIo): Promise<number> {
  const live: AgentEvent[] = [];
  let ended = false;
  const unsubscribe = [
    client.subscribe(`agent.event.${pid}`, (payload) => live.push(payload as AgentEvent)),
    client.subscribe('process.changed', (payload) => {
      const info = payload as ProcessInfo;
      if (info.pid === pid && ENDED.has(info.state)) ended = true;
    }),
  ];
  try {
    const info = await client.call('process.get', { pid });
    if (!info.goal) {
      throw new HabitatError(
        'E_INVALID',
        `process ${pid} has no goal, so no run to watch (habitat logs ${pid} shows its log)`,
      );
    }
    if (ENDED.has(info.state)) ended = true;
    let last = 0;
    let outcome: string | undefined;
    const show = (event: AgentEvent): void => {
      if (event.seq !== undefined) {
        if (event.seq <= last) return;
        last = event.seq;
      }
      if (event.type === 'end') outcome = event.outcome;
      if (json) io.out(JSON.stringify(event));
      else {
        const line = formatAgentEvent(event);
        if (line !== undefined) io.out(line);
      }
    };
    const catchUp = async (): Promise<void> => {
      for (;;) {
        const { entries } = await client.call('process.logs', { pid, after: last, limit: LOG_PAGE });
        for (const entry of entries) {
          const event = eventFromLog(entry);
          if (event) show(event);
          else last = Math.max(last, entry.seq); // kernel entries move the mark too
        }
        if (entries.length < LOG_PAGE) return;
      }
    };
    await catchUp();
    const finish = (): number => (outcome === undefined || outcome === 'completed' ? EXIT.ok : EXIT.error);
    if (outcome !== undefined || ended) return ended && outcome === undefined ? EXIT.error : finish();

    return await new Promise<number>((resolve) => {
      let busy = false;
      const stop = (code: number): void => {
        clearInterval(timer);
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
        resolve(code);
      };
      const interrupt = (): void => stop(EXIT.error); // not seen to complete
      const tick = async (): Promise<void> => {
        if (busy) return;
        busy = true;
        try {
          for (const event of live.splice(0)) show(event);
          if (outcome !== undefined) return stop(finish());
          // ended without an end event in the stream (a slow reader may have been dropped some): read the log
          if (ended) {
            await catchUp();
            return stop(outcome === undefined ? EXIT.error : finish());
          }
        } finally {
          busy = false;
        }
      };
      const timer = setInterval(() => void tick(), 50);
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      client.onConnectionChange((state) => {
        if (state === 'closed') stop(EXIT.unavailable);
      });
    });
  } finally {
    for (const off of unsubscribe) off();
  }
}
