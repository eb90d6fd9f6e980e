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

// The output's flags, as bits of one number: a field each would cost 8 bytes per connection.
/** The protocol's end of stream was taken: nothing after it is written. */
const END_QUEUED = 1;
/** The session asked to end once everything before was written. */
const END_REQUESTED = 2;
const ENDED = 4;
const PAUSED_BY_USER = 8;
/** Reading stopped because the peer is not reading what we wrote. */
const PAUSED_FOR_OUTPUT = 16;
const NEED_DRAIN = 32;

/** The output queue, write batching and read pressure of one session. */
export class SessionOutput {
  /** Frames taken from the protocol and not yet written: one `write` per turn. */
  private queue: Uint8Array[] | null = null;
  private queuedBytes = 0;
  private flags = 0;
  /** Reasons reading waits besides the application's pause: connect() resolving, an inflate. */
  private holds = 0;
  /** Messages waiting before the protocol (for zlib), counted in {@link bufferedAmount}. */
  private pending: { readonly bufferedAmount: number } | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly engine: ProtocolEngine,
    private readonly highWaterMark: number,
  ) {}

  /**
   * Frames are held in the protocol from this many unsent bytes. Transports report `drain`
   * from their own mark (16 KiB for sockets and memory pairs): holding back from a lower one
   * could wait for a drain that never comes.
   */
  private get holdAt(): number {
    return Math.max(this.highWaterMark, MIN_OUTPUT_PAUSE_BYTES);
  }

  private get pauseReadingAt(): number {
    return Math.max(2 * this.highWaterMark, MIN_OUTPUT_PAUSE_BYTES);
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
        this.flags |= END_QUEUED;
        continue;
      }
      if ((this.flags & END_QUEUED) !== 0) continue; // nothing may follow the end of stream
      for (const chunk of item) {
        if (this.queue === null) this.queue = [chunk];
        else this.queue.push(chunk);
        this.queuedBytes += chunk.length;
      }
    }
  }

  /** Ends our side after what is queued, even if the protocol did not (the peer ended first). */
  endAfterQueued(): void {
    this.flags |= END_REQUESTED;
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
      if ((this.flags & ENDED) === 0) this.transport.write(chunks);
    }
    const flags = this.flags;
    if (
      (flags & (END_QUEUED | END_REQUESTED)) !== 0 &&
      (flags & ENDED) === 0 &&
      this.engine.bufferedAmount === 0
    ) {
      this.flags |= ENDED;
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
    this.flags |= NEED_DRAIN;
    return true;
  }

  /** Whether the application waits for `drain` and the unsent bytes are now below the mark. */
  takeDrain(): boolean {
    if ((this.flags & NEED_DRAIN) === 0 || this.bufferedAmount >= this.highWaterMark) return false;
    this.flags &= ~NEED_DRAIN;
    return true;
  }

  /** The application paused reading. */
  pauseByUser(): void {
    this.flags |= PAUSED_BY_USER;
  }

  /** The application resumed reading; returns whether the transport may deliver now. */
  resumeByUser(): boolean {
    this.flags &= ~PAUSED_BY_USER;
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
    return (this.flags & (PAUSED_BY_USER | PAUSED_FOR_OUTPUT)) === 0 && this.holds === 0;
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
    const pausedForOutput = (this.flags & PAUSED_FOR_OUTPUT) !== 0;
    if (!pausedForOutput && buffered >= this.pauseReadingAt) {
      this.flags |= PAUSED_FOR_OUTPUT;
      this.transport.pause();
    } else if (pausedForOutput && buffered < this.pauseReadingAt / 2) {
      this.flags &= ~PAUSED_FOR_OUTPUT;
      if (this.readable) this.transport.resume();
    }
  }
}
