import { readFileSync } from 'node:fs';
import {
  HabitatError,
  type AgentPhase,
  type ProcessInfo,
  type ProcessState,
  type Signal,
} from '../../shared/protocol/index.js';
import { isGroupAlive, signalTree } from '../os/index.js';
import type {
  AgentSandbox,
  SandboxExecOptions,
  SandboxExecResult,
  TerminalLaunch,
} from '../sandbox/index.js';
import { LoopControl } from './LoopControl.js';
import { SpawnPlanner, spawnRecord } from './spawnPlan.js';
import { Teardowns, type Teardown } from './teardowns.js';
import type { AgentShell, ProcessRecord, ProcessTableOptions, SpawnRequest, WorkspaceBind } from './types.js';

interface LiveProcess {
  record: ProcessRecord;
  home: string;
  sandbox: AgentSandbox | undefined;
  shell: AgentShell | undefined;
  control: LoopControl;
  termTimer: ReturnType<typeof setTimeout> | undefined;
  /** Freezes in progress (snapshots, checkpoints, a rollback): the agent runs again when the last one ends. */
  holds?: number;
  /** The last STOP or CONT on its way to the sandbox. */
  stopping?: Promise<unknown>;
  /** A hold stopped its processes or paused its container: the last hold's end lets them go. */
  sandboxHeld?: boolean;
  /** Shutdown has sent KILL to its sandbox: its end needs no sweep of what it left running. */
  killedAtShutdown?: boolean;
  /** Its sandbox being taken down (the agent ended). */
  teardown?: Teardown;
}

const LIVE_STATES: ReadonlySet<ProcessState> = new Set(['created', 'running', 'sleeping', 'stopped']);

/**
 * The PID table: kernel PIDs (never reused within a data folder) mapped to the real OS process groups behind them.
 * A signal reaches both the agent loop (LoopControl) and the sandbox's processes.
 */
export class ProcessTable {
  private readonly live = new Map<number, LiveProcess>();
  /** Sandboxes of ended agents still being torn down. */
  private readonly teardowns: Teardowns;
  /** Spawns whose sandbox is being made: shutdown waits for them, and they see it (closing). */
  private readonly spawning = new Set<Promise<unknown>>();
  private closing = false;

  private readonly planner: SpawnPlanner;

  constructor(private readonly options: ProcessTableOptions) {
    const { homesDir, providers, createHome, gpus, mounts, addons, store } = options;
    const allocatePid = () => store.allocatePid();
    this.planner = new SpawnPlanner({ homesDir, providers, createHome, gpus, mounts, addons, allocatePid });
    this.teardowns = new Teardowns({
      log: (pid, type, payload) => this.log(pid, type, payload),
      released: (pid) => gpus?.release(pid),
      ...(options.teardownRetryDelaysMs ? { retryDelaysMs: options.teardownRetryDelaysMs } : {}),
    });
  }

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
    const plan = await this.planner.prepare(request);
    const { pid, home } = plan;
    const record = spawnRecord(plan, this.options.bootId);
    const proc: LiveProcess = {
      record,
      home,
      sandbox: undefined,
      shell: undefined,
      control: new LoopControl(),
      termTimer: undefined,
    };
    this.live.set(pid, proc);
    this.options.store.putProcess(record);
    this.options.events.emit('process.spawned', this.info(proc));

