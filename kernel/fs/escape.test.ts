// The path-escape suite: every attack must be refused (E_DENIED or E_INVALID) and nothing outside the home may be
// read, written, created or deleted. A sentinel folder outside the home is fingerprinted before and compared after.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHabitatError, type ErrorCode } from '../../shared/protocol/index.js';
import { AgentFs, type FsChange } from './index.js';
import { makeTestHome, sleep, type TestHome } from './testHome.js';

const SECRET = `TOP-SECRET-${randomBytes(12).toString('hex')}`;
const SECRET_B64 = Buffer.from(SECRET).toString('base64').slice(0, 16);

let t: TestHome;
let sentinel: string;
let outsideActivity: string;
let hardTarget: string;
let fingerprintBefore: string[];
let baseListingBefore: string[];
/** Set by a test to run between resolution steps (see ResolverHooks). */
let hook: ((components: readonly string[]) => Promise<void>) | undefined;
/** Everything any operation returned or threw: the secret must never appear in it. */
const observed: string[] = [];
let fsAuto: AgentFs;
let fsPortable: AgentFs;

/** Type, size, mode, mtime, content hash (or link target) of everything under a folder. */
async function fingerprint(root: string): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of await fsp.readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const stats = await fsp.lstat(path);
    const content = stats.isFile()
      ? createHash('sha256')
          .update(await fsp.readFile(path))
          .digest('hex')
      : stats.isSymbolicLink()
        ? await fsp.readlink(path)
        : '';
    lines.push([relative(root, path), stats.mode, stats.size, stats.mtimeMs, stats.nlink, content].join(' '));
  }
  return lines.sort();
}

async function attempt(run: () => Promise<unknown>): Promise<ErrorCode | 'ok'> {
  try {
    observed.push(JSON.stringify(await run()));
    return 'ok';
  } catch (error) {
    if (!isHabitatError(error)) throw error;
    observed.push(`${error.code} ${error.message}`);
    return error.code;
  }
}

beforeAll(async () => {
  t = await makeTestHome({
    hooks: { afterOpen: async (components) => hook?.(components) },
    watchDebounceMs: 20,
  });
  fsAuto = t.fs;
  fsPortable = new AgentFs({ root: t.home, resolution: 'portable' });
  const { base, home } = t;
  sentinel = join(base, 'sentinel');
  await fsp.mkdir(join(sentinel, 'inner/deeper'), { recursive: true });
  await fsp.writeFile(join(sentinel, 'secret.txt'), SECRET);
  await fsp.writeFile(
    join(sentinel, 'inner/data.bin'),
    Buffer.concat([Buffer.from(SECRET), randomBytes(256)]),
  );
  await fsp.writeFile(join(sentinel, 'inner/deeper/note.txt'), `note ${SECRET}`);
  outsideActivity = join(base, 'outside-activity');
  await fsp.mkdir(outsideActivity);
  hardTarget = join(base, 'hard-target.txt');
  await fsp.writeFile(hardTarget, 'content of a file outside, hard-linked in');

  const link = (target: string, path: string) => fsp.symlink(target, join(home, path));
  await link(join(sentinel, 'secret.txt'), 'ln-secret');
  await link(sentinel, 'ln-sentinel');
  await link('/', 'ln-root');
  await link('../../sentinel', 'ln-rel'); // home is <base>/homes/1
  await link('chain2', 'chain1');
  await link(sentinel, 'chain2');
  await link('Documents', 'ln-inside');
  await link('..', 'ln-up');
  await link(join(base, 'created-by-escape.txt'), 'ln-dangling');
  await link(sentinel, 'ln-victim');
  await link(sentinel, 'ln-move');
  await fsp.mkdir(join(home, 'Documents/deep'));
  await link(sentinel, 'Documents/deep/ln-sentinel');
  await fsp.mkdir(join(home, 'dir-with-link'));
  await fsp.writeFile(join(home, 'dir-with-link/ok.txt'), 'ok');
  await link(sentinel, 'dir-with-link/link');
  await fsp.writeFile(join(home, 'Documents/victim.txt'), 'victim');
  await fsp.link(hardTarget, join(home, 'hard'));

  fingerprintBefore = await fingerprint(sentinel);
  baseListingBefore = (await fsp.readdir(base)).sort();
});

afterAll(async () => {
  try {
    expect(await fingerprint(sentinel)).toEqual(fingerprintBefore);
    expect((await fsp.readdir(t.base)).sort()).toEqual(baseListingBefore);
    expect(await fsp.readFile(hardTarget, 'utf8')).toBe('content of a file outside, hard-linked in');
    const everything = observed.join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(SECRET_B64);
  } finally {
    fsPortable.close();
    await t.cleanup();
  }
});

