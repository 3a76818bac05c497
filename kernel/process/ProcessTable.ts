import { readFileSync } from 'node:fs';
import {
  HabitatError,
  type AgentPhase,
  type ProcessInfo,
  type ProcessState,
  type Signal,
} from '../../shared/protocol/index.js';
import type { EventBus } from '../events/index.js';
import { isGroupAlive, signalTree } from '../os/index.js';
import type { LaunchPlan, SandboxBackend, SandboxLimits } from '../sandbox/index.js';
import { execPlan, type ExecResult } from './exec.js';
import { LoopControl } from './LoopControl.js';
import type { AgentShell, ProcessRecord, ProcessStore, ShellLauncher } from './types.js';

export interface SpawnRequest {
  name?: string;
  role?: string;
  goal?: string;
  parent?: number;
  network: boolean;
  limits?: SandboxLimits;
}

export interface ProcessTableOptions {
  store: ProcessStore;
  events: EventBus;
  bootId: string;
  homesDir: string;
  sandbox: SandboxBackend;
  createHome(homesDir: string, pid: number): Promise<string>;
  launchShell: ShellLauncher;
  /** How long TERM waits before it escalates to KILL. */
  termGraceMs?: number;
  shellArgv?: string[];
}

interface LiveProcess {
  record: ProcessRecord;
  home: string;
  shell: AgentShell | undefined;
  control: LoopControl;
  /** Process groups of commands run with exec, so signals reach them as well as the shell. */
  execGroups: Set<number>;
  termTimer: ReturnType<typeof setTimeout> | undefined;
}

const LIVE_STATES: ReadonlySet<ProcessState> = new Set(['created', 'running', 'sleeping', 'stopped']);

const OS_SIGNAL: Record<Signal, NodeJS.Signals> = {
  STOP: 'SIGSTOP',
  CONT: 'SIGCONT',
  TERM: 'SIGTERM',
  KILL: 'SIGKILL',
  INT: 'SIGINT',
  WINCH: 'SIGWINCH',
};

/**
 * The PID table: kernel PIDs (never reused within a data folder) mapped to the real OS process groups behind them.
 * A signal reaches both the agent loop (LoopControl) and the sandbox's processes.
 */
export class ProcessTable {
  private readonly live = new Map<number, LiveProcess>();

  constructor(private readonly options: ProcessTableOptions) {}

  /** On boot: whatever a previous kernel left running is marked lost, and its OS processes are ended. */
  reconcile(): ProcessRecord[] {
    const lost = this.options.store.reconcile(this.options.bootId);
    for (const record of lost) {
      const osPid = record.sandbox.osPid;
      if (osPid && belongsToAgent(osPid, record.pid)) signalTree(osPid, 'SIGKILL');
      this.log(record.pid, 'process.lost', { reason: record.exitReason });
    }
    return lost;
  }

  async spawn(request: SpawnRequest): Promise<ProcessInfo> {
    if (request.parent !== undefined && !this.live.has(request.parent)) {
      throw new HabitatError('E_NOT_FOUND', `no live parent process ${request.parent}`);
    }
    const { store, sandbox } = this.options;
    const pid = store.allocatePid();
    const home = await this.options.createHome(this.options.homesDir, pid);
    const record: ProcessRecord = {
      pid,
      ppid: request.parent ?? null,
      name: request.name ?? `agent-${pid}`,
      role: request.role ?? null,
      goal: request.goal ?? null,
      state: 'created',
      phase: 'booting',
      sandbox: {
        kind: sandbox.kind,
        isolation: sandbox.isolation,
        osPid: null,
        containerId: null,
        network: request.network,
      },
      config: { network: request.network, limits: request.limits ?? {}, home },
      bootId: this.options.bootId,
      createdAt: new Date().toISOString(),
      endedAt: null,
      exitCode: null,
      exitReason: null,
    };
    const proc: LiveProcess = {
      record,
      home,
      shell: undefined,
      control: new LoopControl(),
      execGroups: new Set(),
      termTimer: undefined,
    };
    this.live.set(pid, proc);
    store.putProcess(record);
    this.options.events.emit('process.spawned', this.info(proc));

    try {
      const plan = sandbox.plan(
        { pid, home, network: request.network, limits: request.limits },
        this.shellArgv(),
      );
      const shell = this.options.launchShell(plan, pid);
      proc.shell = shell;
      record.sandbox.osPid = shell.osPid;
      shell.onExit((exit) => this.onShellExit(pid, exit));
    } catch (error) {
      this.finish(
        proc,
        null,
        `failed to start: ${error instanceof Error ? error.message : String(error)}`,
        'failed',
      );
      throw new HabitatError('E_UNAVAILABLE', `could not start the sandbox for process ${pid}`);
    }
    this.update(proc, { state: 'running', phase: 'waiting' }, 'process.started');
    return this.info(proc);
  }

