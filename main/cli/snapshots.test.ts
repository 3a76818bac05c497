import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servedCli } from '../../test/servedCli.js';
import { EXIT } from './program.js';

// The snapshot, share, msg and plugins verbs, run as real subprocesses against a real headless host.
const SAMPLE = new URL('../../resources/plugins/word-count', import.meta.url).pathname;

describe('habitat CLI: snapshots, workspaces, messages and plugins', () => {
  const { run, json, dir } = servedCli();

  it('snapshot create, ls, restore, fork, export, import and rm', async () => {
    const pid = (await json(['spawn', '--name', 'saved'])).pid as number;
    await json(['exec', String(pid), '--', 'sh', '-c', 'echo kept > Documents/kept.txt']);
    const created = await run(['snapshot', 'create', String(pid), '--label', 'first']);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    const id = /^(snap-[a-z0-9]+):/.exec(created.stdout)?.[1];
    expect(id).toBeTruthy();
    expect(created.stderr).toContain('[create]');

    const table = await run(['snapshot', 'ls']);
    expect(table.stdout).toMatch(/^ID\s+PID\s+NAME/);
    expect(table.stdout).toContain(`${id}  ${pid}`);
    expect(table.stdout).toMatch(/store: .* on disk/);

    const restored = await json(['snapshot', 'restore', id!, '--name', 'again']);
    expect(restored.process).toMatchObject({ name: 'again', state: 'running' });
    const cat = await run(['exec', String(restored.process.pid), '--', 'cat', 'Documents/kept.txt']);
    expect(cat.stdout).toBe('kept\n');
    const fork = await json(['snapshot', 'fork', String(pid)]);
    expect(fork.process.name).toBe('saved-fork');
    expect(fork.info.label).toBe(`fork of ${pid}`);

    const file = join(dir.path, 'saved.tar.gz');
    const exported = await json(['snapshot', 'export', id!, file, '--gzip']);
    expect(exported.bytes).toBeGreaterThan(0);
    expect(existsSync(file)).toBe(true);
    // onto an existing file: refused in the CLI's own words, unless --force
    const again = await run(['snapshot', 'export', id!, file, '--gzip']);
    expect(again.code).toBe(EXIT.error);
    expect(again.stderr).toContain(`E_CONFLICT: ${file} already exists: export with --force`);
    expect(again.stderr).not.toMatch(/\(overwrite to replace/);
    const forced = await json(['snapshot', 'export', id!, file, '--gzip', '--force']);
    expect(forced.bytes).toBeGreaterThan(0);
    expect((await json(['snapshot', 'rm', id!])).id).toBe(id);
    expect((await json(['snapshot', 'import', file])).id).toBe(id);
    const missing = await run(['snapshot', 'restore', 'snap-nothere1']);
    expect(missing.code).toBe(EXIT.error);
    expect(missing.stderr).toContain('E_NOT_FOUND');
  }, 120_000);

  it('spawn --checkpoints, snapshot checkpoints, ls --pid and rollback', async () => {
    const refused = await run(['spawn', '--checkpoints']);
    expect(refused.code).toBe(EXIT.error);
    expect(refused.stderr).toContain('E_INVALID');

    // a goal agent: a checkpoint after each of its two steps, listed as such
    const goal = "write 'a' to x.txt, then write 'b' to x.txt";
    const agent = (await json(['spawn', '--goal', goal, '--checkpoints', '3', '--approval', 'never']))
      .pid as number;
    const state = async () =>
      ((await json(['ps', '--all'])) as { pid: number; state: string }[]).find((p) => p.pid === agent)?.state;
    for (let tries = 0; (await state()) !== 'zombie' && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const table = await run(['snapshot', 'ls', '--pid', String(agent)]);
    expect(table.stdout).toMatch(/^ID\s+PID\s+NAME\s+KIND/);
    expect(table.stdout.match(/ checkpoint /g)).toHaveLength(2);
    expect(table.stdout).toMatch(/step 1\n.*step 2\n/);
    expect((await run(['snapshot', 'checkpoints', String(agent)])).stdout).toBe(
      `${agent}: a checkpoint after every step, the last 3 kept\n`,
    );

    // a shell agent goes back to its snapshot, in place
    const pid = (await json(['spawn'])).pid as number;
    await json(['exec', String(pid), '--', 'sh', '-c', 'echo good > Documents/state.txt']);
    const id = (await json(['snapshot', 'create', String(pid)])).id as string;
    await json(['exec', String(pid), '--', 'sh', '-c', 'echo bad > Documents/state.txt']);
    const back = await run(['snapshot', 'rollback', String(pid), id]);
    expect(back.code, back.stderr).toBe(EXIT.ok);
    expect(back.stdout).toMatch(new RegExp(`^${pid} went back to ${id} in `));
    expect((await run(['exec', String(pid), '--', 'cat', 'Documents/state.txt'])).stdout).toBe('good\n');
    const other = await run(['snapshot', 'rollback', String(agent), id]);
    expect(other.code).toBe(EXIT.error);
    expect(other.stderr).toMatch(/E_CONFLICT|E_DENIED/);
    const noGoal = await run(['snapshot', 'checkpoints', String(pid), 'on']);
    expect(noGoal.stderr).toContain('E_INVALID');
  }, 120_000);

  it('share create, grant, mount, ls and rm; spawn --share', async () => {
    await json(['share', 'create', 'docs']);
    const writer = (await json(['spawn', '--share', 'docs:rw'])).pid as number;
    const reader = (await json(['spawn'])).pid as number;
    const denied = await run(['share', 'mount', 'docs', String(reader), '--ro']);
    expect(denied.code).toBe(EXIT.error);
    expect(denied.stderr).toContain('E_DENIED');
    await json(['share', 'grant', 'docs', String(reader), '--mode', 'ro']);
    expect((await json(['share', 'mount', 'docs', String(reader), '--ro'])).target).toBe(
      '/home/agent/shared/docs',
    );
    await run(['exec', String(writer), '--', 'sh', '-c', 'echo shared > shared/docs/a.txt']);
    expect((await run(['exec', String(reader), '--', 'cat', 'shared/docs/a.txt'])).stdout).toBe('shared\n');
    const ro = await run(['exec', String(reader), '--', 'touch', 'shared/docs/b']);
    expect(ro.stderr).toMatch(/Read-only file system/);
    const listed = await run(['share', 'ls']);
    expect(listed.stdout).toMatch(
      new RegExp(`^docs\\s+user\\s+${reader}:ro\\s+${writer}:rw,${reader}:ro`, 'm'),
    );
    expect((await run(['share', 'rm', 'docs'])).code).toBe(EXIT.error); // mounted
    expect((await json(['share', 'rm', 'docs', '--force'])).name).toBe('docs');
  }, 120_000);

  it('msg send, broadcast, check and ack', async () => {
    const a = (await json(['spawn'])).pid as number;
    const b = (await json(['spawn'])).pid as number;
    const sent = await json(['msg', 'send', String(b), 'hello b', '--from', String(a), '--subject', 'hi']);
    expect(sent).toMatchObject({ to: b, from: a, body: 'hello b' });
    const all = await json(['msg', 'broadcast', 'to everyone']);
    expect(all.map((m: { to: number }) => m.to)).toEqual(expect.arrayContaining([a, b]));
    const check = await run(['msg', 'check', String(b)]);
    expect(check.stdout).toContain(`from ${a} "hi" (unread)`);
    expect(check.stdout).toContain('2 unread');
    expect(await json(['msg', 'ack', String(b), String(sent.id)])).toEqual({ acknowledged: 1, unread: 1 });
    expect(await json(['msg', 'ack', String(b), '--all'])).toEqual({ acknowledged: 1, unread: 0 });
    const big = await run(['msg', 'send', String(b), 'x'.repeat(70_000)]);
    expect(big.code).toBe(EXIT.error);
    expect(big.stderr).toContain('E_LIMIT');
  }, 120_000);

  it('plugins install, ls and run', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const installed = await run(['plugins', 'install', String(pid), SAMPLE]);
    expect(installed.stdout).toBe('word-count 1.0.0: count\n');
    const listed = await run(['plugins', 'ls', String(pid)]);
    expect(listed.stdout).toMatch(/^word-count\s+1\.0\.0\s+count\s+no\s+Count/m);
    const ran = await run(['plugins', 'run', String(pid), 'word-count', 'count', '{"text":"a b c"}']);
    expect(ran.code).toBe(EXIT.ok);
    expect(JSON.parse(ran.stdout)).toEqual({ lines: 1, words: 3, characters: 5 });
    const bad = await run(['plugins', 'run', String(pid), 'word-count', 'count', '{"text":1}']);
    expect(bad.code).toBe(EXIT.error);
    expect(bad.stderr).toContain('E_INVALID');
  }, 120_000);
});
