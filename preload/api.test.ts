import { describe, expect, it } from 'vitest';
import { ClientCore } from '../shared/client/index.js';
import { commands, type ClientMessage } from '../shared/protocol/index.js';
import { createPreloadApi } from './api.js';

describe('window.habitat (the preload API)', () => {
  it('has exactly one function per protocol command, each calling that command', async () => {
    const sent: ClientMessage[] = [];
    const client = new ClientCore((message) => sent.push(message));
    client.setState('open');
    const api = createPreloadApi(client);
    expect(Object.keys(api.commands).sort()).toEqual(Object.keys(commands).sort());
    expect(Object.keys(api).sort()).toEqual([
      'call',
      'commands',
      'getConnectionState',
      'onConnectionChange',
      'subscribe',
    ]);
    for (const name of Object.keys(commands) as (keyof typeof commands)[]) {
      void api.commands[name]({} as never, { timeoutMs: 0 }).catch(() => undefined);
      expect(sent.at(-1)).toMatchObject({ type: 'call', command: name });
    }
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.isFrozen(api.commands)).toBe(true);
  });

  it('subscribes by topic and unsubscribes', () => {
    const sent: ClientMessage[] = [];
    const client = new ClientCore((message) => sent.push(message));
    client.setState('open');
    const api = createPreloadApi(client);
    const off = api.subscribe('process.*', () => {});
    expect(sent.at(-1)).toMatchObject({ type: 'subscribe', topics: ['process.*'] });
    off();
    expect(sent.at(-1)).toMatchObject({ type: 'unsubscribe', topics: ['process.*'] });
  });
});
