/**
 * What proves both ends speak WebSocket (RFC 6455 §4.1, §4.2.2): the protocol version, the client's
 * `Sec-WebSocket-Key` nonce and the `Sec-WebSocket-Accept` value the server derives from it.
 */

import { decodeBase64, encodeBase64 } from './base64.js';
import { sha1 } from './sha1.js';

/** The only `Sec-WebSocket-Version` this implementation speaks (RFC 6455 §4.1 item 9). */
export const WEBSOCKET_VERSION = '13';

/** Length in bytes of the nonce a `Sec-WebSocket-Key` encodes (RFC 6455 §4.1 item 7). */
export const KEY_BYTES = 16;

// RFC 6455 §1.3: the GUID appended to the key before hashing.
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const utf8 = new TextEncoder();

/**
 * Tells whether a `Sec-WebSocket-Key` is base64 (padded, canonical) of exactly 16 bytes.
 *
 * @param key - the key, already trimmed.
 */
export function isWellFormedKey(key: string): boolean {
  return decodeBase64(key)?.length === KEY_BYTES;
}

/**
 * Computes `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2): base64 of the SHA-1 of
 * the key followed by the GUID `258EAFA5-E914-47DA-95CA-C5AB0DC85B11`.
 *
 * @param key - the client's key exactly as sent (not decoded).
 * @returns the accept value, e.g. `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=` for `dGhlIHNhbXBsZSBub25jZQ==`.
 */
export function computeAccept(key: string): string {
  return encodeBase64(sha1(utf8.encode(key + WEBSOCKET_GUID)));
}
