// The seams of the session layer: what a transport offers, what a handler implements,
// and the options a session takes. Node glue implements Transport; facades wrap Session.
import type { WebSocketError } from '../codec/errors.js';

/** Callbacks a transport drives. Each fires on the transport's own schedule, never re-entrantly from `write`. */
export interface TransportEvents {
  /** Bytes arrived. The buffer may be reused after the call returns. */
  data(bytes: Uint8Array): void;
  /**
   * After {@link Transport.readInto}: `length` bytes were read into its target. Parse them
   * before returning: the target is reused for the next read.
   */
  receivedInPlace?(length: number): void;
  /** The peer ended its side (TCP FIN, HTTP/2 END_STREAM). */
  end(): void;
  /**
   * The transport's write buffer drained below its high-water mark (after it had reached it).
   * A session re-checks its own mark only then, so keep the transport's mark at or below it.
   */
  drain(): void;
  /** A transport-level failure; `closed` follows. */
  error(error: Error): void;
  /** The transport is gone; nothing more will arrive. */
  closed(): void;
}

/** Moves bytes for one connection: a TCP or TLS socket, an HTTP/2 stream, an in-memory pipe. */
export interface Transport {
  /** Installs the callbacks; no `data` is delivered before `resume()`. */
  attach(events: TransportEvents): void;
  /** Writes the buffers in order, in one system call where the transport can. */
  write(chunks: readonly Uint8Array[]): void;
  /** Bytes accepted by `write` and not yet handed to the kernel/peer. */
  readonly bufferedAmount: number;
  /** Half-closes after pending writes flush (TCP FIN, HTTP/2 END_STREAM). */
  end(): void;
  /** Tears the connection down now. */
  destroy(): void;
  /** Stops delivering `data` (backpressure from the consumer). */
  pause(): void;
  /** Starts or restarts delivering `data`. */
  resume(): void;
  /**
   * Each `data` buffer is fresh memory that nobody reads or reuses after the call (a Node
   * socket's chunks): the session may unmask into it and keep views of it. Default false.
   */
  readonly freshChunks?: boolean;
  /**
   * Optional: read straight into `target` from now on and report each read through
   * `receivedInPlace` instead of `data` (a Node TCP socket can; TLS and HTTP/2 cannot).
   * Returns whether it will; call it after `attach`, before the first `resume()`.
   */
  readInto?(target: Uint8Array): boolean;
}

/** Injected time source, so tests drive timeouts without sleeping. */
export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** What the session needs to know of the handshake that created it. */
export interface HandshakeInfo {
  /** Request path and query, e.g. `/feed?x=1`. */
  path: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** Negotiated subprotocol, or `''`. */
  protocol: string;
  /** Negotiated `Sec-WebSocket-Extensions` response value, or `''`. */
  extensions: string;
  /** Bytes that arrived after the handshake head; replayed before anything read later. */
  head?: Uint8Array;
  /** Remote address, when the transport knows it. */
  remoteAddress?: string;
  /** A client session's 101 answer: status, reason phrase and headers (lower-case names). */
  response?: { status: number; statusText: string; headers: Record<string, string | string[]> };
}

/**
 * The application's callbacks. Only `message` is required. A handler that throws is
 * treated as an internal error: the session closes with 1011 and reports it to `error`.
 */
export interface Handler<Context = unknown> {
  /** The session is open (after `activate()`). */
  open?(session: Session<Context>): void;
  /** A whole message: `string` for text (bytes with `textAs: 'bytes'`), `Uint8Array` for binary (owned by the handler). */
  message(session: Session<Context>, data: string | Uint8Array, isBinary: boolean): void;
  /** A ping arrived; the pong has already been queued (unless `autoPong` is false). */
  ping?(session: Session<Context>, data: Uint8Array): void;
  pong?(session: Session<Context>, data: Uint8Array): void;
  /** `bufferedAmount` fell below the high-water mark after `send` returned false. */
  drain?(session: Session<Context>): void;
  /** A protocol violation by the peer, a transport failure, or a handler exception; `close` follows. */
  error?(session: Session<Context>, error: Error | WebSocketError): void;
  /** The session is closed: the peer's code and reason, 1005 when none, 1006 when the connection dropped. */
  close?(session: Session<Context>, code: number, reason: string): void;
}

