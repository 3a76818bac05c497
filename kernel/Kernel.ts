import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { cpus, freemem, hostname, totalmem, platform, arch, release } from 'node:os';
import { HabitatError, type SystemInfo, type SystemStats } from '../shared/protocol/index.js';
import { ensureDataDir, type DataDirLayout } from './datadir/index.js';
import { EventBus } from './events/index.js';
import { DockerEngines, type EngineConfig, type WarmPool } from './docker/index.js';
import { ImageBuilds } from './images/index.js';
import { AgentFs, createHome } from './fs/index.js';
import { GpuManager, type GpuOptions } from './gpu/index.js';
import { ProcessTable } from './process/index.js';
import { signalNumber, TerminalRegistry, type PtySpawner } from './pty/index.js';
import { Mailboxes } from './ipc/index.js';
import { Plugins } from './plugins/index.js';
import { HostProvider, type HostSandboxOptions } from './sandbox/index.js';
import { RollbackLedger, Snapshots } from './snapshots/index.js';
import { Store } from './store/index.js';
import { Workspaces } from './workspaces/index.js';
import { AgentDisplays, type AgentDisplaysOptions } from './vnc/index.js';

export interface KernelOptions {
  dataDir: string;
  mode: 'desktop' | 'headless';
  version: string;
  /** How often system.stats is published while someone listens. */
  statsIntervalMs?: number;
  hostSandbox?: HostSandboxOptions;
  ptySpawner?: PtySpawner;
  /** Bytes each agent home may hold. */
  homeQuotaBytes?: number;
  termGraceMs?: number;
  /** The Docker engine for images and container sandboxes (default: the local one, or DOCKER_HOST). */
  docker?: Dockerode;
  /**
   * Containers kept ready per image (default 2, 0 for none). Off the shelf only after the first container spawn of
   * an image, unless prefill names images to fill at boot.
   */
  warmPool?: { size?: number; prefill?: string[] };
  /** Docker engines besides the local one (remote over TLS or SSH, or another socket), each named. */
  dockerEngines?: EngineConfig[];
  /** GPU detection and stats: which nvidia-smi (default: the one on PATH) and how often to poll it. */
  gpu?: GpuOptions;
  /** Graphical agents' display supervision (health checks, restarts, waits). */
  displays?: Pick<AgentDisplaysOptions, 'display' | 'readyTimeoutMs'>;
}

/** Wires the kernel's subsystems together and stays small: each subsystem lives in its own folder. */
export class Kernel {
  readonly events = new EventBus();
  readonly layout: DataDirLayout;
  readonly store: Store;
  readonly bootId = randomUUID();
  readonly sandbox: HostProvider;
  readonly terminals: TerminalRegistry;
  /** Connects lazily: a missing daemon fails only the calls that need it, with E_UNAVAILABLE. */
  readonly docker: Dockerode;
  /** Sandbox image builds on the local engine: stopped, and cleaned up, when the kernel closes. */
  readonly images: ImageBuilds;
  /** Every Docker engine agents can run on: the local one and those configured. */
  readonly engines: DockerEngines;
  readonly processes: ProcessTable;
  readonly gpus: GpuManager;
  readonly workspaces: Workspaces;
  readonly mailboxes: Mailboxes;
  readonly snapshots: Snapshots;
  readonly plugins: Plugins;
  /** Graphical agents' displays, and the tokens that let viewers reach them through a VNC proxy. */
  readonly displays: AgentDisplays;
  private readonly files = new Map<number, AgentFs>();
  private readonly startedAt = Date.now();
  private state: 'running' | 'stopping' = 'running';
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private lastCpu = sampleCpu();
  private storeWarning: string | undefined;

