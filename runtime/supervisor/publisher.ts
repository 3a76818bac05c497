import type { Kernel } from '../../kernel/index.js';
import type { AgentEvent as WireAgentEvent } from '../../shared/protocol/index.js';
import type { AgentEvent } from '../events.js';

export interface PublisherOptions {
  /** How long streamed thought text is gathered before it is sent. Default 50 ms. */
  flushMs?: number;
  /** Gathered text that is sent at once. Default 4096 characters. */
  maxChars?: number;
}

/**
 * Where one agent's run reports to: its phase goes to the process table (process.changed), every event but
 * streamed thought text to the agent's log (process.logs, `habitat logs`), and all of them to agent.event.<pid>.
 * Thought deltas are batched, never one event per token; pending text goes out before any later event, in order.
 */
export class AgentEventPublisher {
  private text = '';
  private textStep = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly flushMs: number;
  private readonly maxChars: number;

  constructor(
    private readonly kernel: Kernel,
    readonly pid: number,
    options: PublisherOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 50;
    this.maxChars = options.maxChars ?? 4096;
  }

  /** Never throws (the loop's sink must not): an ended process or a closed store loses only what it cannot take. */
  publish(event: AgentEvent): void {
    if (event.type === 'thought.delta') {
      this.text += event.text;
      this.textStep = event.step;
      if (this.text.length >= this.maxChars) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
      return;
    }
    this.flush();
    if (event.type === 'phase') this.quietly(() => this.kernel.processes.setPhase(this.pid, event.phase));
    const seq = this.quietly(() => this.kernel.processes.log(this.pid, `agent.${event.type}`, event));
    this.send({ ...event, pid: this.pid, ...(seq === undefined ? {} : { seq }) });
  }

  /** Sends the thought text gathered so far. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.text) return;
    const text = this.text;
    this.text = '';
    this.send({ type: 'thought.delta', text, pid: this.pid, at: Date.now(), step: this.textStep });
  }

  private send(payload: WireAgentEvent): void {
    this.kernel.events.emitScoped('agent.event', this.pid, payload);
  }

  private quietly<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch {
      return undefined; // the process ended (E_CONFLICT) or the kernel is closing: the stream goes on
    }
  }
}
