import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { create, Parser, type ReadEntry } from 'tar';
import { HabitatError } from '../../shared/protocol/index.js';
import { corrupted, HASH, type ObjectStore } from './objects.js';

/** An export holds its ref (refs/<id>.json, first), then objects/ab/<sha256> files: nothing else. */
const REF_ENTRY = /^refs\/(snap-[a-z0-9]{6,40})\.json$/;
const OBJECT_ENTRY = /^objects\/([0-9a-f]{2})\/([0-9a-f]{64})$/;
const DIR_ENTRY = /^(refs|objects|objects\/[0-9a-f]{2})\/?$/;
const MAX_REF_BYTES = 1024 * 1024;

/**
 * Writes one tar file (gzipped if asked) with a snapshot's ref and every object it uses, through a temp file
 * beside `dest` that is renamed into place when complete: a failed export leaves no partial file.
 */
export async function writeArchive(options: {
  store: ObjectStore;
  refPath: string;
  hashes: Iterable<string>;
  dest: string;
  gzip: boolean;
  onEntry?(done: number): void;
}): Promise<number> {
  const { store, dest } = options;
  const files = [options.refPath, ...[...options.hashes].map((h) => `objects/${h.slice(0, 2)}/${h}`)];
  const temp = `${dest}.tmp-${process.pid}-${Date.now()}`;
  let done = 0;
  try {
    await create(
      {
        cwd: store.root,
        file: temp,
        gzip: options.gzip,
        portable: true,
        noDirRecurse: true,
        filter: () => {
          options.onEntry?.(++done);
          return true;
        },
      },
      files,
    );
    await fsp.rename(temp, dest);
  } catch (error) {
    await fsp.rm(temp, { force: true });
    throw error;
  }
  return (await fsp.stat(dest)).size;
}

export interface ReadArchive {
  id: string;
  /** The ref's JSON, untrusted. */
  ref: unknown;
  /** Verified objects, each at join(staging, hash). */
  objects: Map<string, number>;
}

/**
 * Reads an export into `staging` (a fresh folder), refusing anything but what writeArchive writes: a symlink,
 * a hard link, a device, an absolute path or '..', an unknown name, a second ref, an object whose content does
 * not match its name, or a truncated or corrupted stream each abort with E_INVALID. The caller removes `staging`.
 */
export async function readArchive(
  file: string,
  staging: string,
  onObject?: (count: number, bytes: number) => void,
): Promise<ReadArchive> {
  await fsp.mkdir(staging, { recursive: true, mode: 0o700 });
  const objects = new Map<string, number>();
  let ref: { id: string; json: unknown } | undefined;
  let bytes = 0;
  let failure: Error | undefined;
  const writes: Promise<void>[] = [];
  const parser = new Parser({ strict: true });

  const done = new Promise<void>((resolve, reject) => {
    parser.on('error', (error: Error) =>
      reject(error instanceof HabitatError ? error : corrupted(error.message)),
    );
    parser.on('end', () => resolve());
  });

  const refuse = (entry: ReadEntry, why: string): void => {
    entry.resume();
    parser.abort(corrupted(`archive entry ${JSON.stringify(entry.path.slice(0, 200))} ${why}`));
  };

  parser.on('entry', (entry: ReadEntry) => {
    const path = entry.path;
    if (entry.type === 'Directory') {
      if (DIR_ENTRY.test(path)) entry.resume();
      else refuse(entry, 'is not part of a snapshot export');
      return;
    }
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
      refuse(entry, `is a ${entry.type}: only plain files are accepted`);
      return;
    }
    const refMatch = REF_ENTRY.exec(path);
    if (refMatch) {
      if (ref || entry.size > MAX_REF_BYTES) return refuse(entry, 'is a second or oversized ref');
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        try {
          ref = { id: refMatch[1]!, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
        } catch {
          parser.abort(corrupted('its ref is not JSON'));
        }
      });
      return;
    }
    const objectMatch = OBJECT_ENTRY.exec(path);
    const hash = objectMatch?.[2];
    if (!objectMatch || !hash || !HASH.test(hash) || objectMatch[1] !== hash.slice(0, 2)) {
      return refuse(entry, 'is not part of a snapshot export');
    }
    if (objects.has(hash)) return refuse(entry, 'appears twice');
    objects.set(hash, entry.size);
    const hasher = createHash('sha256');
    const target = join(staging, hash);
    writes.push(
      pipeline(
        entry,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hasher.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(target, { flags: 'wx', mode: 0o400 }),
      )
        .then(() => {
          if (hasher.digest('hex') !== hash) throw corrupted(`object ${hash} does not match its checksum`);
          bytes += entry.size;
          onObject?.(objects.size, bytes);
        })
        .catch((error: unknown) => {
          // settles either way, so nothing is left unhandled; the failure is thrown below
          failure ??= error instanceof HabitatError ? error : corrupted(`object ${hash}: ${String(error)}`);
          parser.abort(failure);
        }),
    );
  });

  const input = createReadStream(file);
  const failed = new Promise<never>((_, reject) =>
    input.on('error', (error) =>
      reject(new HabitatError('E_NOT_FOUND', `cannot read ${file}: ${error.message}`)),
    ),
  );
  input.pipe(parser as unknown as NodeJS.WritableStream);
  try {
    await Promise.race([done, failed]);
    await Promise.all(writes);
    if (failure) throw failure;
  } catch (error) {
    // entries cut off by the abort never end: their writes are left to be removed with the staging folder
    input.destroy();
    throw error;
  }
  if (!ref) throw corrupted('the archive holds no snapshot ref (is it truncated?)');
  return { id: ref.id, ref: ref.json, objects };
}
