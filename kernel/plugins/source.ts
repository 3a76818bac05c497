import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { HabitatError, type PluginManifest } from '../../shared/protocol/index.js';
import { parseManifest } from './load.js';

const MAX_FILES = 256;
const MAX_BYTES = 16 * 1024 * 1024;
const MAX_DEPTH = 8;

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const DIR_FLAGS = constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
// O_NONBLOCK: a FIFO swapped in after the lstat does not hang the open (fstat then refuses it); O_NOCTTY: nor does
// a terminal become the kernel's
const FILE_FLAGS = constants.O_RDONLY | O_NOFOLLOW | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
const CHUNK = 64 * 1024;

export interface PluginSource {
  manifest: PluginManifest;
  /** Relative paths, folders first. */
  dirs: string[];
  files: { path: string; data: Buffer; executable: boolean }[];
}

export interface PluginSourceHooks {
  /**
   * Test seam: runs once an entry has been listed and lstat'ed, before it is opened, so a test can swap it for a
   * symlink exactly between check and use.
   */
  beforeOpen?(path: string): void | Promise<void>;
}

/** An open folder of the source, and the path that names it for readdir, lstat and open. */
interface OpenDir {
  handle: FileHandle;
  /** '/proc/self/fd/<fd>' on Linux: the open folder itself, wherever it now is; else its path. */
  path: string;
}

const refused = (path: string, what: string) =>
  new HabitatError('E_INVALID', `a plugin holds only files and folders: ${path} ${what}`);

/**
 * Reads a plugin folder to install (a path on the kernel host): plain files and folders only, bounded in count and
 * size, and a manifest that validates. Refuses symlinks and special files rather than copying what they lead to.
 *
 * Nothing is read through a name that was checked earlier: each entry is opened with O_NOFOLLOW (and O_DIRECTORY
 * for folders), relative to its folder's open descriptor (/proc/self/fd/<fd>/<name>, Linux's openat), and what the
 * open handle is (fstat) decides; files are read from that handle. An entry swapped for a symlink between the
 * listing and the open fails to open, and a folder swapped after it was opened cannot redirect what is under it.
 * Where /proc/self/fd is missing (macOS) entries are opened by path, still with O_NOFOLLOW and checked by fstat, but
 * a folder above one swapped for a symlink in that moment is not caught.
 */
export async function readPluginSource(source: string, hooks: PluginSourceHooks = {}): Promise<PluginSource> {
  const top = await openTop(source);
  const dirs: string[] = [];
  const files: PluginSource['files'] = [];
  let bytes = 0;
  const walk = async (dir: OpenDir, rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new HabitatError('E_LIMIT', `a plugin is at most ${MAX_DEPTH} folders deep`);
    for (const name of (await fsp.readdir(dir.path)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const entry = `${dir.path}/${name}`;
      const stat = await fsp.lstat(entry);
      if (stat.isSymbolicLink()) throw refused(path, 'is a symlink');
      if (!stat.isDirectory() && !stat.isFile()) throw refused(path, 'is not one');
      await hooks.beforeOpen?.(path);
      if (stat.isDirectory()) {
        const child = await openEntry(entry, path, 'folder');
        try {
          dirs.push(path);
          await walk(child, path, depth + 1);
        } finally {
          await child.handle.close();
        }
        continue;
      }
      if (files.length >= MAX_FILES)
        throw new HabitatError('E_LIMIT', `a plugin holds at most ${MAX_FILES} files`);
      const { handle } = await openEntry(entry, path, 'file');
      try {
        const opened = await handle.stat();
        const data = await readBounded(handle, opened.size, MAX_BYTES - bytes);
        bytes += data.length;
        files.push({ path, data, executable: (opened.mode & 0o111) !== 0 });
      } finally {
        await handle.close();
      }
    }
  };
  try {
    await walk(top, '', 0);
  } finally {
    await top.handle.close();
  }
  const manifestFile = files.find((f) => f.path === 'manifest.json');
  if (!manifestFile) throw new HabitatError('E_INVALID', `${source} has no manifest.json`);
  const parsed = parseManifest(manifestFile.data.toString('utf8'), source);
  if (!parsed.ok) throw new HabitatError('E_INVALID', parsed.error.message, { issues: parsed.error.issues });
  if (!files.some((f) => f.path === parsed.manifest.handler)) {
    throw new HabitatError('E_INVALID', `the handler ${parsed.manifest.handler} is not in the plugin folder`);
  }
  return { manifest: parsed.manifest, dirs, files };
}

/** The source folder itself, not followed if it is a symlink; named through its descriptor where Linux allows. */
async function openTop(source: string): Promise<OpenDir> {
  const handle = await fsp.open(source, DIR_FLAGS).catch(() => undefined);
  const stat = await handle?.stat().catch(() => undefined);
  if (!handle || !stat?.isDirectory()) {
    await handle?.close();
    throw new HabitatError('E_NOT_FOUND', `${source} is not a folder`);
  }
  return { handle, path: (await procPathOf(handle)) ?? source };
}

/** '/proc/self/fd/<fd>' when it names this open folder (Linux with /proc), else undefined. */
async function procPathOf(handle: FileHandle): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  const path = `/proc/self/fd/${handle.fd}`;
  const [opened, viaProc] = await Promise.all([handle.stat(), fsp.stat(path).catch(() => undefined)]);
  return viaProc && viaProc.dev === opened.dev && viaProc.ino === opened.ino ? path : undefined;
}

/**
 * Opens a listed entry without following it, and checks what was opened: a symlink (or anything else) put in its
 * place since the lstat is refused, never read.
 */
async function openEntry(entry: string, path: string, kind: 'file' | 'folder'): Promise<OpenDir> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(entry, kind === 'folder' ? DIR_FLAGS : FILE_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // O_NOFOLLOW on a symlink: ELOOP; with O_DIRECTORY Linux says ENOTDIR
    if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENXIO')
      throw refused(path, 'changed while it was read (to a symlink or a special file)');
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (kind === 'folder' ? !stat.isDirectory() : !stat.isFile())
      throw refused(path, 'changed while it was read (to a symlink or a special file)');
    return { handle, path: kind === 'file' ? entry : ((await procPathOf(handle)) ?? entry) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A file's bytes from its open handle: at most limit of them (E_LIMIT beyond), however it grows meanwhile. */
async function readBounded(handle: FileHandle, size: number, limit: number): Promise<Buffer> {
  if (size > limit) throw new HabitatError('E_LIMIT', `a plugin holds at most ${MAX_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, limit - total + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > limit) throw new HabitatError('E_LIMIT', `a plugin holds at most ${MAX_BYTES} bytes`);
    chunks.push(buffer.subarray(0, bytesRead));
  }
  return Buffer.concat(chunks, total);
}
