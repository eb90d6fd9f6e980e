// Opt-in reassembly over FrameParser: data frames become whole messages, control frames
// arrive whole. Memory grows with payload bytes, never with the number of fragments.
import type { WebSocketError } from './errors.js';
import type { FramePiece, FrameSink } from './frame-parser.js';

/** Where a {@link MessageAssembler} delivers messages. Views are valid only during the callback. */
export interface MessageSink {
  /** A whole data message: opcode 1 (text, already UTF-8-checked unless compressed) or 2 (binary). */
  message(opcode: number, data: Uint8Array, compressed: boolean): void;
  /** A whole control frame: close (8), ping (9) or pong (10). */
  control(opcode: number, payload: Uint8Array): void;
  /** The parser's first violation. */
  error(error: WebSocketError): void;
}

const RETAINED_BUFFER_BYTES = 64 * 1024;

/** A {@link FrameSink} that reassembles fragmented messages for a {@link MessageSink}. */
export class MessageAssembler implements FrameSink {
  private readonly sink: MessageSink;
  private buffer: Uint8Array | null = null;
  private length = 0;
  private opcode = 0;
  private compressed = false;
  /** Whether the message is being gathered in `buffer` rather than passed through as one view. */
  private gathering = false;

  constructor(sink: MessageSink) {
    this.sink = sink;
  }

  frame(piece: FramePiece): void {
    const opcode = piece.opcode;
    if (opcode >= 8) {
      // The parser holds a control frame back until all of it is in one window.
      this.sink.control(opcode, piece.payload());
      return;
    }
    if (opcode !== 0 && piece.first) {
      this.opcode = opcode;
      this.compressed = piece.rsv1;
      this.length = 0;
      // The common case: a whole message in one piece goes through without a copy.
      if (piece.fin && piece.last) {
        this.sink.message(opcode, piece.payload(), this.compressed);
        return;
      }
      this.gathering = true;
      this.reserve(piece.length);
    }
    const size = piece.end - piece.start;
    if (size > 0) {
      if (piece.first) this.reserve(this.length + piece.length);
      else this.reserve(this.length + size);
      this.buffer!.set(piece.bytes.subarray(piece.start, piece.end), this.length);
      this.length += size;
    }
    if (piece.fin && piece.last && this.gathering) {
      this.gathering = false;
      const data = this.buffer === null ? new Uint8Array(0) : this.buffer.subarray(0, this.length);
      if (this.buffer !== null && this.buffer.length > RETAINED_BUFFER_BYTES) this.buffer = null;
      this.sink.message(this.opcode, data, this.compressed);
      this.length = 0;
    }
  }

  error(error: WebSocketError): void {
    this.buffer = null;
    this.sink.error(error);
  }

  private reserve(bytes: number): void {
    const current = this.buffer;
    if (current !== null && current.length >= bytes) return;
    if (bytes === 0) return;
    const grown = new Uint8Array(Math.max(bytes, current === null ? 0 : current.length * 2, 256));
    if (current !== null && this.length > 0) grown.set(current.subarray(0, this.length));
    this.buffer = grown;
  }
}
