import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  createReadStream,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { WebSocketClient } from '../../../shared/client/index.js';
import { HabitatError, type FsEntry } from '../../../shared/protocol/index.js';
import { parsePid, type CliContext } from '../context.js';
import { formatBytes, table } from '../format.js';

/**
 * Bytes per fs.read and fs.write call: well under FS_MAX_READ_BYTES and FS_MAX_WRITE_BYTES, and as base64 (5.6 MB)
 * well under a message's limit. A file larger than one part is read in ranges, and written in parts.
 */
export const FS_PART_BYTES = 4 * 1024 * 1024;

/** Names of the kernel's temporary files (kernel/fs/atomicWrite.ts's TEMP_PREFIX): watchers ignore them. */
const TEMP_PREFIX = '.habitat-tmp-';

/** `habitat fs ls|cat|put|get PID PATH`: an agent's home, always through the kernel's safe path resolution. */
export function registerFiles({ program, withClient, print, io }: CliContext): void {
  const fs = program.command('fs').description("read and write files in an agent's home");

  fs.command('ls')
    .argument('<pid>', 'kernel PID')
    .argument('[path]', 'folder, relative to the home', '.')
    .description('list a folder')
    .action(
      withClient(async (client, pid: string, path: string) => {
        const result = await client.call('fs.list', { pid: parsePid(pid), path });
        print(result, () =>
          table(
            ['TYPE', 'SIZE', 'MODIFIED', 'NAME'],
            result.entries.map((e) => [
              e.type,
              formatBytes(e.size),
              new Date(e.mtime).toISOString().slice(0, 19),
              e.name,
            ]),
          ),
        );
      }),
    );

  fs.command('cat')
    .argument('<pid>', 'kernel PID')
    .argument('<path>', 'file, relative to the home')
    .description('print a file')
    .action(
      withClient(async (client, pid: string, path: string) => {
        await readInRanges(client, parsePid(pid), path, (bytes) => io.write(bytes));
      }),
    );

  fs.command('get')
    .argument('<pid>', 'kernel PID')
    .argument('<path>', 'file, relative to the home')
    .argument('[local]', 'where to save it (default: its name, here)')
    .description('copy a file out of the home')
    .action(
      withClient(async (client, pid: string, path: string, local?: string) => {
        const target = local ?? basename(path);
        if (target === '-') {
          await readInRanges(client, parsePid(pid), path, (bytes) => io.write(bytes));
          return;
        }
        const existing = statOrUndefined(target);
        // a link, a FIFO or a device (/dev/stdout) is written through, as before; a file or a new name gets the copy
        // beside it, renamed over it once whole: a failed or interrupted copy leaves what was there
        const inPlace = existing !== undefined && !existing.isFile();
        if (!inPlace) sweepParts(target);
        const part = inPlace
          ? target
          : join(dirname(target), `${partPrefix(target)}${process.pid}-${randomHex()}`);
        const fd = openSync(part, inPlace ? 'w' : 'wx', 0o644);
        const removePart = (): void => {
          try {
            closeSync(fd);
          } catch {
            // closed already
          }
          if (!inPlace) unlinkSync(part);
        };
        const interrupted = onInterrupt(removePart);
        let size: number;
        try {
          const progress = progressLine(`get ${path}`);
          size = await readInRanges(client, parsePid(pid), path, (bytes, done, total) => {
            writeSync(fd, bytes);
            progress(done, total);
          });
          progress.end();
          closeSync(fd);
          if (!inPlace) {
            if (existing) chmodSync(part, existing.mode & 0o7777); // the file it replaces keeps its mode
            renameSync(part, target);
          }
        } catch (error) {
          removePart();
          throw error;
        } finally {
          interrupted.dispose();
        }
        print({ path: target, size }, () => `${target} (${formatBytes(size)})`);
      }),
    );

  fs.command('put')
    .argument('<pid>', 'kernel PID')
    .argument('<local>', 'local file ("-" reads standard input)')
    .argument('<path>', 'destination, relative to the home')
    .description('copy a file into the home (atomically, keeping its permission bits)')
    .action(
      withClient(async (client, pidText: string, local: string, path: string) => {
        const pid = parsePid(pidText);
        const input =
          local === '-' ? process.stdin : createReadStream(local, { highWaterMark: FS_PART_BYTES });
        // a file keeps its permission bits; standard input, a FIFO or a device has none to give
        const mode = local === '-' ? undefined : regularFileMode(local);
        const entry = await writeInParts(client, pid, path, input, mode);
        print({ path, size: entry.size }, () => `${path} (${formatBytes(entry.size)})`);
      }),
    );
}

