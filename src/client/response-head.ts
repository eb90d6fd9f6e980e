// Reads the server's answer to the opening handshake from raw bytes: the status line and
// headers up to the blank line (CRLF line ends, a size limit), then, for a refusal, a bounded
// piece of its body. Bytes after a 101 head are WebSocket frames and are handed back untouched.
//
// States: head (collecting the head) → body (a non-101 answer: collecting at most `maxBody`
// bytes) → done. Interim 1xx answers other than 101 (RFC 9110 §15.2) are skipped.
import { isToken } from '../handshake/http-token.js';

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

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const HEADER_LINE = /^([^:]*):[ \t]*(.*?)[ \t]*$/;
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/** Default limit of the response head: 16 KiB, node's `maxHeaderSize`. */
export const DEFAULT_MAX_HEAD = 16 * 1024;
/** Default limit of a refusal's body kept for the error: 4 KiB. */
export const DEFAULT_MAX_ERROR_BODY = 4 * 1024;

/** Push parser for the server's answer. */
export class ResponseReader {
  private buffered: Buffer = Buffer.alloc(0);
  private refusal: ResponseHead | null = null;
  /** Bytes of body still wanted (a Content-Length, capped); -1 to read until the end or the cap. */
  private bodyWanted = -1;
  private chunked = false;

  constructor(
    private readonly maxHead = DEFAULT_MAX_HEAD,
    private readonly maxBody = DEFAULT_MAX_ERROR_BODY,
  ) {}

  /** Feeds bytes from the socket. */
  push(bytes: Uint8Array): ReadResult {
    this.buffered = this.buffered.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.buffered, bytes]);
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
      const end = this.buffered.indexOf(CRLF_CRLF);
      if (end === -1) {
        if (this.buffered.length > this.maxHead)
          return malformed(`Response head exceeds ${this.maxHead} bytes`);
        return { state: 'more' };
      }
      if (end + 4 > this.maxHead) return malformed(`Response head exceeds ${this.maxHead} bytes`);
      const parsed = parseHead(this.buffered.toString('latin1', 0, end));
      if (typeof parsed === 'string') return malformed(parsed);
      const rest = this.buffered.subarray(end + 4);
      if (parsed.status === 101) return { state: 'upgraded', head: parsed, rest: new Uint8Array(rest) };
      // RFC 9110 §15.2: a client must accept (and may ignore) interim answers before the final one.
      if (parsed.status < 200) {
        this.buffered = Buffer.from(rest);
        continue;
      }
      this.refusal = parsed;
      this.buffered = Buffer.from(rest);
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
      ? this.buffered.includes('\r\n0\r\n') || this.buffered.subarray(0, 3).toString('latin1') === '0\r\n'
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

function malformed(reason: string): ReadResult {
  return { state: 'malformed', reason };
}

/** Parses `HTTP/1.x NNN reason` and the header lines; a string names what is wrong. */
function parseHead(text: string): ResponseHead | string {
  const lines = text.split('\r\n');
  const statusMatch = STATUS_LINE.exec(lines[0]!);
  if (statusMatch === null) return `Invalid status line ${JSON.stringify(lines[0]!.slice(0, 100))}`;
  const headers: Record<string, string | string[]> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    // RFC 9112 §5.2: obsolete line folding; a client may reject it, and we do.
    if (line.startsWith(' ') || line.startsWith('\t')) return 'Folded header lines are not accepted';
    const match = HEADER_LINE.exec(line);
    if (match === null || !isToken(match[1]!))
      return `Invalid header line ${JSON.stringify(line.slice(0, 100))}`;
    const value = match[2]!;
    if (INVALID_VALUE_CHAR.test(value)) return `Invalid value for header ${match[1]}`;
    const name = match[1]!.toLowerCase();
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = [previous, value];
  }
  return { status: Number(statusMatch[2]), statusText: statusMatch[3] ?? '', headers };
}

/** Best-effort decoding of a chunked body (RFC 9112 §7.1), stopping at whatever is cut off. */
function dechunk(bytes: Buffer): Uint8Array {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(bytes.toString('latin1', at, lineEnd).split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    const start = lineEnd + 2;
    parts.push(bytes.subarray(start, Math.min(start + size, bytes.length)));
    at = start + size + 2;
    if (at > bytes.length) break;
  }
  return Buffer.concat(parts);
}
