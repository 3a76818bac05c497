import {
  commands,
  HabitatError,
  type CommandName,
  type ErrorValue,
  type ProcessInfo,
  type ProcessState,
} from '../../shared/protocol/index.js';
import type { CallContext, Handlers } from '../bridge/index.js';
import type { KernelMessage, MainMessage } from './messages.js';

const APP_COMMANDS = (Object.keys(commands) as CommandName[]).filter((name) => name.startsWith('app.'));
const TIMEOUT_MS = 60_000;

/** What the kernel knows and main does not: main has no process table, so the kernel checks PIDs for it. */
export interface KernelFacts {
  /** The process with this PID, or undefined when there never was one. */
  process(pid: number): Pick<ProcessInfo, 'pid' | 'name' | 'state'> | undefined;
}

const LIVE_STATES: ReadonlySet<ProcessState> = new Set(['created', 'running', 'sleeping', 'stopped']);

/** Checks made here, before main is asked: a command that fails one never reaches main. */
const CHECKS: Partial<Record<CommandName, (args: unknown, facts: KernelFacts) => void>> = {
  // a window of its own for an agent that does not exist, or no longer runs, would show nothing but errors
  'app.detachWindow': (args, facts) => {
    const { pid } = args as { pid: number };
    const info = facts.process(pid);
    if (!info) throw new HabitatError('E_NOT_FOUND', `there is no agent with PID ${pid}`);
    if (!LIVE_STATES.has(info.state)) {
      throw new HabitatError(
        'E_CONFLICT',
        `${info.name} (PID ${pid}) has ended (${info.state}): only a running agent opens in a window of its own`,
      );
    }
  },
};

/**
 * In the kernel process: the app.* commands (windows, theme, shortcut, updates, secrets) belong to main, where
 * Electron is. The bridge has validated the arguments; these handlers check what only the kernel can (the PID a
 * window is for), then ask main and wait for its answer.
 */
export function forwardAppCommands(
  post: (message: KernelMessage) => void,
  facts: KernelFacts,
): {
  handlers: Handlers;
  settle(message: Extract<MainMessage, { type: 'app.result' }>): void;
} {
  let nextId = 1;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: HabitatError): void }>();
  const handlers: Record<string, (args: unknown) => Promise<unknown>> = {};
  for (const command of APP_COMMANDS) {
    const check = CHECKS[command];
    handlers[command] = async (args) => {
      check?.(args, facts);
      return new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new HabitatError('E_TIMEOUT', `the desktop shell did not answer ${command}`));
        }, TIMEOUT_MS);
        timer.unref?.();
        pending.set(id, {
          resolve: (value) => (clearTimeout(timer), resolve(value)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
        post({ type: 'app.call', id, command, args });
      });
    };
  }
  return {
    handlers: handlers as Handlers,
    settle: (message) => {
      const waiting = pending.get(message.id);
      if (!waiting) return;
      pending.delete(message.id);
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(HabitatError.fromValue(message.error));
    },
  };
}

/** In main: runs a forwarded app.* command with the desktop shell's handlers and answers it. */
export async function answerAppCommand(
  handlers: Handlers,
  call: Extract<KernelMessage, { type: 'app.call' }>,
  post: (message: MainMessage) => void,
): Promise<void> {
  const handler = (
    handlers as Record<string, ((args: unknown, context: CallContext) => unknown) | undefined>
  )[call.command];
  try {
    if (!handler || !call.command.startsWith('app.')) {
      throw new HabitatError('E_NOT_FOUND', `the desktop shell has no command ${call.command}`);
    }
    const result = await handler(call.args, MAIN_CONTEXT);
    post({ type: 'app.result', id: call.id, ok: true, result });
  } catch (error) {
    const value: ErrorValue =
      error instanceof HabitatError
        ? error.toValue()
        : { code: 'E_INTERNAL', message: 'the desktop shell failed to carry out the command' };
    post({ type: 'app.result', id: call.id, ok: false, error: value });
  }
}

const MAIN_CONTEXT: CallContext = {
  sessionId: 0,
  transport: 'ipc',
  push: () => undefined,
  onClose: () => undefined,
};
