import { constants } from 'node:os';
import { HabitatError, type TerminalInfo } from '../../shared/protocol/index.js';
import { nodePtySpawner, type PtySpawner } from './PtySpawner.js';
import { TerminalSession } from './TerminalSession.js';

export interface TerminalEntry {
  id: number;
  pid: number;
  main: boolean;
  session: TerminalSession;
}

export interface LaunchSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Where the program runs when not on this host's PTYs (a container's exec with a TTY). */
  spawner?: PtySpawner;
}

/** Every terminal of every agent, by a terminal id that is unique within this kernel's life. */
export class TerminalRegistry {
  private nextId = 1;
  private readonly terminals = new Map<number, TerminalEntry>();

  constructor(private readonly spawner: PtySpawner = nodePtySpawner) {}

  open(
    pid: number,
    launch: LaunchSpec,
    options: { cols?: number; rows?: number; main: boolean },
  ): TerminalEntry {
    const id = this.nextId++;
    const { spawner, ...program } = launch;
    const session = new TerminalSession(spawner ?? this.spawner, {
      ...program,
      id: String(id),
      name: 'xterm-256color',
      cols: options.cols ?? 120,
      rows: options.rows ?? 32,
    });
    const entry: TerminalEntry = { id, pid, main: options.main, session };
    this.terminals.set(id, entry);
    // An ended terminal stays readable (screen, replay) until it is closed or its process is reaped.
    return entry;
  }

  get(id: number): TerminalEntry {
    const entry = this.terminals.get(id);
    if (!entry) throw new HabitatError('E_NOT_FOUND', `no terminal ${id}`);
    return entry;
  }

  list(pid?: number): TerminalInfo[] {
    return [...this.terminals.values()]
      .filter((entry) => pid === undefined || entry.pid === pid)
      .map((entry) => ({
        terminal: entry.id,
        pid: entry.pid,
        osPid: entry.session.hostPid,
        cols: entry.session.cols,
        rows: entry.session.rows,
        main: entry.main,
      }));
  }

  /**
   * The terminal an agent uses now: the one it opened last that is still open (a command it runs), else its main
   * one. Undefined when it has none.
   */
  current(pid: number): TerminalEntry | undefined {
    let main: TerminalEntry | undefined;
    let latest: TerminalEntry | undefined;
    for (const entry of this.terminals.values()) {
      if (entry.pid !== pid) continue;
      if (entry.main) main = entry;
      else if (!entry.session.exit && (!latest || entry.id > latest.id)) latest = entry;
    }
    return latest ?? main;
  }

  /** Host PIDs of an agent's terminals besides its main one whose program still runs (never a reused PID). */
  otherHostPids(pid: number): number[] {
    return [...this.terminals.values()].flatMap((entry) =>
      entry.pid === pid && !entry.main && entry.session.hostPid !== null && !entry.session.exit
        ? [entry.session.hostPid]
        : [],
    );
  }

  async close(id: number): Promise<void> {
    const entry = this.terminals.get(id);
    if (!entry) return;
    this.terminals.delete(id);
    await entry.session.dispose();
  }

  async closeAll(pid?: number): Promise<void> {
    const ids = [...this.terminals.values()]
      .filter((e) => pid === undefined || e.pid === pid)
      .map((e) => e.id);
    await Promise.all(ids.map((id) => this.close(id)));
  }
}

/** node-pty reports the ending signal by name; the process table records its number. */
export function signalNumber(signal: NodeJS.Signals | null): number | null {
  return signal ? (constants.signals[signal] ?? null) : null;
}
