/**
 * HTTP header fields as both sides of the opening handshake read and write them: the map type that
 * comes in, the list type that goes out, the one field-line grammar both head readers use (RFC 9112
 * §5), list and single-value readers (RFC 9110 §5.6.1), and the checks that keep a caller's header
 * from injecting a line.
 *
 * Readers never throw (a peer's header is data); the checks on what our caller gives throw `TypeError`.
 */

import { isToken } from './http-token.js';

/** Request or response headers keyed by lower-case name; repeated headers may be arrays. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** Headers to send, as ordered `[name, value]` pairs. */
export type HeaderList = [string, string][];

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
 * Tells whether a list header holds `token`, case-insensitively. Other elements need not be tokens
 * (`Upgrade: HTTP/2.0, websocket` is fine): the RFC only asks for the one we look for.
 *
 * @param value - the header value(s); `undefined` for an absent header.
 * @param token - the element to look for, in lower case.
 */
export function listIncludes(value: string | readonly string[] | undefined, token: string): boolean {
  return splitList(value).some((element) => element.toLowerCase() === token);
}

// field-value: HTAB, SP, VCHAR and obs-text (RFC 9110 §5.5); anything else, CR and LF above all,
// would let a value start a new header line.
const INVALID_FIELD_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Tells whether `text` may be a field value or a reason phrase (RFC 9110 §5.5, RFC 9112 §4): HTAB,
 * SP, VCHAR and obs-text only.
 *
 * @param text - the candidate, one character per byte.
 */
export function isFieldValue(text: string): boolean {
  return !INVALID_FIELD_VALUE_CHAR.test(text);
}

/** One field line of a peer's head as {@link parseFieldLine} read it, or what is wrong with it. */
export type FieldLine =
  /** `name` as sent (not lower-cased); `value` without surrounding whitespace. */
  | { kind: 'field'; name: string; value: string }
  /** The line starts with whitespace: obsolete line folding (RFC 9112 §5.2). */
  | { kind: 'obs-fold' }
  /** No token name directly followed by `:`, or a CR or LF inside the line. */
  | { kind: 'malformed' }
  /** The value holds a control character (RFC 9110 §5.5). */
  | { kind: 'invalid-value'; name: string };

/**
 * Parses one field line of a request or response head, without its CRLF (RFC 9112 §5):
 * `field-name ":" OWS field-value OWS`. Never throws: a peer's line is data.
 *
 * @param line - the line, one character per byte (see `latin1Text`).
 */
export function parseFieldLine(line: string): FieldLine {
  // RFC 9112 §5.2: obs-fold may be refused, and both readers refuse it.
  if (isOwsChar(line.charCodeAt(0))) return { kind: 'obs-fold' };
  // A line end inside a line is how header injection and request smuggling start.
  if (line.includes('\r') || line.includes('\n')) return MALFORMED_FIELD_LINE;
  const colon = line.indexOf(':');
  if (colon <= 0) return MALFORMED_FIELD_LINE;
  // RFC 9112 §5.1: no whitespace is allowed between the field name and the colon.
  const name = line.slice(0, colon);
  if (!isToken(name)) return MALFORMED_FIELD_LINE;
  const value = trimOws(line.slice(colon + 1));
  if (!isFieldValue(value)) return { kind: 'invalid-value', name };
  return { kind: 'field', name, value };
}

const MALFORMED_FIELD_LINE: FieldLine = { kind: 'malformed' };

/**
 * Adds a received value to a header map: the first becomes a string, a repeat turns it into an
 * array of the values in order.
 *
 * @param headers - the map, changed in place.
 * @param name - the lower-case name.
 * @param value - the value.
 */
export function appendHeaderValue(headers: HeaderMap, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else if (typeof existing === 'string') headers[name] = [existing, value];
  else existing.push(value);
}

/**
 * Reads a header that must appear once: its trimmed value, `undefined` if absent, `null` if repeated.
 * (Node joins most repeated headers into one value with `, `; those fail the value's own checks.)
 *
 * @param headers - the header map.
 * @param name - the header's lower-case name.
 */
