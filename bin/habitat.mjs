#!/usr/bin/env node
// The `habitat` command. The CLI is built with the app (npm run build) into out/main/cli.js.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(
    'habitat: the CLI is not built yet: run `npm run build` in the Habitat folder first\n',
  );
  process.exit(3);
}
await import(cli);
