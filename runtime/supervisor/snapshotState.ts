import type { AgentState, AgentStateProvider, Kernel } from '../../kernel/index.js';

/** What the supervisor lends to snapshots: how far an agent's run is, and a way to run it again from its store. */
export interface RunsForSnapshots {
  /** Steps done by the agent's running loop; undefined when none runs. */
  steps(pid: number): number | undefined;
  /** Ends the agent's run unseen and starts it again from its stored conversation, counting on from `step`. */
  restart(pid: number, step: number): void;
}

const PAGE = 10_000;

/**
 * The runtime's part of an agent's snapshot: its conversation as the store keeps it (images as base64) and how many
 * steps its loop had done. A restored agent gets the conversation; an agent rolled back gets it back and its run
 * starts again from there (the snapshot was taken at a step boundary, so nothing is half done).
 */
export function snapshotState(kernel: Kernel, runs: RunsForSnapshots): AgentStateProvider {
  return {
    capture(pid) {
      const conversation = readAll(kernel, pid);
      const steps = runs.steps(pid);
      if (steps === undefined && conversation.length === 0) return undefined;
      return { ...(steps === undefined ? {} : { loop: { step: steps } }), conversation };
    },
    restore(pid, state) {
      kernel.store.replaceMessages(pid, state.conversation ?? []);
    },
    rollback(pid, state) {
      const before = readAll(kernel, pid);
      kernel.store.replaceMessages(pid, state.conversation ?? []);
      try {
        runs.restart(pid, stepOf(state));
      } catch (error) {
        kernel.store.replaceMessages(pid, before); // the rollback is refused whole
        throw error;
      }
    },
  };
}

/** The agent's whole conversation as stored. */
function readAll(kernel: Kernel, pid: number): unknown[] {
  const conversation: unknown[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = kernel.store.messages(pid, offset, PAGE);
    conversation.push(...page.map((entry) => entry.message));
    if (page.length < PAGE) return conversation;
  }
}

/** The step a state was taken after: as its loop said, else the model turns in its conversation. */
function stepOf(state: AgentState): number {
  const step = (state.loop as { step?: unknown } | undefined)?.step;
  if (typeof step === 'number' && Number.isInteger(step) && step >= 0) return step;
  return (state.conversation ?? []).filter((m) => (m as { role?: unknown })?.role === 'assistant').length;
}
