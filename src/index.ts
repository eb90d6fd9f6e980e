// The Node entry (`wasmws`): what a gateway uses. The reference acceptor and `handleUpgrade`,
// `connect`, `accept` over any transport, the session and its message iterator, the handshake
// helpers for embedders who own the HTTP layer, the sans-I/O protocol, and the errors and
// close codes a handler meets. Frame tools use `wasmws/codec`; raw kernels `wasmws/kernels`.
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
export { Http2StreamTransport } from './transports/http2-stream.js';
export { SocketTransport } from './transports/net-socket.js';
