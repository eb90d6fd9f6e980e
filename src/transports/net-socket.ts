// A Transport over a Node `net.Socket` or `tls.TLSSocket` (any Duplex works; sockets get
// Nagle turned off). A batch of chunks leaves in one system call: small batches are copied
// into one buffer, larger ones are corked and go out as one writev. The socket is paused
// from construction until `resume()`, so no byte is read before the session wants it.
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DuplexTransport, onReadInPlace, transportOf } from './duplex-transport.js';
import { readSocketInPlace } from './read-in-place.js';

export { CONCAT_BELOW } from './duplex-transport.js';

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
 * - `end()` half-closes after pending writes (FIN); `destroy()` closes at once.
 */
export class SocketTransport extends DuplexTransport {
  constructor(socket: Socket | Duplex) {
    super(socket);
    // Frames are whole messages already; Nagle would only delay them (a small frame after
    // a write waits an RTT for the ACK).
    (socket as Partial<Socket>).setNoDelay?.(true);
  }

  /** A `net.Socket` (TLS included) reads each chunk into fresh memory that it never touches again. */
  get freshChunks(): boolean {
    return this.duplex instanceof Socket;
  }

  /**
   * Reads into `target` from now on (a plain TCP socket only; see read-in-place.ts), each read
   * reported through `receivedInPlace`; false when this socket cannot.
   */
  readInto(target: Uint8Array): boolean {
    const socket = this.duplex;
    if (!(socket instanceof Socket) || !this.canReceiveInPlace()) return false;
    if (!readSocketInPlace(socket, target, socketReadInPlace)) return false;
    this.readTarget = target;
    return true;
  }

  /** The socket this transport drives. */
  get socket(): Duplex {
    return this.duplex;
  }

  end(): void {
    if (!this.duplex.destroyed && !this.duplex.writableEnded) this.duplex.end();
  }

  destroy(): void {
    this.duplex.destroy();
  }
}

function socketReadInPlace(this: Socket, length: number): void {
  transportOf(this)[onReadInPlace](length);
}
