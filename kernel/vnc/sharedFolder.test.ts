import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../test/png.js';
import { AgentDisplays } from './AgentDisplays.js';
import { screenshotPng } from './capture.js';
import { Display, DisplaySocketRefused, type DisplayState } from './Display.js';
import { probeRfb } from './health.js';
import { hostLauncher, type DisplayLauncher, type LaunchSpec } from './launcher.js';
import { createFresh, lockFolder, removeShared } from './sharedFolder.js';
import { displayToolsForTests } from './testing/displayTools.js';
import { startFakeDisplay, type FakeDisplay } from './testing/fakeDisplay.js';
import { startProxyServer } from './testing/proxyServer.js';
import { rfbHandshake, WsReader } from './testing/rfbClient.js';
import { opened, vncClient } from './testing/vncClient.js';
import { writeXauthority } from './xauth.js';

// A display folder is bound read-write into the agent's container: the agent can put anything in it, links to any
// host file or to another agent's display socket included. These tests plant what a hostile agent would and check
// that the kernel neither writes, chowns nor deletes anything outside, nor connects to a socket that is not its own.

const root = process.getuid?.() === 0;
/** The container's user, as a first start leaves the folder (only a root kernel hands it over). */
const agent = root ? { uid: 1000, gid: 1000 } : undefined;
const COOKIE_BYTES = 2 + 2 + 2 + 2 + 18 + 2 + 16;

