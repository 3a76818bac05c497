import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lowestNode, nodeVersionProblem, runningNodeProblem } from '../bin/nodeVersion.mjs';

const bin = join(import.meta.dirname, '..', 'bin', 'habitat.mjs');

/** The machine's own Node when it is older than Habitat's (Debian's, on the machines CI runs on). */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['-p', 'process.versions.node'], {
      encoding: 'utf8',
    }).stdout?.trim();
    if (version && nodeVersionProblem(version, '>=22.12.0')) return candidate;
  }
  return undefined;
}

describe('the Node the habitat command needs', () => {
  it("reads the lowest version from package.json's engines", () => {
    expect(lowestNode('>=22.12.0')).toBe('22.12.0');
    expect(lowestNode(' >= v22.12.0 ')).toBe('22.12.0');
    expect(lowestNode('^22.12.0')).toBeUndefined(); // not a form we write: no check rather than a wrong one
    expect(lowestNode(undefined)).toBeUndefined();
  });

  it('refuses an older Node, naming both versions, and takes the same or any newer', () => {
    expect(nodeVersionProblem('20.20.2', '>=22.12.0')).toEqual({
      message: 'Habitat needs Node.js 22.12.0 or newer, and this is 20.20.2',
      have: '20.20.2',
      needs: '22.12.0',
    });
    expect(nodeVersionProblem('22.11.9', '>=22.12.0')?.needs).toBe('22.12.0');
    expect(nodeVersionProblem('21.99.99', '>=22.12.0')?.have).toBe('21.99.99');
    for (const version of ['22.12.0', '22.12.1', '22.13.0', '23.0.0', '24.1.0']) {
      expect(nodeVersionProblem(version, '>=22.12.0')).toBeUndefined();
    }
    expect(nodeVersionProblem('20.20.2', undefined)).toBeUndefined();
    expect(runningNodeProblem()).toBeUndefined(); // the Node running these tests is one Habitat supports
  });

  it.skipIf(!olderNode())(
    'run by an older Node, habitat says which it needs and exits 2, as JSON with --json, instead of crashing',
    () => {
      const node = olderNode()!;
      const human = spawnSync(node, [bin, 'ps'], { encoding: 'utf8' });
      expect(human.status).toBe(2);
      expect(human.stdout).toBe('');
      expect(human.stderr).toMatch(
        /^habitat: E_UNAVAILABLE: Habitat needs Node\.js 22\.12\.0 or newer, and this is 2[01]\./,
      );
      expect(human.stderr).toContain('scripts/ensure-node.sh');
      const json = spawnSync(node, [bin, '--json', 'serve', '--port', '0'], { encoding: 'utf8' });
      expect(json.status).toBe(2);
      const { error } = JSON.parse(json.stdout) as {
        error: { code: string; details: { node: string; needs: string } };
      };
      expect(error.code).toBe('E_UNAVAILABLE');
      expect(error.details.needs).toBe('22.12.0');
      expect(nodeVersionProblem(error.details.node, '>=22.12.0')).toBeDefined();
    },
  );
});
