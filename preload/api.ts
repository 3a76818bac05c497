import type { ClientCore, HabitatApi } from '../shared/client/index.js';
import {
  commands,
  type CommandArgs,
  type CommandName,
  type CommandResult,
} from '../shared/protocol/index.js';
import type { CallOptions } from '../shared/client/index.js';

/** One function per protocol command, named as the command: habitat.commands['process.spawn']({ ... }). */
export type CommandFunctions = {
  [N in CommandName]: (args?: CommandArgs<N>, options?: CallOptions) => Promise<CommandResult<N>>;
};

export interface PreloadApi extends HabitatApi {
  commands: CommandFunctions;
}

/**
 * What the renderer gets as window.habitat, derived from the protocol's command list: the generic call, one function
 * per command, topic subscriptions with an unsubscribe, and the connection state. Nothing else crosses the bridge.
 */
export function createPreloadApi(client: ClientCore): PreloadApi {
  const fns = {} as Record<string, unknown>;
  for (const name of Object.keys(commands) as CommandName[]) {
    fns[name] = (args?: unknown, options?: CallOptions) => client.call(name, args as never, options);
  }
  return Object.freeze({
    call: (command, args, options) => client.call(command, args, options),
    subscribe: (pattern: string, listener: (payload: unknown, topic: string) => void) =>
      client.subscribe(pattern, listener),
    onConnectionChange: (listener) => client.onConnectionChange(listener),
    getConnectionState: () => client.getConnectionState(),
    commands: Object.freeze(fns) as CommandFunctions,
  } satisfies PreloadApi);
}
