import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import type { SandboxSpec } from './types.js';

export const HOME_INSIDE = '/home/agent';

/** /etc entries a shell and common tools need; nothing secret (no shadow, no ssh, no credentials). */
const ETC_FILES = [
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'nsswitch.conf',
  'passwd',
  'group',
  'localtime',
  'terminfo',
  'bash.bashrc',
  'profile',
  'inputrc',
  'alternatives',
  'ssl',
  'ca-certificates',
  'mime.types',
];
const NETWORK_ETC_FILES = ['resolv.conf', 'hosts', 'host.conf', 'gai.conf'];

/** Returns the bwrap binary when it is installed and can create namespaces here, else undefined. */
export function detectBubblewrap(
  candidates = ['/usr/bin/bwrap', '/usr/local/bin/bwrap'],
): string | undefined {
  for (const bin of candidates) {
    if (!existsSync(bin)) continue;
    const probe = spawnSync(bin, ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '/bin/true'], {
      timeout: 5000,
      stdio: 'ignore',
    });
    if (probe.status === 0) return bin;
  }
  return undefined;
}

/** /bin, /lib... are symlinks into /usr on merged-usr systems and real folders elsewhere: mirror what is there. */
function rootEntry(name: string): string[] {
  const path = `/${name}`;
  if (!existsSync(path)) return [];
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return ['--symlink', readlinkSync(path), path];
  return ['--ro-bind', path, path];
}

function etcBinds(names: string[]): string[] {
  return names
    .filter((name) => existsSync(`/etc/${name}`))
    .flatMap((name) => ['--ro-bind', `/etc/${name}`, `/etc/${name}`]);
}

/**
 * bwrap arguments for one agent: every namespace unshared (network too unless granted), a read-only system, a
 * private /tmp, the home bound read-write at /home/agent, and death with the kernel.
 */
export function bubblewrapArgs(spec: SandboxSpec): string[] {
  return [
    '--unshare-all',
    ...(spec.network ? ['--share-net'] : []),
    '--die-with-parent',
    '--ro-bind',
    '/usr',
    '/usr',
    ...['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'].flatMap(rootEntry),
    ...etcBinds(spec.network ? [...ETC_FILES, ...NETWORK_ETC_FILES] : ETC_FILES),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // a fresh /dev has no GPUs: bind the agent's own (-try: a node that vanished since is skipped, not fatal)
    ...(spec.devices ?? []).flatMap((node) => ['--dev-bind-try', node, node]),
    '--tmpfs',
    '/tmp',
    '--dir',
    '/run',
    '--bind',
    spec.home,
    HOME_INSIDE,
    // shared workspaces, after the home they are mounted into
    ...(spec.mounts ?? []).flatMap((m) => [m.readOnly ? '--ro-bind' : '--bind', m.source, m.target]),
    '--chdir',
    HOME_INSIDE,
    '--hostname',
    `agent-${spec.pid}`,
  ];
}
