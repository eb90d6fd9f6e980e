// The browser entry (`wasmws/browser`, and `wasmws` under a bundler's `browser` condition):
// the codec, the handshake helpers, the sans-I/O protocol, the session and the in-memory
// transport pair, none of which touch `node:` modules or `Buffer`.
export * from './codec/index.js';
export { parseExtensions, serializeExtensions } from './extensions/extensions-header.js';
export {
  type AcceptedConnectRequest,
  buildConnectRequest,
  buildConnectResponse,
  type ConnectRequestOptions,
  type ConnectRequestResult,
  type ConnectRequestRules,
  type ConnectResponseHeaders,
  type ConnectResponseOptions,
  type ConnectResponseResult,
  checkEnableConnectProtocolSetting,
  type EnableConnectProtocolSettingResult,
  type OfferedConnect,
  peerAllowsExtendedConnect,
  type RejectedConnectRequest,
  SETTINGS_ENABLE_CONNECT_PROTOCOL,
  validateConnectRequest,
  validateConnectResponse,
} from './handshake/h2.js';
export {
  buildH3ConnectRequest,
  buildH3ConnectResponse,
  H3_REQUEST_CANCELLED,
  H3_SETTINGS_ENABLE_CONNECT_PROTOCOL,
  h3PeerAllowsExtendedConnect,
  validateH3ConnectRequest,
  validateH3ConnectResponse,
} from './handshake/h3.js';
export * from './handshake/http1.js';
export { Protocol } from './protocol/protocol.js';
export {
  END_OF_STREAM,
  type OutputItem,
  type ProtocolEngine,
  type ProtocolEvent,
  type ProtocolOptions,
  type ProtocolState,
} from './protocol/types.js';
export { createMemoryPair, type MemoryPairOptions, type MemoryTransport } from './session/memory-pair.js';
export {
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_PONG_TIMEOUT,
  resolveSessionOptions,
} from './session/options.js';
export { controlOutputBound } from './session/output.js';
export { WebSocketSession } from './session/session.js';
export { accept, createClientSession } from './session/start.js';
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
