/**
 * Sandboxes of ended agents being taken down. A removal can fail for a while (a Docker daemon restarting, a busy
 * filesystem): a failed one is tried again with growing delays, each failure logged, and what the agent held for its
 * sandbox (its GPUs) is let go only once the sandbox is gone, so that no other agent is given a GPU an old container
 * may still use. After the last retry it is abandoned, its GPUs still held: the next boot's reconcile removes the
 * kernel's containers of agents that are not live, and rebuilds the GPU table from the live ones.
 *
 * At shutdown (drain) retries stop waiting: each pending teardown gets one last try, and is then left to that boot.
 */
export interface TeardownsOptions {
  log(pid: number, type: string, payload: unknown): void;
  /** The sandbox is gone: what it held (GPUs) goes back. */
  released(pid: number): void;
  /** Waits between tries, in ms; the retries end after the last (default about 2 minutes in all). */
  retryDelaysMs?: readonly number[];
}

export interface Teardown {
  /** Settles once the first try ended, whether it worked or not. */
  firstTry: Promise<void>;
  /** Settles once the sandbox is gone, or was given up on. Never rejects. */
  done: Promise<void>;
}

const DEFAULT_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 30_000, 30_000];

interface Pending {
  destroy: () => Promise<void>;
  tries: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** A try under way. */
  trying: Promise<void> | undefined;
  settle: () => void;
}

export class Teardowns {
  private readonly pending = new Map<number, Pending>();
  private readonly started = new Map<number, Teardown>();
  /** Given up on: their GPUs stay held until the next boot. */
  private readonly abandoned = new Set<number>();
  private closing = false;

  constructor(private readonly options: TeardownsOptions) {}

  /** Starts taking down an agent's sandbox; a second call for the same agent gets the first one's teardown. */
  start(pid: number, destroy: () => Promise<void>): Teardown {
    const existing = this.started.get(pid);
    if (existing) return existing;
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const entry: Pending = { destroy, tries: 0, timer: undefined, trying: undefined, settle };
    this.pending.set(pid, entry);
    const teardown = { firstTry: this.attempt(pid, entry), done };
    this.started.set(pid, teardown);
    void done.then(() => this.started.delete(pid));
    return teardown;
  }

  /** Whether the agent's sandbox is still being taken down, or was given up on: its GPUs are not free. */
  holds(pid: number): boolean {
    return this.pending.has(pid) || this.abandoned.has(pid);
  }

  /** At shutdown: one last try for each pending teardown, without waiting out the delays; resolves once all ended. */
  async drain(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.pending].map(async ([pid, entry]) => {
        if (entry.trying) await entry.trying;
        if (!this.pending.has(pid)) return;
        clearTimeout(entry.timer);
        await this.attempt(pid, entry);
      }),
    );
  }

  private attempt(pid: number, entry: Pending): Promise<void> {
    entry.timer = undefined;
    const trying = (async () => {
      try {
        await entry.destroy();
        this.pending.delete(pid);
        this.options.released(pid);
        entry.settle();
      } catch (error) {
        entry.tries++;
        const delays = this.options.retryDelaysMs ?? DEFAULT_DELAYS_MS;
        const delay = this.closing ? undefined : delays[entry.tries - 1];
        this.options.log(pid, 'process.teardown.failed', {
          error: error instanceof Error ? error.message : String(error),
          tries: entry.tries,
          ...(delay === undefined ? { abandoned: true } : { retryInMs: delay }),
        });
        if (delay === undefined) {
          // left for the next boot; its GPUs stay held meanwhile (see above)
          this.pending.delete(pid);
          this.abandoned.add(pid);
          entry.settle();
          return;
        }
        entry.timer = setTimeout(() => void this.attempt(pid, entry), delay);
        entry.timer.unref();
      } finally {
        entry.trying = undefined;
      }
    })();
    entry.trying = trying;
    return trying;
  }
}
