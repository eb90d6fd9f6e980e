// The Node entry (`wasmws`): accept, connect, the reference acceptor, the session and
// the message iterator, plus everything the browser-safe codec offers.
export {
  CLEAN_CLOSE_CODES,
  CloseError,
  DEFAULT_MESSAGE_HIGH_WATER_MARK,
  isCleanClose,
  type Message,
  type MessageHandlerOptions,
  type MessagesOptions,
  messageHandler,
  messages,
} from './api/index.js';
export * from './browser.js';
export {
  type ClientTlsOptions,
  ConnectError,
  type ConnectErrorCode,
  type ConnectErrorDetails,
  type ConnectOptions,
  connect,
} from './client/index.js';
export * from './server/index.js';
export {
  accept,
  createClientSession,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_PONG_TIMEOUT,
  WebSocketSession,
} from './session/session.js';
export type {
  Clock,
  Handler,
  HandshakeInfo,
  Session,
  SessionOptions,
  SessionState,
  Transport,
  TransportEvents,
} from './session/types.js';
export { SocketTransport } from './transports/net-socket.js';