type Attack = [name: string, run: (fs: AgentFs) => Promise<unknown>, expected: ErrorCode];
const D: ErrorCode = 'E_DENIED';
const I: ErrorCode = 'E_INVALID';

const attacks: Attack[] = [
  // '..' in many forms
  ['read ..', (fs) => fs.read('..'), D],
  ['read leading ../', (fs) => fs.read('../sentinel/secret.txt'), D],
  ['read ../../', (fs) => fs.read('../../sentinel/secret.txt'), D],
  ['read middle a/../../x', (fs) => fs.read('Documents/../../sentinel/secret.txt'), D],
  ['list trailing a/../..', (fs) => fs.list('Documents/../..'), D],
  ['read a/../../../etc/passwd', (fs) => fs.read('Documents/../../../etc/passwd'), D],
  ['read ./../x', (fs) => fs.read('./../sentinel/secret.txt'), D],
  ['read ~/../x', (fs) => fs.read('~/../sentinel/secret.txt'), D],
  ['list ~/..', (fs) => fs.list('~/..'), D],
  ['read ..//..//x', (fs) => fs.read('..//..//sentinel//secret.txt'), D],
  ['read .././.././x', (fs) => fs.read('.././.././sentinel/secret.txt'), D],
  ['read a deep climb', (fs) => fs.read(`Documents/deep/${'../'.repeat(50)}etc/passwd`), D],
  ['read a/b/../../../x', (fs) => fs.read('Documents/deep/../../../sentinel/secret.txt'), D],
  // absolute paths
  ['read /etc/passwd', (fs) => fs.read('/etc/passwd'), D],
  ['list /home/agent/../../etc', (fs) => fs.list('/home/agent/../../etc'), D],
  ['read //etc/passwd', (fs) => fs.read('//etc/passwd'), D],
  ['read the sentinel by absolute path', (fs) => fs.read(`${sentinel}/secret.txt`), D],
  ['read the home by absolute path', (fs) => fs.read(`${t.home}/README.md`), D],
  ['read a drive path', (fs) => fs.read('C:/Windows/win.ini'), D],
  ['stat /etc/passwd', (fs) => fs.stat('/etc/passwd'), D],
  // malformed
  ['read backslash climb', (fs) => fs.read('..\\..\\sentinel\\secret.txt'), I],
  ['read NUL-truncation', (fs) => fs.read('ln-secret\0.png'), I],
  ['write NUL in a name', (fs) => fs.write('Documents/a\0b', 'x'), I],
  ['write NUL after ..', (fs) => fs.write('../\0', 'x'), I],
  ['write a 256-byte name', (fs) => fs.write('x'.repeat(256), 'x'), I],
  ['write a 256-byte UTF-8 name of 128 chars', (fs) => fs.write('é'.repeat(128), 'x'), I],
  ['read a 4098-char path', (fs) => fs.read('a/'.repeat(2049)), I],
  ['read a path over 4096 bytes in UTF-8', (fs) => fs.read('€'.repeat(1400)), I],
  ['read a lone surrogate', (fs) => fs.read('\uD800/../ln-secret'), I],
  // symlinks as the last component
  ['read a link to an outside file', (fs) => fs.read('ln-secret'), D],
  ['list a link to an outside folder', (fs) => fs.list('ln-sentinel'), D],
  ['read a chain of links', (fs) => fs.read('chain1'), D],
  ['list a link to /', (fs) => fs.list('ln-root'), D],
  ['list a link to ..', (fs) => fs.list('ln-up'), D],
  ['read a link that stays inside (policy)', (fs) => fs.read('ln-inside'), D],
  ['write over a link to an outside file', (fs) => fs.write('ln-secret', 'overwritten'), D],
  ['write through a dangling link', (fs) => fs.write('ln-dangling', 'planted'), D],
  ['mkdir -p at a link', (fs) => fs.mkdir('ln-sentinel', { recursive: true }), D],
  ['mkdir at a dangling link', (fs) => fs.mkdir('ln-dangling'), D],
  ['watch a link to an outside folder', (fs) => fs.watch('ln-sentinel', () => undefined), D],
  // symlinks as a middle component
  ['read through a link to a folder', (fs) => fs.read('ln-sentinel/secret.txt'), D],
  ['read deep through a link', (fs) => fs.read('ln-sentinel/inner/deeper/note.txt'), D],
  ['read through a chain', (fs) => fs.read('chain1/secret.txt'), D],
  ['read through a link to /', (fs) => fs.read('ln-root/etc/passwd'), D],
  ['stat through a link to /', (fs) => fs.stat('ln-root/etc/passwd'), D],
  ['read through a relative link that climbs', (fs) => fs.read('ln-rel/secret.txt'), D],
  ['read through a link to ..', (fs) => fs.read('ln-up/1/README.md'), D],
  ['read through a nested link', (fs) => fs.read('Documents/deep/ln-sentinel/inner/data.bin'), D],
  ['read through an inside link (policy)', (fs) => fs.read('ln-inside/victim.txt'), D],
  ['stat through a link', (fs) => fs.stat('ln-sentinel/secret.txt'), D],
  ['list through a link', (fs) => fs.list('ln-sentinel/inner'), D],
  ['write through a link', (fs) => fs.write('ln-sentinel/escaped.txt', 'x'), D],
  [
    'write -p through a link',
    (fs) => fs.write('ln-sentinel/new/escaped.txt', 'x', { createParents: true }),
    D,
  ],
  ['write -p above the home', (fs) => fs.write('../escaped/escaped.txt', 'x', { createParents: true }), D],
  ['write through a link to /', (fs) => fs.write(`ln-root${t.base}/escaped.txt`, 'x'), D],
  ['mkdir through a link', (fs) => fs.mkdir('ln-sentinel/newdir'), D],
  ['mkdir -p through a link', (fs) => fs.mkdir('ln-sentinel/a/b', { recursive: true }), D],
  ['mkdir above the home', (fs) => fs.mkdir('../newdir'), D],
  ['move a source through a link', (fs) => fs.move('ln-sentinel/secret.txt', 'stolen.txt'), D],
  ['move a source above the home', (fs) => fs.move('../sentinel/secret.txt', 'stolen.txt'), D],
  [
    'move to a destination through a link',
    (fs) => fs.move('Documents/victim.txt', 'ln-sentinel/moved.txt'),
    D,
  ],
  ['move to a destination above the home', (fs) => fs.move('Documents/victim.txt', '../moved.txt'), D],
  ['move to an absolute destination', (fs) => fs.move('Documents/victim.txt', '/tmp/moved.txt'), D],
  ['copy a source through a link', (fs) => fs.copy('ln-sentinel/secret.txt', 'stolen.txt'), D],
  ['copy a source above the home', (fs) => fs.copy('../../sentinel', 'stolen'), D],
  ['copy a source through a chain', (fs) => fs.copy('chain1/inner', 'stolen'), D],
  [
    'copy to a destination through a link',
    (fs) => fs.copy('Documents/victim.txt', 'ln-sentinel/copied.txt'),
    D,
  ],
  ['copy to a destination above the home', (fs) => fs.copy('Documents/victim.txt', '../copied.txt'), D],
  ['delete through a link', (fs) => fs.delete('ln-sentinel/secret.txt'), D],
  ['delete -r through a link', (fs) => fs.delete('ln-sentinel/inner', { recursive: true }), D],
  ['delete -r ..', (fs) => fs.delete('..', { recursive: true }), D],
  ['delete -r a sibling of the home', (fs) => fs.delete('../../sentinel', { recursive: true }), D],
  ['list ..', (fs) => fs.list('..'), D],
  ['watch ..', (fs) => fs.watch('..', () => undefined), D],
  ['watch through a relative link', (fs) => fs.watch('ln-rel/inner', () => undefined), D],
];

