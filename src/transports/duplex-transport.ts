// What every Transport over a Node Duplex shares: a TCP or TLS socket and an HTTP/2 stream alike.
// The duplex is paused from construction until `resume()`, so no byte is read before the session
// wants it; a batch of chunks leaves in one call (small batches copied into one buffer, larger ones
// corked); `error` is delivered at most once and `closed` exactly once, replayed after `attach` if
// they came first. Subclasses say how the duplex ends and is destroyed.
import type { Duplex } from 'node:stream';
import type { Transport, TransportEvents } from '../session/types.js';

// The duplex's callbacks: symbol-keyed, so they are not part of the public surface.
const onData = Symbol('onData');
const onEnd = Symbol('onEnd');
const onDrain = Symbol('onDrain');
const onError = Symbol('onError');
const onClose = Symbol('onClose');
/** A subclass's reads straight into memory (SocketTransport.readInto) report here. */
export const onReadInPlace = Symbol('onReadInPlace');

/**
 * Below this many bytes in total, a batch of several chunks is copied into one buffer;
 * from it up, the chunks are corked and written with one writev. Measured on loopback
 * (Node 20): copying wins by 10-40 % for 4-16 tiny chunks (e.g. many small frames), writev
 * wins by 10-30 % once a payload reaches about 1 KiB, where the copy starts to cost more
 * than the iovec bookkeeping.
 */
export const CONCAT_BELOW = 1024;

// What has happened to the duplex and what was delivered, as bits of one number: a field
// per flag would cost 8 bytes each on every idle connection.
const ATTACHED = 1;
const PAUSED = 2;
const ERROR_DELIVERED = 4;
const END_SEEN = 8;
const END_DELIVERED = 16;
const CLOSED_SEEN = 32;
const CLOSED_DELIVERED = 64;
/** Bytes were left in the duplex's buffer by a write: report `drain` once it empties. */
const AWAITING_FLUSH = 128;

const NOOP_EVENTS: TransportEvents = {
  data() {},
  end() {},
  drain() {},
  error() {},
  closed() {},
};

/**
 * The shared half of {@link SocketTransport} and {@link Http2StreamTransport}.
 *
 * - `write` takes ownership of the chunks until they are flushed: do not modify them.
 * - `bufferedAmount` is the duplex's `writableLength`.
 * - `drain` fires on the duplex's `'drain'`, and also whenever its buffer empties after holding
 *   bytes, so a session whose high-water mark is below the duplex's (16 KiB) still hears of it.
 */
export abstract class DuplexTransport<D extends Duplex = Duplex> implements Transport {
  protected readonly duplex: D;
  private events: TransportEvents = NOOP_EVENTS;
  private flags = PAUSED;
  private errorSeen: Error | null = null;
  private onFlushed: (() => void) | null = null;
  /** Where reads land when the subclass reads in place, else null. */
  protected readTarget: Uint8Array | null = null;

  constructor(duplex: D) {
    this.duplex = duplex;
    duplex.pause();
    // Module-level listeners find this transport through the duplex, as ws does: no closures
    // per connection (10,000 idle connections notice).
    (duplex as unknown as WithTransport)[TRANSPORT] = this;
    duplex.on('data', duplexOnData);
    duplex.on('end', duplexOnEnd);
    duplex.on('drain', duplexOnDrain);
    duplex.on('error', duplexOnError);
    duplex.on('close', duplexOnClose);
    if (duplex.closed || duplex.destroyed) this.flags |= CLOSED_SEEN;
  }

  abstract end(): void;
  abstract destroy(): void;

  attach(events: TransportEvents): void {
    if (this.has(ATTACHED)) throw new Error(`${this.constructor.name}.attach called twice`);
    this.flags |= ATTACHED;
    this.events = events;
    if (this.errorSeen !== null || this.has(CLOSED_SEEN)) queueMicrotask(() => this.deliverTeardown());
    if (!this.has(PAUSED)) this.resume();
  }

  get bufferedAmount(): number {
    return this.duplex.writableLength;
  }

  write(chunks: readonly Uint8Array[]): void {
    const duplex = this.duplex;
    if (duplex.destroyed || duplex.writableEnded || chunks.length === 0) return;
    // Made on the first write: a connection that never writes does not pay for the closure.
    if (this.onFlushed === null) this.onFlushed = () => this.flushed();
    const onFlushed = this.onFlushed;
    if (chunks.length === 1) {
      duplex.write(chunks[0]!, onFlushed);
    } else {
      let total = 0;
      for (const chunk of chunks) total += chunk.length;
      if (total < CONCAT_BELOW) {
        duplex.write(Buffer.concat(chunks, total), onFlushed);
      } else {
        // Corked writes leave together on uncork: one writev on a socket, shared DATA frames on
        // an HTTP/2 stream.
        duplex.cork();
        const last = chunks.length - 1;
        for (let i = 0; i < last; i++) duplex.write(chunks[i]!);
        duplex.write(chunks[last]!, onFlushed);
        duplex.uncork();
      }
    }
    if (duplex.writableLength > 0) this.flags |= AWAITING_FLUSH;
  }

