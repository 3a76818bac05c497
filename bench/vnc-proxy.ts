import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { VNC_SUBPROTOCOL, VNC_TOKEN_PREFIX, VncProxy } from '../kernel/vnc/index.js';
import { startFakeDisplay, type FakeDisplay } from '../kernel/vnc/testing/fakeDisplay.js';
import { elapsedNs, now } from './lib/time.js';
import { slowdown, type BenchResult } from './lib/types.js';

export const name = 'VNC proxy: throughput vs websockify, bytes lost at close, memory with a slow viewer';

const MIB = 1024 * 1024;
/** One stream per throughput round: a display sending a large buffer as fast as the viewer takes it. */
const STREAM_BYTES = 256 * MIB;
const ROUNDS = 5;
const CLOSE_CONNECTIONS = 100;
/** Not a round number, so a lost final partial chunk shows. */
const CLOSE_BYTES = 2 * MIB + 12_345;
const SLOW_RATE = 1_000_000; // bytes per second
const SLOW_SECONDS = 10;
const WEBSOCKIFY = '/usr/bin/websockify';

// ---- our proxy, in its own process (as in the host, it does not share an event loop with the viewer) ----

type ChildRequest = { id: number; socketPath: string };
type ChildReply = { id: number; token: string } | { ready: number };

/** The child: an HTTP server with only the proxy attached; issues a control token per request from the parent. */
async function serveChild(): Promise<void> {
  const server = createHttpServer((_req, res) => res.writeHead(404).end());
  const proxy = new VncProxy({ allowedOrigins: new Set() });
  proxy.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  process.on('message', (m: ChildRequest) => {
    const { token } = proxy.issue({ agent: 1, socketPath: m.socketPath, mode: 'control' }, 120_000);
    process.send!({ id: m.id, token } satisfies ChildReply);
  });
  process.send!({ ready: (server.address() as AddressInfo).port } satisfies ChildReply);
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

if (process.env.HABITAT_VNC_BENCH_CHILD === '1') await serveChild();

interface Target {
  label: string;
  pid: number;
  /** Opens a viewer on the given display socket. */
  connect(socketPath: string): Promise<WebSocket>;
  close(): Promise<void>;
}

async function startOurs(): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, HABITAT_VNC_BENCH_CHILD: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`proxy process exited with ${code}`)));
    child.on('message', (m: ChildReply) => 'ready' in m && resolve(m.ready));
  });
  // One listener for every reply: a burst of connections must not stack listeners on the child.
  const waiting = new Map<number, (token: string) => void>();
  child.on('message', (m: ChildReply) => {
    if ('id' in m) waiting.get(m.id)?.(m.token);
    if ('id' in m) waiting.delete(m.id);
  });
  let nextId = 1;
  const issue = (socketPath: string): Promise<string> => {
    const id = nextId++;
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      child.send({ id, socketPath } satisfies ChildRequest);
    });
  };
  return {
    label: 'habitat',
    pid: child.pid!,
    connect: async (socketPath) => {
      const token = await issue(socketPath);
      return openSocket(`ws://127.0.0.1:${port}/vnc/1`, [VNC_SUBPROTOCOL, `${VNC_TOKEN_PREFIX}${token}`]);
    },
    close: () => stop(child),
  };
}

/** websockify needs its target at start: one instance per display socket. */
async function startWebsockify(socketPath: string): Promise<Target> {
  const port = await freePort();
  const child = spawn(WEBSOCKIFY, [`--unix-target=${socketPath}`, `127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const probe = await openSocket(`ws://127.0.0.1:${port}/`, [VNC_SUBPROTOCOL]);
      probe.terminate();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error('websockify did not start', { cause: error });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    label: 'websockify',
    pid: child.pid!,
    connect: () => openSocket(`ws://127.0.0.1:${port}/`, [VNC_SUBPROTOCOL]),
    close: () => stop(child),
  };
}

// ---- measurements ----

/** Receives until the close; returns the byte count and the time from open to close. */
function drain(ws: WebSocket): Promise<{ bytes: number; ns: number; code: number }> {
  const start = now();
  let bytes = 0;
  ws.on('message', (data: Buffer) => (bytes += data.length));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code) => resolve({ bytes, ns: elapsedNs(start), code }));
  });
}