  private constructor(private readonly options: KernelOptions) {
    this.layout = ensureDataDir(options.dataDir);
    this.store = Store.open(this.layout.db);
    this.sandbox = new HostProvider(options.hostSandbox);
    this.terminals = new TerminalRegistry(options.ptySpawner);
    this.docker = options.docker ?? new Dockerode();
    this.images = new ImageBuilds(this.docker);
    this.gpus = new GpuManager(this.events, options.gpu);
    this.engines = new DockerEngines({
      local: this.docker,
      engines: options.dockerEngines,
      instance: this.store.instanceId(),
      version: options.version,
      bootId: this.bootId,
      homes: this.layout.homes,
      poolSize: options.warmPool?.size ?? 2,
      prefill: options.warmPool?.prefill,
      onPoolError: (engine, error) =>
        this.store.appendEvent(null, 'docker.pool.failed', { engine, error: String(error) }),
      // a leftover container the engine would not remove (retried): in the system log, and in info's warnings
      onRemovalFailed: (engine, container, error) =>
        this.store.appendEvent(null, 'docker.removal.failed', { engine, container, error: String(error) }),
    });
    this.displays = new AgentDisplays({
      ...options.displays,
      runDir: join(this.layout.run, 'vnc'),
      events: this.events,
      log: (pid, type, payload) => this.processes.log(pid, type, payload),
    });
    this.processes = new ProcessTable({
      // workspaces, made below with the table, decide spawns' mounts
      mounts: {
        forSpawn: (request, isolation) => this.workspaces.forSpawn(request, isolation),
        attach: (pid, home, binds) => this.workspaces.attach(pid, home, binds),
      },
      addons: [this.displays],
      otherTerminals: (pid) => this.terminals.otherHostPids(pid),
      store: this.store,
      events: this.events,
      bootId: this.bootId,
      homesDir: this.layout.homes,
      providers: { host: this.sandbox, docker: this.engines },
      createHome,
      gpus: this.gpus.allocator,
      termGraceMs: options.termGraceMs,
      launchShell: (launch, pid) => {
        const entry = this.terminals.open(pid, launch, { main: true });
        return {
          osPid: entry.session.hostPid,
          terminalId: entry.id,
          onExit: (listener) =>
            void entry.session.onExit((exit) =>
              listener({ exitCode: exit.exitCode, signal: signalNumber(exit.signal) }),
            ),
          dispose: () => this.terminals.close(entry.id),
        };
      },
    });
    const { events, processes } = this;
    const db = this.store.database;
    this.workspaces = new Workspaces({ db, root: this.layout.shared, processes, events });
    this.mailboxes = new Mailboxes({ db, agents: processes, events });
    this.snapshots = new Snapshots({
      root: this.layout.snapshots,
      homesDir: this.layout.homes,
      processes,
      mailbox: this.mailboxes,
      events,
      ledger: new RollbackLedger(db),
    });
    this.plugins = new Plugins({
      host: { fs: (pid) => this.fs(pid), exec: (pid, argv, o) => processes.exec(pid, argv, o) },
      events,
    });
  }

  static async open(options: KernelOptions): Promise<Kernel> {
    const kernel = new Kernel(options);
    kernel.checkStore();
    // a rollback a crash cut short is undone, or finished if it had committed, before its agent can come back
    // (re-attached containers)
    const { undone, finished } = await kernel.snapshots.recover();
    for (const home of undone) kernel.store.appendEvent(null, 'snapshot.rollback.undone', { home });
    for (const home of finished) kernel.store.appendEvent(null, 'snapshot.rollback.finished', { home });
    const detecting = kernel.gpus.detect(); // nvidia-smi may take a while: meanwhile, containers are adopted
    await kernel.adoptContainers();
    kernel.processes.reconcile();
    await kernel.displays.sweep(); // display folders of agents that did not come back
    await detecting;
    // agents that live on (re-attached containers) keep their GPUs; those marked lost gave theirs back
    for (const conflict of kernel.gpus.allocator.rebuild(kernel.processes.gpuHolders())) {
      kernel.store.appendEvent(conflict.pid, 'gpu.conflict', conflict); // two records claim one GPU
    }
    kernel.gpus.start();
    await kernel.engines.startPools();
    kernel.statsTimer = setInterval(() => kernel.publishStats(), options.statsIntervalMs ?? 2000);
    kernel.statsTimer.unref();
    return kernel;
  }

