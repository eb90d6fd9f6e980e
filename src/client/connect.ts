// `connect(url, handler, options)`: the WebSocket client. Opens the socket, runs the opening
// handshake (RFC 6455 §4.1), checks the answer, and returns an activated client session over
// a SocketTransport. Every failure is a ConnectError (or a TypeError/RangeError for bad
// arguments), always as a rejection, and leaves no socket behind.
import type * as http from 'node:http';
import type * as tls from 'node:tls';
import { createZlibCompressor } from '../extensions/deflate-zlib.js';
import {
  acceptDeflateResponse,
  buildDeflateOffer,
  type DeflateOptions,
  PERMESSAGE_DEFLATE,
  resolveDeflateOptions,
} from '../extensions/permessage-deflate.js';
import { DEFAULT_MAX_HEAD_BYTES } from '../handshake/head-bytes.js';
import {
  buildUpgradeRequest,
  generateKey,
  type HeaderList,
  validateUpgradeResponse,
} from '../handshake/http1.js';
import { DEFAULT_MAX_ERROR_BODY } from '../handshake/response-head.js';
import type { SessionCompression } from '../session/compression.js';
import { pickSessionOptions, resolveSessionOptions, systemClock } from '../session/options.js';
import type { WebSocketSession } from '../session/session.js';
import { activateAfterConnect, createClientSession } from '../session/start.js';
import type { Handler, HandshakeInfo, Session, SessionOptions } from '../session/types.js';
import { SocketTransport } from '../transports/net-socket.js';
import { nodeSessionHooks } from '../transports/node-hooks.js';
import { ConnectError } from './connect-error.js';
import { connectOverHttp2 } from './h2-connect.js';
import { type CreateConnection, openHandshakeOverHttp } from './http-handshake.js';
import { openHandshake, type UpgradedSocket } from './opening-handshake.js';
import { parseWebSocketUrl } from './websocket-url.js';

/** Default `handshakeTimeout`: 10 s, from the call to a validated 101 (DNS, TCP and TLS included). */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** The `tls.connect` options `connect` passes through for `wss:` URLs. */
export const TLS_OPTION_NAMES = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'crl',
  'ciphers',
  'ecdhCurve',
  'minVersion',
  'maxVersion',
  'secureContext',
  'rejectUnauthorized',
  'servername',
  'checkServerIdentity',
] as const;

/** TLS settings for `wss:`, passed to `tls.connect` as they are. */
export type ClientTlsOptions = Pick<tls.ConnectionOptions, (typeof TLS_OPTION_NAMES)[number]>;

/** Options of {@link connect}: the session's options, the handshake's, and TLS settings. */
export interface ConnectOptions<Context = unknown> extends SessionOptions, ClientTlsOptions {
  /** Subprotocols to offer (`Sec-WebSocket-Protocol`), most preferred first. Default: none. */
  protocols?: string | readonly string[];
  /** Extra request headers (not the handshake's own). Default: none. */
  headers?: Record<string, string> | HeaderList;
  /** The `Origin` header. Default: none (browsers send one; other clients need not). */
  origin?: string;
  /**
   * Give up when no valid 101 arrived this long after the call, in ms (timed by `clock`, like the
   * session's timers); 0 waits forever. Default 10 000.
   */
  handshakeTimeout?: number;
  /** Largest answer head accepted, in bytes. Default 16 KiB. */
  maxResponseHead?: number;
  /** How much of a refusal's body to keep in `ConnectError.body`, in bytes. Default 4 KiB. */
  maxErrorBody?: number;
  /** Aborts the connection attempt (not the session once connected). */
  signal?: AbortSignal;
  /** Mask key source, one 32-bit key per frame (tests fix it). Default: `crypto.getRandomValues`. */
  maskKeys?: () => number;
  /** Becomes `session.context`. Default `undefined`. */
  context?: Context;
  /**
   * Offer permessage-deflate (RFC 7692): `true` or settings, `false` to offer nothing.
   * Default true, as browsers and `ws` do; the server decides whether it is used.
   */
  deflate?: boolean | DeflateOptions;
  /**
   * Open the WebSocket over HTTP/2 (RFC 8441): as an extended CONNECT stream on one HTTP/2
   * connection per origin, shared by every `http2` connect to it and closed when its last
   * WebSocket closes. `wss:` negotiates `h2` by ALPN; `ws:` uses h2c with prior knowledge. Fails
   * with `WS_ERR_H2_NO_CONNECT_PROTOCOL` when the server's SETTINGS do not allow extended
   * CONNECT. There is no fallback to HTTP/1.1. Default false.
   */
  http2?: boolean;
  /**
   * Send the handshake through this `http.Agent` (`https.Agent` for `wss:`), as node clients use
   * proxies (e.g. an agent that tunnels through an HTTP CONNECT proxy). Default: none, a socket
   * of our own.
   */
  agent?: http.Agent;
  /**
   * Opens the socket in place of `net.connect`/`tls.connect`: called with node's request options
   * (host, port, TLS settings …), returns a Duplex or calls back with one. Default: none.
   */
  createConnection?: CreateConnection;
  /** Connect to this unix domain socket (or Windows named pipe) instead of host and port. Default: none. */
  socketPath?: string;
  /**
   * Further `http.request` options (`lookup`, `family`, `localAddress`, `localPort` …), used as
   * given. Default: none.
   */
  request?: http.RequestOptions;
}

