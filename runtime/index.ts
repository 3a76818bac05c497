// The agent runtime's public surface: think-act-observe loops, tools, approvals and LLM providers (issue 7).
export {
  AgentLoop,
  type AgentApprovals,
  type AgentBudgets,
  type AgentLoopOptions,
  type LoopSignals,
} from './AgentLoop.js';
export type { AgentEvent, AgentEventSink, AgentEventType, AgentOutcome, AgentRunResult } from './events.js';
export { systemPrompt, type PromptInput } from './prompt.js';
export * from './llm/index.js';
export * from './tools/index.js';
export * from './approvals/index.js';
export * from './memory/index.js';
export * from './conversation/index.js';

export { PROVIDER_NAMES as RUNTIME_PROVIDERS, type ProviderName as RuntimeProvider } from './llm/index.js';
export * from './supervisor/index.js';