  /** The safe view of one agent's home; every fs command goes through it. */
  fs(pid: number): AgentFs {
    let files = this.files.get(pid);
    if (!files) {
      const root = this.processes.home(pid);
      // a container agent's home belongs to its user: what the kernel (root) writes there must stay theirs
      const home = statSync(root);
      const owner = process.getuid?.() === 0 && home.uid !== 0 ? { uid: home.uid, gid: home.gid } : undefined;
      files = new AgentFs({
        root,
        quotaBytes: this.options.homeQuotaBytes,
        owner,
        sharedFolders: () => this.workspaces.mountedBy(pid),
      });
      this.files.set(pid, files);
    }
    return files;
  }

  info(): SystemInfo {
    return {
      name: 'Habitat',
      version: this.options.version,
      mode: this.options.mode,
      kernel: {
        state: this.state,
        startedAt: new Date(this.startedAt).toISOString(),
        uptimeMs: Date.now() - this.startedAt,
        pid: process.pid,
      },
      host: {
        hostname: hostname(),
        platform: platform(),
        arch: arch(),
        release: release(),
        node: process.versions.node,
        cpus: cpus().length,
        memoryTotal: totalmem(),
        memoryFree: freemem(),
      },
      dataDir: this.layout.root,
      agents: this.processes.counts(),
      sandbox: {
        hostIsolation: this.sandbox.isolation === 'bubblewrap' ? 'bubblewrap' : 'none',
        dockerEngines: this.engines.names.map((name) => ({
          name,
          address: this.engines.get(name).sandbox.engine.name,
        })),
      },
      warnings: [this.sandbox.warning, this.storeWarning, this.engines.warning].filter(
        (w): w is string => w !== undefined,
      ),
    };
  }

  stats(): SystemStats {
    const now = sampleCpu();
    const busy = now.busy - this.lastCpu.busy;
    const total = now.total - this.lastCpu.total;
    this.lastCpu = now;
    return {
      at: new Date().toISOString(),
      uptimeMs: Date.now() - this.startedAt,
      cpu: total > 0 ? Math.min(1, Math.max(0, busy / total)) : 0,
      memoryTotal: totalmem(),
      memoryFree: freemem(),
      kernelRss: process.memoryUsage.rss(),
      agents: this.processes.counts(),
    };
  }

  async close(): Promise<void> {
    if (this.state === 'stopping') return;
    this.state = 'stopping';
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.gpus.stop();
    this.plugins.close();
    await this.images.close();
    await this.snapshots.close();
    // displays first: killed under them, they would restart their programs in containers on their way out
    await this.displays.close();
    await this.processes.shutdown();
    await this.engines.closePools();
    await this.terminals.closeAll();
    for (const files of this.files.values()) files.close();
    this.store.close();
  }

  /** Throws E_UNAVAILABLE while shutting down, so late calls get a clear answer. */
  assertRunning(): void {
    if (this.state !== 'running') throw new HabitatError('E_UNAVAILABLE', 'the kernel is shutting down');
  }

  /** The local engine's warm pool. */
  get warmPool(): WarmPool {
    return this.engines.pool()!;
  }

  /**
   * Container agents can outlive their kernel: those whose container still runs are taken over (same PID, a new
   * shell); Habitat containers of no live agent are removed, on every engine that answers.
   */
  private async adoptContainers(): Promise<void> {
    const candidates = this.store
      .listProcesses({ states: ['created', 'running', 'sleeping', 'stopped'] })
      .filter((r) => r.sandbox.kind === 'docker' && r.bootId !== this.bootId);
    await this.engines.reconcile(
      candidates,
      (record, sandbox) => this.processes.adopt(record, sandbox),
      (record, error) =>
        this.store.appendEvent(record.pid, 'process.reattach.failed', { error: String(error) }),
    );
  }

  /** After an unclean stop (a crash, SIGKILL), the database is checked before anything trusts it. */
  private checkStore(): void {
    if (this.store.markInUse().previousCloseClean) return;
    const result = this.store.integrityCheck();
    this.store.appendEvent(null, 'kernel.recovered', { integrity: result });
    if (result !== 'ok') {
      this.storeWarning = `the database failed its integrity check after an unclean stop: ${result.slice(0, 200)}`;
      console.error(`[kernel] ${this.storeWarning}`);
    }
  }

  private publishStats(): void {
    if (this.events.hasListeners('system.stats')) this.events.emit('system.stats', this.stats());
  }
}

function sampleCpu(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}