/** Options of a session (and of `accept`, `connect`, `createServer`). */
export interface SessionOptions {
  /** Largest frame payload; larger closes with 1009. Default 16 MiB. */
  maxFrame?: number;
  /** Largest message; larger closes with 1009. Default 64 MiB. */
  maxMessage?: number;
  /**
   * After sending or receiving a close (or the peer's end of stream), destroy the transport if it
   * has not closed within this. Default 5000 ms; 0 waits forever.
   */
  closeTimeout?: number;
  /** Close with 1001 after this long without receiving anything (pongs count). Default 0 (off). */
  idleTimeout?: number;
  /** Send a ping this often when nothing was received. Default 0 (off); 20000 is a good value. */
  pingInterval?: number;
  /**
   * Drop the connection (1006) when nothing, not even the pong, arrives within this after a
   * keepalive ping. Default 20000 ms; 0 only pings (keeps NAT mappings alive), never drops.
   */
  pongTimeout?: number;
  /** `send` returns false once `bufferedAmount` reaches this. Default 1 MiB. */
  highWaterMark?: number;
  /** Use the WebAssembly kernels. Default true. */
  wasm?: boolean;
  /**
   * Whole-buffer UTF-8 check for single-frame text messages of 1 KiB and more, called on
   * each piece as it arrives (a code point cut between pieces is checked by the kernel).
   * Default: none (the kernel validates all text); the Node entry points pass `buffer.isUtf8`.
   */
  validateUtf8?: (bytes: Uint8Array) => boolean;
  /**
   * How text messages reach `handler.message`: `'string'` (default) decodes them; `'bytes'`
   * hands over their UTF-8 bytes (already checked) as a `Uint8Array` with `isBinary` false, as
   * `ws` hands a Buffer: a relay or echo that forwards text with
   * `send(data, { binary: isBinary })` then never decodes nor re-encodes it.
   */
  textAs?: 'string' | 'bytes';
  /** Time source. Default: the global timers and `Date.now`. */
  clock?: Clock;
  /**
   * Answer each ping with a pong before `handler.ping` runs. Default true; false leaves pings
   * unanswered for the handler to answer (or not) with `session.pong`.
   */
  autoPong?: boolean;
}

/** Told once a sent message was handed to the transport, or why it never will be. */
export type SendCallback = (error?: Error) => void;

/** The session's lifecycle: `connecting` until activate(), then `open`, `closing`, `closed`. */
export type SessionState = 'connecting' | 'open' | 'closing' | 'closed';

/** One WebSocket connection, server or client side. */
export interface Session<Context = unknown> {
  readonly state: SessionState;
  /** `'server'` for accepted sessions, `'client'` for connected ones. */
  readonly role: 'server' | 'client';
  /** What the server's `verify` hook returned, or the client's context option. */
  readonly context: Context;
  /** What the opening handshake said: path, headers, remote address. */
  readonly handshake: HandshakeInfo;
  /** Negotiated subprotocol or `''`. */
  readonly protocol: string;
  /** Negotiated extensions header value or `''`. */
  readonly extensions: string;
  /** Bytes queued on the transport and not yet sent, plus frames waiting for this turn's write. */
  readonly bufferedAmount: number;
  /** The callbacks events go to. */
  readonly handler: Handler<Context>;
  /**
   * Sends every later event to `handler` (a handler per session: call it from the server's
   * `open` or before `activate()`; `open` is not replayed). Throws TypeError without `message`.
   */
  setHandler(handler: Handler<Context>): void;
  /** Start reading (the socket-ownership handshake); `open` fires, then the handshake's `head` is replayed. Idempotent. */
  activate(): void;
  /**
   * Sends a text (string) or binary (Uint8Array) message; `binary` overrides the type (text bytes
   * must be UTF-8); `compress: false` skips permessage-deflate for this message (otherwise
   * messages from the deflate threshold up are compressed when it was negotiated). Returns false at or above the high-water mark (the message is still sent: wait
   * for `drain`), and false without sending once closing. Throws an InvalidStateError before activate().
   * `callback` runs (in a microtask) once the message's frames were handed to the transport, or
   * with an Error if the session was closing or closed before they were.
   */
  send(
    data: string | Uint8Array,
    options?: { binary?: boolean; compress?: boolean },
    callback?: SendCallback,
  ): boolean;
  /** Sends a ping (at most 125 bytes; RangeError beyond). Never held back by backpressure; ignored once closing. */
  ping(data?: Uint8Array | string): void;
  /** Sends an unsolicited pong; pings are answered automatically. */
  pong(data?: Uint8Array | string): void;
  /**
   * Starts the closing handshake; no code sends an empty close (the peer sees 1005). Throws
   * RangeError/TypeError for a code that may not be sent or a reason over 123 bytes, in any state;
   * InvalidStateError before activate(). Does nothing once closing.
   */
  close(code?: number, reason?: string): void;
  /** Drops the connection without a closing handshake; `close` fires with 1006. */
  terminate(): void;
  /** Stops reading from the transport (backpressure); `resume()` undoes it. */
  pause(): void;
  resume(): void;
}
