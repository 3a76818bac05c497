import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../kernel/index.js';
import type { ProcessInfo } from '../../shared/protocol/index.js';
import { Bridge, connectInMemory, type MemoryConnection } from '../bridge/index.js';
import { followProcessesForTray } from './trayEvents.js';

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const info = (pid: number) => ({ pid, name: `agent-${pid}`, state: 'running' }) as ProcessInfo;

describe('the tray follows process changes', () => {
  let connection: MemoryConnection | undefined;
  afterEach(() => connection?.close());

  it('rebuilds on process.spawned and process.changed, never for an agent’s log lines', async () => {
    const events = new EventBus();
    connection = connectInMemory(new Bridge({ handlers: {}, events }));
    const refresh = vi.fn();
    const changed = vi.fn();
    const stop = followProcessesForTray(connection.client, { refresh, onChanged: changed, delayMs: 20 });
    await settle(10); // the subscriptions reach the bridge
    // an agent that logs a lot: none of it is for the tray, nor does the kernel publish it for main's session
    for (let seq = 1; seq <= 50; seq++)
      events.emitScoped('process.log', 7, { seq, pid: 7, type: 'output', at: Date.now(), payload: 'line' });
    expect(events.hasListeners('process.log.7')).toBe(false);
    await settle(60);
    expect(refresh).not.toHaveBeenCalled();

    // a burst of changes: one rebuild
    events.emit('process.spawned', info(8));
    events.emit('process.changed', info(8));
    events.emit('process.changed', info(7));
    await settle(60);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(changed.mock.calls.map(([p]) => (p as ProcessInfo).pid)).toEqual([8, 7]);

    stop();
    events.emit('process.changed', info(7));
    await settle(60);
    expect(refresh).toHaveBeenCalledTimes(1);
  });
});
