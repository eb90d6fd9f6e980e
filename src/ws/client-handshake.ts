// The client side of wasmws/ws's opening handshake in ws's terms: the request headers ws lets
// a caller set, and ws's messages for a 101 that breaks RFC 6455 §4.1.
import { type ClientOptions, headerListOf } from './options.js';

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

/** Handshake headers the engine writes itself; ws overrides them too, except Origin. */
const OWN_REQUEST_HEADERS = new Set([
  'host',
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
