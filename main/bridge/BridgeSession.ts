import {
  ClientMessageSchema,
  describeIssues,
  eventSpecForTopic,
  RequestIdSchema,
  type RequestId,
  type ServerMessage,
} from '../../shared/protocol/index.js';
import type { Disposable } from '../../kernel/index.js';
import type { Bridge, CallContext, TransportKind } from './Bridge.js';

export interface SessionSink {
  send(message: ServerMessage): void;
  /** False while the peer is behind: events are then dropped (and counted) instead of queued without bound. */
  canSendEvent?(): boolean;
}

const MAX_SUBSCRIPTIONS = 256;
const CATCH_UP_POLL_MS = 20;

/** One connected client: its subscriptions, its calls, and what it was not sent because it read too slowly. */
export class BridgeSession {
  private readonly subscriptions = new Map<string, Disposable>();
  private readonly cleanups = new Set<() => void>();
  private dropped = 0;
  /** Coalesced events waiting for a slow consumer: the latest per topic and entity. Bounded by the entities. */
  private readonly coalesced = new Map<string, { topic: string; payload: unknown }>();
  private catchUpTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  readonly context: CallContext;

  constructor(
    private readonly bridge: Bridge,
    private readonly sink: SessionSink,
    sessionId: number,
    transport: TransportKind,
    private readonly onClose: () => void,
  ) {
    this.context = {
      sessionId,
      transport,
      push: (topic, payload) => this.send({ type: 'event', topic, payload }),
      onClose: (cleanup) => {
        if (this.closed) cleanup();
        else this.cleanups.add(cleanup);
      },
    };
  }

  get droppedEvents(): number {
    return this.dropped;
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Handle one decoded message. Never throws: every problem becomes an error value sent back. */
  handle(raw: unknown): void {
    if (this.closed) return;
    const parsed = ClientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const id = recoverId(raw);
      const error = {
        code: 'E_INVALID' as const,
        message: 'malformed message',
        details: { issues: describeIssues(parsed.error) },
      };
      this.send(id === undefined ? { type: 'error', error } : { type: 'result', id, ok: false, error });
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'call':
        void this.bridge.dispatch(message.command, message.args, this.context).then((outcome) => {
          this.send(
            outcome.ok
              ? { type: 'result', id: message.id, ok: true, result: outcome.result }
              : { type: 'result', id: message.id, ok: false, error: outcome.error },
          );
        });
        return;
      case 'subscribe': {
        const fresh = message.topics.filter((t) => !this.subscriptions.has(t));
        if (this.subscriptions.size + fresh.length > MAX_SUBSCRIPTIONS) {
          this.send({
            type: 'result',
            id: message.id,
            ok: false,
            error: { code: 'E_LIMIT', message: `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection` },
          });
          return;
        }
        for (const topic of fresh) {
          this.subscriptions.set(
            topic,
            this.bridge.events.on(topic, (payload, actual) => this.sendEvent(actual, payload)),
          );
        }
        this.replyTopics(message.id);
        return;
      }
      case 'unsubscribe':
        for (const topic of message.topics) {
          this.subscriptions.get(topic)?.dispose();
          this.subscriptions.delete(topic);
        }
        this.replyTopics(message.id);
        return;
    }
  }

  /**
   * Runs a command that wants no answer (a pty.ack that came as a binary frame): its outcome, an error included, is
   * dropped, as the client asked for none.
   */
  notify(command: string, args: unknown): void {
    if (this.closed) return;
    void this.bridge.dispatch(command, args, this.context);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.catchUpTimer) clearInterval(this.catchUpTimer);
    this.coalesced.clear();
    for (const subscription of this.subscriptions.values()) subscription.dispose();
    this.subscriptions.clear();
    for (const cleanup of this.cleanups) {
      try {
        cleanup();
      } catch (error) {
        console.error('[bridge] session cleanup failed:', error);
      }
    }
    this.cleanups.clear();
    this.onClose();
  }

  private sendEvent(topic: string, payload: unknown): void {
    if (this.behind()) {
      const coalesceBy = eventSpecForTopic(topic)?.coalesceBy;
      if (coalesceBy === undefined) this.dropped++;
      else {
        const entity =
          coalesceBy === '*' ? '' : String((payload as Record<string, unknown> | null)?.[coalesceBy]);
        const key = `${topic}\u0000${entity}`;
        this.coalesced.delete(key); // re-inserted last: the latest value goes out in the order of its last change
        this.coalesced.set(key, { topic, payload });
      }
      this.scheduleCatchUp();
      return;
    }
    this.catchUp();
    this.send({ type: 'event', topic, payload });
  }

  private behind(): boolean {
    return this.sink.canSendEvent !== undefined && !this.sink.canSendEvent();
  }

  /** Once the consumer reads again: first how much it missed, then the latest of every coalesced entity. */
  private catchUp(): void {
    if (this.dropped > 0) {
      this.send({ type: 'event', topic: 'bridge.dropped', payload: { count: this.dropped } });
      this.dropped = 0;
    }
    if (this.coalesced.size === 0) return;
    const pending = [...this.coalesced.values()];
    this.coalesced.clear();
    for (const event of pending) this.send({ type: 'event', topic: event.topic, payload: event.payload });
  }

  private scheduleCatchUp(): void {
    if (this.catchUpTimer || this.closed) return;
    this.catchUpTimer = setInterval(() => {
      if (this.closed || !this.behind()) {
        clearInterval(this.catchUpTimer);
        this.catchUpTimer = undefined;
        if (!this.closed) this.catchUp();
      }
    }, CATCH_UP_POLL_MS);
    this.catchUpTimer.unref?.();
  }

  private replyTopics(id: RequestId): void {
    this.send({ type: 'result', id, ok: true, result: { topics: [...this.subscriptions.keys()] } });
  }

  private send(message: ServerMessage): void {
    if (this.closed) return;
    try {
      this.sink.send(message);
    } catch {
      // the transport is going away; its close handler ends this session
    }
  }
}

/** Answer a malformed call with its own id when one can be read, so the caller's promise settles. */
function recoverId(raw: unknown): RequestId | undefined {
  if (typeof raw !== 'object' || raw === null || !('id' in raw)) return undefined;
  const parsed = RequestIdSchema.safeParse((raw as { id: unknown }).id);
  return parsed.success ? parsed.data : undefined;
}
