import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import type { DockerEngine } from './DockerEngine.js';
import { HOME_IN_CONTAINER } from './containerConfig.js';

/**
 * Every program Habitat starts in a container carries this variable, with a value per terminal or command: its
 * descendants inherit it, so they can be signalled as a group (Docker has no API to signal an exec), and the
 * container's keep-alive process, which lacks it, never is.
 */
export const TAG_VARIABLE = 'HABITAT_TAG';

export interface ExecStart {
  argv: string[];
  tag: string;
  tty: boolean;
  env?: Record<string, string>;
  /** Only for a TTY: the size the program should start with (engines from API 1.42 honour it). */
  size?: { cols: number; rows: number };
}

export interface StartedExec {
  exec: Dockerode.Exec;
  /** The hijacked connection: raw bytes with a TTY, Docker's stdout/stderr framing without. */
  socket: Duplex;
}

/**
 * Creates an exec attached to stdin, stdout and stderr, and starts it on a hijacked connection; never while the
 * container is being paused (see PauseGate). E_CONFLICT on a paused container.
 */
export async function startExec(
  engine: DockerEngine,
  container: Dockerode.Container,
  start: ExecStart,
): Promise<StartedExec> {
  const env = Object.entries(start.env ?? {}).map(([name, value]) => `${name}=${value}`);
  const started = await engine.pauseGate.startExec(container.id, async () => {
    const exec = await engine.call('create an exec', (abortSignal) =>
      container.exec({
        Cmd: start.argv,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: start.tty,
        Env: [...env, `${TAG_VARIABLE}=${start.tag}`],
        WorkingDir: HOME_IN_CONTAINER,
        ...(start.size ? { ConsoleSize: [start.size.rows, start.size.cols] as [number, number] } : {}),
        abortSignal,
      }),
    );
    const socket = await engine.call('start an exec', (abortSignal) =>
      exec.start({ hijack: true, stdin: true, Tty: start.tty, abortSignal }),
    );
    return { exec, socket };
  });
  const { exec, socket } = started;
  socket.once('close', () => engine.pauseGate.settled(container.id, exec));
  engine.trackExec(container.id, socket);
  return started;
}

/**
 * Resolves once the exec's process runs or has ended: Docker answers the start (101) before runc has started the
 * process, and only then records its host PID. Gives up silently at the deadline or if the exec is gone.
 */
export async function execStarted(
  engine: DockerEngine,
  exec: Dockerode.Exec,
  timeoutMs = engine.timeoutMs,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    try {
      const info = await engine.call('inspect an exec', (abortSignal) => exec.inspect({ abortSignal }));
      if ((info.Pid ?? 0) > 0 || (info.ExitCode !== null && info.ExitCode !== undefined)) return;
    } catch {
      return;
    }
    if (Date.now() + pause > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** A container's pause as its ContainerAgent knows it (its own STOP): what starts in it then waits for CONT. */
export interface RunningGate {
  paused(): boolean;
  /** Resolves once it runs again (or is removed). */
  whenRunning(): Promise<void>;
}

/**
 * startExec for a terminal or a long-running program: while the container is paused by its agent it waits for it
 * to run instead of failing, also when a pause comes between the wait and the start. Undefined if `cancelled`
 * resolves while it waits.
 */
export async function startExecWhenRunning(
  engine: DockerEngine,
  container: Dockerode.Container,
  start: ExecStart,
  gate: RunningGate | undefined,
  cancelled: Promise<unknown> = new Promise(() => {}),
): Promise<StartedExec | undefined> {
  for (;;) {
    if (gate?.paused()) {
      const runs = await Promise.race([gate.whenRunning().then(() => true), cancelled.then(() => false)]);
      if (!runs) return undefined;
    }
    try {
      return await startExec(engine, container, start);
    } catch (error) {
      if (!gate?.paused() || !refusedAsPaused(error)) throw error;
    }
  }
}

/** Whether an exec start failed because its container is paused (Docker's 409 "... is paused ..."). */
export function refusedAsPaused(error: unknown): boolean {
  return (
    error instanceof HabitatError &&
    error.code === 'E_CONFLICT' &&
    /paused/i.test(error.message) &&
    (error.details as { status?: unknown } | undefined)?.status === 409
  );
}

/**
 * The exit code once the exec has ended: Docker may report the end of the stream a moment before the exit. 128+n
 * for a signal n. Undefined if it still runs at the deadline or is gone (its container was removed).
 */
export async function execExitCode(
  engine: DockerEngine,
  exec: Dockerode.Exec,
  timeoutMs = 2_000,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
    try {
      const info = await engine.call('inspect an exec', (abortSignal) => exec.inspect({ abortSignal }));
      if (!info.Running) return info.ExitCode ?? undefined;
    } catch {
      return undefined;
    }
    if (Date.now() + pause > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** Resolves once the connection is over, whichever way it ends. */
export function streamClosed(socket: Duplex): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
}
