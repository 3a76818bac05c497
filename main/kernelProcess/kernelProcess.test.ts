import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ClientCore } from '../../shared/client/index.js';
import { tempDir } from '../../test/helpers.js';
import type { SessionPort } from '../bridge/index.js';
import { createHabitat } from '../habitat.js';
import { appHandlers } from '../shell/appHandlers.js';
import {
  answerAppCommand,
  hostKernel,
  KernelMessageSchema,
  type KernelMessage,
  type MainMessage,
} from './index.js';

/** Node's MessagePort shaped like Electron's MessagePortMain (which emits { data, ports }). */
function asSessionPort(port: MessagePort): SessionPort {
  return {
    postMessage: (message: unknown) => port.postMessage(message),
    on: (event: string, listener: (arg: unknown) => void) => {
      if (event === 'message') port.on('message', (data) => listener({ data, ports: [] }));
      else port.on(event, listener);
    },
    start: () => port.start(),
    close: () => port.close(),
  } as unknown as SessionPort;
}

/** A renderer's session: a client on one end of a channel whose other end goes to the kernel process. */
function session(): { client: ClientCore; port: SessionPort } {
  const channel = new MessageChannel();
  const client = new ClientCore((message) => channel.port1.postMessage(message));
  channel.port1.on('message', (data) => client.receive(data));
  client.setState('open');
  return { client, port: asSessionPort(channel.port2) };
}

describe('the kernel in its utility process', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('serves vetted sessions, forwards app.* commands to main, and relays main’s events', async () => {
    // stands in for process.parentPort (kernel side) and the UtilityProcess handle (main side)
    const toMain: KernelMessage[] = [];
    let deliver: ((event: { data: unknown; ports: SessionPort[] }) => void) | undefined;
    const exit = vi.fn();
    const parent = {
      postMessage: (message: KernelMessage) => {
        toMain.push(message);
        const parsed = KernelMessageSchema.parse(message);
        if (parsed.type === 'app.call') void answerAppCommand(desktop, parsed, send);
      },
      on: (_event: 'message', listener: typeof deliver) => (deliver = listener),
    };
    const send = (message: MainMessage, ports: SessionPort[] = []): void =>
      deliver!({ data: message, ports });
    const shortcuts: string[] = [];
    const detached: number[] = [];
    const desktop = appHandlers(
      {
        detach: (pid) => void detached.push(pid),
        setTheme: vi.fn(),
        setShortcut: (accelerator) => (shortcuts.push(accelerator), { ok: true }),
        getShortcut: () => ({
          accelerator: shortcuts.at(-1) ?? 'CommandOrControl+Shift+Space',
          registered: true,
        }),
        updates: { check: async () => ({ state: 'none' }) } as never,
        secrets: {} as never,
      },
      () => true,
    );

    const keys: unknown[] = [];
    const habitat = await hostKernel(
      parent,
      (handlers) => createHabitat({ dataDir: dir.path, mode: 'desktop', extraHandlers: () => handlers }),
      exit,
      (settings) => keys.push(settings),
    );
    expect(toMain).toEqual([{ type: 'ready' }]);

    const renderer = session();
    send({ type: 'connect' }, [renderer.port]);
    expect(await renderer.client.call('system.ping', { nonce: 'hi' })).toMatchObject({
      pong: true,
      nonce: 'hi',
    });
    expect(await renderer.client.call('app.setShortcut', { accelerator: 'Alt+Shift+H' })).toEqual({
      accelerator: 'Alt+Shift+H',
    });
    expect(shortcuts).toEqual(['Alt+Shift+H']);
    expect(await renderer.client.call('app.checkUpdate', {})).toEqual({ state: 'none' });
    // the kernel process validated the arguments before anything reached main
    await expect(renderer.client.call('app.setShortcut', { accelerator: '' })).rejects.toMatchObject({
      code: 'E_INVALID',
    });
    expect(shortcuts).toHaveLength(1);
    expect(await renderer.client.call('app.getShortcut', {})).toEqual({
      accelerator: 'Alt+Shift+H',
      registered: true,
    });

    // a window of its own only for an agent that exists and runs: the kernel checks before main is asked
    await expect(renderer.client.call('app.detachWindow', { pid: 424242 })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: 'there is no agent with PID 424242',
    });
    const { pid } = await renderer.client.call('process.spawn', { name: 'filer' });
    expect(await renderer.client.call('app.detachWindow', { pid })).toEqual({});
    expect(detached).toEqual([pid]);
    await renderer.client.call('process.signal', { pid, signal: 'KILL' });
    await vi.waitFor(async () =>
      expect((await renderer.client.call('process.get', { pid })).state).toBe('zombie'),
    );
    await expect(renderer.client.call('app.detachWindow', { pid })).rejects.toMatchObject({
      code: 'E_CONFLICT',
      message: `filer (PID ${pid}) has ended (zombie): only a running agent opens in a window of its own`,
    });
    expect(detached).toEqual([pid]);

    const focus: unknown[] = [];
    renderer.client.subscribe('app.focusAgent', (payload) => focus.push(payload));
    await renderer.client.call('system.ping', {}); // the subscription is in place
    send({ type: 'emit', topic: 'app.focusAgent', payload: { pid: 3 } });
    send({ type: 'emit', topic: 'app.focusAgent', payload: { pid: 'three' } }); // malformed: dropped
    deliver!({ data: { type: 'emit', topic: 'process.changed', payload: {} }, ports: [] }); // not main's to emit
    await renderer.client.call('system.ping', {});
    expect(focus).toEqual([{ pid: 3 }]);

    // keys from main's keychain reach the runtime's settings, and only main can send them
    send({ type: 'providerSettings', geminiApiKey: 'AIza-from-keychain' });
    send({ type: 'providerSettings' });
    expect(keys).toEqual([{ geminiApiKey: 'AIza-from-keychain' }, {}]);

    send({ type: 'shutdown' });
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(habitat.kernel.info().kernel.state).toBe('stopping');
  });

  it('tells main when the kernel cannot start', async () => {
    const toMain: KernelMessage[] = [];
    await expect(
      hostKernel({ postMessage: (m) => toMain.push(m), on: () => undefined }, () =>
        Promise.reject(new Error('the data folder is locked by another Habitat')),
      ),
    ).rejects.toThrow(/locked/);
    expect(toMain).toEqual([{ type: 'failed', message: 'the data folder is locked by another Habitat' }]);
  });
});
