import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  HabitatError,
  SnapshotInfoSchema,
  type Message,
  type ProcessInfo,
  type RestoreResult,
  type SnapshotInfo,
  type SnapshotProgress,
} from '../../shared/protocol/index.js';
import type { EventBus } from '../events/index.js';
import type { ProcessRecord, SpawnRequest } from '../process/index.js';
import { readArchive, writeArchive } from './archive.js';
import { captureHome, type FingerprintCache } from './capture.js';
import { FileWorker } from './fileWorker.js';
import { MANIFEST_FORMAT, parseManifest, totals, type Manifest } from './manifest.js';
import { materialize, removeTree } from './materialize.js';
import { corrupted, ObjectStore, sha256 } from './objects.js';
import { Progress } from './progress.js';

const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
const RefSchema = SnapshotInfoSchema.extend({ imported: z.boolean().default(false) });
type Ref = z.infer<typeof RefSchema>;

/** The agent runtime's part of a snapshot: its loop state and conversation, captured at a step boundary. */
export interface AgentState {
  loop?: unknown;
  conversation?: unknown[];
}

/** Filled in by whoever runs agent loops (the runtime): the kernel knows no loop internals. */
export interface AgentStateProvider {
  /** The agent's loop state and conversation; undefined when it runs no loop. */
  capture(pid: number): Promise<AgentState | undefined> | AgentState | undefined;
  /** Gives a restored agent (its new PID) the state captured of the original. */
  restore(pid: number, state: AgentState): Promise<void> | void;
}

/** The mailbox as snapshots use it (kernel/ipc). */
export interface MailboxPort {
  export(pid: number): Message[];
  import(pid: number, messages: Message[]): void;
}

/** The process table as snapshots use it. */
export interface SnapshotProcesses {
  record(pid: number): ProcessRecord;
  home(pid: number): string;
  freeze(pid: number, waitMs: number): Promise<{ quiesced: boolean; resume(): Promise<void> }>;
  spawn(request: SpawnRequest): Promise<ProcessInfo>;
}

export interface SnapshotsOptions {
  /** The data folder's snapshots/. */
  root: string;
  /** The homes folder: restores are staged in it, so the finished home is moved into place by a rename. */
  homesDir: string;
  processes: SnapshotProcesses;
  /** snapshot.progress, snapshot.created, snapshot.deleted. */
  events?: EventBus;
  mailbox?: MailboxPort;
}

function newId(): string {
  return `snap-${BigInt(`0x${randomBytes(8).toString('hex')}`)
    .toString(36)
    .padStart(12, '0')
    .slice(0, 12)}`;
}

/**
 * Snapshots of agents in a content-addressed store (see ObjectStore): create, list, restore to a new PID, fork,
 * delete, export and import. Operations that touch the store run one at a time, so garbage collection never
 * removes an object a running snapshot is about to reference.
 */
export class Snapshots {
  readonly store: ObjectStore;
  private readonly refs: string;
  private readonly cache: string;
  private agentState: AgentStateProvider | undefined;
  private readonly worker = new FileWorker();
  private queue: Promise<unknown> = Promise.resolve();
  private opened: Promise<void> | undefined;

  constructor(private readonly options: SnapshotsOptions) {
    this.store = new ObjectStore(options.root);
    this.refs = join(options.root, 'refs');
    this.cache = join(options.root, 'cache');
  }

  /** Stops the file worker (kernel shutdown): an operation still running fails. */
  async close(): Promise<void> {
    await this.worker.close();
  }

  /** Set by the runtime: without it, snapshots hold files, configuration and mailbox only. */
  setAgentStateProvider(provider: AgentStateProvider | undefined): void {
    this.agentState = provider;
  }

  async create(pid: number, options: { label?: string; waitMs?: number } = {}): Promise<SnapshotInfo> {
    const record = this.options.processes.record(pid);
    const home = this.options.processes.home(pid);
    return this.exclusive(async () => {
      const started = Date.now();
      const id = newId();
      const progress = this.progress('create', pid, id);
      progress.report('pausing', 0, null, 0);
      const frozen = await this.options.processes.freeze(pid, options.waitMs ?? 5_000);
      let captured;
      let agent: AgentState | undefined;
      let mailbox: Message[];
      try {
        agent = await this.agentState?.capture(pid);
        captured = await captureHome(home, this.store, this.worker, {
          previous: await this.readCache(pid),
          onProgress: (done, total, bytes) => progress.report('files', done, total, bytes),
        });
        mailbox = this.options.mailbox?.export(pid) ?? [];
      } finally {
        await frozen.resume();
      }
      const manifest: Manifest = {
        format: MANIFEST_FORMAT,
        id,
        createdAt: new Date(started).toISOString(),
        label: options.label ?? null,
        source: { pid, name: record.name, role: record.role, goal: record.goal },
        process: processConfig(record),
        quiesced: frozen.quiesced,
        agent: agent ?? null,
        mailbox,
        entries: captured.entries,
        skipped: captured.skipped,
      };
      const stored = await this.store.putBuffer(Buffer.from(JSON.stringify(manifest)));
      const sums = totals(manifest);
      const info: SnapshotInfo = {
        id,
        pid,
        name: record.name,
        label: manifest.label,
        createdAt: manifest.createdAt,
        sandbox: manifest.process.sandbox,
        ...sums,
        skipped: captured.skipped.length,
        storedBytes: captured.added + stored.added,
        durationMs: Date.now() - started,
        manifest: stored.hash,
        quiesced: frozen.quiesced,
        agentState: agent !== undefined,
        messages: mailbox.length,
      };
      await this.writeRef({ ...info, imported: false });
      await this.writeCache(pid, captured.fingerprints);
      progress.report('done', sums.files, sums.files, sums.bytes, { force: true });
      this.options.events?.emit('snapshot.created', info);
      return info;
    });
  }

