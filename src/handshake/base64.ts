/**
 * Standard base64 (RFC 4648 §4) without `Buffer`, so the handshake runs in browsers too.
 *
 * Decoding is strict: only the standard alphabet, padding to a multiple of four characters, `=` only
 * at the end, and zero bits in the unused tail (RFC 4648 §3.5 lets a decoder reject the rest). A
 * `Sec-WebSocket-Key` that fails here would not survive a round trip through any common encoder.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = '=';

/** Maps a char code to its 6-bit value, or -1 outside the alphabet. */
const SEXTET_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET_OF[ALPHABET.charCodeAt(i)] = i;

/**
 * Encodes bytes as padded standard base64.
 *
 * @param bytes - the bytes to encode.
 * @returns the base64 text (empty for no bytes).
 */
export function encodeBase64(bytes: Uint8Array): string {
  let text = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const group = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    text +=
      ALPHABET[group >>> 18]! +
      ALPHABET[(group >>> 12) & 63]! +
      ALPHABET[(group >>> 6) & 63]! +
      ALPHABET[group & 63]!;
  }
  const left = bytes.length - i;
  if (left === 1) {
    const group = bytes[i]! << 16;
    text += `${ALPHABET[group >>> 18]!}${ALPHABET[(group >>> 12) & 63]!}${PAD}${PAD}`;
  } else if (left === 2) {
    const group = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    text += `${ALPHABET[group >>> 18]!}${ALPHABET[(group >>> 12) & 63]!}${ALPHABET[(group >>> 6) & 63]!}${PAD}`;
  }
  return text;
}

/**
 * Decodes strict, padded standard base64.
 *
 * @param text - the base64 text; no whitespace, no line breaks, no URL-safe alphabet.
 * @returns the decoded bytes, or `null` if `text` is not canonical base64.
 */
export function decodeBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  let padding = 0;
  if (text.endsWith(PAD + PAD)) padding = 2;
  else if (text.endsWith(PAD)) padding = 1;

  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  const dataLength = text.length - padding;
  let group = 0;
  let written = 0;
  for (let i = 0; i < dataLength; i++) {
    const code = text.charCodeAt(i);
    const sextet = code < 128 ? SEXTET_OF[code]! : -1;
    if (sextet < 0) return null; // also catches `=` before the end
    group = (group << 6) | sextet;
    if ((i & 3) === 3) {
      bytes[written++] = group >>> 16;
      bytes[written++] = (group >>> 8) & 0xff;
      bytes[written++] = group & 0xff;
      group = 0;
    }
  }
  if (padding === 2) {
    if ((group & 0x0f) !== 0) return null; // RFC 4648 §3.5: non-zero pad bits
    bytes[written] = group >>> 4;
  } else if (padding === 1) {
    if ((group & 0x03) !== 0) return null;
    bytes[written++] = group >>> 10;
    bytes[written] = (group >>> 2) & 0xff;
  }
  return bytes;
}
