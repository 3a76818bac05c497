import { VNC_CLOSE_CODES, type VncMode } from '../../../shared/protocol/vncConnection.js';

/** What the viewer does after a connection ends or a ticket is refused. */
export type NextStep =
  /** Connect again after the delay: with a new ticket (every ticket is single use), in this mode. */
  | { kind: 'retry'; delayMs: number; mode: VncMode; message: string }
  /** The display is not there (yet, or any more): wait for vnc.started, checking again after the delay. */
  | { kind: 'wait'; delayMs: number; message: string }
  /** Nothing will change by trying again (a refused origin): stop and say why. */
  | { kind: 'stop'; message: string }
  /** The viewer closed it itself. */
  | { kind: 'done' };

export interface Backoff {
  /** First delay (default 500 ms), doubled per consecutive failure, up to maxMs (default 8 s). */
  baseMs?: number;
  maxMs?: number;
  /** 0..1: the share of the delay that is random, so a host coming back is not hit by every viewer at once. */
  jitter?: number;
  random?: () => number;
}

/** The delay before attempt n (0 for the first retry after a connection that was up). */
export function backoffDelay(attempt: number, backoff: Backoff = {}): number {
  const base = backoff.baseMs ?? 500;
  const max = backoff.maxMs ?? 8_000;
  const jitter = backoff.jitter ?? 0.2;
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round(raw * (1 - jitter + jitter * (backoff.random ?? Math.random)()));
}

/**
 * After a WebSocket close: what the code says (shared/protocol/vnc.ts) and what to do. attempt counts failures in
 * a row (a connection that reached the desktop resets it).
 */
export function afterClose(
  code: number,
  reason: string,
  mode: VncMode,
  attempt: number,
  backoff?: Backoff,
): NextStep {
  const delayMs = backoffDelay(attempt, backoff);
  switch (code) {
    case VNC_CLOSE_CODES.handedBack:
      return { kind: 'retry', delayMs: 0, mode: 'view', message: 'control handed back: viewing' };
    case VNC_CLOSE_CODES.badToken:
      // the ticket expired before it was used, or was used already: a new one is all it takes
      return {
        kind: 'retry',
        delayMs: attempt === 0 ? 0 : delayMs,
        mode,
        message: `ticket refused (${reason})`,
      };
    case VNC_CLOSE_CODES.foreignOrigin:
      return { kind: 'stop', message: `refused: ${reason || 'foreign origin'}` };
    case VNC_CLOSE_CODES.displayGone:
      return { kind: 'wait', delayMs, message: 'the display is not running' };
    case VNC_CLOSE_CODES.goingAway:
      return { kind: 'retry', delayMs, mode, message: 'the host is restarting' };
    case VNC_CLOSE_CODES.policy:
      return { kind: 'stop', message: `the proxy closed the session: ${reason || 'policy'}` };
    default:
      return {
        kind: 'retry',
        delayMs,
        mode,
        message: reason ? `disconnected: ${reason}` : `disconnected (${code})`,
      };
  }
}

/** After vnc.open failed with an error value. */
export function afterOpenError(
  code: string,
  message: string,
  mode: VncMode,
  attempt: number,
  backoff?: Backoff,
): NextStep {
  const delayMs = backoffDelay(attempt, backoff);
  switch (code) {
    case 'E_NOT_FOUND': // no such process, or it has no display (not yet spawned, or ended)
    case 'E_UNAVAILABLE': // the display failed, or the kernel is stopping
      return { kind: 'wait', delayMs, message };
    case 'E_INVALID':
    case 'E_DENIED':
      return { kind: 'stop', message };
    default: // E_TIMEOUT (still starting), a lost bridge connection
      return { kind: 'retry', delayMs, mode, message };
  }
}

/** The WebSocket URL of a ticket's path on a host (default: the host that served the page). */
export function ticketUrl(path: string, base: { protocol: string; host: string }): string {
  const scheme = base.protocol === 'https:' || base.protocol === 'wss:' ? 'wss' : 'ws';
  return `${scheme}://${base.host}${path}`;
}

/**
 * Where a viewer connects with a ticket: its absolute URL where the kernel gave one (the desktop app, whose page is
 * app://habitat and not the proxy's host), else its path on the host that served the page (the headless host).
 */
export function connectUrl(
  ticket: { path: string; url?: string | undefined },
  base: { protocol: string; host: string },
): string {
  return ticket.url ?? ticketUrl(ticket.path, base);
}
