import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import WebSocket from 'ws';
import { WS_SUBPROTOCOL, WS_TOKEN_PREFIX } from '../shared/protocol/index.js';

/** A temporary data folder, removed by the returned cleanup. */
export function tempDir(prefix = 'habitat-test-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface RawOptions {
  token?: string | undefined;
  origin?: string;
  protocols?: string[];
}

/** A raw ws client for attacks and wire-level checks: no client library between the test and the host. */
export function rawSocket(url: string, options: RawOptions = {}): WebSocket {
  const protocols = options.protocols ?? [
    WS_SUBPROTOCOL,
    ...(options.token === undefined ? [] : [`${WS_TOKEN_PREFIX}${options.token}`]),
  ];
  return new WebSocket(url, protocols, {
    perMessageDeflate: false,
    ...(options.origin ? { origin: options.origin } : {}),
  });
}

/** Resolves when open, or rejects with the HTTP status of a refused upgrade. */
export function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

export function nextMessage(ws: WebSocket): Promise<unknown> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(data.toString()))));
}

export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

export async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Runs a TypeScript script in its own Node process (a kernel to crash), waits for its first line of output, then
 * kills it with SIGKILL (a real crash: nothing of it reacts afterwards) and returns that line.
 */
export async function firstLineThenKill(script: string, args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    return await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before printing`)));
    });
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  }
}