    const starting = this.startSandbox(proc, plan);
    this.spawning.add(starting);
    try {
      await starting;
    } finally {
      this.spawning.delete(starting);
    }
    this.update(proc, { state: 'running', phase: 'waiting' }, 'process.started');
    return this.info(proc);
  }

  private async startSandbox(
    proc: LiveProcess,
    plan: Awaited<ReturnType<SpawnPlanner['prepare']>>,
  ): Promise<void> {
    const { record } = proc;
    try {
      proc.sandbox = await plan.provider.create(await this.planner.sandboxSpec(plan, record.config));
      // made after the kernel began to shut down (which ended the agent), or after a KILL: it goes at once
      if (this.closing || !LIVE_STATES.has(record.state)) {
        throw new HabitatError(
          'E_UNAVAILABLE',
          this.closing ? 'the kernel is shutting down' : `process ${record.pid} ended while it was starting`,
        );
      }
      record.sandbox.containerId = proc.sandbox.containerId;
      this.startShell(proc);
      this.attachAddons(proc);
    } catch (error) {
      // the caller hears of the failure after the first try to remove what was made, not after every retry
      const removed = this.endSandbox(proc).firstTry;
      const reason = error instanceof Error ? error.message : String(error);
      if (LIVE_STATES.has(record.state)) this.finish(proc, null, `failed to start: ${reason}`, 'failed');
      await removed;
      if (error instanceof HabitatError) throw error;
      throw new HabitatError(
        'E_UNAVAILABLE',
        `could not start the sandbox for process ${record.pid}: ${reason}`,
      );
    }
  }

  /**
   * Takes over an agent of a previous kernel whose sandbox still lives (a container): it keeps its PID and state,
   * and gets a new shell.
   */
  async adopt(record: ProcessRecord, sandbox: AgentSandbox): Promise<ProcessInfo> {
    const home = typeof record.config.home === 'string' ? record.config.home : '';
    const proc: LiveProcess = {
      record,
      home,
      sandbox,
      shell: undefined,
      control: new LoopControl(),
      termTimer: undefined,
    };
    record.bootId = this.options.bootId;
    this.live.set(record.pid, proc);
    try {
      // A stopped agent stays stopped, its container paused all along: its new shell (and a display's programs)
      // start once it is continued. Never unpaused for a moment to start them: a pause that meets an exec starting
      // wedges the engine (see kernel/docker's PauseGate). One left paused by a snapshot's hold runs on.
      const stopped = record.state === 'stopped';
      if (stopped) proc.control.pause();
      proc.control.processesStopped(stopped);
      await sandbox.signal(stopped ? 'STOP' : 'CONT', []);
      this.startShell(proc);
      this.attachAddons(proc);
    } catch (error) {
      // not taken over after all: the caller removes its container, and reconcile marks it lost
      this.live.delete(record.pid);
      proc.control.kill();
      void proc.shell?.dispose();
      throw error;
    }
    this.update(proc, {}, 'process.reattached');
    return this.info(proc);
  }

  private startShell(proc: LiveProcess): void {
    const pid = proc.record.pid;
    const shell = this.options.launchShell(proc.sandbox!.terminal(this.shellArgv()), pid);
    proc.shell = shell;
    proc.record.sandbox.osPid = shell.osPid; // null for a container's shell: the container id stands for it
    shell.onExit((exit) => this.onShellExit(pid, exit));
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

  /** The runtime's phase of a live agent (thinking, executing...): persisted and published as process.changed. */
  setPhase(pid: number, phase: AgentPhase): ProcessInfo {
    const proc = this.requireLive(pid);
    if (proc.record.phase !== phase) this.update(proc, { phase });
    return this.info(proc);
  }

  /**
   * The agent's program (its loop) ended on its own: like a shell that exits, its sandbox goes with it (every OS
   * process, its container) and it stays a zombie with this exit code, reason and phase until it is reaped.
   */
  exit(pid: number, exit: { exitCode: number; reason: string; phase: 'completed' | 'failed' }): ProcessInfo {
    const proc = this.requireLive(pid);
    this.endSandbox(proc);
    this.finish(proc, exit.exitCode, exit.reason, exit.phase);
    return this.info(proc);
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

  async signal(pid: number, signal: Signal): Promise<ProcessInfo> {
    const proc = this.require(pid);
    const { record } = proc;
    if (!LIVE_STATES.has(record.state)) {
      throw new HabitatError('E_CONFLICT', `process ${pid} is ${record.state}: it takes no signals`);
    }
    this.log(pid, 'process.signal', { signal });
    switch (signal) {
      // the state changes with the loop's, before the sandbox is reached: a snapshot's hold that ends meanwhile
      // must see what a person asked for
      case 'STOP':
        proc.control.pause();
        this.update(proc, { state: 'stopped' });
        await this.deliver(proc, 'STOP');
        break;
      case 'CONT':
        this.update(proc, { state: 'running' });
        // while a snapshot holds it, it stays held: the hold's end lets it go (its state says running already)
        if (proc.holds) proc.sandboxHeld = true;
        else {
          proc.control.resume();
          await this.deliver(proc, 'CONT');
        }
        break;
      case 'TERM':
        proc.control.terminate();
        // a shell agent (no goal, no loop driving it: nothing to let finish its step) ends now, as bubblewrap takes
        // the TERM too; an interactive shell alone would ignore it until KILL
        await this.deliver(proc, 'TERM', { endSandbox: !proc.record.goal && !proc.control.driven });
        await this.deliver(proc, 'CONT'); // a stopped agent must run to handle TERM
        proc.termTimer ??= setTimeout(() => void this.killNow(proc), this.options.termGraceMs ?? 5000);
        proc.termTimer.unref();
        break;
      case 'KILL':
        proc.control.kill();
        await this.killNow(proc);
        break;
      case 'INT':
      case 'WINCH':
        await this.deliver(proc, signal);
        break;
    }
    return this.info(proc);
  }

  /**
   * Holds a live agent still for a consistent capture (a snapshot): its loop at a step boundary (waiting up to
   * waitMs), then, unless `sandbox` is false, its processes (SIGSTOP to the tree) or its container (paused). The
   * record's state does not change.
   * The loop is paused before this returns (synchronously), so a caller between two steps holds the loop at that
   * boundary. Holds nest: the agent runs again when the last one's resume() is called, unless someone stopped it
   * meanwhile; an agent that was stopped stays stopped (its loop may still be mid-step: quiesced says whether it
   * has reached a boundary).
   */
  async freeze(
    pid: number,
    waitMs: number,
    options: { sandbox?: boolean } = {},
  ): Promise<{ quiesced: boolean; resume(): Promise<void> }> {
    const proc = this.live.get(pid);
    const state = proc?.record.state;
    if (!proc || (state !== 'running' && state !== 'stopped')) {
      return { quiesced: true, resume: async () => {} };
    }
    proc.holds = (proc.holds ?? 0) + 1;
    proc.control.pause();
    let resumed = false;
    const resume = async () => {
      if (resumed) return;
      resumed = true;
      proc.holds = Math.max(0, (proc.holds ?? 1) - 1);
      if (proc.holds > 0) return; // another hold goes on
      if (proc.record.state !== 'running') {
        proc.sandboxHeld = false; // stopped (a person's STOP holds it now, CONT lets it go) or ended
        return;
      }
      proc.control.resume();
      if (proc.sandboxHeld) await this.deliver(proc, 'CONT');
      proc.sandboxHeld = false;
      this.log(pid, 'process.thawed', {});
    };
    try {
      const quiesced = await proc.control.atBoundary(waitMs);
      if ((options.sandbox ?? true) && proc.record.state === 'running' && !proc.sandboxHeld) {
        proc.sandboxHeld = true;
        await this.deliver(proc, 'STOP');
      }
      this.log(pid, 'process.frozen', { quiesced });
      return { quiesced, resume };
    } catch (error) {
      await resume();
      throw error;
    }
  }

  /**
   * Changes part of a live agent's stored configuration (what its snapshots and its runtime read, such as
   * checkpoints); a key set to undefined is removed.
   */
  configure(pid: number, patch: Record<string, unknown>): ProcessRecord {
    const proc = this.requireLive(pid);
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete proc.record.config[key];
      else proc.record.config[key] = value;
    }
    this.options.store.putProcess(proc.record);
    return proc.record;
  }

  /** A live host agent's next terminals and execs get this bind; a container's mounts are fixed at creation. */
  addMount(pid: number, bind: WorkspaceBind): void {
    const proc = this.require(pid);
    if (!LIVE_STATES.has(proc.record.state) || !proc.sandbox) {
      throw new HabitatError('E_CONFLICT', `process ${pid} is ${proc.record.state}: it takes no mounts`);
    }
    if (!proc.sandbox.addMount) {
      throw new HabitatError(
        'E_CONFLICT',
        `process ${pid} runs in a container, whose mounts are fixed when it is created: spawn an agent with ` +
          'the workspace instead (process.spawn workspaces, habitat spawn --share NAME:MODE)',
      );
    }
    proc.sandbox.addMount({ source: bind.source, target: bind.target, readOnly: bind.readOnly });
    const config = proc.record.config as { workspaces?: { name: string; mode: string }[] };
    config.workspaces = [
      ...(config.workspaces ?? []).filter((w) => w.name !== bind.name),
      { name: bind.name, mode: bind.mode },
    ];
    this.options.store.putProcess(proc.record);
  }

  /** The stored record (spawn configuration included) of any process this table knows. */
  record(pid: number): ProcessRecord {
    const record = this.live.get(pid)?.record ?? this.options.store.getProcess(pid);
    if (!record) throw new HabitatError('E_NOT_FOUND', `no process ${pid}`);
    return record;
  }

  /** Removes a zombie: its exit status has been read. The record stays in the store as dead, for the archive. */
  reap(pid: number): ProcessInfo {
    const proc = this.require(pid);
    if (proc.record.state !== 'zombie') {
      throw new HabitatError('E_CONFLICT', `process ${pid} is ${proc.record.state}, not a zombie`);
    }
    this.update(proc, { state: 'dead' }, 'process.reaped');
    this.live.delete(pid);
    if (!this.teardowns.holds(pid)) this.options.gpus?.release(pid);
    return toInfo(proc.record);
  }

  /**
   * Runs a command to completion in the agent's sandbox. With viaShell it is started by `sh -c 'exec "$@"'`, so that
   * a command that cannot be found exits 127 (126: not executable) whatever the sandbox (bubblewrap's own failure is
   * 1, Docker's 126); the log names argv as given.
   */
  async exec(
    pid: number,
    argv: string[],
    options: Pick<SandboxExecOptions, 'timeoutMs' | 'maxOutputBytes' | 'input' | 'encoding'> & {
      viaShell?: boolean;
    },
  ): Promise<SandboxExecResult> {
    const proc = this.require(pid);
    if (proc.record.state !== 'running' || !proc.sandbox) {
      throw new HabitatError('E_CONFLICT', `process ${pid} is ${proc.record.state}: exec needs it running`);
    }
    this.log(pid, 'process.exec', { argv });
    // a STOP holds the command too: its time does not count against the timeout
    const { viaShell, ...execOptions } = options;
    const command = viaShell ? ['sh', '-c', 'exec "$@"', 'sh', ...argv] : argv;
    const result = await proc.sandbox.exec(command, { ...execOptions, clock: () => proc.control.runningMs });
    this.log(pid, 'process.exec.result', {
      argv,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      stdout: logText(result.stdout, options.encoding),
      stderr: logText(result.stderr, options.encoding),
    });
    return result;
  }

  /** How to start a program on a terminal in this agent's sandbox. */
  terminalLaunch(pid: number, argv: string[]): TerminalLaunch {
    const proc = this.require(pid);
    if (!proc.sandbox) throw new HabitatError('E_CONFLICT', `process ${pid} has no sandbox yet`);
    return proc.sandbox.terminal(argv);
  }

  /** Ends every live process (kernel shutdown): loops first, then their process groups. */
  async shutdown(): Promise<void> {
    this.closing = true;
    const procs = [...this.live.values()].filter((proc) => LIVE_STATES.has(proc.record.state));
    for (const proc of procs) proc.control.kill();
    // one walk of /proc for all of them (queueSignalTree): their ends, which follow, need not sweep again; an agent
    // still starting (no shell yet) is not covered by it, and its end sweeps as usual
    for (const proc of procs) if (proc.sandbox && proc.shell) proc.killedAtShutdown = true;
    await Promise.all(procs.map((proc) => this.deliver(proc, 'KILL')));
    await Promise.all(procs.map((proc) => proc.shell?.dispose()));
    for (const proc of procs) {
      // an agent still starting has no sandbox yet: its spawn removes the one it gets (closing)
      if (proc.sandbox) this.endSandbox(proc);
      if (LIVE_STATES.has(proc.record.state))
        this.finish(proc, null, 'killed: the kernel shut down', 'failed');
    }
    await Promise.allSettled(this.spawning);
    // agents that ended just before (and those above) must not leave their containers behind
    await this.teardowns.drain();
  }

  /** What live agents hold, from their records: rebuilds the GPU table after a restart. */
  gpuHolders(): { pid: number; gpus: string[] }[] {
    return [...this.live.values()]
      .filter((p) => LIVE_STATES.has(p.record.state) && p.record.gpus.length > 0)
      .map((p) => ({ pid: p.record.pid, gpus: [...p.record.gpus] }));
  }

  /** PIDs of the processes this kernel runs (for reconciling containers at boot). */
  livePids(): Set<number> {
    return new Set(
      [...this.live.values()].filter((p) => LIVE_STATES.has(p.record.state)).map((p) => p.record.pid),
    );
  }

  private onShellExit(pid: number, exit: { exitCode: number | null; signal: number | null }): void {
    const proc = this.live.get(pid);
    if (!proc || !LIVE_STATES.has(proc.record.state)) return;
    this.endSandbox(proc);
    const reason = exit.signal ? `killed by signal ${exit.signal}` : `exited with code ${exit.exitCode ?? 0}`;
    const failed = (exit.signal ?? 0) !== 0 || (exit.exitCode ?? 0) !== 0;
    this.finish(
      proc,
      exit.exitCode ?? (exit.signal ? 128 + exit.signal : 0), // a terminal's code is already 128 + its signal
      reason,
      failed ? 'failed' : 'completed',
    );
  }

  /**
   * The agent's program ended: whatever it left running (stragglers, execs, its container) goes with it, retried
   * until it is gone (see Teardowns); its GPUs go back then. Once per agent.
   */
  private endSandbox(proc: LiveProcess, options: { sweep?: boolean } = {}): Teardown {
    if (proc.termTimer) clearTimeout(proc.termTimer);
    if (proc.teardown) return proc.teardown;
    // what the program left running goes too (unless a KILL has just been sent, as shutdown's)
    const sweep = (options.sweep ?? true) && !proc.killedAtShutdown;
    const swept = sweep ? this.deliver(proc, 'KILL') : Promise.resolve();
    proc.teardown = this.teardowns.start(proc.record.pid, async () => {
      await swept;
      await proc.sandbox?.destroy();
    });
    return proc.teardown;
  }

  private finish(proc: LiveProcess, exitCode: number | null, reason: string, phase: AgentPhase): void {
    proc.control.kill();
    for (const addon of this.options.addons ?? [])
      void Promise.resolve(addon.release(proc.record.pid)).catch(() => {});
    // the record keeps which GPUs it had (the archive); the table lets the next agent have them once its sandbox
    // is gone (Teardowns), or now if it had none to take down
    if (!proc.teardown) this.options.gpus?.release(proc.record.pid);
    proc.record.exitCode = exitCode;
    proc.record.exitReason = reason;
    proc.record.endedAt = new Date().toISOString();
    this.update(proc, { state: 'zombie', phase }, 'process.exited');
  }

  /**
   * KILL to the sandbox. One that does not reach it (a Docker engine away) still ends the agent: the table says it
   * ended, and its sandbox's removal is retried until it is gone (Teardowns), rather than an agent left running
   * that its KILL was answered for.
   */
  private async killNow(proc: LiveProcess): Promise<void> {
    const failure = await this.deliver(proc, 'KILL');
    if (failure === undefined || !LIVE_STATES.has(proc.record.state)) return;
    this.endSandbox(proc, { sweep: false });
    void proc.shell?.dispose(); // our end of its shell (a container's: a docker exec) goes now
    this.finish(
      proc,
      137,
      `killed (KILL); its sandbox did not answer (${failure}) and is being removed`,
      'failed',
    );
  }

  /** Sends a signal to the sandbox's processes; resolves with why it failed (logged), undefined once delivered. */
  private deliver(
    proc: LiveProcess,
    signal: Signal,
    options: { endSandbox?: boolean } = {},
  ): Promise<string | undefined> {
    const send = async () => {
      // a command's timeout counts the time the processes run (see LoopControl.runningMs)
      if (signal === 'STOP') proc.control.processesStopped(true);
      else if (signal === 'CONT' || signal === 'KILL') proc.control.processesStopped(false);
      const shell = proc.record.sandbox.osPid;
      const others = (this.options.otherTerminals?.(proc.record.pid) ?? []).filter(
        (osPid) => osPid !== shell,
      );
      try {
        await proc.sandbox?.signal(signal, shell ? [shell, ...others] : others, options);
        return undefined;
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        this.log(proc.record.pid, 'process.signal.failed', { signal, error: String(error) });
        return why;
      }
    };
    if (signal !== 'STOP' && signal !== 'CONT') return send();
    // STOP and CONT reach the sandbox in the order they were sent: a container's pause must not overtake the
    // unpause of a snapshot's end still in flight, or the other way round
    const next = (proc.stopping ?? Promise.resolve()).then(send);
    proc.stopping = next;
    return next;
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

  /** Appends to the durable event log and tells followers of process.log.<pid>; returns the entry's seq. */
  log(pid: number, type: string, payload: unknown): number {
    const seq = this.options.store.appendEvent(pid, type, payload);
    this.options.events.emitScoped('process.log', pid, { seq, pid, type, at: Date.now(), payload });
    return seq;
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

  private requireLive(pid: number): LiveProcess {
    const proc = this.require(pid);
    if (!LIVE_STATES.has(proc.record.state))
      throw new HabitatError('E_CONFLICT', `process ${pid} is ${proc.record.state}: it has ended`);
    return proc;
  }

  private attachAddons(proc: LiveProcess): void {
    for (const addon of this.options.addons ?? []) {
      addon.attach(proc.record.pid, proc.sandbox!, proc.record.config, proc.home);
    }
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
    sandbox: {
      ...record.sandbox,
      engine: record.sandbox.kind === 'docker' ? (record.sandbox.engine ?? 'local') : null,
    },
    gpus: [...record.gpus],
    terminal,
    createdAt: record.createdAt,
    endedAt: record.endedAt,
    exitCode: record.exitCode,
    exitReason: record.exitReason,
  };
}

/** The start of a command's output for the log, as text whatever encoding it was returned in. */
function logText(output: string, encoding: SandboxExecOptions['encoding']): string {
  return (
    encoding === 'base64' ? Buffer.from(output.slice(0, 8192), 'base64').toString('utf8') : output
  ).slice(0, 4096);
}
