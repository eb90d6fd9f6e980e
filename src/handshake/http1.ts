/**
 * The HTTP/1.1 opening handshake (RFC 6455 §4) in one import: the server's half (`http1-server.ts`),
 * the client's half (`http1-client.ts`), and the header, accept and reason-phrase pieces both use.
 *
 * Header maps come in (lower-case names, like node's `req.headers`; a repeated header may be an
 * array); header lists go out, in order. Nothing a peer sends throws: it becomes `{ ok: false, ... }`.
 * Bad arguments from our caller (CR/LF in an extra header, a non-token subprotocol) throw `TypeError`.
 *
 * Only the public names are re-exported here; the helpers the two halves share stay internal.
 */

export { computeAccept } from './accept.js';
export {
  type HeaderList,
  type HeaderMap,
  parseTokenList,
  validateHeaderName,
  validateHeaderValue,
} from './headers.js';
export {
  buildUpgradeRequest,
  generateKey,
  type HandshakeErrorCode,
  type OfferedHandshake,
  type UpgradeRequestOptions,
  type UpgradeResponseResult,
  validateUpgradeResponse,
} from './http1-client.js';
export {
  type AcceptedUpgradeRequest,
  buildErrorResponse,
  buildUpgradeResponse,
  type RejectedUpgradeRequest,
  selectSubprotocol,
  serializeResponseHead,
  type UpgradeRequest,
  type UpgradeRequestResult,
  type UpgradeResponseOptions,
  validateUpgradeRequest,
} from './http1-server.js';
export { statusText } from './status-text.js';
