import { HabitatError, type ErrorCode } from '../../shared/protocol/index.js';

/** How a path is shown in messages: home-relative, so a caller never learns where homes live on the host. */
export function display(components: readonly string[]): string {
  return components.length === 0 ? '~' : `~/${components.join('/')}`;
}

export function fsError(code: ErrorCode, message: string): HabitatError {
  return new HabitatError(code, message);
}

export function symlinkRefused(components: readonly string[]): HabitatError {
  return fsError('E_DENIED', `${display(components)} is a symbolic link: Habitat never follows symlinks`);
}

const errnoCodes: Record<string, [ErrorCode, string]> = {
  ENOENT: ['E_NOT_FOUND', 'does not exist'],
  EEXIST: ['E_CONFLICT', 'already exists'],
  ENOTDIR: ['E_CONFLICT', 'is not a folder'],
  EISDIR: ['E_CONFLICT', 'is a folder'],
  ENOTEMPTY: ['E_CONFLICT', 'is a folder that is not empty'],
  EBUSY: ['E_CONFLICT', 'is busy'],
  EXDEV: ['E_CONFLICT', 'is on another file system'],
  ELOOP: ['E_DENIED', 'is a symbolic link: Habitat never follows symlinks'],
  EACCES: ['E_DENIED', 'is not accessible'],
  EPERM: ['E_DENIED', 'is not accessible'],
  EROFS: ['E_DENIED', 'is on a read-only file system'],
  ENAMETOOLONG: ['E_INVALID', 'has a name that is too long'],
  EINVAL: ['E_INVALID', 'is not valid here'],
  ENOSPC: ['E_LIMIT', 'cannot be written: the disk is full'],
  EDQUOT: ['E_LIMIT', 'cannot be written: the disk quota is exhausted'],
  EMFILE: ['E_LIMIT', 'cannot be opened: too many open files'],
  ENFILE: ['E_LIMIT', 'cannot be opened: too many open files'],
};

export function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * Turns a Node fs error into a HabitatError about a home-relative path. The original message is dropped: it holds
 * the host path ('/proc/self/fd/…' or the home's absolute location).
 */
export function mapFsError(error: unknown, components: readonly string[]): HabitatError {
  if (error instanceof HabitatError) return error;
  const errno = errnoOf(error);
  const known = errno === undefined ? undefined : errnoCodes[errno];
  if (known) return new HabitatError(known[0], `${display(components)} ${known[1]}`, { errno });
  return new HabitatError('E_INTERNAL', `file operation on ${display(components)} failed`, { errno });
}
