import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../kernel/index.js';
import { Bridge, type Handlers } from '../bridge/index.js';
import { bootData } from './bootData.js';

const page = (url: string, method = 'GET') => ({ url, method }) as IncomingMessage;

function bridge(handlers: Handlers): { bridge: Bridge; asked: string[] } {
  const asked: string[] = [];
  const counted = Object.fromEntries(
    Object.entries(handlers).map(([command, handler]) => [
      command,
      (...args: never[]) => {
        asked.push(command);
        return (handler as (...a: never[]) => unknown)(...args);
      },
    ]),
  ) as Handlers;
  return {
    bridge: new Bridge({
      handlers: counted,
      events: new EventBus(),
      validateResults: false,
      logError: () => {},
    }),
    asked,
  };
}

const quick: Handlers = {
  'system.info': () => ({ name: 'Habitat' }) as never,
  'process.list': () => ({ processes: [] }),
};

describe("the page's first data", () => {
  it('answers the first calls for a page with the token, and asks nothing for anything else', async () => {
    const { bridge: b, asked } = bridge(quick);
    expect(JSON.parse((await bootData(b, page('/?token=t0k'), 't0k'))!)).toEqual({
      'system.info': { name: 'Habitat' },
      'process.list': { processes: [] },
    });
    asked.length = 0;
    for (const request of [
      page('/'),
      page('/?token=nope'),
      page('/assets/app.js?token=t0k'),
      page('/?token=t0k', 'HEAD'),
    ]) {
      expect(await bootData(b, request, 't0k'), request.url).toBeUndefined();
    }
    expect(asked).toEqual([]);
  });

  it('sends the page without it rather than wait for a slow or failing call', async () => {
    const slow = bridge({ ...quick, 'system.info': () => new Promise<never>(() => {}) }).bridge;
    const start = Date.now();
    expect(await bootData(slow, page('/?token=t0k'), 't0k')).toBeUndefined();
    expect(Date.now() - start).toBeLessThan(2_000);
    const failing = bridge({
      ...quick,
      'process.list': () => {
        throw new Error('broken');
      },
    }).bridge;
    expect(await bootData(failing, page('/?token=t0k'), 't0k')).toBeUndefined();
  });
});
