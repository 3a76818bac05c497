import { toEnvelope, type CallEnvelope, type PreloadBridge } from '../shared/client/contextBridge.js';
import type { CallOptions, ClientCore } from '../shared/client/index.js';
import {
  commands,
  type CommandArgs,
  type CommandName,
  type CommandResult,
} from '../shared/protocol/index.js';

/** One function per protocol command, named as the command: habitat.commands['process.spawn']({ ... }). */
export type CommandFunctions = {
  [N in CommandName]: (
    args?: CommandArgs<N>,
    options?: CallOptions,
  ) => Promise<CallEnvelope<CommandResult<N>>>;
};

export interface PreloadApi extends PreloadBridge {
  commands: CommandFunctions;
}

/**
 * What the renderer gets as window.habitat, derived from the protocol's command list: the generic call, one function
 * per command, topic subscriptions with an unsubscribe, and the connection state. Nothing else crosses the bridge.
 * Calls resolve with an envelope, never reject: contextBridge would keep only a rejected Error's message, losing its
 * code and details (the renderer unwraps it with fromPreloadBridge, shared/client/contextBridge.ts).
 */
export function createPreloadApi(client: ClientCore): PreloadApi {
  const fns = {} as Record<string, unknown>;
  for (const name of Object.keys(commands) as CommandName[]) {
    fns[name] = (args?: unknown, options?: CallOptions) =>
      toEnvelope(client.call(name, args as never, options));
  }
  return Object.freeze({
    call: (command, args, options) => toEnvelope(client.call(command, args, options)),
    subscribe: (pattern: string, listener: (payload: unknown, topic: string) => void) =>
      client.subscribe(pattern, listener),
    onConnectionChange: (listener) => client.onConnectionChange(listener),
    getConnectionState: () => client.getConnectionState(),
    commands: Object.freeze(fns) as CommandFunctions,
  } satisfies PreloadApi);
}