export function singleHeader(headers: HeaderMap, name: string): string | undefined | null {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return trimOws(value);
  if (value.length === 0) return undefined;
  return value.length === 1 ? trimOws(value[0]!) : null;
}

/**
 * Reads a list header raw, as in `Sec-WebSocket-Extensions`: repeated lines joined with `, `, then
 * trimmed of surrounding whitespace. Elements are left for the header's own parser.
 *
 * @param value - the header value(s); `undefined` for an absent header.
 * @returns the joined value, `''` for an absent header.
 */
export function joinedHeader(value: string | readonly string[] | undefined): string {
  return (typeof value === 'string' ? value : (value ?? []).join(', ')).trim();
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

/**
 * Checks a header value given by our caller.
 *
 * @param name - the header's name, for the message.
 * @param value - the header value.
 * @throws TypeError if `value` holds CR, LF, another control character or a character above U+00FF.
 */
export function validateHeaderValue(name: string, value: string): void {
  if (typeof value !== 'string' || !isFieldValue(value)) {
    throw new TypeError(`Invalid value for header ${name}: ${JSON.stringify(value)}`);
  }
}

/**
 * Serializes header lines, each ending with CRLF (the blank line that ends a head is not included).
 *
 * @throws TypeError if a name or value is invalid.
 */
export function serializeHeaders(headers: HeaderList): string {
  let text = '';
  for (const [name, value] of headers) {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    text += `${name}: ${value}\r\n`;
  }
  return text;
}

/**
 * Validates caller-supplied headers and refuses names the handshake sets itself.
 *
 * @param headers - the caller's extra headers.
 * @param reserved - lower-case names the caller may not set.
 * @returns `headers`, unchanged.
 * @throws TypeError if a header is invalid or its name (in any case) is reserved.
 */
export function checkedExtraHeaders(headers: HeaderList, reserved: readonly string[]): HeaderList {
  for (const [name, value] of headers) {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    if (reserved.includes(name.toLowerCase())) {
      throw new TypeError(`Header ${name} is set by the handshake and cannot be overridden`);
    }
  }
  return headers;
}

/** Splits a comma-separated list (RFC 9110 §5.6.1) into trimmed, non-empty elements. */
function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = typeof value === 'string' ? value : value.join(',');
  return text
    .split(',')
    .map(trimOws)
    .filter((element) => element !== '');
}

/**
 * Drops the optional whitespace around a value: OWS = *( SP / HTAB ) (RFC 9110 §5.6.3).
 *
 * @param text - the value as received.
 */
export function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOwsChar(text.charCodeAt(start))) start++;
  while (end > start && isOwsChar(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isOwsChar(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

// Header names and values most WebSocket requests carry, kept once: the headers live as long
// as the session (`session.handshake.headers`), so these are not fresh strings per connection.
const COMMON_HEADER_STRINGS = new Map(
  [
    'host',
    'upgrade',
    'connection',
    'origin',
    'user-agent',
    'sec-websocket-key',
    'sec-websocket-version',
    'sec-websocket-protocol',
    'sec-websocket-extensions',
    'cache-control',
    'pragma',
    'accept-encoding',
    'accept-language',
    'websocket',
    'Upgrade',
    'keep-alive, Upgrade',
    '13',
    'no-cache',
    'permessage-deflate; client_max_window_bits',
  ].map((text) => [text, text]),
);

/**
 * The shared copy of a usual header name or value, or undefined for any other text.
 *
 * @param text - a lower-case name or a value.
 */
export function sharedHeaderString(text: string): string | undefined {
  return COMMON_HEADER_STRINGS.get(text);
}

/**
 * Swaps a header map's usual values for their shared copies (the same text), in place: node
 * gives each request fresh strings, and a session keeps its request's headers.
 *
 * @param headers - the map, changed in place.
 */
export function shareCommonHeaderValues(headers: HeaderMap): void {
  for (const name in headers) {
    const value = headers[name];
    const shared = typeof value === 'string' ? COMMON_HEADER_STRINGS.get(value) : undefined;
    if (shared !== undefined) headers[name] = shared;
  }
}
