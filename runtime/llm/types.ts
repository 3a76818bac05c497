/** What every language model provider speaks: one chat turn with tools, streaming, images and cancellation. */

/** PNG bytes; only providers with `supportsImages` see them, the others get a text placeholder. */
export interface ImagePart {
  mimeType: 'image/png';
  data: Uint8Array;
}

export interface ToolCall {
  /** Unique within the conversation; providers without call ids (Gemini, Ollama) get one minted. */
  id: string;
  name: string;
  /** As the model sent them: validated by the loop, never trusted by the provider. */
  args: unknown;
  /** Opaque provider state that must travel back with the call (Gemini's thought signatures). */
  signature?: string;
}

export type ChatMessage =
  | { role: 'user'; content: string; images?: ImagePart[] }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[]; signature?: string }
  | {
      role: 'tool';
      callId: string;
      name: string;
      content: string;
      isError?: boolean;
      images?: ImagePart[];
    };

/** A tool as the model sees it; `parameters` is a JSON Schema (see toolJsonSchema). */
export interface ToolDeclaration {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** Failure classes the loop and the UI can act on; `retryable` ones are retried with backoff first. */
export type ProviderErrorKind =
  | 'rate_limit'
  | 'server'
  | 'network'
  | 'timeout'
  | 'auth'
  | 'not_found'
  | 'bad_request'
  | 'bad_response'
  | 'aborted'
  | 'unavailable';

export interface ProviderErrorInfo {
  kind: ProviderErrorKind;
  message: string;
  provider: string;
  status?: number;
  retryable: boolean;
}

/** Things a provider reports while it works, besides text. */
export type ProviderEvent = { type: 'retry'; attempt: number; delayMs: number; error: ProviderErrorInfo };

export interface ChatRequest {
  system: string;
  messages: readonly ChatMessage[];
  tools: readonly ToolDeclaration[];
  signal?: AbortSignal;
  /** Text as it arrives (thoughts and answers alike). */
  onText?: (delta: string) => void;
  onEvent?: (event: ProviderEvent) => void;
}

export interface ChatResponse {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
  /** The provider's own word for why the turn ended ('STOP', 'stop', 'tool_calls', ...), where it gives one. */
  finishReason?: string;
  /** Gemini's signature of a text-only answer, to send back with it. */
  signature?: string;
}

export interface Provider {
  /** 'gemini', 'ollama', 'heuristic', ... */
  readonly name: string;
  readonly model: string;
  readonly supportsImages: boolean;
  /** One model turn. Rejects with a ProviderError, after the provider's own retries. */
  chat(request: ChatRequest): Promise<ChatResponse>;
  /**
   * Makes the model ready before the first turn, reporting progress (Ollama downloads a model the server lacks).
   * Rejects with a ProviderError.
   */
  prepare?(onProgress: (progress: ModelProgress) => void, signal?: AbortSignal): Promise<void>;
}

/** How far getting a model is: the server's status line, and bytes where it counts them. */
export interface ModelProgress {
  status: string;
  completed?: number;
  total?: number;
  /** 0..100 where the total is known. */
  percent?: number;
}

/**
 * The most output tokens a turn asks an Ollama model for (num_predict): room for a long file in a tool call and for a
 * thinking model's thoughts, and an end to a model that repeats itself forever. Gemini is sent none unless asked
 * (its models' caps differ, and a request above one is refused).
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 32_768;

/**
 * The most characters of one answer a provider gathers (text, thoughts and tool call arguments), some four times what
 * DEFAULT_MAX_OUTPUT_TOKENS make: past it the turn fails, as a server that streams without end would otherwise run
 * until the run's time budget.
 */
export const MAX_ANSWER_CHARS = 500_000;

/** Marks user messages the loop adds itself (reminders, not the person's words), so planners can tell them apart. */
export const LOOP_NOTE_PREFIX = '[habitat] ';
