// The server side's public surface: the reference acceptor, the node:http hook and their types.
export { createServer, type ListenInfo, type WebSocketServer } from './create-server.js';
export { handleConnect } from './handle-connect.js';
export { handleUpgrade } from './handle-upgrade.js';
export { DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_HEAD_BYTES, DEFAULT_MAX_HEADERS } from './options.js';
export { HandshakeRejection } from './rejection.js';
export type {
  ProtocolSelector,
  ServerOptions,
  ServerTlsOptions,
  UpgradeOptions,
  UpgradeRequestInfo,
  VerifyHook,
} from './types.js';
