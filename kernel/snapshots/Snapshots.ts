import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import {
  HabitatError,
  type CheckpointSettings,
  type Message,
  type RestoreResult,
  type RollbackResult,
  type SnapshotInfo,
  type SnapshotProgress,
} from '../../shared/protocol/index.js';
import type { ProcessRecord } from '../process/index.js';
import { captureHome } from './capture.js';
import { CHECKPOINT_WAIT_MS, CheckpointPruner, checkpointConfig, checkpointSetting } from './checkpoints.js';
import { exportSnapshot, importSnapshot, type ExportImportContext } from './exportImport.js';
import { FileWorker } from './fileWorker.js';
import { journalFor, matchOwner, prepareSwap, recoverSwaps, stagingFor, sweepStaging } from './homeSwap.js';
import { MANIFEST_FORMAT, readManifest, totals, type Manifest } from './manifest.js';
import { materialize, removeTree } from './materialize.js';
import { ObjectStore } from './objects.js';
import { Progress } from './progress.js';
import { Fingerprints, Refs, type Ref } from './refs.js';
import { hasWorkspaces, processConfig, restoreRequest, spawnWithWorkspaces } from './spawnConfig.js';
import type { AgentState, AgentStateProvider, SnapshotProcesses, SnapshotsOptions } from './types.js';

const LIVE_STATES = new Set(['created', 'running', 'sleeping', 'stopped']);
type Frozen = Awaited<ReturnType<SnapshotProcesses['freeze']>>;

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
  private readonly pruner: CheckpointPruner;
  private readonly transfers: ExportImportContext;
  /** Operations other than checkpoints queued or running: a checkpoint does not wait behind them. */
  private longOperations = 0;
  /** Rollbacks per agent: a checkpoint asked for before one is not taken after it. */
  private readonly rollbacks = new Map<number, number>();
  /** Staging folders of restores under way: recover() leaves them alone. */
  private readonly staging = new Set<string>();

  constructor(private readonly options: SnapshotsOptions) {
    this.store = new ObjectStore(options.root);
    const temp = (prefix: string) => this.store.tempPath(prefix);
    this.refs = new Refs(join(options.root, 'refs'), temp);
    this.fingerprints = new Fingerprints(join(options.root, 'cache'), temp);
    this.pruner = new CheckpointPruner(this.refs, this.store, (id) =>
      options.events?.emit('snapshot.deleted', { id }),
    );
    this.transfers = {
      store: this.store,
      refs: this.refs,
      events: options.events,
      progress: (op, pid, snapshot) => this.progress(op, pid, snapshot),
    };
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
        await this.pruner.prune(pid, setting.keep);
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
      const manifest = await readManifest(this.store, ref.manifest);
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
          // the runtime readies its part before anything changes: a refusal (no key for the provider) leaves all
          const agent =
            manifest.agent && this.agentState?.rollback
              ? await this.agentState.rollback(pid, manifest.agent)
              : undefined;
          if (manifest.agent && !agent)
            warnings.push('no agent runtime is attached: its conversation stays as it is');
          await swap.swap();
          try {
            // the moment the rollback becomes true, across a crash too (see RollbackLedger)
            this.options.ledger.commit(basename(swap.journal), () => {
              agent?.write();
              this.options.mailbox?.rewind?.(pid, manifest.mailbox);
            });
          } catch (error) {
            await swap.undo();
            throw error;
          }
          await swap.commit();
          this.rollbacks.set(pid, (this.rollbacks.get(pid) ?? 0) + 1);
          try {
            agent?.resume();
          } catch (error) {
            // the rollback stands (files, conversation, mailbox): only its run did not start again
            warnings.push(
              `its run did not start again: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        } finally {
          await frozen.resume();
        }
        progress.report('done', files, files, bytes, { force: true });
        this.options.processes.log?.(pid, 'snapshot.rolledback', { snapshot: id, step: ref.step });
        return { pid, snapshot: id, step: ref.step, warnings, durationMs: Date.now() - started };
      } finally {
        if (await swap.cleanup()) this.options.ledger.forget(basename(swap.journal));
      }
    });
  }

  /**
   * At boot, before agents come back: undoes a rollback a crash cut short, or finishes one that had committed (see
   * homeSwap, RollbackLedger), and removes the staging folders of restores one cut short. Returns the homes put back
   * and those whose rollback it finished.
   */
  async recover(): Promise<{ undone: string[]; finished: string[] }> {
    const { ledger } = this.options;
    const homes = await recoverSwaps(this.options.homesDir, (journal) => ledger.committed(journal));
    ledger.forget(); // every journal is dealt with: what the ledger still names is history
    await sweepStaging(this.options.homesDir, this.staging);
    return homes;
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
    const staging = stagingFor(this.options.homesDir, randomBytes(8).toString('hex'));
    this.staging.add(staging);
    const { manifest, warnings } = await this.exclusive(async () => {
      const ref = await this.readRef(id);
      const manifest = await readManifest(this.store, ref.manifest);
      const { files, bytes } = totals(manifest);
      progress.report('files', 0, files, 0);
      const { warnings } = await materialize(manifest, this.store, this.worker, staging, {
        onProgress: (done, total, written) => progress.report('files', done, total, written),
      });
      progress.report('verified', files, files, bytes);
      return { manifest, warnings };
    }).catch((error: unknown) => {
      this.staging.delete(staging); // materialize removed what it had made
      throw error;
    });
    let moved: { home: string; pid: number } | undefined;
    try {
      progress.report('spawning', 0, null, 0);
      const request = restoreRequest(
        manifest,
        options.name ?? manifest.source.name,
        async (homesDir, pid) => {
          const home = join(homesDir, String(pid));
          await fsp.rename(staging, home);
          moved = { home, pid };
          return home;
        },
      );
      const spawned = await spawnWithWorkspaces(
        this.options.processes,
        request,
        manifest.process.workspaces,
        warnings,
      );
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
      this.staging.delete(staging);
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
    return this.exclusive(() => exportSnapshot(this.transfers, id, dest, options));
  }

  /** Reads a file written by export (see importSnapshot: a refused file leaves nothing). */
  async import(file: string): Promise<SnapshotInfo> {
    return this.exclusive(() => importSnapshot(this.transfers, file));
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
    // a snapshot's ref is written once all it names is on disk. A checkpoint's ref and new objects are not fsynced:
    // a power loss may cost the latest checkpoints (an unreadable ref is left out of lists; one whose objects were
    // torn fails its checksums at restore), and a later capture writes a torn object again (see ObjectStore)
    const durable = meta.kind === 'snapshot';
    if (durable) {
      await this.store.flush([
        stored.hash,
        ...captured.entries.flatMap((entry) => (entry.type === 'file' ? [entry.hash] : [])),
      ]);
    }
    await this.refs.write({ ...info, imported: false }, { durable });
    await this.fingerprints.write(pid, captured.fingerprints);
    this.options.events?.emit('snapshot.created', info);
    return info;
  }

  private hasRecord(pid: number): boolean {
    try {
      this.options.processes.record(pid);
      return true;
    } catch {
      return false;
    }
  }

  /** Removes every object no snapshot references; returns the bytes freed. */
  private async collectGarbage(): Promise<number> {
    const live = new Set<string>();
    for (const ref of await this.readRefs()) {
      live.add(ref.manifest);
      try {
        const manifest = await readManifest(this.store, ref.manifest);
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