  get(pid: number): ProcessInfo {
    const live = this.live.get(pid);
    if (live) return this.info(live);
    const stored = this.options.store.getProcess(pid);
    if (!stored) throw new HabitatError('E_NOT_FOUND', `no process ${pid}`);
    return toInfo(stored);
  }

  list(filter: { states?: ProcessState[]; phases?: AgentPhase[]; parent?: number } = {}): ProcessInfo[] {
    const records = this.options.store.listProcesses({
      states: filter.states,
      phases: filter.phases,
      ppid: filter.parent,
    });
    // live records are authoritative (the store may lag by a batch)
    return records.map((r) => {
      const live = this.live.get(r.pid);
      return live ? this.info(live) : toInfo(r);
    });
  }

  counts(): { total: number; running: number } {
    let running = 0;
    for (const proc of this.live.values()) if (proc.record.state === 'running') running++;
    return { total: this.live.size, running };
  }

  /** The loop-side control of a live process (the runtime's pause points). */
  control(pid: number): LoopControl {
    return this.require(pid).control;
  }

  home(pid: number): string {
    const live = this.live.get(pid);
    if (live) return live.home;
    const stored = this.options.store.getProcess(pid);
    const home = stored?.config.home;
    if (typeof home !== 'string') throw new HabitatError('E_NOT_FOUND', `no process ${pid}`);
    return home;
  }

  terminalOf(pid: number): number | undefined {
    return this.live.get(pid)?.shell?.terminalId;
  }

  signal(pid: number, signal: Signal): ProcessInfo {
    const proc = this.require(pid);
    const { record } = proc;
    if (!LIVE_STATES.has(record.state)) {
      throw new HabitatError('E_CONFLICT', `process ${pid} is ${record.state}: it takes no signals`);
    }
    this.log(pid, 'process.signal', { signal });
    switch (signal) {
      case 'STOP':
        proc.control.pause();
        this.signalAll(proc, OS_SIGNAL.STOP);
        this.update(proc, { state: 'stopped' });
        break;
      case 'CONT':
        proc.control.resume();
        this.signalAll(proc, OS_SIGNAL.CONT);
        this.update(proc, { state: 'running' });
        break;
      case 'TERM':
        proc.control.terminate();
        this.signalAll(proc, OS_SIGNAL.TERM);
        this.signalAll(proc, OS_SIGNAL.CONT); // a stopped group must run to handle TERM
        proc.termTimer ??= setTimeout(
          () => this.signalAll(proc, 'SIGKILL'),
          this.options.termGraceMs ?? 5000,
        );
        proc.termTimer.unref();
        break;
      case 'KILL':
        proc.control.kill();
        this.signalAll(proc, OS_SIGNAL.KILL);
        break;
      case 'INT':
      case 'WINCH':
        this.signalAll(proc, OS_SIGNAL[signal]);
        break;
    }
    return this.info(proc);
  }

  /** Removes a zombie: its exit status has been read. The record stays in the store as dead, for the archive. */
  reap(pid: number): ProcessInfo {
    const proc = this.require(pid);
    if (proc.record.state !== 'zombie') {
      throw new HabitatError('E_CONFLICT', `process ${pid} is ${proc.record.state}, not a zombie`);
    }
    this.update(proc, { state: 'dead' }, 'process.reaped');
    this.live.delete(pid);
    return toInfo(proc.record);
  }

  async exec(
    pid: number,
    argv: string[],
    options: { timeoutMs: number; maxOutputBytes: number; input?: string },
  ): Promise<ExecResult> {
    const proc = this.require(pid);
    if (proc.record.state !== 'running') {
      throw new HabitatError('E_CONFLICT', `process ${pid} is ${proc.record.state}: exec needs it running`);
    }
    const plan = this.launchPlan(pid, argv);
    this.log(pid, 'process.exec', { argv });
    let group: number | undefined;
    const result = await execPlan(plan, {
      ...options,
      track: (pgid) => {
        if (pgid) proc.execGroups.add((group = pgid));
        else if (group) proc.execGroups.delete(group);
      },
    });
    this.log(pid, 'process.exec.result', {
      argv,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      stdout: result.stdout.slice(0, 4096),
      stderr: result.stderr.slice(0, 4096),
    });
    return result;
  }

  /** How to start a program in this agent's sandbox (its own configuration: network, limits). */
  launchPlan(pid: number, argv: string[]): LaunchPlan {
    const proc = this.require(pid);
    const limits = proc.record.config.limits as SandboxLimits | undefined;
    return this.options.sandbox.plan(
      { pid, home: proc.home, network: proc.record.sandbox.network, limits },
      argv,
    );
  }

