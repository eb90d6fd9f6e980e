// How text crosses between strings and UTF-8 bytes on the hot paths. The default here is
// the web platform's (TextEncoder.encodeInto, TextDecoder); Node's glue injects Buffer's
// native methods, which skip a view per call (src/transports/node-hooks.ts).

/** Moves text between strings and UTF-8 bytes held at offsets in a larger buffer. */
export interface TextCodec {
  /**
   * Writes `text` as UTF-8 into `target` from `offset`, using at most `maxBytes` bytes;
   * returns the bytes written, or -1 (having written nothing a caller may rely on) when it needs more.
   */
  encodeInto(text: string, target: Uint8Array, offset: number, maxBytes: number): number;
  /** `text` as a new UTF-8 buffer. */
  encode(text: string): Uint8Array;
  /** Decodes `bytes[start, end)`, already known to be UTF-8; a leading U+FEFF is kept (it is text the peer sent). */
  decode(bytes: Uint8Array, start: number, end: number): string;
}

const encoder = new TextEncoder();
// Non-fatal: callers validated the bytes already.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The browser-safe {@link TextCodec}: `TextEncoder.encodeInto` and `TextDecoder`. */
export const webTextCodec: TextCodec = {
  encodeInto(text, target, offset, maxBytes) {
    const result = encoder.encodeInto(text, target.subarray(offset, offset + maxBytes));
    return result.read === text.length ? result.written : -1;
  },
  encode(text) {
    return encoder.encode(text);
  },
  decode(bytes, start, end) {
    return decoder.decode(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
  },
};
