import { ClientCore } from '../../../shared/client/index.js';
import type { Bridge } from '../Bridge.js';

export interface MemoryConnection {
  client: ClientCore;
  close(): void;
}

/**
 * A client wired straight to the bridge, for tests. Messages still go through a JSON round trip and a microtask,
 * so whatever would not survive the wire fails here too.
 */
export function connectInMemory(bridge: Bridge): MemoryConnection {
  const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
  let session: ReturnType<Bridge['openSession']> | undefined;
  const client = new ClientCore((message) => {
    if (!session) throw new Error('closed');
    const s = session;
    const copy = wire(message);
    queueMicrotask(() => s.handle(copy));
  });
  session = bridge.openSession(
    {
      send: (message) => {
        const copy = wire(message);
        queueMicrotask(() => client.receive(copy));
      },
    },
    'memory',
  );
  client.setState('open');
  return {
    client,
    close: () => {
      session?.close();
      session = undefined;
      client.setState('closed');
    },
  };
}
