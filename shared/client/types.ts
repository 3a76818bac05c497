import type { CommandArgs, CommandName, CommandResult, EventName, EventPayload } from '../protocol/index.js';

export type Unsubscribe = () => void;
/** 'refused': the host turned the token away (a stale one, after the host restarted); the client tries no more. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'refused';

export interface CallOptions {
  /** Reject with E_TIMEOUT after this many milliseconds (default 30 s). */
  timeoutMs?: number;
}

/**
 * What the renderer and the CLI program against. preload's window.habitat and the WebSocket client both implement it.
 * call() resolves with the result or rejects with a HabitatError carrying the error value's code.
 */
export interface HabitatApi {
  call<N extends CommandName>(
    command: N,
    args?: CommandArgs<N>,
    options?: CallOptions,
  ): Promise<CommandResult<N>>;
  subscribe<E extends EventName>(
    topic: E,
    listener: (payload: EventPayload<E>, topic: E) => void,
  ): Unsubscribe;
  subscribe(pattern: string, listener: (payload: unknown, topic: string) => void): Unsubscribe;
  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe;
  getConnectionState(): ConnectionState;
}
