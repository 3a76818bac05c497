import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** What `habitat serve --json` prints on its first line. */
export interface ServeInfo {
  url: string;
  wsUrl: string;
  port: number;
  token: string;
  dataDir: string;
  pid: number;
}

/**
 * Starts `habitat serve --json --port 0` as a real subprocess and waits for its first line. `cli` is the Node
 * arguments that run the CLI: the sources through tsx (unit tests) or the built bin (e2e, benchmarks). `env`
 * replaces the host's environment (provider keys, for instance); default this process's.
 */
export async function startServe(
  cli: string[],
  dataDir: string,
  stderr: 'pipe' | 'inherit' = 'pipe',
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; info: ServeInfo }> {
  const child = spawn(process.execPath, [...cli, '--json', '--data-dir', dataDir, 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', stderr],
    env,
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`habitat serve exited with ${code} (is the CLI built?)`)));
  });
  return { child, info: JSON.parse(line) as ServeInfo };
}
