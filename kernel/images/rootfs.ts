import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import { abortedError, withDocker } from './errors.js';
import { readJsonLines } from './jsonLines.js';

/** What a container never needs: apt's package cache and indexes (stale anyway), manuals, translations. */
const SLIM_DIRS = [
  'var/cache/apt/archives',
  'var/lib/apt/lists',
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
];

/** The same exclusions for packages installed later (images derived FROM this one), as debian:*-slim does. */
const DPKG_EXCLUDES = `# Habitat sandbox: keep derived images small, like debian:*-slim.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
`;

/** Drops what a sandbox never reads before the rootfs is imported: about 140 MB of a 250 MB minbase. */
export function slimRootfs(root: string): void {
  for (const dir of SLIM_DIRS) emptyDir(join(root, dir), new Set(['partial', 'lock']));
  for (const file of readdirSafe(join(root, 'var/cache/apt'))) {
    if (file.endsWith('.bin')) rmSync(join(root, 'var/cache/apt', file), { force: true });
  }
  const docs = join(root, 'usr/share/doc');
  for (const pkg of readdirSafe(docs)) emptyDir(join(docs, pkg), new Set(['copyright']));
  mkdirSync(join(root, 'etc/dpkg/dpkg.cfg.d'), { recursive: true });
  writeFileSync(join(root, 'etc/dpkg/dpkg.cfg.d/habitat-slim'), DPKG_EXCLUDES);
}

function emptyDir(dir: string, keep: Set<string>): void {
  for (const name of readdirSafe(dir)) {
    if (!keep.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * `tar -C root -c . | docker import` through the Engine API. System tar, because it keeps device nodes, hard
 * links and numeric owners exactly; --one-file-system keeps anything still mounted inside the tree out.
 */
export async function importRootfs(
  docker: Dockerode,
  root: string,
  reference: { repo: string; tag: string },
  signal?: AbortSignal,
): Promise<string> {
  if (signal?.aborted) throw abortedError(signal, 'docker import');
  const tar = spawn('tar', ['-C', root, '--numeric-owner', '--one-file-system', '-c', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tarDone = waitForTar(tar);
  const kill = (): void => void tar.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const stream = await withDocker('docker import', () =>
      docker.importImage(tar.stdout, {
        repo: reference.repo,
        tag: reference.tag,
        changes: ['LABEL dev.habitat.image=sandbox-rootfs'],
        abortSignal: signal,
      }),
    );
    let id = '';
    await readJsonLines(stream, (message) => {
      if (message.error) throw new HabitatError('E_INTERNAL', `docker import failed: ${message.error}`);
      if (typeof message.status === 'string' && message.status.startsWith('sha256:')) id = message.status;
    });
    await tarDone;
    if (!id) throw new HabitatError('E_INTERNAL', 'docker import reported no image id');
    return id;
  } catch (error) {
    kill();
    await tarDone.catch(() => undefined);
    if (signal?.aborted) throw abortedError(signal, 'docker import');
    throw error;
  } finally {
    signal?.removeEventListener('abort', kill);
  }
}

function waitForTar(tar: ReturnType<typeof spawn>): Promise<void> {
  let stderr = '';
  tar.stderr?.setEncoding('utf8');
  tar.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    tar.once('error', (error) =>
      reject(new HabitatError('E_UNAVAILABLE', `tar could not start: ${error.message}`)),
    );
    // GNU tar exits 1 for "file changed as we read it" and for skipped mount points: warnings, not failures.
    tar.once('close', (code) =>
      code === 0 || code === 1
        ? resolve()
        : reject(new HabitatError('E_INTERNAL', `tar failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}

/**
 * Removes a debootstrap tree: first unmounts anything debootstrap left mounted in it (in a container it bind-mounts
 * the host's /dev nodes), then `rm -rf --one-file-system`, so a leftover mount is never descended into.
 */
export async function removeTree(dir: string): Promise<void> {
  for (const mountPoint of mountsBelow(dir)) await run('umount', ['-l', mountPoint]).catch(() => undefined);
  await run('rm', ['-rf', '--one-file-system', '--', dir]);
}

/** Mount points at or below dir, deepest first. */
export function mountsBelow(dir: string, mountinfo = readMountinfo()): string[] {
  const prefix = dir.replace(/\/+$/, '');
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map((field) =>
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    )
    .filter((point) => point === prefix || point.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length);
}

function readMountinfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr.trim()}`)),
    );
  });
}