  pause(): void {
    this.flags |= PAUSED;
    this.duplex.pause();
  }

  resume(): void {
    this.flags &= ~PAUSED;
    // Before attach there is nobody to deliver to: `attach` resumes then.
    if (!this.has(ATTACHED) || this.duplex.destroyed) return;
    this.duplex.resume();
    // The peer's end may have been read before the handover; `end` will not fire again.
    if (this.duplex.readableEnded && !this.has(END_SEEN)) {
      this.flags |= END_SEEN;
      queueMicrotask(() => this[onEnd]());
    }
  }

  [onData](bytes: Buffer): void {
    if (this.has(PAUSED)) {
      // Only possible if someone resumed the duplex behind our back: keep the order.
      this.duplex.pause();
      this.duplex.unshift(bytes);
      return;
    }
    this.events.data(bytes);
  }

  /** Whether reads may be reported in place: attached, to events that take them. */
  protected canReceiveInPlace(): boolean {
    return this.has(ATTACHED) && typeof this.events.receivedInPlace === 'function';
  }

  [onReadInPlace](length: number): void {
    if (this.has(PAUSED)) {
      // Only possible if someone resumed the duplex behind our back: keep the bytes, in order.
      this.duplex.pause();
      this.duplex.unshift(Buffer.from(this.readTarget!.subarray(0, length)));
      return;
    }
    this.events.receivedInPlace!(length);
  }

  [onEnd](): void {
    this.flags |= END_SEEN;
    if (this.has(END_DELIVERED) || !this.has(ATTACHED)) return;
    this.flags |= END_DELIVERED;
    this.events.end();
  }

  [onDrain](): void {
    this.flags &= ~AWAITING_FLUSH;
    this.events.drain();
  }

  private flushed(): void {
    const duplex = this.duplex;
    // With writableNeedDrain set node emits 'drain' itself, right after this callback.
    if (
      !this.has(AWAITING_FLUSH) ||
      duplex.writableLength > 0 ||
      duplex.writableNeedDrain ||
      duplex.destroyed
    )
      return;
    this.flags &= ~AWAITING_FLUSH;
    this.events.drain();
  }

  [onError](error: Error): void {
    // Node may report several errors for one failure (e.g. a reset, then a write after it).
    if (this.errorSeen !== null) return;
    this.errorSeen = error;
    if (this.has(ATTACHED)) this.deliverTeardown();
  }

  [onClose](): void {
    this.flags |= CLOSED_SEEN;
    this.duplexClosed();
    if (this.has(ATTACHED)) this.deliverTeardown();
  }

  /**
   * The duplex closed; runs before the session hears of it. For a subclass whose owner tracks
   * its connections: one 'close' listener per socket, not a second one (and its array) for the owner.
   */
  protected duplexClosed(): void {}

  /** Delivers `error` (once) and then `closed` (once), whenever each has happened. */
  private deliverTeardown(): void {
    if (this.errorSeen !== null && !this.has(ERROR_DELIVERED) && !this.has(CLOSED_DELIVERED)) {
      this.flags |= ERROR_DELIVERED;
      this.events.error(this.errorSeen);
    }
    if (this.has(CLOSED_SEEN) && !this.has(CLOSED_DELIVERED)) {
      this.flags |= CLOSED_DELIVERED;
      this.events.closed();
    }
  }

  private has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }
}

const TRANSPORT = Symbol('wasmws.transport');

interface WithTransport {
  [TRANSPORT]: DuplexTransport;
}

/** The transport a duplex belongs to, for module-level listeners. */
export function transportOf(duplex: object): DuplexTransport {
  return (duplex as WithTransport)[TRANSPORT];
}

function duplexOnData(this: WithTransport, bytes: Buffer): void {
  this[TRANSPORT][onData](bytes);
}

function duplexOnEnd(this: WithTransport): void {
  this[TRANSPORT][onEnd]();
}

function duplexOnDrain(this: WithTransport): void {
  this[TRANSPORT][onDrain]();
}

function duplexOnError(this: WithTransport, error: Error): void {
  this[TRANSPORT][onError](error);
}

function duplexOnClose(this: WithTransport): void {
  this[TRANSPORT][onClose]();
}