  /** Ends every live process (kernel shutdown): loops first, then their process groups. */
  async shutdown(): Promise<void> {
    for (const proc of this.live.values()) {
      if (!LIVE_STATES.has(proc.record.state)) continue;
      proc.control.kill();
      this.signalAll(proc, 'SIGKILL');
    }
    await Promise.all([...this.live.values()].map((proc) => proc.shell?.dispose()));
    for (const proc of this.live.values()) {
      if (LIVE_STATES.has(proc.record.state))
        this.finish(proc, null, 'killed: the kernel shut down', 'failed');
    }
  }

  private onShellExit(pid: number, exit: { exitCode: number | null; signal: number | null }): void {
    const proc = this.live.get(pid);
    if (!proc || !LIVE_STATES.has(proc.record.state)) return;
    if (proc.termTimer) clearTimeout(proc.termTimer);
    for (const group of proc.execGroups) signalTree(group, 'SIGKILL');
    if (proc.record.sandbox.osPid) signalTree(proc.record.sandbox.osPid, 'SIGKILL'); // stragglers
    const reason = exit.signal ? `killed by signal ${exit.signal}` : `exited with code ${exit.exitCode ?? 0}`;
    const failed = (exit.signal ?? 0) !== 0 || (exit.exitCode ?? 0) !== 0;
    this.finish(
      proc,
      exit.exitCode ?? (exit.signal ? 128 + exit.signal : 0),
      reason,
      failed ? 'failed' : 'completed',
    );
  }

  private finish(proc: LiveProcess, exitCode: number | null, reason: string, phase: AgentPhase): void {
    proc.control.kill();
    proc.record.exitCode = exitCode;
    proc.record.exitReason = reason;
    proc.record.endedAt = new Date().toISOString();
    this.update(proc, { state: 'zombie', phase }, 'process.exited');
  }

  private signalAll(proc: LiveProcess, signal: NodeJS.Signals): void {
    const osPid = proc.record.sandbox.osPid;
    if (osPid) signalTree(osPid, signal);
    for (const group of proc.execGroups) signalTree(group, signal);
  }

  private update(
    proc: LiveProcess,
    change: Partial<Pick<ProcessRecord, 'state' | 'phase'>>,
    logType?: string,
  ): void {
    Object.assign(proc.record, change);
    this.options.store.putProcess(proc.record);
    if (logType) {
      this.log(proc.record.pid, logType, {
        state: proc.record.state,
        phase: proc.record.phase,
        exitCode: proc.record.exitCode,
        exitReason: proc.record.exitReason,
      });
    }
    this.options.events.emit('process.changed', this.info(proc));
  }

  /** Appends to the durable event log and tells followers of process.log.<pid>. */
  log(pid: number, type: string, payload: unknown): void {
    const seq = this.options.store.appendEvent(pid, type, payload);
    this.options.events.emitScoped('process.log', pid, { seq, pid, type, at: Date.now(), payload });
  }

  private info(proc: LiveProcess): ProcessInfo {
    const alive = LIVE_STATES.has(proc.record.state);
    return toInfo(proc.record, alive ? (proc.shell?.terminalId ?? null) : null);
  }

  private require(pid: number): LiveProcess {
    const proc = this.live.get(pid);
    if (proc) return proc;
    if (this.options.store.getProcess(pid)) throw new HabitatError('E_CONFLICT', `process ${pid} has ended`);
    throw new HabitatError('E_NOT_FOUND', `no process ${pid}`);
  }

  private shellArgv(): string[] {
    return this.options.shellArgv ?? ['/bin/bash', '--noprofile', '--norc', '-i'];
  }
}

/** Guards against OS PID reuse: only a process whose environment names this agent is ours to kill. */
function belongsToAgent(osPid: number, pid: number): boolean {
  if (!isGroupAlive(osPid)) return false;
  try {
    return readFileSync(`/proc/${osPid}/environ`, 'latin1').split('\0').includes(`HABITAT_PID=${pid}`);
  } catch {
    return false;
  }
}

export function toInfo(record: ProcessRecord, terminal: number | null = null): ProcessInfo {
  return {
    pid: record.pid,
    ppid: record.ppid,
    name: record.name,
    role: record.role,
    goal: record.goal,
    state: record.state,
    phase: record.phase,
    sandbox: { ...record.sandbox },
    terminal,
    createdAt: record.createdAt,
    endedAt: record.endedAt,
    exitCode: record.exitCode,
    exitReason: record.exitReason,
  };
}
