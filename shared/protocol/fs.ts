import { z } from 'zod';
import { command, event } from './define.js';
import { PidSchema } from './process.js';

/** Limits shared by the schemas and the kernel, so a caller can know them up front. */
export const FS_MAX_PATH_LENGTH = 4096;
export const FS_MAX_NAME_BYTES = 255;
export const FS_MAX_READ_BYTES = 8 * 1024 * 1024;
export const FS_MAX_WRITE_BYTES = 8 * 1024 * 1024;
export const FS_MAX_LIST_ENTRIES = 10_000;
/** Enough characters for FS_MAX_WRITE_BYTES in base64; the kernel checks the decoded byte count. */
const MAX_CONTENT_CHARS = Math.ceil(FS_MAX_WRITE_BYTES / 3) * 4;

/**
 * A path inside the agent's home: relative ('Documents/a.txt'), or with a leading '~/' that names the home ('~'
 * alone, '.' and '' are the home itself). Only the length is checked here: the kernel refuses absolute paths and
 * '..' that climbs out of the home (E_DENIED), NUL bytes, backslashes and over-long names (E_INVALID), so that the
 * error says why. Results use the normalized form: components joined by '/', '.' for the home.
 */
export const FsPathSchema = z.string().max(FS_MAX_PATH_LENGTH);

export const FsEncodingSchema = z.enum(['utf8', 'base64']);
export type FsEncoding = z.infer<typeof FsEncodingSchema>;

/** Symlinks are reported as themselves (lstat semantics) and never followed. */
export const FsEntryTypeSchema = z.enum(['file', 'dir', 'symlink', 'other']);
export type FsEntryType = z.infer<typeof FsEntryTypeSchema>;

export const FsEntrySchema = z.object({
  name: z.string(),
  /** Home-relative, normalized. */
  path: z.string(),
  type: FsEntryTypeSchema,
  size: z.number().int().nonnegative(),
  /** ISO 8601. */
  mtime: z.string(),
  /** Permission bits (mode & 0o7777). */
  mode: z.number().int().nonnegative(),
});
export type FsEntry = z.infer<typeof FsEntrySchema>;

export const FsListResultSchema = z.object({
  path: z.string(),
  entries: z.array(FsEntrySchema),
  /** More entries exist than were returned. */
  truncated: z.boolean(),
});
export type FsListResult = z.infer<typeof FsListResultSchema>;

const byteCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const FsReadResultSchema = z.object({
  path: z.string(),
  content: z.string(),
  encoding: FsEncodingSchema,
  /** The whole file's size in bytes. */
  size: byteCount,
  offset: byteCount,
  /** Bytes returned. */
  length: byteCount,
  /** The file goes on past what was returned. */
  truncated: z.boolean(),
});
export type FsReadResult = z.infer<typeof FsReadResultSchema>;

export const FsWatchIdSchema = z.string().min(1).max(64);

export const FsChangeKindSchema = z.enum(['created', 'changed', 'deleted', 'renamed']);
export type FsChangeKind = z.infer<typeof FsChangeKindSchema>;

export const FsChangedSchema = z.object({
  pid: PidSchema,
  watchId: FsWatchIdSchema,
  /** Home-relative. */
  path: z.string(),
  kind: FsChangeKindSchema,
  /** For 'renamed': where it was before, when the kernel saw both ends of the rename. */
  oldPath: z.string().optional(),
});
export type FsChanged = z.infer<typeof FsChangedSchema>;

export const fsCommands = {
  'fs.stat': command({
    description: "One entry of the agent's home, with lstat semantics: a symlink is reported, not followed.",
    args: z.object({ pid: PidSchema, path: FsPathSchema }).strict(),
    result: FsEntrySchema,
  }),
  'fs.list': command({
    description: 'The entries of a folder in the home, sorted by name.',
    args: z
      .object({
        pid: PidSchema,
        path: FsPathSchema.default('.'),
        limit: z.number().int().positive().max(FS_MAX_LIST_ENTRIES).optional(),
      })
      .strict(),
    result: FsListResultSchema,
  }),
  'fs.read': command({
    description:
      'Read a file, whole or a byte range. At most FS_MAX_READ_BYTES per call (E_LIMIT beyond: read in ranges). ' +
      'utf8 decoding replaces invalid bytes; read binary files as base64.',
    args: z
      .object({
        pid: PidSchema,
        path: FsPathSchema,
        encoding: FsEncodingSchema.default('utf8'),
        offset: byteCount.optional(),
        length: byteCount.optional(),
      })
      .strict(),
    result: FsReadResultSchema,
  }),
  'fs.write': command({
    description:
      'Replace a file atomically (temp file, fsync, rename): readers see the old or the new content, never a mix. ' +
      'With append, add to its end instead (created if missing; not atomic): a file larger than one call, or one ' +
      'message, is written in parts under a temporary name (.habitat-tmp-*, which watchers ignore), then fs.move ' +
      'puts it in place atomically. Such a part file belongs to the connection that writes it: if that connection ' +
      'closes before moving or deleting it, the host deletes it.',
    args: z
      .object({
        pid: PidSchema,
        path: FsPathSchema,
        content: z.string().max(MAX_CONTENT_CHARS),
        encoding: FsEncodingSchema.default('utf8'),
        createParents: z.boolean().default(false),
        append: z.boolean().optional(),
        /**
         * The file's permission bits after this write (rwx only: never setuid, setgid or sticky). Without it a
         * replaced file keeps its mode, a new one gets 0644.
         */
        mode: z.number().int().min(0).max(0o777).optional(),
      })
      .strict(),
    result: FsEntrySchema,
  }),
  'fs.mkdir': command({
    description: 'Create a folder; with recursive, its missing parents too, and no error if it exists.',
    args: z.object({ pid: PidSchema, path: FsPathSchema, recursive: z.boolean().default(false) }).strict(),
    result: FsEntrySchema,
  }),
  'fs.move': command({
    description: 'Move or rename a file or folder inside the home.',
    args: z
      .object({ pid: PidSchema, from: FsPathSchema, to: FsPathSchema, overwrite: z.boolean().default(false) })
      .strict(),
    result: FsEntrySchema,
  }),
  'fs.copy': command({
    description: 'Copy a file or a folder inside the home. Symlinks are copied as links, never followed.',
    args: z
      .object({ pid: PidSchema, from: FsPathSchema, to: FsPathSchema, overwrite: z.boolean().default(false) })
      .strict(),
    result: FsEntrySchema,
  }),
  'fs.delete': command({
    description:
      'Delete a file, a symlink (not its target) or a folder (non-empty ones only with recursive).',
    args: z.object({ pid: PidSchema, path: FsPathSchema, recursive: z.boolean().default(false) }).strict(),
    result: z.object({ path: z.string() }),
  }),
  'fs.watch': command({
    description: "Watch a file or a folder (recursively) in the home; changes arrive as 'fs.changed' events.",
    args: z.object({ pid: PidSchema, path: FsPathSchema.default('.') }).strict(),
    result: z.object({ watchId: FsWatchIdSchema, path: z.string() }),
  }),
  'fs.unwatch': command({
    description: 'Stop a watch.',
    args: z.object({ pid: PidSchema, watchId: FsWatchIdSchema }).strict(),
    result: z.object({ watchId: FsWatchIdSchema }),
  }),
};

export const fsEvents = {
  'fs.changed': event({
    description: 'Something changed under a watched path. Bursts are coalesced per path.',
    payload: FsChangedSchema,
  }),
};
