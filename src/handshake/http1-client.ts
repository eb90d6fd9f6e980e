/**
 * The client's half of the HTTP/1.1 opening handshake (RFC 6455 §4.1): generating the key, building
 * the upgrade request, and checking the server's answer against what was offered.
 *
 * Nothing the server sends throws: a bad answer becomes `{ ok: false, code, reason }`. Bad arguments
 * from our caller (CR/LF in an extra header, a non-token subprotocol) throw `TypeError`.
 */

import { parseExtensions } from '../extensions/extensions-header.js';
import { computeAccept, isWellFormedKey, KEY_BYTES, WEBSOCKET_VERSION } from './accept.js';
import { encodeBase64 } from './base64.js';
import {
  checkedExtraHeaders,
  type HeaderList,
  type HeaderMap,
  joinedHeader,
  listIncludes,
  serializeHeaders,
  singleHeader,
  validateHeaderValue,
} from './headers.js';
import { isToken } from './http-token.js';

/**
 * Generates a `Sec-WebSocket-Key`: 16 random bytes, base64 (RFC 6455 §4.1 item 7).
 *
 * @param random - returns `n` random bytes; defaults to `crypto.getRandomValues`.
 * @throws TypeError if `random` does not return 16 bytes.
 */
export function generateKey(
  random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): string {
  const nonce = random(KEY_BYTES);
  if (!(nonce instanceof Uint8Array) || nonce.length !== KEY_BYTES) {
    throw new TypeError(`The random source must return ${KEY_BYTES} bytes`);
  }
  return encodeBase64(nonce);
}

/** What the client puts into its upgrade request. */
export interface UpgradeRequestOptions {
  /** The `Host` value: host name, with `:port` unless it is the scheme's default. */
  host: string;
  /** The request target: path and query, starting with `/`. */
  path: string;
  /** The key from {@link generateKey}. */
  key: string;
  /** Subprotocols to offer, in order of preference; tokens without duplicates. Default: none. */
  protocols?: readonly string[] | undefined;
  /** The `Sec-WebSocket-Extensions` offer (see `serializeExtensions`). Default: none. */
  extensions?: string | undefined;
  /** The `Origin` header; browsers send it, other clients may not. Default: none. */
  origin?: string | undefined;
  /** Extra headers, appended after the handshake's own; they may not repeat those. */
  headers?: HeaderList | undefined;
}

const HANDSHAKE_REQUEST_HEADERS = [
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'origin',
];

// request-target in origin-form: no whitespace or control characters.
const INVALID_TARGET_CHAR = /[^\x21-\x7e\x80-\xff]/;

/**
 * Builds the client's opening handshake (RFC 6455 §4.1), head only, ending with the blank line.
 *
 * @throws TypeError if the host or path is malformed, the key is not base64 of 16 bytes, a protocol is
 * not a token or is repeated, or a header is invalid or repeats one of the handshake's own.
 */
