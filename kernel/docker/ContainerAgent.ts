import type Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import type { PtySpawner } from '../pty/index.js';
import { agentIdentityEnvironment } from '../sandbox/index.js';
import type { DockerEngine } from './DockerEngine.js';
import { runExec, type ContainerExecOptions, type ContainerExecResult } from './containerExec.js';
import { ContainerProgram } from './containerProgram.js';
import { ContainerTerminal, type ContainerTerminalOptions } from './ContainerTerminal.js';
import { engineStatus } from './errors.js';
import { execStarted, type RunningGate } from './execStream.js';
import { signalTagged } from './processSignals.js';

export interface ContainerState {
  /** Docker's status: created, running, paused, restarting, removing, exited or dead. */
  status: string;
  running: boolean;
  paused: boolean;
  exitCode: number | null;
  oomKilled: boolean;
}

export interface ContainerAgentInfo {
  id: string;
  /** Kernel PID of the agent it belongs to. */
  pid: number;
  name: string;
  /** Paused already (a stopped agent re-attached): its terminals and programs start once it is unpaused. */
  paused?: boolean;
}

/** Every exec names its agent itself: a warm-pool container was made before the agent existed. */
function withIdentity(pid: number, env: Record<string, string> | undefined): Record<string, string> {
  return pid > 0 ? { ...env, ...agentIdentityEnvironment(pid) } : { ...env };
}

const STOP_POLL_MS = 100;

/**
 * One agent's container: its lifecycle (start, STOP/CONT as pause/unpause, TERM, KILL, removal), its terminals and
 * commands. Every method fails with a HabitatError, never hangs past the engine's deadline, and the ones that end
 * things are idempotent.
 */
export class ContainerAgent implements RunningGate {
  readonly id: string;
  readonly pid: number;
  readonly name: string;
  private readonly container: Dockerode.Container;
  /** Set while this client has it paused: what waits to start in it (see whenRunning) waits on this. */
  private thawed: { promise: Promise<void>; open(): void } | undefined;

  constructor(
    private readonly engine: DockerEngine,
    info: ContainerAgentInfo,
  ) {
    this.id = info.id;
    this.pid = info.pid;
    this.name = info.name;
    this.container = engine.docker.getContainer(info.id);
    if (info.paused) this.frozen();
  }

  /**
   * Resolves at once while it runs; while paused (STOP), once it is unpaused or removed. A terminal or program
   * opened on a stopped agent waits here rather than fail: an exec cannot start in a paused container.
   */
  whenRunning(): Promise<void> {
    return this.thawed?.promise ?? Promise.resolve();
  }

  /** Whether this client paused it (STOP) and has not unpaused it since. */
  paused(): boolean {
    return this.thawed !== undefined;
  }

  async start(): Promise<void> {
    await this.tolerate([304], 'start the container', (abortSignal) => this.container.start({ abortSignal }));
  }

  /** A program on a TTY in the container (default `bash -i`): give it to a TerminalSession, or use it alone. */
  openTerminal(options: ContainerTerminalOptions): ContainerTerminal {
    return new ContainerTerminal(this.engine, this.container, options);
  }

  /** openTerminal as a PtySpawner, for code written against node-pty's shape (the file is looked up in $PATH). */
  ptySpawner(): PtySpawner {
    return {
      spawn: (file, args, options) => {
        const env: Record<string, string> = { TERM: options.name };
        for (const [name, value] of Object.entries(options.env ?? {}))
          if (value !== undefined) env[name] = value;
        return this.openTerminal({
          cols: options.cols,
          rows: options.rows,
          argv: [file, ...args],
          env: withIdentity(this.pid, env),
          gate: this,
        });
      },
    };
  }

  /** Runs a command to completion; at the timeout it and everything it started are killed. */
  exec(argv: string[], options: ContainerExecOptions): Promise<ContainerExecResult> {
    return runExec(
      this.engine,
      this.container,
      argv,
      { ...options, env: withIdentity(this.pid, options.env) },
      {
        onTimeout: (tag) => signalTagged(this.engine, this.container, 'SIGKILL', tag),
      },
    );
  }

  /**
   * Starts a long-running program and streams its output, not waiting for its end (a display's X server). Like
   * exec's, its processes carry the agent's identity and a tag, and the container's end is theirs.
   */
  spawn(argv: string[], env: Record<string, string> = {}): ContainerProgram {
    return new ContainerProgram(this.engine, this.container, argv, withIdentity(this.pid, env), this);
  }

  /**
   * Sends a signal (TERM, INT, HUP, WINCH...) to every program Habitat started in the container, and what they
   * started; returns how many processes got it. E_CONFLICT while paused: unpause first (TERM is CONT then TERM).
   */
  signal(signal: string): Promise<number> {
    return signalTagged(this.engine, this.container, signal);
  }

