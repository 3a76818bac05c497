import { contentSecurityPolicy, resolveStaticPath } from '../host/static.js';

/** The renderer's origin inside the desktop app: app://habitat/... (never file://). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'habitat';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * The app's renderer talks to the kernel over a MessagePort; its only network is the displays' proxy, which the
 * kernel process serves on a loopback port (its number changes each run), reached with single-use tokens.
 */
export const APP_CSP = contentSecurityPolicy('ws://127.0.0.1:*');

const SECURITY_HEADERS = {
  'Content-Security-Policy': APP_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The app:// protocol handler: GET requests for files inside the built renderer folder, with a strict CSP; anything
 * else (another host, a path that leaves the folder, other methods) is refused. `readFile` fetches a resolved file
 * (net.fetch of a file URL in Electron), so this stays testable under plain Node.
 */
export function createAppProtocolHandler(
  rendererDir: string,
  readFile: (absolutePath: string) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'Method Not Allowed');
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return refuse(400, 'Bad Request');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return refuse(404, 'Not Found');
    const file = resolveStaticPath(rendererDir, url.pathname);
    if (!file) return refuse(404, 'Not Found');
    const response = await readFile(file);
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
    return new Response(response.body, { status: response.status, headers });
  };
}

function refuse(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'Content-Type': 'text/plain', ...SECURITY_HEADERS } });
}
