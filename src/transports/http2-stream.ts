// A Transport over one `node:http2` stream (RFC 8441: after the extended CONNECT's 2xx, the
// stream's DATA frames carry the WebSocket's bytes). Server and client streams alike. A batch
// of chunks is one write (small batches copied into one buffer, larger ones corked); the
// stream's writable buffer follows HTTP/2 flow control, so `bufferedAmount` and `drain` give
// the session the peer's window as backpressure. `end()` sends END_STREAM (then RST_STREAM
// NO_ERROR if the peer's half is still open), `destroy()` RST_STREAM with CANCEL. The stream
// is paused from construction until `resume()`.
import { constants, type Http2Session, type Http2Stream } from 'node:http2';
import { DuplexTransport } from './duplex-transport.js';

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

/**
 * {@link Transport} over an HTTP/2 stream (`ServerHttp2Stream` once it has responded, or a
 * `ClientHttp2Stream` once its 2xx arrived). Construct it as soon as the stream is handed over
 * (it pauses the stream and listens for errors at once); the session attaches and resumes it.
 *
 * - `write` takes ownership of the chunks until they are flushed: do not modify them.
 * - `bufferedAmount` is the stream's `writableLength`: bytes the peer's flow-control window
 *   has not let out yet count, so `send()` turns false when the peer stops reading.
 * - `error` fires at most once (a reset by the peer, the connection failing); `closed`
 *   follows it (or fires alone) exactly once. Events before `attach` are replayed in a microtask.
 */
export class Http2StreamTransport extends DuplexTransport<Http2Stream> {
  /** The stream this transport drives. */
  get stream(): Http2Stream {
    return this.duplex;
  }

  end(): void {
    // RFC 8441 §5: the orderly TCP close maps to END_STREAM.
    const stream = this.duplex;
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
    const stream = this.duplex;
    if (stream.destroyed) return;
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    stream.destroy();
  }
}
