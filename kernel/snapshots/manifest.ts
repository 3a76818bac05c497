import { posix } from 'node:path';
import { z } from 'zod';
import { MessageSchema } from '../../shared/protocol/index.js';
import { HOME_INSIDE } from '../sandbox/index.js';
import { corrupted, type ObjectStore } from './objects.js';

export const MANIFEST_FORMAT = 'habitat-snapshot/1';
export const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
const MAX_ENTRIES = 1_000_000;
const MAX_PATH = 4096;

const hash = z.string().regex(/^[0-9a-f]{64}$/);
const mode = z.number().int().min(0).max(0o7777);
const mtime = z.number().nonnegative();

export const EntrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dir'), path: z.string(), mode, mtime }).strict(),
  z
    .object({
      type: z.literal('file'),
      path: z.string(),
      mode,
      mtime,
      size: z.number().int().nonnegative(),
      hash,
    })
    .strict(),
  z
    .object({ type: z.literal('symlink'), path: z.string(), mtime, target: z.string().min(1).max(MAX_PATH) })
    .strict(),
]);
export type Entry = z.infer<typeof EntrySchema>;

/** What a snapshot holds besides the files: everything needed to start the agent again. */
export const ManifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    id: z.string(),
    createdAt: z.string(),
    label: z.string().nullable(),
    source: z.object({
      pid: z.number().int().positive(),
      name: z.string(),
      role: z.string().nullable(),
      goal: z.string().nullable(),
    }),
    /** The process configuration: how to spawn it again. */
    process: z.object({
      sandbox: z.enum(['host', 'docker']),
      image: z.string().nullable(),
      engine: z.string().nullable(),
      network: z.boolean(),
      limits: z.record(z.string(), z.number()),
      gpus: z.union([z.number(), z.array(z.string())]).nullable(),
      workspaces: z.array(z.object({ name: z.string(), mode: z.enum(['ro', 'rw']) })),
    }),
    quiesced: z.boolean(),
    /** The agent runtime's state: its loop and conversation (null when no runtime was attached). */
    agent: z
      .object({ loop: z.unknown().optional(), conversation: z.array(z.unknown()).optional() })
      .nullable(),
    mailbox: z.array(MessageSchema),
    /** Checked one by one by checkEntry (a schema would take half a second on a big home). */
    entries: z.array(z.unknown()).max(MAX_ENTRIES),
    skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
  })
  .strict();
export type Manifest = Omit<z.infer<typeof ManifestSchema>, 'entries'> & { entries: Entry[] };

const HASH = /^[0-9a-f]{64}$/;
const KEYS = {
  dir: ['type', 'path', 'mode', 'mtime'],
  file: ['type', 'path', 'mode', 'mtime', 'size', 'hash'],
  symlink: ['type', 'path', 'mtime', 'target'],
} as const;

/**
 * What EntrySchema accepts, checked by hand: it runs for every file of a home (tens of thousands), where the schema
 * would hold the event loop for half a second. Returns the reason it is refused, or undefined.
 */
export function checkEntry(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not an object';
  const entry = value as Record<string, unknown>;
  const keys = KEYS[entry.type as keyof typeof KEYS];
  if (!keys) return 'has no valid type';
  const own = Object.keys(entry);
  if (own.length !== keys.length || !keys.every((k) => Object.hasOwn(entry, k)))
    return 'has unknown or missing keys';
  if (typeof entry.path !== 'string') return 'has no path';
  const { mode, mtime } = entry;
  if (typeof mtime !== 'number' || !(mtime >= 0) || !Number.isFinite(mtime)) return 'has no valid mtime';
  if (
    entry.type !== 'symlink' &&
    !(Number.isInteger(mode) && (mode as number) >= 0 && (mode as number) <= 0o7777)
  )
    return 'has no valid mode';
  if (entry.type === 'file') {
    if (!Number.isSafeInteger(entry.size) || (entry.size as number) < 0) return 'has no valid size';
    if (typeof entry.hash !== 'string' || !HASH.test(entry.hash)) return 'has no valid hash';
  }
  if (entry.type === 'symlink') {
    const { target } = entry;
    if (typeof target !== 'string' || target.length < 1 || target.length > MAX_PATH)
      return 'has no valid target';
  }
  return undefined;
}

/** One home-relative path, checked: no absolute paths, no '.' or '..' components, no NUL, no over-long names. */
export function checkEntryPath(path: string): void {
  const bad = (why: string) => corrupted(`entry ${JSON.stringify(path.slice(0, 200))} ${why}`);
  if (path.length === 0 || path.length > MAX_PATH) throw bad('has no valid length');
  if (path.includes('\0')) throw bad('holds a NUL byte');
  if (path.startsWith('/')) throw bad('is an absolute path');
  for (const part of path.split('/')) {
    if (part === '' || part === '.' || part === '..') throw bad('climbs or has empty components');
    if (Buffer.byteLength(part) > 255) throw bad('has a name over 255 bytes');
  }
}

/** Whether a symlink at `path` (home-relative) resolves inside the home, as the agent sees it (/home/agent). */
export function symlinkStaysInside(path: string, target: string): boolean {
  if (target.includes('\0')) return false;
  if (target.startsWith('/')) return target === HOME_INSIDE || target.startsWith(`${HOME_INSIDE}/`);
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  return resolved !== '..' && !resolved.startsWith('../');
}

/**
 * Parses a manifest (untrusted once it comes from an archive) and checks that it can only write inside the home:
 * every path is relative and clean, appears once, and sits in a folder entry listed before it, so nothing is ever
 * written through a symlink; symlinks point inside the home.
 */
export function parseManifest(data: Buffer): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    throw corrupted('its manifest is not JSON');
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupted(`its manifest is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  parsed.data.entries.forEach((value, index) => {
    const why = checkEntry(value);
    if (why) throw corrupted(`its manifest is invalid at entries.${index}: ${why}`);
  });
  const manifest = parsed.data as Manifest;
  const dirs = new Set<string>();
  const seen = new Set<string>();
  for (const entry of manifest.entries) {
    checkEntryPath(entry.path);
    if (seen.has(entry.path)) throw corrupted(`entry ${entry.path} appears twice`);
    seen.add(entry.path);
    const parent = posix.dirname(entry.path);
    if (parent !== '.' && !dirs.has(parent)) {
      throw corrupted(`entry ${entry.path} is not inside a folder of the snapshot (a symlink or a file?)`);
    }
    if (entry.type === 'dir') dirs.add(entry.path);
    if (entry.type === 'symlink' && !symlinkStaysInside(entry.path, entry.target)) {
      throw corrupted(`symlink ${entry.path} points outside the home (${entry.target.slice(0, 200)})`);
    }
  }
  return manifest;
}

/** A stored manifest, its content verified against its hash, then parsed (see parseManifest). */
export async function readManifest(store: ObjectStore, hash: string): Promise<Manifest> {
  return parseManifest(await store.readVerified(hash, MAX_MANIFEST_BYTES));
}

export function totals(manifest: Manifest): { files: number; dirs: number; symlinks: number; bytes: number } {
  let files = 0;
  let dirs = 0;
  let symlinks = 0;
  let bytes = 0;
  for (const entry of manifest.entries) {
    if (entry.type === 'file') {
      files++;
      bytes += entry.size;
    } else if (entry.type === 'dir') dirs++;
    else symlinks++;
  }
  return { files, dirs, symlinks, bytes };
}
