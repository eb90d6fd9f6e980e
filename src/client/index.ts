// The client side in one import: `connect`, its options, and its errors.
export { type ClientTlsOptions, type ConnectOptions, connect, DEFAULT_HANDSHAKE_TIMEOUT } from './connect.js';
export { ConnectError, type ConnectErrorCode, type ConnectErrorDetails } from './connect-error.js';
