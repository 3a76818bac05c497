// Test helpers for the renderer's logic: a process record and a bridge that tests drive by hand. Imported only by
// *.test.ts files, never by the app.
import type { ConnectionState, HabitatApi, Unsubscribe } from '../../../shared/client/index.js';
import { topicMatches, type ProcessInfo, type VncDisplay } from '../../../shared/protocol/index.js';

export function agent(pid: number, patch: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid,
    ppid: null,
    name: `agent-${pid}`,
    role: null,
    goal: null,
    state: 'running',
    phase: 'waiting',
    sandbox: {
      kind: 'host',
      isolation: 'bubblewrap',
      osPid: 100 + pid,
      containerId: null,
      network: false,
      engine: null,
    },
    gpus: [],
    terminal: pid,
    createdAt: new Date(1_700_000_000_000 + pid).toISOString(),
    endedAt: null,
    exitCode: null,
    exitReason: null,
    ...patch,
  };
}

/** A graphical agent's display as vnc.list and the vnc.* events describe it. */
export function display(pid: number, patch: Partial<VncDisplay> = {}): VncDisplay {
  return {
    pid,
    state: 'ready',
    width: 1280,
    height: 800,
    display: ':99',
    restarts: 0,
    reason: null,
    viewers: { view: 0, control: 0 },
    ...patch,
  };
}

export interface FakeCall {
  command: string;
  args: unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A HabitatApi whose calls wait until the test answers them, and whose events and connection the test sends. */
export class FakeApi implements HabitatApi {
  readonly calls: FakeCall[] = [];
  private readonly listeners = new Map<string, Set<(payload: unknown, topic: string) => void>>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  state: ConnectionState = 'open';
  /** Commands answered at once with this value instead of waiting for the test. */
  auto = new Map<string, (args: unknown) => unknown>();

  call(command: string, args?: unknown): Promise<never> {
    return new Promise((resolve, reject) => {
      const auto = this.auto.get(command);
      if (auto) {
        try {
          resolve(auto(args) as never);
        } catch (error) {
          reject(error);
        }
        return;
      }
      this.calls.push({ command, args, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  subscribe(pattern: string, listener: (payload: never, topic: never) => void): Unsubscribe {
    let set = this.listeners.get(pattern);
    if (!set) this.listeners.set(pattern, (set = new Set()));
    const l = listener as (payload: unknown, topic: string) => void;
    set.add(l);
    return () => void set.delete(l);
  }

  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe {
    this.stateListeners.add(listener);
    return () => void this.stateListeners.delete(listener);
  }

  getConnectionState(): ConnectionState {
    return this.state;
  }

  emit(topic: string, payload: unknown): void {
    for (const [pattern, set] of this.listeners) {
      if (topicMatches(pattern, topic)) for (const l of set) l(payload, topic);
    }
  }

  setState(state: ConnectionState): void {
    this.state = state;
    for (const l of this.stateListeners) l(state);
  }

  subscribed(pattern: string): boolean {
    return (this.listeners.get(pattern)?.size ?? 0) > 0;
  }

  /** The oldest unanswered call of a command, removed from the queue. */
  take(command: string): FakeCall {
    const index = this.calls.findIndex((c) => c.command === command);
    if (index < 0)
      throw new Error(`no pending ${command} call (pending: ${this.calls.map((c) => c.command).join(', ')})`);
    return this.calls.splice(index, 1)[0]!;
  }

  pending(command: string): FakeCall[] {
    return this.calls.filter((c) => c.command === command);
  }
}
