import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { connect } from '../main/cli/connect.js';
import { EXIT } from '../main/cli/context.js';
import type { WebSocketClient } from '../shared/client/index.js';
import { AgentEventSchema, type AgentEvent } from '../shared/protocol/index.js';
import { tempDir } from './helpers.js';
import { startServe } from './servedHost.js';

/** The CLI from its sources, through tsx. */
export const CLI = ['--import', 'tsx', join(import.meta.dirname, '..', 'main', 'cli', 'index.ts')];

export type CliRun = { code: number | null; stdout: string; stderr: string };

/**
 * For a vitest suite: a served host (`habitat serve` with this environment) started before its tests and stopped
 * after, the CLI pointed at it, and every agent event it streams, collected over one WebSocket.
 */
export function servedAgents(env: NodeJS.ProcessEnv) {
  const dir = tempDir('habitat-agent-runs-');
  const dataDir = join(dir.path, 'data');
  let server: ChildProcess;
  let client: WebSocketClient;
  const events: AgentEvent[] = [];

  const run = (args: string[]): Promise<CliRun> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [...CLI, '--data-dir', dataDir, ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.stdin.end();
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const json = async (args: string[]) => {
    const result = await run(['--json', ...args]);
    expect(result.code, result.stderr + result.stdout).toBe(EXIT.ok);
    return JSON.parse(result.stdout);
  };
  const of = (pid: number) => events.filter((e) => e.pid === pid);
  const home = (pid: number) => join(dataDir, 'homes', String(pid));

  beforeAll(async () => {
    server = (await startServe(CLI, dataDir, 'pipe', env)).child;
    client = await connect({ dataDir });
    // every agent's events: agent.event.<pid> for any pid
    client.subscribe('agent.*', (payload, topic) => {
      if (topic.startsWith('agent.event.')) events.push(AgentEventSchema.parse(payload));
    });
  });
  afterAll(async () => {
    client?.close();
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    dir.cleanup();
  });
  return { run, json, of, home, events, client: () => client };
}
