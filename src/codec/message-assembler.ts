// Opt-in reassembly over FrameParser: data frames become whole messages, control frames
// arrive whole. Memory grows with payload bytes, never with the number of fragments.
import type { WebSocketError } from './errors.js';
import type { FramePiece, FrameSink } from './frame-parser.js';

/** Where a {@link MessageAssembler} delivers messages. Views are valid only during the callback. */
export interface MessageSink {
  /** A whole data message: opcode 1 (text, already UTF-8-checked unless compressed) or 2 (binary). */
  message(opcode: number, data: Uint8Array, compressed: boolean): void;
  /**
   * Optional, called instead of `message` when present: the message is `bytes[start, end)`,
   * so no view is made per message. `owned`: nothing reuses `bytes` (made by {@link allocate}
   * for this message alone, or a chunk handed over to the parser), so the sink may keep the
   * message without a copy.
   */
  messageAt?(
    opcode: number,
    bytes: Uint8Array,
    start: number,
    end: number,
    compressed: boolean,
    owned: boolean,
  ): void;
  /**
   * Optional: makes the buffer a message split across chunks is gathered in (Node callers
   * skip the zero fill). Default `new Uint8Array`.
   */
  allocate?(size: number): Uint8Array;
  /** A whole control frame: close (8), ping (9) or pong (10). */
  control(opcode: number, payload: Uint8Array): void;
  /** The parser's first violation. */
  error(error: WebSocketError): void;
}

/** A fragmented message's buffer up to this size is kept for the next one. */
const RETAINED_BUFFER_BYTES = 64 * 1024;
const EMPTY = new Uint8Array(0);

/** A {@link FrameSink} that reassembles fragmented messages for a {@link MessageSink}. */
export class MessageAssembler implements FrameSink {
  private readonly sink: MessageSink;
  /** Where a fragmented message grows; kept between messages up to RETAINED_BUFFER_BYTES. */
  private buffer: Uint8Array | null = null;
  /** A one-frame message cut by chunks: its length is known, so it is gathered in a buffer of its own. */
  private whole: Uint8Array | null = null;
  private length = 0;
  private opcode = 0;
  private compressed = false;
  /** Whether the message is being gathered rather than passed through as one view. */
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
        this.deliver(piece.bytes, piece.start, piece.end, piece.retained);
        return;
      }
      this.gathering = true;
      if (piece.fin) this.whole = this.allocate(piece.length);
      else this.reserve(piece.length);
    }
    const size = piece.end - piece.start;
    if (size > 0) {
      let target = this.whole;
      if (target === null) {
        this.reserve(this.length + (piece.first ? piece.length : size));
        target = this.buffer!;
      }
      target.set(piece.bytes.subarray(piece.start, piece.end), this.length);
      this.length += size;
    }
    if (piece.fin && piece.last && this.gathering) this.finish();
  }

  error(error: WebSocketError): void {
    this.buffer = null;
    this.whole = null;
    this.sink.error(error);
  }

  private finish(): void {
    this.gathering = false;
    const length = this.length;
    this.length = 0;
    let data = this.whole;
    let owned = true;
    if (data !== null) {
      this.whole = null;
    } else {
      data = this.buffer ?? EMPTY;
      owned = data.length > RETAINED_BUFFER_BYTES;
      if (owned) this.buffer = null;
    }
    this.deliver(data, 0, length, owned);
  }

  private deliver(bytes: Uint8Array, start: number, end: number, owned: boolean): void {
    const sink = this.sink;
    if (sink.messageAt !== undefined) sink.messageAt(this.opcode, bytes, start, end, this.compressed, owned);
    else sink.message(this.opcode, bytes.subarray(start, end), this.compressed);
  }

  private allocate(size: number): Uint8Array {
    return this.sink.allocate === undefined ? new Uint8Array(size) : this.sink.allocate(size);
  }

  /** Grows the fragmented message's buffer to hold `bytes`, doubling. */
  private reserve(bytes: number): void {
    const current = this.buffer;
    if (current !== null && current.length >= bytes) return;
    if (bytes === 0) return;
    const size = Math.max(bytes, current === null ? 0 : current.length * 2, 256);
    // Kept buffers are plain arrays (an allocator's may be a view of a shared slab).
    const grown = size > RETAINED_BUFFER_BYTES ? this.allocate(size) : new Uint8Array(size);
    if (current !== null && this.length > 0) grown.set(current.subarray(0, this.length));
    this.buffer = grown;
  }
}
