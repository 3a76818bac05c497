// The VNC viewer for graphical agents, self-contained: mount <VncViewer api pid /> (the full interactive view) or
// <VncViewer variant="thumbnail" /> / <VncWall pids /> (Mission Control's grid) wherever they belong.
export { VncViewer, VncWall, type VncViewerProps } from './VncViewer.js';
export { VncSession, type VncPhase, type VncSessionOptions, type VncStatus } from './VncSession.js';
export {
  afterClose,
  afterOpenError,
  backoffDelay,
  ticketUrl,
  type Backoff,
  type NextStep,
} from './policy.js';
export { VncPage, vncRoute, WithVncRoutes, type VncRoute } from './VncPage.js';
