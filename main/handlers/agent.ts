import type { AgentSupervisor } from '../../runtime/index.js';
import type { EventPayload } from '../../shared/protocol/index.js';
import type { Handlers } from '../bridge/index.js';

export interface AgentEventSink {
  emit(topic: 'agent.pullProgress', payload: EventPayload<'agent.pullProgress'>): void;
}

/** Agents' runs: approvals, answers to their questions, memory and conversations; the runs themselves start with process.spawn and a goal. */
export function agentHandlers(agents: AgentSupervisor, events: AgentEventSink): Handlers {
  return {
    'agent.approve': ({ pid, id, reason }) => agents.approve(pid, id, reason),
    'agent.deny': ({ pid, id, reason }) => agents.deny(pid, id, reason),
    'agent.answer': ({ pid, id, text }) => agents.answer(pid, id, text),
    'agent.approvals': ({ pid }) => ({ approvals: agents.approvals(pid) }),
    'agent.providers': async () => ({ providers: await agents.providers() }),
    'agent.setProviderSettings': async (change) => ({ providers: await agents.setProviderSettings(change) }),
    'agent.pullModel': async ({ model }) => {
      const pulled = await agents.pullModel(model, (name, { status, percent }) =>
        events.emit('agent.pullProgress', {
          model: name,
          status,
          ...(percent !== undefined ? { percent } : {}),
        }),
      );
      return { model: pulled };
    },
    'agent.getMemory': async ({ pid }) => ({ notes: await agents.getMemory(pid) }),
    'agent.setMemory': async ({ pid, notes }) => ({ notes: await agents.setMemory(pid, notes) }),
    'agent.conversation': ({ pid, offset, limit }) => agents.conversation(pid, offset, limit),
  };
}
