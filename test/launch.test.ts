import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostNodeFlags } from '../scripts/launch.mjs';
import { tempDir, waitFor } from './helpers.js';

const root = join(import.meta.dirname, '..');

/** The processes whose parent is `ppid`, with their command lines. */
function children(ppid: number): { pid: number; argv: string[] }[] {
  return readdirSync('/proc').flatMap((name) => {
    if (!/^\d+$/.test(name)) return [];
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== ppid) return [];
      return [{ pid: Number(name), argv: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0') }];
    } catch {
      return []; // gone meanwhile
    }
  });
}

describe('the Node flags of a kernel host', () => {
  it('collect garbage single-threaded on one or two CPUs, else as V8 does; HABITAT_GC chooses', () => {
    expect(hostNodeFlags({}, 1)).toEqual(['--single-threaded-gc']);
    expect(hostNodeFlags({}, 2)).toEqual(['--single-threaded-gc']);
    expect(hostNodeFlags({}, 4)).toEqual([]);
    expect(hostNodeFlags({ HABITAT_GC: 'parallel' }, 2)).toEqual([]);
    expect(hostNodeFlags({ HABITAT_GC: 'single' }, 16)).toEqual(['--single-threaded-gc']);
    expect(hostNodeFlags({ HABITAT_GC: 'sometimes' }, 16)).toEqual([]); // not a choice: the machine decides
  });

  it.each([
    ['single', true],
    ['parallel', false],
  ])(
    'npm run serve (scripts/serve.mjs) starts the host with them (HABITAT_GC=%s), and ends it on SIGTERM',
    async (gc, single) => {
      const dir = tempDir();
      const launcher = spawn(process.execPath, [join(root, 'scripts', 'serve.mjs'), '--port', '0'], {
        env: { ...process.env, HABITAT_HOME: dir.path, HABITAT_GC: gc },
      });
      let out = '';
      launcher.stdout.on('data', (c) => (out += c));
      try {
        await waitFor(() => out.includes('serving at'), 60_000, 'the headless URL');
        const [host] = children(launcher.pid!);
        expect(host?.argv.includes('--single-threaded-gc')).toBe(single);
        expect(host?.argv.some((arg) => arg.endsWith(join('bin', 'habitat.mjs')))).toBe(true);
        const exited = new Promise<number | null>((resolve) => launcher.once('exit', resolve));
        launcher.kill('SIGTERM');
        expect(await exited).toBe(0);
        await waitFor(() => !existsProcess(host!.pid), 10_000, 'the host to end');
      } finally {
        launcher.kill('SIGKILL');
        dir.cleanup();
      }
    },
    90_000,
  );
});

function existsProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
