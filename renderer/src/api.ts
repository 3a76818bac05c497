import { fromPreloadBridge } from '../../shared/client/contextBridge.js';
import { WebSocketClient, type HabitatApi, type WebSocketLike } from '../../shared/client/index.js';
import { takeEarlySocket } from './earlySocket.js';

const TOKEN_KEY = 'habitat.token';

export type ApiOrigin = { kind: 'electron' | 'browser'; api: HabitatApi } | { kind: 'no-token' };

/**
 * Inside Electron, preload's window.habitat (whose calls' envelopes become results and HabitatErrors again). In a
 * browser, a WebSocket client to the host that served this page, with the token from the URL `habitat serve` printed
 * (kept for this tab, then removed from the address bar).
 */
export function connectApi(): ApiOrigin {
  if (window.habitat) return { kind: 'electron', api: fromPreloadBridge(window.habitat) };
  const params = new URLSearchParams(window.location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    params.delete('token');
    const rest = params.toString();
    window.history.replaceState(
      null,
      '',
      `${window.location.pathname}${rest ? `?${rest}` : ''}${window.location.hash}`,
    );
  }
  const token = fromUrl ?? sessionStorage.getItem(TOKEN_KEY);
  if (!token) return { kind: 'no-token' };
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const api = WebSocketClient.start({
    url: `${scheme}://${window.location.host}/bridge`,
    token,
    // the first connection may already be open: public/connect-early.js started it before the app's scripts ran
    factory: (url, protocols) =>
      takeEarlySocket(url, protocols) ?? (new WebSocket(url, protocols) as unknown as WebSocketLike),
  });
  // a token the host refused is stale (it restarted with a new one) or mistyped: a reload must not try it again
  api.onConnectionChange((state) => {
    if (state === 'refused') sessionStorage.removeItem(TOKEN_KEY);
  });
  return { kind: 'browser', api };
}
