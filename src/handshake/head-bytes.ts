/**
 * The byte-level pieces of an HTTP/1.1 message head (RFC 9112 §2.1) that the request and response
 * readers share: the line-end bytes, the search for the blank line that ends a head, latin1 decoding
 * without `Buffer`, joining chunks, and the default size limits. The field-line grammar is in
 * `headers.ts`, the token grammar in `http-token.ts`.
 */

/** Carriage return: RFC 9112 §2.2 ends every head line with CR LF. */
export const CR = 0x0d;
/** Line feed. */
export const LF = 0x0a;

/** Default limit of a request or response head, start line and final CRLF included: 16 KiB, node's `maxHeaderSize`. */
export const DEFAULT_MAX_HEAD_BYTES = 16 * 1024;
/** Default limit of header lines in a request head: 100. */
export const DEFAULT_MAX_HEADERS = 100;

const HEAD_END = Uint8Array.of(CR, LF, CR, LF);
/** Length of the CRLF CRLF that {@link findHeadEnd} finds. */
export const HEAD_END_LENGTH = HEAD_END.length;

/**
 * Finds the CRLF CRLF that ends a head (the last header line's end and the blank line).
 *
 * @param bytes - the bytes read so far.
 * @param from - where to start looking. Default 0.
 * @returns the offset of the first CR of the four, or -1 if the head has not ended yet.
 */
export function findHeadEnd(bytes: Uint8Array, from = 0): number {
  return indexOfBytes(bytes, HEAD_END, from);
}

/**
 * The offset of the first occurrence of `needle` in `haystack` at or after `from`; -1 if none.
 *
 * @param haystack - the bytes to search.
 * @param needle - a non-empty byte sequence.
 * @param from - where to start. Default 0.
 */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const last = haystack.length - needle.length;
  for (let at = haystack.indexOf(needle[0]!, from); at !== -1 && at <= last; ) {
    let matched = 1;
    while (matched < needle.length && haystack[at + matched] === needle[matched]) matched++;
    if (matched === needle.length) return at;
    at = haystack.indexOf(needle[0]!, at + 1);
  }
  return -1;
}

// Enough arguments per String.fromCharCode call to be fast, few enough for any engine's stack.
const DECODE_STEP = 4096;
const asciiDecoder = new TextDecoder();

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if (bytes[at]! >= 0x80) return false;
  return true;
}

/**
 * Decodes bytes as ISO-8859-1, byte n becoming U+00nn, as HTTP heads are read (RFC 9110 §5.5: obs-text
 * stays opaque). `TextDecoder('latin1')` would not do: it is windows-1252, which remaps 0x80-0x9F.
 *
 * @param bytes - the bytes.
 * @param start - the first byte. Default 0.
 * @param end - the byte after the last. Default `bytes.length`.
 */
export function latin1Text(bytes: Uint8Array, start = 0, end = bytes.length): string {
  // Heads are ASCII, where UTF-8 and latin1 agree: the decoder makes the string alone, where
  // `fromCharCode.apply` first copies the bytes into an argument list of 8 bytes each.
  if (isAscii(bytes, start, end)) return asciiDecoder.decode(bytes.subarray(start, end));
  let text = '';
  for (let at = start; at < end; at += DECODE_STEP) {
    const piece = bytes.subarray(at, Math.min(end, at + DECODE_STEP));
    text += String.fromCharCode.apply(null, piece as unknown as number[]);
  }
  return text;
}

/**
 * Copies chunks into one new array.
 *
 * @param chunks - the chunks, in order.
 * @param length - their total length, if the caller knows it.
 */
export function concatBytes(
  chunks: readonly Uint8Array[],
  length = chunks.reduce((sum, chunk) => sum + chunk.length, 0),
): Uint8Array {
  const joined = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  return joined;
}
