import type { Kernel } from '../../kernel/index.js';
import { HabitatError } from '../../shared/protocol/index.js';
import type { Cooperation } from './cooperation.js';
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
    cooperation: kernelCooperation(kernel, pid),
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

/** The kernel's mailboxes and shared workspaces, as one agent uses them (always as itself). */
export function kernelCooperation(kernel: Kernel, pid: number): Cooperation {
  return {
    agents: () =>
      kernel.processes
        .list({ states: ['created', 'running', 'sleeping', 'stopped'] })
        .map(({ pid: p, name, role, state, phase }) => ({ pid: p, name, role, state, phase })),
    send: (to, body, subject) =>
      kernel.mailboxes.send({ to, body, from: pid, ...(subject ? { subject } : {}) }),
    broadcast: (body, subject) => ({
      delivered: kernel.mailboxes.broadcast({ body, from: pid, ...(subject ? { subject } : {}) }).length,
    }),
    check: ({ all, limit }) => kernel.mailboxes.check(pid, { all, limit }),
    ack: (ids) => kernel.mailboxes.ack(pid, { ids }),
    createWorkspace: async (name) => kernel.workspaces.create(name, pid),
    workspaces: () => kernel.workspaces.list().map(({ name, owner }) => ({ name, owner })),
    mountWorkspace: async (name, mode) => ({ path: (await kernel.workspaces.mount(name, pid, mode)).target }),
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
