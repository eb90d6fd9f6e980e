// What Node offers the codec's hot paths beyond the web platform, in one place for every
// Node entry point (server, client, HTTP/2): Buffer memory (no zero fill, and what a socket
// takes without converting), Buffer's native UTF-8 methods, simdutf's whole-buffer UTF-8
// check, and `bufferutil`'s one-pass masking when it is installed, as `ws` uses it.
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import type { MaskInto } from '../codec/encoder.js';
import type { TextCodec } from '../codec/text-codec.js';

interface NativeBuffer {
  utf8Write(this: Uint8Array, text: string, offset: number, length: number): number;
  utf8Slice(this: Uint8Array, start: number, end: number): string;
}

const { utf8Write, utf8Slice } = Buffer.prototype as unknown as NativeBuffer;

/** Buffer's native UTF-8 methods: no view per call, about twice TextDecoder's speed on short text. */
export const nodeTextCodec: TextCodec = {
  encodeInto(text, target, offset, maxBytes) {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; only a text that might not fit is measured.
    if (text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes) return -1;
    return utf8Write.call(target, text, offset, maxBytes);
  },
  encode(text) {
    return Buffer.from(text, 'utf8');
  },
  decode(bytes, start, end) {
    return utf8Slice.call(bytes, start, end);
  },
};

interface BufferUtil {
  mask(source: Uint8Array, mask: Uint8Array, output: Uint8Array, offset: number, length: number): void;
}

/** `bufferutil`'s native masking, or undefined when it is not installed (or only its JS fallback is). */
function loadBufferUtil(): BufferUtil | undefined {
  if (process.env.WASMWS_NO_BUFFERUTIL === '1') return undefined;
  const require = createRequire(import.meta.url);
  try {
    const loaded = require('bufferutil') as BufferUtil;
    return loaded === require('bufferutil/fallback.js') ? undefined : loaded;
  } catch {
    return undefined;
  }
}

const bufferUtil = loadBufferUtil();
const maskKeyBytes = Buffer.alloc(4);

/** One-pass masking through `bufferutil`, or undefined without it (the kernels mask then). */
export const nodeMaskInto: MaskInto | undefined =
  bufferUtil === undefined
    ? undefined
    : (source, key, target, offset) => {
        maskKeyBytes.writeUInt32LE(key >>> 0, 0);
        bufferUtil.mask(source, maskKeyBytes, target, offset, source.length);
      };

/** Buffer.allocUnsafe: memory without a zero fill, as a Buffer a socket takes without converting. */
function allocateBuffer(size: number): Uint8Array {
  return Buffer.allocUnsafe(size);
}

/**
 * The session options every Node entry point passes: spread them before the caller's, so
 * an explicit `validateUtf8` still wins.
 */
export const nodeSessionHooks = {
  // simdutf (buffer.isUtf8) beats the 128-bit kernel on long non-ASCII text.
  validateUtf8: isUtf8 as (bytes: Uint8Array) => boolean,
  allocate: allocateBuffer,
  textCodec: nodeTextCodec,
  maskInto: nodeMaskInto,
};