/**
 * Opens a WebSocket connection as a client and resolves with the open session.
 *
 * The handler's `open` runs before the promise resolves; frames that arrived with the 101 reach
 * `message` (and the others) only after the code awaiting the promise has resumed. The request
 * offers permessage-deflate unless `deflate: false`; an answer the offer does not allow fails the
 * handshake (`WS_ERR_HANDSHAKE_EXTENSION`).
 *
 * Nothing throws synchronously: a bad URL rejects with a {@link ConnectError}
 * `WS_ERR_INVALID_URL` (URLs are often user input), bad options or a handler without `message`
 * reject with a `TypeError`/`RangeError`, both before any I/O.
 *
 * @param url - `ws://` or `wss://` (`http://`/`https://` are accepted as aliases); user info in
 * the URL is sent as `Authorization: Basic` unless `headers` sets `Authorization`.
 * @param handler - the session's callbacks.
 * @param options - see {@link ConnectOptions}; session defaults: maxFrame 16 MiB, maxMessage 64 MiB,
 * closeTimeout 5 s, idle and keepalive off.
 * @throws ConnectError for every network and handshake failure (see `ConnectErrorCode`).
 */
export async function connect<Context = unknown>(
  url: string | URL,
  handler: Handler<Context>,
  options: ConnectOptions<Context> = {},
): Promise<Session<Context>> {
  const target = parseWebSocketUrl(url);
  if (typeof handler?.message !== 'function') throw new TypeError('handler.message must be a function');
  resolveSessionOptions(pickSessionOptions(options));
  const handshakeTimeout =
    checkNonNegative('handshakeTimeout', options.handshakeTimeout) ?? DEFAULT_HANDSHAKE_TIMEOUT;
  const maxHead = checkNonNegative('maxResponseHead', options.maxResponseHead) ?? DEFAULT_MAX_HEAD_BYTES;
  const maxErrorBody = checkNonNegative('maxErrorBody', options.maxErrorBody) ?? DEFAULT_MAX_ERROR_BODY;
  const protocols =
    typeof options.protocols === 'string' ? [options.protocols] : [...(options.protocols ?? [])];
  const headers = headerList(options.headers);
  // A Host header given by the caller takes the place of the one made from the URL.
  const hostIndex = headers.findIndex(([name]) => name.toLowerCase() === 'host');
  const host = hostIndex === -1 ? target.hostHeader : headers.splice(hostIndex, 1)[0]![1];
  if (target.credentials !== undefined && !headers.some(([name]) => name.toLowerCase() === 'authorization')) {
    headers.push(['Authorization', `Basic ${Buffer.from(target.credentials).toString('base64')}`]);
  }

  const { deflate = true } = options;
  if (typeof deflate !== 'boolean' && (typeof deflate !== 'object' || deflate === null)) {
    throw new TypeError('deflate must be a boolean or an object of permessage-deflate settings');
  }
  const deflateSettings = deflate === false ? null : resolveDeflateOptions(deflate);
  const { http2 = false } = options;
  if (typeof http2 !== 'boolean') throw new TypeError('http2 must be a boolean');
  if (http2) {
    return connectOverHttp2(
      {
        target,
        protocols,
        headers,
        origin: options.origin,
        deflate: deflateSettings,
        timeout: handshakeTimeout,
        clock: options.clock ?? systemClock,
        signal: options.signal,
        tls: tlsOptions(options),
        sessionOptions: pickSessionOptions(options),
        maskKeys: options.maskKeys,
        context: options.context,
      },
      handler,
    );
  }

  const key = generateKey();
  // Throws TypeError for a protocol that is not a token, a repeated one, or a bad header.
  const request = buildUpgradeRequest({
    host,
    path: target.path,
    key,
    protocols,
    origin: options.origin,
    headers,
    extensions: deflateSettings === null ? undefined : buildDeflateOffer(deflateSettings),
  });

  const clock = options.clock ?? systemClock;
  const { agent, createConnection, socketPath, request: requestOptions } = options;
  if (createConnection !== undefined && typeof createConnection !== 'function') {
    throw new TypeError('createConnection must be a function');
  }
  if (socketPath !== undefined && (typeof socketPath !== 'string' || socketPath === '')) {
    throw new TypeError('socketPath must be a non-empty string');
  }
  // The raw path is the faster one (see bench/handshake.ts); node:http when the request is shaped.
  const upgraded: UpgradedSocket =
    agent !== undefined ||
    createConnection !== undefined ||
    socketPath !== undefined ||
    requestOptions !== undefined
      ? await openHandshakeOverHttp(target, {
          headers: requestHeaderList(request),
          agent,
          createConnection,
          socketPath,
          request: requestOptions,
          timeout: handshakeTimeout,
          maxHead,
          maxErrorBody,
          clock,
          tls: tlsOptions(options),
          signal: options.signal,
        })
      : await openHandshake(target, {
          request,
          timeout: handshakeTimeout,
          maxHead,
          maxErrorBody,
          clock,
          tls: tlsOptions(options),
          signal: options.signal,
        });
  const { socket, head, rest } = upgraded;

  const verdict = validateUpgradeResponse(head, {
    key,
    protocols,
    extensionsOffered: deflateSettings === null ? [] : [PERMESSAGE_DEFLATE],
  });
  // RFC 7692 §5: a response the offer does not allow fails the connection.
  const deflateAnswer =
    verdict.ok && deflateSettings !== null
      ? acceptDeflateResponse(verdict.extensions, deflateSettings)
      : null;
  if (!verdict.ok || (deflateAnswer !== null && !deflateAnswer.ok)) {
    socket.destroy();
    const [code, reason] = !verdict.ok
      ? [verdict.code, verdict.reason]
      : (['WS_ERR_HANDSHAKE_EXTENSION', (deflateAnswer as { reason: string }).reason] as const);
    throw new ConnectError(code, `Invalid handshake answer from ${target.href}: ${reason}`, {
      status: head.status,
      headers: head.headers,
    });
  }
  const negotiated = deflateAnswer?.ok === true ? deflateAnswer.negotiated : null;
  const compression: SessionCompression | undefined =
    negotiated === null
      ? undefined
      : {
          compressor: createZlibCompressor({
            role: 'client',
            ...negotiated,
            memLevel: deflateSettings!.memLevel,
          }),
          threshold: deflateSettings!.threshold,
        };

  const handshake: HandshakeInfo = {
    path: target.path,
    headers: requestHeaderMap(request),
    protocol: verdict.protocol,
    extensions: verdict.extensions,
    head: rest,
    remoteAddress: socket.remoteAddress,
    response: { status: head.status, statusText: head.statusText, headers: head.headers },
  };
  let session: WebSocketSession<Context>;
  try {
    session = createClientSession(new SocketTransport(socket), handshake, handler, {
      ...pickSessionOptions(options),
      maskKeys: options.maskKeys,
      // Buffer memory without zero fill, native UTF-8, isUtf8, bufferutil masking.
      ...nodeSessionHooks,
      context: options.context,
      compression,
    });
  } catch (error) {
    socket.destroy();
    throw error;
  }
  activateAfterConnect(session);
  return session;
}

function checkNonNegative(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

function headerList(headers: ConnectOptions['headers']): HeaderList {
  if (headers === undefined) return [];
  if (Array.isArray(headers)) return headers.map(([name, value]) => [name, value]);
  return Object.entries(headers as Record<string, string>);
}

function tlsOptions(options: ConnectOptions<unknown>): tls.ConnectionOptions {
  const picked: Record<string, unknown> = {};
  for (const name of TLS_OPTION_NAMES) if (options[name] !== undefined) picked[name] = options[name];
  return picked as tls.ConnectionOptions;
}

/** The request head's header lines, in order, as name and value. */
function requestHeaderList(request: string): HeaderList {
  const list: HeaderList = [];
  for (const line of request.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) list.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return list;
}

/** The request we sent, as a header map (lower-case names), for `HandshakeInfo.headers`. */
function requestHeaderMap(request: string): Record<string, string | string[]> {
  const map: Record<string, string | string[]> = {};
  for (const [field, value] of requestHeaderList(request)) {
    const name = field.toLowerCase();
    const previous = map[name];
    map[name] =
      previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return map;
}
