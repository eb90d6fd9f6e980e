// RequestHeadReader: reads an HTTP/1.1 request head (RFC 9112 §2-§5) from a byte stream,
// strictly and within limits, for the reference acceptor. Lines are checked as they
// complete, so a malformed request is refused without waiting for the rest of it.
//
// States: request-line (leading empty lines skipped) → headers → done | failed.
import type { HeaderMap } from '../handshake/http1.js';

/** A request head that follows the grammar. The semantics (GET, Upgrade, …) are checked later. */
export interface RequestHead {
  method: string;
  /** The request-target as sent. */
  target: string;
  /** The path and query: the target itself in origin-form, the part after the authority in absolute-form. */
  path: string;
  /** The version without `HTTP/`, e.g. `1.1`. */
  httpVersion: string;
  /** Lower-case names; a repeated header becomes an array of its values, in order. */
  headers: HeaderMap;
}

/** The outcome of {@link RequestHeadReader.push}. */
export type HeadReadResult =
  /** The head is not complete yet: push more. */
  | { state: 'more' }
  /** The head is complete; `rest` holds the bytes after it (a view of the pushed chunk). */
  | { state: 'done'; head: RequestHead; rest: Uint8Array }
  /** The request is refused: answer with `status` and `reason` and close. */
  | { state: 'failed'; status: 400 | 431; reason: string };

/** Limits of a {@link RequestHeadReader}. */
export interface RequestHeadLimits {
  /** Most bytes in the head, request line and final CRLF included. */
  maxHeadBytes: number;
  /** Most header lines. */
  maxHeaders: number;
}

const CR = 0x0d;
const LF = 0x0a;

// RFC 9112 §3: request-line = method SP request-target SP HTTP-version. The method is a
// token; the target has no whitespace or controls (RFC 3986 allows only visible ASCII).
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/([0-9])\.([0-9])$/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: field-value is VCHAR, obs-text, SP and HTAB.
const INVALID_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
// RFC 9112 §3.2.2: absolute-form; servers MUST accept it. Keep the path and query.
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^#]*)/;

/** Reads one request head from chunks pushed in arrival order. */
export class RequestHeadReader {
  private readonly limits: RequestHeadLimits;
  /** The start of a line whose LF has not arrived yet (at most `maxHeadBytes` in all). */
  private partial: Uint8Array[] = [];
  private partialLength = 0;
  private headBytes = 0;
  private requestLine: { method: string; target: string; path: string; httpVersion: string } | null = null;
  private readonly headers: HeaderMap = {};
  private headerCount = 0;
  private finished: HeadReadResult | null = null;

  constructor(limits: RequestHeadLimits) {
    this.limits = limits;
  }

