// values from the protocol's zod-free modules, not its index: a page that imports the client builds no schema before
// its first paint
import type { CommandArgs, CommandName, CommandResult } from '../protocol/index.js';
import { readServerMessage, topicMatches, type RequestId } from '../protocol/envelope.js';
import { HabitatError, type ErrorValue } from '../protocol/habitatError.js';
import type { ClientMessage } from '../protocol/wire.js';
import type { CallOptions, ConnectionState, HabitatApi, Unsubscribe } from './types.js';

type Listener = (payload: unknown, topic: string) => void;

interface Pending {
  resolve(value: unknown): void;
  reject(error: HabitatError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The protocol logic every client shares, independent of how bytes move: request ids, pending calls, timeouts,
 * ref-counted topic subscriptions (re-sent after a reconnect). A transport feeds it messages and gives it a sender.
 */
export class ClientCore implements HabitatApi {
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private state: ConnectionState = 'connecting';

  constructor(private sendMessage: (message: ClientMessage) => void) {}

  getConnectionState(): ConnectionState {
    return this.state;
  }

  call<N extends CommandName>(
    command: N,
    args?: CommandArgs<N>,
    options: CallOptions = {},
  ): Promise<CommandResult<N>> {
    const id = this.nextId++;
    return new Promise<CommandResult<N>>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(new HabitatError('E_TIMEOUT', `${command} did not answer within ${timeoutMs} ms`));
            }, timeoutMs)
          : undefined;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.sendMessage({ type: 'call', id, command, args: args ?? {} });
      } catch (error) {
        // a message the transport refuses to carry (E_LIMIT) fails this call alone
        this.settle(
          id,
          error instanceof HabitatError
            ? error.toValue()
            : { code: 'E_UNAVAILABLE', message: `not connected: ${String(error)}` },
        );
      }
    });
  }

  subscribe(pattern: string, listener: Listener): Unsubscribe {
    let set = this.listeners.get(pattern);
    if (!set) {
      set = new Set();
      this.listeners.set(pattern, set);
      this.trySend({ type: 'subscribe', id: this.nextId++, topics: [pattern] });
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(pattern);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(pattern);
      this.trySend({ type: 'unsubscribe', id: this.nextId++, topics: [pattern] });
    };
  }

  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Feed one message from the transport. Garbage from the host is ignored rather than trusted. */
  receive(raw: unknown): void {
    const message = readServerMessage(raw);
    if (!message) return;
    if (message.type === 'event') this.receiveEvent(message.topic, message.payload);
    else if (message.type === 'result') {
      if (message.ok) this.settle(message.id, undefined, message.result);
      else this.settle(message.id, message.error);
    }
  }

  /** Deliver an event the transport has already decoded and checked (a binary terminal frame, say). */
  receiveEvent(topic: string, payload: unknown): void {
    for (const [pattern, set] of this.listeners) {
      if (!topicMatches(pattern, topic)) continue;
      for (const listener of set) {
        try {
          listener(payload, topic);
        } catch (error) {
          console.error(`[habitat] listener for ${topic} threw:`, error);
        }
      }
    }
  }

  /** The transport reports its state; on (re)open, subscriptions are sent again. */
  setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    if (state === 'open') {
      const topics = [...this.listeners.keys()];
      for (let i = 0; i < topics.length; i += 64) {
        this.trySend({ type: 'subscribe', id: this.nextId++, topics: topics.slice(i, i + 64) });
      }
    } else if (state === 'refused') {
      this.failPending({ code: 'E_DENIED', message: 'the Habitat host refused the token' });
    } else {
      this.failPending({ code: 'E_UNAVAILABLE', message: 'connection to the Habitat host was lost' });
    }
    for (const listener of this.stateListeners) listener(state);
  }

  setSender(send: (message: ClientMessage) => void): void {
    this.sendMessage = send;
  }

  failPending(error: ErrorValue): void {
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }

  private settle(id: RequestId, error: ErrorValue | undefined, result?: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (pending.timer) clearTimeout(pending.timer);
    if (error) pending.reject(HabitatError.fromValue(error));
    else pending.resolve(result);
  }

  private trySend(message: ClientMessage): void {
    if (this.state !== 'open') return; // re-sent by setState('open')
    try {
      this.sendMessage(message);
    } catch {
      // the transport is closing; subscriptions are re-sent on the next open
    }
  }
}
