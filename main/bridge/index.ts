export {
  Bridge,
  type BridgeOptions,
  type CallContext,
  type Handler,
  type Handlers,
  type DispatchResult,
} from './Bridge.js';
export { BridgeSession, type SessionSink } from './BridgeSession.js';
export { connectInMemory, type MemoryConnection } from './transports/memory.js';
export {
  attachWebSocketTransport,
  tokensEqual,
  type WebSocketTransport,
  type WebSocketTransportOptions,
} from './transports/websocket.js';
export {
  attachIpcGate,
  attachIpcTransport,
  servePort,
  type SessionPort,
  isAppMainFrame,
  IPC_CONNECT_CHANNEL,
  type IpcMainLike,
  type IpcTransport,
} from './transports/ipc.js';