  async list(filter: { pid?: number } = {}): Promise<{ snapshots: SnapshotInfo[]; storeBytes: number }> {
    await this.open();
    const refs = await this.readRefs();
    const snapshots = refs
      .filter((r) => filter.pid === undefined || r.pid === filter.pid)
      .map(({ imported: _imported, ...info }) => info);
    let storeBytes = 0;
    for (const size of (await this.store.list()).values()) storeBytes += size;
    return { snapshots, storeBytes };
  }

  get(id: string): Promise<SnapshotInfo> {
    return this.readRef(id).then(({ imported: _imported, ...info }) => info);
  }

  /**
   * A new agent from a snapshot: the home is rebuilt in a staging folder beside the homes, every file checked
   * against its sha256, and only then moved into place as the new agent's home (a damaged snapshot leaves nothing
   * behind). The agent is spawned with the saved configuration; its loop state, conversation and mailbox follow.
   */
  async restore(id: string, options: { name?: string } = {}): Promise<RestoreResult> {
    const started = Date.now();
    const progress = this.progress('restore', null, id);
    const staging = join(this.options.homesDir, `.restore-${randomBytes(8).toString('hex')}`);
    const { manifest, warnings } = await this.exclusive(async () => {
      const ref = await this.readRef(id);
      const manifest = parseManifest(await this.store.readVerified(ref.manifest, MAX_MANIFEST_BYTES));
      const { files, bytes } = totals(manifest);
      progress.report('files', 0, files, 0);
      const { warnings } = await materialize(manifest, this.store, this.worker, staging, {
        onProgress: (done, total, written) => progress.report('files', done, total, written),
      });
      progress.report('verified', files, files, bytes);
      return { manifest, warnings };
    });
    let moved: { home: string; pid: number } | undefined;
    try {
      progress.report('spawning', 0, null, 0);
      const request: SpawnRequest = {
        name: options.name ?? manifest.source.name,
        ...(manifest.source.role === null ? {} : { role: manifest.source.role }),
        ...(manifest.source.goal === null ? {} : { goal: manifest.source.goal }),
        sandbox: manifest.process.sandbox,
        ...(manifest.process.image === null ? {} : { image: manifest.process.image }),
        ...(manifest.process.engine === null ? {} : { engine: manifest.process.engine }),
        network: manifest.process.network,
        limits: manifest.process.limits,
        ...(manifest.process.gpus === null ? {} : { gpus: manifest.process.gpus }),
        createHome: async (homesDir, pid) => {
          const home = join(homesDir, String(pid));
          await fsp.rename(staging, home);
          moved = { home, pid };
          return home;
        },
      };
      const spawned = await this.spawnWithWorkspaces(request, manifest.process.workspaces, warnings);
      if (manifest.agent) {
        if (this.agentState) await this.agentState.restore(spawned.pid, manifest.agent);
        else warnings.push('no agent runtime is attached: the loop state and conversation were not restored');
      }
      this.options.mailbox?.import(spawned.pid, manifest.mailbox);
      progress.report('done', 1, 1, 0, { force: true });
      return { snapshot: id, process: spawned, warnings, durationMs: Date.now() - started };
    } catch (error) {
      // a spawn refused after the home was moved into place (a mount point it cannot have) leaves no record:
      // then the home goes too. An agent that exists, even one that failed to start, keeps its home.
      if (moved && !this.hasRecord(moved.pid)) await removeTree(moved.home);
      throw error;
    } finally {
      if (!moved) await removeTree(staging);
    }
  }

