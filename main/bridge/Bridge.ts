import {
  HabitatError,
  commands,
  describeIssues,
  isCommandName,
  type CommandName,
  type CommandResult,
  type ErrorValue,
  type ParsedArgs,
} from '../../shared/protocol/index.js';
import type { EventListener, Disposable } from '../../kernel/index.js';
import { BridgeSession, type SessionSink } from './BridgeSession.js';

export type TransportKind = 'memory' | 'websocket' | 'ipc';

export interface CallContext {
  readonly sessionId: number;
  readonly transport: TransportKind;
  /**
   * Sends an event to this connection only, never dropped: for streams whose producer is flow-controlled by credit
   * (terminal output), so the connection's buffer stays bounded without dropping.
   */
  push(topic: string, payload: unknown): void;
  /** Runs when this connection closes: stream handlers release what they attached. */
  onClose(cleanup: () => void): void;
}

export type Handler<N extends CommandName> = (
  args: ParsedArgs<N>,
  context: CallContext,
) => Promise<CommandResult<N>> | CommandResult<N>;

/** Handlers are registered per command; a command without one answers E_UNAVAILABLE. */
export type Handlers = { [N in CommandName]?: Handler<N> };

export interface EventSource {
  on(pattern: string, listener: EventListener): Disposable;
}

export interface BridgeOptions {
  handlers: Handlers;
  events: EventSource;
  /** Parse every result with its schema before it leaves: catches handler bugs; on by default. */
  validateResults?: boolean;
  /** Where internal errors (with their stacks) are logged; the caller sees only E_INTERNAL. */
  logError?: (message: string, error: unknown) => void;
}

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: ErrorValue };

/**
 * The one dispatcher behind every transport: validates arguments with the command's schema, calls the handler,
 * turns every failure into an error value. Nothing reaches a handler unparsed.
 */
export class Bridge {
  private nextSessionId = 1;
  private readonly sessions = new Set<BridgeSession>();

  constructor(private readonly options: BridgeOptions) {}

  get events(): EventSource {
    return this.options.events;
  }

  async dispatch(command: string, rawArgs: unknown, context: CallContext): Promise<DispatchResult> {
    if (!isCommandName(command)) {
      return fail('E_NOT_FOUND', `unknown command: ${truncate(command)}`);
    }
    const spec = commands[command];
    const parsed = spec.args.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      return fail('E_INVALID', `invalid arguments for ${command}`, { issues: describeIssues(parsed.error) });
    }
    const handler = this.options.handlers[command] as
      ((args: unknown, context: CallContext) => unknown) | undefined;
    if (!handler) return fail('E_UNAVAILABLE', `${command} is not available in this kernel`);
    try {
      const result = await handler(parsed.data, context);
      if (this.options.validateResults !== false) {
        const checked = spec.result.safeParse(result);
        if (!checked.success) {
          this.logError(`${command} returned a result that fails its schema`, checked.error);
          return fail('E_INTERNAL', `${command} produced an invalid result`);
        }
        return { ok: true, result: checked.data };
      }
      return { ok: true, result };
    } catch (error) {
      if (error instanceof HabitatError) return { ok: false, error: error.toValue() };
      this.logError(`${command} failed`, error);
      return fail('E_INTERNAL', `${command} failed unexpectedly`);
    }
  }

  openSession(sink: SessionSink, transport: TransportKind): BridgeSession {
    const session = new BridgeSession(this, sink, this.nextSessionId++, transport, () =>
      this.sessions.delete(session),
    );
    this.sessions.add(session);
    return session;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  closeAll(): void {
    for (const session of [...this.sessions]) session.close();
  }

  private logError(message: string, error: unknown): void {
    (this.options.logError ?? ((m, e) => console.error(`[bridge] ${m}:`, e)))(message, error);
  }
}

function fail(code: ErrorValue['code'], message: string, details?: unknown): DispatchResult {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
