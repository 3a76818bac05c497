import { describe, expect, it } from 'vitest';
import type { ProcessInfo, ServerMessage } from '../../shared/protocol/index.js';
import { EventBus } from '../../kernel/index.js';
import { waitFor } from '../../test/helpers.js';
import { Bridge } from './index.js';

function info(pid: number, state: ProcessInfo['state']): ProcessInfo {
  return {
    pid,
    ppid: null,
    name: `a${pid}`,
    role: null,
    goal: null,
    state,
    phase: 'waiting',
    sandbox: {
      kind: 'host',
      isolation: 'none',
      osPid: null,
      containerId: null,
      network: false,
      engine: null,
    },
    gpus: [],
    terminal: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    endedAt: null,
    exitCode: null,
    exitReason: null,
  };
}

describe('events for a consumer that reads too slowly', () => {
  it('coalesces state changes to the latest per process, drops and counts the rest, and catches up in order', async () => {
    const bus = new EventBus();
    const bridge = new Bridge({ handlers: {}, events: bus });
    const received: ServerMessage[] = [];
    let reading = true;
    const session = bridge.openSession(
      { send: (m) => received.push(m), canSendEvent: () => reading },
      'memory',
    );
    session.handle({ type: 'subscribe', id: 1, topics: ['process.*', 'system.stats'] });

    bus.emit('process.changed', info(1, 'running'));
    reading = false;
    const states: ProcessInfo['state'][] = ['stopped', 'running', 'zombie'];
    for (let round = 0; round < 1000; round++) {
      for (const pid of [1, 2, 3]) bus.emit('process.changed', info(pid, states[(round + pid) % 3]!));
      bus.emitScoped('process.log', 1, { seq: round, pid: 1, type: 'x', at: round, payload: null });
    }
    bus.emit('process.changed', info(2, 'dead'));
    const whileBehind = received.length;
    reading = true;
    await waitFor(() => received.length > whileBehind, 2000, 'the catch-up');

    const events = received.slice(whileBehind).filter((m) => m.type === 'event') as {
      topic: string;
      payload: unknown;
    }[];
    expect(events[0]).toMatchObject({ topic: 'bridge.dropped', payload: { count: 1000 } });
    const changed = events.filter((e) => e.topic === 'process.changed').map((e) => e.payload as ProcessInfo);
    // exactly one, the latest, per process: nothing lost, nothing stale
    expect(changed.map((p) => [p.pid, p.state])).toEqual([
      [1, states[(999 + 1) % 3]],
      [3, states[(999 + 3) % 3]],
      [2, 'dead'],
    ]);
    expect(events.some((e) => e.topic.startsWith('process.log'))).toBe(false);

    // back in step: events flow one by one again
    bus.emit('process.changed', info(4, 'running'));
    expect(received.at(-1)).toMatchObject({ type: 'event', topic: 'process.changed', payload: { pid: 4 } });
    session.close();
  });
});
