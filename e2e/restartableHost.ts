import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const BIN = join(import.meta.dirname, '..', 'bin', 'habitat.mjs');

/** A port free right now, for a host that must come back at the same address after a restart. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `habitat serve` on a fixed port and token, so that a restarted host is the same address to the page. */
export async function serveOn(dataDir: string, port: number, token: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [BIN, '--json', '--data-dir', dataDir, 'serve', '--port', String(port)],
    {
      env: { ...process.env, HABITAT_TOKEN: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`habitat serve exited with ${code}`)));
  });
  return child;
}

/** Stops it as a person does (SIGTERM) and waits until it has exited. */
export async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
