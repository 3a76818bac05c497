/**
 * The agent loop's side of signals: STOP takes effect at the next pause point (between steps), CONT releases it,
 * TERM lets the current step finish and then ends, KILL aborts at once (the AbortSignal reaches in-flight work).
 */
export class LoopControl {
  private paused = false;
  private ending: 'term' | 'kill' | undefined;
  private waiters: (() => void)[] = [];
  private readonly abortController = new AbortController();

  get isPaused(): boolean {
    return this.paused;
  }

  get terminating(): boolean {
    return this.ending !== undefined;
  }

  get signal(): AbortSignal {
    return this.abortController.signal;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.release();
  }

  terminate(): void {
    this.ending ??= 'term';
    this.release();
  }

  kill(): void {
    this.ending = 'kill';
    this.abortController.abort(new Error('killed'));
    this.release();
  }

  /** Call between steps: waits while stopped; says whether the loop should go on. */
  async pausePoint(): Promise<'continue' | 'end'> {
    while (this.paused && !this.ending) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.ending ? 'end' : 'continue';
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
