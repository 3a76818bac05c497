import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { startServe, type ServeInfo } from '../test/servedHost.js';

export interface ServedHost extends ServeInfo {
  /** Runs the real `habitat` CLI against this host. */
  cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

const BIN = join(import.meta.dirname, '..', 'bin', 'habitat.mjs');

/** A headless host started the way a user starts it (the built CLI), on a free port, with a temporary data folder. */
export const test = base.extend<{ host: ServedHost }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from this pattern
  host: async ({}, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'habitat-e2e-'));
    const { child, info } = await startServe([BIN], dataDir, 'inherit');
    const cli: ServedHost['cli'] = (args) =>
      new Promise((resolve) => {
        const run = spawn(process.execPath, [BIN, '--data-dir', dataDir, ...args]);
        let stdout = '';
        let stderr = '';
        run.stdout.on('data', (c) => (stdout += c));
        run.stderr.on('data', (c) => (stderr += c));
        run.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    await use({ ...info, cli });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  },
});

export { expect } from '@playwright/test';
