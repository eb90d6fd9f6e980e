// createServer: the reference HTTP/1.1 acceptor. It listens on a raw net/tls server, reads
// each request head itself (RequestHeadReader: strict, bounded, timed), completes the
// WebSocket handshake and runs one session per connection. No node:http on this path.
//
// A connection is handshaking (head being read, `verify` running) until it is upgraded,
// refused or dropped; upgraded connections are in `sessions` until their socket closes.
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { encodeClosePayload } from '../codec/close-codes.js';
import { bodyFramingError, RequestHeadReader } from '../handshake/request-head.js';
import { DEFAULT_CLOSE_TIMEOUT } from '../session/options.js';
import type { Session } from '../session/types.js';
import { SocketTransport } from '../transports/net-socket.js';
import { completeUpgrade } from './complete-upgrade.js';
import { H2Acceptor } from './h2-acceptor.js';
import { closeEverySession, type ListenInfo, listenOn, listenRefusal, stopListening } from './listening.js';
import { type ListenerSettings, validateServerOptions } from './options.js';
import { answerAndClose } from './rejection.js';
import type { ServerOptions } from './types.js';

// A reset in the middle of the handshake is routine: nothing to report.
const ignoreError = (): void => {};

export type { ListenInfo } from './listening.js';

/** A listening WebSocket server built by {@link createServer}. */
export interface WebSocketServer<Context = unknown> {
  /** Starts listening. Rejects with the listener's error (e.g. `EADDRINUSE`); once only. */
  listen(): Promise<ListenInfo>;
  /**
   * Stops accepting, drops connections still in their handshake, closes every session with
   * `code` (default 1001, "going away") and `reason` (default `server shutting down`), and
   * resolves once every connection is gone. Sessions whose peer does not answer the close are
   * dropped after the session's `closeTimeout` (default 5 s). Idempotent.
   *
   * @throws RangeError or TypeError for a code that may not be sent or a reason over 123 bytes.
   */
  close(code?: number, reason?: string): Promise<void>;
  /** The upgraded sessions; each leaves the set when its connection closes. */
  readonly sessions: ReadonlySet<Session<Context>>;
  /** The bound address, or `null` before `listen()` and after `close()`. */
  address(): net.AddressInfo | null;
}

/**
 * Creates a WebSocket server (not yet listening):
 *
 * ```ts
 * const server = createServer({ port: 8080, handler: { message: (s, data) => s.send(data) } });
 * const { url } = await server.listen();
 * ```
 *
 * Each connection must send its request head within `handshakeTimeout` (default 10 s) or is
 * dropped. The head is read strictly (RFC 9112): CRLF line ends, no obsolete folding, no
 * whitespace before a colon, no body. Refusals carry `Connection: close` and a plain-text body
 * stating the reason: 400 (malformed, not an upgrade, bad key), 405 (not GET), 426 (version
 * other than 13), 505 (an HTTP major version other than 1), 431 (head over `maxHeadBytes`, default 16 KiB, or more than `maxHeaders`
 * header lines, default 100). `verify` refusals are answered as `handleUpgrade` describes.
 * Bytes that follow the head in the same packet reach the session first.
 *
 * Defaults: host `127.0.0.1`, port 0 (a free port), plain `ws://` unless `tls` is given;
 * session options as in `SessionOptions`. Sessions are activated as soon as they are upgraded.
 *
 * With `http2: true` (needs `tls`) the server is an `http2.createSecureServer` with
 * `allowHTTP1` that advertises SETTINGS_ENABLE_CONNECT_PROTOCOL: ALPN `h2` connections carry
 * WebSockets as extended CONNECT streams (RFC 8441, answered as `handleConnect` describes; other
 * HTTP/2 requests go to `onRequest`), and HTTP/1.1 connections on the same port are upgraded as
 * `handleUpgrade` describes (node:http reads their heads; a plain request gets 426).
 *
 * @throws TypeError or RangeError for an invalid option, naming it.
 */
