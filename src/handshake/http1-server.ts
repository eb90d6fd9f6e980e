/**
 * The server's half of the HTTP/1.1 opening handshake (RFC 6455 §4.2): validating a client's upgrade
 * request, choosing a subprotocol, and writing the 101 answer or an error answer.
 *
 * Nothing a client sends throws: a bad request becomes `{ ok: false, status, ... }` to answer with.
 * Bad arguments from our caller (CR/LF in an extra header, a non-token subprotocol) throw `TypeError`.
 */

import { computeAccept, isWellFormedKey, WEBSOCKET_VERSION } from './accept.js';
import {
  checkedExtraHeaders,
  type HeaderList,
  type HeaderMap,
  joinedHeader,
  listIncludes,
  parseTokenList,
  serializeHeaders,
  singleHeader,
  validateHeaderValue,
} from './headers.js';
import { isToken } from './http-token.js';
import { statusText } from './status-text.js';

/** What {@link validateUpgradeRequest} reads from an incoming request (node's `IncomingMessage` fits). */
export interface UpgradeRequest {
  /** The request method, e.g. `GET`. */
  method: string;
  /** The HTTP version without the `HTTP/` prefix, e.g. `1.1`. */
  httpVersion: string;
  /** The request headers. */
  headers: HeaderMap;
}

/** A valid upgrade request, reduced to what the server needs to answer it. */
export interface AcceptedUpgradeRequest {
  ok: true;
  /** The `Sec-WebSocket-Key`, trimmed, to pass to {@link buildUpgradeResponse}. */
  key: string;
  /** The subprotocols the client offers, in its order; empty if none. */
  protocols: string[];
  /** The raw `Sec-WebSocket-Extensions` value (repeated lines joined with `, `), or `''`. */
  extensions: string;
  /** The `Host` header. */
  host: string;
  /** The `Origin` header, if any (RFC 6455 §4.2.1 item 7; browsers always send it). */
  origin: string | undefined;
}

/** A rejected upgrade request: the status and headers to answer with and the rule that failed. */
export interface RejectedUpgradeRequest {
  ok: false;
  /**
   * 400 for a malformed request (HTTP/1.0 included), 405 for a method other than GET, 426 for an
   * unsupported WebSocket version, 505 for an HTTP major version other than 1.
   */
  status: 400 | 405 | 426 | 505;
  /** Names the rule that failed, e.g. `Sec-WebSocket-Key must be base64 of 16 bytes`. */
  reason: string;
  /** Headers the answer must carry: `Allow` for 405, `Sec-WebSocket-Version` and `Upgrade` for 426. */
  headers: HeaderList;
}

/** The result of {@link validateUpgradeRequest}. */
export type UpgradeRequestResult = AcceptedUpgradeRequest | RejectedUpgradeRequest;

/**
 * Validates a client's opening handshake (RFC 6455 §4.2.1).
 *
 * Rules are checked in this order, and the first failure is reported: HTTP major version 1 (505
 * otherwise), method `GET` (405 with `Allow: GET`), HTTP/1.1 or later, exactly one `Host`, `Upgrade`
 * lists `websocket`, `Connection` lists `upgrade`, `Sec-WebSocket-Version` is exactly `13` (426
 * otherwise, absent included), `Sec-WebSocket-Key` is one value that decodes to 16 bytes, and
 * `Sec-WebSocket-Protocol` (if any) is a list of tokens. Everything else fails with 400, a malformed
 * version and HTTP/1.0 included. Extensions are returned raw for the negotiator.
 *
 * To answer a rejection: `buildErrorResponse(result.status, result.reason, result.headers)`.
 *
 * @param request - the method, HTTP version and lower-case header map.
 */
