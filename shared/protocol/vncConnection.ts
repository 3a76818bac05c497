/**
 * What a viewer needs to open a display's WebSocket, without zod (vnc.ts has the schemas): the renderer's Mission
 * Control loads this before its first paint.
 */

/**
 * WebSocket close codes of the VNC proxy. A browser never sees the HTTP status of a refused upgrade (only 1006), so
 * refusals that a viewer must tell apart (reconnect or not, ask for a new token or not) are sent as close codes after
 * the upgrade. The 44xx codes mirror HTTP statuses so they read at a glance.
 */
export const VNC_CLOSE_CODES = {
  /** The display closed the connection cleanly; every byte it sent was delivered first. */
  normal: 1000,
  /** The host is shutting down. */
  goingAway: 1001,
  /** A text frame: the proxy carries binary frames only. */
  unsupportedData: 1003,
  /** A view-only client sent something the proxy cannot vouch for (unknown RFB message, unsupported handshake). */
  policy: 1008,
  /** The display's socket failed mid-stream, or could not be reached for a reason other than being gone. */
  upstreamError: 1011,
  /** Control was handed back (vnc.handBack): the viewer may reconnect view-only. */
  handedBack: 4000,
  /** Missing, unknown, expired, already used, or issued for another agent. */
  badToken: 4401,
  /** A browser page from a foreign origin, or a peer that is not on loopback. */
  foreignOrigin: 4403,
  /** The display is not there (never started, stopped, or its socket is gone). */
  displayGone: 4404,
} as const;

export type VncCloseCode = (typeof VNC_CLOSE_CODES)[keyof typeof VNC_CLOSE_CODES];

/** The subprotocol a client must offer; the proxy answers with it. */
export const VNC_SUBPROTOCOL = 'binary';
/** The token travels as a second subprotocol, `habitat.vnc.<token>`: never in the URL, where logs would keep it. */
export const VNC_TOKEN_PREFIX = 'habitat.vnc.';
/** Where the proxy listens, beside /bridge: a viewer connects to `${VNC_PATH}/<pid>`. */
export const VNC_PATH = '/vnc';

/** 'view' drops the viewer's input (keys, pointer, clipboard); 'control' passes everything: takeover is explicit. */
export const VNC_MODES = ['view', 'control'] as const;
export type VncMode = (typeof VNC_MODES)[number];
