import { describe, expect, it } from 'vitest';
import { HabitatError } from '../protocol/habitatError.js';
import { ClientCore } from './ClientCore.js';
import { fromEnvelope, fromPreloadBridge, toEnvelope, type PreloadBridge } from './contextBridge.js';

// Electron's contextBridge copies values with the structured clone algorithm: structuredClone is what it does to them.
const acrossTheBridge = <T>(value: T): T => structuredClone(value);

/** A client whose host answers every call with this error value (as the bridge would send it). */
function failingClient(error: unknown): ClientCore {
  const client = new ClientCore((message) => {
    if (message.type === 'call')
      queueMicrotask(() => client.receive({ type: 'result', id: message.id, ok: false, error }));
  });
  client.setState('open');
  return client;
}

const invalid = {
  code: 'E_INVALID',
  message: 'process.spawn: invalid arguments',
  details: { issues: [{ path: 'name', message: 'Too small: expected string to have >=1 characters' }] },
};

describe('calls across the contextBridge', () => {
  it('a rejected HabitatError would keep only its message: the reason for the envelope', () => {
    const copy = acrossTheBridge(new HabitatError('E_INVALID', 'bad', { issues: [] }));
    expect(copy).toBeInstanceOf(Error);
    expect((copy as Partial<HabitatError>).code).toBeUndefined();
    expect((copy as Partial<HabitatError>).details).toBeUndefined();
  });

  it('keeps an error’s code, message and details through the envelope and the clone', async () => {
    const envelope = acrossTheBridge(
      await toEnvelope(failingClient(invalid).call('process.spawn', {} as never)),
    );
    expect(envelope).toEqual({ ok: false, error: invalid });
    let thrown: unknown;
    try {
      fromEnvelope(envelope);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HabitatError);
    expect(thrown).toMatchObject(invalid);
  });

  it('carries results as they are, and anything thrown that is no error value as E_INTERNAL', async () => {
    const ok = acrossTheBridge(await toEnvelope(Promise.resolve({ pid: 3, names: ['a'] })));
    expect(fromEnvelope(ok)).toEqual({ pid: 3, names: ['a'] });
    const odd = acrossTheBridge(await toEnvelope(Promise.reject(new TypeError('x is not a function'))));
    expect(odd).toEqual({ ok: false, error: { code: 'E_INTERNAL', message: 'x is not a function' } });
    // details that no clone can carry are dropped, not allowed to fail the whole answer
    const unclonable = await toEnvelope(Promise.reject(new HabitatError('E_DENIED', 'no', () => 1)));
    expect(acrossTheBridge(unclonable)).toEqual({ ok: false, error: { code: 'E_DENIED', message: 'no' } });
    for (const garbage of [undefined, null, 'ok', { ok: false, error: { code: 'E_NOPE', message: 'x' } }])
      expect(() => fromEnvelope(garbage as never)).toThrow(expect.objectContaining({ code: 'E_INTERNAL' }));
  });

  it('gives the renderer a HabitatApi whose calls reject with the host’s error again', async () => {
    const client = failingClient(invalid);
    // what preload exposes, and what the renderer sees of it: every answer a structured clone
    const exposed: PreloadBridge = {
      call: async (command, args, options) =>
        acrossTheBridge(await toEnvelope(client.call(command, args, options))),
      subscribe: (pattern: string, listener: (payload: unknown, topic: string) => void) =>
        client.subscribe(pattern, listener),
      onConnectionChange: (listener) => client.onConnectionChange(listener),
      getConnectionState: () => client.getConnectionState(),
    };
    const api = fromPreloadBridge(exposed);
    await expect(api.call('process.spawn', {} as never)).rejects.toMatchObject(invalid);
    await expect(api.call('process.spawn', {} as never)).rejects.toBeInstanceOf(HabitatError);
    expect(api.getConnectionState()).toBe('open');
  });
});
