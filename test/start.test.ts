import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostNodeFlags } from '../scripts/launch.mjs';
import { tempDir, waitFor } from './helpers.js';

const root = join(import.meta.dirname, '..');
const electronPresent = existsSync(join(root, 'node_modules', 'electron', 'path.txt'));

// Where the Electron binary cannot be had, `npm start` must say so in one line and serve the same UI headless.
describe.skipIf(electronPresent)('npm start without the Electron binary', () => {
  it('explains in one line, then serves headless and prints the URL', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [join(root, 'scripts', 'start.mjs'), '--port', '0'], {
      env: { ...process.env, HABITAT_HOME: dir.path },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    try {
      await waitFor(() => out.includes('serving at'), 150_000, 'the headless URL');
      const lines = out.trim().split('\n');
      expect(lines[0]).toBe(
        'Electron binary not available on this machine: serving the same UI headless instead.',
      );
      expect(lines[1]).toMatch(/serving at http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
      // the host runs with a kernel host's Node flags for this machine (see scripts/launch.mjs)
      const host = readdirSync('/proc').find((name) => {
        if (!/^\d+$/.test(name)) return false;
        try {
          const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === child.pid;
        } catch {
          return false;
        }
      });
      const argv = readFileSync(`/proc/${host}/cmdline`, 'utf8').split('\0');
      expect(argv.filter((arg) => arg.startsWith('--'))).toEqual(expect.arrayContaining(hostNodeFlags()));
      expect(argv.includes('--single-threaded-gc')).toBe(hostNodeFlags().length > 0);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      dir.cleanup();
    }
  }, 180_000);
});
