import { statSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  HabitatError,
  ScreenSizeSchema,
  VNC_CLOSE_CODES,
  VNC_PATH,
  type DisplayStateName,
  type EventName,
  type EventPayload,
  type ScreenSize,
  type VncDisplay,
  type VncMode,
  type VncTicket,
} from '../../shared/protocol/index.js';
import type { SandboxMount } from '../sandbox/index.js';
import { screenshotPng } from './capture.js';
import { Display, type DisplayChange, type DisplayOptions } from './Display.js';
import {
  cleanupDisplayPrograms,
  sandboxLauncher,
  type ProgramSandbox,
  type SandboxLauncher,
} from './sandboxLauncher.js';
import { removeShared } from './sharedFolder.js';
import { VncTokens } from './tokens.js';
import type { VncProxy } from './VncProxy.js';

/** Where a graphical agent's display folder (x11vnc's socket, the X cookie) appears inside its container. */
export const DISPLAY_DIR_INSIDE = '/run/habitat-display';
/** The X display number inside a container: the container has an X server of its own, so it is always free. */
export const CONTAINER_DISPLAY = 99;
export const DEFAULT_SCREEN: ScreenSize = { width: 1280, height: 800 };

/** The sandbox of an agent as a display needs it (a container's AgentSandbox, when it can spawn programs). */
export interface DisplaySandbox extends Omit<ProgramSandbox, 'spawn'> {
  spawn?: ProgramSandbox['spawn'];
}

export interface AgentDisplaysOptions {
  /** Each agent's display folder is made below this one, on the kernel's side (<data>/run/vnc). */
  runDir: string;
  events: {
    emitScoped<E extends EventName>(name: E, scope: number, payload: EventPayload<E>): void;
    on(pattern: string, listener: (payload: unknown) => void): { dispose(): void };
  };
  /** Appends to the agent's log. */
  log(pid: number, type: string, payload: unknown): void;
  tokens?: VncTokens;
  /** Supervision settings (health checks, restarts) for every display; tests shorten them. */
  display?: Pick<
    DisplayOptions,
    'healthIntervalMs' | 'healthTimeoutMs' | 'restartDelayMs' | 'startTimeoutMs' | 'windowManagers'
  >;
  /** How long vnc.open and the others wait for a display that is still starting (default 30 s). */
  readyTimeoutMs?: number;
}

/** What a spawn of a graphical agent adds to its container. */
export interface DisplayExtras {
  mounts: SandboxMount[];
  env: Record<string, string>;
}

interface Entry {
  pid: number;
  size: ScreenSize;
  /** Bound into the container, so the agent can write it: see sharedFolder.ts for what the kernel does there. */
  runDir: string;
  /** x11vnc's socket, moved out of runDir into the kernel's own folder (<data>/run/vnc/<pid>.sock). */
  socketPath: string;
  display: Display | undefined;
  sandbox: DisplaySandbox | undefined;
  state: DisplayStateName;
  reason: string | null;
  /** Settles once the display is ready or has failed to start. */
  started: Promise<void> | undefined;
  home?: string;
  launcher?: SandboxLauncher;
  /** Counts starts: a newer one makes an older one's outcome moot. */
  attempt: number;
}