export function validateUpgradeRequest(request: UpgradeRequest): UpgradeRequestResult {
  const { headers } = request;
  const version = parseHttpVersion(request.httpVersion);

  // RFC 9110 §15.6.6, RFC 9112 §2.3: refuse a major version we do not speak with 505, before reading
  // anything else, since the rest of the request need not mean in it what it means in HTTP/1.
  if (version !== null && version.major !== 1) {
    return reject(505, `HTTP/${version.major}.${version.minor} is not supported: use HTTP/1.1`);
  }

  // RFC 6455 §4.2.1 item 1: the method MUST be GET.
  if (request.method !== 'GET') return reject(405, 'Method must be GET', [['Allow', 'GET']]);

  // RFC 6455 §4.2.1 item 1: HTTP/1.1 or higher.
  if (version === null || version.minor < 1) return reject(400, 'HTTP version must be 1.1 or later');

  // RFC 6455 §4.2.1 item 2: a Host header field.
  const host = singleHeader(headers, 'host');
  if (host === undefined || host === '') return reject(400, 'Host header is required');
  if (host === null) return reject(400, 'Host must appear exactly once');

  // RFC 6455 §4.2.1 item 3: Upgrade includes "websocket", case-insensitively.
  if (!listIncludes(headers['upgrade'], 'websocket')) return reject(400, 'Upgrade must include websocket');

  // RFC 6455 §4.2.1 item 4: Connection includes the token "Upgrade", case-insensitively.
  if (!listIncludes(headers['connection'], 'upgrade')) return reject(400, 'Connection must include upgrade');

  // RFC 6455 §4.2.2 / §4.4: any other version gets 426 naming the versions we speak. RFC 9110 §15.5.22:
  // a 426 MUST carry Upgrade.
  if (singleHeader(headers, 'sec-websocket-version') !== WEBSOCKET_VERSION) {
    return reject(426, 'Sec-WebSocket-Version must be 13', [
      ['Sec-WebSocket-Version', WEBSOCKET_VERSION],
      ['Upgrade', 'websocket'],
    ]);
  }

  // RFC 6455 §4.2.1 item 5: one Sec-WebSocket-Key that base64-decodes to 16 bytes.
  const key = singleHeader(headers, 'sec-websocket-key');
  if (key === null) return reject(400, 'Sec-WebSocket-Key must appear exactly once');
  if (key === undefined || !isWellFormedKey(key)) {
    return reject(400, 'Sec-WebSocket-Key must be base64 of 16 bytes');
  }

  // RFC 6455 §4.1 item 10: subprotocols are tokens.
  const protocols = parseTokenList(headers['sec-websocket-protocol']);
  if (protocols === null) return reject(400, 'Sec-WebSocket-Protocol must be a list of tokens');

  return {
    ok: true,
    key,
    protocols,
    extensions: joinedHeader(headers['sec-websocket-extensions']),
    host,
    origin: singleHeader(headers, 'origin') ?? undefined,
  };
}

/**
 * Picks the subprotocol to answer with (RFC 6455 §4.2.2 item 5.4).
 *
 * With a list, the server's preference wins: the first of `supported` that the client offered, compared
 * case-sensitively. With a function, it is called with the offer and must return one of the offered
 * protocols or `undefined`. Nothing is selected when the client offered nothing (the function is then
 * not called), since a protocol the client did not offer fails its handshake.
 *
 * @param offered - the client's protocols, from {@link validateUpgradeRequest}.
 * @param supported - the server's protocols in preference order, or a function choosing one.
 * @returns the protocol to send in `Sec-WebSocket-Protocol`, or `undefined` for none.
 * @throws TypeError if the function returns a protocol the client did not offer.
 */
export function selectSubprotocol(
  offered: readonly string[],
  supported: readonly string[] | ((offered: string[]) => string | undefined),
): string | undefined {
  if (offered.length === 0) return undefined;
  if (typeof supported !== 'function') return supported.find((protocol) => offered.includes(protocol));
  const chosen = supported([...offered]);
  if (chosen !== undefined && !offered.includes(chosen)) {
    throw new TypeError(`Subprotocol ${JSON.stringify(chosen)} was not offered by the client`);
  }
  return chosen;
}

/** What the server puts into its 101 answer. */
export interface UpgradeResponseOptions {
  /** The client's `Sec-WebSocket-Key`, from {@link validateUpgradeRequest}. */
  key: string;
  /** The selected subprotocol; omitted or `undefined` for none. */
  protocol?: string | undefined;
  /** The negotiated `Sec-WebSocket-Extensions` value; omitted or `''` for none. */
  extensions?: string | undefined;
  /** Extra headers, appended after the handshake's own; they may not repeat those. */
  headers?: HeaderList | undefined;
}

