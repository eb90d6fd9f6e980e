// Reads the server's answer to the opening handshake from raw bytes: the status line and
// headers up to the blank line (CRLF line ends, a size limit), then, for a refusal, a bounded
// piece of its body. Bytes after a 101 head are WebSocket frames and are handed back untouched.
//
// Its counterpart for the server is `request-head.ts`; both read field lines with `headers.ts`.
//
// States: head (collecting the head) → body (a non-101 answer: collecting at most `maxBody`
// bytes) → done. Interim 1xx answers other than 101 (RFC 9110 §15.2) are skipped.
import {
  CR,
  concatBytes,
  DEFAULT_MAX_HEAD_BYTES,
  findHeadEnd,
  HEAD_END_LENGTH,
  indexOfBytes,
  LF,
  latin1Text,
} from './head-bytes.js';
import { appendHeaderValue, isFieldValue, parseFieldLine } from './headers.js';

/** A parsed response head. */
export interface ResponseHead {
  status: number;
  /** The reason phrase, possibly empty. */
  statusText: string;
  /** Lower-case names; a header that appears more than once is an array, in order. */
  headers: Record<string, string | string[]>;
}

/** What {@link ResponseReader.push} concluded. */
export type ReadResult =
  | { state: 'more' }
  /** A 101 head; `rest` holds the bytes that followed it. */
  | { state: 'upgraded'; head: ResponseHead; rest: Uint8Array }
  /** A refusal with as much body as was wanted (or arrived before the end). */
  | { state: 'refused'; head: ResponseHead; body: string }
  | { state: 'malformed'; reason: string };

// RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]; the phrase's
// characters are checked with the field-value rule. (A missing SP before an empty phrase is tolerated.)
const STATUS_LINE = /^HTTP\/1\.(\d) (\d{3})(?: (.*))?$/;
const CRLF = Uint8Array.of(CR, LF);
// RFC 9112 §7.1: the last chunk is a zero size line, after a chunk's CRLF unless it is the first.
const LAST_CHUNK = Uint8Array.of(CR, LF, 0x30 /* 0 */, CR, LF);
const ZERO_SIZE_LINE = LAST_CHUNK.subarray(2);

/** Default limit of a refusal's body kept for the error: 4 KiB. */
export const DEFAULT_MAX_ERROR_BODY = 4 * 1024;

/** Push parser for the server's answer. */
export class ResponseReader {
  private buffered: Uint8Array = new Uint8Array(0);
  private refusal: ResponseHead | null = null;
  /** Bytes of body still wanted (a Content-Length, capped); -1 to read until the end or the cap. */
  private bodyWanted = -1;
  private chunked = false;

  constructor(
    private readonly maxHead = DEFAULT_MAX_HEAD_BYTES,
    private readonly maxBody = DEFAULT_MAX_ERROR_BODY,
  ) {}

  /** Feeds bytes from the socket; they are copied, so the caller may reuse them. */
  push(bytes: Uint8Array): ReadResult {
    this.buffered = this.buffered.length === 0 ? new Uint8Array(bytes) : concatBytes([this.buffered, bytes]);
    return this.refusal === null ? this.readHead() : this.readBody();
  }

  /**
   * The connection ended or the wait is over: a refusal is reported with the body received so
   * far; `undefined` while the head is still incomplete.
   */
  finish(): ReadResult | undefined {
    if (this.refusal === null) return undefined;
    return { state: 'refused', head: this.refusal, body: this.decodeBody() };
  }

  private readHead(): ReadResult {
    for (;;) {
      const end = findHeadEnd(this.buffered);
      if (end === -1) {
        if (this.buffered.length > this.maxHead)
          return malformed(`Response head exceeds ${this.maxHead} bytes`);
        return { state: 'more' };
      }
      const headLength = end + HEAD_END_LENGTH;
      if (headLength > this.maxHead) return malformed(`Response head exceeds ${this.maxHead} bytes`);
      const parsed = parseHead(latin1Text(this.buffered, 0, end));
      if (typeof parsed === 'string') return malformed(parsed);
      // A copy, so that the frames after the head do not keep the head's bytes alive.
      const rest = this.buffered.slice(headLength);
      if (parsed.status === 101) return { state: 'upgraded', head: parsed, rest };
      this.buffered = rest;
      // RFC 9110 §15.2: a client must accept (and may ignore) interim answers before the final one.
      if (parsed.status < 200) continue;
      this.refusal = parsed;
      this.planBody(parsed);
      return this.readBody();
    }
  }

  private planBody(head: ResponseHead): void {
    const encoding = head.headers['transfer-encoding'];
    this.chunked = String(encoding ?? '')
      .toLowerCase()
      .includes('chunked');
    const length = head.headers['content-length'];
    // RFC 9110 §6.4.1: 204 and 304 have no body.
    if (head.status === 204 || head.status === 304) this.bodyWanted = 0;
    else if (!this.chunked && typeof length === 'string' && /^\d+$/.test(length)) {
      this.bodyWanted = Math.min(Number(length), this.maxBody);
    }
  }

  private readBody(): ReadResult {
    const have = this.buffered.length;
    const done = this.chunked
      ? indexOfBytes(this.buffered, LAST_CHUNK) !== -1 || startsWith(this.buffered, ZERO_SIZE_LINE)
      : this.bodyWanted >= 0 && have >= this.bodyWanted;
    if (done || have >= this.maxBody + (this.chunked ? 64 : 0)) return this.finish()!;
    return { state: 'more' };
  }

  private decodeBody(): string {
    let bytes: Uint8Array = this.chunked ? dechunk(this.buffered) : this.buffered;
    if (this.bodyWanted >= 0) bytes = bytes.subarray(0, this.bodyWanted);
    return new TextDecoder().decode(bytes.subarray(0, this.maxBody));
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}

function malformed(reason: string): ReadResult {
  return { state: 'malformed', reason };
}

/** Parses `HTTP/1.x NNN reason` and the header lines; a string names what is wrong. */
function parseHead(text: string): ResponseHead | string {
  const lines = text.split('\r\n');
  const statusMatch = STATUS_LINE.exec(lines[0]!);
  const statusText = statusMatch?.[3] ?? '';
  if (statusMatch === null || !isFieldValue(statusText)) {
    return `Invalid status line ${JSON.stringify(lines[0]!.slice(0, 100))}`;
  }
  const headers: Record<string, string | string[]> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const field = parseFieldLine(line);
    // RFC 9112 §5.2: obsolete line folding; a client may reject it, and we do.
    if (field.kind === 'obs-fold') return 'Folded header lines are not accepted';
    if (field.kind === 'malformed') return `Invalid header line ${JSON.stringify(line.slice(0, 100))}`;
    if (field.kind === 'invalid-value') return `Invalid value for header ${field.name}`;
    appendHeaderValue(headers, field.name.toLowerCase(), field.value);
  }
  return { status: Number(statusMatch[2]), statusText, headers };
}

/** Best-effort decoding of a chunked body (RFC 9112 §7.1), stopping at whatever is cut off. */
function dechunk(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = indexOfBytes(bytes, CRLF, at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(latin1Text(bytes, at, lineEnd).split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    const start = lineEnd + 2;
    parts.push(bytes.subarray(start, Math.min(start + size, bytes.length)));
    at = start + size + 2;
    if (at > bytes.length) break;
  }
  return concatBytes(parts);
}
