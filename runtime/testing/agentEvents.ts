import type { Kernel } from '../../kernel/index.js';
import { AgentEventSchema, type AgentEvent } from '../../shared/protocol/index.js';

/** Records an agent's events as the kernel publishes them (agent.event.<pid>), parsed, from now on. */
export function recordAgentEvents(kernel: Kernel, pid: number): AgentEvent[] {
  const seen: AgentEvent[] = [];
  kernel.events.on(`agent.event.${pid}`, (payload) => seen.push(AgentEventSchema.parse(payload)));
  return seen;
}
