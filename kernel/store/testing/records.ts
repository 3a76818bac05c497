import type { ProcessRecord } from '../index.js';

/** A plausible process record for tests; override what the test is about. */
export function processRecord(pid: number, overrides: Partial<ProcessRecord> = {}): ProcessRecord {
  return {
    pid,
    ppid: null,
    name: `agent-${pid}`,
    role: 'researcher',
    goal: 'summarize the repository',
    state: 'running',
    phase: 'thinking',
    sandbox: {
      kind: 'host',
      isolation: 'bubblewrap',
      osPid: 40_000 + pid,
      containerId: null,
      network: false,
    },
    config: { model: 'heuristic', maxSteps: 20, tools: ['fs', 'shell'] },
    bootId: 'boot-a',
    createdAt: '2025-01-01T00:00:00.000Z',
    endedAt: null,
    exitCode: null,
    exitReason: null,
    gpus: [],
    ...overrides,
  };
}
