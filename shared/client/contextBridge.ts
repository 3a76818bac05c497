// zod-free like the rest of the client: the renderer's first paint loads this
import { HabitatError, isErrorValue, type ErrorValue } from '../protocol/habitatError.js';
import type { CommandArgs, CommandName, CommandResult } from '../protocol/index.js';
import type { CallOptions, HabitatApi } from './types.js';

/**
 * A call's outcome as it crosses Electron's contextBridge. A promise that rejects there keeps only its Error's
 * message (the code, the details and the class are lost), so preload never rejects: it resolves with this plain
 * value, which survives the structured clone whole, and the renderer turns it back into a result or a HabitatError.
 */
export type CallEnvelope<T = unknown> = { ok: true; result: T } | { ok: false; error: ErrorValue };

/** What preload exposes as window.habitat: the bridge client, with calls that resolve with envelopes. */
export interface PreloadBridge {
  call<N extends CommandName>(
    command: N,
    args?: CommandArgs<N>,
    options?: CallOptions,
  ): Promise<CallEnvelope<CommandResult<N>>>;
  subscribe: HabitatApi['subscribe'];
  onConnectionChange: HabitatApi['onConnectionChange'];
  getConnectionState: HabitatApi['getConnectionState'];
}

/** Preload's side: a call's promise as an envelope that never rejects. */
export async function toEnvelope<T>(call: Promise<T>): Promise<CallEnvelope<T>> {
  try {
    return { ok: true, result: await call };
  } catch (error) {
    return { ok: false, error: errorValueOf(error) };
  }
}

/** The renderer's side: the result, or the HabitatError, with its code and details, that the call failed with. */
export function fromEnvelope<T>(envelope: CallEnvelope<T>): T {
  const value = envelope as unknown;
  if (typeof value === 'object' && value !== null) {
    const { ok, result, error } = value as { ok?: unknown; result?: unknown; error?: unknown };
    if (ok === true) return result as T;
    if (ok === false && isErrorValue(error)) throw HabitatError.fromValue(error);
  }
  throw new HabitatError(
    'E_INTERNAL',
    'the desktop app’s bridge answered with something that is not a result',
  );
}

/** window.habitat as the HabitatApi the renderer programs against: calls reject with HabitatErrors again. */
export function fromPreloadBridge(bridge: PreloadBridge): HabitatApi {
  return {
    call: async (command, args, options) => fromEnvelope(await bridge.call(command, args, options)),
    subscribe: (pattern: string, listener: (payload: unknown, topic: string) => void) =>
      bridge.subscribe(pattern, listener),
    onConnectionChange: (listener) => bridge.onConnectionChange(listener),
    getConnectionState: () => bridge.getConnectionState(),
  };
}

function errorValueOf(error: unknown): ErrorValue {
  if (isErrorValue(error)) {
    const { code, message, details } = error;
    // details came over the wire as JSON, so the structured clone carries them; a stray function would not survive
    return details === undefined ? { code, message } : { code, message, details: cloneable(details) };
  }
  return { code: 'E_INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

function cloneable(details: unknown): unknown {
  try {
    return structuredClone(details);
  } catch {
    return undefined;
  }
}
