import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import {
  HabitatError,
  WorkspaceNameSchema,
  type MountMode,
  type WorkspaceInfo,
  type WorkspaceMount,
} from '../../shared/protocol/index.js';
import type { EventBus } from '../events/index.js';
import type { MountResolver, ProcessRecord, WorkspaceBind } from '../process/index.js';
import { HOME_INSIDE } from '../sandbox/index.js';
import { mountPoint } from './mountPoint.js';

/** The process table as workspaces use it. */
export interface WorkspaceProcesses {
  record(pid: number): ProcessRecord;
  home(pid: number): string;
  livePids(): Set<number>;
  addMount(pid: number, bind: WorkspaceBind): void;
}

export interface WorkspacesOptions {
  db: Database;
  /** The data folder's shared/: one folder per workspace. */
  root: string;
  processes: WorkspaceProcesses;
  /** workspace.created, workspace.deleted, workspace.mounted. */
  events?: EventBus;
}

interface Row {
  name: string;
  owner: number | null;
  created_at: string;
}

const allows = (granted: MountMode, wanted: MountMode): boolean => granted === 'rw' || wanted === 'ro';

/**
 * Shared workspaces: folders in the data folder's shared/, bound into agents at ~/shared/<name> (bubblewrap
 * --bind/--ro-bind for host agents, a Docker bind mount for containers), never linked. Who may mount what:
 * - a workspace's owner agent, in either mode; an agent granted a mode (workspace.grant), in that mode (rw
 *   includes ro); nobody else, even read-only;
 * - at spawn, the person spawning owns the user's workspaces (no owner) and may give them to the new agent, and
 *   a parent may give its child what it may mount itself.
 * Container mounts are fixed at creation, so container agents get workspaces only at spawn.
 */
export class Workspaces implements MountResolver {
  constructor(private readonly options: WorkspacesOptions) {}

