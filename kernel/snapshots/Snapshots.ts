import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import {
  HabitatError,
  type CheckpointSettings,
  type Message,
  type ProcessInfo,
  type RestoreResult,
  type RollbackResult,
  type SnapshotInfo,
  type SnapshotProgress,
} from '../../shared/protocol/index.js';
import type { EventBus } from '../events/index.js';
import type { ProcessRecord, SpawnRequest } from '../process/index.js';
import { readArchive, writeArchive } from './archive.js';
import { captureHome } from './capture.js';
import {
  CHECKPOINT_WAIT_MS,
  checkpointConfig,
  checkpointSetting,
  ManifestObjects,
  prunable,
} from './checkpoints.js';
import { FileWorker } from './fileWorker.js';
import { journalFor, matchOwner, prepareSwap, recoverSwaps } from './homeSwap.js';
import { MANIFEST_FORMAT, parseManifest, totals, type Manifest } from './manifest.js';
import { materialize, removeTree } from './materialize.js';
import { corrupted, ObjectStore, sha256 } from './objects.js';
import { Progress } from './progress.js';
import { Fingerprints, RefSchema, Refs, type Ref } from './refs.js';

const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
const LIVE_STATES = new Set(['created', 'running', 'sleeping', 'stopped']);
type Frozen = Awaited<ReturnType<SnapshotProcesses['freeze']>>;

/** The agent runtime's part of a snapshot: its loop state and conversation, captured at a step boundary. */
export interface AgentState {
  loop?: unknown;
  conversation?: unknown[];
}

/** Filled in by whoever runs agent loops (the runtime): the kernel knows no loop internals. */
export interface AgentStateProvider {
  /** The agent's loop state and conversation; undefined when it runs no loop. */
  capture(pid: number): Promise<AgentState | undefined> | AgentState | undefined;
  /**
   * Gives a restored agent (its new PID) the state captured of the original, once the agent exists with its home
   * and mailbox: a run that was under way goes on from there (the runtime's choice, from its part of `state`).
   */
  restore(pid: number, state: AgentState, origin: { snapshot: string }): Promise<void> | void;
  /**
   * Takes the same agent back to a state captured of it (a rollback), called while it is held at a step boundary
   * and after its home was replaced: its conversation becomes `state`'s, and its loop goes on from there once it is
   * let go (the loop that ran ends without a trace).
   */
  rollback?(pid: number, state: AgentState): Promise<void> | void;
}

/** The mailbox as snapshots use it (kernel/ipc). */
export interface MailboxPort {
  export(pid: number): Message[];
  import(pid: number, messages: Message[]): void;
  /** The same mailbox back to an export of it: read then is read, unread then is unread, later mail kept. */
  rewind?(pid: number, messages: Message[]): void;
}

/** The process table as snapshots use it. */
export interface SnapshotProcesses {
  record(pid: number): ProcessRecord;
  home(pid: number): string;
  freeze(
    pid: number,
    waitMs: number,
    options?: { sandbox?: boolean },
  ): Promise<{ quiesced: boolean; resume(): Promise<void> }>;
  spawn(request: SpawnRequest): Promise<ProcessInfo>;
  /** Changes part of a live agent's stored configuration (its checkpoint setting). */
  configure(pid: number, patch: Record<string, unknown>): ProcessRecord;
  /** An entry in the agent's log (a checkpoint that failed). */
  log?(pid: number, type: string, payload: unknown): unknown;
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
 * roll back in place, checkpoints after each loop step (afterStep), delete, export and import. Operations that
 * touch the store run one at a time, so garbage collection never removes an object a running snapshot is about to
 * reference.
 */
export class Snapshots {
  readonly store: ObjectStore;
  private readonly refs: Refs;
  private readonly fingerprints: Fingerprints;
  private agentState: AgentStateProvider | undefined;
  private readonly worker = new FileWorker();
  private queue: Promise<unknown> = Promise.resolve();
  private opened: Promise<void> | undefined;
  private readonly manifests: ManifestObjects;
  /** Operations other than checkpoints queued or running: a checkpoint does not wait behind them. */
  private longOperations = 0;
  /** Rollbacks per agent: a checkpoint asked for before one is not taken after it. */
  private readonly rollbacks = new Map<number, number>();

