import type { LaunchSpec } from './launcher.js';

/** Where the programs find the display's files: paths as the launcher's programs see them. */
export interface DisplayPaths {
  /** X authority file holding the display's cookie. */
  cookie: string;
  /** x11vnc's unix socket. */
  socket: string;
}

export interface Geometry {
  width: number;
  height: number;
  depth: 16 | 24;
}

export interface WindowManagerSpec {
  command: string;
  args?: readonly string[];
}

/** Light window managers, preferred first; the first one installed is started. None is fine too. */
export const DEFAULT_WINDOW_MANAGERS: readonly WindowManagerSpec[] = [
  { command: 'openbox', args: ['--sm-disable'] },
  { command: 'fluxbox' },
  { command: 'matchbox-window-manager', args: ['-use_titlebar', 'no'] },
  { command: 'twm' },
];

/**
 * Xvfb. -displayfd 1 writes the display number to stdout once the server accepts clients: a readiness signal that
 * needs no polling, and without a number Xvfb picks a free one itself, so concurrent displays never race for it.
 * The cookie keeps other local users (and host-sandboxed agents) off the screen; -noreset keeps the server as it is
 * when its last client (x11vnc, restarting) goes away.
 */
export function xvfbCommand(
  display: number | undefined,
  geometry: Geometry,
  paths: DisplayPaths,
): LaunchSpec {
  return {
    command: 'Xvfb',
    args: [
      ...(display === undefined ? [] : [`:${display}`]),
      '-screen',
      '0',
      `${geometry.width}x${geometry.height}x${geometry.depth}`,
      '-nolisten',
      'tcp',
      '-auth',
      paths.cookie,
      '-noreset',
      '-displayfd',
      '1',
    ],
  };
}

/**
 * x11vnc on a unix socket only. It has no password: the socket's folder (mode 0700) and the proxy's tokens are the
 * access control. -rfbport 0 alone still listens on TCP [::]:5900 (0.9.16, built with IPv6 listening on), and
 * neither -noipv6 nor -no6 stops that: -rfbportv6 -1 does. (-localhost would too, by accident, but it also refuses
 * unix-socket clients.) -norc keeps a user's ~/.x11vncrc out.
 */
export function x11vncCommand(display: number, paths: DisplayPaths): LaunchSpec {
  return {
    command: 'x11vnc',
    args: [
      '-display',
      `:${display}`,
      '-auth',
      paths.cookie,
      '-forever',
      '-shared',
      '-rfbport',
      '0',
      '-rfbportv6',
      '-1',
      '-no6',
      '-unixsock',
      paths.socket,
      '-nopw',
      '-norc',
    ],
  };
}

export function windowManagerCommand(wm: WindowManagerSpec): LaunchSpec {
  return { command: wm.command, args: wm.args ?? [] };
}

/** The environment a program needs to draw on the display. */
export function displayEnv(display: number, paths: DisplayPaths, home: string): Record<string, string> {
  return { DISPLAY: `:${display}`, XAUTHORITY: paths.cookie, HOME: home };
}
