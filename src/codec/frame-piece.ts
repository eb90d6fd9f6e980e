// One piece of a frame as a FrameParser delivers it: a reused object, one per arena.

import type { WebSocketError } from './errors.js';

const NO_BYTES = new Uint8Array(0);

/**
 * Payloads from this size are delivered from an owned chunk: below it a copy into a shared
 * slab is cheap and keeps a small message from holding a whole chunk alive.
 */
export const RETAINED_PAYLOAD_MIN = 4096;

/**
 * One piece of a frame, reused from callback to callback: copy what you keep.
 * A frame whose payload is all in one pushed chunk arrives as one piece with `first` and `last` set.
 */
export class FramePiece {
  /** Stream offset of the frame's first header byte. */
  offset = 0;
  fin = false;
  rsv1 = false;
  rsv2 = false;
  rsv3 = false;
  opcode = 0;
  masked = false;
  /** The 4 mask-key bytes read little-endian; 0 when unmasked. */
  maskKey = 0;
  /** Header length in bytes (2-14); 0 for pieces after the first. */
  headerLength = 0;
  /** Payload length of the whole frame. */
  length = 0;
  /** This piece starts at payload byte 0 of its frame. */
  first = false;
  /** This piece ends its frame. */
  last = false;
  /** The arena the payload lies in, unmasked; valid only during the callback (unless `retained`). */
  bytes: Uint8Array = NO_BYTES;
  /** Start index of this piece's payload in `bytes`. */
  start = 0;
  /** End index (exclusive) of this piece's payload in `bytes`. */
  end = 0;
  /**
   * `bytes` is the pushed chunk itself, handed over with the parser's `ownsChunks` option:
   * the payload may be kept beyond the callback without a copy.
   */
  retained = false;

  /** The piece's unmasked payload as a view, valid only during the callback. */
  payload(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }
}

/** Moves a long whole binary or compressed payload back into the owned chunk it came from (unmasked) and points the piece there. */
export function retainPiece(piece: FramePiece, chunk: Uint8Array, chunkFrom: number, shift: number): void {
  const opcode = piece.opcode;
  if (!(opcode === 2 || (opcode === 1 && piece.rsv1))) return;
  if (piece.end - piece.start < RETAINED_PAYLOAD_MIN || piece.start < chunkFrom) return;
  // Unmasked bytes already equal the chunk's.
  if (piece.masked) chunk.set(piece.bytes.subarray(piece.start, piece.end), piece.start + shift);
  piece.bytes = chunk;
  piece.start += shift;
  piece.end += shift;
  piece.retained = true;
}

/** Where a {@link FrameParser} delivers what it finds. */
export interface FrameSink {
  /** A frame, or a piece of one (see `first`/`last`). */
  frame(piece: FramePiece): void;
  /** The first violation; nothing follows it. */
  error(error: WebSocketError): void;
}
