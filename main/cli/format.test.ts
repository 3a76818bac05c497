import { describe, expect, it } from 'vitest';
import type { SystemInfo } from '../../shared/protocol/index.js';
import { formatInfo } from './format.js';

const info = (sandbox: SystemInfo['sandbox'], warnings: string[]): SystemInfo => ({
  name: 'Habitat',
  version: '1.2.3',
  mode: 'headless',
  kernel: { state: 'running', startedAt: '2026-01-01T00:00:00.000Z', uptimeMs: 65_000, pid: 42 },
  host: {
    hostname: 'box',
    platform: 'linux',
    arch: 'x64',
    release: '6.1',
    node: 'v22.0.0',
    cpus: 4,
    memoryTotal: 8 * 1024 ** 3,
    memoryFree: 4 * 1024 ** 3,
  },
  dataDir: '/data',
  agents: { total: 3, running: 1 },
  sandbox,
  warnings,
});

describe('formatInfo', () => {
  it('shows how host agents are isolated and the Docker engines', () => {
    const text = formatInfo(
      info(
        {
          hostIsolation: 'bubblewrap',
          dockerEngines: [{ name: 'local', address: 'unix:///var/run/docker.sock' }],
        },
        [],
      ),
    );
    expect(text).toMatch(/^ {2}isolation +host agents in bubblewrap$/m);
    expect(text).toMatch(/^ {2}docker +local \(unix:\/\/\/var\/run\/docker\.sock\)$/m);
    expect(text).not.toContain('WARNING');
  });

  it('says when isolation is off and prints every warning, marked, last', () => {
    const warning = 'bubblewrap not found: host agents are not isolated';
    const text = formatInfo(info({ hostIsolation: 'none', dockerEngines: [] }, [warning]));
    expect(text).toMatch(/^ {2}isolation +none: host agents run as plain processes/m);
    expect(text).toMatch(/^ {2}docker +-$/m);
    expect(text.split('\n').at(-1)).toBe(`WARNING: ${warning}`);
  });
});