const EXEC_TIMEOUT_MS = 15_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The screen a spawn's configuration asks for: graphical true (the default size) or a size; undefined for none. */
export function screenOf(config: Record<string, unknown>): ScreenSize | undefined {
  const graphical = config.graphical;
  if (graphical === true) return { ...DEFAULT_SCREEN };
  const parsed = ScreenSizeSchema.safeParse(graphical);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The displays of graphical agents: one per agent, in its container (Xvfb, a window manager and x11vnc on a unix
 * socket in a folder bound into the container), supervised by a Display; the single-use tokens that let a viewer
 * through the VNC proxy to one of them; programs started on them; screenshots. It follows the agents' lives as a
 * process addon: prepare (the folder and environment the container is created with), attach (the container runs:
 * at spawn, or re-attached by a later kernel), release (the agent ended).
 */
export class AgentDisplays {
  readonly tokens: VncTokens;
  private readonly entries = new Map<number, Entry>();
  /** Each attached proxy, with the base URL viewers reach it at when that is not the page's host. */
  private readonly proxies = new Map<VncProxy, string | undefined>();
  private readonly stopping = new Set<Promise<void>>();

  private readonly following: { dispose(): void };

  constructor(private readonly options: AgentDisplaysOptions) {
    this.tokens = options.tokens ?? new VncTokens();
    // STOP freezes the container, x11vnc with it: its silence must not count as a hang until CONT.
    this.following = options.events.on('process.changed', (payload) => {
      const { pid, state } = payload as { pid: number; state: string };
      const entry = this.entries.get(pid);
      if (!entry) return;
      if (state === 'stopped') return entry.display?.suspend();
      if (state !== 'running') return;
      entry.display?.resume();
      // one that failed while the container was frozen (STOP during its start) gets another chance
      if (entry.state === 'failed' && entry.sandbox && entry.home !== undefined) {
        this.attach(pid, entry.sandbox, { graphical: entry.size }, entry.home);
      }
    });
  }

  /** A proxy that serves viewers (the headless host's); returns the detach function. */
  /**
   * Serves tickets for this proxy. `baseUrl` (ws://127.0.0.1:PORT) is where a viewer reaches it when that is not the
   * page's own host (the desktop app, whose pages come from app://); tickets then carry the full URL.
   */
  attachProxy(proxy: VncProxy, baseUrl?: string): () => void {
    this.proxies.set(proxy, baseUrl);
    return () => this.proxies.delete(proxy);
  }

  /** Before a graphical agent's container exists: its display folder, and where the container sees it. */
  async prepare(pid: number, config: Record<string, unknown>): Promise<DisplayExtras | undefined> {
    const size = screenOf(config);
    if (!size) return undefined;
    const runDir = join(this.options.runDir, String(pid));
    await mkdir(runDir, { recursive: true, mode: 0o700 });
    this.entries.set(pid, {
      pid,
      size,
      runDir,
      socketPath: this.socketPathOf(pid),
      display: undefined,
      sandbox: undefined,
      state: 'idle',
      reason: null,
      started: undefined,
      attempt: 0,
    });
    return {
      mounts: [{ source: runDir, target: DISPLAY_DIR_INSIDE, readOnly: false }],
      env: { DISPLAY: `:${CONTAINER_DISPLAY}`, XAUTHORITY: `${DISPLAY_DIR_INSIDE}/Xauthority` },
    };
  }

  /**
   * The agent's container runs (spawned, or re-attached after a kernel restart): its display starts in the
   * background; vnc.started says when it is ready.
   */
  attach(pid: number, sandbox: DisplaySandbox, config: Record<string, unknown>, home: string): void {
    const size = screenOf(config);
    if (!size) return;
    let entry = this.entries.get(pid);
    if (!entry) {
      entry = {
        pid,
        size,
        runDir: join(this.options.runDir, String(pid)),
        socketPath: this.socketPathOf(pid),
        display: undefined,
        sandbox: undefined,
        state: 'idle',
        reason: null,
        started: undefined,
        attempt: 0,
      };
      this.entries.set(pid, entry);
    }
    entry.sandbox = sandbox;
    entry.home = home;
    entry.state = 'starting';
    entry.reason = null;
    const previous = { display: entry.display, launcher: entry.launcher };
    entry.display = undefined;
    // the new display starts once the old one is gone: its stop removes files the new one makes (socket, cookie)
    const previousStopped = previous.display
      ?.stop()
      .catch(() => undefined)
      .finally(() => previous.launcher?.closeAll());
    const attempt = ++entry.attempt;
    entry.started = this.start(entry, sandbox, home, attempt, previousStopped).catch((error: unknown) => {
      if (this.entries.get(pid) !== entry || entry.attempt !== attempt) return;
      entry.state = 'failed';
      entry.reason = error instanceof Error ? error.message : String(error);
      this.options.log(pid, 'vnc.failed', { reason: entry.reason });
      this.publish('vnc.stopped', entry);
    });
  }

  /** The agent ended (or the kernel shuts down): its display stops, its viewers are told, its folder goes. */
  release(pid: number): Promise<void> {
    const entry = this.entries.get(pid);
    if (!entry) return Promise.resolve();
    this.entries.delete(pid);
    const stop = (async () => {
      const wasUp = entry.state !== 'failed' && entry.state !== 'stopped';
      entry.state = 'stopped';
      entry.reason ??= 'the agent ended';
      for (const proxy of this.proxies.keys())
        proxy.disconnect(pid, VNC_CLOSE_CODES.displayGone, 'the agent ended');
      this.tokens.revoke(pid);
      await entry.display?.stop().catch(() => undefined);
      entry.launcher?.closeAll();
      // the agent's processes may still run (its container is killed beside this, or outlives a kernel's shutdown)
      await removeShared(entry.runDir).catch(() => undefined);
      await removeShared(entry.socketPath).catch(() => undefined);
      if (wasUp) this.publish('vnc.stopped', entry);
    })();
    this.stopping.add(stop);
    void stop.finally(() => this.stopping.delete(stop));
    return stop;
  }

  /**
   * At boot, after re-attaching: display folders and sockets of agents that are gone are removed, and whatever a
   * removal cut short left (.removing-*).
   */
  async sweep(): Promise<void> {
    const names = await readdir(this.options.runDir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((name) => !this.entries.has(Number(/^(\d+)(?:\.sock)?$/.exec(name)?.[1])))
        .map((name) => removeShared(join(this.options.runDir, name)).catch(() => {})),
    );
  }

  /** Waits for the displays being stopped (the kernel's shutdown). */
  async close(): Promise<void> {
    this.following.dispose();
    await Promise.all([...this.entries.keys()].map((pid) => this.release(pid)));
    await Promise.allSettled([...this.stopping]);
  }

  list(): VncDisplay[] {
    return [...this.entries.values()].map((entry) => this.describe(entry));
  }

  /** A single-use ticket for one viewer connection through the proxy, view-only or in control. */
  async open(pid: number, mode: VncMode): Promise<VncTicket> {
    const { entry, display } = await this.ready(pid);
    if (this.proxies.size === 0) {
      throw new HabitatError(
        'E_UNAVAILABLE',
        'this host runs no VNC proxy: displays are served by `habitat serve`',
      );
    }
    const { token, expiresAt } = this.tokens.issue({ agent: pid, socketPath: display.socketPath, mode });
    this.options.log(pid, 'vnc.open', { mode });
    const path = `${VNC_PATH}/${pid}`;
    const baseUrl = [...this.proxies.values()].find((url) => url !== undefined);
    return {
      pid,
      mode,
      path,
      ...(baseUrl ? { url: `${baseUrl}${path}` } : {}),
      token,
      expiresAt,
      width: entry.size.width,
      height: entry.size.height,
    };
  }

  /** Ends the control sessions (and unused control tokens) of an agent's display: the agent has it back. */
  handBack(pid: number): { pid: number; closed: number } {
    this.require(pid);
    let closed = 0;
    for (const proxy of this.proxies.keys()) {
      closed += proxy.disconnect(pid, VNC_CLOSE_CODES.handedBack, 'control handed back', 'control');
    }
    this.tokens.revoke(pid, 'control');
    this.options.log(pid, 'vnc.handBack', { closed });
    return { pid, closed };
  }

  /** Starts a program on the agent's display and returns its pid inside the sandbox, without waiting for it. */
  async exec(
    pid: number,
    argv: string[],
    env: Record<string, string> = {},
  ): Promise<{ pid: number; osPid: number }> {
    const { entry } = await this.ready(pid);
    const sandbox = entry.sandbox!;
    const variables = Object.entries({ ...this.displayEnv(), ...env }).map(([k, v]) => `${k}=${v}`);
    const script =
      'command -v "$1" >/dev/null || { echo "no such program: $1" >&2; exit 127; }; ' +
      'nohup "$@" </dev/null >/dev/null 2>&1 & echo "$!"';
    const result = await sandbox.exec(['env', ...variables, 'sh', '-c', script, 'sh', ...argv], {
      timeoutMs: EXEC_TIMEOUT_MS,
      maxOutputBytes: 4096,
    });
    if (result.exitCode === 127)
      throw new HabitatError('E_NOT_FOUND', `${argv[0]} is not installed in the sandbox`);
    const osPid = Number.parseInt(result.stdout, 10);
    if (result.exitCode !== 0 || !(osPid > 0)) {
      throw new HabitatError(
        'E_INTERNAL',
        `could not start ${argv[0]} on the display (exit ${result.exitCode})`,
      );
    }
    this.options.log(pid, 'vnc.exec', { argv, osPid });
    return { pid, osPid };
  }

  /** The agent's screen as a PNG, read from the display's framebuffer through its socket. */
  async screenshot(pid: number): Promise<{ pid: number; width: number; height: number; png: Buffer }> {
    const { display } = await this.ready(pid);
    const shot = await screenshotPng(display.socketPath).catch((error: unknown) => {
      throw new HabitatError('E_UNAVAILABLE', `could not read the display: ${String(error)}`);
    });
    return { pid, ...shot };
  }

  /** What a program in the sandbox needs to draw on the display. */
  displayEnv(): Record<string, string> {
    return { DISPLAY: `:${CONTAINER_DISPLAY}`, XAUTHORITY: `${DISPLAY_DIR_INSIDE}/Xauthority` };
  }

  has(pid: number): boolean {
    return this.entries.has(pid);
  }

  private async start(
    entry: Entry,
    sandbox: DisplaySandbox,
    home: string,
    attempt: number,
    previousStopped: Promise<void> | undefined,
  ): Promise<void> {
    if (!sandbox.spawn)
      throw new Error('this sandbox cannot run a display (graphical agents need a container)');
    await previousStopped;
    const programs: ProgramSandbox = { spawn: sandbox.spawn.bind(sandbox), exec: sandbox.exec.bind(sandbox) };
    await mkdir(entry.runDir, { recursive: true, mode: 0o700 });
    await cleanupDisplayPrograms(programs, CONTAINER_DISPLAY); // a previous kernel's, if this is a re-attach
    const launcher = sandboxLauncher(programs);
    const display = new Display({
      ...this.options.display,
      launcher,
      runDir: entry.runDir,
      runDirInside: DISPLAY_DIR_INSIDE,
      socketPath: entry.socketPath,
      display: CONTAINER_DISPLAY,
      width: entry.size.width,
      height: entry.size.height,
      owner: ownerOf(home),
    });
    if (this.entries.get(entry.pid) !== entry || entry.attempt !== attempt) return; // released, or started anew
    entry.display = display;
    entry.launcher = launcher;
    display.onChange((change) => entry.display === display && this.changed(entry, change));
    await display.start();
  }

  private changed(entry: Entry, change: DisplayChange): void {
    if (this.entries.get(entry.pid) !== entry) return;
    entry.state = change.state;
    if (change.reason !== undefined) entry.reason = change.reason;
    if (change.state === 'ready') {
      this.options.log(entry.pid, 'vnc.started', { restarts: entry.display?.restarts ?? 0 });
      this.publish('vnc.started', entry);
    } else if (change.state === 'failed') {
      this.options.log(entry.pid, 'vnc.failed', { reason: entry.reason });
      for (const proxy of this.proxies.keys())
        proxy.disconnect(entry.pid, VNC_CLOSE_CODES.displayGone, 'display failed');
      this.publish('vnc.stopped', entry);
    } else if (change.state === 'restarting') {
      this.options.log(entry.pid, 'vnc.restarting', { reason: entry.reason });
    }
  }

  /** The display once it answers; waits while it starts or restarts. */
  private async ready(pid: number): Promise<{ entry: Entry; display: Display }> {
    const entry = this.require(pid);
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (entry.display?.state === 'ready') return { entry, display: entry.display };
      if (entry.state === 'failed' || entry.state === 'stopped') {
        throw new HabitatError(
          'E_UNAVAILABLE',
          `the display of process ${pid} ${entry.state}: ${entry.reason}`,
        );
      }
      if (Date.now() > deadline) {
        throw new HabitatError('E_TIMEOUT', `the display of process ${pid} is still ${entry.state}`);
      }
      await sleep(50);
    }
  }

  private socketPathOf(pid: number): string {
    return join(this.options.runDir, `${pid}.sock`);
  }

  private require(pid: number): Entry {
    const entry = this.entries.get(pid);
    if (!entry) {
      throw new HabitatError(
        'E_NOT_FOUND',
        `process ${pid} has no display: spawn it with graphical (a docker agent) to get one`,
      );
    }
    return entry;
  }

  private describe(entry: Entry): VncDisplay {
    const viewers = { view: 0, control: 0 };
    for (const proxy of this.proxies.keys()) {
      for (const session of proxy.sessions()) if (session.agent === entry.pid) viewers[session.mode]++;
    }
    return {
      pid: entry.pid,
      state: entry.state,
      width: entry.size.width,
      height: entry.size.height,
      display: `:${CONTAINER_DISPLAY}`,
      restarts: entry.display?.restarts ?? 0,
      reason: entry.reason,
      viewers,
    };
  }

  private publish(name: 'vnc.started' | 'vnc.stopped', entry: Entry): void {
    this.options.events.emitScoped(name, entry.pid, this.describe(entry));
  }
}

/** A container runs as the owner of the home (see kernel/docker's homeOwner): the display's files go to them too. */
function ownerOf(home: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const stat = statSync(home);
    return stat.uid === 0 ? undefined : { uid: stat.uid, gid: stat.gid };
  } catch {
    return undefined;
  }
}
