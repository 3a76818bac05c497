import { z } from 'zod';
import { AgentProviderSchema, ApprovalPolicySchema, HabitatError } from '../../shared/protocol/index.js';
import type { ApprovalPolicy } from '../approvals/index.js';
import type { ProviderName } from '../llm/index.js';

/** How one agent's goal is run. Kept with its process record (never secrets), so a restart can resume the run. */
export interface AgentRunSettings {
  provider: ProviderName;
  model?: string;
  approvalPolicy: ApprovalPolicy;
  maxSteps?: number;
}

/** The run settings of a spawn request: each may be left out. */
export type AgentRunRequest = { [K in keyof AgentRunSettings]?: AgentRunSettings[K] | undefined };

const StoredSettingsSchema = z.object({
  provider: AgentProviderSchema,
  model: z.string().optional(),
  approvalPolicy: ApprovalPolicySchema,
  maxSteps: z.number().int().positive().optional(),
});

/** The settings with their defaults: the offline planner, and a person's approval for dangerous actions. */
export function runSettings(request: AgentRunRequest): AgentRunSettings {
  return {
    provider: request.provider ?? 'heuristic',
    approvalPolicy: request.approvalPolicy ?? 'dangerous',
    ...(request.model ? { model: request.model } : {}),
    ...(request.maxSteps ? { maxSteps: request.maxSteps } : {}),
  };
}

/** E_INVALID when run settings come without a goal: a shell-only agent has no loop to apply them to. */
export function checkNeedsGoal(request: AgentRunRequest, goal: string | undefined): void {
  const given = Object.entries(request)
    .filter(([, value]) => value !== undefined)
    .map(([key]) => key);
  if (given.length > 0 && !goal?.trim()) {
    throw new HabitatError('E_INVALID', `${given.join(', ')} apply to an agent with a goal: give it --goal`, {
      given,
    });
  }
}

/** The settings a process record keeps (config.agent), or undefined for an agent without a run. */
export function storedSettings(config: Record<string, unknown>): AgentRunSettings | undefined {
  const parsed = StoredSettingsSchema.safeParse(config.agent);
  return parsed.success ? runSettings(parsed.data) : undefined;
}

/** Exit codes of an agent whose run ended, as a shell would report them. */
export const OUTCOME_EXIT_CODES = { completed: 0, failed: 1, terminated: 143, killed: 137 } as const;
