// The options and request shape shared by `handleUpgrade` and `createServer`.
import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { DeflateOptions } from '../extensions/permessage-deflate.js';
import type { HeaderList, HeaderMap } from '../handshake/http1.js';
import type { Handler, SessionOptions } from '../session/types.js';

/**
 * What the `verify` hook sees of an opening handshake that passed validation: an HTTP/1.1
 * upgrade (RFC 6455 §4.2.1) or an HTTP/2 extended CONNECT (RFC 8441 §4-5).
 */
export interface UpgradeRequestInfo {
  /** `GET` over HTTP/1.1, `CONNECT` over HTTP/2 (anything else was refused with 405). */
  method: string;
  /** The request target in origin-form (`:path` over HTTP/2): path and query, e.g. `/feed?x=1`. */
  path: string;
  /** The HTTP version without the `HTTP/` prefix: `1.1`, or `2.0` for an extended CONNECT. */
  httpVersion: string;
  /** Request headers, lower-case names (pseudo-headers included over HTTP/2); a repeated header is an array. */
  headers: HeaderMap;
  /** The `Host` header, or `:authority` over HTTP/2. */
  host: string;
  /** The `Origin` header, if any (browsers always send it: check it against CSRF-style abuse). */
  origin: string | undefined;
  /** The subprotocols the client offers, in its order; empty if none. */
  protocols: readonly string[];
  /** The peer's address, when the socket knows it. */
  remoteAddress: string | undefined;
  /** The connection is TLS. */
  secure: boolean;
  /** The HTTP/2 connection the extended CONNECT arrived on; `undefined` over HTTP/1.1. */
  http2Session?: ServerHttp2Session;
  /** node's `IncomingMessage`, with `handleUpgrade` (not with `createServer`, which reads heads itself). */
  request?: IncomingMessage;
}

/**
 * Decides whether to accept an upgrade. What it returns (or resolves to) becomes
 * `session.context`. To refuse, throw or reject with `{ status, reason?, headers? }` (or a
 * {@link HandshakeRejection}); see `handleUpgrade` for how other failures are answered.
 */
export type VerifyHook<Context> = (request: UpgradeRequestInfo) => Context | Promise<Context>;

/**
 * Picks the subprotocol: the server's list in preference order, or a function of the offer (in
 * the client's order) and the request; it returns one of the offered names, or `undefined` for none.
 */
export type ProtocolSelector =
  | readonly string[]
  | ((offered: string[], request: UpgradeRequestInfo) => string | undefined);

/** Options of `handleUpgrade`: session options plus the handshake's own. */
export interface UpgradeOptions<Context = unknown> extends SessionOptions {
  /** Called after validation, before the 101; its result becomes `session.context`. Default: none (context `undefined`). */
  verify?: VerifyHook<Context>;
  /** Subprotocols to accept (RFC 6455 §4.2.2 item 5.4). Default: none, whatever the client offers. */
  protocols?: ProtocolSelector;
  /**
   * permessage-deflate (RFC 7692): `true` or settings to accept a client's offer, `false` to
   * decline every offer. Default false (compression costs memory per connection: opt in).
   */
  deflate?: boolean | DeflateOptions;
  /**
   * Extra headers for the 101 answer (e.g. `Set-Cookie`), given the request and the handshake's
   * own headers; they may not repeat those. Default: none.
   */
  responseHeaders?: (request: UpgradeRequestInfo, headers: Readonly<HeaderList>) => HeaderList | undefined;
  /** Call `session.activate()` before returning it. Default true. */
  activate?: boolean;
  /** Hears errors that belong to no session: a `verify` hook that threw an Error, a failing listener. Default: ignored. */
  onError?: (error: Error) => void;
}

/** TLS options for `createServer`: Node's secure-context options, with a certificate and key required. */
export type ServerTlsOptions = SecureContextOptions &
  Pick<TlsOptions, 'ALPNProtocols' | 'SNICallback' | 'requestCert' | 'rejectUnauthorized'> & {
    cert: NonNullable<SecureContextOptions['cert']>;
    key: NonNullable<SecureContextOptions['key']>;
  };

/** Options of `createServer`. */
export interface ServerOptions<Context = unknown> extends Omit<UpgradeOptions<Context>, 'activate'> {
  /** The application's callbacks, one handler for every session. Required. */
  handler: Handler<Context>;
  /** Address to listen on. Default `127.0.0.1` (use `0.0.0.0` or `::` to serve other hosts). */
  host?: string;
  /** Port to listen on; 0 picks a free one (`listen()` reports it). Default 0. */
  port?: number;
  /** Serve `wss://`: a certificate and key (PEM) and other secure-context options. Default: plain `ws://`. */
  tls?: ServerTlsOptions;
  /** Largest request head (request line, headers and the blank line); larger gets 431. Default 16 KiB. */
  maxHeadBytes?: number;
  /** Most header lines in a request; more gets 431. Default 100. */
  maxHeaders?: number;
  /**
   * Time from connection (or TLS handshake) to an accepted upgrade, `verify` included; a
   * client that takes longer is dropped without an answer (over HTTP/2: from the CONNECT
   * stream's arrival, and the stream is reset). Default 10 000 ms.
   */
  handshakeTimeout?: number;
  /**
   * Serve WebSockets over HTTP/2 (RFC 8441) and HTTP/1.1 upgrades on the same TLS port (ALPN
   * `h2` or `http/1.1`); needs `tls`. The server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL.
   * Default false (HTTP/1.1 only, our own head reader).
   */
  http2?: boolean;
  /**
   * With `http2`: answers HTTP/2 requests that are not extended CONNECTs (e.g. a browser loading
   * a page, which Chromium needs before it will open a WebSocket over HTTP/2). Default: 405 with
   * `allow: CONNECT` (and 426 for a plain HTTP/1.1 request).
   */
  onRequest?: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;
}
