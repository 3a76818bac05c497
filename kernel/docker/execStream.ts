import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
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

/** Creates an exec attached to stdin, stdout and stderr, and starts it on a hijacked connection. */
export async function startExec(
  engine: DockerEngine,
  container: Dockerode.Container,
  start: ExecStart,
): Promise<StartedExec> {
  const env = Object.entries(start.env ?? {}).map(([name, value]) => `${name}=${value}`);
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
  engine.trackExec(container.id, socket);
  return { exec, socket };
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
