import type { HabitatApi } from '../../../shared/client/index.js';
import type { ErrorValue } from '../../../shared/protocol/index.js';

// The one bridge client of this page: preload's window.habitat or the WebSocket client (see ../api.ts).
let current: HabitatApi | undefined;

export function setApi(api: HabitatApi | undefined): void {
  current = api;
}

export function api(): HabitatApi {
  if (!current) throw new Error('the bridge is not connected');
  return current;
}

/**
 * The error value behind a failed call: a HabitatError's code and details (inside Electron too: preload sends calls'
 * errors as values, which fromPreloadBridge turns back into HabitatErrors), or E_INTERNAL with the message of
 * anything else. Read the code from this rather than testing `instanceof HabitatError`: a class from another bundle
 * (preload's, a worker's) is not the renderer's.
 */
export function toErrorValue(error: unknown): ErrorValue {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof e.code === 'string' && /^E_[A-Z_]+$/.test(e.code) && typeof e.message === 'string') {
      return { code: e.code as ErrorValue['code'], message: e.message, details: e.details };
    }
    if (typeof e.message === 'string') return { code: 'E_INTERNAL', message: e.message };
  }
  return { code: 'E_INTERNAL', message: String(error) };
}

export function errorText(error: unknown): string {
  const value = toErrorValue(error);
  return `${value.message} (${value.code})`;
}