export function createServer<Context = unknown>(options: ServerOptions<Context>): WebSocketServer<Context> {
  const settings = validateServerOptions(options as ServerOptions<unknown>);
  return options.http2 === true ? new H2Acceptor(options, settings) : new Acceptor(options, settings);
}

const ACCEPTOR = Symbol('wasmws.acceptor');
const SESSION = Symbol('wasmws.session');

interface AcceptedSocket extends net.Socket {
  [ACCEPTOR]: Acceptor<unknown>;
  [SESSION]?: Session<unknown>;
}

// 'close' fires once per socket, so `on` rather than `once` (which wraps per call).
function acceptedSocketOnClose(this: AcceptedSocket): void {
  this[ACCEPTOR].forget(this);
}

/**
 * An upgraded socket's transport, which also tells the acceptor when the socket closes: the
 * acceptor's own 'close' listener goes, so the socket keeps one listener rather than two and
 * an array for them.
 */
class AcceptedTransport extends SocketTransport {
  constructor(
    socket: net.Socket,
    private readonly acceptor: Acceptor<unknown>,
  ) {
    super(socket);
    socket.off('close', acceptedSocketOnClose);
  }

  protected override duplexClosed(): void {
    this.acceptor.forget(this.duplex as net.Socket);
  }
}

class Acceptor<Context> implements WebSocketServer<Context> {
  readonly sessions = new Set<Session<Context>>();
  private readonly options: ServerOptions<Context>;
  private readonly settings: ListenerSettings;
  private readonly server: net.Server;
  /** Every open connection, handshaking or upgraded, so `close()` can drop stragglers. */
  private readonly connections = new Set<Duplex>();
  private readonly handshaking = new Set<Duplex>();
  private readonly handshakeTimers = new Map<Duplex, ReturnType<typeof setTimeout>>();
  private listening = false;
  private closing: Promise<void> | null = null;
  private allClosed: (() => void) | null = null;

