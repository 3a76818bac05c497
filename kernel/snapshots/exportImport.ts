import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { HabitatError, type SnapshotInfo, type SnapshotProgress } from '../../shared/protocol/index.js';
import type { EventBus } from '../events/index.js';
import { readArchive, writeArchive } from './archive.js';
import { parseManifest, readManifest, totals } from './manifest.js';
import { removeTree } from './materialize.js';
import { corrupted, sha256, type ObjectStore } from './objects.js';
import type { Progress } from './progress.js';
import { RefSchema, type Refs } from './refs.js';

/** What export and import work on. Both run as one of the store's exclusive operations (see Snapshots). */
export interface ExportImportContext {
  store: ObjectStore;
  refs: Refs;
  progress(op: SnapshotProgress['op'], pid: number | null, snapshot: string | null): Progress;
  /** snapshot.created, for an import. */
  events?: EventBus;
}

/** Writes the snapshot as one tar file at `dest` (an absolute path on this machine). */
export async function exportSnapshot(
  context: ExportImportContext,
  id: string,
  dest: string,
  options: { gzip?: boolean; overwrite?: boolean },
): Promise<{ id: string; path: string; bytes: number }> {
  const { store } = context;
  const ref = await context.refs.get(id);
  const manifest = await readManifest(store, ref.manifest);
  if (!options.overwrite && (await fsp.lstat(dest).catch(() => undefined))) {
    // worded for both callers: the CLI's flag and the protocol's field
    throw new HabitatError(
      'E_CONFLICT',
      `${dest} already exists: export with --force (overwrite: true) to replace it`,
    );
  }
  const hashes = new Set([ref.manifest]);
  for (const entry of manifest.entries) if (entry.type === 'file') hashes.add(entry.hash);
  for (const hash of hashes) {
    if (!(await store.has(hash))) throw corrupted(`object ${hash} is missing from the store`);
  }
  const progress = context.progress('export', ref.pid, id);
  try {
    const bytes = await writeArchive({
      store,
      refPath: `refs/${id}.json`,
      hashes,
      dest,
      gzip: options.gzip ?? false,
      onEntry: (done) => progress.report('writing', done, hashes.size + 1, 0),
    });
    progress.report('done', hashes.size + 1, hashes.size + 1, bytes, { force: true });
    return { id, path: dest, bytes };
  } catch (error) {
    if (error instanceof HabitatError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new HabitatError(
      code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_INVALID',
      `cannot write ${dest}: ${String(error)}`,
    );
  }
}

/**
 * Reads a file written by export. Everything is checked before the store changes: the archive's entries, every
 * object's checksum, the manifest and the presence of every object it names. A refused file leaves nothing.
 */
export async function importSnapshot(context: ExportImportContext, file: string): Promise<SnapshotInfo> {
  const { store, refs } = context;
  const stat = await fsp.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new HabitatError('E_NOT_FOUND', `no snapshot file at ${file}`);
  const staging = store.tempPath('import');
  const progress = context.progress('import', null, null);
  try {
    const archive = await readArchive(file, staging, (count, bytes) =>
      progress.report('reading', count, null, bytes),
    );
    const parsed = RefSchema.safeParse(archive.ref);
    if (!parsed.success || parsed.data.id !== archive.id) throw corrupted('its ref is invalid');
    const ref = parsed.data;
    if (await refs.exists(ref.id)) {
      throw new HabitatError('E_CONFLICT', `snapshot ${ref.id} is in the store already`);
    }
    const object = (hash: string) => (archive.objects.has(hash) ? join(staging, hash) : store.path(hash));
    const manifestData = await fsp.readFile(object(ref.manifest)).catch(() => {
      throw corrupted(`its manifest ${ref.manifest} is missing`);
    });
    if (sha256(manifestData) !== ref.manifest) throw corrupted('its manifest does not match its checksum');
    const manifest = parseManifest(manifestData);
    if (manifest.id !== ref.id) throw corrupted('its manifest belongs to another snapshot');
    for (const entry of manifest.entries) {
      if (entry.type !== 'file' || archive.objects.has(entry.hash)) continue;
      if (!(await store.has(entry.hash))) throw corrupted(`object ${entry.hash} (${entry.path}) is missing`);
    }
    let added = 0;
    for (const [hash, size] of archive.objects) added += await store.adopt(join(staging, hash), hash, size);
    const sums = totals(manifest);
    const info: SnapshotInfo = {
      id: ref.id,
      pid: manifest.source.pid,
      name: manifest.source.name,
      label: manifest.label,
      createdAt: manifest.createdAt,
      sandbox: manifest.process.sandbox,
      ...sums,
      skipped: manifest.skipped.length,
      storedBytes: added,
      durationMs: ref.durationMs,
      manifest: ref.manifest,
      quiesced: manifest.quiesced,
      agentState: manifest.agent !== null,
      messages: manifest.mailbox.length,
      kind: ref.kind,
      step: ref.step,
    };
    // the record is durable: so must be all it names, whether the archive brought it or the store had it
    await store.flush([
      ref.manifest,
      ...manifest.entries.flatMap((entry) => (entry.type === 'file' ? [entry.hash] : [])),
    ]);
    await refs.write({ ...info, imported: true });
    progress.report('done', archive.objects.size, archive.objects.size, added, {
      force: true,
      snapshot: ref.id,
    });
    context.events?.emit('snapshot.created', info);
    return info;
  } finally {
    await removeTree(staging);
  }
}
