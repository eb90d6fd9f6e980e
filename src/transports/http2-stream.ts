// A Transport over one `node:http2` stream (RFC 8441: after the extended CONNECT's 2xx, the
// stream's DATA frames carry the WebSocket's bytes). Server and client streams alike. A batch
// of chunks is one write (small batches copied into one buffer, larger ones corked); the
// stream's writable buffer follows HTTP/2 flow control, so `bufferedAmount` and `drain` give
// the session the peer's window as backpressure. `end()` sends END_STREAM (then RST_STREAM
// NO_ERROR if the peer's half is still open), `destroy()` RST_STREAM with CANCEL. The stream is paused from construction until `resume()`.
import { constants, type Http2Session, type Http2Stream } from 'node:http2';
import type { Transport, TransportEvents } from '../session/types.js';
import { CONCAT_BELOW } from './net-socket.js';

/**
 * Flow-control windows for sessions that carry WebSockets. HTTP/2's defaults (64 KiB per stream and
 * 64 KiB for the whole connection, RFC 9113 §6.9.2) cap every WebSocket on a connection together
 * at 64 KiB per round trip: 100 streams echoing 16 KiB messages ran at the window's pace, not
 * the CPU's. A stream's window bounds what a peer can make us buffer for a paused WebSocket.
 */
export const H2_STREAM_WINDOW_BYTES = 256 * 1024;
export const H2_CONNECTION_WINDOW_BYTES = 8 * 1024 * 1024;

/** Raises a session's connection-level receive window (the stream windows go in its SETTINGS). */
export function widenConnectionWindow(session: Http2Session): void {
  if (session.destroyed) return;
  try {
    session.setLocalWindowSize(H2_CONNECTION_WINDOW_BYTES);
  } catch {
    // A session torn down between the check and the call: nothing to widen.
  }
}

// The stream's callbacks: symbol-keyed, so they are not part of the public surface.
const onData = Symbol('onData');
const onEnd = Symbol('onEnd');
const onDrain = Symbol('onDrain');
const onError = Symbol('onError');
const onClose = Symbol('onClose');
const onFlushed = Symbol('onFlushed');

const NOOP_EVENTS: TransportEvents = {
  data() {},
  end() {},
  drain() {},
  error() {},
  closed() {},
};

/**
 * {@link Transport} over an HTTP/2 stream (`ServerHttp2Stream` once it has responded, or a
 * `ClientHttp2Stream` once its 2xx arrived). Construct it as soon as the stream is handed over
 * (it pauses the stream and listens for errors at once); the session attaches and resumes it.
 *
 * - `write` takes ownership of the chunks until they are flushed: do not modify them.
 * - `bufferedAmount` is the stream's `writableLength`: bytes the peer's flow-control window
 *   has not let out yet count, so `send()` turns false when the peer stops reading.
 * - `drain` fires on the stream's `'drain'`, and also whenever its buffer empties after
 *   holding bytes, so a session whose high-water mark is below the stream's (16 KiB) hears of it.
 * - `error` fires at most once (a reset by the peer, the connection failing); `closed`
 *   follows it (or fires alone) exactly once. Events before `attach` are replayed in a microtask.
 */
export class Http2StreamTransport implements Transport {
  /** The stream this transport drives. */
  readonly stream: Http2Stream;
  private events: TransportEvents = NOOP_EVENTS;
  private attached = false;
  private paused = true;
  private errorSeen: Error | null = null;
  private errorDelivered = false;
  private endSeen = false;
  private endDelivered = false;
  private closedSeen = false;
  private closedDelivered = false;
  /** Bytes were left in the stream's buffer by a write: report `drain` once it empties. */
  private awaitingFlush = false;
  private flushed: (() => void) | null = null;

  constructor(stream: Http2Stream) {
    this.stream = stream;
    stream.pause();
    // Module-level listeners find this transport through the stream: no closures per stream.
    (stream as StreamWithTransport)[TRANSPORT] = this;
    stream.on('data', streamOnData);
    stream.on('end', streamOnEnd);
    stream.on('drain', streamOnDrain);
    stream.on('error', streamOnError);
    stream.on('close', streamOnClose);
    if (stream.closed || stream.destroyed) this.closedSeen = true;
  }

