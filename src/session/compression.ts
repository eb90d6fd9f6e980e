// The seam between a session and a permessage-deflate engine (RFC 7692). The session owns
// ordering: it hands one message at a time to the engine and waits for the result before
// delivering or sending what comes after it. The engine owns zlib: contexts, window bits,
// context takeover, the 00 00 ff ff tail, bounded inflation. The Node engine is
// `src/extensions/deflate-zlib.ts`; a browser could supply one over CompressionStream.

/** The outcome of inflating one message. */
export type InflateResult =
  | { ok: true; data: Uint8Array }
  /** More than `maxBytes` would come out (RFC 6455 §7.4.1: close with 1009). */
  | { ok: false; reason: 'too-large' }
  /** The bytes are not a valid deflate stream (close with 1007). */
  | { ok: false; reason: 'corrupt'; message: string };

/** The outcome of deflating one message. */
export type DeflateResult = { ok: true; data: Uint8Array } | { ok: false; error: Error };

/**
 * One connection's permessage-deflate contexts, negotiated for one role. Calls are made one
 * at a time per direction: the session never starts an inflate before the previous one
 * called back, nor a deflate before the previous deflate did.
 */
export interface MessageCompressor {
  /**
   * Inflates one message: `data` is its frames' payloads joined, without the 00 00 ff ff
   * tail (RFC 7692 §7.2.2: the engine appends it). Stops early, without allocating beyond
   * `maxBytes`, when the output would exceed it.
   */
  inflate(data: Uint8Array, maxBytes: number, done: (result: InflateResult) => void): void;
  /** Deflates one message, tail removed (RFC 7692 §7.2.1), ready to send with RSV1 set. */
  deflate(data: Uint8Array, done: (result: DeflateResult) => void): void;
  /** Releases the contexts (the connection closed). Callbacks still pending are not called. */
  close(): void;
}

/** What the session needs to know of the negotiated permessage-deflate. */
export interface SessionCompression {
  compressor: MessageCompressor;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold: number;
}
