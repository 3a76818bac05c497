/**
 * Why a bridge connection failed, when the socket cannot say: a browser reports every refused upgrade as close code
 * 1006, whether the host is down or turned the token away. After a failure the client asks the host over plain HTTP
 * (a GET of the bridge's own URL, answered by the transport's handleRequest) whether its token is the reason, so
 * that a stale token (the host restarted with a new one) ends the retries instead of feeding them forever.
 */

/** 'refused': the host answered 401; 'accepted': the token is right (the failure was something else); else 'unknown'. */
export type TokenVerdict = 'accepted' | 'refused' | 'unknown';
export type TokenCheck = (bridgeUrl: string, token: string) => Promise<TokenVerdict>;

const CHECK_TIMEOUT_MS = 3000;
/** What a WebSocket subprotocol may hold (RFC 7230 tchar): a token with anything else can never reach a host. */
const SUBPROTOCOL_CHARACTERS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The bridge's URL over HTTP: ws://host:port/bridge becomes http://host:port/bridge. */
export function bridgeHttpUrl(url: string): string {
  return url.replace(/^ws(s?):/i, 'http$1:');
}

/** Asks with fetch (a browser's, or Node's); 'unknown' where there is none or the host cannot be reached. */
export const checkTokenOverHttp: TokenCheck = async (url, token) => {
  if (!SUBPROTOCOL_CHARACTERS.test(token)) return 'refused';
  if (typeof fetch !== 'function') return 'unknown';
  try {
    const response = await fetch(bridgeHttpUrl(url), {
      headers: { Authorization: `Bearer ${token}` },
      credentials: 'omit',
      redirect: 'error',
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    await response.body?.cancel(); // the host answers no-store: nothing of it is kept
    if (response.status === 401) return 'refused';
    return response.ok ? 'accepted' : 'unknown';
  } catch {
    return 'unknown'; // down, unreachable, or too slow to answer: the socket's retries go on
  }
};
