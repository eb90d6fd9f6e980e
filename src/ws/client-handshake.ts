// The client side of wasmws/ws's opening handshake in ws's terms: the request headers ws lets
// a caller set, and ws's messages for a 101 that breaks RFC 6455 §4.1.
import type * as http from 'node:http';
import { type ConnectOptions, TLS_OPTION_NAMES } from '../client/connect.js';
import {
  type ClientOptions,
  deflateOption,
  headerListOf,
  payloadLimits,
  WS_CLOSE_TIMEOUT,
} from './options.js';

/** ws's messages for a 101 that breaks RFC 6455 §4.1. */
export function handshakeMessage(code: string, offeredProtocols: boolean): string | undefined {
  switch (code) {
    case 'WS_ERR_HANDSHAKE_UPGRADE':
      return 'Invalid Upgrade header';
    case 'WS_ERR_HANDSHAKE_ACCEPT':
      return 'Invalid Sec-WebSocket-Accept header';
    case 'WS_ERR_HANDSHAKE_PROTOCOL':
      return offeredProtocols
        ? 'Server sent an invalid subprotocol'
        : 'Server sent a subprotocol but none was requested';
    case 'WS_ERR_HANDSHAKE_EXTENSION':
      return 'Invalid Sec-WebSocket-Extensions header';
    default:
      return undefined;
  }
}

/** Handshake headers the engine writes itself; ws overrides them too, except Origin and Host. */
const OWN_REQUEST_HEADERS = new Set([
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

/** ws's `headers` and `origin` as the engine takes them: an `Origin` header becomes `origin`. */
export function requestHeaders(options: ClientOptions): {
  headers: [string, string][];
  origin: string | undefined;
} {
  let origin = options.origin;
  const headers = headerListOf(options.headers).filter(([name, value]) => {
    const lower = name.toLowerCase();
    if (lower === 'origin') {
      origin ??= value;
      return false;
    }
    return !OWN_REQUEST_HEADERS.has(lower);
  });
  return { headers, origin };
}

/** node:http request options ws passes through to `http.request` and `net.connect`. */
const REQUEST_OPTION_NAMES = ['lookup', 'family', 'hints', 'localAddress', 'localPort'] as const;

/**
 * ws's client options as `connect`'s, for `address` (checked by clientUrl): a `ws+unix:` URL
 * becomes a socket path and a `ws://localhost` URL for its request target.
 * @throws RangeError or TypeError for options the engine refuses.
 */
export function connectSettings(
  address: string,
  options: ClientOptions,
  protocols: readonly string[],
  signal: AbortSignal,
): { url: string; settings: ConnectOptions } {
  let url = address;
  let socketPath: string | undefined;
  if (address.startsWith('ws+unix:')) {
    const parsed = new URL(address);
    // ws's rule: the socket's path, then after a colon the request target.
    const [path, target = '/'] = `${parsed.pathname}${parsed.search}`.split(':');
    socketPath = path;
    url = `ws://localhost${target.startsWith('/') ? target : `/${target}`}`;
  }
  const settings: ConnectOptions = {
    protocols,
    ...requestHeaders(options),
    handshakeTimeout: options.handshakeTimeout ?? 0,
    deflate: deflateOption(options.perMessageDeflate, true),
    ...payloadLimits(options.maxPayload),
    closeTimeout: options.closeTimeout ?? WS_CLOSE_TIMEOUT,
    // ws hands text out as a Buffer: the checked bytes, never decoded and encoded again.
    textAs: 'bytes',
    signal,
  };
  for (const name of TLS_OPTION_NAMES) {
    if (options[name] !== undefined) (settings as Record<string, unknown>)[name] = options[name];
  }
  if (options.autoPong === false) settings.autoPong = false;
  const headers = settings.headers as [string, string][];
  if (options.auth !== undefined && !headers.some(([name]) => /^authorization$/i.test(name))) {
    headers.push(['Authorization', `Basic ${Buffer.from(options.auth).toString('base64')}`]);
  }
  if (options.agent !== undefined && options.agent !== null) settings.agent = options.agent;
  if (options.createConnection !== undefined) settings.createConnection = options.createConnection;
  if (socketPath !== undefined) settings.socketPath = socketPath;
  let request: http.RequestOptions | undefined;
  for (const name of REQUEST_OPTION_NAMES) {
    if (options[name] === undefined) continue;
    request ??= {};
    (request as Record<string, unknown>)[name] = options[name];
  }
  if (request !== undefined) settings.request = request;
  return { url, settings };
}
