// Close codes (RFC 6455 §7.4) and close frame bodies (§5.5.1).
import { UTF8_ACCEPT } from '../../assembly/layout.js';
import { CLOSE_CODE_BYTES, closeCodeValidOnWire as validOnWire } from '../../assembly/rfc6455.js';
import { validateUtf8Bytes } from './fallback/utf8.js';
import { MAX_CLOSE_REASON_BYTES } from './limits.js';

export { MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD_BYTES } from './limits.js';

/** Named close codes. 1005, 1006 and 1015 are reported locally and never sent. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  NoStatus: 1005,
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
  TlsHandshake: 1015,
} as const;

/**
 * Whether `code` may appear in a close frame on the wire: 1000-1003, 1007-1014 and 3000-4999.
 * 1004 is reserved, 1005/1006/1015 are local-only, 1016-2999 are unassigned.
 */
export function closeCodeValidOnWire(code: number): boolean {
  return validOnWire(code);
}

/** Whether an application may pass `code` to `close()`: any integer code valid on the wire. */
export function closeCodeValidToSend(code: number): boolean {
  return Number.isInteger(code) && closeCodeValidOnWire(code);
}

const encoder = new TextEncoder();
// ignoreBOM: a reason may start with U+FEFF and must come back unchanged.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The body of a close frame. No code gives an empty body; a reason needs a code.
 * Throws on misuse: a code that may not be sent, or a reason over 123 UTF-8 bytes.
 */
export function encodeClosePayload(code?: number, reason = ''): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw new TypeError('a close reason needs a close code');
    return new Uint8Array(0);
  }
  if (!closeCodeValidToSend(code)) throw new RangeError(`close code ${code} may not be sent`);
  const reasonBytes = encoder.encode(reason);
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(`close reason is ${reasonBytes.length} bytes; at most ${MAX_CLOSE_REASON_BYTES}`);
  }
  const payload = new Uint8Array(CLOSE_CODE_BYTES + reasonBytes.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, CLOSE_CODE_BYTES);
  return payload;
}

/** A decoded close body; `code` is 1005 when the body was empty. */
export interface ClosePayload {
  code: number;
  reason: string;
}

/**
 * Decodes a close body, or returns `null` when it breaks RFC 6455 §5.5.1
 * (one byte, a code not valid on the wire, a reason that is not UTF-8).
 */
export function decodeClosePayload(payload: Uint8Array): ClosePayload | null {
  if (payload.length === 0) return { code: CloseCode.NoStatus, reason: '' };
  if (payload.length < CLOSE_CODE_BYTES) return null;
  const code = (payload[0] << 8) | payload[1];
  if (!closeCodeValidOnWire(code)) return null;
  const reasonLength = payload.length - CLOSE_CODE_BYTES;
  if (validateUtf8Bytes(payload, CLOSE_CODE_BYTES, reasonLength, UTF8_ACCEPT) !== UTF8_ACCEPT) return null;
  return { code, reason: decoder.decode(payload.subarray(CLOSE_CODE_BYTES)) };
}
