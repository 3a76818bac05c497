#!/usr/bin/env node
// The `habitat` command. The CLI is built with the app (npm run build) into out/main/cli.js.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runningNodeProblem } from './nodeVersion.mjs';

const problem = runningNodeProblem();
if (problem) {
  const message = `${problem.message} (on Debian or Ubuntu, \`eval "$(bash scripts/ensure-node.sh)"\` in the Habitat folder provides it)`;
  const error = { code: 'E_UNAVAILABLE', message, details: { node: problem.have, needs: problem.needs } };
  // as the CLI reports any error: JSON on stdout with --json, else a line on stderr; exit 2, as for a usage error
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error })}\n`);
  else process.stderr.write(`habitat: ${error.code}: ${message}\n`);
  process.exit(2);
}

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(
    'habitat: the CLI is not built yet: run `npm run build` in the Habitat folder first\n',
  );
  process.exit(3);
}
await import(cli);
