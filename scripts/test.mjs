#!/usr/bin/env node
// The one test command (npm test): static checks, the build, Vitest, then Playwright against the built app.
// Its last line is "N passed, N failed[, N skipped]", summed over Vitest and Playwright; it exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ENSURE_NODE_HINT, runningNodeProblem } from '../bin/nodeVersion.mjs';

// On an older Node the native modules crash tests one by one, minutes in: say so before anything runs. So that old
// Nodes parse this file and get the message, it has no top-level await, ?? or ?. (as bin/nodeVersion.mjs).
const problem = runningNodeProblem();
if (problem) {
  process.stderr.write(`npm test: ${problem.message} (${ENSURE_NODE_HINT})\n`);
  process.stdout.write('0 passed, 1 failed\n');
  process.exitCode = 2;
} else {
  runTests();
}

function runTests() {
  const results = 'test-results';
  rmSync(`${results}/vitest.json`, { force: true });
  rmSync(`${results}/e2e.json`, { force: true });
  mkdirSync(results, { recursive: true });

  const failures = [];
  function step(name, command, args, env = {}) {
    process.stdout.write(`\n=== ${name}: ${command} ${args.join(' ')}\n`);
    const run = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    if (run.status !== 0) failures.push(`${name} (exit ${run.status === null ? run.signal : run.status})`);
    return run.status === 0;
  }

  const npx = (args, env) => step(args[0], 'npx', ['--no-install', ...args], env);
  npx(['eslint', '.']);
  npx(['prettier', '--check', '.']);
  npx(['tsc', '-p', 'tsconfig.node.json', '--noEmit']);
  npx(['tsc', '-p', 'tsconfig.web.json', '--noEmit']);
  const built = npx(['electron-vite', 'build']);
  if (built) step('electronegativity', process.execPath, ['scripts/electronegativity.mjs', 'out']);
  npx(['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}/vitest.json`]);
  if (built) {
    npx(['playwright', 'test', '--reporter=list,json'], {
      PLAYWRIGHT_JSON_OUTPUT_FILE: `${results}/e2e.json`,
    });
  } else {
    failures.push('playwright (skipped: the build failed)');
  }

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (existsSync(`${results}/vitest.json`)) {
    const v = JSON.parse(readFileSync(`${results}/vitest.json`, 'utf8'));
    passed += v.numPassedTests;
    failed += v.numFailedTests;
    skipped += v.numPendingTests + (v.numTodoTests || 0);
  }
  if (existsSync(`${results}/e2e.json`)) {
    const p = JSON.parse(readFileSync(`${results}/e2e.json`, 'utf8'));
    passed += p.stats.expected + p.stats.flaky;
    failed += p.stats.unexpected;
    skipped += p.stats.skipped;
  }

  process.stdout.write('\n');
  for (const failure of failures) process.stdout.write(`failed step: ${failure}\n`);
  // A failed step that ran no test (lint, types, build) still fails the run, and counts once.
  const stepFailuresWithoutTests = failures.filter((f) => !/^(vitest|playwright) /.test(f)).length;
  failed += stepFailuresWithoutTests;
  if (passed + failed === 0) failed = 1;
  process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exit(failed > 0 || failures.length > 0 ? 1 : 0);
}
