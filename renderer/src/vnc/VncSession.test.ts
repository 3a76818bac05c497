import { describe, expect, it } from 'vitest';
import type { HabitatApi } from '../../../shared/client/index.js';
import { VncSession } from './VncSession.js';

/** An error as another bundle makes it (preload's HabitatError class is not the renderer's): the code is all there is. */
class ForeignHabitatError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function refusingApi(error: unknown): { api: HabitatApi; calls: () => number } {
  let calls = 0;
  const api = {
    call: async () => {
      calls++;
      throw error;
    },
    subscribe: () => () => undefined,
    onConnectionChange: () => () => undefined,
    getConnectionState: () => 'open',
  } as unknown as HabitatApi;
  return { api, calls: () => calls };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a viewer whose ticket is refused', () => {
  for (const code of ['E_DENIED', 'E_INVALID']) {
    it(`stops on ${code} from another bundle instead of retrying for ever`, async () => {
      const { api, calls } = refusingApi(new ForeignHabitatError(code, 'this origin may not watch displays'));
      const session = new VncSession({
        api,
        pid: 4,
        target: {} as HTMLElement,
        backoff: { baseMs: 5, maxMs: 5, jitter: 0 },
      });
      await settle(80);
      expect(calls()).toBe(1);
      expect(session.current).toMatchObject({
        phase: 'stopped',
        message: 'this origin may not watch displays',
      });
      session.dispose();
    });
  }

  it('keeps waiting for a display that is not there yet (E_NOT_FOUND)', async () => {
    const { api, calls } = refusingApi({ code: 'E_NOT_FOUND', message: 'no display' });
    const session = new VncSession({
      api,
      pid: 4,
      target: {} as HTMLElement,
      backoff: { baseMs: 5, maxMs: 5, jitter: 0 },
    });
    await settle(80);
    expect(session.current.phase).toBe('waiting');
    expect(calls()).toBeGreaterThan(1);
    session.dispose();
  });
});
