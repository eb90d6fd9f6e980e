// An in-memory duplex pair of Transports for tests and in-process peers. Bytes written on
// one side reach the other in a later microtask (or on demand in manual mode), one `data`
// event per `write` call, so backpressure, half-close and teardown behave like a socket's:
// `end()` reaches the peer as `end`, a side is `closed` once it has both sent and received
// end-of-stream, and `destroy()` closes both sides at once, dropping undelivered bytes.
import type { Transport, TransportEvents } from './types.js';

/** Options of {@link createMemoryPair}. */
export interface MemoryPairOptions {
  /** A side's `bufferedAmount` at or above this makes it emit `drain` once it falls below. Default 16 KiB. */
  highWaterMark?: number;
  /** Deliver only when a test calls `deliver()`, instead of in a microtask after each write. Default false. */
  manual?: boolean;
}

/** One side of a memory pair: a {@link Transport} with controls for tests. */
export interface MemoryTransport extends Transport {
  /** The other side. */
  readonly peer: MemoryTransport;
  /** How many times `write` was called. */
  readonly writeCount: number;
  /** `end()` was called on this side. */
  readonly ended: boolean;
  /** `closed` has fired (or would have, if attached) on this side. */
  readonly closed: boolean;
  /**
   * Hands what this side wrote (data and end-of-stream) to the peer now, unless the peer is
   * paused. Returns the number of bytes delivered. Needed in manual mode; harmless otherwise.
   */
  deliver(): number;
  /** Simulates a transport failure on this side: `error`, then `closed` on both sides. */
  injectError(error: Error): void;
}

/** Default high-water mark of a memory transport: 16 KiB, like a Node socket. */
export const MEMORY_HIGH_WATER_MARK = 16 * 1024;

type Item = Uint8Array | 'end';

class MemorySide implements MemoryTransport {
  peer!: MemorySide;
  writeCount = 0;
  ended = false;
  closed = false;
  bufferedAmount = 0;
  private events: TransportEvents | null = null;
  private paused = true;
  /** What the peer wrote and this side has not been handed yet. */
  private readonly inbox: Item[] = [];
  private endReceived = false;
  private destroyed = false;
  private needDrain = false;
  private deliveryScheduled = false;

  constructor(
    private readonly highWaterMark: number,
    private readonly manual: boolean,
  ) {}

  attach(events: TransportEvents): void {
    this.events = events;
  }

  write(chunks: readonly Uint8Array[]): void {
    if (this.ended) throw new Error('write after end');
    this.writeCount++;
    if (this.destroyed) return;
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    if (length === 0) return;
    // One write becomes one chunk at the peer, as one system call would.
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    this.bufferedAmount += length;
    if (this.bufferedAmount >= this.highWaterMark) this.needDrain = true;
    this.peer.inbox.push(bytes);
    this.peer.scheduleDelivery();
  }

  end(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    this.peer.inbox.push('end');
    this.peer.scheduleDelivery();
    // Ending after the peer already ended closes this side; never re-entrantly.
    if (this.endReceived) queueMicrotask(() => this.closeIfDone());
  }

  destroy(): void {
    if (this.destroyed) return;
    this.teardown();
    queueMicrotask(() => {
      this.emitClosed();
      this.peer.emitClosed();
    });
  }

  injectError(error: Error): void {
    if (this.destroyed) return;
    this.teardown();
    queueMicrotask(() => {
      this.events?.error(error);
      this.emitClosed();
      this.peer.emitClosed();
    });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.scheduleDelivery();
  }

  deliver(): number {
    return this.peer.drainInbox();
  }

  private scheduleDelivery(): void {
    if (this.manual || this.deliveryScheduled) return;
    this.deliveryScheduled = true;
    queueMicrotask(() => {
      this.deliveryScheduled = false;
      this.drainInbox();
    });
  }

  /** Hands this side what the peer wrote, in order, while attached and not paused. */
  private drainInbox(): number {
    let delivered = 0;
    while (this.inbox.length > 0 && !this.paused && this.events !== null && !this.destroyed) {
      const item = this.inbox.shift()!;
      if (item === 'end') {
        this.endReceived = true;
        this.events.end();
        this.closeIfDone();
        continue;
      }
      delivered += item.length;
      this.peer.bufferedAmount -= item.length;
      this.events.data(item);
      this.peer.drainIfBelowMark();
    }
    return delivered;
  }

  private drainIfBelowMark(): void {
    if (!this.needDrain || this.bufferedAmount >= this.highWaterMark) return;
    this.needDrain = false;
    if (!this.destroyed) this.events?.drain();
  }

  private closeIfDone(): void {
    if (this.ended && this.endReceived) this.emitClosed();
  }

  /** Marks both sides dead now; their `closed` events follow in a microtask. */
  private teardown(): void {
    for (const side of [this, this.peer]) {
      side.destroyed = true;
      side.inbox.length = 0;
      side.bufferedAmount = 0;
    }
  }

  private emitClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.destroyed = true;
    this.events?.closed();
  }
}

/**
 * Creates two connected in-memory transports. Each starts paused, like a socket handed
 * over after a handshake: nothing is delivered to a side before its `resume()`.
 */
export function createMemoryPair(options: MemoryPairOptions = {}): [MemoryTransport, MemoryTransport] {
  const highWaterMark = options.highWaterMark ?? MEMORY_HIGH_WATER_MARK;
  if (!(highWaterMark >= 0)) throw new RangeError(`highWaterMark must be >= 0, got ${highWaterMark}`);
  const manual = options.manual === true;
  const a = new MemorySide(highWaterMark, manual);
  const b = new MemorySide(highWaterMark, manual);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