describe.each([
  ['auto', () => fsAuto],
  ['portable', () => fsPortable],
] as const)('path escapes are refused (%s resolution)', (_mode, fs) => {
  it.each(attacks)('%s', async (_name, run, expected) => {
    expect(await attempt(() => run(fs()))).toBe(expected);
  });
});

describe('what is not an escape', () => {
  it('takes encoded-looking names literally, inside the home', async () => {
    expect(await attempt(() => fsAuto.read('..%2f..%2fsentinel%2fsecret.txt'))).toBe('E_NOT_FOUND');
    await fsAuto.write('..%2f..%2fescaped.txt', 'literal');
    await fsAuto.write('...', 'three dots is a name');
    await fsAuto.write('~root', 'a tilde name');
    expect(await fsp.readFile(join(t.home, '..%2f..%2fescaped.txt'), 'utf8')).toBe('literal');
    expect(await fsp.readFile(join(t.home, '...'), 'utf8')).toBe('three dots is a name');
    expect(await fsp.readFile(join(t.home, '~root'), 'utf8')).toBe('a tilde name');
  });

  it('describes a link with lstat semantics, without its target content', async () => {
    const entry = await fsAuto.stat('ln-secret');
    observed.push(JSON.stringify(entry));
    expect(entry).toMatchObject({ type: 'symlink', size: join(sentinel, 'secret.txt').length });
  });

  it('copies a link as a link, which stays refused', async () => {
    expect(await fsAuto.copy('ln-secret', 'copied-link')).toMatchObject({ type: 'symlink' });
    expect(await attempt(() => fsAuto.read('copied-link'))).toBe('E_DENIED');
    await fsAuto.copy('dir-with-link', 'dir-copy');
    expect((await fsAuto.read('dir-copy/ok.txt')).content).toBe('ok');
    expect(await attempt(() => fsAuto.read('dir-copy/link/secret.txt'))).toBe('E_DENIED');
  });

  it('moves and deletes a link itself, never its target', async () => {
    await fsAuto.move('ln-move', 'moved-link');
    expect((await fsAuto.stat('moved-link')).type).toBe('symlink');
    await fsAuto.delete('ln-victim', { recursive: true });
    await fsAuto.delete('moved-link');
    expect(await attempt(() => fsAuto.stat('ln-victim'))).toBe('E_NOT_FOUND');
  });

  it('reads a hard link (it lives in the home) but writes replace it, never the file outside', async () => {
    // Not an escape: making the link needed access to the file already (and fs.protected_hardlinks on Linux).
    expect((await fsAuto.read('hard')).content).toBe('content of a file outside, hard-linked in');
    await fsAuto.write('hard', 'rewritten in the home');
    expect((await fsAuto.read('hard')).content).toBe('rewritten in the home');
    expect((await fsp.stat(hardTarget)).nlink).toBe(1);
  });

  it('does not report changes behind a link added to a watched folder', async () => {
    const changes: FsChange[] = [];
    const watch = await fsAuto.watch('.', (change) => changes.push(change));
    await fsp.symlink(outsideActivity, join(t.home, 'late-link'));
    await sleep(60);
    for (let i = 0; i < 5; i++) await fsp.writeFile(join(outsideActivity, `activity-${i}.txt`), `${i}`);
    await sleep(150);
    watch.dispose();
    expect(changes.filter((c) => c.path.startsWith('late-link/'))).toEqual([]);
    expect(changes).toContainEqual({ path: 'late-link', kind: 'created' });
  });
});

