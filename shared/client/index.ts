export * from './types.js';
export { ClientCore } from './ClientCore.js';
export {
  WebSocketClient,
  type WebSocketClientOptions,
  type WebSocketFactory,
  type WebSocketLike,
} from './WebSocketClient.js';
