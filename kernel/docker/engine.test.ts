import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { tempDir } from '../../test/helpers.js';
import { ContainerAgent } from './ContainerAgent.js';
import { DockerEngine } from './DockerEngine.js';
import { DockerSandbox } from './DockerSandbox.js';
import { recordTerminal } from './testing/testbed.js';

async function failure(promise: Promise<unknown>): Promise<HabitatError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HabitatError);
  return error as HabitatError;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

describe('a Docker engine that is down', () => {
  const engine = new DockerEngine(new Dockerode({ socketPath: '/nonexistent.sock' }));
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('answers ping with E_UNAVAILABLE at once', async () => {
    const { value: error, ms } = await timed(() => failure(engine.ping()));
    expect(error.code).toBe('E_UNAVAILABLE');
    expect(error.message).toContain('unix:///nonexistent.sock');
    expect(ms).toBeLessThan(1000);
  });

  it('fails spawn, signals and removal with E_UNAVAILABLE, never a crash', async () => {
    const sandbox = new DockerSandbox(engine, { instance: 'down', version: 'test' });
    const spawn = await failure(sandbox.create({ pid: 1, bootId: 'b', home: dir.path, network: false }));
    expect(spawn.code).toBe('E_UNAVAILABLE');
    const agent = new ContainerAgent(engine, { id: 'abc', pid: 1, name: 'x' });
    const calls = [
      () => agent.kill(),
      () => agent.pause(),
      () => agent.remove(),
      () => agent.signal('TERM'),
      () => sandbox.reconcile({ bootId: 'b', isLive: () => true }),
    ];
    for (const call of calls) expect((await failure(call())).code).toBe('E_UNAVAILABLE');
    const exec = await failure(agent.exec(['true'], { timeoutMs: 1000, maxOutputBytes: 100 }));
    expect(exec.code).toBe('E_UNAVAILABLE');
  });

  it('ends a terminal with a message and exit code 126', async () => {
    const agent = new ContainerAgent(engine, { id: 'abc', pid: 1, name: 'x' });
    const terminal = agent.openTerminal({ cols: 80, rows: 24 });
    const screen = recordTerminal(terminal);
    expect((await failure(terminal.ready)).code).toBe('E_UNAVAILABLE');
    expect(await screen.exited).toBe(126);
    expect(screen.text()).toContain('cannot open a terminal in the container');
  });
});

describe('a Docker engine that hangs', () => {
  const dir = tempDir();
  const socketPath = join(dir.path, 'hung.sock');
  let server: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((socket) => void sockets.add(socket)); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    dir.cleanup();
  });

  it('gives E_UNAVAILABLE at the deadline', async () => {
    const engine = DockerEngine.connect({ socketPath }, { pingTimeoutMs: 300, timeoutMs: 400 });
    const ping = await timed(() => failure(engine.ping()));
    expect(ping.value.code).toBe('E_UNAVAILABLE');
    expect(ping.value.message).toMatch(/did not answer a ping within 300 ms/);
    expect(ping.ms).toBeLessThan(1500);
    const agent = new ContainerAgent(engine, { id: 'abc', pid: 1, name: 'x' });
    const inspect = await timed(() => failure(agent.inspect()));
    expect(inspect.value.code).toBe('E_UNAVAILABLE');
    expect(inspect.ms).toBeLessThan(1500);
  });
});

describe('an engine that keeps exec connections open after their container is gone', () => {
  // What a real daemon did under load: the hijacked stream of an exec stays open for minutes after the container
  // was removed, and each one kept the kernel's process from exiting.
  const dir = tempDir();
  const socketPath = join(dir.path, 'sticky.sock');
  let server: HttpServer;
  const upgraded = new Set<Duplex>();
  let removed = false;
  let startDelayMs = 0;

  beforeAll(async () => {
    server = createHttpServer((request, response) => {
      const url = request.url ?? '';
      const json = (status: number, body: unknown) =>
        response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      request.resume();
      if (request.method === 'POST' && /\/containers\/[^/]+\/exec$/.test(url)) return json(201, { Id: 'e1' });
      if (request.method === 'DELETE' && /\/containers\//.test(url)) {
        removed = true;
        return response.writeHead(204).end();
      }
      if (request.method === 'GET' && /\/exec\/[^/]+\/json$/.test(url)) return json(404, { message: 'gone' });
      json(404, { message: `not in this fake: ${request.method} ${url}` });
    });
    // exec start: switches protocols and then never writes or closes, whatever happens to the container
    server.on('upgrade', (_request, socket: Duplex) => {
      setTimeout(() => {
        socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        upgraded.add(socket);
        socket.on('error', () => undefined);
      }, startDelayMs);
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterAll(async () => {
    for (const socket of upgraded) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    dir.cleanup();
  });

  it("removing the container ends its programs' connections, and those of programs that start meanwhile", async () => {
    const engine = DockerEngine.connect({ socketPath }, { timeoutMs: 2000 });
    const agent = new ContainerAgent(engine, { id: 'c1', pid: 1, name: 'x' });
    const program = agent.spawn(['Xvfb', ':99']);
    await program.ready;
    startDelayMs = 300; // the next one is still starting while the container goes
    const late = agent.spawn(['x11vnc']);
    await agent.remove();
    expect(removed).toBe(true);
    const ended = await timed(() => Promise.all([program.exited, late.exited]));
    expect(ended.value).toEqual([null, null]); // no exit code to learn: the exec is gone with its container
    expect(ended.ms).toBeLessThan(1500);
    expect([...upgraded].every((socket) => socket.destroyed || socket.readableEnded)).toBe(true);
  });
});

describe('engine endpoints', () => {
  it('names each kind of endpoint without connecting', () => {
    expect(DockerEngine.connect({ socketPath: '/var/run/docker.sock' }).name).toBe(
      'unix:///var/run/docker.sock',
    );
    const tls = { ca: 'ca', cert: 'cert', key: 'key' };
    expect(DockerEngine.connect({ host: 'gpu-box', port: 2376, tls }).name).toBe('https://gpu-box:2376');
    expect(DockerEngine.connect({ host: '127.0.0.1', port: 2375 }).name).toBe('http://127.0.0.1:2375');
    expect(DockerEngine.connect({ ssh: { host: 'gpu-box', username: 'ops' } }).name).toBe(
      'ssh://ops@gpu-box:22',
    );
    expect(new DockerEngine(new Dockerode({ socketPath: '/x.sock' })).name).toBe('unix:///x.sock');
    expect(DockerEngine.connect({ socketPath: '/x.sock' }, { name: 'builder' }).name).toBe('builder');
  });
});
