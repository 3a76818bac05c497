export * from './types.js';
export { ClientCore } from './ClientCore.js';
export {
  WebSocketClient,
  type WebSocketClientOptions,
  type WebSocketFactory,
  type WebSocketLike,
} from './WebSocketClient.js';
export { bridgeHttpUrl, checkTokenOverHttp, type TokenCheck, type TokenVerdict } from './tokenCheck.js';
