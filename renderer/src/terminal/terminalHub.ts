import type { HabitatApi, Unsubscribe } from '../../../shared/client/index.js';
import type { EventPayload } from '../../../shared/protocol/index.js';
import { toErrorValue } from '../store/api.js';

export type TerminalExit = EventPayload<'pty.exit'>;

/** One view of a terminal (an xterm.js): it renders every byte and says when it has. */
export interface TerminalViewer {
  /** The terminal as of (re)attaching: `replay` reproduces the screen and its scrollback. */
  reset(replay: string, size: { cols: number; rows: number }): void;
  /**
   * Live output, in order: text, or UTF-8 bytes over WebSocket (xterm.js writes either). Call done() once it is
   * rendered: the kernel gets its credit back only then.
   */
  write(data: string | Uint8Array, done: () => void): void;
  exited?(exit: TerminalExit): void;
  failed?(message: string): void;
}

interface Chunk {
  length: number;
  generation: number;
  remaining: number;
}

interface Entry {
  terminal: number;
  viewers: Set<TerminalViewer>;
  /** Viewers that have their replay and take live output (one that joins waits for its own replay). */
  ready: Set<TerminalViewer>;
  offs: Unsubscribe[];
  /** Bumped on every attach: credit owed to a consumer the kernel has since replaced is never paid to the new one. */
  generation: number;
  unacked: number;
  ackTimer: ReturnType<typeof setTimeout> | undefined;
  detachTimer: ReturnType<typeof setTimeout> | undefined;
}

export interface TerminalHubOptions {
  /** Acknowledge at once above this much rendered output (characters, or bytes), otherwise after ackDelayMs. */
  ackBatchChars?: number;
  ackDelayMs?: number;
  /** A terminal nobody watches stays attached this long, so that switching views costs no new attach. */
  lingerMs?: number;
}

/**
 * The page's terminals over the bridge. The kernel keeps one output consumer per connection and terminal, so every
 * view of a terminal (its Agent VM, a Terminal app) shares one attach here; output is acknowledged with pty.ack
 * only after every viewer has rendered it (xterm's write callback), which is what lets
 * the kernel pause a program that floods a viewer that cannot keep up. After a reconnect, terminals are attached
 * again and every viewer starts over from the replay.
 */
export class TerminalHub {
  private readonly entries = new Map<number, Entry>();
  private readonly offState: Unsubscribe;
  private readonly ackBatchChars: number;
  private readonly ackDelayMs: number;
  private readonly lingerMs: number;

  constructor(
    private readonly api: HabitatApi,
    options: TerminalHubOptions = {},
  ) {
    this.ackBatchChars = options.ackBatchChars ?? 5000;
    this.ackDelayMs = options.ackDelayMs ?? 16;
    this.lingerMs = options.lingerMs ?? 3000;
    this.offState = api.onConnectionChange((state) => {
      if (state !== 'open') return;
      for (const entry of this.entries.values()) {
        entry.ready.clear();
        entry.unacked = 0;
        if (entry.viewers.size > 0) this.attach(entry, [...entry.viewers]);
      }
    });
  }

  watch(terminal: number, viewer: TerminalViewer): () => void {
    let entry = this.entries.get(terminal);
    if (!entry) {
      entry = this.createEntry(terminal);
      entry.viewers.add(viewer);
      this.attach(entry, [viewer]);
    } else {
      if (entry.detachTimer) clearTimeout(entry.detachTimer);
      entry.detachTimer = undefined;
      entry.viewers.add(viewer);
      // the new view needs the screen and scrollback as of now: attaching again returns them
      this.attach(entry, [viewer]);
    }
    const owned = entry;
    return () => this.unwatch(owned, viewer);
  }

  /** How many terminals are attached (tests and the System Monitor). */
  get attachedCount(): number {
    return this.entries.size;
  }

  dispose(): void {
    this.offState();
    for (const entry of [...this.entries.values()]) this.drop(entry);
  }

