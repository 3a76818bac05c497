import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn as spawnPty } from 'node-pty';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers.js';
import { CLI, servedCli } from '../../test/servedCli.js';
import { EXIT } from './program.js';

// The agent verbs of the CLI, run as real subprocesses against a real headless host.
describe('habitat CLI: agents, terminals and files', () => {
  const { run, json, dataDir, dir } = servedCli();

  it('spawn, ps (human and --json), kill with signals', async () => {
    const spawned = await run(['spawn', '--name', 'worker']);
    expect(spawned.code).toBe(EXIT.ok);
    const pid = Number(spawned.stdout.trim());
    expect(pid).toBeGreaterThan(0);

    const table = await run(['ps']);
    expect(table.stdout.split('\n')[0]).toMatch(/^PID\s+PPID\s+NAME\s+STATE\s+PHASE\s+SANDBOX\s+OS PID/);
    expect(table.stdout).toMatch(new RegExp(`^${pid}\\s+-\\s+worker\\s+running\\s+waiting\\s+host/`, 'm'));

    const listed = await json(['ps']);
    const mine = listed.find((p: { pid: number }) => p.pid === pid);
    expect(mine.sandbox.osPid).toBeGreaterThan(0);

    expect((await json(['kill', '-s', 'STOP', String(pid)])).state).toBe('stopped');
    expect((await json(['kill', '-s', 'SIGCONT', String(pid)])).state).toBe('running');
    const bad = await run(['kill', '-s', 'HUP', String(pid)]);
    expect(bad.code).toBe(EXIT.usage); // checked by the CLI, before it connects
    expect(bad.stderr).toContain('unknown signal');
    const unknown = await run(['kill', '999']);
    expect(unknown.code).toBe(EXIT.error);
    expect(unknown.stderr).toContain('E_NOT_FOUND');

    expect((await run(['kill', '-s', 'KILL', String(pid)])).code).toBe(EXIT.ok);
    await waitFor(() => true);
    const all = await json(['ps', '--all']);
    expect(['zombie', 'running']).toContain(all.find((p: { pid: number }) => p.pid === pid).state);
  });

  it("exec prints the command's output and exits with its code", async () => {
    const pid = (await json(['spawn'])).pid;
    const result = await run(['exec', String(pid), '--', 'sh', '-c', 'echo out; echo err >&2; exit 5']);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
    expect(result.code).toBe(5);
    const asJson = await run(['--json', 'exec', String(pid), '--', 'true']);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ exitCode: 0, timedOut: false });
  });

  it('fs put, ls, cat and get go through the home, and refuse escapes', async () => {
    const pid = (await json(['spawn'])).pid;
    const local = join(dir.path, 'upload.bin');
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    writeFileSync(local, bytes);
    expect((await run(['fs', 'put', String(pid), local, 'docs/upload.bin'])).code).toBe(EXIT.ok);
    const listing = await json(['fs', 'ls', String(pid), 'docs']);
    expect(listing.entries.map((e: { name: string }) => e.name)).toEqual(['upload.bin']);
    const out = join(dir.path, 'download.bin');
    expect((await run(['fs', 'get', String(pid), 'docs/upload.bin', out])).code).toBe(EXIT.ok);
    expect(readFileSync(out).equals(bytes)).toBe(true);
    expect((await run(['fs', 'put', String(pid), '-', 'note.txt'], 'from stdin\n')).code).toBe(EXIT.ok);
    expect((await run(['fs', 'cat', String(pid), 'note.txt'])).stdout).toBe('from stdin\n');
    const escape = await run(['fs', 'cat', String(pid), '../../../etc/hostname']);
    expect(escape.code).toBe(EXIT.error);
    expect(escape.stderr).toContain('E_DENIED');
  });

  it('logs prints the lifecycle, and -f follows new entries', async () => {
    const pid = (await json(['spawn'])).pid;
    const follower = spawn(process.execPath, [...CLI, '--data-dir', dataDir, 'logs', '-f', String(pid)]);
    let followed = '';
    follower.stdout.on('data', (c) => (followed += c));
    await waitFor(() => followed.includes('process.started'), 10_000, 'history');
    await run(['exec', String(pid), '--', 'true']);
    await waitFor(() => followed.includes('process.exec.result'), 10_000, 'a followed entry');
    const exited = new Promise((r) => follower.once('exit', r));
    follower.kill('SIGINT');
    expect(await exited).toBe(0);
    const history = await run(['logs', String(pid)]);
    expect(history.stdout).toMatch(/process\.started[\s\S]*process\.exec[\s\S]*process\.exec\.result/);
  });

  /** `habitat attach PID` in a real terminal around the CLI, as a person would have, once the agent's prompt shows. */
  async function attachInTerminal(pid: number) {
    const term = spawnPty(process.execPath, [...CLI, '--data-dir', dataDir, 'attach', String(pid)], {
      cols: 100,
      rows: 30,
      env: process.env as Record<string, string>,
    });
    let output = '';
    term.onData((d) => (output += d));
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    await waitFor(() => /agent@\d+/.test(output), 15_000, 'the prompt');
    return { term, screen: () => output, exited };
  }

  it('attach gives an interactive terminal in raw mode, with resize, and Ctrl-] detaches', async () => {
    const pid = (await json(['spawn'])).pid;
    const { term, screen, exited } = await attachInTerminal(pid);
    term.write('echo typed-$((6*7))\r');
    await waitFor(() => screen().includes('typed-42'), 10_000, 'the command output');
    term.write('stty size\r');
    await waitFor(() => screen().includes('30 100'), 10_000, 'the size');
    term.resize(120, 40);
    await new Promise((r) => setTimeout(r, 300));
    term.write('stty size\r');
    await waitFor(() => screen().includes('40 120'), 10_000, 'the new size');
    term.write('\x1d');
    expect(await exited).toBe(0);
    expect(screen()).toContain(`[detached from ${pid}]`);
  });

  it('attach ends with the code a shell would give when the agent is killed: 128 + the signal', async () => {
    const pid = (await json(['spawn'])).pid;
    const { exited } = await attachInTerminal(pid);
    await run(['kill', '-s', 'KILL', String(pid)]);
    expect(await exited).toBe(137);
    const record = async (): Promise<{ state: string; exitCode: number | null }> =>
      (await json(['ps', '--all'])).find((p: { pid: number }) => p.pid === pid);
    let ended = await record();
    for (let tries = 0; ended.state !== 'zombie' && tries < 50; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      ended = await record();
    }
    expect(ended).toMatchObject({ state: 'zombie', exitCode: 137 });
  });
});
