// The browser entry: the codec, the handshake helpers, the sans-I/O protocol and the
// in-memory transport pair, none of which touch `node:` modules or `Buffer`.
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
export { createMemoryPair, type MemoryPairOptions, type MemoryTransport } from './session/memory-pair.js';
