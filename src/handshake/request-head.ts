// RequestHeadReader: reads an HTTP/1.1 request head (RFC 9112 §2-§5) from a byte stream,
// strictly and within limits, for the reference acceptor. Lines are checked as they
// complete, so a malformed request is refused without waiting for the rest of it. Its
// counterpart for the client is `response-head.ts`; both read field lines with `headers.ts`.
//
// States: request-line (leading empty lines skipped) → headers → done | failed.
import {
  CR,
  concatBytes,
  DEFAULT_MAX_HEAD_BYTES,
  DEFAULT_MAX_HEADERS,
  LF,
  latin1Text,
} from './head-bytes.js';
import { appendHeaderValue, type HeaderMap, parseFieldLine, sharedHeaderString } from './headers.js';
import { TCHAR_PATTERN } from './http-token.js';

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
  /** Most bytes in the head, request line and final CRLF included. Default 16 KiB (`DEFAULT_MAX_HEAD_BYTES`). */
  maxHeadBytes?: number;
  /** Most header lines. Default 100 (`DEFAULT_MAX_HEADERS`). */
  maxHeaders?: number;
}

// RFC 9112 §3: request-line = method SP request-target SP HTTP-version. The method is a
// token; the target has no whitespace or controls (RFC 3986 allows only visible ASCII).
const REQUEST_LINE = new RegExp(`^(${TCHAR_PATTERN}+) ([\\x21-\\x7e]+) HTTP/([0-9])\\.([0-9])$`);
// RFC 9112 §3.2.2: absolute-form; servers MUST accept it. Keep the path and query.
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^#]*)/;

/** Reads one request head from chunks pushed in arrival order. */
export class RequestHeadReader {
  private readonly maxHeadBytes: number;
  private readonly maxHeaders: number;
  /** The start of a line whose LF has not arrived yet (at most `maxHeadBytes` in all). */
  private partial: Uint8Array[] = [];
  private partialLength = 0;
  private headBytes = 0;
  private requestLine: { method: string; target: string; path: string; httpVersion: string } | null = null;
  private readonly headers: HeaderMap = {};
  private headerCount = 0;
  private finished: HeadReadResult | null = null;

  constructor(limits: RequestHeadLimits = {}) {
    this.maxHeadBytes = limits.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
    this.maxHeaders = limits.maxHeaders ?? DEFAULT_MAX_HEADERS;
  }

  /** Feeds the next chunk. After `done` or `failed`, further pushes return the same result. */
  push(chunk: Uint8Array): HeadReadResult {
    if (this.finished !== null) return this.finished;
    let lineStart = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, lineStart);
      const lineBytes = this.partialLength + (lf === -1 ? chunk.length : lf + 1) - lineStart;
      // Count a line before looking at it, so a huge line is refused for its size.
      if (this.headBytes + lineBytes > this.maxHeadBytes) {
        return this.fail(431, `Request head is larger than ${this.maxHeadBytes} bytes`);
      }
      if (lf === -1) break;
      this.headBytes += lineBytes;
      // A line split across chunks is joined once, when its LF arrives: linear in the head size
      // however the client slices it.
      let line = chunk;
      let start = lineStart;
      if (this.partialLength > 0) {
        line = concatBytes([...this.partial, chunk.subarray(lineStart, lf + 1)], lineBytes);
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
      // Keep a copy: the caller may reuse the chunk. (Not `slice`: on a Buffer it is a view.)
      this.partial.push(new Uint8Array(chunk.subarray(lineStart)));
      this.partialLength += chunk.length - lineStart;
    }
    return { state: 'more' };
  }

  /** Handles one line (without its CRLF); returns a result when the head ends or fails. */
  private line(bytes: Uint8Array, start: number, end: number): HeadReadResult | null {
    // A CR anywhere but before the LF is a malformed line.
    const cr = bytes.indexOf(CR, start);
    if (cr !== -1 && cr < end) return this.fail(400, 'Bare CR in the request head');
    const text = latin1Text(bytes, start, end);

    if (this.requestLine === null) {
      // RFC 9112 §2.2: ignore empty lines before the request-line.
      if (text === '') return null;
      const match = REQUEST_LINE.exec(text);
      if (match === null) return this.fail(400, 'Malformed request line');
      const target = match[2]!;
      const path = pathOf(target);
      if (path === null)
        return this.fail(400, 'Request target must be a path (origin-form) or an absolute URI');
      this.requestLine = {
        method: match[1]!,
        target,
        path: detached(path, text, bytes, start),
        httpVersion: `${match[3]}.${match[4]}`,
      };
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
    const field = parseFieldLine(text);
    // RFC 9112 §5.2: obs-fold may be rejected with 400; §2.2: so must whitespace between the
    // request line and the first header.
    if (field.kind === 'obs-fold') {
      return this.fail(400, 'Header lines must not start with whitespace (obsolete line folding)');
    }
    this.headerCount++;
    if (this.headerCount > this.maxHeaders) {
      return this.fail(431, `More than ${this.maxHeaders} header lines`);
    }
    if (field.kind === 'malformed') {
      return this.fail(400, 'Malformed header line: expected a token name directly followed by ":"');
    }
    if (field.kind === 'invalid-value') return this.fail(400, 'Header value contains a control character');
    // The headers live as long as the session (`session.handshake.headers`): usual names and
    // values are shared constants rather than fresh strings per connection.
    const lowered = field.name.toLowerCase();
    appendHeaderValue(
      this.headers,
      sharedHeaderString(lowered) ?? lowered,
      sharedHeaderString(field.value) ?? detached(field.value, text, bytes, start),
    );
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
 * `piece`, a substring of `line` (the latin1 text of `bytes` from `lineStart`), as a string of
 * its own: V8 keeps a substring of 13 characters or more as a view that holds its whole line,
 * and the path and headers live as long as the session. Re-decoded from the bytes (any
 * occurrence of the piece in the line has the same characters).
 */
function detached(piece: string, line: string, bytes: Uint8Array, lineStart: number): string {
  const at = piece.length < 13 ? -1 : line.indexOf(piece);
  // -1 also for a piece built from the line rather than cut from it (`/?query`): kept as it is.
  return at < 0 ? piece : latin1Text(bytes, lineStart + at, lineStart + at + piece.length);
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