  attach(events: TransportEvents): void {
    if (this.attached) throw new Error('Http2StreamTransport.attach called twice');
    this.attached = true;
    this.events = events;
    if (this.errorSeen !== null || this.closedSeen) queueMicrotask(() => this.deliverTeardown());
    if (!this.paused) this.resume();
  }

  get bufferedAmount(): number {
    return this.stream.writableLength;
  }

  write(chunks: readonly Uint8Array[]): void {
    const stream = this.stream;
    if (stream.destroyed || stream.writableEnded || chunks.length === 0) return;
    // Made on the first write: a stream that never writes does not pay for the closure.
    if (this.flushed === null) this.flushed = () => this[onFlushed]();
    const flushed = this.flushed;
    if (chunks.length === 1) {
      stream.write(chunks[0]!, flushed);
    } else {
      let total = 0;
      for (const chunk of chunks) total += chunk.length;
      if (total < CONCAT_BELOW) {
        stream.write(Buffer.concat(chunks, total), flushed);
      } else {
        // Corked writes reach nghttp2 together, so header and payload share DATA frames.
        stream.cork();
        const last = chunks.length - 1;
        for (let i = 0; i < last; i++) stream.write(chunks[i]!);
        stream.write(chunks[last]!, flushed);
        stream.uncork();
      }
    }
    if (stream.writableLength > 0) this.awaitingFlush = true;
  }

  end(): void {
    // RFC 8441 §5: the orderly TCP close maps to END_STREAM.
    const stream = this.stream;
    if (stream.destroyed || stream.writableEnded) return;
    stream.end(() => {
      // Once our END_STREAM is out nothing we could still read matters (our close is sent), and a
      // peer such as undici waits for the stream to close rather than ending its own half: say
      // we are done with RST_STREAM NO_ERROR (RFC 9113 §8.1), the HTTP/2 way to stop a request body.
      if (!stream.destroyed && !stream.closed && !stream.readableEnded)
        stream.close(constants.NGHTTP2_NO_ERROR);
    });
  }

  destroy(): void {
    // RFC 8441 §5: an abrupt TCP close (RST) maps to RST_STREAM; CANCEL says we gave up on it.
    const stream = this.stream;
    if (stream.destroyed) return;
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    stream.destroy();
  }

  pause(): void {
    this.paused = true;
    this.stream.pause();
  }

  resume(): void {
    this.paused = false;
    if (!this.attached || this.stream.destroyed) return;
    this.stream.resume();
    // END_STREAM may have been read before the handover; `end` will not fire again.
    if (this.stream.readableEnded && !this.endSeen) {
      this.endSeen = true;
      queueMicrotask(() => this[onEnd]());
    }
  }

  [onData](bytes: Buffer): void {
    if (this.paused) {
      // Only possible if someone resumed the stream behind our back: keep the order.
      this.stream.pause();
      this.stream.unshift(bytes);
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

  [onFlushed](): void {
    const stream = this.stream;
    // With writableNeedDrain set node emits 'drain' itself, right after this callback.
    if (!this.awaitingFlush || stream.writableLength > 0 || stream.writableNeedDrain || stream.destroyed)
      return;
    this.awaitingFlush = false;
    this.events.drain();
  }

  [onError](error: Error): void {
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

interface StreamWithTransport extends Http2Stream {
  [TRANSPORT]: Http2StreamTransport;
}

function streamOnData(this: StreamWithTransport, bytes: Buffer): void {
  this[TRANSPORT][onData](bytes);
}

function streamOnEnd(this: StreamWithTransport): void {
  this[TRANSPORT][onEnd]();
}

function streamOnDrain(this: StreamWithTransport): void {
  this[TRANSPORT][onDrain]();
}

function streamOnError(this: StreamWithTransport, error: Error): void {
  this[TRANSPORT][onError](error);
}

function streamOnClose(this: StreamWithTransport): void {
  this[TRANSPORT][onClose]();
}
