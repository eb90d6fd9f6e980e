// createServer({ http2: true, tls }): WebSockets over HTTP/2 (RFC 8441) and HTTP/1.1 upgrades on
// one TLS port. An `http2.createSecureServer` with `allowHTTP1` advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL; ALPN `h2` connections bring extended CONNECT streams
// (`'stream'` event → completeConnect), `http/1.1` (or no ALPN) connections are node:http's
// and bring upgrades (`'upgrade'` event → completeUpgrade, as handleUpgrade does).
//
// A stream or socket is handshaking until its session is registered, refused or dropped;
// registered sessions are in `sessions` until their stream or socket closes. Every TLS
// socket (h2 or h1) is tracked, so close() can wait for all of them and drop stragglers.
import type * as http1 from 'node:http';
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type * as tls from 'node:tls';
import { encodeClosePayload } from '../codec/close-codes.js';
import { DEFAULT_CLOSE_TIMEOUT } from '../session/options.js';
import type { Session } from '../session/types.js';
import { H2_STREAM_WINDOW_BYTES, widenConnectionWindow } from '../transports/http2-stream.js';
import { completeUpgrade } from './complete-upgrade.js';
import { answerStream, completeConnect } from './handle-connect.js';
import {
  closeEverySession,
  type ListenInfo,
  listenOn,
  listenRefusal,
  stopListening,
  type WebSocketServer,
} from './listening.js';
import type { ListenerSettings } from './options.js';
import type { ServerOptions } from './types.js';

const ACCEPTOR = Symbol('wasmws.h2acceptor');
const SESSION = Symbol('wasmws.session');

interface Tracked {
  [ACCEPTOR]: H2Acceptor<unknown>;
  [SESSION]?: Session<unknown>;
}

// A reset or a failing peer is routine: its stream or socket closes, nothing to report.
const ignoreError = (): void => {};

// Module-level 'close' listeners find the acceptor through the stream or socket: no closure
// per connection or stream.
function trackedSocketOnClose(this: tls.TLSSocket & Tracked): void {
  this[ACCEPTOR].forgetSocket(this);
}

function trackedStreamOnClose(this: http2.ServerHttp2Stream & Tracked): void {
  this[ACCEPTOR].forgetStream(this);
}

function h2SocketOnFinish(this: tls.TLSSocket): void {
  this.destroy();
}

function h2SessionOnClose(this: http2.ServerHttp2Session & Tracked): void {
  this[ACCEPTOR].forgetH2Session(this);
}

/** The HTTP/2-and-HTTP/1.1 acceptor behind `createServer({ http2: true })`. */
export class H2Acceptor<Context> implements WebSocketServer<Context> {
  readonly sessions = new Set<Session<Context>>();
  private readonly options: ServerOptions<Context>;
  private readonly settings: ListenerSettings;
  private readonly server: http2.Http2SecureServer;
  /** Every TLS socket past its handshake, h2 and h1. */
  private readonly sockets = new Set<Duplex>();
  private readonly h2Sessions = new Set<http2.ServerHttp2Session>();
  /** CONNECT streams and upgrade sockets whose handshake is running. */
  private readonly handshaking = new Set<http2.ServerHttp2Stream | Duplex>();
  private listening = false;
  private closing: Promise<void> | null = null;
  private allClosed: (() => void) | null = null;

  constructor(options: ServerOptions<Context>, settings: ListenerSettings) {
    this.options = options;
    this.settings = settings;
    const server = http2.createSecureServer({
      ...options.tls!,
      // HTTP/1.1 on the same port: ALPN http/1.1 (or none) goes to node:http's parser.
      allowHTTP1: true,
      // RFC 8441 §3: clients may send :protocol only after this setting arrived.
      settings: {
        enableConnectProtocol: true,
        initialWindowSize: H2_STREAM_WINDOW_BYTES,
        maxFrameSize: 65536,
      },
      handshakeTimeout: settings.handshakeTimeout,
    });
    server.on('secureConnection', this.onSecureConnection);
    server.on('session', this.onSession);
    server.on('stream', this.onStream);
    server.on('upgrade', this.onUpgrade);
    answerPlainHttp1(server);
    server.on('error', (error) => {
      if (server.listening) this.report(error);
    });
    this.server = server;
  }

