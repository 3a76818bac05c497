import { describe, expect, it } from 'vitest';
import { parseRetryAfter, ProviderError } from './errors.js';
import { backoffDelay, withRetries } from './retry.js';

describe('withRetries', () => {
  const failing = (errors: Error[]) => {
    let n = 0;
    return async () => {
      const error = errors[n++];
      if (error) throw error;
      return 'ok';
    };
  };

  it('retries retryable failures with growing, jittered delays, and stops at the first success', async () => {
    const sleeps: number[] = [];
    const retries: number[] = [];
    const value = await withRetries(
      failing([
        new ProviderError('server', 'a', 'p', 500),
        new ProviderError('network', 'b', 'p'),
        new ProviderError('timeout', 'c', 'p'),
      ]),
      { attempts: 5, baseDelayMs: 100, random: () => 1, sleep: async (ms) => void sleeps.push(ms) },
      { onRetry: (attempt) => retries.push(attempt) },
    );
    expect(value).toBe('ok');
    expect(sleeps).toEqual([100, 200, 400]);
    expect(retries).toEqual([2, 3, 4]);
  });

  it('keeps every delay between half and all of the doubled base, capped', () => {
    for (let failures = 1; failures < 12; failures++) {
      const low = backoffDelay(failures, { baseDelayMs: 500, maxDelayMs: 8000 }, () => 0);
      const high = backoffDelay(failures, { baseDelayMs: 500, maxDelayMs: 8000 }, () => 1);
      const exp = Math.min(8000, 500 * 2 ** (failures - 1));
      expect([low, high]).toEqual([exp / 2, exp]);
    }
  });

  it('never retries what cannot succeed: 4xx, aborts, malformed responses, foreign errors', async () => {
    for (const error of [
      new ProviderError('bad_request', 'x', 'p', 400),
      new ProviderError('auth', 'x', 'p', 401),
      new ProviderError('aborted', 'x', 'p'),
      new ProviderError('bad_response', 'x', 'p'),
      new TypeError('bug'),
    ]) {
      let calls = 0;
      await expect(
        withRetries(
          async () => {
            calls++;
            throw error;
          },
          { sleep: async () => {} },
        ),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('honours Retry-After, but fails at once when the server asks for longer than it will wait', async () => {
    const sleeps: number[] = [];
    await withRetries(failing([new ProviderError('rate_limit', 'x', 'p', 429, 1500)]), {
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect(sleeps).toEqual([1500]);
    const long = new ProviderError('rate_limit', 'x', 'p', 429, 3_600_000);
    await expect(withRetries(failing([long]), { sleep: async () => {} })).rejects.toBe(long);
  });

  it('stops retrying when the caller may not (text already streamed) or aborts while waiting', async () => {
    const error = new ProviderError('network', 'cut', 'p');
    await expect(
      withRetries(failing([error]), { sleep: async () => {} }, { canRetry: () => false }),
    ).rejects.toBe(error);
    const controller = new AbortController();
    const waiting = withRetries(failing([error]), { baseDelayMs: 10_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(waiting).rejects.toMatchObject({ kind: 'aborted' });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
