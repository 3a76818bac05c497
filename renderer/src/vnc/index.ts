// The VNC viewer for graphical agents, self-contained: <VncViewer api pid /> is the full interactive view (the Agent
// VM's Desktop tab), <VncViewer variant="thumbnail" /> the live view-only one (Mission Control's cards).
export { PHASE_LABEL, VncViewer, type VncViewerProps } from './VncViewer.js';
export { VncSession, type VncPhase, type VncSessionOptions, type VncStatus } from './VncSession.js';
export {
  afterClose,
  afterOpenError,
  backoffDelay,
  connectUrl,
  ticketUrl,
  type Backoff,
  type NextStep,
} from './policy.js';