interface Run {
  mibPerSec: number;
  /** CPU the proxy's processes spent on the stream, per GiB carried. */
  cpuMsPerGiB: number;
}

async function throughput(target: Target, socketPath: string): Promise<Run> {
  const ws = await target.connect(socketPath);
  const cpuBefore = treeCpuMs(target.pid);
  const { bytes, ns } = await drain(ws);
  if (bytes !== STREAM_BYTES) throw new Error(`${target.label}: received ${bytes} of ${STREAM_BYTES} bytes`);
  await new Promise((r) => setTimeout(r, 200)); // websockify forks per connection: let it reap the child
  const cpuMs = treeCpuMs(target.pid) - cpuBefore;
  return { mibPerSec: (bytes / MIB) * (1e9 / ns), cpuMsPerGiB: (cpuMs * 1024 * MIB) / bytes };
}

async function bytesLost(target: Target, socketPath: string): Promise<number> {
  let lost = 0;
  // Ten at a time: a burst like a Mission Control grid reconnecting, not a queue of one.
  for (let batch = 0; batch < CLOSE_CONNECTIONS; batch += 10) {
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => drain(await target.connect(socketPath))),
    );
    for (const r of results) lost += CLOSE_BYTES - r.bytes;
  }
  return lost;
}

/** A process and its descendants (websockify forks one child per connection). */
function processTree(pid: number): number[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
  return [pid, ...children.flatMap(processTree)];
}

function procStat(pid: number): string[] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return []; // exited meanwhile
  }
}

/** CPU ms of a process tree: user + system, with what reaped children used. */
function treeCpuMs(pid: number): number {
  const ticks = (f: string[]) => [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i] ?? 0), 0);
  return processTree(pid).reduce((sum, p) => sum + ticks(procStat(p)), 0) * 10; // USER_HZ is 100 on Linux
}

/** Proportional set size of a process tree: pages shared after a fork are counted once, not per process. */
function treePssBytes(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total +=
        Number(/Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** A viewer reading at SLOW_RATE from a display that never stops sending: how much does the proxy hold? */
async function slowViewerGrowth(
  target: Target,
  socketPath: string,
): Promise<{ growth: number; read: number }> {
  const before = treePssBytes(target.pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, treePssBytes(target.pid))), 100);
  const ws = await target.connect(socketPath);
  const start = Date.now();
  let received = 0;
  ws.on('message', (data: Buffer) => {
    received += data.length;
    const aheadMs = (received / SLOW_RATE) * 1000 - (Date.now() - start);
    if (aheadMs > 0) {
      ws.pause(); // the viewer's socket stops being read: TCP pushes back toward the proxy
      setTimeout(() => ws.resume(), aheadMs);
    }
  });
  await new Promise((r) => setTimeout(r, SLOW_SECONDS * 1000));
  clearInterval(sampler);
  ws.terminate();
  return { growth: peak - before, read: received };
}

// ---- fake displays ----

/** Sends `size` bytes from one preallocated buffer, then closes: the stream a proxy must carry whole. */
function sendingDisplay(path: string, size: number): Promise<FakeDisplay> {
  const payload = Buffer.alloc(size, 0x5a);
  return startFakeDisplay(path, (c) => c.socket.end(payload));
}

/** Sends for as long as the connection lasts, at whatever pace the proxy reads. */
function endlessDisplay(path: string): Promise<FakeDisplay> {
  const chunk = Buffer.alloc(MIB, 0x33);
  return startFakeDisplay(path, (c) => {
    const socket: Socket = c.socket;
    const pump = (): void => {
      while (!socket.destroyed && socket.write(chunk));
    };
    socket.on('drain', pump);
    pump();
  });
}