  listen(): Promise<ListenInfo> {
    if (this.listening || this.closing !== null) return Promise.reject(listenRefusal(this.closing !== null));
    this.listening = true;
    return listenOn(this.server, this.settings.port, this.settings.host, true).catch((error: unknown) => {
      this.listening = false;
      throw error;
    });
  }

  close(code = 1001, reason = 'server shutting down'): Promise<void> {
    if (this.closing !== null) return this.closing;
    // Misuse throws at once (RFC 6455 §7.4.1), before anything is torn down.
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
    for (const pending of this.handshaking) destroyPending(pending);
    closeEverySession(this.sessions, code, reason);
    // GOAWAY: no new streams; each HTTP/2 connection closes once its WebSocket streams have.
    for (const h2Session of this.h2Sessions) h2Session.close();
    // HTTP/1.1 connections that carry no session (idle keep-alive) have nothing to finish.
    for (const socket of this.sockets) {
      if ((socket as unknown as Tracked)[SESSION] === undefined && !isH2Socket(socket)) socket.destroy();
    }
    const grace = setTimeout(() => {
      for (const h2Session of this.h2Sessions) h2Session.destroy();
      for (const socket of this.sockets) socket.destroy();
    }, this.options.closeTimeout || DEFAULT_CLOSE_TIMEOUT);
    grace.unref();
    await stopped;
    if (this.sockets.size > 0) await new Promise<void>((resolve) => (this.allClosed = resolve));
    clearTimeout(grace);
    this.listening = false;
  }

  private readonly onSecureConnection = (socket: tls.TLSSocket): void => {
    socket.on('error', ignoreError);
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    (socket as tls.TLSSocket & Tracked)[ACCEPTOR] = this as H2Acceptor<unknown>;
    // node ends the socket of a finished HTTP/2 session (after GOAWAY) but waits for the
    // client's FIN; a client that keeps a stream it never read would hold the socket forever.
    if (socket.alpnProtocol === 'h2') socket.on('finish', h2SocketOnFinish);
    socket.on('close', trackedSocketOnClose);
  };

  private readonly onSession = (h2Session: http2.ServerHttp2Session): void => {
    h2Session.on('error', ignoreError);
    if (this.closing !== null) {
      h2Session.close();
      return;
    }
    this.h2Sessions.add(h2Session);
    widenConnectionWindow(h2Session);
    (h2Session as http2.ServerHttp2Session & Tracked)[ACCEPTOR] = this as H2Acceptor<unknown>;
    h2Session.on('close', h2SessionOnClose);
  };

