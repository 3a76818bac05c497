export type {
  ChatMessage,
  ChatRequest,
  ChatResponse,
  ImagePart,
  Provider,
  ProviderErrorInfo,
  ProviderErrorKind,
  ProviderEvent,
  ToolCall,
  ToolDeclaration,
  Usage,
} from './types.js';
export { DEFAULT_MAX_OUTPUT_TOKENS, LOOP_NOTE_PREFIX, MAX_ANSWER_CHARS } from './types.js';
export { ProviderError, isProviderError, parseRetryAfter } from './errors.js';
export { backoffDelay, withRetries, type RetryOptions } from './retry.js';
export { toolJsonSchema } from './schema.js';
export { GeminiProvider, GEMINI_DEFAULT_MODEL, type GeminiOptions } from './gemini.js';
export {
  OllamaProvider,
  OLLAMA_DEFAULT_HOST,
  OLLAMA_DEFAULT_MODEL,
  type OllamaOptions,
  type PullProgress,
} from './ollama.js';
export { HeuristicProvider } from './heuristic.js';
export { parseGoal, GOAL_HELP, type GoalPlan, type PlannedAction } from './heuristicGoals.js';
export { ScriptedProvider, type ScriptedReply, type ScriptedTurn } from './scripted.js';
export {
  createProvider,
  normalOllamaHost,
  providerEndpoints,
  PROVIDER_NAMES,
  type ProviderName,
  type ProviderSettings,
} from './config.js';
export { providerStatuses, PROVIDER_PROBE_TIMEOUT_MS } from './status.js';
