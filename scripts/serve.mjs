#!/usr/bin/env node
// npm run serve: `habitat serve` with the Node flags for a kernel host (see launch.mjs); arguments pass through.
import { runServe } from './launch.mjs';

runServe(process.argv.slice(2));
