#!/usr/bin/env node
// npm start: the desktop app where the Electron binary is present (or can be fetched); otherwise the same UI served
// headless, with a one-line explanation.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { run, runServe } from './launch.mjs';

const require = createRequire(import.meta.url);

function electronBinary() {
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return undefined;
  }
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) {
    // Electron 45+ downloads its binary on first use; give it a bounded chance.
    const fetch = spawnSync(process.execPath, [join(dir, 'install.js')], {
      stdio: 'ignore',
      timeout: 120_000,
    });
    if (fetch.status !== 0 || !existsSync(pathFile)) return undefined;
  }
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

const binary = electronBinary();
if (binary) {
  run(binary, ['.', ...process.argv.slice(2)]);
} else {
  process.stdout.write(
    'Electron binary not available on this machine: serving the same UI headless instead.\n',
  );
  runServe(process.argv.slice(2));
}
