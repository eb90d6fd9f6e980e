// CompressedSends: a session's outgoing messages while permessage-deflate is on. Deflating
// is asynchronous, yet messages must leave in the order they were sent (RFC 6455 §5.4), so
// once one message waits for zlib every later message waits behind it, compressed or not.
// Messages below the threshold, or sent with `compress: false`, skip zlib but not the queue.
//
// States: idle (nothing queued: sends go straight to the protocol) → deflating (the head of
// the queue is with zlib) → idle; closed (the connection is gone: the queue is dropped).
import type { ProtocolEngine } from '../protocol/types.js';
import type { DeflateResult, SessionCompression } from './compression.js';

/** What the queue tells its session. */
export interface CompressedSendsOwner {
  /** Frames were handed to the protocol: write them. */
  framesQueued(): void;
  /** The queue is empty again (a deferred close or held events may go on). */
  drained(): void;
  /** zlib failed to deflate: our fault, fail the connection with 1011. */
  deflateFailed(error: Error): void;
}

interface PendingMessage {
  opcode: 1 | 2;
  data: Uint8Array;
  compress: boolean;
}

const textEncoder = new TextEncoder();

/** The ordered queue of messages waiting for zlib (see the file header). */
export class CompressedSends {
  private readonly queue: PendingMessage[] = [];
  private queuedBytes = 0;
  private deflating = false;
  private closed = false;
  /** A pump is running (a sync deflate's callback must not start another). */
  private pumping = false;
  /** A message waited for zlib past the call that queued it: say `drained` once the queue empties. */
  private waited = false;

  constructor(
    private readonly engine: ProtocolEngine,
    private readonly compression: SessionCompression,
    private readonly owner: CompressedSendsOwner,
  ) {}

  /** Bytes of messages waiting here (uncompressed sizes). */
  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  /** How many messages wait here. */
  get messageCount(): number {
    return this.queue.length;
  }

  /** Whether messages are waiting: later sends and the close must wait behind them. */
  get busy(): boolean {
    return this.queue.length > 0;
  }

  /**
   * Sends a message: compressed when it reaches the threshold (and `compress` is not false),
   * in order behind anything still waiting for zlib.
   */
  send(opcode: 1 | 2, data: string | Uint8Array, compress: boolean | undefined): void {
    const size = typeof data === 'string' ? data.length : data.length;
    const wantsZlib = compress !== false && size >= this.compression.threshold;
    if (!wantsZlib && this.queue.length === 0) {
      if (typeof data === 'string') this.engine.sendText(data);
      else if (opcode === 2) this.engine.sendBinary(data);
      else this.engine.sendFragment(1, data, true);
      return;
    }
    const bytes = typeof data === 'string' ? textEncoder.encode(data) : data;
    this.queue.push({ opcode, data: bytes, compress: wantsZlib });
    this.queuedBytes += bytes.length;
    this.pump();
  }

  /** The connection is gone: drop what waits, ignore zlib's late answers. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  /**
   * Hands the queue's head to zlib, or straight to the protocol when it needs no zlib. A deflate
   * may call back before it returns (the engine's sync path): that nested pump is left to this
   * loop, and `drained` is said only if a message had to wait for a later turn.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpQueue();
    } finally {
      this.pumping = false;
    }
    if (!this.deflating && !this.closed && this.queue.length === 0 && this.waited) {
      this.waited = false;
      this.owner.drained();
    }
  }

  private pumpQueue(): void {
    while (!this.deflating && !this.closed && this.queue.length > 0) {
      const head = this.queue[0]!;
      if (!head.compress) {
        this.dequeue();
        if (head.opcode === 2) this.engine.sendBinary(head.data);
        else this.engine.sendFragment(1, head.data, true);
        this.owner.framesQueued();
        continue;
      }
      this.deflating = true;
      this.compression.compressor.deflate(head.data, (result) => this.deflated(result));
      if (this.deflating) this.waited = true;
    }
  }

  private deflated(result: DeflateResult): void {
    if (this.closed) return;
    this.deflating = false;
    const head = this.dequeue();
    if (!result.ok) {
      this.close();
      this.owner.deflateFailed(result.error);
      return;
    }
    this.engine.sendCompressed(head.opcode, result.data);
    this.owner.framesQueued();
    this.pump();
  }

  private dequeue(): PendingMessage {
    const head = this.queue.shift()!;
    this.queuedBytes -= head.data.length;
    return head;
  }
}
