import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { releaseSharedMemory } from './sharedMemory.js';

export interface LaunchSpec {
  command: string;
  args: readonly string[];
  /** Added to a minimal environment (PATH and LANG): display programs inherit nothing else from the kernel. */
  env?: Record<string, string>;
}

export interface ProgramExit {
  code: number | null;
  signal: string | null;
  /** Set when the program could not be started at all (not installed, for instance). */
  error?: string;
}

/** A program running where the display lives. */
export interface DisplayProcess {
  /** Its process id where the kernel can see one; for diagnostics and tests only. */
  readonly pid: number | undefined;
  /** Resolves once it has exited, however it ended. */
  readonly exited: Promise<ProgramExit>;
  /** Standard output, one line at a time; a listener added right after launch() sees every line. */
  onLine(listener: (line: string) => void): void;
  /** The end of its standard error, for an error message that says why it stopped. */
  errorTail(): string;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Where Xvfb, the window manager and x11vnc run. The kernel's own host launcher runs them as child processes; a
 * container display runs the same commands inside the agent's container through exec.
 */
export interface DisplayLauncher {
  launch(spec: LaunchSpec): DisplayProcess;
  /** Whether a program is installed there (for the optional window manager). */
  has(command: string): Promise<boolean>;
}

const TAIL_BYTES = 8 * 1024;

/** Runs display programs as the kernel's own children. */
export const hostLauncher: DisplayLauncher = {
  launch(spec) {
    const child = spawn(spec.command, spec.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: process.env.LANG ?? 'C.UTF-8', ...spec.env },
    });
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      tail = (tail + text).slice(-TAIL_BYTES); // x11vnc logs every client: only the end matters
    });
    const lines = createInterface({ input: child.stdout });
    const exited = new Promise<ProgramExit>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error: error.message }));
      // what a killed x11vnc leaves behind is gone before anyone starts the next one
      child.once(
        'exit',
        (code, signal) => void releaseSharedMemory(child.pid).then(() => resolve({ code, signal })),
      );
    });
    return {
      pid: child.pid,
      exited,
      onLine: (listener) => lines.on('line', listener),
      errorTail: () => tail,
      kill: (signal = 'SIGTERM') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
    };
  },
  async has(command) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (!dir) continue;
      try {
        await access(join(dir, command), constants.X_OK);
        return true;
      } catch {
        // not in this one
      }
    }
    return false;
  },
};
