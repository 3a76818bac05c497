#!/usr/bin/env node
// Electronegativity (Doyensec's Electron security scanner) over the built app (out/): any finding of medium severity
// or above fails, unless it is listed below with the reason it does not apply. Run after `electron-vite build`.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const scanner = require('@doyensec/electronegativity');
const run = scanner.default ?? scanner;

/** Findings that were reviewed and do not apply, each with why. Keyed by check id. */
const REVIEWED = {
  OPEN_EXTERNAL_JS_CHECK:
    'shell.openExternal is called in one place, openAllowedExternal (main/shell/externalLinks.ts), after ' +
    'isAllowedExternal: https only, allow-listed hosts, no credentials or ports (main/shell/shell.test.ts)',
  PRELOAD_JS_CHECK:
    'the preload (preload/index.ts) exposes window.habitat only: the typed bridge client built by createPreloadApi ' +
    '(one function per protocol command, subscribe, connection state; preload/api.test.ts pins that list); it ' +
    'never exposes ipcRenderer or Node, and runs with sandbox and contextIsolation on',
};

const SEVERE = new Set(['MEDIUM', 'HIGH', 'CRITICAL']);
const result = await run({
  input: process.argv[2] ?? 'out',
  severitySet: 'informational',
  confidenceSet: 'tentative',
  isRelative: true,
  // the scanner would otherwise ask the internet for Electron's releases
  electronVersionOverride: require('electron/package.json').version,
});

let blocking = 0;
for (const issue of result.issues) {
  const severity = String(issue.severity?.name ?? issue.severity).toUpperCase();
  const where = `${issue.file}:${issue.location?.line ?? 0}`;
  const reason = REVIEWED[issue.id];
  if (!SEVERE.has(severity)) continue;
  if (reason) {
    console.log(`reviewed  ${issue.id} (${severity}) ${where}: ${reason}`);
    continue;
  }
  blocking++;
  console.log(`FINDING   ${issue.id} (${severity}) ${where}: ${issue.description}`);
}
for (const error of result.errors.filter((e) => !e.tolerable)) {
  blocking++;
  console.log(`ERROR     ${error.file}: ${error.message}`);
}
console.log(`electronegativity: ${result.issues.length} findings, ${blocking} blocking`);
process.exit(blocking > 0 ? 1 : 0);
