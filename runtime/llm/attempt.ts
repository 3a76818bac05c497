import {
  isBadResponse,
  isNetworkFault,
  kindOfStatus,
  parseRetryAfter,
  ProviderError,
  shortMessage,
} from './errors.js';

/**
 * The plumbing of one HTTP attempt, shared by the SDK-backed providers: a fetch (handed to the SDK) that carries
 * the caller's AbortSignal and an idle timeout, and remembers the response's status and Retry-After, which the SDKs'
 * own errors drop. A fresh Attempt per try keeps tries independent.
 */
export class Attempt {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  private status: number | undefined;
  private retryAfterMs: number | undefined;
  /** Characters of the answer gathered so far (gather). */
  private gathered = 0;
  private readonly onCallerAbort = () => this.controller.abort(this.caller?.reason);

  constructor(
    private readonly provider: string,
    private readonly caller: AbortSignal | undefined,
    /** Longest silence (no headers, no chunk) before the attempt is abandoned. */
    private readonly idleTimeoutMs: number,
  ) {
    if (caller?.aborted) this.controller.abort(caller.reason);
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const signal = init?.signal ? AbortSignal.any([init.signal, this.signal]) : this.signal;
    const response = await globalThis.fetch(input, { ...init, signal });
    this.touch();
    this.status = response.status;
    this.retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    return response;
  };

  /** Something arrived: the idle clock starts again. */
  touch(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.controller.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error('idle timeout'));
    }, this.idleTimeoutMs);
    this.timer.unref?.();
  }

  /**
   * Counts `chars` more of the model's answer, before they are kept or shown. Past `max` the attempt is cut off (the
   * stream aborted) and this throws a ProviderError that is not retried: a model or server that does not stop must
   * not fill memory, the log and the conversation until the run's time runs out.
   */
  gather(chars: number, max: number): void {
    this.gathered += chars;
    if (this.gathered <= max) return;
    const error = new ProviderError(
      'bad_response',
      `the answer of ${this.provider} passed ${max.toLocaleString('en-US')} characters without ending: it was cut off there`,
      this.provider,
    );
    this.controller.abort(error);
    throw error;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }

  /** Turns whatever the SDK threw into a ProviderError. */
  classify(error: unknown, statusOf: (error: unknown) => number | undefined): ProviderError {
    if (error instanceof ProviderError) return error;
    const p = this.provider;
    if (this.caller?.aborted)
      return new ProviderError('aborted', 'the request was cancelled', p, undefined, undefined, {
        cause: error,
      });
    if (this.timedOut) {
      return new ProviderError(
        'timeout',
        `no answer from ${p} for ${Math.round(this.idleTimeoutMs / 100) / 10} s`,
        p,
        undefined,
        undefined,
        { cause: error },
      );
    }
    const status =
      statusOf(error) ?? (this.status !== undefined && this.status >= 400 ? this.status : undefined);
    if (status !== undefined && status >= 400) {
      const retryAfter = this.retryAfterMs ?? retryDelayInBody(error);
      return new ProviderError(
        kindOfStatus(status),
        `${p} answered HTTP ${status}: ${shortMessage(error)}`,
        p,
        status,
        retryAfter,
        {
          cause: error,
        },
      );
    }
    if (isNetworkFault(error)) {
      return new ProviderError(
        'network',
        `cannot reach ${p}: ${networkDetail(error)}`,
        p,
        undefined,
        undefined,
        { cause: error },
      );
    }
    if (isBadResponse(error)) {
      return new ProviderError(
        'bad_response',
        `${p} sent a malformed response: ${shortMessage(error, 200)}`,
        p,
        undefined,
        undefined,
        {
          cause: error,
        },
      );
    }
    return new ProviderError('unavailable', `${p} failed: ${shortMessage(error)}`, p, undefined, undefined, {
      cause: error,
    });
  }
}

/** Gemini puts the wait in the body (google.rpc.RetryInfo, "retryDelay": "12s") rather than in a header. */
function retryDelayInBody(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : '';
  const match = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(message);
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

function networkDetail(error: unknown): string {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return shortMessage(error, 120);
}
