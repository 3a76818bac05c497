import { ProviderError } from './errors.js';
import type { ChatRequest, ChatResponse } from './types.js';

export interface RetryOptions {
  /** Attempts in all, the first included. Default 4. */
  attempts?: number;
  /** The first backoff; each later one doubles, up to maxDelayMs. Default 500 ms. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The longest Retry-After honoured; a server that asks for more fails the call at once. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Test seams. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RetryHooks {
  signal?: AbortSignal;
  onRetry?: (attempt: number, delayMs: number, error: ProviderError) => void;
  /** False once retrying would repeat what the caller already saw (text streamed to the user). */
  canRetry?: () => boolean;
}

/**
 * Exponential backoff with "equal jitter": half the doubled delay is fixed, half random, so retries of many agents
 * spread out while each still waits a predictable minimum.
 */
export function backoffDelay(failures: number, options: RetryOptions = {}, random = Math.random): number {
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 20_000;
  const exp = Math.min(max, base * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** Runs `attempt` until it succeeds, fails with a non-retryable ProviderError, or runs out of attempts. */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  options: RetryOptions = {},
  hooks: RetryHooks = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const sleep = options.sleep ?? abortableSleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.retryable || n >= attempts) throw error;
      if (hooks.canRetry && !hooks.canRetry()) throw error;
      if (hooks.signal?.aborted) throw error;
      const maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
      if (error.retryAfterMs !== undefined && error.retryAfterMs > maxRetryAfter) throw error;
      const delay = error.retryAfterMs ?? backoffDelay(n, options, options.random);
      hooks.onRetry?.(n + 1, delay, error);
      try {
        await sleep(delay, hooks.signal);
      } catch {
        throw new ProviderError(
          'aborted',
          'cancelled while waiting to retry',
          error.provider,
          undefined,
          undefined,
          {
            cause: error,
          },
        );
      }
    }
  }
}

/**
 * A provider's chat, retried: `attempt` is told (through its callback) once text has streamed to the caller, after
 * which a failure is final, since a retry would show that text twice. Each retry is reported as a 'retry' event.
 */
export function chatWithRetries(
  request: ChatRequest,
  options: RetryOptions | undefined,
  attempt: (onStreamed: () => void) => Promise<ChatResponse>,
): Promise<ChatResponse> {
  let streamed = false;
  return withRetries(
    () =>
      attempt(() => {
        streamed = true;
      }),
    options,
    {
      signal: request.signal,
      canRetry: () => !streamed,
      onRetry: (n, delayMs, error) =>
        request.onEvent?.({ type: 'retry', attempt: n, delayMs, error: error.info() }),
    },
  );
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
