import { spawn } from 'node:child_process';
import type { LaunchPlan, SandboxExecOptions, SandboxExecResult } from './types.js';
import { signalTree } from '../os/index.js';
import { runningTimeout } from './runningTimeout.js';

export interface ExecOptions extends SandboxExecOptions {
  /** Called with the child's process group id once it runs, and on exit with undefined: signals reach it too. */
  track?(pgid: number | undefined): void;
}

export type ExecResult = SandboxExecResult;

/** Runs one command to completion in its own process group, with a timeout and an output cap. */
export function execPlan(plan: LaunchPlan, options: ExecOptions): Promise<ExecResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(plan.file, plan.args, {
      cwd: plan.cwd,
      env: plan.env,
      detached: true, // its own process group, so a timeout or KILL takes every descendant with it
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let truncated = false;
    let timedOut = false;
    const collect = (chunks: Buffer[], size: number, chunk: Buffer): number => {
      const room = options.maxOutputBytes - size;
      if (room <= 0) {
        truncated = true;
        return size;
      }
      if (chunk.length > room) truncated = true;
      chunks.push(chunk.subarray(0, room));
      return size + Math.min(room, chunk.length);
    };
    child.stdout.on('data', (chunk: Buffer) => (outBytes = collect(out, outBytes, chunk)));
    child.stderr.on('data', (chunk: Buffer) => (errBytes = collect(err, errBytes, chunk)));
    child.stdin.on('error', () => {}); // a command that does not read its input closes the pipe early
    child.stdin.end(options.input ?? '');
    if (child.pid) options.track?.(child.pid);
    const cancelTimeout = runningTimeout(
      options.timeoutMs,
      () => {
        timedOut = true;
        if (child.pid) signalTree(child.pid, 'SIGKILL');
      },
      options.clock,
    );
    child.on('error', (error) => {
      cancelTimeout();
      options.track?.(undefined);
      reject(error);
    });
    child.on('close', (code, signal) => {
      cancelTimeout();
      if (child.pid) signalTree(child.pid, 'SIGKILL'); // leftovers that outlived the leader
      options.track?.(undefined);
      resolve({
        exitCode: code,
        signal,
        stdout: Buffer.concat(out).toString(options.encoding ?? 'utf8'),
        stderr: Buffer.concat(err).toString(options.encoding ?? 'utf8'),
        truncated,
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
}
