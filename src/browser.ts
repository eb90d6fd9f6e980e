// The browser entry: the codec, the handshake helpers and the sans-I/O protocol, none of
// which touch `node:` modules, `Buffer` or timers.
export * from './codec/index.js';
export { parseExtensions, serializeExtensions } from './extensions/extensions-header.js';
export * from './handshake/http1.js';
export { Protocol } from './protocol/protocol.js';
export {
  END_OF_STREAM,
  type OutputItem,
  type ProtocolEvent,
  type ProtocolOptions,
  type ProtocolState,
} from './protocol/types.js';
