import type { FsEntry } from '../../../shared/protocol/index.js';
import { api, toErrorValue } from '../store/api.js';
import { base64ToBytes, bytesToBase64, joinPath, parentPath } from './paths.js';

/**
 * The prefix of part files (see fs.write): the kernel's watchers ignore them, and the host deletes one its
 * connection leaves behind, so an upload cut off half-way leaves nothing in the agent's folder.
 */
const PART_PREFIX = '.habitat-tmp-';

/** The entry at a path, or null where there is none; any other failure is thrown. */
export async function statOrNull(pid: number, path: string): Promise<FsEntry | null> {
  try {
    return await api().call('fs.stat', { pid, path });
  } catch (error) {
    if (toErrorValue(error).code === 'E_NOT_FOUND') return null;
    throw error;
  }
}

/** A name no one else will pick (crypto.randomUUID needs a secure context; a host on the LAN is plain http). */
function partName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${PART_PREFIX}upload-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Writes a new file without ever replacing one: the bytes go to a part file beside it, which is then moved into
 * place with overwrite off, so a file of that name that appeared since the person was asked (the agent wrote one)
 * is refused with E_CONFLICT and kept.
 */
export async function createFile(pid: number, path: string, bytes: Uint8Array): Promise<FsEntry> {
  const part = joinPath(parentPath(path), partName());
  await api().call('fs.write', {
    pid,
    path: part,
    content: bytesToBase64(bytes),
    encoding: 'base64',
    createParents: true,
  });
  try {
    return await api().call('fs.move', { pid, from: part, to: path, overwrite: false });
  } catch (error) {
    await api()
      .call('fs.delete', { pid, path: part })
      .catch(() => {});
    throw error;
  }
}

/** Replaces a file the person chose to replace (atomically, keeping its permissions). */
export function replaceFile(pid: number, path: string, bytes: Uint8Array): Promise<FsEntry> {
  return api().call('fs.write', { pid, path, content: bytesToBase64(bytes), encoding: 'base64' });
}

/** How much a download asks for per call: small enough for its progress to move, large enough to be quick. */
const DOWNLOAD_CHUNK = 1024 * 1024;

/**
 * A file's bytes, read in chunks, with progress; null when `signal` stopped it. (They are gathered in memory: the
 * browser saves a download from a Blob.)
 */
export async function readAll(
  pid: number,
  path: string,
  progress: (done: number, total: number) => void,
  signal: AbortSignal,
): Promise<Blob | null> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  for (;;) {
    if (signal.aborted) return null;
    const chunk = await api().call('fs.read', {
      pid,
      path,
      encoding: 'base64',
      offset,
      length: DOWNLOAD_CHUNK,
    });
    parts.push(base64ToBytes(chunk.content));
    offset += chunk.length;
    progress(offset, chunk.size);
    if (!chunk.truncated || chunk.length === 0) break;
  }
  return signal.aborted ? null : new Blob(parts);
}
