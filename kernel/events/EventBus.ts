import { topicMatches, type EventName, type EventPayload } from '../../shared/protocol/index.js';

export type EventListener = (payload: unknown, topic: string) => void;
export interface Disposable {
  dispose(): void;
}

/**
 * The kernel's typed event bus. Exact topics are indexed; patterns ('process.*', '*') are checked per event, and
 * there are few of them (one per subscribing client and pattern).
 */
export class EventBus {
  private readonly exact = new Map<string, Set<EventListener>>();
  private readonly patterns = new Map<string, Set<EventListener>>();

  emit<E extends EventName>(topic: E, payload: EventPayload<E>): void {
    this.deliver(topic, payload);
  }

  /** Publishes on a per-object topic, `<event>.<scope>` (process.log.12): subscribers choose which object to follow. */
  emitScoped<E extends EventName>(name: E, scope: string | number, payload: EventPayload<E>): void {
    this.deliver(`${name}.${scope}`, payload);
  }

  private deliver(topic: string, payload: unknown): void {
    const direct = this.exact.get(topic);
    if (direct) for (const listener of [...direct]) this.safeCall(listener, payload, topic);
    for (const [pattern, set] of this.patterns) {
      if (!topicMatches(pattern, topic)) continue;
      for (const listener of [...set]) this.safeCall(listener, payload, topic);
    }
  }

  on(pattern: string, listener: EventListener): Disposable {
    const index = pattern === '*' || pattern.endsWith('.*') ? this.patterns : this.exact;
    let set = index.get(pattern);
    if (!set) index.set(pattern, (set = new Set()));
    set.add(listener);
    return {
      dispose: () => {
        const current = index.get(pattern);
        if (current?.delete(listener) && current.size === 0) index.delete(pattern);
      },
    };
  }

  /** Whether anyone would receive this topic: lets producers skip work nobody watches. */
  hasListeners(topic: string): boolean {
    if (this.exact.has(topic)) return true;
    for (const pattern of this.patterns.keys()) if (topicMatches(pattern, topic)) return true;
    return false;
  }

  private safeCall(listener: EventListener, payload: unknown, topic: string): void {
    try {
      listener(payload, topic);
    } catch (error) {
      // one broken subscriber must not stop delivery to the others
      console.error(`[events] listener for ${topic} threw:`, error);
    }
  }
}
