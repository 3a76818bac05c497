#!/usr/bin/env node
// The `habitat` command. The CLI is built with the app (npm run build) into out/main/cli.js. This file stays plain
// enough for old Nodes to parse (no top-level await), so that they are told which Node to use (see nodeVersion.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENSURE_NODE_HINT, runningNodeProblem } from './nodeVersion.mjs';

const problem = runningNodeProblem();
const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (problem) {
  const message = `${problem.message} (${ENSURE_NODE_HINT})`;
  const error = { code: 'E_UNAVAILABLE', message, details: { node: problem.have, needs: problem.needs } };
  // as the CLI reports any error: JSON on stdout with --json (a global flag: before any `--`), else a line on
  // stderr; exit 2, as for a usage error. exitCode rather than exit(): the output is written out first.
  const end = process.argv.indexOf('--');
  const flags = end === -1 ? process.argv.slice(2) : process.argv.slice(2, end);
  if (flags.includes('--json')) process.stdout.write(`${JSON.stringify({ error })}\n`);
  else process.stderr.write(`habitat: ${error.code}: ${message}\n`);
  process.exitCode = 2;
} else if (!existsSync(cli)) {
  process.stderr.write(
    'habitat: the CLI is not built yet: run `npm run build` in the Habitat folder first\n',
  );
  process.exitCode = 3;
} else {
  import(cli).catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