export function buildUpgradeRequest(options: UpgradeRequestOptions): string {
  const { host, path, key, protocols = [], extensions, origin, headers = [] } = options;
  if (host === '' || /[\s/]/.test(host)) throw new TypeError(`Invalid host ${JSON.stringify(host)}`);
  validateHeaderValue('Host', host);
  // RFC 6455 §4.1 item 2: the request-target is the path and query of the WebSocket URI.
  if (!path.startsWith('/') || INVALID_TARGET_CHAR.test(path)) {
    throw new TypeError(`Invalid request path ${JSON.stringify(path)}`);
  }
  if (!isWellFormedKey(key)) throw new TypeError('The key must be base64 of 16 bytes');

  const list: HeaderList = [
    ['Host', host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', WEBSOCKET_VERSION],
  ];
  if (protocols.length > 0) {
    // RFC 6455 §4.1 item 10: unique tokens.
    for (const protocol of protocols) {
      if (!isToken(protocol)) throw new TypeError(`Subprotocol ${JSON.stringify(protocol)} is not a token`);
    }
    if (new Set(protocols).size !== protocols.length) throw new TypeError('Subprotocols must be unique');
    list.push(['Sec-WebSocket-Protocol', protocols.join(', ')]);
  }
  if (extensions !== undefined && extensions !== '') list.push(['Sec-WebSocket-Extensions', extensions]);
  if (origin !== undefined) list.push(['Origin', origin]);
  list.push(...checkedExtraHeaders(headers, HANDSHAKE_REQUEST_HEADERS));
  return `GET ${path} HTTP/1.1\r\n${serializeHeaders(list)}\r\n`;
}

/** Stable codes for a failed server answer. */
export type HandshakeErrorCode =
  | 'WS_ERR_HANDSHAKE_STATUS'
  | 'WS_ERR_HANDSHAKE_UPGRADE'
  | 'WS_ERR_HANDSHAKE_ACCEPT'
  | 'WS_ERR_HANDSHAKE_PROTOCOL'
  | 'WS_ERR_HANDSHAKE_EXTENSION';

/** The result of {@link validateUpgradeResponse}. */
export type UpgradeResponseResult =
  | {
      ok: true;
      /** The subprotocol the server selected, `''` if none. */
      protocol: string;
      /** The raw `Sec-WebSocket-Extensions` value the server accepted, `''` if none. */
      extensions: string;
    }
  | { ok: false; code: HandshakeErrorCode; reason: string };

/** What the client sent, to check the server's answer against. */
export interface OfferedHandshake {
  /** The `Sec-WebSocket-Key` sent. */
  key: string;
  /** The subprotocols offered; empty if none. */
  protocols: readonly string[];
  /** The names of the extensions offered; empty if none. */
  extensionsOffered: readonly string[];
}

/**
 * Checks the server's answer to the opening handshake (RFC 6455 §4.1, client requirements).
 *
 * Fails with `WS_ERR_HANDSHAKE_STATUS` unless the status is 101; `WS_ERR_HANDSHAKE_UPGRADE` unless
 * `Upgrade` is `websocket` and `Connection` lists `upgrade`; `WS_ERR_HANDSHAKE_ACCEPT` unless
 * `Sec-WebSocket-Accept` is the one value expected for the key; `WS_ERR_HANDSHAKE_PROTOCOL` if the
 * server selected a subprotocol that was not offered (or any, when none was); and
 * `WS_ERR_HANDSHAKE_EXTENSION` if `Sec-WebSocket-Extensions` is malformed or names an extension that
 * was not offered. Extension parameters are left to the extension's negotiator.
 *
 * @param response - the status and lower-case header map of the server's answer.
 * @param offered - what the client sent.
 */
export function validateUpgradeResponse(
  response: { status: number; headers: HeaderMap },
  offered: OfferedHandshake,
): UpgradeResponseResult {
  const { status, headers } = response;

  // RFC 6455 §4.1: any status other than 101 means the handshake has not completed.
  if (status !== 101) {
    return fail('WS_ERR_HANDSHAKE_STATUS', `Expected status 101, got ${status}`);
  }

  // RFC 6455 §4.1 client item 2: Upgrade MUST match "websocket", case-insensitively.
  if (singleHeader(headers, 'upgrade')?.toLowerCase() !== 'websocket') {
    return fail('WS_ERR_HANDSHAKE_UPGRADE', 'Upgrade must be websocket');
  }

  // RFC 6455 §4.1 client item 3: Connection MUST contain the token "Upgrade", case-insensitively.
  if (!listIncludes(headers['connection'], 'upgrade')) {
    return fail('WS_ERR_HANDSHAKE_UPGRADE', 'Connection must include upgrade');
  }

  // RFC 6455 §4.1 client item 4: Sec-WebSocket-Accept MUST be base64(SHA-1(key + GUID)).
  const accept = singleHeader(headers, 'sec-websocket-accept');
  if (accept === undefined) return fail('WS_ERR_HANDSHAKE_ACCEPT', 'Sec-WebSocket-Accept is missing');
  if (accept !== computeAccept(offered.key)) {
    return fail('WS_ERR_HANDSHAKE_ACCEPT', 'Sec-WebSocket-Accept does not match the key');
  }

  // RFC 6455 §4.1 client item 6: a subprotocol the client did not offer fails the connection.
  const protocolHeader = singleHeader(headers, 'sec-websocket-protocol');
  if (protocolHeader === null) {
    return fail('WS_ERR_HANDSHAKE_PROTOCOL', 'Sec-WebSocket-Protocol must appear at most once');
  }
  const protocol = protocolHeader ?? '';
  if (protocol !== '' && !offered.protocols.includes(protocol)) {
    return fail(
      'WS_ERR_HANDSHAKE_PROTOCOL',
      offered.protocols.length === 0
        ? `Server selected subprotocol ${JSON.stringify(protocol)} but none was offered`
        : `Server selected subprotocol ${JSON.stringify(protocol)}, which was not offered`,
    );
  }

  // RFC 6455 §4.1 client item 5: every extension in the answer MUST have been offered.
  const extensions = joinedHeader(headers['sec-websocket-extensions']);
  const parsed = parseExtensions(extensions);
  if (!parsed.ok) return fail('WS_ERR_HANDSHAKE_EXTENSION', parsed.reason);
  for (const { name } of parsed.extensions) {
    if (!offered.extensionsOffered.includes(name)) {
      return fail('WS_ERR_HANDSHAKE_EXTENSION', `Server accepted extension ${name}, which was not offered`);
    }
  }

  return { ok: true, protocol, extensions };
}

function fail(code: HandshakeErrorCode, reason: string): UpgradeResponseResult {
  return { ok: false, code, reason };
}
