import { describe, expect, it } from 'vitest';
import { VNC_CLOSE_CODES } from '../../../shared/protocol/index.js';
import { afterClose, afterOpenError, backoffDelay, connectUrl, ticketUrl } from './policy.js';

const noJitter = { jitter: 0 };

describe('the viewer reconnects as the close code says', () => {
  it('backs off exponentially from 0.5 s to 8 s, with jitter below the delay', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, noJitter))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    expect(backoffDelay(3, { jitter: 0.5, random: () => 0 })).toBe(2000);
    expect(backoffDelay(3, { jitter: 0.5, random: () => 1 })).toBe(4000);
  });

  it('hand back: at once, view-only', () => {
    expect(afterClose(VNC_CLOSE_CODES.handedBack, 'control handed back', 'control', 0)).toMatchObject({
      kind: 'retry',
      delayMs: 0,
      mode: 'view',
    });
  });

  it('a used or expired ticket: a new one at once, then with backoff; the mode is kept', () => {
    expect(afterClose(VNC_CLOSE_CODES.badToken, 'token expired', 'control', 0, noJitter)).toMatchObject({
      kind: 'retry',
      delayMs: 0,
      mode: 'control',
    });
    expect(afterClose(VNC_CLOSE_CODES.badToken, 'token used', 'view', 2, noJitter)).toMatchObject({
      kind: 'retry',
      delayMs: 2000,
    });
  });

  it('the display away: wait for vnc.started; a foreign origin or a policy close: stop', () => {
    expect(afterClose(VNC_CLOSE_CODES.displayGone, 'display stopped', 'view', 1, noJitter)).toMatchObject({
      kind: 'wait',
      delayMs: 1000,
    });
    expect(afterClose(VNC_CLOSE_CODES.foreignOrigin, 'foreign origin', 'view', 0)).toMatchObject({
      kind: 'stop',
    });
    expect(afterClose(VNC_CLOSE_CODES.policy, 'unsupported', 'view', 0)).toMatchObject({ kind: 'stop' });
  });

  it('a dropped connection or a host restart: retry with backoff', () => {
    for (const code of [1006, VNC_CLOSE_CODES.upstreamError, VNC_CLOSE_CODES.goingAway]) {
      expect(afterClose(code, '', 'view', 3, noJitter)).toMatchObject({ kind: 'retry', delayMs: 4000 });
    }
  });

  it('vnc.open refused: no display yet or any more (wait), a bad request (stop), a timeout (retry)', () => {
    expect(afterOpenError('E_NOT_FOUND', 'no display', 'view', 0)).toMatchObject({ kind: 'wait' });
    expect(afterOpenError('E_UNAVAILABLE', 'failed', 'view', 0)).toMatchObject({ kind: 'wait' });
    expect(afterOpenError('E_INVALID', 'bad pid', 'view', 0)).toMatchObject({ kind: 'stop' });
    expect(afterOpenError('E_TIMEOUT', 'still starting', 'control', 0)).toMatchObject({
      kind: 'retry',
      mode: 'control',
    });
  });
});

describe('where the viewer connects', () => {
  it("builds the proxy's URL on the page's own host, wss under https", () => {
    expect(ticketUrl('/vnc/7', { protocol: 'http:', host: '127.0.0.1:7420' })).toBe(
      'ws://127.0.0.1:7420/vnc/7',
    );
    expect(ticketUrl('/vnc/7', { protocol: 'https:', host: 'box:443' })).toBe('wss://box:443/vnc/7');
  });

  it("takes the ticket's own URL where it has one (the desktop app's page is app://habitat)", () => {
    const page = { protocol: 'app:', host: 'habitat' };
    expect(connectUrl({ path: '/vnc/7', url: 'ws://127.0.0.1:41234/vnc/7' }, page)).toBe(
      'ws://127.0.0.1:41234/vnc/7',
    );
    expect(connectUrl({ path: '/vnc/7' }, { protocol: 'http:', host: '127.0.0.1:7420' })).toBe(
      'ws://127.0.0.1:7420/vnc/7',
    );
  });
});