const dir = mkdtempSync(join(tmpdir(), 'habitat-shared-'));
let seq = 0;
const fresh = (name: string): string => {
  const path = join(dir, `${name}-${++seq}`);
  mkdirSync(path, { recursive: true });
  return path;
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A host file standing for /etc/shadow: what it holds and who owns it, to compare after the attack. */
function plantVictim(path: string): () => object {
  writeFileSync(path, 'root:$6$secret:19000:0:99999:7:::\n', { mode: 0o640 });
  const look = () => {
    const stats = lstatSync(path);
    return {
      content: readFileSync(path, 'latin1'),
      uid: stats.uid,
      gid: stats.gid,
      mode: stats.mode & 0o7777,
    };
  };
  const before = look();
  expect(before.uid).toBe(process.getuid?.());
  return () => {
    expect(look()).toEqual(before);
    return before;
  };
}

function expectFreshCookie(path: string): void {
  const stats = lstatSync(path);
  expect(stats.isFile()).toBe(true); // not the link planted there
  expect(stats.nlink).toBe(1);
  expect(stats.mode & 0o777).toBe(0o600);
  expect(stats.size).toBe(COOKIE_BYTES);
  if (agent) expect([stats.uid, stats.gid]).toEqual([agent.uid, agent.gid]);
}

/** Programs for a Display without X: Xvfb answers a display number, x11vnc is whatever the test says. */
function fakePrograms(x11vnc: Omit<LaunchSpec, 'env'>): DisplayLauncher {
  const xvfb = { command: 'sh', args: ['-c', 'echo 7; exec sleep 60'] };
  return {
    launch: (spec) =>
      hostLauncher.launch(
        spec.command === 'Xvfb'
          ? { ...spec, ...xvfb }
          : spec.command === 'x11vnc'
            ? { ...spec, ...x11vnc }
            : spec,
      ),
    has: async () => false,
  };
}

/** An x11vnc stand-in that binds the socket it is told to and greets like x11vnc. */
const greeter = (socket: string): Omit<LaunchSpec, 'env'> => ({
  command: process.execPath,
  args: ['-e', "require('net').createServer((s) => s.end('RFB 003.008\\n')).listen(process.argv[1])", socket],
});

async function until(display: Display, state: DisplayState, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (display.state !== state) {
    if (Date.now() > deadline) throw new Error(`display is ${display.state}, not ${state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the X cookie in a folder the agent can write', () => {
  it('replaces a symlink planted in its place: the file it points to is neither written nor chowned', async () => {
    const base = fresh('cookie-link');
    const check = plantVictim(join(base, 'shadow'));
    const runDir = join(base, 'run');
    mkdirSync(runDir);
    symlinkSync(join(base, 'shadow'), join(runDir, 'Xauthority'));
    await writeXauthority(join(runDir, 'Xauthority'), agent);
    check();
    expectFreshCookie(join(runDir, 'Xauthority'));
  });

  it('creates nothing where a dangling symlink points, and leaves a hard-linked file as it was', async () => {
    const base = fresh('cookie-dangling');
    const runDir = join(base, 'run');
    mkdirSync(runDir);
    symlinkSync(join(base, 'cron.d-habitat'), join(runDir, 'Xauthority'));
    await writeXauthority(join(runDir, 'Xauthority'), agent);
    expect(existsSync(join(base, 'cron.d-habitat'))).toBe(false);
    expectFreshCookie(join(runDir, 'Xauthority'));

    const check = plantVictim(join(base, 'shadow'));
    rmSync(join(runDir, 'Xauthority'));
    linkSync(join(base, 'shadow'), join(runDir, 'Xauthority')); // O_NOFOLLOW alone would truncate this one
    await writeXauthority(join(runDir, 'Xauthority'), agent);
    check();
    expectFreshCookie(join(runDir, 'Xauthority'));
  });

  it('refuses, with the reason, a folder in its place; lockFolder refuses a display folder that is a link', async () => {
    const base = fresh('cookie-folder');
    mkdirSync(join(base, 'Xauthority', 'inside'), { recursive: true });
    await expect(createFresh(join(base, 'Xauthority'))).rejects.toThrow(
      `refused ${join(base, 'Xauthority')}: a folder is in its place`,
    );
    mkdirSync(join(base, 'elsewhere'), { mode: 0o755 });
    chmodSync(join(base, 'elsewhere'), 0o755);
    symlinkSync(join(base, 'elsewhere'), join(base, 'run'));
    await expect(lockFolder(join(base, 'run'), agent)).rejects.toThrow(
      `refused ${join(base, 'run')}: not a folder (a symbolic link?)`,
    );
    expect(statSync(join(base, 'elsewhere')).mode & 0o777).toBe(0o755);
    expect(statSync(join(base, 'elsewhere')).uid).toBe(process.getuid?.());
  });

  it("Display.start() again over the agent's folder (a re-attach): the planted link's target is untouched", async () => {
    // the reviewer's reproduction: a second start, the folder the agent's, Xauthority a link to a host file
    const base = fresh('restart');
    const check = plantVictim(join(base, 'shadow'));
    const runDir = join(base, 'run', '5');
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    if (agent) chownSync(runDir, agent.uid, agent.gid);
    symlinkSync(join(base, 'shadow'), join(runDir, 'Xauthority'));
    const display = new Display({
      runDir,
      owner: agent,
      windowManagers: [],
      launcher: {
        has: async () => false,
        launch: () => {
          throw new Error('no programs in this test');
        },
      },
    });
    await expect(display.start()).rejects.toThrow('no programs in this test');
    check();
    expectFreshCookie(join(runDir, 'Xauthority'));
    const folder = lstatSync(runDir);
    expect(folder.mode & 0o777).toBe(0o700);
    if (agent) expect([folder.uid, folder.gid]).toEqual([agent.uid, agent.gid]);
    await display.stop();
    check();
  });
});

describe("x11vnc's socket, in a folder the agent can write", () => {
  const fakes: FakeDisplay[] = [];
  const displays: Display[] = [];
  afterAll(async () => {
    await Promise.all(displays.map((d) => d.stop()));
    await Promise.all(fakes.map((f) => f.close()));
  });

  /** Another agent's display: a socket that must never be reached through this one's folder. */
  const foreign = async (base: string): Promise<FakeDisplay> => {
    const fake = await startFakeDisplay(join(base, 'other.sock'), (c) => c.socket.end('RFB 003.008\n'));
    fakes.push(fake);
    return fake;
  };
  const layout = (name: string) => {
    const base = fresh(name);
    const kernelDir = join(base, 'kernel'); // <data>/run/vnc: the kernel's alone
    const runDir = join(kernelDir, '5'); // <data>/run/vnc/5: bound into the container
    mkdirSync(runDir, { recursive: true });
    return { base, runDir, made: join(runDir, 'vnc.sock'), kept: join(kernelDir, '5.sock') };
  };

  it("moves the socket into the kernel's folder, and a link planted afterwards in the agent's is never used", async () => {
    const { base, runDir, made, kept } = layout('adopt');
    const other = await foreign(base);
    const display = new Display({
      runDir,
      socketPath: kept,
      windowManagers: [],
      restartDelayMs: 10,
      healthIntervalMs: 100,
      launcher: fakePrograms(greeter(made)),
    });
    displays.push(display);
    await display.start();
    expect(display.socketPath).toBe(kept);
    expect(lstatSync(kept).isSocket()).toBe(true);
    expect(existsSync(made)).toBe(false);

    symlinkSync(other.path, made); // the agent: ln -sf /…/run/vnc/7/vnc.sock /run/habitat-display/vnc.sock
    expect(await probeRfb(display.socketPath)).toBe('RFB 003.008');

    // x11vnc dies and comes back: the planted link goes, the new socket is taken in as the first was
    const before = display.pids.vnc!;
    process.kill(before, 'SIGKILL');
    await until(display, 'restarting');
    await until(display, 'ready');
    expect(display.pids.vnc).not.toBe(before);
    expect(lstatSync(kept).isSocket()).toBe(true);
    expect(existsSync(made)).toBe(false);
    expect(other.connections).toHaveLength(0);
  });

  it.each([
    ['a symbolic link to another display', 'ln -s "$1" "$2"', 'a symbolic link'],
    ['a regular file', 'echo not a socket > "$2"', 'a regular file'],
    ['a folder', 'mkdir "$2"', 'a folder'],
  ])(
    "refuses %s in the socket's place, with the reason, and connects to nothing",
    async (_what, plant, kind) => {
      const { base, runDir, made, kept } = layout('refuse');
      const other = await foreign(base);
      // the agent wins the race: before x11vnc binds, its own thing is there
      const display = new Display({
        runDir,
        socketPath: kept,
        windowManagers: [],
        launcher: fakePrograms({
          command: 'sh',
          args: ['-c', `${plant}; exec sleep 60`, 'sh', other.path, made],
        }),
      });
      displays.push(display);
      const reasons: string[] = [];
      display.onChange((change) => reasons.push(`${change.state}: ${change.reason ?? ''}`));
      const error = await display.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DisplaySocketRefused);
      expect((error as Error).message).toBe(
        `refused the display's socket: ${made} was ${kind}, not x11vnc's socket`,
      );
      expect(display.state).toBe('failed');
      expect(reasons).toEqual(['starting: ', `failed: ${(error as Error).message}`]);
      expect(existsSync(kept)).toBe(false); // nothing of the agent's is left in the kernel's folder
      expect(other.connections).toHaveLength(0);
    },
  );
});

describe('removing a display folder the agent may still be writing', () => {
  /** A host folder standing for /etc: it must come out of every removal as it went in. */
  const outside = (base: string) => {
    const etc = join(base, 'etc');
    mkdirSync(join(etc, 'ssh'), { recursive: true });
    writeFileSync(join(etc, 'passwd'), 'root:x:0:0\n');
    writeFileSync(join(etc, 'ssh', 'sshd_config'), 'PermitRootLogin no\n');
    return () => {
      expect(readFileSync(join(etc, 'passwd'), 'utf8')).toBe('root:x:0:0\n');
      expect(readFileSync(join(etc, 'ssh', 'sshd_config'), 'utf8')).toBe('PermitRootLogin no\n');
    };
  };
  const leftovers = (kernelDir: string) => readdirSync(kernelDir).filter((n) => n.startsWith('.removing-'));

  it('removes everything in it, links as links, whatever their names and modes; nothing outside', async () => {
    const base = fresh('remove');
    const check = outside(base);
    const kernelDir = join(base, 'vnc');
    const runDir = join(kernelDir, '5');
    mkdirSync(join(runDir, 'a', 'b', 'c'), { recursive: true });
    symlinkSync(join(base, 'etc'), join(runDir, 'etc-link'));
    symlinkSync(join(base, 'etc'), join(runDir, 'a', 'b', 'c', 'deep-link'));
    symlinkSync(join(base, 'etc', 'passwd'), join(runDir, 'a', 'passwd'));
    writeFileSync(join(runDir, 'a', 'b', 'file'), 'x');
    writeFileSync(Buffer.from(`${runDir}/not-utf8-\xff\xfe`, 'latin1'), 'x'); // a name Node cannot spell as text
    execFileSync('mkfifo', [join(runDir, 'fifo')]);
    mkdirSync(join(runDir, 'locked', 'inner'), { recursive: true });
    writeFileSync(join(runDir, 'locked', 'inner', 'file'), 'x');
    chmodSync(join(runDir, 'locked', 'inner'), 0o500);
    chmodSync(join(runDir, 'locked'), 0o000);
    if (agent) execFileSync('chown', ['-R', '-h', `${agent.uid}:${agent.gid}`, runDir]);

    await removeShared(runDir);
    expect(existsSync(runDir)).toBe(false);
    expect(leftovers(kernelDir)).toEqual([]);
    check();
    await removeShared(runDir); // already gone: nothing to do
  });

  it('a folder swapped for a link to a host folder between its listing and its removal: the link goes, not the host folder', async () => {
    const base = fresh('race');
    const check = outside(base);
    const kernelDir = join(base, 'vnc');
    const runDir = join(kernelDir, '5');
    mkdirSync(join(runDir, 'sub'), { recursive: true });
    for (const name of ['passwd', 'ssh']) writeFileSync(join(runDir, 'sub', name), 'decoy');
    let swapped = 0;
    await removeShared(runDir, {
      // the agent, through its bind mount, at the worst moment: right after the kernel listed a folder
      afterList: (folder, names) => {
        if (names.some((n) => n.toString() === 'sub')) {
          rmSync(join(folder, 'sub'), { recursive: true });
          symlinkSync(join(base, 'etc'), join(folder, 'sub'));
          swapped++;
        }
      },
    });
    expect(swapped).toBe(1);
    expect(existsSync(runDir)).toBe(false);
    expect(leftovers(kernelDir)).toEqual([]);
    check();
  });

  it('gives up, with the reason, on a folder refilled without end, and leaves the rest for the boot sweep', async () => {
    const base = fresh('flood');
    const kernelDir = join(base, 'vnc');
    const runDir = join(kernelDir, '5');
    mkdirSync(runDir, { recursive: true });
    let n = 0;
    await expect(
      removeShared(runDir, {
        maxSteps: 50,
        afterList: (folder) => writeFileSync(join(folder, `more-${n++}`), 'x'),
      }),
    ).rejects.toThrow(/still not empty after 50 removals/);
    expect(leftovers(kernelDir)).toHaveLength(1);
  });

  it("an agent's release and the boot sweep: folders with links go, live agents' folders and sockets stay", async () => {
    const base = fresh('displays');
    const check = outside(base);
    const kernelDir = join(base, 'vnc');
    const displays = new AgentDisplays({
      runDir: kernelDir,
      events: { emitScoped: () => undefined, on: () => ({ dispose: () => undefined }) },
      log: () => undefined,
    });
    await displays.prepare(5, { graphical: true });
    await displays.prepare(6, { graphical: true });
    writeFileSync(join(kernelDir, '6.sock'), ''); // stands for the live display's socket
    for (const pid of [5, 9]) {
      mkdirSync(join(kernelDir, String(pid), 'sub'), { recursive: true });
      symlinkSync(join(base, 'etc'), join(kernelDir, String(pid), 'etc'));
      symlinkSync(join(base, 'etc'), join(kernelDir, String(pid), 'sub', 'etc'));
    }
    writeFileSync(join(kernelDir, '9.sock'), '');
    mkdirSync(join(kernelDir, '.removing-crashed', '0'), { recursive: true });
    symlinkSync(join(base, 'etc'), join(kernelDir, '.removing-crashed', '0', 'etc'));

    await displays.release(5);
    expect(existsSync(join(kernelDir, '5'))).toBe(false);
    await displays.sweep();
    expect(readdirSync(kernelDir).sort()).toEqual(['6', '6.sock']);
    check();
    await displays.close();
    expect(readdirSync(kernelDir)).toEqual([]);
  });
});

const haveTools = await displayToolsForTests('display folders');

describe.skipIf(!haveTools)('a real display whose folder the agent can write', () => {
  it('screenshots and viewers reach its own x11vnc, never the socket a planted link names', async () => {
    const base = fresh('real');
    const kernelDir = join(base, 'vnc');
    const runDir = join(kernelDir, '5');
    mkdirSync(runDir, { recursive: true });
    const other = await startFakeDisplay(join(base, 'other.sock'), (c) => c.socket.end('RFB 003.008\n'));
    const host = await startProxyServer();
    const display = new Display({
      runDir,
      socketPath: join(kernelDir, '5.sock'),
      width: 320,
      height: 240,
      windowManagers: [],
    });
    try {
      await display.start();
      symlinkSync(other.path, join(runDir, 'vnc.sock'));

      const shot = decodePng((await screenshotPng(display.socketPath)).png);
      expect([shot.width, shot.height]).toEqual([320, 240]);
      const { token } = host.proxy.issue({ agent: 5, socketPath: display.socketPath, mode: 'view' });
      const ws = vncClient(host.url(5), { token, origin: host.origin });
      const reader = new WsReader(ws);
      await opened(ws);
      expect(await rfbHandshake(ws, reader)).toMatchObject({ width: 320, height: 240 });
      ws.close();
      expect(other.connections).toHaveLength(0);
    } finally {
      await display.stop();
      await host.close();
      await other.close();
    }
    expect(readdirSync(kernelDir)).toEqual(['5']); // the kernel's socket went with the display
  });
});