  /** Snapshot a live agent and restore it as a new one; the original is resumed right after the capture. */
  async fork(
    pid: number,
    options: { name?: string; label?: string; waitMs?: number } = {},
  ): Promise<RestoreResult & { info: SnapshotInfo }> {
    const source = this.options.processes.record(pid);
    const info = await this.create(pid, {
      label: options.label ?? `fork of ${pid}`,
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
    });
    const name = options.name ?? `${source.name.slice(0, 59)}-fork`;
    return { ...(await this.restore(info.id, { name })), info };
  }

  /** Deletes a snapshot and the objects no other snapshot uses. */
  async delete(id: string): Promise<{ id: string; freedBytes: number }> {
    return this.exclusive(async () => {
      await this.readRef(id);
      await fsp.rm(this.refPath(id), { force: true });
      const freedBytes = await this.collectGarbage();
      this.options.events?.emit('snapshot.deleted', { id });
      return { id, freedBytes };
    });
  }

  /** Writes the snapshot as one tar file at `dest` (an absolute path on this machine). */
  async export(
    id: string,
    dest: string,
    options: { gzip?: boolean; overwrite?: boolean } = {},
  ): Promise<{ id: string; path: string; bytes: number }> {
    return this.exclusive(async () => {
      const ref = await this.readRef(id);
      const manifest = parseManifest(await this.store.readVerified(ref.manifest, MAX_MANIFEST_BYTES));
      if (!options.overwrite && (await fsp.lstat(dest).catch(() => undefined))) {
        throw new HabitatError('E_CONFLICT', `${dest} exists (overwrite to replace it)`);
      }
      const hashes = new Set([ref.manifest]);
      for (const entry of manifest.entries) if (entry.type === 'file') hashes.add(entry.hash);
      for (const hash of hashes) {
        if (!(await this.store.has(hash))) throw corrupted(`object ${hash} is missing from the store`);
      }
      const progress = this.progress('export', ref.pid, id);
      try {
        const bytes = await writeArchive({
          store: this.store,
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
    });
  }

  /**
   * Reads a file written by export. Everything is checked before the store changes: the archive's entries, every
   * object's checksum, the manifest and the presence of every object it names. A refused file leaves nothing.
   */
  async import(file: string): Promise<SnapshotInfo> {
    return this.exclusive(async () => {
      const stat = await fsp.stat(file).catch(() => undefined);
      if (!stat?.isFile()) throw new HabitatError('E_NOT_FOUND', `no snapshot file at ${file}`);
      const staging = this.store.tempPath('import');
      const progress = this.progress('import', null, null);
      try {
        const archive = await readArchive(file, staging, (count, bytes) =>
          progress.report('reading', count, null, bytes),
        );
        const parsed = RefSchema.safeParse(archive.ref);
        if (!parsed.success || parsed.data.id !== archive.id) throw corrupted('its ref is invalid');
        const ref = parsed.data;
        if (await fsp.stat(this.refPath(ref.id)).catch(() => undefined)) {
          throw new HabitatError('E_CONFLICT', `snapshot ${ref.id} is in the store already`);
        }
        const object = (hash: string) =>
          archive.objects.has(hash) ? join(staging, hash) : this.store.path(hash);
        const manifestData = await fsp.readFile(object(ref.manifest)).catch(() => {
          throw corrupted(`its manifest ${ref.manifest} is missing`);
        });
        if (sha256(manifestData) !== ref.manifest)
          throw corrupted('its manifest does not match its checksum');
        const manifest = parseManifest(manifestData);
        if (manifest.id !== ref.id) throw corrupted('its manifest belongs to another snapshot');
        for (const entry of manifest.entries) {
          if (entry.type !== 'file' || archive.objects.has(entry.hash)) continue;
          if (!(await this.store.has(entry.hash)))
            throw corrupted(`object ${entry.hash} (${entry.path}) is missing`);
        }
        let added = 0;
        for (const [hash, size] of archive.objects)
          added += await this.store.adopt(join(staging, hash), hash, size);
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
        };
        await this.writeRef({ ...info, imported: true });
        progress.report('done', archive.objects.size, archive.objects.size, added, {
          force: true,
          snapshot: ref.id,
        });
        this.options.events?.emit('snapshot.created', info);
        return info;
      } finally {
        await removeTree(staging);
      }
    });
  }

  private hasRecord(pid: number): boolean {
    try {
      this.options.processes.record(pid);
      return true;
    } catch {
      return false;
    }
  }

  /** A restored agent that may not mount the workspaces of the original is spawned without them, with a warning. */
  private async spawnWithWorkspaces(
    request: SpawnRequest,
    workspaces: { name: string; mode: 'ro' | 'rw' }[],
    warnings: string[],
  ): Promise<ProcessInfo> {
    let left = workspaces;
    for (;;) {
      try {
        return await this.options.processes.spawn(left.length ? { ...request, workspaces: left } : request);
      } catch (error) {
        // refused before anything exists (no PID, the home still staged): try again without that workspace
        const refused = ((error as HabitatError).details as { workspace?: string } | undefined)?.workspace;
        if (!(error instanceof HabitatError) || !refused || !left.some((w) => w.name === refused))
          throw error;
        warnings.push(`workspace ${refused} not mounted: ${error.message}`);
        left = left.filter((w) => w.name !== refused);
      }
    }
  }

  /** Removes every object no snapshot references; returns the bytes freed. */
  private async collectGarbage(): Promise<number> {
    const live = new Set<string>();
    for (const ref of await this.readRefs()) {
      live.add(ref.manifest);
      try {
        const manifest = parseManifest(await this.store.readVerified(ref.manifest, MAX_MANIFEST_BYTES));
        for (const entry of manifest.entries) if (entry.type === 'file') live.add(entry.hash);
      } catch {
        // a damaged snapshot keeps nothing alive but its manifest: it cannot be restored anyway
      }
    }
    let freed = 0;
    for (const [hash, size] of await this.store.list()) {
      if (live.has(hash)) continue;
      await this.store.remove(hash);
      freed += size;
    }
    return freed;
  }

  private progress(op: SnapshotProgress['op'], pid: number | null, snapshot: string | null): Progress {
    return new Progress({ op, pid, snapshot }, (p) => this.options.events?.emit('snapshot.progress', p));
  }

  private refPath(id: string): string {
    if (!/^snap-[a-z0-9]{6,40}$/.test(id)) throw new HabitatError('E_INVALID', `not a snapshot id: ${id}`);
    return join(this.refs, `${id}.json`);
  }

  private async readRef(id: string): Promise<Ref> {
    await this.open();
    let text: string;
    try {
      text = await fsp.readFile(this.refPath(id), 'utf8');
    } catch (error) {
      if (error instanceof HabitatError) throw error;
      throw new HabitatError('E_NOT_FOUND', `no snapshot ${id}`);
    }
    const parsed = RefSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw corrupted(`its record ${id}.json is invalid`);
    return parsed.data;
  }

  private async readRefs(): Promise<Ref[]> {
    const refs: Ref[] = [];
    for (const name of await fsp.readdir(this.refs).catch(() => [] as string[])) {
      const match = /^(snap-[a-z0-9]+)\.json$/.exec(name);
      if (!match) continue;
      try {
        refs.push(await this.readRef(match[1]!));
      } catch {
        // an unreadable record is left out of lists, not fatal
      }
    }
    return refs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Written through a temp file and fsynced: a ref names a complete snapshot or does not exist. */
  private async writeRef(ref: Ref): Promise<void> {
    const temp = this.store.tempPath('ref');
    const file = await fsp.open(temp, 'wx', 0o600);
    try {
      await file.writeFile(JSON.stringify(ref));
      await file.sync();
    } finally {
      await file.close();
    }
    await fsp.rename(temp, this.refPath(ref.id));
  }

  private async readCache(pid: number): Promise<FingerprintCache | undefined> {
    try {
      const rows = JSON.parse(await fsp.readFile(join(this.cache, `${pid}.json`), 'utf8')) as [
        string,
        string,
        string,
      ][];
      return new Map(rows.map(([path, fp, hash]) => [path, { fp, hash }]));
    } catch {
      return undefined;
    }
  }

  private async writeCache(pid: number, cache: FingerprintCache): Promise<void> {
    const temp = this.store.tempPath('cache');
    await fsp.writeFile(temp, JSON.stringify([...cache].map(([path, { fp, hash }]) => [path, fp, hash])), {
      mode: 0o600,
    });
    await fsp.rename(temp, join(this.cache, `${pid}.json`));
  }

  private open(): Promise<void> {
    this.opened ??= (async () => {
      await this.store.open();
      await fsp.mkdir(this.refs, { recursive: true, mode: 0o700 });
      await fsp.mkdir(this.cache, { recursive: true, mode: 0o700 });
    })();
    return this.opened;
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.open()).then(task);
    this.queue = run.catch(() => {});
    return run;
  }
}

/** What a restore needs to spawn the agent again, from its stored spawn configuration. */
function processConfig(record: ProcessRecord): Manifest['process'] {
  const config = record.config as {
    image?: string | null;
    network?: boolean;
    limits?: Record<string, number>;
    gpus?: number | string[] | null;
    workspaces?: { name: string; mode: 'ro' | 'rw' }[];
  };
  const limits = Object.fromEntries(
    Object.entries(config.limits ?? {}).filter(([, value]) => typeof value === 'number'),
  );
  return {
    sandbox: record.sandbox.kind,
    image: config.image ?? null,
    engine: record.sandbox.kind === 'docker' ? (record.sandbox.engine ?? 'local') : null,
    network: config.network ?? record.sandbox.network,
    limits,
    gpus: config.gpus ?? null,
    workspaces: config.workspaces ?? [],
  };
}
