import { lstat, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_WINDOW_MANAGERS,
  displayEnv,
  windowManagerCommand,
  x11vncCommand,
  xvfbCommand,
  type DisplayPaths,
  type Geometry,
  type WindowManagerSpec,
} from './commands.js';
import { probeRfb } from './health.js';
import {
  hostLauncher,
  type DisplayLauncher,
  type DisplayProcess,
  type LaunchSpec,
  type ProgramExit,
} from './launcher.js';
import { describeEntry, lockFolder, removeShared, unlinkEntry } from './sharedFolder.js';
import { writeXauthority } from './xauth.js';

export type DisplayState = 'idle' | 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';

export interface DisplayChange {
  state: DisplayState;
  /** Why it left 'ready', or why it failed. */
  reason?: string;
}

export interface DisplayOptions {
  /** Where the programs run: the host (default), or an agent's container. */
  launcher?: DisplayLauncher;
  /** Folder for the VNC socket and the X cookie, as the kernel sees it; created with mode 0700. */
  runDir: string;
  /**
   * Where the kernel keeps x11vnc's socket once it has appeared in runDir: a path in a folder that only the kernel
   * can write, on runDir's file system. Needed wherever the programs can write runDir (a container's bind mount):
   * whatever they can write they can swap for a symlink to another display's socket, which the kernel would follow.
   * Default: runDir/vnc.sock, left where x11vnc made it, for a runDir that is the kernel's alone (a host display).
   */
  socketPath?: string;
  /** The same folder as the launcher's programs see it (a container's bind-mount target); default runDir. */
  runDirInside?: string;
  /** Who the programs run as where that is not the kernel's user (a container's): the folder and cookie are theirs. */
  owner?: { uid: number; gid: number };
  /** X display number; 'auto' (default) lets Xvfb pick a free one, which is what host displays need. */
  display?: number | 'auto';
  width?: number;
  height?: number;
  depth?: 16 | 24;
  /** Candidates, first installed wins; [] for none. */
  windowManagers?: readonly WindowManagerSpec[];
  startTimeoutMs?: number;
  healthIntervalMs?: number;
  /** How long the health check waits for the greeting; two misses in a row restart x11vnc. */
  healthTimeoutMs?: number;
  /** First restart delay, doubled for each restart still inside restartWindowMs, capped at maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** This many restarts inside restartWindowMs and the display gives up ('failed'): a crash loop burns no CPU. */
  maxRestarts?: number;
  restartWindowMs?: number;
}

type Part = 'xvfb' | 'wm' | 'vnc';
const NAMES: Record<Part, string> = { xvfb: 'Xvfb', wm: 'the window manager', vnc: 'x11vnc' };
/** A unix socket path longer than this does not fit sockaddr_un (108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH = 107;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One graphical display: Xvfb, a window manager if one is installed, and x11vnc on a unix socket. It supervises
 * them: a health check reads the RFB greeting through the socket, a crashed or hung part is restarted with backoff
 * (a dead X server takes the whole stack with it), and stop() tears everything down and removes its files.
 */
export class Display {
  /** x11vnc's socket as the kernel sees it, in a folder of the kernel's: what the proxy connects to. */
  readonly socketPath: string;
  /** Where x11vnc makes its socket (runDir/vnc.sock), as the kernel sees it. */
  private readonly madeSocket: string;
  private readonly launcher: DisplayLauncher;
  private readonly geometry: Geometry;
  private readonly inside: DisplayPaths;
  private readonly homeInside: string;
  private readonly cookiePath: string;
  private readonly procs: Partial<Record<Part, DisplayProcess>> = {};
  private readonly listeners = new Set<(change: DisplayChange) => void>();
  private current: DisplayState = 'idle';
  private number: number | undefined;
  private wm: WindowManagerSpec | null | undefined; // undefined: not looked up yet; null: none installed
  private restartTimes: number[] = [];
  private repairTimer: NodeJS.Timeout | undefined;
  private repairing = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthFailures = 0;
  private probing = false;
  private suspended = false;