/**
 * Reads a file of the home in ranges of FS_PART_BYTES, handing each to `sink` with the bytes read so far and the
 * file's size; returns the size. A file whose size changes meanwhile is refused (E_CONFLICT): the copy would mix
 * two versions.
 */
export async function readInRanges(
  client: WebSocketClient,
  pid: number,
  path: string,
  sink: (bytes: Buffer, done: number, total: number) => void,
): Promise<number> {
  let offset = 0;
  let size: number | undefined;
  for (;;) {
    const result = await client.call('fs.read', {
      pid,
      path,
      encoding: 'base64',
      offset,
      length: FS_PART_BYTES,
    });
    if (size !== undefined && result.size !== size) {
      throw new HabitatError(
        'E_CONFLICT',
        `${path} changed while it was read (${size} bytes, now ${result.size})`,
      );
    }
    size = result.size;
    offset += result.length;
    sink(Buffer.from(result.content, 'base64'), offset, size);
    if (!result.truncated || result.length === 0) return offset;
  }
}

/**
 * Writes a stream into the home. What fits one part is one atomic fs.write; a larger file goes in parts under a
 * temporary name in the destination's folder (fs.write, then fs.write with append), which fs.move then renames
 * over the destination: readers see the old file or the whole new one, never a part. The part file sits in the
 * destination's folder so that the rename stays on one file system and atomic, and its bytes count against the
 * home's quota; its dot name hides it and watchers ignore it. A failure or SIGINT removes it here; a KILL or a lost
 * connection cannot, so the host removes the part files of a connection that closes (main/handlers/fs.ts), and
 * the next put into the folder sweeps those a stopped host left (AgentFs.sweepTemp).
 */