describe('a symlink swapped in between check and use (TOCTOU)', () => {
  const setUp = async (name: string) => {
    const dir = join(t.home, name, 'dir');
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(join(dir, 'secret.txt'), 'inside content');
    await fsp.mkdir(join(dir, 'sub'));
    await fsp.writeFile(join(dir, 'sub/file.txt'), 'sub');
    return dir;
  };
  /** After `after` is opened, replace <name>/dir by a link to the sentinel; the original moves to dir-orig. */
  const swapAfter = (after: string[], name: string, target = sentinel) => {
    let done = false;
    hook = async (components) => {
      if (done || components.join('/') !== after.join('/')) return;
      done = true;
      await fsp.rename(join(t.home, name, 'dir'), join(t.home, name, 'dir-orig'));
      await fsp.symlink(target, join(t.home, name, 'dir'));
    };
    return () => {
      hook = undefined;
      expect(done).toBe(true);
    };
  };

  it('a middle folder swapped before the walk reaches it: refused', async () => {
    await setUp('swap1');
    const check = swapAfter(['swap1'], 'swap1');
    expect(await attempt(() => fsAuto.read('swap1/dir/secret.txt'))).toBe('E_DENIED');
    check();
  });

  it('the final folder swapped after it was opened: the write lands in the folder that was resolved', async () => {
    await setUp('swap2');
    const check = swapAfter(['swap2', 'dir'], 'swap2');
    await fsAuto.write('swap2/dir/escaped.txt', 'written');
    check();
    expect(await fsp.readFile(join(t.home, 'swap2/dir-orig/escaped.txt'), 'utf8')).toBe('written');
  });

  it('a folder swapped before listing: refused', async () => {
    await setUp('swap3');
    const check = swapAfter(['swap3'], 'swap3');
    expect(await attempt(() => fsAuto.list('swap3/dir'))).toBe('E_DENIED');
    check();
  });

  it('a subfolder swapped during a recursive delete: only the link goes', async () => {
    await setUp('swap4');
    let done = false;
    hook = async (components) => {
      if (done || components.join('/') !== 'swap4/dir') return;
      done = true;
      await fsp.rename(join(t.home, 'swap4/dir/sub'), join(t.home, 'swap4/sub-orig'));
      await fsp.symlink(sentinel, join(t.home, 'swap4/dir/sub'));
    };
    await fsAuto.delete('swap4/dir', { recursive: true });
    hook = undefined;
    expect(done).toBe(true);
    expect(await fsp.readdir(join(t.home, 'swap4'))).toEqual(['sub-orig']);
  });

  it('mkdir -p through a folder swapped mid-walk: refused', async () => {
    await setUp('swap5');
    const check = swapAfter(['swap5'], 'swap5');
    expect(await attempt(() => fsAuto.mkdir('swap5/dir/new/deeper', { recursive: true }))).toBe('E_DENIED');
    check();
  });

  it('a copy whose destination folder is swapped after opening: lands in the resolved folder', async () => {
    await setUp('swap6');
    const check = swapAfter(['swap6', 'dir'], 'swap6');
    await fsAuto.copy('Documents/victim.txt', 'swap6/dir/copied.txt');
    check();
    expect(await fsp.readFile(join(t.home, 'swap6/dir-orig/copied.txt'), 'utf8')).toBe('victim');
  });

  it('a copy whose source folder is swapped mid-walk: refused', async () => {
    await setUp('swap7');
    const check = swapAfter(['swap7'], 'swap7');
    expect(await attempt(() => fsAuto.copy('swap7/dir/secret.txt', 'stolen-by-race.txt'))).toBe('E_DENIED');
    check();
  });

  it('survives a process swapping a folder and a link thousands of times', { timeout: 20_000 }, async () => {
    const race = join(t.home, 'race');
    await fsp.mkdir(join(race, 'real'), { recursive: true });
    await fsp.writeFile(join(race, 'real/secret.txt'), 'harmless');
    await fsp.mkdir(join(race, 'real/sub'));
    await fsp.writeFile(join(race, 'real/sub/secret.txt'), 'harmless');
    await fsp.symlink(sentinel, join(race, 'link'));
    await fsp.mkdir(join(t.home, 'race-out'));
    // Alternates race/cur between the real folder and the link to the sentinel, as fast as it can.
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs'); const [r] = process.argv.slice(1);
         process.stdout.write('ready\\n');
         for (;;) {
           fs.renameSync(r + '/real', r + '/cur'); fs.renameSync(r + '/cur', r + '/real');
           fs.renameSync(r + '/link', r + '/cur'); fs.renameSync(r + '/cur', r + '/link');
         }`,
        race,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => swapper.stdout.once('data', resolve));
    const outcomes = new Map<string, number>();
    const tally = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const allowed = new Set(['ok', 'E_DENIED', 'E_NOT_FOUND', 'E_CONFLICT']);
    let operations = 0;
    try {
      const deadline = Date.now() + 2000;
      for (let i = 0; Date.now() < deadline || operations < 2000; i++) {
        const results = await Promise.all([
          attempt(() => fsAuto.read('race/cur/secret.txt')),
          attempt(() => fsAuto.read('race/cur/secret.txt', { offset: 1, length: 4 })),
          attempt(() => fsAuto.read('race/cur/sub/secret.txt')),
          attempt(() => fsAuto.write(`race/cur/out-${i}.txt`, 'x')),
          attempt(() => fsAuto.list('race/cur')),
          attempt(() => fsAuto.stat('race/cur/secret.txt')),
          attempt(() => fsAuto.mkdir(`race/cur/d-${i}`)),
          attempt(() => fsAuto.copy('race/cur/secret.txt', `race-out/c-${i}`)),
          attempt(() => fsAuto.delete(`race/cur/out-${i - 1}.txt`)),
          attempt(() => fsAuto.move(`race-out/c-${i}`, `race/cur/m-${i}`)),
        ]);
        operations += results.length;
        for (const outcome of results) {
          tally(outcome);
          expect(allowed).toContain(outcome);
        }
        if (operations > 40_000) break;
      }
    } finally {
      swapper.kill('SIGKILL');
    }
    // The race really happened: some operations met the link, some the folder.
    expect(outcomes.get('E_DENIED') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
    expect(operations).toBeGreaterThanOrEqual(2000);
    const copies = await fsp.readdir(join(t.home, 'race-out'));
    for (const name of copies)
      expect(await fsp.readFile(join(t.home, 'race-out', name), 'utf8')).toBe('harmless');
  });
});
