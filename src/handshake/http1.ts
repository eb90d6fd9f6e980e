/**
 * The HTTP/1.1 opening handshake (RFC 6455 §4): validating and answering a client's upgrade request on
 * the server, building the request and checking the server's answer on the client.
 *
 * Header maps come in (lower-case names, like node's `req.headers`; a repeated header may be an
 * array); header lists go out, in order. Nothing a peer sends throws: it becomes `{ ok: false, ... }`.
 * Bad arguments from our caller (CR/LF in an extra header, a non-token subprotocol) throw `TypeError`.
 */

import { parseExtensions } from '../extensions/extensions-header.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { isToken } from './http-token.js';
import { sha1 } from './sha1.js';

/** Request or response headers keyed by lower-case name; repeated headers may be arrays. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** Headers to send, as ordered `[name, value]` pairs. */
export type HeaderList = [string, string][];

// RFC 6455 §1.3: the GUID appended to the key before hashing.
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// RFC 6455 §4.1: the nonce is 16 random bytes.
const KEY_BYTES = 16;

const SUPPORTED_VERSION = '13';

const STATUS_TEXT: Record<number, string> = {
  101: 'Switching Protocols',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

// ---------------------------------------------------------------------------------------------------
// Shared pieces

/**
 * Computes `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2): base64 of the SHA-1 of
 * the key followed by the GUID `258EAFA5-E914-47DA-95CA-C5AB0DC85B11`.
 *
 * @param key - the client's key exactly as sent (not decoded).
 * @returns the accept value, e.g. `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=` for `dGhlIHNhbXBsZSBub25jZQ==`.
 */
export function computeAccept(key: string): string {
  return encodeBase64(sha1(new TextEncoder().encode(key + WEBSOCKET_GUID)));
}

/**
 * Parses a comma-separated list of HTTP tokens (RFC 9110 §5.6.1), as in `Sec-WebSocket-Protocol`.
 *
 * Repeated header lines (an array) form one list. Whitespace around elements is dropped and empty
 * elements are skipped, as the list rule requires of recipients. Order and duplicates are kept.
 *
 * @param value - the header value(s); `undefined` for an absent header.
 * @returns the tokens (empty for an absent or empty header), or `null` if an element is not a token.
 */
export function parseTokenList(value: string | readonly string[] | undefined): string[] | null {
  const tokens: string[] = [];
  for (const element of splitList(value)) {
    if (!isToken(element)) return null;
    tokens.push(element);
  }
  return tokens;
}

/**
 * Checks a header name given by our caller.
 *
 * @param name - the header name.
 * @throws TypeError if `name` is not an HTTP token (this also rules out CR, LF and `:`).
 */
export function validateHeaderName(name: string): void {
  if (typeof name !== 'string' || !isToken(name)) {
    throw new TypeError(`Invalid header name ${JSON.stringify(name)}`);
  }
}

// field-value: HTAB, SP, VCHAR and obs-text (RFC 9110 §5.5); anything else, CR and LF above all,
// would let a value start a new header line.
const INVALID_FIELD_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Checks a header value given by our caller.
 *
 * @param name - the header's name, for the message.
 * @param value - the header value.
 * @throws TypeError if `value` holds CR, LF, another control character or a character above U+00FF.
 */
export function validateHeaderValue(name: string, value: string): void {
  if (typeof value !== 'string' || INVALID_FIELD_VALUE_CHAR.test(value)) {
    throw new TypeError(`Invalid value for header ${name}: ${JSON.stringify(value)}`);
  }
}

/**
 * Serializes a response status line and headers, ending with the blank line:
 * `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n...\r\n\r\n`.
 *
 * @param status - a three-digit status code.
 * @param statusText - the reason phrase; may be empty.
 * @param headers - the headers, in order.
 * @throws RangeError if `status` is not an integer from 100 to 999.
 * @throws TypeError if the reason phrase or a header holds CR, LF or another forbidden character.
 */
export function serializeResponseHead(status: number, statusText: string, headers: HeaderList): string {
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new RangeError(`Status must be a three-digit integer, got ${status}`);
  }
  validateHeaderValue('status text', statusText);
  return `HTTP/1.1 ${status} ${statusText}\r\n${serializeHeaders(headers)}\r\n`;
}

// ---------------------------------------------------------------------------------------------------
// Server side

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
  /** 400 for a malformed request, 405 for a method other than GET, 426 for an unsupported version. */
  status: 400 | 405 | 426;
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
 * Rules are checked in this order, and the first failure is reported: method `GET` (405 with
 * `Allow: GET`), HTTP/1.1 or later, exactly one `Host`, `Upgrade` lists `websocket`, `Connection` lists
 * `upgrade`, `Sec-WebSocket-Version` is exactly `13` (426 otherwise, absent included),
 * `Sec-WebSocket-Key` is one value that decodes to 16 bytes, and `Sec-WebSocket-Protocol` (if any) is a
 * list of tokens. Everything else fails with 400. Extensions are returned raw for the negotiator.
 *
 * To answer a rejection: `buildErrorResponse(result.status, result.reason, result.headers)`.
 *
 * @param request - the method, HTTP version and lower-case header map.
 */
