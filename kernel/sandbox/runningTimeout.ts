/** While the clock stands still (the agent is held), how often it is looked at again. */
const HELD_POLL_MS = 100;

/**
 * Calls onTimeout once `clock` has advanced timeoutMs from now. A clock that stands still while the agent is stopped
 * (LoopControl.runningMs) keeps a STOP from using up a command's time; without one, wall-clock time counts. Returns
 * a function that cancels it.
 */
export function runningTimeout(timeoutMs: number, onTimeout: () => void, clock?: () => number): () => void {
  const start = clock?.();
  let timer: NodeJS.Timeout;
  const arm = (ms: number): void => {
    timer = setTimeout(() => {
      const left = clock && start !== undefined ? timeoutMs - (clock() - start) : 0;
      if (left > 0) arm(Math.max(left, Math.min(HELD_POLL_MS, timeoutMs)));
      else onTimeout();
    }, ms);
  };
  arm(timeoutMs);
  return () => clearTimeout(timer);
}