const HANDSHAKE_RESPONSE_HEADERS = [
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
];

/**
 * Builds the headers of the server's 101 answer (RFC 6455 §4.2.2 item 5): `Upgrade`, `Connection`,
 * `Sec-WebSocket-Accept`, then `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` if set, then
 * the extra headers. Write it with `serializeResponseHead(101, 'Switching Protocols', headers)`.
 *
 * @throws TypeError if the protocol is not a token, or an extra header is invalid or repeats one of the
 * handshake's own.
 */
export function buildUpgradeResponse(options: UpgradeResponseOptions): HeaderList {
  const { key, protocol, extensions, headers = [] } = options;
  const list: HeaderList = [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', computeAccept(key)],
  ];
  if (protocol !== undefined) {
    if (!isToken(protocol)) throw new TypeError(`Subprotocol ${JSON.stringify(protocol)} is not a token`);
    list.push(['Sec-WebSocket-Protocol', protocol]);
  }
  if (extensions !== undefined && extensions !== '') {
    validateHeaderValue('Sec-WebSocket-Extensions', extensions);
    list.push(['Sec-WebSocket-Extensions', extensions]);
  }
  return list.concat(checkedExtraHeaders(headers, HANDSHAKE_RESPONSE_HEADERS));
}

/**
 * Serializes a response status line and headers, ending with the blank line:
 * `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n...\r\n\r\n`.
 *
 * @param status - a three-digit status code.
 * @param reasonPhrase - the reason phrase; may be empty.
 * @param headers - the headers, in order.
 * @throws RangeError if `status` is not an integer from 100 to 999.
 * @throws TypeError if the reason phrase or a header holds CR, LF or another forbidden character.
 */
export function serializeResponseHead(status: number, reasonPhrase: string, headers: HeaderList): string {
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new RangeError(`Status must be a three-digit integer, got ${status}`);
  }
  validateHeaderValue('status text', reasonPhrase);
  return `HTTP/1.1 ${status} ${reasonPhrase}\r\n${serializeHeaders(headers)}\r\n`;
}

const ERROR_RESPONSE_HEADERS = ['connection', 'content-length', 'content-type'];

/**
 * Builds a complete error answer: status line with the status's reason phrase (see `statusText`;
 * empty for a status without one), `Connection: close`, a plain-text body stating `reason` with its
 * `Content-Length`, and the extra headers (e.g. a rejection's `headers`). When the extra headers carry
 * `Upgrade`, `Connection` also lists `Upgrade`, as RFC 9110 §7.8 requires.
 *
 * The body length is counted in UTF-8 bytes: write the string as UTF-8.
 *
 * @param status - a 4xx or 5xx status, e.g. 400, 426 or 431.
 * @param reason - the body text.
 * @param extraHeaders - headers to add; they may not set `Connection`, `Content-Length` or `Content-Type`.
 * @returns the whole response, head and body.
 * @throws RangeError if `status` is not from 400 to 599.
 * @throws TypeError if an extra header is invalid or reserved.
 */
export function buildErrorResponse(status: number, reason: string, extraHeaders: HeaderList = []): string {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`An error response needs a 4xx or 5xx status, got ${status}`);
  }
  const extra = checkedExtraHeaders(extraHeaders, ERROR_RESPONSE_HEADERS);
  const upgrading = extra.some(([name]) => name.toLowerCase() === 'upgrade');
  const headers: HeaderList = [
    ['Connection', upgrading ? 'Upgrade, close' : 'close'],
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Length', String(new TextEncoder().encode(reason).length)],
    ...extra,
  ];
  return serializeResponseHead(status, statusText(status), headers) + reason;
}

function reject(
  status: RejectedUpgradeRequest['status'],
  reason: string,
  headers: HeaderList = [],
): RejectedUpgradeRequest {
  return { ok: false, status, reason, headers };
}

/** Reads `major.minor` (RFC 9112 §2.3, without the `HTTP/` prefix); `null` if malformed. */
function parseHttpVersion(version: string): { major: number; minor: number } | null {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  if (match === null) return null;
  return { major: Number(match[1]), minor: Number(match[2]) };
}