export async function run(): Promise<BenchResult> {
  if (!existsSync(WEBSOCKIFY))
    throw new Error(`${WEBSOCKIFY} is the reference: apt-get install -y websockify`);
  const dir = await mkdtemp(join(tmpdir(), 'habitat-bench-vnc-'));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const bulk = await sendingDisplay(join(dir, 'bulk.sock'), STREAM_BYTES);
    const closing = await sendingDisplay(join(dir, 'close.sock'), CLOSE_BYTES);
    const endless = await endlessDisplay(join(dir, 'endless.sock'));
    cleanups.push(
      () => bulk.close(),
      () => closing.close(),
      () => endless.close(),
    );

    const ours = await startOurs();
    cleanups.push(() => ours.close());
    const wsBulk = await startWebsockify(bulk.path);
    const wsClose = await startWebsockify(closing.path);
    const wsEndless = await startWebsockify(endless.path);
    cleanups.push(
      () => wsBulk.close(),
      () => wsClose.close(),
      () => wsEndless.close(),
    );

    // Memory first, while both proxies are fresh: growth is then what one slow viewer costs, not what a
    // throughput run left behind.
    const slowOurs = await slowViewerGrowth(ours, endless.path);
    const slowTheirs = await slowViewerGrowth(wsEndless, endless.path);

    await throughput(ours, bulk.path); // warm-up: JIT, page cache, socket buffers
    await throughput(wsBulk, bulk.path);
    const runs: Record<'ours' | 'websockify', Run[]> = { ours: [], websockify: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating order, so drift in machine load hits both equally.
      const order: ['ours' | 'websockify', Target][] = [
        ['ours', ours],
        ['websockify', wsBulk],
      ];
      if (round % 2 === 1) order.reverse();
      for (const [key, target] of order) runs[key].push(await throughput(target, bulk.path));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rate = (key: 'ours' | 'websockify') => median(runs[key].map((r) => r.mibPerSec));
    const cpu = (key: 'ours' | 'websockify') => median(runs[key].map((r) => r.cpuMsPerGiB));

    const lostOurs = await bytesLost(ours, closing.path);
    const lostTheirs = await bytesLost(wsClose, closing.path);

    return {
      reference: 'websockify 0.10 (Debian), --unix-target on the same fake display, same ws client',
      metrics: [
        {
          name: `throughput, ${STREAM_BYTES / MIB} MiB stream`,
          value: rate('ours'),
          unit: 'MiB/s',
          reference: rate('websockify'),
          ratio: slowdown(rate('ours'), rate('websockify'), 'higher'),
          aimRatio: 1,
        },
        {
          name: 'proxy CPU per GiB carried',
          value: cpu('ours'),
          unit: 'ms',
          reference: cpu('websockify'),
          ratio: slowdown(cpu('ours'), cpu('websockify'), 'lower'),
        },
        {
          name: `bytes lost at close, ${CLOSE_CONNECTIONS} connections`,
          value: lostOurs,
          unit: 'bytes',
          reference: lostTheirs,
          aimAtMost: 0,
        },
        {
          name: 'proxy memory growth, viewer at 1 MB/s',
          value: slowOurs.growth / MIB,
          unit: 'MiB',
          reference: slowTheirs.growth / MIB,
          aimAtMost: 64,
        },
      ],
      notes: [
        `throughput: median of ${ROUNDS} alternating rounds after a warm-up; ours/websockify = ` +
          `${(rate('ours') / rate('websockify')).toFixed(2)} (the ratio column is websockify/ours: above 1, ours is slower)`,
        'each proxy runs in its own process; the fake display and the viewer share the benchmark process',
        `close: each display sends ${CLOSE_BYTES.toLocaleString('en-US')} bytes, then closes; 10 connections at a time`,
        `slow viewer: ${SLOW_SECONDS} s against a display that never stops sending; it read ` +
          `${(slowOurs.read / 1e6).toFixed(1)} MB through ours, ${(slowTheirs.read / 1e6).toFixed(1)} MB through ` +
          'websockify; growth = peak PSS of the proxy process tree - PSS before the viewer connected',
      ],
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- small helpers ----

function openSocket(url: string, protocols: string[]): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
