import { HabitatError } from '../../shared/protocol/index.js';
import { terminalText } from './terminalText.js';
import type { AgentHost, TerminalProgram } from './types.js';

/** Output is asked about after this long without any: a program that printed a prompt then reads the terminal. */
export const QUIET_BEFORE_PROBE_MS = 250;
/** While it stays quiet, asked again at most this often (a container's probe is an exec). */
const PROBE_MAX_INTERVAL_MS = 2000;
const POLL_MS = 50;
/** Characters of unread output kept: the first and last halves; the middle of a flood is dropped, and counted. */
export const SESSION_OUTPUT_CAP = 64 * 1024;
/** Commands an agent may keep waiting for input at once. */
export const MAX_OPEN_SESSIONS = 8;
/** How long a killed program may take to go before the wait gives up on it. */
const CLOSE_WAIT_MS = 5000;

export type Settled = 'exited' | 'waiting' | 'timeout';

/**
 * One command on its own terminal: its output gathered as it comes (read a part at a time), its end, and whether it
 * waits for input. settle() waits for the first of: it ends, it waits for input, the time is up (it is killed).
 */
export class CommandSession {
  readonly startedAt = Date.now();
  exit: { exitCode: number | null; signal: string | null } | undefined;
  private head = '';
  private tail = '';
  private dropped = 0;
  private lastOutputAt = Date.now();
  private readonly ended: Promise<void>;

  constructor(
    readonly command: string,
    readonly program: TerminalProgram,
  ) {
    program.onOutput((text) => this.gather(text));
    this.ended = program.exited.then(
      (exit) => void (this.exit = exit),
      () => void (this.exit = { exitCode: null, signal: null }),
    );
  }

  get id(): number {
    return this.program.id;
  }

  /** `clock` is what the timeout counts (see AgentHost.runningMs); default wall-clock time. */
  async settle(timeoutMs: number, signal: AbortSignal, clock: () => number = Date.now): Promise<Settled> {
    const since = Date.now(); // input just typed gets its own moment before the program counts as quiet
    const deadline = clock() + timeoutMs;
    let probeEvery = QUIET_BEFORE_PROBE_MS;
    let lastProbe = 0;
    while (!this.exit) {
      if (signal.aborted) {
        await this.close();
        throw abandoned(signal);
      }
      const now = Date.now();
      if (clock() >= deadline) {
        await this.close();
        return 'timeout';
      }
      const quiet = now - Math.max(this.lastOutputAt, since);
      if (quiet < QUIET_BEFORE_PROBE_MS) probeEvery = QUIET_BEFORE_PROBE_MS;
      else if (now - lastProbe >= probeEvery) {
        lastProbe = now;
        const outputBefore = this.lastOutputAt;
        const waiting = await this.program.waitingForInput().catch(() => undefined);
        if (waiting && !this.exit && this.lastOutputAt === outputBefore) return 'waiting';
        probeEvery = Math.min(probeEvery * 2, PROBE_MAX_INTERVAL_MS);
      }
      await Promise.race([this.ended, sleep(Math.min(POLL_MS, Math.max(1, deadline - clock())))]);
    }
    return 'exited';
  }

  /** The output since the last read, as plain text, and how many characters of it were dropped. */
  read(): { text: string; dropped: number } {
    const dropped = this.dropped;
    const text =
      dropped > 0
        ? spliceNote(terminalText(this.head), terminalText(this.tail), dropped)
        : terminalText(this.head);
    this.head = '';
    this.tail = '';
    this.dropped = 0;
    return { text, dropped };
  }

  write(text: string): Promise<void> {
    return this.program.write(text);
  }

  /** Ends the program and waits (a while) for it to go. */
  async close(): Promise<void> {
    await this.program.close().catch(() => undefined);
    await Promise.race([this.ended, sleep(CLOSE_WAIT_MS)]);
  }

  private gather(text: string): void {
    this.lastOutputAt = Date.now();
    const half = SESSION_OUTPUT_CAP / 2;
    if (this.dropped === 0 && this.head.length + text.length <= SESSION_OUTPUT_CAP) {
      this.head += text;
      return;
    }
    if (this.dropped === 0) {
      // the first overflow: keep the first half as the head, the rest goes to the tail
      const all = this.head + text;
      this.head = all.slice(0, half);
      this.tail = all.slice(half);
    } else this.tail += text;
    if (this.tail.length > half) {
      this.dropped += this.tail.length - half;
      this.tail = this.tail.slice(-half);
    }
  }
}

/**
 * The commands of one agent that still run, waiting for input or for more time, by their terminal id. Kept per
 * host (one per agent run); closeAll() ends them when the run ends.
 */
export class CommandSessions {
  private readonly open = new Map<number, CommandSession>();

  constructor(private readonly host: AgentHost) {}

  start(command: string, argv: string[]): CommandSession {
    if (!this.host.startProgram) throw new HabitatError('E_UNAVAILABLE', 'this agent has no terminals');
    if (this.open.size >= MAX_OPEN_SESSIONS) {
      throw new HabitatError(
        'E_LIMIT',
        `${this.open.size} commands already wait for input (sessions ${this.ids().join(', ')}): answer or end ` +
          'one with send_input first',
      );
    }
    const session = new CommandSession(command, this.host.startProgram(argv));
    this.open.set(session.id, session);
    return session;
  }

  get(id: number): CommandSession {
    const session = this.open.get(id);
    if (session) return session;
    const open = this.ids();
    throw new HabitatError(
      'E_NOT_FOUND',
      `there is no running command ${id}${open.length ? `; running: ${open.join(', ')}` : ': none is running'}`,
    );
  }

  /** Forgets an ended command (its terminal is let go). */
  async finish(session: CommandSession): Promise<void> {
    this.open.delete(session.id);
    await session.close();
  }

  ids(): number[] {
    return [...this.open.keys()];
  }

  async closeAll(): Promise<void> {
    const sessions = [...this.open.values()];
    this.open.clear();
    await Promise.all(sessions.map((session) => session.close()));
  }
}

const registries = new WeakMap<AgentHost, CommandSessions>();

/** The running commands of the agent behind this host. */
export function commandSessions(host: AgentHost): CommandSessions {
  let sessions = registries.get(host);
  if (!sessions) registries.set(host, (sessions = new CommandSessions(host)));
  return sessions;
}

/** Ends the commands an agent left running (its run ended). */
export async function closeCommandSessions(host: AgentHost): Promise<void> {
  await registries.get(host)?.closeAll();
}

function spliceNote(head: string, tail: string, dropped: number): string {
  return `${head}\n[... ${dropped} characters of output dropped ...]\n${tail}`;
}

function abandoned(signal: AbortSignal): HabitatError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new HabitatError('E_CONFLICT', `the command was abandoned: ${reason}`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
