import type { Kernel } from '../../kernel/index.js';
import { HabitatError } from '../../shared/protocol/index.js';
import type { AgentHost } from './types.js';

/** Where the home appears inside a sandbox (bubblewrap and containers); see kernel/sandbox. */
export const SANDBOX_HOME = '/home/agent';

/** The AgentHost of one kernel process: its AgentFs, and exec in its sandbox (host or container alike). */
export function kernelHost(kernel: Kernel, pid: number): AgentHost {
  const home = kernel.processes.home(pid);
  const screen = kernel.displays.list().find((display) => display.pid === pid);
  return {
    pid,
    // without bubblewrap the agent sees its real home path, so both name the home
    homeAliases: [SANDBOX_HOME, home],
    files: kernel.fs(pid),
    exec: (argv, { signal, ...options }) => untilAborted(kernel.processes.exec(pid, argv, options), signal),
    ...(screen
      ? {
          display: {
            width: screen.width,
            height: screen.height,
            screenshot: () => kernel.displays.screenshot(pid),
          },
        }
      : {}),
  };
}

/**
 * Stops waiting when the signal fires. The kernel has no per-exec cancel: KILL ends the sandbox's processes, which
 * ends the exec; this only keeps the loop from waiting on it meanwhile.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function abortError(signal: AbortSignal): HabitatError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new HabitatError('E_CONFLICT', `the command was abandoned: ${reason}`);
}