export async function writeInParts(
  client: WebSocketClient,
  pid: number,
  path: string,
  input: Readable,
  /** Permission bits for the file; without them, those of the file it replaces, or 0644. */
  mode?: number,
): Promise<FsEntry> {
  const parts = partsOf(input, FS_PART_BYTES)[Symbol.asyncIterator]();
  const first = await parts.next();
  const firstPart = first.done ? Buffer.alloc(0) : first.value;
  const second = first.done ? first : await parts.next();
  const write = (target: string, bytes: Buffer, append: boolean, bits?: number) =>
    client.call('fs.write', {
      pid,
      path: target,
      content: bytes.toString('base64'),
      encoding: 'base64',
      createParents: true,
      append,
      ...(bits === undefined ? {} : { mode: bits }),
    });
  if (second.done) return write(path, firstPart, false, mode);

  const temp = posix.join(posix.dirname(path), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  const progress = progressLine(`put ${path}`);
  // interrupted, it takes its part file away at once (after a KILL, the host does when the connection closes)
  const interrupted = onInterrupt(() => client.call('fs.delete', { pid, path: temp }).then(() => undefined));
  try {
    let done = 0;
    const send = async (bytes: Buffer, append: boolean): Promise<void> => {
      await write(temp, bytes, append);
      done += bytes.length;
      progress(done);
    };
    await send(firstPart, false);
    await send(second.value, true);
    for (let next = await parts.next(); !next.done; next = await parts.next()) await send(next.value, true);
    // The mode comes after the last part (an empty append), not with the first: a read-only one would refuse the
    // appends after it. Without one of its own the file keeps the mode of the file it replaces, as one write does.
    const bits = mode ?? (await fileMode(client, pid, path));
    if (bits !== undefined) await write(temp, Buffer.alloc(0), true, bits);
    const entry = await client.call('fs.move', { pid, from: temp, to: path, overwrite: true });
    progress.end();
    return entry;
  } catch (error) {
    progress.end();
    await client.call('fs.delete', { pid, path: temp }).catch(() => undefined);
    throw error;
  } finally {
    interrupted.dispose();
  }
}

/** A local regular file's permission bits (rwx); undefined for anything else. */
function regularFileMode(path: string): number | undefined {
  try {
    const stats = statSync(path);
    return stats.isFile() ? stats.mode & 0o777 : undefined;
  } catch {
    return undefined; // missing or unreadable: reading it says why
  }
}

/** The permission bits (rwx) of a file in the home; undefined if it is missing or not a file. */
async function fileMode(client: WebSocketClient, pid: number, path: string): Promise<number | undefined> {
  const entry = await client.call('fs.stat', { pid, path }).catch(() => undefined);
  return entry?.type === 'file' ? entry.mode & 0o777 : undefined;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * A get's part file beside its target is `.NAME.habitat-part-PID-HEX`, PID the CLI's: SIGINT, SIGTERM and SIGHUP let
 * it remove its part, but a KILL or a crash leaves it. The next get of the same target removes such leftovers: those
 * whose CLI no longer runs here and that nothing has written to for a minute (a folder shared with another machine,
 * or another PID namespace, cannot tell its PIDs apart: a copy in progress there keeps writing to its part).
 */
const STALE_PART_MS = 60_000;

function partPrefix(target: string): string {
  return `.${basename(target)}.habitat-part-`;
}

function randomHex(): string {
  return randomBytes(4).toString('hex');
}

function sweepParts(target: string): void {
  const folder = dirname(target);
  const prefix = partPrefix(target);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return; // a missing folder: opening the part says so
  }
  for (const name of names) {
    const owner = name.startsWith(prefix) ? /^(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length)) : null;
    if (!owner || isRunning(Number(owner[1]))) continue;
    const path = join(folder, name);
    try {
      const stats = lstatSync(path);
      if (stats.isFile() && Date.now() - stats.mtimeMs > STALE_PART_MS) unlinkSync(path);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process
  }
}

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Until disposed, SIGINT, SIGTERM and SIGHUP (a closed terminal) first run `cleanup` (a copy's part file), then end
 * the CLI as the signal would (130, 143, 129).
 */
function onInterrupt(cleanup: () => void | Promise<void>): { dispose(): void } {
  const handlers = (Object.keys(SIGNAL_NUMBERS) as (keyof typeof SIGNAL_NUMBERS)[]).map((signal) => {
    const handler = (): void => {
      void Promise.resolve()
        .then(cleanup)
        .catch(() => undefined)
        .finally(() => process.exit(128 + SIGNAL_NUMBERS[signal]));
    };
    process.once(signal, handler);
    return () => process.off(signal, handler);
  });
  return { dispose: () => handlers.forEach((off) => off()) };
}

/** A stream cut into buffers of `size` bytes (the last one shorter). */
async function* partsOf(input: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let rest = chunk;
    while (length + rest.length >= size) {
      const take = size - length;
      yield Buffer.concat([...pending, rest.subarray(0, take)]);
      rest = rest.subarray(take);
      pending = [];
      length = 0;
    }
    if (rest.length) {
      pending.push(rest);
      length += rest.length;
    }
  }
  if (length) yield Buffer.concat(pending);
}

/** A progress line on stderr, rewritten in place, only when stderr is a terminal. */
function progressLine(label: string): ((done: number, total?: number) => void) & { end(): void } {
  const tty = process.stderr.isTTY === true;
  let shown = false;
  const update = (done: number, total?: number): void => {
    if (!tty || (total !== undefined && total <= FS_PART_BYTES)) return;
    const of = total === undefined ? '' : ` of ${formatBytes(total)} (${Math.floor((done / total) * 100)}%)`;
    process.stderr.write(`\r\x1b[K${label}: ${formatBytes(done)}${of}`);
    shown = true;
  };
  return Object.assign(update, {
    end: () => {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  });
}
