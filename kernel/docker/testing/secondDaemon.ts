import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { DockerEngine } from '../DockerEngine.js';

const run = promisify(execFile);

export interface SecondDaemon {
  port: number;
  /** Docker's usual ca.pem, cert.pem and key.pem for a client. */
  certs: string;
  engine: DockerEngine;
  stop(): Promise<void>;
}

/** Whether this machine can start a second Docker daemon (root, dockerd and openssl installed). */
export function canStartSecondDaemon(): boolean {
  return (
    process.getuid?.() === 0 &&
    existsSync('/usr/sbin/dockerd') &&
    existsSync('/usr/bin/openssl') &&
    (existsSync('/usr/sbin/ip') || existsSync('/sbin/ip'))
  );
}

/**
 * A second, independent Docker daemon on this machine: its own data, exec root, containerd and bridge, listening
 * only on a loopback TCP port with mutual TLS (a CA, a server and a client certificate made for the occasion), as a
 * remote engine would.
 */
export async function startSecondDaemon(): Promise<SecondDaemon> {
  const root = await mkdtemp(join(tmpdir(), 'habitat-dockerd-'));
  const certs = join(root, 'certs');
  await mkdir(certs);
  await makeCertificates(certs);
  const port = await freePort();
  // its own bridge: a daemon started with --bridge none deletes docker0, the first daemon's bridge
  const bridge = `hab${randomBytes(4).toString('hex')}`.slice(0, 15);
  await run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `10.254.${randomInt(0, 255)}.1/24`, 'dev', bridge]);
  await run('ip', ['link', 'set', bridge, 'up']);
  const log: Buffer[] = [];
  const child: ChildProcess = spawn(
    '/usr/sbin/dockerd',
    [
      '--data-root',
      join(root, 'data'),
      '--exec-root',
      join(root, 'exec'),
      '--pidfile',
      join(root, 'dockerd.pid'),
      '-H',
      `tcp://127.0.0.1:${port}`,
      '--tlsverify',
      '--tlscacert',
      join(certs, 'ca.pem'),
      '--tlscert',
      join(certs, 'server-cert.pem'),
      '--tlskey',
      join(certs, 'server-key.pem'),
      '--bridge',
      bridge,
      '--iptables=false',
      '--ip-masq=false',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk: Buffer) => log.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk));
  const engine = DockerEngine.connect({
    host: '127.0.0.1',
    port,
    tls: {
      ca: await readFile(join(certs, 'ca.pem')),
      cert: await readFile(join(certs, 'cert.pem')),
      key: await readFile(join(certs, 'key.pem')),
    },
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await engine.ping();
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`the second dockerd did not start: ${Buffer.concat(log).toString().slice(-2000)}`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return { port, certs, engine, stop };
}

/** Copies an image from one engine to another (docker save | docker load), for engines with no registry. */
export async function copyImage(from: Dockerode, to: Dockerode, image: string): Promise<void> {
  const archive = await from.getImage(image).get();
  const stream = await to.loadImage(archive);
  await new Promise<void>((resolve, reject) =>
    to.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

async function makeCertificates(dir: string): Promise<void> {
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=habitat-test-ca',
  );
  await ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server-key.pem',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  );
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-out',
    'server-cert.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
  await ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'key.pem',
    '-out',
    'client.csr',
    '-subj',
    '/CN=habitat-kernel',
  );
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  await ssl(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-out',
    'cert.pem',
    '-days',
    '2',
    '-extfile',
    'client.ext',
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
