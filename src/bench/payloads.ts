// The bytes every benchmark sends, built here independently of src/codec (so a bug in our
// encoder cannot make both sides agree on wrong input): text of an exact size (JSON-like
// ASCII, or mixed with a 2-, 3- or 4-byte code point in about six), a byte pattern, pools of
// distinct JSON documents for deflate, masked client frames, and a plain frame reader that
// checks what an encoder produced.
import { createHash } from 'node:crypto';

/** What a payload carries: ASCII text, mixed UTF-8 text, a byte pattern, or distinct JSON documents. */
export type PayloadKind = 'ascii' | 'mixed' | 'pattern' | 'json';

const ASCII_TEXT =
  '{"type":"chat","room":"lobby","user":"ada","text":"The quick brown fox jumps over the lazy dog."}';
const MIXED_PIECES = ['héllo ', 'wörld ', '€uro ', '日本 ', '𝄞 ', 'ascii ', 'κόσμε ', '🎉 '];

/** A deterministic xorshift32 PRNG, so every run builds the same bytes. */
export function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

/** Valid UTF-8 of exactly `size` bytes (the tail padded with ASCII so no code point is cut). */
export function textPayload(size: number, kind: 'ascii' | 'mixed'): Buffer {
  const out = Buffer.alloc(size);
  for (let at = 0, piece = 0; at < size; ) {
    const bytes = Buffer.from(kind === 'ascii' ? ASCII_TEXT : MIXED_PIECES[piece++ % MIXED_PIECES.length]);
    if (at + bytes.length > size) {
      out.fill(0x2e, at);
      break;
    }
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/** Pseudo-random bytes (encode payloads). */
export function binaryPayload(size: number, seed = 0x5eed): Buffer {
  const next = xorshift32(seed);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = next() & 0xff;
  return out;
}

/** A fixed byte pattern, poorly compressible, as the echo workloads have always used. */
export function patternPayload(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

const NAMES = ['Alice', 'Bruno', 'Chen', 'Dana', 'Emeka', 'Farah', 'Goran', 'Hana', 'Ivan', 'Jun', 'Kofi'];
const CITIES = ['Lyon', 'Osaka', 'Lagos', 'Porto', 'Denver', 'Krakow'];
const TAGS = ['admin', 'beta', 'trial', 'vip', 'mobile', 'eu', 'us', 'apac', 'churn-risk', 'new'];

/** One JSON document of exactly `size` bytes: records (ids, names, e-mails, times, nesting) then a padded note. */
function jsonDocument(size: number, next: () => number): Buffer {
  const pick = <T>(list: readonly T[]) => list[next() % list.length];
  const records: string[] = [];
  const closing = '],"note":""}';
  let text = '{"records":[';
  for (;;) {
    const name = pick(NAMES);
    const record = JSON.stringify({
      id: next() % 10_000_000,
      user: `${name.toLowerCase()}${next() % 100}`,
      email: `${name.toLowerCase()}.${next() % 1000}@example.com`,
      active: next() % 10 < 7,
      balance: (next() % 100_000_000) / 100,
      tags: [pick(TAGS), pick(TAGS)].slice(0, 1 + (next() % 2)),
      updated: new Date(Date.UTC(2024, next() % 12, 1 + (next() % 28), 0, 0, next() % 86_400)).toISOString(),
      location: { city: pick(CITIES), lat: (next() % 18_000) / 100 - 90 },
    });
    const piece = (records.length === 0 ? '' : ',') + record;
    if (text.length + piece.length + closing.length > size) break;
    records.push(record);
    text += piece;
  }
  const note = 'ordered shipped pending refund invoice account updated payment via card '.repeat(
    Math.ceil(size / 64),
  );
  const document = Buffer.from(`${text}],"note":"${note.slice(0, size - text.length - closing.length)}"}`);
  if (document.length !== size) throw new RangeError(`JSON of ${size} bytes does not fit`);
  return document;
}

/** Distinct JSON documents per pool: 64 of 1 KiB already span twice zlib's 32 KiB window. */
export const JSON_POOL = 64;

/**
 * The messages a workload sends in turn: one payload repeated, or for `json` a pool of
 * {@link JSON_POOL} distinct documents (message n carries document n % pool), so deflate
 * sees repeated keys and vocabulary but never a whole message it has just seen.
 */
export function messagePool(kind: PayloadKind, size: number): Buffer[] {
  if (kind === 'json') {
    if (size < 64) throw new RangeError('json payloads are at least 64 bytes');
    const next = xorshift32(0x5eed ^ size);
    return Array.from({ length: JSON_POOL }, () => jsonDocument(size, next));
  }
  return [kind === 'pattern' ? patternPayload(size) : textPayload(size, kind)];
}

/** A final frame with the given opcode (and RSV1 if `compressed`), masked with `key` as a client sends it. */
export function maskedFrame(
  opcode: number,
  payload: Uint8Array,
  key: Uint8Array,
  compressed = false,
): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = 2 + lengthBytes + 4;
  const frame = Buffer.alloc(header + length);
  frame[0] = 0x80 | (compressed ? 0x40 : 0) | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.set(key, header - 4);
  // RFC 6455 §5.3: every client frame is masked.
  for (let i = 0; i < length; i++) frame[header + i] = payload[i] ^ key[i & 3];
  return frame;
}

/** Reads one whole frame (any mask) back: what the encode checks decode an encoder's output with. */
export function readFrame(bytes: Uint8Array): { first: number; payload: Buffer } {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const code = view[1] & 0x7f;
  let at = 2;
  let length = code;
  if (code === 126) {
    length = view.readUInt16BE(2);
    at = 4;
  } else if (code === 127) {
    length = Number(view.readBigUInt64BE(2));
    at = 10;
  }
  const masked = (view[1] & 0x80) !== 0;
  const key = masked ? view.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (view.length !== at + length)
    throw new RangeError(`frame of ${view.length} bytes, header says ${at + length}`);
  const payload = Buffer.from(view.subarray(at));
  if (key !== undefined) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
  return { first: view[0], payload };
}

/** A running SHA-256 over delivered payloads, with their count and bytes. */
export class PayloadDigest {
  messages = 0;
  bytes = 0;
  private readonly hash = createHash('sha256');
  add(data: Uint8Array | string): void {
    this.messages++;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.bytes += bytes.length;
    this.hash.update(bytes);
  }
  /** The digest so far (more may be added after). */
  hex(): string {
    return this.hash.copy().digest('hex');
  }
}
