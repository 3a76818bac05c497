import { describe, expect, it } from 'vitest';
import {
  agentMetrics,
  agentStatus,
  applyProcesses,
  availableActions,
  DEFAULT_FILTER,
  filterAgents,
  noticeForChange,
} from './agents.js';
import { agent } from './testing.js';

describe('what the UI derives from the process table', () => {
  it('gives each agent one status from its state and phase', () => {
    expect(agentStatus(agent(1))).toBe('idle');
    expect(agentStatus(agent(1, { phase: 'thinking' }))).toBe('active');
    expect(agentStatus(agent(1, { state: 'stopped', phase: 'executing' }))).toBe('paused');
    expect(agentStatus(agent(1, { state: 'zombie', phase: 'completed' }))).toBe('completed');
    expect(agentStatus(agent(1, { state: 'dead', phase: 'failed' }))).toBe('failed');
  });

  it('counts the fleet, GPUs only of live agents', () => {
    const agents = {
      1: agent(1, { phase: 'thinking', gpus: ['GPU-a'] }),
      2: agent(2),
      3: agent(3, { state: 'stopped' }),
      4: agent(4, { state: 'zombie', phase: 'completed', gpus: ['GPU-b'] }),
      5: agent(5, { state: 'dead', phase: 'failed' }),
    };
    expect(agentMetrics(agents)).toEqual({
      total: 5,
      active: 1,
      idle: 1,
      paused: 1,
      completed: 1,
      failed: 1,
      gpusHeld: 1,
    });
  });

  it('applies a batch of changes, keeping untouched agents (and the map, when nothing changed) identical', () => {
    const a1 = agent(1);
    const a2 = agent(2);
    const before = { 1: a1, 2: a2 };
    expect(applyProcesses(before, [agent(1)])).toBe(before);
    const after = applyProcesses(before, [
      agent(1, { state: 'stopped' }),
      agent(3),
      agent(1, { state: 'running', phase: 'thinking' }),
    ]);
    expect(after).not.toBe(before);
    expect(after[2]).toBe(a2);
    expect(after[1]!.phase).toBe('thinking'); // the latest in the batch wins
    expect(Object.keys(after)).toEqual(['1', '2', '3']);
  });

  it('tells about agents that end, and about nothing else', () => {
    const live = agent(7, { name: 'scout' });
    expect(noticeForChange(undefined, live)).toBeUndefined();
    expect(noticeForChange(live, agent(7, { state: 'stopped' }))).toBeUndefined();
    expect(
      noticeForChange(
        live,
        agent(7, { name: 'scout', state: 'zombie', phase: 'failed', exitReason: 'killed by signal 9' }),
      ),
    ).toEqual({ level: 'error', title: 'scout failed', body: 'killed by signal 9', pid: 7 });
    expect(
      noticeForChange(live, agent(7, { name: 'scout', state: 'zombie', phase: 'completed' }))?.level,
    ).toBe('success');
    const ended = agent(7, { state: 'zombie', phase: 'completed' });
    expect(noticeForChange(ended, agent(7, { state: 'dead', phase: 'completed' }))).toBeUndefined();
  });

  it('filters by live or archive, status, sandbox and text', () => {
    const agents = {
      1: agent(1, { name: 'alpha', goal: 'index the papers' }),
      2: agent(2, { name: 'beta', state: 'stopped' }),
      3: agent(3, {
        name: 'gamma',
        sandbox: { ...agent(3).sandbox, kind: 'docker', isolation: 'container' },
      }),
      4: agent(4, { name: 'delta', state: 'zombie', phase: 'completed' }),
      5: agent(5, { name: 'eps', state: 'dead', phase: 'failed' }),
    };
    const names = (f: Partial<typeof DEFAULT_FILTER>) =>
      filterAgents(agents, { ...DEFAULT_FILTER, ...f }).map((a) => a.name);
    expect(names({})).toEqual(['alpha', 'beta', 'gamma']);
    expect(names({ archive: true })).toEqual(['eps', 'delta']);
    expect(names({ status: 'paused' })).toEqual(['beta']);
    expect(names({ sandbox: 'docker' })).toEqual(['gamma']);
    expect(names({ text: 'PAPERS' })).toEqual(['alpha']);
    expect(names({ text: '3' })).toEqual(['gamma']);
  });

  it('offers the signals that make sense now', () => {
    expect(availableActions(agent(1))).toEqual({ pause: true, resume: false, stop: true });
    expect(availableActions(agent(1, { state: 'stopped' }))).toEqual({
      pause: false,
      resume: true,
      stop: true,
    });
    expect(availableActions(agent(1, { state: 'zombie', phase: 'failed' }))).toEqual({
      pause: false,
      resume: false,
      stop: false,
    });
  });
});