  /**
   * STOP: freezes every process of the container (the cgroup freezer), so none can escape by ignoring it. Never
   * while an exec is starting in it (see PauseGate).
   */
  async pause(): Promise<void> {
    await this.engine.pauseGate.pause(
      this.container.id,
      async () => {
        try {
          await this.engine.call('pause the container', (abortSignal) =>
            this.container.pause({ abortSignal }),
          );
        } catch (error) {
          if (!(await this.state().catch(() => undefined))?.paused) throw error;
        }
        this.frozen();
      },
      (exec) => execStarted(this.engine, exec),
    );
  }

  /** CONT. */
  async unpause(): Promise<void> {
    try {
      await this.engine.call('unpause the container', (abortSignal) =>
        this.container.unpause({ abortSignal }),
      );
    } catch (error) {
      const state = await this.state().catch(() => undefined);
      if (!state || state.paused) throw error;
    }
    this.thaw();
  }

  /**
   * KILL: SIGKILL to the container; the end of its PID namespace takes every process with it. Resolves once it has
   * stopped. A paused container is unpaused first: this dockerd (20.10) was seen to hang for good killing a frozen
   * one, and so did everything that touched it afterwards.
   */
  async kill(): Promise<void> {
    await this.unpauseIfPaused();
    await this.tolerate([404, 409], 'kill the container', (abortSignal) =>
      this.container.kill({ signal: 'SIGKILL', abortSignal }),
    );
    await this.tolerate([404], 'wait for the container to stop', (abortSignal) =>
      this.container.wait({ condition: 'not-running', abortSignal }),
    );
  }

  /**
   * TERM with a grace period: CONT if stopped, SIGTERM to every program Habitat started, then KILL once they are
   * all gone or the grace period is over. (`docker stop` would TERM only the keep-alive process, and the PID
   * namespace's end would then SIGKILL the agent's programs at once.)
   */
  async stop(graceMs = 5_000): Promise<void> {
    const deadline = Date.now() + graceMs;
    if ((await this.stateUnlessGone())?.running) {
      await this.unpauseIfPaused();
      // A signal or probe that fails (a busy daemon) is not "all gone": it is tried again while the container runs
      // and the grace period lasts, so that the programs still get their chance to clean up.
      let termed = false;
      while (Date.now() < deadline) {
        const left = await this.signal(termed ? '0' : 'SIGTERM').catch(() => undefined);
        if (left === 0) break;
        if (left !== undefined) termed = true;
        else if (!(await this.stateUnlessGone().catch(() => undefined))?.running) break;
        await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
      }
    }
    await this.kill();
  }

  /** Removes the container and its anonymous volumes, whatever its state; nothing to do if it is gone. */
  async remove(): Promise<void> {
    await this.unpauseIfPaused().catch(() => undefined);
    // 409: a removal is already in progress
    await this.tolerate([404, 409], 'remove the container', (abortSignal) =>
      this.container.remove({ force: true, v: true, abortSignal }),
    );
    this.engine.cutExecs(this.container.id);
    this.thaw(); // what waited to start goes on, and fails: the container is gone
  }

  inspect(): Promise<Dockerode.ContainerInspectInfo> {
    return this.engine.call('inspect the container', (abortSignal) =>
      this.container.inspect({ abortSignal }),
    );
  }

  async state(): Promise<ContainerState> {
    const { State } = await this.inspect();
    return {
      status: State.Status,
      running: State.Running,
      paused: State.Paused,
      exitCode: State.Running ? null : State.ExitCode,
      oomKilled: State.OOMKilled,
    };
  }

  private frozen(): void {
    if (this.thawed) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.thawed = { promise, open };
  }

  private thaw(): void {
    this.thawed?.open();
    this.thawed = undefined;
  }

  private async unpauseIfPaused(): Promise<void> {
    if ((await this.stateUnlessGone())?.paused) await this.unpause();
  }

  private stateUnlessGone(): Promise<ContainerState | undefined> {
    return this.state().catch((error: unknown) => {
      if (error instanceof HabitatError && error.code === 'E_NOT_FOUND') return undefined;
      throw error;
    });
  }

  /** Runs a call that may fail harmlessly with one of the given HTTP statuses (already done, already gone). */
  private async tolerate(
    statuses: number[],
    doing: string,
    run: (abortSignal: AbortSignal) => Promise<unknown>,
  ): Promise<void> {
    try {
      await this.engine.call(doing, run);
    } catch (error) {
      if (!statuses.includes(engineStatus(error) ?? 0)) throw error;
    }
  }
}