  private createEntry(terminal: number): Entry {
    const entry: Entry = {
      terminal,
      viewers: new Set(),
      ready: new Set(),
      offs: [],
      generation: 0,
      unacked: 0,
      ackTimer: undefined,
      detachTimer: undefined,
    };
    entry.offs.push(
      this.api.subscribe(`pty.data.${terminal}`, (payload) => {
        const data = (payload as { data?: unknown }).data;
        if (typeof data === 'string' || data instanceof Uint8Array) this.deliver(entry, data);
      }),
      this.api.subscribe(`pty.exit.${terminal}`, (payload) => {
        for (const viewer of entry.viewers) viewer.exited?.(payload as TerminalExit);
      }),
    );
    this.entries.set(terminal, entry);
    return entry;
  }

  private attach(entry: Entry, viewers: TerminalViewer[]): void {
    this.api.call('pty.attach', { terminal: entry.terminal }).then(
      (result) => {
        if (this.entries.get(entry.terminal) !== entry) return;
        entry.generation++;
        entry.unacked = 0;
        for (const viewer of viewers) {
          if (!entry.viewers.has(viewer)) continue;
          entry.ready.add(viewer);
          viewer.reset(result.replay, { cols: result.cols, rows: result.rows });
        }
      },
      (error: unknown) => {
        const { message } = toErrorValue(error);
        for (const viewer of viewers) if (entry.viewers.has(viewer)) viewer.failed?.(message);
      },
    );
  }

  /** Credit is owed in the units the output came in: data.length is characters of text, bytes of bytes. */
  private deliver(entry: Entry, data: string | Uint8Array): void {
    const viewers = [...entry.ready];
    const chunk: Chunk = { length: data.length, generation: entry.generation, remaining: viewers.length };
    // nobody to render it (all views just left, or one is waiting for its replay): owed at once
    if (chunk.remaining === 0) this.credit(entry, chunk);
    for (const viewer of viewers) {
      let called = false;
      viewer.write(data, () => {
        if (called) return;
        called = true;
        if (--chunk.remaining === 0) this.credit(entry, chunk);
      });
    }
  }

  private credit(entry: Entry, chunk: Chunk): void {
    if (chunk.generation !== entry.generation || this.entries.get(entry.terminal) !== entry) return;
    entry.unacked += chunk.length;
    if (entry.unacked >= this.ackBatchChars) this.flushAck(entry);
    else entry.ackTimer ??= setTimeout(() => this.flushAck(entry), this.ackDelayMs);
  }

  private flushAck(entry: Entry): void {
    if (entry.ackTimer) clearTimeout(entry.ackTimer);
    entry.ackTimer = undefined;
    const chars = entry.unacked;
    entry.unacked = 0;
    if (chars <= 0 || this.entries.get(entry.terminal) !== entry) return;
    this.api.call('pty.ack', { terminal: entry.terminal, chars }).catch(() => {
      // detached or reconnecting meanwhile: the next attach starts with a clean slate
    });
  }

  private unwatch(entry: Entry, viewer: TerminalViewer): void {
    if (!entry.viewers.delete(viewer)) return;
    entry.ready.delete(viewer);
    if (entry.viewers.size > 0 || this.entries.get(entry.terminal) !== entry) return;
    // what it rendered is still owed
    this.flushAck(entry);
    entry.detachTimer = setTimeout(() => this.drop(entry), this.lingerMs);
  }

  private drop(entry: Entry): void {
    if (entry.ackTimer) clearTimeout(entry.ackTimer);
    if (entry.detachTimer) clearTimeout(entry.detachTimer);
    for (const off of entry.offs) off();
    this.entries.delete(entry.terminal);
    this.api.call('pty.detach', { terminal: entry.terminal }).catch(() => {
      // the terminal ended or the connection is gone: nothing is attached any more either way
    });
  }
}
