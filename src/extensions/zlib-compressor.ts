// What both node:zlib engines (streams, deflate-zlib.ts; native handles, deflate-native.ts) are.
import type { MessageCompressor } from '../session/compression.js';

/** A `MessageCompressor` over node:zlib, with a view of what it holds for diagnostics and tests. */
export interface ZlibCompressor extends MessageCompressor {
  /** Whether a zlib deflate and inflate context is held right now. */
  readonly contexts: { readonly deflate: boolean; readonly inflate: boolean };
  /** Bytes zlib produced for the latest inflate, counting those dropped when it stopped at the limit. */
  readonly lastInflateOutput: number;
}
