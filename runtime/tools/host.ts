import { screenOf, type Kernel } from '../../kernel/index.js';
import { HabitatError } from '../../shared/protocol/index.js';
import type { Cooperation } from './cooperation.js';
import type { AgentDisplay, AgentHost, TerminalProgram, WebAccess } from './types.js';

/** Where the home appears inside a sandbox (bubblewrap and containers); see kernel/sandbox. */
export const SANDBOX_HOME = '/home/agent';

/** Terminals the runtime opens for commands: wide, so output lines are seldom wrapped. */
const COMMAND_TERMINAL = { cols: 200, rows: 50 };

/**
 * The AgentHost of one kernel process: its AgentFs, exec and terminals in its sandbox (host or container alike),
 * its network policy and, for a graphical agent, its screen. `web` is the kernel's shared browser, if any.
 */
export function kernelHost(kernel: Kernel, pid: number, extras: { web?: WebAccess } = {}): AgentHost {
  const home = kernel.processes.home(pid);
  const record = kernel.processes.record(pid);
  const display = graphicalDisplay(kernel, pid, screenOf(record.config));
  const control = kernel.processes.control(pid);
  return {
    pid,
    // without bubblewrap the agent sees its real home path, so both name the home
    homeAliases: [SANDBOX_HOME, home],
    files: kernel.fs(pid),
    exec: (argv, { signal, ...options }) => untilAborted(kernel.processes.exec(pid, argv, options), signal),
    startProgram: (argv) => terminalProgram(kernel, pid, argv),
    runningMs: () => control.runningMs,
    network: record.sandbox.network,
    cooperation: kernelCooperation(kernel, pid),
    ...(display ? { display } : {}),
    ...(extras.web ? { web: extras.web } : {}),
  };
}

/**
 * A graphical agent's screen, decided by its spawn (config.graphical), not by whether the display runs yet: it
 * starts a moment after the spawn, and a screenshot waits for it (E_UNAVAILABLE if it failed).
 */
function graphicalDisplay(
  kernel: Kernel,
  pid: number,
  screen: { width: number; height: number } | undefined,
): AgentDisplay | undefined {
  if (!screen) return undefined;
  return { width: screen.width, height: screen.height, screenshot: () => kernel.displays.screenshot(pid) };
}

/** A program on a new terminal of the agent (people see it in pty.list and may attach to it while it runs). */
function terminalProgram(kernel: Kernel, pid: number, argv: string[]): TerminalProgram {
  const entry = kernel.terminals.open(pid, kernel.processes.terminalLaunch(pid, argv), {
    main: false,
    ...COMMAND_TERMINAL,
  });
  const listeners = new Set<(text: string) => void>();
  entry.session.attach((text) => listeners.forEach((listener) => listener(text)), { flowControl: false });
  return {
    id: entry.id,
    onOutput: (listener) => void listeners.add(listener),
    write: (text) => entry.session.write(text),
    exited: entry.session.exited().then(({ exitCode, signal }) => ({ exitCode, signal })),
    waitingForInput: () => entry.session.waitingForInput(),
    close: () => kernel.terminals.close(entry.id),
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