  constructor(private readonly options: DisplayOptions) {
    this.launcher = options.launcher ?? hostLauncher;
    this.geometry = {
      width: options.width ?? 1280,
      height: options.height ?? 800,
      depth: options.depth ?? 24,
    };
    const insideDir = options.runDirInside ?? options.runDir;
    this.madeSocket = join(options.runDir, 'vnc.sock');
    this.socketPath = options.socketPath ?? this.madeSocket;
    this.cookiePath = join(options.runDir, 'Xauthority');
    this.inside = { socket: join(insideDir, 'vnc.sock'), cookie: join(insideDir, 'Xauthority') };
    this.homeInside = insideDir;
    for (const path of [this.socketPath, this.inside.socket]) {
      if (Buffer.byteLength(path) > MAX_SOCKET_PATH) throw new Error(`VNC socket path too long: ${path}`);
    }
    const { width, height } = this.geometry;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 64 && height >= 64)) {
      throw new Error(`bad display size ${width}x${height}`);
    }
  }

  get state(): DisplayState {
    return this.current;
  }

  /** The X display number, once Xvfb has started. */
  get displayNumber(): number | undefined {
    return this.number;
  }

  /** What a program needs to draw on this display (paths as the launcher's programs see them). */
  get env(): Record<string, string> {
    if (this.number === undefined) throw new Error('display not started');
    return displayEnv(this.number, this.inside, this.homeInside);
  }

  /** Process ids where the launcher knows them; for diagnostics and tests. */
  get pids(): Partial<Record<Part, number>> {
    return Object.fromEntries(Object.entries(this.procs).map(([part, p]) => [part, p?.pid]));
  }

  get restarts(): number {
    return this.restartTimes.length;
  }

  onChange(listener: (change: DisplayChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the display answers on its socket; rejects (state 'failed') saying which part did not start. */
  async start(): Promise<void> {
    if (this.current !== 'idle') throw new Error(`display already ${this.current}`);
    this.set('starting');
    try {
      // The folder may hold what a previous run's programs left there, links included (a re-attached container):
      // it is changed through a descriptor, and the cookie replaces whatever is in its place (sharedFolder.ts).
      await mkdir(this.options.runDir, { recursive: true, mode: 0o700 });
      await lockFolder(this.options.runDir, this.options.owner); // x11vnc asks no password: 0700 is the lock
      await writeXauthority(this.cookiePath, this.options.owner);
      await this.launchStack();
    } catch (error) {
      await this.killAll();
      this.set('failed', message(error));
      throw error;
    }
    if (this.state !== 'starting') throw new Error(`display ${this.state} while starting`); // stopped meanwhile
    this.set('ready');
    this.healthTimer = setInterval(() => void this.checkHealth(), this.options.healthIntervalMs ?? 5_000);
    this.healthTimer.unref();
  }

  /**
   * While the programs are frozen on purpose (the agent's container is paused by STOP), a silent socket is no fault:
   * health checks pause until resume().
   */
  suspend(): void {
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    this.healthFailures = 0;
  }

  async stop(): Promise<void> {
    if (this.current === 'stopped') return;
    this.set('stopped');
    clearInterval(this.healthTimer);
    clearTimeout(this.repairTimer);
    await this.killAll();
    // never followed, and whatever the programs put in their place cannot make stop() fail
    await removeShared(this.socketPath).catch(() => undefined);
    if (this.madeSocket !== this.socketPath) await unlinkEntry(this.madeSocket).catch(() => undefined);
    await unlinkEntry(this.cookiePath).catch(() => undefined);
  }

  private set(state: DisplayState, reason?: string): void {
    if (this.current === 'stopped' || this.current === state) return;
    this.current = state;
    for (const listener of this.listeners) listener(reason === undefined ? { state } : { state, reason });
  }

  private async launchStack(): Promise<void> {
    await this.launchXvfb();
    await this.launchWindowManager();
    await this.launchVnc();
  }

  private async launchXvfb(): Promise<void> {
    const auto = (this.options.display ?? 'auto') === 'auto';
    // After a crash, the same number keeps DISPLAY valid for programs started later; if taken meanwhile, any.
    const preferred = this.number ?? (auto ? undefined : (this.options.display as number));
    try {
      this.number = await this.startXvfb(preferred);
    } catch (error) {
      if (!auto || preferred === undefined || !this.alive()) throw error;
      this.number = await this.startXvfb(undefined);
    }
  }

  private startXvfb(number: number | undefined): Promise<number> {
    const proc = this.spawn('xvfb', xvfbCommand(number, this.geometry, this.inside), {
      HOME: this.homeInside,
    });
    const timeoutMs = this.options.startTimeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`Xvfb did not start within ${timeoutMs} ms: ${lastLines(proc)}`));
      }, timeoutMs);
      proc.onLine((line) => {
        const n = Number(line.trim());
        if (line.trim() === '' || !Number.isInteger(n)) return;
        clearTimeout(timer);
        resolve(n);
      });
      void proc.exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`Xvfb ${describeExit(exit)}: ${lastLines(proc)}`));
      });
    });
  }

  private async launchWindowManager(): Promise<void> {
    if (this.wm === undefined) {
      this.wm = null;
      for (const candidate of this.options.windowManagers ?? DEFAULT_WINDOW_MANAGERS) {
        if (await this.launcher.has(candidate.command)) {
          this.wm = candidate;
          break;
        }
      }
    }
    // Not waited for: a window manager has no readiness signal, and the screen is usable without one.
    if (this.wm) this.spawn('wm', windowManagerCommand(this.wm), this.env);
  }

  private async launchVnc(): Promise<void> {
    // a stale socket file must never pass for a live display
    await removeShared(this.socketPath);
    if (this.madeSocket !== this.socketPath) await unlinkEntry(this.madeSocket).catch(() => false);
    const proc = this.spawn('vnc', x11vncCommand(this.number!, this.inside), this.env);
    let exit: ProgramExit | undefined;
    void proc.exited.then((e) => (exit = e));
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 15_000);
    for (;;) {
      try {
        await this.adoptSocket();
        await probeRfb(this.socketPath, 1_000);
        return;
      } catch (error) {
        if (error instanceof DisplaySocketRefused) {
          proc.kill('SIGKILL');
          throw error;
        }
        if (exit) throw new Error(`x11vnc ${describeExit(exit)}: ${lastLines(proc)}`, { cause: error });
        if (Date.now() > deadline) {
          proc.kill('SIGKILL');
          throw new Error(`x11vnc did not answer on ${this.socketPath}: ${message(error)}`, { cause: error });
        }
      }
      await sleep(100);
    }
  }

  /**
   * Takes x11vnc's socket into the kernel's folder once it is there (rename moves a symlink itself, never what it
   * points to), and accepts it only if it is a socket: a link planted in its place (to another agent's display, say)
   * is refused, never connected to. Throws ENOENT while there is none yet.
   *
   * A socket the programs bound themselves in its place is accepted: it can only be one they can name inside their
   * sandbox, which holds no other display's socket, and x11vnc runs as them anyway.
   */
  private async adoptSocket(): Promise<void> {
    if (this.madeSocket !== this.socketPath) {
      await rename(this.madeSocket, this.socketPath).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error; // not there (yet, or taken by an earlier round)
      });
    }
    const stats = await lstat(this.socketPath);
    if (stats.isSocket()) return;
    await removeShared(this.socketPath).catch(() => undefined);
    throw new DisplaySocketRefused(
      `refused the display's socket: ${this.madeSocket} was ${describeEntry(stats)}, not x11vnc's socket`,
    );
  }

  private spawn(part: Part, spec: LaunchSpec, env: Record<string, string>): DisplayProcess {
    if (!this.alive()) throw new Error(`display ${this.current}`);
    const proc = this.launcher.launch({ ...spec, env: { ...env, ...spec.env } });
    this.procs[part] = proc;
    void proc.exited.then((exit) => this.onExit(part, proc, exit));
    return proc;
  }

  private onExit(part: Part, proc: DisplayProcess, exit: ProgramExit): void {
    if (this.procs[part] !== proc) return; // replaced, or killed on purpose
    delete this.procs[part];
    // While starting or repairing, the launch that waits on it sees the failure itself, and a repair checks at its
    // end that every part is running.
    if ((this.current === 'ready' || this.current === 'restarting') && !this.repairing) {
      this.scheduleRepair(`${NAMES[part]} ${describeExit(exit)}: ${lastLines(proc)}`);
    }
  }

  /** Brings back whatever is not running, after a delay that grows with each recent restart. */
  private scheduleRepair(reason: string): void {
    if (!this.alive() || this.repairTimer || this.repairing) return; // the coming repair covers it
    const now = Date.now();
    const windowMs = this.options.restartWindowMs ?? 60_000;
    this.restartTimes = this.restartTimes.filter((t) => now - t < windowMs);
    if (this.restartTimes.length >= (this.options.maxRestarts ?? 5)) {
      void this.giveUp(`restarted ${this.restartTimes.length} times within ${windowMs} ms; last: ${reason}`);
      return;
    }
    this.restartTimes.push(now);
    const delay = Math.min(
      (this.options.restartDelayMs ?? 250) * 2 ** (this.restartTimes.length - 1),
      this.options.maxRestartDelayMs ?? 8_000,
    );
    if (!this.procs.xvfb || !this.procs.vnc) this.set('restarting', reason);
    this.repairTimer = setTimeout(() => {
      this.repairTimer = undefined;
      void this.repair(reason);
    }, delay);
    this.repairTimer.unref();
  }

  private async repair(reason: string): Promise<void> {
    this.repairing = true;
    let failure: string | undefined;
    try {
      if (!this.procs.xvfb) {
        await this.killAll(); // x11vnc and the window manager die with their X server, or must be made to
        await this.launchStack();
      } else {
        if (!this.procs.wm && this.wm) this.spawn('wm', windowManagerCommand(this.wm), this.env);
        if (!this.procs.vnc) await this.launchVnc();
      }
    } catch (error) {
      failure = message(error);
    }
    this.repairing = false;
    if (!this.alive()) return;
    const complete = this.procs.xvfb && this.procs.vnc && (this.procs.wm || !this.wm);
    if (failure !== undefined || !complete) {
      this.scheduleRepair(failure ?? reason);
      return;
    }
    this.healthFailures = 0;
    this.set('ready');
  }

  private async checkHealth(): Promise<void> {
    if (this.current !== 'ready' || this.probing || this.suspended) return;
    this.probing = true;
    try {
      await probeRfb(this.socketPath, this.options.healthTimeoutMs ?? 2_000);
      this.healthFailures = 0;
    } catch (error) {
      // Two misses in a row: one can be a moment of load, two is an x11vnc that no longer serves.
      if (!this.suspended && ++this.healthFailures >= 2 && this.current === 'ready') {
        const vnc = this.procs.vnc;
        delete this.procs.vnc;
        vnc?.kill('SIGKILL');
        this.scheduleRepair(`health check failed: ${message(error)}`);
      }
    } finally {
      this.probing = false;
    }
    if (this.current === 'ready' && this.wm && !this.procs.wm)
      this.scheduleRepair('window manager not running');
  }

  private async giveUp(reason: string): Promise<void> {
    clearInterval(this.healthTimer);
    this.set('failed', reason);
    await this.killAll();
  }

  /** Stops every part: SIGTERM, then SIGKILL for one that has not gone within 2 s. */
  private async killAll(): Promise<void> {
    const stopOne = async (part: Part): Promise<void> => {
      const proc = this.procs[part];
      if (!proc) return;
      delete this.procs[part];
      proc.kill('SIGTERM');
      const gone = await Promise.race([proc.exited.then(() => true), sleep(2_000).then(() => false)]);
      if (!gone) {
        proc.kill('SIGKILL');
        await Promise.race([proc.exited, sleep(2_000)]);
      }
    };
    await Promise.all([stopOne('vnc'), stopOne('wm')]);
    await stopOne('xvfb');
  }

  private alive(): boolean {
    return this.current !== 'stopped' && this.current !== 'failed';
  }
}

/** What is in the place of x11vnc's socket is not a socket (a symlink planted there, say): never connected to. */
export class DisplaySocketRefused extends Error {
  override readonly name = 'DisplaySocketRefused';
}

function describeExit(exit: ProgramExit): string {
  if (exit.error) return `could not start (${exit.error})`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

function lastLines(proc: DisplayProcess): string {
  return proc.errorTail().trim().split('\n').slice(-3).join(' | ') || 'no output';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
