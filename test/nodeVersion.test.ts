import { parse } from 'acorn';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lowestNode, nodeVersionProblem, requiredNode, runningNodeProblem } from '../bin/nodeVersion.mjs';
import { tempDir } from './helpers.js';

const bin = join(import.meta.dirname, '..', 'bin', 'habitat.mjs');
const engines = requiredNode();

/** The machine's own Node when it is older than Habitat's (Debian's, on the machines CI runs on). */
function olderNode(): { node: string; version: string } | undefined {
  for (const node of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(node)) continue;
    const version = spawnSync(node, ['-p', 'process.versions.node'], {
      encoding: 'utf8',
      timeout: 10_000,
    }).stdout?.trim();
    if (version && nodeVersionProblem(version, engines)) return { node, version };
  }
  return undefined;
}

describe('the Node the habitat command needs', () => {
  it("reads the lowest version from package.json's engines, which names one", () => {
    expect(lowestNode(engines)).toMatch(/^\d+\.\d+\.\d+$/); // else the check would be off without a word
    expect(lowestNode('>=22.12.0')).toBe('22.12.0');
    expect(lowestNode(' >= v22.12.0 ')).toBe('22.12.0');
    expect(lowestNode('^22.12.0')).toBeUndefined(); // not a form we write: no check rather than a wrong one
    expect(lowestNode(undefined)).toBeUndefined();
  });

  it('refuses an older Node or a pre-release of the lowest, naming both versions, and takes any release from it on', () => {
    expect(nodeVersionProblem('20.20.2', '>=22.12.0')).toEqual({
      message: 'Habitat needs Node.js 22.12.0 or newer, and this is 20.20.2',
      have: '20.20.2',
      needs: '22.12.0',
    });
    for (const version of [
      '22.11.9',
      '21.99.99',
      '12.22.9',
      '22',
      '22.12.0-rc.1',
      '22.12.0-nightly20241201',
    ]) {
      expect(nodeVersionProblem(version, '>=22.12.0')?.have).toBe(version);
    }
    for (const version of ['22.12.0', '22.12.1', '22.13.0', '23.0.0', '24.1.0', '22.13.0-rc.1']) {
      expect(nodeVersionProblem(version, '>=22.12.0')).toBeUndefined();
    }
    expect(nodeVersionProblem('20.20.2', undefined)).toBeUndefined();
    expect(runningNodeProblem()).toBeUndefined(); // the Node running these tests is one Habitat supports
  });

  it('the files that check parse on the Nodes they refuse: ES2020, without top-level await, ?? or ?.', () => {
    // Node 14.8 to 21 (and Node 12 without ?? and ?.) parse these; a newer construct would make them crash instead
    const root = join(import.meta.dirname, '..');
    for (const file of ['bin/habitat.mjs', 'bin/nodeVersion.mjs', 'scripts/test.mjs']) {
      const source = readFileSync(join(root, file), 'utf8').replace(/^#!.*\n/, '');
      const tree = parse(source, { ecmaVersion: 2020, sourceType: 'module' }); // throws on top-level await
      const modern: string[] = [];
      const visit = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        const { type, operator } = node as { type?: string; operator?: string };
        if (type === 'ChainExpression' || (type === 'LogicalExpression' && operator === '??')) {
          modern.push(`${file}: ${type === 'ChainExpression' ? '?.' : '??'}`);
        }
        for (const value of Object.values(node)) visit(value);
      };
      visit(tree);
      expect(modern).toEqual([]);
    }
  });

  it.skipIf(!olderNode())(
    'run by an older Node, habitat says which it needs and exits 2, as JSON with --json, instead of crashing',
    () => {
      const { node, version } = olderNode()!;
      const run = (args: string[]) => spawnSync(node, [bin, ...args], { encoding: 'utf8', timeout: 10_000 });
      const human = run(['ps']);
      expect(human.status).toBe(2);
      expect(human.stdout).toBe('');
      expect(human.stderr).toContain(
        `habitat: E_UNAVAILABLE: Habitat needs Node.js ${lowestNode(engines)} or newer, and this is ${version}`,
      );
      expect(human.stderr).toContain('scripts/ensure-node.sh');
      const json = run(['--json', 'serve', '--port', '0']);
      expect(json.status).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({
        error: { code: 'E_UNAVAILABLE', details: { node: version, needs: lowestNode(engines) } },
      });
      // a --json after `--` is the command's, not the CLI's
      const theirs = run(['exec', '1', '--', 'tool', '--json']);
      expect(theirs.status).toBe(2);
      expect(theirs.stdout).toBe('');
      expect(theirs.stderr).toContain('E_UNAVAILABLE');
    },
  );

  it.skipIf(!olderNode())(
    'npm test, run by an older Node, says so before it runs anything, and fails',
    () => {
      const { node, version } = olderNode()!;
      const dir = tempDir();
      try {
        const run = spawnSync(node, [join(import.meta.dirname, '..', 'scripts', 'test.mjs')], {
          cwd: dir.path,
          encoding: 'utf8',
          timeout: 10_000,
        });
        expect(run.status).toBe(2);
        expect(run.stderr).toContain(
          `npm test: Habitat needs Node.js ${lowestNode(engines)} or newer, and this is ${version}`,
        );
        expect(run.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed'); // the summary line CI reads
        expect(readdirSync(dir.path)).toEqual([]); // nothing ran: not even its results folder was made
      } finally {
        dir.cleanup();
      }
    },
  );
});
