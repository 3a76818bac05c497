#!/usr/bin/env node
// npm run serve: `habitat serve` with the Node flags for a kernel host (see launch.mjs); arguments pass through.
import { join } from 'node:path';
import { hostNodeFlags, run } from './launch.mjs';

run(process.execPath, [
  ...hostNodeFlags(),
  join(import.meta.dirname, '..', 'bin', 'habitat.mjs'),
  'serve',
  ...process.argv.slice(2),
]);
