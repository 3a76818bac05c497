/**
 * The agent loop's side of signals: STOP takes effect at the next pause point (between steps), CONT releases it,
 * TERM lets the current step finish and then ends, KILL aborts at once (the AbortSignal reaches in-flight work).
 */
export class LoopControl {
  private paused = false;
  private ending: 'term' | 'kill' | undefined;
  private waiters: (() => void)[] = [];
  private readonly abortController = new AbortController();
  /** Aborted by TERM or KILL: for waits that are not a step, which TERM need not let finish (a model pull). */
  private readonly endController = new AbortController();
  /** Between leaving a pause point and reaching the next: the loop's state is in flux (a snapshot waits). */
  private stepping = false;
  private boundaryWaiters: (() => void)[] = [];
  /** Time the agent's processes spent stopped before the current stop, and when that began (performance.now()). */
  private heldMs = 0;
  private heldSince: number | undefined;
  private readonly createdAt = performance.now();
  private reachedPausePoint = false;

  /**
   * Milliseconds since this control was made, less the time the agent's processes were stopped (a person's STOP, a
   * snapshot's hold): what a command's timeout counts, so that a STOP does not use it up.
   */
  get runningMs(): number {
    const now = performance.now();
    return now - this.createdAt - this.heldMs - (this.heldSince === undefined ? 0 : now - this.heldSince);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get terminating(): boolean {
    return this.ending !== undefined;
  }

  get signal(): AbortSignal {
    return this.abortController.signal;
  }

  /** Aborted once the agent is to end (TERM or KILL); `signal` only by KILL. */
  get endSignal(): AbortSignal {
    return this.endController.signal;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.release();
  }

  /**
   * The agent's processes were stopped (SIGSTOP, a paused container) or go on again: runningMs stands still between.
   * Told by the process table as it delivers the signals, so a hold of the loop alone (a checkpoint) does not count.
   */
  processesStopped(stopped: boolean): void {
    if (stopped) {
      this.heldSince ??= performance.now();
      return;
    }
    if (this.heldSince === undefined) return;
    this.heldMs += performance.now() - this.heldSince;
    this.heldSince = undefined;
  }

  terminate(): void {
    this.ending ??= 'term';
    this.endController.abort(new Error('terminated'));
    this.release();
  }

  kill(): void {
    this.ending = 'kill';
    this.abortController.abort(new Error('killed'));
    this.endController.abort(new Error('killed'));
    this.release();
    this.atRest(); // nothing it was doing will be finished
  }

  /** Whether a loop has reached a pause point of this control: an agent run drives it, not only a shell. */
  get driven(): boolean {
    return this.reachedPausePoint;
  }

  /** Call between steps: waits while stopped; says whether the loop should go on. */
  async pausePoint(): Promise<'continue' | 'end'> {
    this.reachedPausePoint = true;
    this.atRest();
    while (this.paused && !this.ending) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.ending) return 'end';
    this.stepping = true;
    return 'continue';
  }

  /** The loop has ended for good: it will reach no more pause points, and nothing waits for one. */
  loopEnded(): void {
    this.atRest();
  }

  /**
   * Resolves true once the loop is at a pause point (or runs no step), false if timeoutMs pass first. Pause first,
   * or the loop may leave the boundary again at once.
   */
  async atBoundary(timeoutMs: number): Promise<boolean> {
    if (!this.stepping) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.boundaryWaiters = this.boundaryWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.boundaryWaiters.push(done);
    });
  }

  private atRest(): void {
    this.stepping = false;
    const waiters = this.boundaryWaiters;
    this.boundaryWaiters = [];
    for (const wake of waiters) wake();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