  constructor(private readonly options: SnapshotsOptions) {
    this.store = new ObjectStore(options.root);
    this.manifests = new ManifestObjects(this.store, MAX_MANIFEST_BYTES);
    const temp = (prefix: string) => this.store.tempPath(prefix);
    this.refs = new Refs(join(options.root, 'refs'), temp);
    this.fingerprints = new Fingerprints(join(options.root, 'cache'), temp);
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
      const id = newId();
      const progress = this.progress('create', pid, id);
      progress.report('pausing', 0, null, 0);
      const started = Date.now();
      const frozen = await this.options.processes.freeze(pid, options.waitMs ?? 5_000);
      const info = await this.capture(record, home, frozen, {
        id,
        started,
        label: options.label ?? null,
        kind: 'snapshot',
        step: null,
        onProgress: (done, total, bytes) => progress.report('files', done, total, bytes),
      });
      progress.report('done', info.files, info.files, info.bytes, { force: true });
      return info;
    });
  }

  /**
   * The runtime calls this after each step of an agent's loop, before the loop reaches its next pause point. With
   * checkpoints on (config.checkpoints), the loop is paused right here, so the checkpoint is taken at this boundary:
   * files, conversation, loop state and mailbox as after `step`. The loop waits while the files are read (only
   * changed files are, see captureHome); the older checkpoints beyond the agent's `keep` are deleted afterwards,
   * while it runs. Never throws: a checkpoint that fails is logged for the agent. Returns when done.
   */
  afterStep(pid: number, step: number): Promise<SnapshotInfo | undefined> {
    let record: ProcessRecord;
    let home: string;
    try {
      record = this.options.processes.record(pid);
      home = this.options.processes.home(pid);
    } catch {
      return Promise.resolve(undefined);
    }
    const setting = checkpointSetting(pid, record.config);
    if (!setting.enabled || !LIVE_STATES.has(record.state)) return Promise.resolve(undefined);
    if (this.longOperations > 0) {
      // a restore, an export... may take minutes: the agent is not held waiting for it, this step goes without
      this.options.processes.log?.(pid, 'snapshot.checkpoint.skipped', {
        step,
        reason: 'another snapshot operation was in progress',
      });
      return Promise.resolve(undefined);
    }
    const generation = this.rollbacks.get(pid) ?? 0;
    const started = Date.now();
    // pauses the loop now, at this boundary, where it does nothing. Its sandbox runs on: stopping a process tree
    // means reading all of /proc twice (tens of ms on a busy host), pausing a container costs a tenth of a second
    // and waits for any exec being started (see kernel/docker's PauseGate). So a program the agent left running in
    // the background may change files while they are read; a snapshot someone takes holds those too.
    const freezing = this.options.processes.freeze(pid, CHECKPOINT_WAIT_MS, { sandbox: false });
    const task = this.exclusive(
      async () => {
        const frozen = await freezing;
        // a rollback that ran in between took the agent elsewhere: this boundary is gone
        if ((this.rollbacks.get(pid) ?? 0) !== generation) {
          await frozen.resume();
          return undefined;
        }
        const info = await this.capture(record, home, frozen, {
          id: newId(),
          started,
          label: `step ${step}`,
          kind: 'checkpoint',
          step,
        });
        await this.prune(pid, setting.keep);
        return info;
      },
      { checkpoint: true },
    );
    return task.catch(async (error: unknown) => {
      await freezing.then((frozen) => frozen.resume()).catch(() => {});
      const message = error instanceof Error ? error.message : String(error);
      this.options.processes.log?.(pid, 'snapshot.checkpoint.failed', { step, message });
      return undefined;
    });
  }

  /** An agent's checkpoint setting; with enabled or keep, changes it first (live agents only). */
  checkpoints(pid: number, change: { enabled?: boolean; keep?: number } = {}): CheckpointSettings {
    const { config, goal } = this.options.processes.record(pid);
    const current = checkpointSetting(pid, config);
    if (change.enabled === undefined && change.keep === undefined) return current;
    const checkpoints = checkpointConfig(current, change);
    if (checkpoints && !goal?.trim()) {
      throw new HabitatError(
        'E_INVALID',
        `process ${pid} has no goal: checkpoints follow the steps of a goal`,
      );
    }
    const record = this.options.processes.configure(pid, { checkpoints });
    return checkpointSetting(pid, record.config);
  }

  /** Resolves once every operation queued so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    for (let queue = this.queue; ; queue = this.queue) {
      await queue;
      if (queue === this.queue) return;
    }
  }

  /**
   * Takes a live agent back, in place, to one of its own snapshots or checkpoints. The snapshot's home is built and
   * verified beside the homes while the agent runs; then the agent is held at a step boundary (E_CONFLICT if its
   * loop does not get there within waitMs, as when it waits for an approval), its home's contents are swapped for
   * the copy (see homeSwap: all or nothing, even across a crash), its mailbox and, through the runtime, its
   * conversation and loop go back, and it is let go. A snapshot of another agent is refused (E_DENIED).
   */
  async rollback(pid: number, id: string, options: { waitMs?: number } = {}): Promise<RollbackResult> {
    const started = Date.now();
    const record = this.options.processes.record(pid);
    if (!LIVE_STATES.has(record.state)) {
      throw new HabitatError(
        'E_CONFLICT',
        `process ${pid} is ${record.state}: only a live agent goes back in place (snapshot restore ${id} ` +
          'starts a new agent from it)',
      );
    }
    const home = this.options.processes.home(pid);
    const progress = this.progress('rollback', pid, id);
    return this.exclusive(async () => {
      const ref = await this.readRef(id);
      if (ref.pid !== pid || ref.imported) {
        throw new HabitatError(
          'E_DENIED',
          `snapshot ${id} is of ${ref.imported ? 'an imported agent' : `process ${ref.pid}`}, not of ${pid}: ` +
            'an agent goes back only to its own snapshots (snapshot restore starts a new agent from any)',
          { pid, snapshot: id, of: ref.pid },
        );
      }
      const manifest = parseManifest(await this.store.readVerified(ref.manifest, MAX_MANIFEST_BYTES));
      const runsLoop = record.config.agent !== undefined;
      if (runsLoop && (!manifest.agent || !this.agentState?.rollback)) {
        throw new HabitatError(
          'E_CONFLICT',
          manifest.agent
            ? 'no agent runtime is attached to take its loop back'
            : `snapshot ${id} holds no loop state (no agent runtime was attached when it was taken): ` +
                'restore it as a new agent instead',
        );
      }
      const { files, bytes } = totals(manifest);
      const keep = new Set(hasWorkspaces(record.config) ? ['shared'] : []);
      const swap = await prepareSwap(
        home,
        journalFor(this.options.homesDir, pid, randomBytes(6).toString('hex')),
        keep,
      );
      try {
        progress.report('files', 0, files, 0);
        const { warnings } = await materialize(manifest, this.store, this.worker, swap.staged, {
          onProgress: (done, total, written) => progress.report('files', done, total, written),
        });
        await matchOwner(swap.staged, home);
        progress.report('pausing', 0, null, 0);
        const frozen = await this.options.processes.freeze(pid, options.waitMs ?? 5_000);
        try {
          if (!frozen.quiesced) {
            throw new HabitatError(
              'E_CONFLICT',
              `process ${pid} did not reach a step boundary within ${options.waitMs ?? 5_000} ms (it may wait ` +
                'for an approval or run a long tool): try again, or stop it (STOP) and roll back once its step ends',
            );
          }
          if (!LIVE_STATES.has(this.options.processes.record(pid).state)) {
            throw new HabitatError('E_CONFLICT', `process ${pid} ended meanwhile`);
          }
          await swap.swap();
          try {
            if (manifest.agent && this.agentState?.rollback)
              await this.agentState.rollback(pid, manifest.agent);
            else if (manifest.agent)
              warnings.push('no agent runtime is attached: its conversation stays as it is');
            this.options.mailbox?.rewind?.(pid, manifest.mailbox);
          } catch (error) {
            await swap.undo();
            throw error;
          }
          await swap.commit();
          this.rollbacks.set(pid, (this.rollbacks.get(pid) ?? 0) + 1);
        } finally {
          await frozen.resume();
        }
        progress.report('done', files, files, bytes, { force: true });
        this.options.processes.log?.(pid, 'snapshot.rolledback', { snapshot: id, step: ref.step });
        return { pid, snapshot: id, step: ref.step, warnings, durationMs: Date.now() - started };
      } finally {
        await swap.cleanup();
      }
    });
  }

  /** At boot, before agents come back: undoes a rollback a crash cut short (see homeSwap). */
  async recover(): Promise<string[]> {
    return recoverSwaps(this.options.homesDir);
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
      // the mailbox first: a run the runtime goes on with may read it at once
      this.options.mailbox?.import(spawned.pid, manifest.mailbox);
      if (manifest.agent) {
        if (this.agentState) await this.agentState.restore(spawned.pid, manifest.agent, { snapshot: id });
        else warnings.push('no agent runtime is attached: the loop state and conversation were not restored');
      }
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
      await this.refs.remove(id);
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
        if (await this.refs.exists(ref.id)) {
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
          kind: ref.kind,
          step: ref.step,
        };
        await this.refs.write({ ...info, imported: true });
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

  /**
   * Reads a held agent (files, runtime state, mailbox), lets it go at once, then writes the manifest and the ref.
   * Always resumes `frozen`.
   */
  private async capture(
    record: ProcessRecord,
    home: string,
    frozen: Frozen,
    meta: {
      id: string;
      started: number;
      label: string | null;
      kind: SnapshotInfo['kind'];
      step: number | null;
      onProgress?(done: number, total: number, bytes: number): void;
    },
  ): Promise<SnapshotInfo> {
    const { pid } = record;
    let captured;
    let agent: AgentState | undefined;
    let mailbox: Message[];
    try {
      agent = await this.agentState?.capture(pid);
      captured = await captureHome(home, this.store, this.worker, {
        previous: await this.fingerprints.read(pid),
        ...(meta.onProgress ? { onProgress: meta.onProgress } : {}),
      });
      mailbox = this.options.mailbox?.export(pid) ?? [];
    } finally {
      await frozen.resume();
    }
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      id: meta.id,
      createdAt: new Date(meta.started).toISOString(),
      label: meta.label,
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
      id: meta.id,
      pid,
      name: record.name,
      label: manifest.label,
      createdAt: manifest.createdAt,
      sandbox: manifest.process.sandbox,
      ...sums,
      skipped: captured.skipped.length,
      storedBytes: captured.added + stored.added,
      durationMs: Date.now() - meta.started,
      manifest: stored.hash,
      quiesced: frozen.quiesced,
      agentState: agent !== undefined,
      messages: mailbox.length,
      kind: meta.kind,
      step: meta.step,
    };
    // a checkpoint's ref is not fsynced: a power loss may cost the latest checkpoints, never a damaged one (an
    // unreadable ref is left out of lists)
    await this.refs.write({ ...info, imported: false }, { durable: meta.kind === 'snapshot' });
    await this.fingerprints.write(pid, captured.fingerprints);
    this.options.events?.emit('snapshot.created', info);
    return info;
  }

  /**
   * Deletes the agent's checkpoints beyond the newest `keep`, and the objects only they used: those objects are
   * looked for in the other snapshots' manifests (remembered, see ManifestObjects), not in the whole store.
   */
  private async prune(pid: number, keep: number): Promise<number> {
    const refs = await this.readRefs();
    const pruned = prunable(refs, pid, keep);
    if (pruned.length === 0) return 0;
    const candidates = new Map<string, number>();
    for (const ref of pruned) {
      await this.refs.remove(ref.id);
      candidates.set(ref.manifest, 0);
      for (const hash of (await this.manifests.of(ref.manifest)) ?? []) candidates.set(hash, 0);
      this.options.events?.emit('snapshot.deleted', { id: ref.id });
    }
    const gone = new Set(pruned.map((r) => r.id));
    for (const ref of refs) {
      if (gone.has(ref.id)) continue;
      candidates.delete(ref.manifest);
      const objects = await this.manifests.of(ref.manifest);
      if (!objects) return 0; // a manifest it cannot read now: free nothing rather than guess
      for (const hash of objects) candidates.delete(hash);
      if (candidates.size === 0) return 0;
    }
    let freed = 0;
    for (const hash of candidates.keys()) {
      const size = await fsp.stat(this.store.path(hash)).then(
        (stat) => stat.size,
        () => 0,
      );
      await this.store.remove(hash);
      freed += size;
    }
    return freed;
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

  private open(): Promise<void> {
    this.opened ??= (async () => {
      await this.store.open();
      await this.refs.load();
      await this.fingerprints.load();
    })();
    return this.opened;
  }

  private async readRef(id: string): Promise<Ref> {
    await this.open();
    return this.refs.get(id);
  }

  private async readRefs(): Promise<Ref[]> {
    await this.open();
    return this.refs.list();
  }

  /** Runs store operations one at a time; all but checkpoints count as long (see afterStep). */
  private exclusive<T>(task: () => Promise<T>, options: { checkpoint?: boolean } = {}): Promise<T> {
    const long = !options.checkpoint;
    if (long) this.longOperations++;
    const run = this.queue
      .then(() => this.open())
      .then(task)
      .finally(() => {
        if (long) this.longOperations--;
      });
    this.queue = run.catch(() => {});
    return run;
  }
}

function hasWorkspaces(config: Record<string, unknown>): boolean {
  return Array.isArray(config.workspaces) && config.workspaces.length > 0;
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
