// SessionOutput: the session's path to the transport. It gathers the protocol's frames
// into one write per turn, half-closes after them, and applies backpressure both ways:
// `send()`'s high-water mark and `drain`, and a stop to reading while a peer does not read
// what we write. While the transport holds a high-water mark's worth of unsent bytes, new
// frames stay in the protocol, where unsent pongs coalesce (RFC 6455 §5.5.3), so a flood of
// pings from a peer that does not read costs bytes bounded by the mark, not per frame.
import { MAX_CONTROL_PAYLOAD_BYTES } from '../codec/close-codes.js';
import { PONG_BUDGET_BYTES } from '../protocol/protocol.js';
import { END_OF_STREAM, type ProtocolEngine } from '../protocol/types.js';
import type { Transport } from './types.js';

/** Reading pauses, and frames are held back, at no fewer unsent bytes than this. */
export const MIN_OUTPUT_PAUSE_BYTES = 16 * 1024;

/** The largest control frame we send: a 2-byte header, a 4-byte mask key, the largest payload. */
const MAX_CONTROL_FRAME_BYTES = 2 + 4 + MAX_CONTROL_PAYLOAD_BYTES;

/**
 * The most output a peer's control frames (pings answered, its close echoed) can leave
 * unsent in a session with this high-water mark, however many it sends: frames are held in
 * the protocol once the transport has `max(highWaterMark, 16 KiB)` unsent, and the unsent
 * pongs there and in one turn's write take at most `PONG_BUDGET_BYTES` plus a pong and a close
 * each. With the default 1 MiB mark: 1 MiB + 8.5 KiB.
 */
export function controlOutputBound(highWaterMark: number): number {
  return (
    Math.max(highWaterMark, MIN_OUTPUT_PAUSE_BYTES) + 2 * (PONG_BUDGET_BYTES + 2 * MAX_CONTROL_FRAME_BYTES)
  );
}

/** The output queue, write batching and read pressure of one session. */
export class SessionOutput {
  private readonly holdAt: number;
  private readonly pauseReadingAt: number;
  /** Frames taken from the protocol and not yet written: one `write` per turn. */
  private queue: Uint8Array[] | null = null;
  private queuedBytes = 0;
  /** The protocol's end of stream was taken: nothing after it is written. */
  private endQueued = false;
  /** The session asked to end once everything before was written. */
  private endRequested = false;
  private ended = false;
  private pausedByUser = false;
  /** Reasons reading waits besides the application's pause: connect() resolving, an inflate. */
  private holds = 0;
  /** Messages waiting before the protocol (for zlib), counted in {@link bufferedAmount}. */
  private pending: { readonly bufferedAmount: number } | null = null;
  /** Reading stopped because the peer is not reading what we wrote. */
  private pausedForOutput = false;
  private needDrain = false;

  constructor(
    private readonly transport: Transport,
    private readonly engine: ProtocolEngine,
    private readonly highWaterMark: number,
  ) {
    // Transports report `drain` from their own mark (16 KiB for sockets and memory pairs):
    // holding back from a lower one could wait for a drain that never comes.
    this.holdAt = Math.max(highWaterMark, MIN_OUTPUT_PAUSE_BYTES);
    this.pauseReadingAt = Math.max(2 * highWaterMark, MIN_OUTPUT_PAUSE_BYTES);
  }

  /** Unsent bytes: the transport's, this turn's queue and the frames held in the protocol. */
  get bufferedAmount(): number {
    const pending = this.pending === null ? 0 : this.pending.bufferedAmount;
    return this.transport.bufferedAmount + this.queuedBytes + this.engine.bufferedAmount + pending;
  }

  /** Takes the protocol's frames for this turn's write, unless the transport is backed up. */
  collect(): void {
    if (this.transport.bufferedAmount >= this.holdAt) return;
    for (const item of this.engine.dataToSend()) {
      if (item === END_OF_STREAM) {
        this.endQueued = true;
        continue;
      }
      if (this.endQueued) continue; // nothing may follow the end of stream
      for (const chunk of item) {
        if (this.queue === null) this.queue = [chunk];
        else this.queue.push(chunk);
        this.queuedBytes += chunk.length;
      }
    }
  }

  /** Ends our side after what is queued, even if the protocol did not (the peer ended first). */
  endAfterQueued(): void {
    this.endRequested = true;
  }

  /**
   * Writes the queue in one go and half-closes if due.
   * @throws whatever a misbehaving transport throws (the session turns it into an error).
   */
  flush(): void {
    if (this.queue !== null && this.queue.length > 0) {
      const chunks = this.queue;
      this.queue = null;
      this.queuedBytes = 0;
      if (!this.ended) this.transport.write(chunks);
    }
    if ((this.endQueued || this.endRequested) && !this.ended && this.engine.bufferedAmount === 0) {
      this.ended = true;
      this.transport.end();
    }
    this.checkReadPressure();
  }

  /** Drops what was not written (the transport is gone). */
  discard(): void {
    this.queue = null;
    this.queuedBytes = 0;
  }

  /** `send()` reached the high-water mark: report `drain` once below it. */
  markNeedDrain(): boolean {
    if (this.bufferedAmount < this.highWaterMark) return false;
    this.needDrain = true;
    return true;
  }

  /** Whether the application waits for `drain` and the unsent bytes are now below the mark. */
  takeDrain(): boolean {
    if (!this.needDrain || this.bufferedAmount >= this.highWaterMark) return false;
    this.needDrain = false;
    return true;
  }

  /** The application paused reading. */
  pauseByUser(): void {
    this.pausedByUser = true;
  }

  /** The application resumed reading; returns whether the transport may deliver now. */
  resumeByUser(): boolean {
    this.pausedByUser = false;
    return this.readable;
  }

  /** Holds reading until a matching {@link releaseReading}. */
  holdReading(): void {
    this.holds++;
  }

  /** Ends one hold; returns whether the transport may deliver now. */
  releaseReading(): boolean {
    this.holds--;
    return this.readable;
  }

  /** Nothing holds reading back: not the application, a hold, nor read pressure. */
  get readable(): boolean {
    return !this.pausedByUser && !this.pausedForOutput && this.holds === 0;
  }

  /** Counts messages waiting before the protocol (the deflate queue) as unsent. */
  countPending(source: { readonly bufferedAmount: number }): void {
    this.pending = source;
  }

  /**
   * A peer that does not read what we write (pongs, close echoes, the handler's replies) must
   * not make us buffer without bound: stop reading from it while our unsent bytes are at twice
   * the high-water mark (at least 16 KiB), and read again once below half that.
   */
  checkReadPressure(): void {
    const buffered = this.transport.bufferedAmount + this.engine.bufferedAmount;
    if (!this.pausedForOutput && buffered >= this.pauseReadingAt) {
      this.pausedForOutput = true;
      this.transport.pause();
    } else if (this.pausedForOutput && buffered < this.pauseReadingAt / 2) {
      this.pausedForOutput = false;
      if (this.readable) this.transport.resume();
    }
  }
}