  constructor(options: ServerOptions<Context>, settings: ListenerSettings) {
    this.options = options;
    this.settings = settings;
    // allowHalfOpen: a client's FIN must reach the session as an end of stream, not make
    // node end our side before the close handshake has run (RFC 6455 §7.1.1). A TLS socket
    // is made half-open only once its handshake succeeded: a FIN mid-handshake must close it.
    if (options.tls !== undefined) {
      const server = tls.createServer({
        ...options.tls,
        allowHalfOpen: false,
        handshakeTimeout: settings.handshakeTimeout,
      });
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        socket.allowHalfOpen = true;
        this.onConnection(socket);
      });
      // A failed TLS handshake (bad certificate, timeout, garbage, FIN mid-handshake): with
      // a listener node leaves the socket to us, so destroy it, or it is kept forever.
      server.on('tlsClientError', destroyFailedTlsSocket);
      this.server = server;
    } else {
      this.server = net.createServer({ allowHalfOpen: true }, this.onConnection);
    }
    // After listen() succeeded, errors of the listening socket have nobody else to go to.
    this.server.on('error', (error) => {
      if (this.server.listening) this.report(error);
    });
  }

  listen(): Promise<ListenInfo> {
    if (this.listening || this.closing !== null) return Promise.reject(listenRefusal(this.closing !== null));
    this.listening = true;
    return listenOn(
      this.server,
      this.settings.port,
      this.settings.host,
      this.options.tls !== undefined,
    ).catch((error: unknown) => {
      this.listening = false;
      throw error;
    });
  }

  close(code = 1001, reason = 'server shutting down'): Promise<void> {
    if (this.closing !== null) return this.closing;
    // Misuse throws at once (RFC 6455 §7.4.1: 1005, 1006 and 1015 may not be sent; a reason
    // fits in 123 bytes), before anything is torn down.
    encodeClosePayload(code, reason);
    this.closing = this.shutDown(code, reason);
    return this.closing;
  }

  address(): net.AddressInfo | null {
    const address = this.server.address();
    return typeof address === 'object' ? address : null;
  }

  private async shutDown(code: number, reason: string): Promise<void> {
    // Resolves once every connection has closed (or at once if not listening).
    const stopped = stopListening(this.server);
    for (const socket of this.handshaking) socket.destroy();
    closeEverySession(this.sessions, code, reason);
    // A peer that never answers the close is dropped by its session's close timer; this
    // bounds the wait even when that timer is off.
    const grace = setTimeout(() => {
      for (const socket of this.connections) socket.destroy();
    }, this.options.closeTimeout || DEFAULT_CLOSE_TIMEOUT);
    grace.unref();
    await stopped;
    // The listener reports 'close' before the sockets' own 'close' events have run; wait for
    // those too, so every handler.close has fired when close() resolves.
    if (this.connections.size > 0) await new Promise<void>((resolve) => (this.allClosed = resolve));
    clearTimeout(grace);
    this.listening = false;
  }

  private readonly makeTransport = (socket: Duplex): SocketTransport =>
    new AcceptedTransport(socket as net.Socket, this as Acceptor<unknown>);

  private readonly onConnection = (socket: net.Socket): void => {
    // A reset in the middle of the handshake is routine, not a crash.
    socket.on('error', ignoreError);
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    this.handshaking.add(socket);
    // One module-level 'close' listener finds the acceptor (and, once upgraded, the session)
    // through the socket: no closure, bound `once` wrapper or captured head reader per connection.
    (socket as AcceptedSocket)[ACCEPTOR] = this as Acceptor<unknown>;
    socket.on('close', acceptedSocketOnClose);
    this.readHead(socket);
  };

  /** Reads the request head, then answers it or hands the socket to a session. */
  private readHead(socket: net.Socket): void {
    const timer = setTimeout(() => socket.destroy(), this.settings.handshakeTimeout);
    this.handshakeTimers.set(socket, timer);
    const reader = new RequestHeadReader(this.settings);
    const stopReading = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
    };
    const onData = (chunk: Buffer) => {
      const result = reader.push(chunk);
      if (result.state === 'more') return;
      stopReading();
      if (result.state === 'failed') {
        this.stopHandshakeTimer(socket);
        answerAndClose(socket, { status: result.status, reason: result.reason, headers: [] });
        return;
      }
      const bodyError = bodyFramingError(result.head.headers);
      if (bodyError !== null) {
        this.stopHandshakeTimer(socket);
        answerAndClose(socket, { status: 400, reason: bodyError, headers: [] });
        return;
      }
      socket.off('error', ignoreError);
      void completeUpgrade<Context>({
        socket,
        request: result.head,
        head: result.rest,
        handler: this.options.handler,
        options: this.options,
        wanted: () => this.closing === null,
        register: (session) => this.adopt(socket, session),
        transport: this.makeTransport,
      }).finally(() => this.stopHandshakeTimer(socket));
    };
    // A client that ends its side before finishing the head has nothing more to say.
    const onEnd = () => socket.destroy();
    socket.on('data', onData);
    socket.on('end', onEnd);
  }

  private adopt(socket: net.Socket, session: Session<Context>): void {
    this.handshaking.delete(socket);
    this.sessions.add(session);
    (socket as AcceptedSocket)[SESSION] = session as Session<unknown>;
  }

  private stopHandshakeTimer(socket: net.Socket): void {
    clearTimeout(this.handshakeTimers.get(socket));
    this.handshakeTimers.delete(socket);
  }

  /** @internal The socket closed: it leaves every set (and its session, if upgraded, `sessions`). */
  forget(socket: net.Socket): void {
    const session = (socket as AcceptedSocket)[SESSION];
    if (session !== undefined) this.sessions.delete(session as Session<Context>);
    this.stopHandshakeTimer(socket);
    this.connections.delete(socket);
    this.handshaking.delete(socket);
    if (this.connections.size === 0) this.allClosed?.();
  }

  private report(error: Error): void {
    try {
      this.options.onError?.(error);
    } catch {
      // An error reporter that throws has nothing more to tell.
    }
  }
}

function destroyFailedTlsSocket(_error: Error, socket: tls.TLSSocket): void {
  socket.destroy();
}
