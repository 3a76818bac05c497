import { randomUUID } from 'node:crypto';
import { PassThrough, type Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { SandboxProgram } from '../sandbox/index.js';
import type { DockerEngine } from './DockerEngine.js';
import {
  execExitCode,
  startExecWhenRunning,
  streamClosed,
  type RunningGate,
  type StartedExec,
} from './execStream.js';

/**
 * A long-running program in a container (an exec without a TTY), its stdout and stderr streamed apart as they come
 * and its end reported: what a display's X server needs, where exec() waits for the end and a terminal mixes the
 * streams. Its standard input is closed at once.
 */
export class ContainerProgram implements SandboxProgram {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  /** The value of HABITAT_TAG the exec carries (a program may drop it: see kernel/vnc's launcher). */
  readonly tag = randomUUID();
  private socket: Duplex | undefined;
  private closed = false;

  constructor(
    engine: DockerEngine,
    container: Dockerode.Container,
    argv: string[],
    env: Record<string, string>,
    /** The container's pause: a program asked for while it is paused (STOP) starts after CONT. */
    gate?: RunningGate,
  ) {
    const start = { argv, tag: this.tag, tty: false, env };
    const started = startExecWhenRunning(engine, container, start, gate) as Promise<StartedExec>;
    this.ready = started.then(() => undefined);
    this.ready.catch(() => undefined); // exited says it too
    this.exited = started.then(
      async ({ exec, socket }) => {
        this.socket = socket;
        if (this.closed) socket.destroy();
        engine.docker.modem.demuxStream(socket, this.stdout, this.stderr);
        socket.on('error', () => undefined); // a cut connection ends the program's stream like its end does
        socket.end(); // no input
        await streamClosed(socket);
        this.end();
        return (await execExitCode(engine, exec)) ?? null;
      },
      () => {
        this.end();
        return null;
      },
    );
  }

  /**
   * Lets go of it: the engine keeps an exec's connection open as long as it likes (seen: after its container was
   * removed), and an open connection keeps the kernel's process alive.
   */
  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private end(): void {
    this.stdout.end();
    this.stderr.end();
  }
}
