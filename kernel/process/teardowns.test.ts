import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers.js';
import { Teardowns } from './teardowns.js';

/** A Teardowns whose log and releases are recorded. */
function recorded(retryDelaysMs: number[]) {
  const log: { pid: number; type: string; payload: Record<string, unknown> }[] = [];
  const released: number[] = [];
  const teardowns = new Teardowns({
    log: (pid, type, payload) => log.push({ pid, type, payload: payload as Record<string, unknown> }),
    released: (pid) => released.push(pid),
    retryDelaysMs,
  });
  return { teardowns, log, released };
}

/** A removal that fails `failures` times, then works; counts its tries. */
function flaky(failures: number) {
  const removal = { tries: 0, destroy: async () => {} };
  removal.destroy = async () => {
    removal.tries++;
    if (removal.tries <= failures) throw new Error(`busy (${removal.tries})`);
  };
  return removal;
}

describe('Teardowns', () => {
  it('tries a failed removal again after each delay, and releases only once it worked', async () => {
    const { teardowns, log, released } = recorded([20, 40]);
    const removal = flaky(2);
    const teardown = teardowns.start(7, removal.destroy);
    await teardown.firstTry;
    expect(removal.tries).toBe(1);
    expect(teardowns.holds(7)).toBe(true);
    expect(released).toEqual([]);
    await teardown.done;
    expect(removal.tries).toBe(3);
    expect(released).toEqual([7]);
    expect(teardowns.holds(7)).toBe(false);
    expect(log.map((entry) => entry.payload)).toEqual([
      { error: 'busy (1)', tries: 1, retryInMs: 20 },
      { error: 'busy (2)', tries: 2, retryInMs: 40 },
    ]);
  });

  it('gives up after the last delay and keeps holding what the sandbox held', async () => {
    const { teardowns, log, released } = recorded([10]);
    const removal = flaky(5);
    await teardowns.start(3, removal.destroy).done;
    expect(removal.tries).toBe(2);
    expect(log.at(-1)!.payload).toMatchObject({ tries: 2, abandoned: true });
    expect(released).toEqual([]);
    expect(teardowns.holds(3)).toBe(true); // its GPUs stay taken until the next boot rebuilds the table
  });

  it('starts one teardown per agent, however often it is asked', async () => {
    const { teardowns } = recorded([10]);
    const removal = flaky(0);
    const first = teardowns.start(1, removal.destroy);
    expect(teardowns.start(1, removal.destroy)).toBe(first);
    await first.done;
    expect(removal.tries).toBe(1);
  });

  it('drain: one last try for each pending removal without waiting out its delay, then none are left', async () => {
    const { teardowns, log, released } = recorded([60_000]);
    const works = flaky(1);
    const fails = flaky(10);
    teardowns.start(1, works.destroy);
    teardowns.start(2, fails.destroy);
    await waitFor(() => log.length === 2, 2000, 'both first tries');
    const started = Date.now();
    await teardowns.drain();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect([works.tries, fails.tries]).toEqual([2, 2]);
    expect(released).toEqual([1]);
    expect(log.at(-1)).toMatchObject({ pid: 2, payload: { tries: 2, abandoned: true } });
  });
});
