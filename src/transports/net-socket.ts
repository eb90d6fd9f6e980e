// A Transport over a Node `net.Socket` or `tls.TLSSocket` (any Duplex works; sockets get
// Nagle turned off). A batch of chunks leaves in one system call: small batches are copied
// into one buffer, larger ones are corked and go out as one writev. The socket is paused
// from construction until `resume()`, so no byte is read before the session wants it.
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Transport, TransportEvents } from '../session/types.js';

// The socket's callbacks: symbol-keyed, so they are not part of the public surface.
const onData = Symbol('onData');
const onEnd = Symbol('onEnd');
const onDrain = Symbol('onDrain');
const onError = Symbol('onError');
const onClose = Symbol('onClose');

/**
 * Below this many bytes in total, a batch of several chunks is copied into one buffer;
 * from it up, the chunks are corked and written with one writev. Measured on loopback
 * (Node 20): copying wins by 10-40 % for 4-16 tiny chunks (e.g. many small frames), writev
 * wins by 10-30 % once a payload reaches about 1 KiB, where the copy starts to cost more
 * than the iovec bookkeeping.
 */
export const CONCAT_BELOW = 1024;

const NOOP_EVENTS: TransportEvents = {
  data() {},
  end() {},
  drain() {},
  error() {},
  closed() {},
};

/**
 * {@link Transport} over a socket. Construct it as soon as the socket is handed over (it
 * pauses the socket and listens for errors at once); the session attaches and resumes it.
 *
 * - `write` takes ownership of the chunks until they are flushed: do not modify them.
 * - `drain` fires when the socket's buffer drains after `write` returned false, and also
 *   whenever it empties after holding bytes, so a session whose high-water mark is below
 *   the socket's (16 KiB) still hears of it.
 * - `error` fires at most once; `closed` follows it (or fires alone) exactly once. Events
 *   that happen before `attach` are replayed to the handler in a microtask.
 */
export class SocketTransport implements Transport {
  /** The socket this transport drives. */
  readonly socket: Duplex;
  /** A `net.Socket` (TLS included) reads each chunk into fresh memory that it never touches again. */
  readonly freshChunks: boolean;
  private events: TransportEvents = NOOP_EVENTS;
  private attached = false;
  private paused = true;
  private errorSeen: Error | null = null;
  private errorDelivered = false;
  private endSeen = false;
  private endDelivered = false;
  private closedSeen = false;
  private closedDelivered = false;
  /** Bytes were left in the socket's buffer by a write: report `drain` once it empties. */
  private awaitingFlush = false;

  constructor(socket: Socket | Duplex) {
    this.socket = socket;
    this.freshChunks = socket instanceof Socket;
    // Frames are whole messages already; Nagle would only delay them (a small frame after
    // a write waits an RTT for the ACK).
    (socket as Partial<Socket>).setNoDelay?.(true);
    socket.pause();
    // Module-level listeners find this transport through the socket, as ws does: no
    // closures per connection (10,000 idle connections notice).
    (socket as SocketWithTransport)[TRANSPORT] = this;
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('drain', socketOnDrain);
    socket.on('error', socketOnError);
    socket.on('close', socketOnClose);
    if (socket.closed || socket.destroyed) this.closedSeen = true;
  }

  attach(events: TransportEvents): void {
    if (this.attached) throw new Error('SocketTransport.attach called twice');
    this.attached = true;
    this.events = events;
    if (this.errorSeen !== null || this.closedSeen) queueMicrotask(() => this.deliverTeardown());
    if (!this.paused) this.resume();
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  write(chunks: readonly Uint8Array[]): void {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded || chunks.length === 0) return;
    // Made on the first write: a connection that never writes does not pay for the closure.
    if (this.onFlushed === null) this.onFlushed = () => this.flushed();
    const onFlushed = this.onFlushed;
    if (chunks.length === 1) {
      socket.write(chunks[0]!, onFlushed);
    } else {
      let total = 0;
      for (const chunk of chunks) total += chunk.length;
      if (total < CONCAT_BELOW) {
        socket.write(Buffer.concat(chunks, total), onFlushed);
      } else {
        // Corked writes are handed to the kernel together (one writev) on uncork.
        socket.cork();
        const last = chunks.length - 1;
        for (let i = 0; i < last; i++) socket.write(chunks[i]!);
        socket.write(chunks[last]!, onFlushed);
        socket.uncork();
      }
    }
    if (socket.writableLength > 0) this.awaitingFlush = true;
  }

  end(): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    // Before attach there is nobody to deliver to: `attach` resumes then.
    if (!this.attached || this.socket.destroyed) return;
    this.socket.resume();
    // The peer's FIN may have been read before the handover; `end` will not fire again.
    if (this.socket.readableEnded && !this.endSeen) {
      this.endSeen = true;
      queueMicrotask(() => this[onEnd]());
    }
  }

  [onData](bytes: Buffer): void {
    if (this.paused) {
      // Only possible if someone resumed the socket behind our back: keep the order.
      this.socket.pause();
      this.socket.unshift(bytes);
      return;
    }
    this.events.data(bytes);
  }

  [onEnd](): void {
    this.endSeen = true;
    if (this.endDelivered || !this.attached) return;
    this.endDelivered = true;
    this.events.end();
  }

  [onDrain](): void {
    this.awaitingFlush = false;
    this.events.drain();
  }

  private onFlushed: (() => void) | null = null;

  private flushed(): void {
    const socket = this.socket;
    // With writableNeedDrain set node emits 'drain' itself, right after this callback.
    if (!this.awaitingFlush || socket.writableLength > 0 || socket.writableNeedDrain || socket.destroyed)
      return;
    this.awaitingFlush = false;
    this.events.drain();
  }

  [onError](error: Error): void {
    // Node may report several errors for one failure (e.g. a reset, then a write after it).
    if (this.errorSeen !== null) return;
    this.errorSeen = error;
    if (this.attached) this.deliverTeardown();
  }

  [onClose](): void {
    this.closedSeen = true;
    if (this.attached) this.deliverTeardown();
  }

  /** Delivers `error` (once) and then `closed` (once), whenever each has happened. */
  private deliverTeardown(): void {
    if (this.errorSeen !== null && !this.errorDelivered && !this.closedDelivered) {
      this.errorDelivered = true;
      this.events.error(this.errorSeen);
    }
    if (this.closedSeen && !this.closedDelivered) {
      this.closedDelivered = true;
      this.events.closed();
    }
  }
}

const TRANSPORT = Symbol('wasmws.transport');

interface SocketWithTransport extends Duplex {
  [TRANSPORT]: SocketTransport;
}

function socketOnData(this: SocketWithTransport, bytes: Buffer): void {
  this[TRANSPORT][onData](bytes);
}

function socketOnEnd(this: SocketWithTransport): void {
  this[TRANSPORT][onEnd]();
}

function socketOnDrain(this: SocketWithTransport): void {
  this[TRANSPORT][onDrain]();
}

function socketOnError(this: SocketWithTransport, error: Error): void {
  this[TRANSPORT][onError](error);
}

function socketOnClose(this: SocketWithTransport): void {
  this[TRANSPORT][onClose]();
}
