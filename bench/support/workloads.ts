// The bytes the codec benchmark feeds both sides: text payloads of an exact size, masked
// client frames built byte by byte (independently of src/codec, so a bug in our encoder
// cannot make both sides agree on wrong input), and the ~64 KiB chunks a decode task pushes.

/** Bytes of work one benchmark task aims at: tinybench's per-call overhead dwarfs a 16 B frame. */
export const TASK_BYTES = 64 * 1024;

/** The payload sizes of the goals. */
export const DEFAULT_SIZES: readonly number[] = [16, 125, 1024, 16 * 1024, 1024 * 1024];

/** `'ascii'`: JSON-like ASCII text; `'mixed'`: about one 2-, 3- or 4-byte code point in six. */
export type TextKind = 'ascii' | 'mixed';

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

/** Valid UTF-8 of exactly `size` bytes (padded with ASCII so no code point is cut). */
export function textPayload(size: number, kind: TextKind): Buffer {
  const out = Buffer.alloc(size);
  let at = 0;
  let piece = 0;
  while (at < size) {
    const text = kind === 'ascii' ? ASCII_TEXT : MIXED_PIECES[piece++ % MIXED_PIECES.length];
    const bytes = Buffer.from(text, 'utf8');
    if (at + bytes.length > size) {
      // The tail is ASCII so the payload stays valid whatever its size.
      out.fill(0x2e, at);
      break;
    }
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/** Random bytes of `size` for binary (encode) payloads. */
export function binaryPayload(size: number, seed = 0x5eed): Buffer {
  const next = xorshift32(seed);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = next() & 0xff;
  return out;
}

/** A final frame with the given opcode, masked with `key` (4 bytes) as a client sends it. */
export function maskedFrame(opcode: number, payload: Uint8Array, key: Uint8Array): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = 2 + lengthBytes + 4;
  const frame = Buffer.alloc(header + length);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.set(key, header - 4);
  for (let i = 0; i < length; i++) frame[header + i] = payload[i] ^ key[i & 3];
  return frame;
}

/** A cycle of chunks that a decode task pushes one at a time, with what they must decode to. */
export interface DecodeSet {
  /** Payload size of every frame. */
  readonly size: number;
  readonly kind: TextKind;
  /** The unmasked payload every frame carries. */
  readonly payload: Buffer;
  /** The masked chunks, never modified: runners refresh their own copies from these. */
  readonly chunks: readonly Buffer[];
  /** Whole text frames in one pass over `chunks`. */
  readonly framesPerCycle: number;
  /** Payload bytes in one pass over `chunks`. */
  readonly payloadBytesPerCycle: number;
}

/** Frames in the stream when one frame is larger than a task: several, so chunks cut headers. */
const LARGE_FRAME_STREAM = 4;

/**
 * Masked text frames of `size` bytes: whole frames packed into one ~64 KiB chunk when a
 * frame fits, else a stream of several frames cut into ~64 KiB chunks (so frames and
 * headers straddle chunk boundaries as they do on a socket). Each frame has its own key.
 */
export function buildDecodeSet(size: number, kind: TextKind, seed = 0x77a5): DecodeSet {
  const payload = textPayload(size, kind);
  const next = xorshift32(seed);
  const newKey = () => {
    const key = Buffer.alloc(4);
    key.writeUInt32LE((next() | 0x01010101) >>> 0, 0); // never all-zero: ws skips unmasking then
    return key;
  };
  const frameBytes = maskedFrame(1, payload, newKey()).length;
  const frameCount =
    frameBytes <= TASK_BYTES ? Math.max(1, Math.round(TASK_BYTES / frameBytes)) : LARGE_FRAME_STREAM;
  const stream = Buffer.concat(Array.from({ length: frameCount }, () => maskedFrame(1, payload, newKey())));
  const chunkCount = Math.max(1, Math.round(stream.length / TASK_BYTES));
  const chunkBytes = Math.ceil(stream.length / chunkCount);
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += chunkBytes) {
    chunks.push(Buffer.from(stream.subarray(at, Math.min(at + chunkBytes, stream.length))));
  }
  return { size, kind, payload, chunks, framesPerCycle: frameCount, payloadBytesPerCycle: frameCount * size };
}

/** Frames one encode task produces at `size`: about 64 KiB of payload, at least one. */
export function encodesPerTask(size: number): number {
  return Math.max(1, Math.round(TASK_BYTES / Math.max(size, 1)));
}
