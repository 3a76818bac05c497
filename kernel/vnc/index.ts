// Graphical displays for agents: Xvfb + window manager + x11vnc on a unix socket, supervised; and the WebSocket proxy
// that lets a viewer holding a single-use token reach one display, view-only or in control. Other code imports
// only from here.
export { refuseUpgrade, VncProxy, type VncProxyOptions } from './VncProxy.js';
export type { VncSessionStats } from './ProxySession.js';
export {
  VNC_CLOSE_CODES,
  VNC_PATH,
  VNC_SUBPROTOCOL,
  VNC_TOKEN_PREFIX,
  type VncCloseCode,
} from './closeCodes.js';
export {
  VncTokens,
  type IssuedToken,
  type Redemption,
  type TokenRefusal,
  type VncGrant,
  type VncMode,
  type VncTokensOptions,
} from './tokens.js';
export { RfbViewFilter, RFB_CLIENT_MESSAGES } from './rfb.js';
export {
  Display,
  DisplaySocketRefused,
  type DisplayChange,
  type DisplayOptions,
  type DisplayState,
} from './Display.js';
export {
  hostLauncher,
  type DisplayLauncher,
  type DisplayProcess,
  type LaunchSpec,
  type ProgramExit,
} from './launcher.js';
export {
  DEFAULT_WINDOW_MANAGERS,
  displayEnv,
  windowManagerCommand,
  x11vncCommand,
  xvfbCommand,
  type DisplayPaths,
  type Geometry,
  type WindowManagerSpec,
} from './commands.js';
export { probeRfb } from './health.js';
export { writeXauthority } from './xauth.js';
export {
  AgentDisplays,
  CONTAINER_DISPLAY,
  DEFAULT_SCREEN,
  DISPLAY_DIR_INSIDE,
  screenOf,
  type AgentDisplaysOptions,
  type DisplayExtras,
  type DisplaySandbox,
} from './AgentDisplays.js';
export {
  cleanupDisplayPrograms,
  DISPLAY_PROGRAM_VARIABLE,
  sandboxLauncher,
  type ProgramSandbox,
  type SandboxLauncher,
} from './sandboxLauncher.js';
export { captureFrame, screenshotPng, type Frame } from './capture.js';
export { encodePng } from './png.js';
