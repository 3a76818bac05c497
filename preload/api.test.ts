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
      void api.commands[name]({} as never, { timeoutMs: 0 });
      expect(sent.at(-1)).toMatchObject({ type: 'call', command: name });
    }
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.isFrozen(api.commands)).toBe(true);
  });

  it('resolves every call with an envelope that survives the structured clone, errors with code and details', async () => {
    const error = {
      code: 'E_INVALID',
      message: 'fs.write: invalid arguments',
      details: { issues: [{ path: 'path', message: 'Required' }] },
    };
    const client = new ClientCore((message) => {
      if (message.type !== 'call') return;
      const answer =
        message.command === 'system.ping'
          ? { type: 'result', id: message.id, ok: true, result: { pong: true } }
          : { type: 'result', id: message.id, ok: false, error };
      queueMicrotask(() => client.receive(answer));
    });
    client.setState('open');
    const api = createPreloadApi(client);
    // structuredClone is what Electron's contextBridge does to a value it hands the page
    expect(structuredClone(await api.call('system.ping', { nonce: 'x' }))).toEqual({
      ok: true,
      result: { pong: true },
    });
    expect(structuredClone(await api.call('fs.write', {} as never))).toEqual({ ok: false, error });
    expect(structuredClone(await api.commands['fs.write']({} as never))).toEqual({ ok: false, error });
    // a call that times out is an envelope too, never a rejection
    const silent = new ClientCore(() => undefined);
    silent.setState('open');
    expect(await createPreloadApi(silent).call('system.ping', { nonce: 'y' }, { timeoutMs: 1 })).toEqual({
      ok: false,
      error: { code: 'E_TIMEOUT', message: 'system.ping did not answer within 1 ms' },
    });
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