export function validateUpgradeRequest(request: UpgradeRequest): UpgradeRequestResult {
  const { headers } = request;

  // RFC 6455 §4.2.1 item 1: the method MUST be GET.
  if (request.method !== 'GET') return reject(405, 'Method must be GET', [['Allow', 'GET']]);

  // RFC 6455 §4.2.1 item 1: HTTP/1.1 or higher.
  if (!isHttp11OrLater(request.httpVersion)) return reject(400, 'HTTP version must be 1.1 or later');

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
  if (singleHeader(headers, 'sec-websocket-version') !== SUPPORTED_VERSION) {
    return reject(426, 'Sec-WebSocket-Version must be 13', [
      ['Sec-WebSocket-Version', SUPPORTED_VERSION],
      ['Upgrade', 'websocket'],
    ]);
  }

  // RFC 6455 §4.2.1 item 5: one Sec-WebSocket-Key that base64-decodes to 16 bytes.
  const key = singleHeader(headers, 'sec-websocket-key');
  if (key === null) return reject(400, 'Sec-WebSocket-Key must appear exactly once');
  if (key === undefined || decodeBase64(key)?.length !== KEY_BYTES) {
    return reject(400, 'Sec-WebSocket-Key must be base64 of 16 bytes');
  }

  // RFC 6455 §4.1 item 10: subprotocols are tokens.
  const protocols = parseTokenList(headers['sec-websocket-protocol']);
  if (protocols === null) return reject(400, 'Sec-WebSocket-Protocol must be a list of tokens');

  const extensions = headers['sec-websocket-extensions'];
  return {
    ok: true,
    key,
    protocols,
    extensions: (Array.isArray(extensions) ? extensions.join(', ') : (extensions ?? '')).trim(),
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

const HANDSHAKE_RESPONSE_HEADERS = [
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
];
const ERROR_RESPONSE_HEADERS = ['connection', 'content-length', 'content-type'];

/**
 * Builds a complete error answer: status line, `Connection: close`, a plain-text body stating `reason`
 * with its `Content-Length`, and the extra headers (e.g. a rejection's `headers`). When the extra
 * headers carry `Upgrade`, `Connection` also lists `Upgrade`, as RFC 9110 §7.8 requires.
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
  return serializeResponseHead(status, STATUS_TEXT[status] ?? '', headers) + reason;
}

// ---------------------------------------------------------------------------------------------------
// Client side

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
  if (decodeBase64(key)?.length !== KEY_BYTES) throw new TypeError('The key must be base64 of 16 bytes');

  const list: HeaderList = [
    ['Host', host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', SUPPORTED_VERSION],
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
  const extensionsHeader = headers['sec-websocket-extensions'];
  const extensions = (
    Array.isArray(extensionsHeader) ? extensionsHeader.join(', ') : (extensionsHeader ?? '')
  ).trim();
  const parsed = parseExtensions(extensions);
  if (!parsed.ok) return fail('WS_ERR_HANDSHAKE_EXTENSION', parsed.reason);
  for (const { name } of parsed.extensions) {
    if (!offered.extensionsOffered.includes(name)) {
      return fail('WS_ERR_HANDSHAKE_EXTENSION', `Server accepted extension ${name}, which was not offered`);
    }
  }

  return { ok: true, protocol, extensions };
}

// ---------------------------------------------------------------------------------------------------
// Helpers

function reject(status: 400 | 405 | 426, reason: string, headers: HeaderList = []): RejectedUpgradeRequest {
  return { ok: false, status, reason, headers };
}

function fail(code: HandshakeErrorCode, reason: string): UpgradeResponseResult {
  return { ok: false, code, reason };
}

/**
 * Reads a header that must appear once: its trimmed value, `undefined` if absent, `null` if repeated.
 * (Node joins most repeated headers into one value with `, `; those fail the value's own checks.)
 */
function singleHeader(headers: HeaderMap, name: string): string | undefined | null {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return trimWhitespace(value);
  if (value.length === 0) return undefined;
  return value.length === 1 ? trimWhitespace(value[0]!) : null;
}

/** Splits a comma-separated list (RFC 9110 §5.6.1) into trimmed, non-empty elements. */
function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = typeof value === 'string' ? value : value.join(',');
  return text
    .split(',')
    .map(trimWhitespace)
    .filter((element) => element !== '');
}

/**
 * Tells whether a list header holds `token`, case-insensitively. Other elements need not be tokens
 * (`Upgrade: HTTP/2.0, websocket` is fine): the RFC only asks for the one we look for.
 */
function listIncludes(value: string | readonly string[] | undefined, token: string): boolean {
  return splitList(value).some((element) => element.toLowerCase() === token);
}

// OWS = *( SP / HTAB ) (RFC 9110 §5.6.3)
function trimWhitespace(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

function isHttp11OrLater(version: string): boolean {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  if (match === null) return false;
  const major = Number(match[1]);
  return major > 1 || (major === 1 && Number(match[2]) >= 1);
}

function serializeHeaders(headers: HeaderList): string {
  let text = '';
  for (const [name, value] of headers) {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    text += `${name}: ${value}\r\n`;
  }
  return text;
}

/** Validates caller-supplied headers and refuses names the handshake sets itself. */
function checkedExtraHeaders(headers: HeaderList, reserved: readonly string[]): HeaderList {
  for (const [name, value] of headers) {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    if (reserved.includes(name.toLowerCase())) {
      throw new TypeError(`Header ${name} is set by the handshake and cannot be overridden`);
    }
  }
  return headers;
}