  async create(name: string, owner?: number): Promise<WorkspaceInfo> {
    this.checkName(name);
    if (owner !== undefined) this.options.processes.record(owner); // E_NOT_FOUND
    if (this.row(name)) throw new HabitatError('E_CONFLICT', `a workspace named ${name} exists`);
    const path = this.path(name);
    try {
      await fsp.mkdir(path, { mode: 0o777 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new HabitatError('E_CONFLICT', `the folder of workspace ${name} exists already`);
      }
      throw error;
    }
    // writable for every agent user (container agents run as another uid); the data folder itself stays private
    await fsp.chmod(path, 0o777);
    this.db
      .prepare('INSERT INTO workspaces (name, owner, created_at) VALUES (?, ?, ?)')
      .run(name, owner ?? null, new Date().toISOString());
    const info = this.get(name);
    this.options.events?.emit('workspace.created', info);
    return info;
  }

  list(): WorkspaceInfo[] {
    const rows = this.db.prepare('SELECT name FROM workspaces ORDER BY name').all() as { name: string }[];
    return rows.map((row) => this.get(row.name));
  }

  get(name: string): WorkspaceInfo {
    const row = this.require(name);
    const grants = this.db
      .prepare('SELECT pid, mode FROM workspace_grants WHERE name = ? ORDER BY pid')
      .all(name) as { pid: number; mode: MountMode }[];
    return {
      name,
      owner: row.owner,
      createdAt: row.created_at,
      path: this.path(name),
      grants,
      mounts: this.liveMounts(name),
    };
  }

  /** Removes the workspace and its files; refused while live agents mount it, unless forced. */
  async delete(name: string, force = false): Promise<void> {
    this.require(name);
    const mounted = this.liveMounts(name);
    if (mounted.length > 0 && !force) {
      throw new HabitatError(
        'E_CONFLICT',
        `workspace ${name} is mounted by ${mounted.map((m) => m.pid).join(', ')} (force to delete it anyway)`,
      );
    }
    this.db.prepare('DELETE FROM workspaces WHERE name = ?').run(name);
    await fsp.rm(this.path(name), { recursive: true, force: true });
    this.options.events?.emit('workspace.deleted', { name });
  }

  grant(name: string, pid: number, mode: MountMode): WorkspaceInfo {
    this.require(name);
    this.options.processes.record(pid); // E_NOT_FOUND
    this.db
      .prepare(
        `INSERT INTO workspace_grants (name, pid, mode) VALUES (?, ?, ?)
         ON CONFLICT (name, pid) DO UPDATE SET mode = excluded.mode`,
      )
      .run(name, pid, mode);
    return this.get(name);
  }

  /** Mounts a workspace into a live host agent (its next terminals and execs); E_CONFLICT for a container. */
  async mount(name: string, pid: number, mode: MountMode): Promise<WorkspaceMount> {
    const row = this.require(name);
    const record = this.options.processes.record(pid);
    if (!this.mayMount(row, pid, mode)) {
      throw new HabitatError('E_DENIED', `process ${pid} may not mount workspace ${name} ${mode}`, {
        workspace: name,
      });
    }
    this.checkIsolation(record.sandbox.isolation, name);
    if (record.sandbox.kind === 'docker') {
      throw new HabitatError(
        'E_CONFLICT',
        `process ${pid} runs in a container, whose mounts are fixed when it is created: spawn an agent with the ` +
          `workspace instead (habitat spawn --share ${name}:${mode})`,
        { workspace: name },
      );
    }
    await mountPoint(this.options.processes.home(pid), ['shared', name]);
    this.options.processes.addMount(pid, this.bind(name, mode));
    this.recordMounts(pid, [{ name, mode }]);
    const mount: WorkspaceMount = {
      name,
      pid,
      mode,
      target: `${HOME_INSIDE}/shared/${name}`,
      effective: 'next-exec',
    };
    this.options.events?.emit('workspace.mounted', mount);
    return mount;
  }

  // --- MountResolver: workspaces given at spawn ---------------------------------------------------------------

  forSpawn(
    request: { workspaces: { name: string; mode: MountMode }[]; parent?: number },
    isolation: 'bubblewrap' | 'container' | 'none',
  ): WorkspaceBind[] {
    const names = new Set<string>();
    return request.workspaces.map(({ name, mode }) => {
      if (names.has(name)) throw new HabitatError('E_INVALID', `workspace ${name} is named twice`);
      names.add(name);
      const row = this.row(name);
      if (!row) throw new HabitatError('E_NOT_FOUND', `no workspace named ${name}`, { workspace: name });
      const parent = request.parent;
      const allowed = row.owner === null || (parent !== undefined && this.mayMount(row, parent, mode));
      if (!allowed) {
        throw new HabitatError(
          'E_DENIED',
          `workspace ${name} belongs to agent ${row.owner}: only it, or its children, may be given it`,
          { workspace: name },
        );
      }
      this.checkIsolation(isolation, name);
      return this.bind(name, mode);
    });
  }

  async attach(pid: number, home: string, binds: WorkspaceBind[]): Promise<void> {
    for (const bind of binds) await mountPoint(home, ['shared', bind.name]);
    this.recordMounts(pid, binds);
  }

  private bind(name: string, mode: MountMode): WorkspaceBind {
    return {
      name,
      mode,
      source: this.path(name),
      target: `${HOME_INSIDE}/shared/${name}`,
      readOnly: mode === 'ro',
    };
  }

  private mayMount(row: Row, pid: number, mode: MountMode): boolean {
    if (row.owner === pid) return true;
    const grant = this.db
      .prepare('SELECT mode FROM workspace_grants WHERE name = ? AND pid = ?')
      .get(row.name, pid) as { mode: MountMode } | undefined;
    return grant !== undefined && allows(grant.mode, mode);
  }

  private checkIsolation(isolation: string, name: string): void {
    if (isolation === 'none') {
      throw new HabitatError(
        'E_UNAVAILABLE',
        `workspace ${name} cannot be mounted: host agents get bind mounts from bubblewrap, which is not installed`,
        { workspace: name },
      );
    }
  }

  private recordMounts(pid: number, mounts: { name: string; mode: MountMode }[]): void {
    const upsert = this.db.prepare(
      `INSERT INTO workspace_mounts (name, pid, mode) VALUES (?, ?, ?)
       ON CONFLICT (name, pid) DO UPDATE SET mode = excluded.mode`,
    );
    this.db.transaction(() => mounts.forEach((m) => upsert.run(m.name, pid, m.mode)))();
  }

  /** Names of the workspaces mounted into one agent's sandbox (at shared/<name> in its home). */
  mountedBy(pid: number): Set<string> {
    const rows = this.db.prepare('SELECT name FROM workspace_mounts WHERE pid = ?').all(pid) as {
      name: string;
    }[];
    return new Set(rows.map((row) => row.name));
  }

  /** Mounts of live agents; rows of agents that ended are dropped on the way. */
  private liveMounts(name: string): { pid: number; mode: MountMode }[] {
    const live = this.options.processes.livePids();
    const rows = this.db
      .prepare('SELECT pid, mode FROM workspace_mounts WHERE name = ? ORDER BY pid')
      .all(name) as { pid: number; mode: MountMode }[];
    const gone = rows.filter((r) => !live.has(r.pid));
    if (gone.length > 0) {
      const drop = this.db.prepare('DELETE FROM workspace_mounts WHERE name = ? AND pid = ?');
      for (const r of gone) drop.run(name, r.pid);
    }
    return rows.filter((r) => live.has(r.pid));
  }

  private checkName(name: string): void {
    if (!WorkspaceNameSchema.safeParse(name).success)
      throw new HabitatError('E_INVALID', `not a workspace name: ${name}`);
  }

  private row(name: string): Row | undefined {
    return this.db.prepare('SELECT * FROM workspaces WHERE name = ?').get(name) as Row | undefined;
  }

  private require(name: string): Row {
    this.checkName(name);
    const row = this.row(name);
    if (!row) throw new HabitatError('E_NOT_FOUND', `no workspace named ${name}`, { workspace: name });
    return row;
  }

  private path(name: string): string {
    return join(this.options.root, name);
  }

  private get db(): Database {
    return this.options.db;
  }
}