  private readonly onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void => {
    stream.on('error', ignoreError);
    if (this.closing !== null) {
      // RFC 9113 §8.7: REFUSED_STREAM tells the client nothing was processed.
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const onRequest = this.options.onRequest;
    if (onRequest !== undefined && headers[':method'] !== 'CONNECT') {
      try {
        onRequest(stream, headers);
      } catch (error) {
        this.report(error instanceof Error ? error : new Error(String(error)));
        answerStream(stream, { status: 500, reason: 'Internal Server Error', headers: [] });
      }
      return;
    }
    this.handshaking.add(stream);
    (stream as http2.ServerHttp2Stream & Tracked)[ACCEPTOR] = this as H2Acceptor<unknown>;
    stream.on('close', trackedStreamOnClose);
    const timer = setTimeout(() => destroyPending(stream), this.settings.handshakeTimeout);
    void completeConnect<Context>({
      stream,
      headers,
      handler: this.options.handler,
      options: this.options,
      wanted: () => this.closing === null,
      register: (session) => {
        this.handshaking.delete(stream);
        this.sessions.add(session);
        (stream as http2.ServerHttp2Stream & Tracked)[SESSION] = session as Session<unknown>;
      },
    }).finally(() => {
      clearTimeout(timer);
      this.handshaking.delete(stream);
    });
  };

  private readonly onUpgrade = (
    req: http2.Http2ServerRequest | http1.IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): void => {
    const request = req as http1.IncomingMessage;
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    // node:http's idle timeout; the session has its own.
    (socket as Partial<net.Socket>).setTimeout?.(0);
    this.handshaking.add(socket);
    const timer = setTimeout(() => socket.destroy(), this.settings.handshakeTimeout);
    void completeUpgrade<Context>({
      socket,
      request: {
        method: request.method ?? '',
        path: request.url ?? '/',
        httpVersion: request.httpVersion,
        headers: request.headers,
      },
      head,
      handler: this.options.handler,
      options: this.options,
      wanted: () => this.closing === null,
      register: (session) => {
        this.handshaking.delete(socket);
        this.sessions.add(session);
        (socket as unknown as Tracked)[SESSION] = session as Session<unknown>;
      },
    }).finally(() => {
      clearTimeout(timer);
      this.handshaking.delete(socket);
    });
  };

  /** @internal A TLS socket closed: its session (if it carried an upgrade) leaves `sessions`. */
  forgetSocket(socket: Duplex): void {
    const session = (socket as unknown as Tracked)[SESSION];
    if (session !== undefined) this.sessions.delete(session as Session<Context>);
    this.handshaking.delete(socket);
    this.sockets.delete(socket);
    if (this.sockets.size === 0) this.allClosed?.();
  }

  /** @internal A CONNECT stream closed: its session leaves `sessions`. */
  forgetStream(stream: http2.ServerHttp2Stream): void {
    const session = (stream as http2.ServerHttp2Stream & Tracked)[SESSION];
    if (session !== undefined) this.sessions.delete(session as Session<Context>);
    this.handshaking.delete(stream);
  }

  /** @internal An HTTP/2 connection closed. */
  forgetH2Session(h2Session: http2.ServerHttp2Session): void {
    this.h2Sessions.delete(h2Session);
  }

  private report(error: Error): void {
    try {
      this.options.onError?.(error);
    } catch {
      // An error reporter that throws has nothing more to tell.
    }
  }
}

function isH2Socket(socket: Duplex): boolean {
  return (socket as tls.TLSSocket).alpnProtocol === 'h2';
}

function destroyPending(pending: http2.ServerHttp2Stream | Duplex): void {
  if ('respond' in pending) {
    if (!pending.destroyed) pending.close(http2.constants.NGHTTP2_CANCEL);
  } else {
    pending.destroy();
  }
}

/**
 * Answers plain HTTP/1.1 requests (not upgrades) with 426. node only emits them as `'request'`,
 * and adding a `'request'` listener to an HTTP/2 server also installs node's compatibility
 * `'stream'` listener, which answers every extended CONNECT with 405 (nodejs/node#36977): that
 * listener is taken off again at once, so HTTP/2 streams stay ours.
 */
function answerPlainHttp1(server: http2.Http2SecureServer): void {
  const before = new Set(server.listeners('stream'));
  server.on('request', answerUpgradeRequired);
  for (const listener of server.listeners('stream')) {
    if (!before.has(listener)) server.off('stream', listener as (...args: unknown[]) => void);
  }
}

const UPGRADE_REQUIRED =
  'This is a WebSocket endpoint: upgrade to websocket or use an HTTP/2 extended CONNECT.\n';

function answerUpgradeRequired(req: http1.IncomingMessage, res: http1.ServerResponse): void {
  // Only HTTP/1.1 requests get here: HTTP/2 streams never reach the compatibility layer.
  if (req.httpVersionMajor === 2) return;
  res.writeHead(426, {
    upgrade: 'websocket',
    connection: 'close',
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(UPGRADE_REQUIRED),
  });
  res.end(UPGRADE_REQUIRED);
}
