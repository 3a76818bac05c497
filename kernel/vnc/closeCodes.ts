// The proxy's close codes and subprotocols are part of the protocol: the renderer's viewer reads them too.
export {
  VNC_CLOSE_CODES,
  VNC_PATH,
  VNC_SUBPROTOCOL,
  VNC_TOKEN_PREFIX,
  type VncCloseCode,
} from '../../shared/protocol/index.js';
