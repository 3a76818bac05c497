import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FS_MAX_READ_BYTES, WIRE_LIMITS } from '../../shared/protocol/index.js';
import { CLI, servedCli } from '../../test/servedCli.js';
import { FS_PART_BYTES } from './commands/files.js';
import { connect } from './connect.js';
import { EXIT } from './context.js';

// fs put, get and cat of files larger than one call or one message, as real subprocesses against a served host.
describe('habitat fs: large files go in parts', () => {
  const { run, json, dataDir, dir } = servedCli();

  /** Runs the CLI with a file or bytes on its stdin; its output as bytes. */
  const runBytes = (args: string[], input: Buffer | string = '') =>
    new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [...CLI, '--data-dir', dataDir, ...args]);
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c) => (stderr += c));
      child.stdin.end(input);
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    });

  const homeNames = async (pid: number, folder = '.'): Promise<string[]> =>
    (await json(['fs', 'ls', String(pid), folder])).entries.map((e: { name: string }) => e.name);

  it('put, get and cat a 20 MiB file byte for byte (over a message, and over one read)', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const bytes = randomBytes(20 * 1024 * 1024 + 123);
    expect(bytes.length).toBeGreaterThan(FS_MAX_READ_BYTES);
    const local = join(dir.path, 'big.bin');
    writeFileSync(local, bytes);

    const put = await run(['--json', 'fs', 'put', String(pid), local, 'data/big.bin']);
    expect(put.code, put.stderr).toBe(EXIT.ok);
    expect(JSON.parse(put.stdout)).toEqual({ path: 'data/big.bin', size: bytes.length });
    // in place under its name, no temporary part left beside it
    expect(await homeNames(pid, 'data')).toEqual(['big.bin']);
    const inside = await runBytes(['exec', String(pid), '--', 'md5sum', 'data/big.bin']);
    expect(inside.stdout.toString().split(' ')[0]).toBe(
      (await import('node:crypto')).createHash('md5').update(bytes).digest('hex'),
    );

    const out = join(dir.path, 'back.bin');
    const get = await run(['--json', 'fs', 'get', String(pid), 'data/big.bin', out]);
    expect(get.code, get.stderr).toBe(EXIT.ok);
    expect(JSON.parse(get.stdout)).toEqual({ path: out, size: bytes.length });
    expect(readFileSync(out).equals(bytes)).toBe(true);
    expect(readdirSync(dir.path).filter((n) => n.includes('habitat-part'))).toEqual([]);

    const cat = await runBytes(['fs', 'cat', String(pid), 'data/big.bin']);
    expect(cat.code).toBe(EXIT.ok);
    expect(cat.stdout.equals(bytes)).toBe(true);
  });

  it('get writes to standard output with -, through a link, over a file keeping its mode; interrupted, it leaves nothing', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const bytes = randomBytes(12 * 1024 * 1024);
    const local = join(dir.path, 'src-get.bin');
    writeFileSync(local, bytes);
    expect((await run(['fs', 'put', String(pid), local, 'g.bin'])).code).toBe(EXIT.ok);

    const dash = await runBytes(['fs', 'get', String(pid), 'g.bin', '-']);
    expect(dash.code, dash.stderr).toBe(EXIT.ok);
    expect(dash.stdout.equals(bytes)).toBe(true);

    // a link is written through, and stays a link
    const real = join(dir.path, 'real.bin');
    const link = join(dir.path, 'link.bin');
    writeFileSync(real, 'old');
    symlinkSync(real, link);
    expect((await run(['fs', 'get', String(pid), 'g.bin', link])).code).toBe(EXIT.ok);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real).equals(bytes)).toBe(true);

    // a file it replaces keeps its mode
    const executable = join(dir.path, 'tool.bin');
    writeFileSync(executable, 'old');
    chmodSync(executable, 0o755);
    expect((await run(['fs', 'get', String(pid), 'g.bin', executable])).code).toBe(EXIT.ok);
    expect(statSync(executable).mode & 0o777).toBe(0o755);
    expect(readFileSync(executable).equals(bytes)).toBe(true);

    // SIGINT mid-copy: the old file stays, no part is left
    const target = join(dir.path, 'kept.bin');
    writeFileSync(target, 'before');
    const child = spawn(process.execPath, [
      ...CLI,
      '--data-dir',
      dataDir,
      'fs',
      'get',
      String(pid),
      'g.bin',
      target,
    ]);
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
    const partLeft = () => readdirSync(dir.path).some((n) => n.startsWith('.kept.bin.habitat-part'));
    for (let i = 0; i < 200 && !partLeft(); i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    const code = await ended;
    // (a copy that finished first exits 0 and replaced it whole)
    if (code === 130) expect(readFileSync(target, 'utf8')).toBe('before');
    else expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(readdirSync(dir.path).filter((n) => n.includes('habitat-part'))).toEqual([]);
  });

  it('put from standard input in parts replaces a file atomically; a small one is one write', async () => {
    const pid = (await json(['spawn'])).pid as number;
    expect((await runBytes(['fs', 'put', String(pid), '-', 'note.txt'], 'old\n')).code).toBe(EXIT.ok);
    const bytes = randomBytes(9 * 1024 * 1024);
    const put = await runBytes(['fs', 'put', String(pid), '-', 'note.txt'], bytes);
    expect(put.code, put.stderr).toBe(EXIT.ok);
    expect((await runBytes(['fs', 'cat', String(pid), 'note.txt'])).stdout.equals(bytes)).toBe(true);
    expect(await homeNames(pid)).not.toContainEqual(expect.stringMatching(/^\.habitat-tmp-/));
    const empty = await runBytes(['fs', 'put', String(pid), '-', 'empty.txt'], '');
    expect(empty.code).toBe(EXIT.ok);
    expect((await runBytes(['fs', 'cat', String(pid), 'empty.txt'])).stdout.length).toBe(0);
  });

  it("put keeps the local file's permission bits, in one write and in parts; from standard input, those it replaces", async () => {
    const pid = (await json(['spawn'])).pid as number;
    const modeInHome = (path: string) => statSync(join(dataDir, 'homes', String(pid), path)).mode & 0o7777;
    const local = (name: string, size: number, mode: number) => {
      const path = join(dir.path, name);
      writeFileSync(path, randomBytes(size));
      chmodSync(path, mode);
      return path;
    };
    const put = async (from: string, to: string, input?: Buffer) => {
      const result = await runBytes(['fs', 'put', String(pid), from, to], input);
      expect(result.code, result.stderr).toBe(EXIT.ok);
    };
    const small = local('tool.sh', 100, 0o755);
    const large = local('tool.bin', FS_PART_BYTES + 1, 0o750);
    const readOnly = local('frozen.bin', FS_PART_BYTES + 1, 0o444); // its parts are still appended
    await put(small, 'bin/tool.sh');
    await put(large, 'bin/tool.bin');
    await put(readOnly, 'bin/frozen.bin');
    expect([modeInHome('bin/tool.sh'), modeInHome('bin/tool.bin'), modeInHome('bin/frozen.bin')]).toEqual([
      0o755, 0o750, 0o444,
    ]);
    // over a file of another mode, the local file's mode wins
    chmodSync(small, 0o700);
    chmodSync(large, 0o640);
    await put(small, 'bin/tool.sh');
    await put(large, 'bin/tool.bin');
    expect([modeInHome('bin/tool.sh'), modeInHome('bin/tool.bin')]).toEqual([0o700, 0o640]);
    expect(
      readFileSync(join(dataDir, 'homes', String(pid), 'bin/tool.bin')).equals(readFileSync(large)),
    ).toBe(true);
    // standard input has no mode: a put keeps the mode of the file it replaces, or makes it 0644
    await put('-', 'bin/tool.sh', Buffer.from('small'));
    await put('-', 'bin/tool.bin', randomBytes(FS_PART_BYTES + 1));
    await put('-', 'bin/new.bin', randomBytes(FS_PART_BYTES + 1));
    expect([modeInHome('bin/tool.sh'), modeInHome('bin/tool.bin'), modeInHome('bin/new.bin')]).toEqual([
      0o700, 0o640, 0o644,
    ]);
  }, 120_000); // eight runs of the CLI

  it('a failed put leaves neither the destination changed nor a temporary part', async () => {
    const pid = (await json(['spawn'])).pid as number;
    await runBytes(['exec', String(pid), '--', 'mkdir', '-p', 'target/inside']);
    const local = join(dir.path, 'nine.bin');
    writeFileSync(local, randomBytes(9 * 1024 * 1024));
    const refused = await run(['fs', 'put', String(pid), local, 'target']); // a folder: not replaced by a file
    expect(refused.code).toBe(EXIT.error);
    expect(await homeNames(pid)).toEqual(expect.arrayContaining(['target']));
    expect(await homeNames(pid)).not.toContainEqual(expect.stringMatching(/^\.habitat-tmp-/));
    expect(await homeNames(pid, 'target')).toEqual(['inside']);
  });

  it('a put killed mid-way leaves no part file once its connection is gone; a put of another connection goes on', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const folder = join(dataDir, 'homes', String(pid), 'Downloads');
    const othersPart = 'Downloads/.habitat-tmp-0123456789abcdef';
    const killedParts = () =>
      readdirSync(folder).filter((n) => n.startsWith('.habitat-tmp-') && `Downloads/${n}` !== othersPart);
    const other = await connect({ dataDir });
    try {
      await other.call('fs.write', { pid, path: othersPart, content: 'first ' });
      const child = spawn(process.execPath, [
        ...CLI,
        '--data-dir',
        dataDir,
        'fs',
        'put',
        String(pid),
        '-',
        'Downloads/big.bin',
      ]);
      const ended = new Promise((resolve) => child.on('close', resolve));
      child.stdin.on('error', () => undefined);
      // two parts and a byte: the CLI writes two parts, then waits for the rest of its input, which never comes
      child.stdin.write(randomBytes(2 * FS_PART_BYTES + 1));
      await vi.waitFor(
        () => {
          const [part] = killedParts();
          expect(part && statSync(join(folder, part)).size).toBe(2 * FS_PART_BYTES);
        },
        { timeout: 15_000, interval: 20 },
      );
      child.kill('SIGKILL'); // no cleanup of its own: the host sees the connection close
      await ended;
      await vi.waitFor(() => expect(killedParts()).toEqual([]), { timeout: 5000, interval: 20 });
      expect(readdirSync(folder)).not.toContain('big.bin');

      await other.call('fs.write', { pid, path: othersPart, content: 'second', append: true });
      await other.call('fs.move', { pid, from: othersPart, to: 'Downloads/other.txt' });
      expect((await other.call('fs.read', { pid, path: 'Downloads/other.txt' })).content).toBe(
        'first second',
      );
    } finally {
      other.close();
    }
  });

  it('get removes the part a killed get of its target left, never one still written; SIGHUP removes its own', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const bytes = randomBytes(3 * FS_PART_BYTES);
    const local = join(dir.path, 'src-swept.bin');
    writeFileSync(local, bytes);
    expect((await run(['fs', 'put', String(pid), local, 'h.bin'])).code).toBe(EXIT.ok);

    const gone = spawnSync('true').pid!; // a CLI that no longer runs
    const hourAgo = new Date(Date.now() - 3600_000);
    const part = (name: string, old: boolean) => {
      writeFileSync(join(dir.path, name), 'partial');
      if (old) utimesSync(join(dir.path, name), hourAgo, hourAgo);
      return name;
    };
    part(`.swept.bin.habitat-part-${gone}-0000000a`, true); // killed: removed
    const kept = [
      part(`.swept.bin.habitat-part-${process.pid}-0000000b`, true), // its CLI still runs
      part(`.swept.bin.habitat-part-${gone}-0000000c`, false), // written to a moment ago
      part(`.other.bin.habitat-part-${gone}-0000000d`, true), // another target's
    ];
    const target = join(dir.path, 'swept.bin');
    expect((await run(['fs', 'get', String(pid), 'h.bin', target])).code).toBe(EXIT.ok);
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(
      readdirSync(dir.path)
        .filter((n) => n.includes('.habitat-part-'))
        .sort(),
    ).toEqual(kept.sort());
    kept.forEach((name) => unlinkSync(join(dir.path, name)));

    // a closed terminal (SIGHUP) mid-copy: the old file stays, no part is left
    writeFileSync(target, 'before');
    const child = spawn(process.execPath, [
      ...CLI,
      '--data-dir',
      dataDir,
      'fs',
      'get',
      String(pid),
      'h.bin',
      target,
    ]);
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
    const partLeft = () => readdirSync(dir.path).some((n) => n.startsWith('.swept.bin.habitat-part-'));
    for (let i = 0; i < 1000 && !partLeft(); i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGHUP');
    const code = await ended;
    if (code === 129) expect(readFileSync(target, 'utf8')).toBe('before');
    else expect(readFileSync(target).equals(bytes)).toBe(true); // (it finished first)
    expect(readdirSync(dir.path).filter((n) => n.includes('habitat-part'))).toEqual([]);
  }, 60_000);

  it('get of a missing file fails and leaves nothing behind', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const out = join(dir.path, 'never.bin');
    const missing = await run(['fs', 'get', String(pid), 'nope.bin', out]);
    expect(missing.code).toBe(EXIT.error);
    expect(missing.stderr).toContain('E_NOT_FOUND');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir.path).filter((n) => n.includes('habitat-part'))).toEqual([]);
  });

  it('fs.write append adds to a file, and refuses a link', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const client = await connect({ dataDir });
    try {
      await client.call('fs.write', { pid, path: 'log.txt', content: 'a' });
      await client.call('fs.write', { pid, path: 'log.txt', content: 'b', append: true });
      const entry = await client.call('fs.write', { pid, path: 'new.txt', content: 'c', append: true });
      expect(entry.size).toBe(1);
      expect((await client.call('fs.read', { pid, path: 'log.txt' })).content).toBe('ab');
      await runBytes(['exec', String(pid), '--', 'ln', '-s', '/etc/hostname', 'link']);
      await expect(
        client.call('fs.write', { pid, path: 'link', content: 'x', append: true }),
      ).rejects.toMatchObject({ code: 'E_DENIED' });
    } finally {
      client.close();
    }
  });

  it('a call over the message limit fails alone with E_LIMIT; the connection keeps working', async () => {
    const client = await connect({ dataDir });
    try {
      const closed: string[] = [];
      client.onConnectionChange((state) => closed.push(state));
      const nonce = 'x'.repeat(WIRE_LIMITS.maxMessageBytes + 1);
      await expect(client.call('system.ping', { nonce })).rejects.toMatchObject({
        code: 'E_LIMIT',
        message: expect.stringContaining('system.ping'),
      });
      expect((await client.call('system.ping', { nonce: 'after' })).nonce).toBe('after');
      expect(closed).toEqual([]);
    } finally {
      client.close();
    }
  });
});
