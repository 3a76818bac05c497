import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import { runningTimeout, type SandboxExecOptions, type SandboxExecResult } from '../sandbox/index.js';
import type { DockerEngine } from './DockerEngine.js';
import { execExitCode, startExec, streamClosed } from './execStream.js';

export interface ContainerExecOptions extends SandboxExecOptions {
  env?: Record<string, string>;
}

/**
 * The sandbox interface's result: exitCode is null when it could not be learnt (the container went away), 128+n
 * after signal n; signal is always null, since Docker reports signals only as exit codes.
 */
export type ContainerExecResult = SandboxExecResult;

export interface RunExecHooks {
  /** Called at the timeout with the command's tag: kill what carries it. */
  onTimeout?(tag: string): Promise<unknown>;
}

/** How long the output may keep coming after the timeout's kill before the connection is cut. */
const AFTER_KILL_MS = 2_000;

class CappedSink extends Writable {
  readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.size += Math.min(room, chunk.length);
    }
    done();
  }

  text(encoding: BufferEncoding = 'utf8'): string {
    return Buffer.concat(this.chunks).toString(encoding);
  }
}

/** Runs one command in a running container to completion, with a timeout and an output cap. */
export async function runExec(
  engine: DockerEngine,
  container: Dockerode.Container,
  argv: string[],
  options: ContainerExecOptions,
  hooks: RunExecHooks = {},
): Promise<ContainerExecResult> {
  if (argv.length === 0) throw new HabitatError('E_INVALID', 'exec needs a command');
  const started = Date.now();
  const tag = randomUUID();
  const { exec, socket } = await startExec(engine, container, {
    argv,
    tag,
    tty: false,
    ...(options.env ? { env: options.env } : {}),
  });
  const stdout = new CappedSink(options.maxOutputBytes);
  const stderr = new CappedSink(options.maxOutputBytes);
  engine.docker.modem.demuxStream(socket, stdout, stderr);
  socket.on('error', () => undefined); // a cut connection ends the command like its end does
  socket.end(options.input ?? ''); // half-close: the command sees the end of its input

  let timedOut = false;
  let cutTimer: NodeJS.Timeout | undefined;
  const cancelTimeout = runningTimeout(
    options.timeoutMs,
    () => {
      timedOut = true;
      void hooks.onTimeout?.(tag).catch(() => undefined);
      cutTimer = setTimeout(() => socket.destroy(), AFTER_KILL_MS);
    },
    options.clock,
  );
  await streamClosed(socket);
  cancelTimeout();
  clearTimeout(cutTimer);
  const exitCode = await execExitCode(engine, exec);
  return {
    exitCode: exitCode ?? null,
    signal: null,
    stdout: stdout.text(options.encoding),
    stderr: stderr.text(options.encoding),
    truncated: stdout.truncated || stderr.truncated,
    timedOut,
    durationMs: Date.now() - started,
  };
}
