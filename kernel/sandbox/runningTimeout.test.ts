import { describe, expect, it } from 'vitest';
import { LoopControl } from '../process/LoopControl.js';
import { runningTimeout } from './runningTimeout.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('runningTimeout: a command timeout that a STOP does not use up', () => {
  it('fires on time with no clock, and not at all once cancelled', async () => {
    let fired = 0;
    runningTimeout(30, () => fired++);
    const cancel = runningTimeout(30, () => fired++);
    cancel();
    await sleep(150);
    expect(fired).toBe(1);
  });

  it("waits while the agent's running time stands still, and fires once it has run the whole timeout", async () => {
    const control = new LoopControl();
    let fired = false;
    runningTimeout(
      300,
      () => (fired = true),
      () => control.runningMs,
    );
    await sleep(20);
    control.processesStopped(true); // STOP
    const held = control.runningMs;
    await sleep(400); // longer than the whole timeout
    expect(control.runningMs - held).toBeLessThan(5);
    expect(fired).toBe(false);
    control.processesStopped(false); // CONT: about 280 ms of the timeout are left
    await sleep(30);
    expect(fired).toBe(false);
    await sleep(700);
    expect(fired).toBe(true);
  });

  it("a hold of the loop alone (a checkpoint's) leaves the clock running: the processes run on", async () => {
    const control = new LoopControl();
    control.pause();
    const before = control.runningMs;
    await sleep(50);
    expect(control.runningMs - before).toBeGreaterThanOrEqual(40);
  });
});