  /** Feeds the next chunk. After `done` or `failed`, further pushes return the same result. */
  push(chunk: Uint8Array): HeadReadResult {
    if (this.finished !== null) return this.finished;
    let lineStart = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, lineStart);
      const lineBytes = this.partialLength + (lf === -1 ? chunk.length : lf + 1) - lineStart;
      // Count a line before looking at it, so a huge line is refused for its size.
      if (this.headBytes + lineBytes > this.limits.maxHeadBytes) {
        return this.fail(431, `Request head is larger than ${this.limits.maxHeadBytes} bytes`);
      }
      if (lf === -1) break;
      this.headBytes += lineBytes;
      // A line split across chunks is joined once, when its LF arrives: linear in the head size
      // however the client slices it.
      let line = chunk;
      let start = lineStart;
      if (this.partialLength > 0) {
        line = joinChunks([...this.partial, chunk.subarray(lineStart, lf + 1)], lineBytes);
        start = 0;
        this.partial = [];
        this.partialLength = 0;
      }
      const end = start + lineBytes - 1; // the LF
      lineStart = lf + 1;
      // RFC 9112 §2.2: a bare LF may be taken as a line end, but accepting it is what request
      // smuggling feeds on; we require CRLF.
      if (end === start || line[end - 1] !== CR) return this.fail(400, 'Lines must end with CRLF');
      const result = this.line(line, start, end - 1);
      if (result === null) continue;
      if (result.state === 'done') {
        this.finished = { state: 'done', head: result.head, rest: chunk.subarray(lineStart) };
        return this.finished;
      }
      return result;
    }
    if (lineStart < chunk.length) {
      // Keep a copy: the caller may reuse the chunk.
      this.partial.push(chunk.slice(lineStart));
      this.partialLength += chunk.length - lineStart;
    }
    return { state: 'more' };
  }

  /** Handles one line (without its CRLF); returns a result when the head ends or fails. */
  private line(bytes: Uint8Array, start: number, end: number): HeadReadResult | null {
    // A CR anywhere but before the LF is a malformed line.
    const cr = bytes.indexOf(CR, start);
    if (cr !== -1 && cr < end) return this.fail(400, 'Bare CR in the request head');
    const text = latin1(bytes, start, end);

    if (this.requestLine === null) {
      // RFC 9112 §2.2: ignore empty lines before the request-line.
      if (text === '') return null;
      const match = REQUEST_LINE.exec(text);
      if (match === null) return this.fail(400, 'Malformed request line');
      const target = match[2]!;
      const path = pathOf(target);
      if (path === null)
        return this.fail(400, 'Request target must be a path (origin-form) or an absolute URI');
      this.requestLine = { method: match[1]!, target, path, httpVersion: `${match[3]}.${match[4]}` };
      return null;
    }

    if (text === '') {
      const { method, target, path, httpVersion } = this.requestLine;
      return {
        state: 'done',
        head: { method, target, path, httpVersion, headers: this.headers },
        rest: bytes,
      };
    }
    // RFC 9112 §5.2: obs-fold (a line starting with whitespace) may be rejected with 400;
    // §2.2: so must whitespace between the request line and the first header.
    if (text.charCodeAt(0) === 0x20 || text.charCodeAt(0) === 0x09) {
      return this.fail(400, 'Header lines must not start with whitespace (obsolete line folding)');
    }
    this.headerCount++;
    if (this.headerCount > this.limits.maxHeaders) {
      return this.fail(431, `More than ${this.limits.maxHeaders} header lines`);
    }
    const colon = text.indexOf(':');
    // RFC 9112 §5.1: no whitespace is allowed between the field name and the colon.
    if (colon <= 0 || !FIELD_NAME.test(text.slice(0, colon))) {
      return this.fail(400, 'Malformed header line: expected a token name directly followed by ":"');
    }
    const trimmed = trimOws(text.slice(colon + 1));
    if (INVALID_FIELD_VALUE.test(trimmed)) return this.fail(400, 'Header value contains a control character');
    // The headers live as long as the session (`session.handshake.headers`): usual names and
    // values are shared constants rather than fresh strings per connection.
    const value = COMMON_STRINGS.get(trimmed) ?? trimmed;
    const lowered = text.slice(0, colon).toLowerCase();
    const name = COMMON_STRINGS.get(lowered) ?? lowered;
    const existing = this.headers[name];
    if (existing === undefined) this.headers[name] = value;
    else if (typeof existing === 'string') this.headers[name] = [existing, value];
    else existing.push(value);
    return null;
  }

  private fail(status: 400 | 431, reason: string): HeadReadResult {
    this.partial = [];
    this.partialLength = 0;
    this.finished = { state: 'failed', status, reason };
    return this.finished;
  }
}

/**
 * Refuses a body on an upgrade request: the bytes after the head are WebSocket frames, and a
 * proxy that took them for a body would disagree with us about where the request ends.
 *
 * @returns the reason to answer 400 with, or `null` when the request has no body.
 */
export function bodyFramingError(headers: HeaderMap): string | null {
  if (headers['transfer-encoding'] !== undefined) return 'An upgrade request must not have Transfer-Encoding';
  const length = headers['content-length'];
  if (length !== undefined && length !== '0') return 'An upgrade request must not have a body';
  return null;
}

function pathOf(target: string): string | null {
  if (target.startsWith('/')) return target;
  const absolute = ABSOLUTE_FORM.exec(target);
  if (absolute === null) return null;
  const rest = absolute[1]!;
  if (rest === '') return '/';
  return rest.startsWith('/') ? rest : rest.startsWith('?') ? `/${rest}` : null;
}

function joinChunks(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const joined = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  return joined;
}

const COMMON_STRINGS = new Map(
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

function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === 0x20 || text.charCodeAt(start) === 0x09)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end--;
  return text.slice(start, end);
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}
