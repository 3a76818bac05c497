import type { AgentState, AgentStateProvider, Kernel } from '../../kernel/index.js';

/** What the supervisor lends to snapshots: how far an agent's run is, and ways to run it from its store. */
export interface RunsForSnapshots {
  /** Steps done by the agent's running loop; undefined when none runs. */
  steps(pid: number): number | undefined;
  /**
   * Readies a restart of the agent's run (a throw refuses it, with nothing changed); calling the result ends the run
   * unseen and starts it again from its stored conversation, counting on from `step`.
   */
  restart(pid: number, step: number): () => void;
  /**
   * Starts the run of a restored agent (a new PID) from its stored conversation, counting on from `step`, with the
   * run settings the original had (undefined when the snapshot kept none); `note` is its first event.
   */
  resume(pid: number, settings: unknown, step: number, note: string): void;
}

/** The runtime's part of a snapshot (AgentState.loop). Snapshots of before `running` had `step` only when a run ran. */
interface LoopState {
  step?: number;
  /** Whether the agent's run was under way (not ended, not yet started). */
  running?: boolean;
  /** How the run was run (provider, model, approval policy, budgets: config.agent, never secrets). */
  settings?: unknown;
}

const PAGE = 10_000;

/**
 * The runtime's part of an agent's snapshot: its conversation as the store keeps it (images as base64), how many
 * steps its loop had done and with which settings. A restored agent gets the conversation, and a run that was under
 * way goes on from there (an agent whose run had ended comes back idle); an agent rolled back gets it back and its
 * run starts again from there (the snapshot was taken at a step boundary, so nothing is half done).
 */
export function snapshotState(kernel: Kernel, runs: RunsForSnapshots): AgentStateProvider {
  return {
    capture(pid) {
      const conversation = readAll(kernel, pid);
      const steps = runs.steps(pid);
      if (steps === undefined && conversation.length === 0) return undefined;
      const settings = kernel.processes.record(pid).config.agent;
      const loop: LoopState = {
        ...(steps === undefined ? {} : { step: steps }),
        running: steps !== undefined,
        ...(settings === undefined ? {} : { settings }),
      };
      return { loop, conversation };
    },
    restore(pid, state, origin) {
      kernel.store.replaceMessages(pid, state.conversation ?? []);
      const loop = state.loop as LoopState | undefined;
      if (!(loop?.running ?? typeof loop?.step === 'number')) return; // its run had ended: it comes back idle
      const step = stepOf(state);
      runs.resume(pid, loop?.settings, step, `restored from snapshot ${origin.snapshot} at step ${step}`);
    },
    rollback(pid, state) {
      const restart = runs.restart(pid, stepOf(state)); // a refusal comes before anything changed
      return {
        write: () => kernel.store.replaceMessages(pid, state.conversation ?? []),
        resume: restart,
      };
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
