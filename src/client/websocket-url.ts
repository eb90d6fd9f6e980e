// Reads a WebSocket URL (RFC 6455 §3) into what the client needs: where to connect, whether to
// use TLS, the Host header and the request target.
import { ConnectError } from './connect-error.js';

/** A parsed WebSocket URL. */
export interface WebSocketTarget {
  /** `wss:` (or `https:`). */
  secure: boolean;
  /** The host to connect to, without IPv6 brackets. */
  hostname: string;
  port: number;
  /** The `Host` header value: the host, with `:port` unless it is the scheme's default. */
  hostHeader: string;
  /** Path and query, starting with `/`. */
  path: string;
  /** `user:password` from the URL, percent-decoded, or `undefined`. */
  credentials: string | undefined;
  /** The URL as given, for messages. */
  href: string;
}

const SCHEMES: Record<string, { secure: boolean; port: number }> = {
  'ws:': { secure: false, port: 80 },
  'wss:': { secure: true, port: 443 },
  // As the WHATWG WebSocket constructor does, http(s) URLs stand for ws(s).
  'http:': { secure: false, port: 80 },
  'https:': { secure: true, port: 443 },
};

/**
 * Parses a `ws:`/`wss:` URL (`http:`/`https:` are taken as aliases).
 *
 * @throws ConnectError `WS_ERR_INVALID_URL` for an unparsable URL, another scheme, or a fragment.
 */
export function parseWebSocketUrl(input: string | URL): WebSocketTarget {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new ConnectError('WS_ERR_INVALID_URL', `Invalid URL ${JSON.stringify(String(input))}`);
  }
  const scheme = SCHEMES[url.protocol];
  if (scheme === undefined) {
    throw new ConnectError(
      'WS_ERR_INVALID_URL',
      `URL scheme must be ws: or wss:, got ${url.protocol} in ${url.href}`,
    );
  }
  // RFC 6455 §3: fragment identifiers are meaningless in WebSocket URIs and MUST NOT be used.
  if (url.hash !== '' || String(input).includes('#')) {
    throw new ConnectError('WS_ERR_INVALID_URL', `A WebSocket URL may not have a fragment: ${url.href}`);
  }
  if (url.hostname === '') throw new ConnectError('WS_ERR_INVALID_URL', `URL has no host: ${url.href}`);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? scheme.port : Number(url.port);
  const credentials =
    url.username === '' && url.password === ''
      ? undefined
      : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return {
    secure: scheme.secure,
    hostname,
    port,
    // URL drops the port when it is the scheme's default, as RFC 6455 §4.1 item 4 wants for Host.
    hostHeader: url.host,
    path: `${url.pathname || '/'}${url.search}`,
    credentials,
    href: url.href,
  };
}
