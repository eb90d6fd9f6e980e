// Test helpers: hex in and out, frame building, and a recording sink.
import { FrameParser, type FrameParserOptions, type FramePiece } from '../../src/codec/frame-parser.js';

export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Hex for short payloads; length and an FNV-1a hash for long ones, which hex would make slow to compare. */
export function digest(bytes: Uint8Array): string {
  if (bytes.length <= 256) return toHex(bytes);
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return `${bytes.length}:${(hash >>> 0).toString(16)}`;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export interface FrameSpec {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  rsv?: number; // 0x40, 0x20, 0x10 bits
  maskKey?: number; // present: masked with these 4 bytes (little-endian)
  /** Force a length encoding: 7, 16 or 64 bits (for non-minimal tests). */
  lengthBits?: 7 | 16 | 64;
}

/** Builds a frame byte by byte, independently of the encoder under test. */
export function buildFrame(spec: FrameSpec): Uint8Array {
  const { opcode, payload } = spec;
  const length = payload.length;
  const bits = spec.lengthBits ?? (length < 126 ? 7 : length < 65536 ? 16 : 64);
  const header: number[] = [(spec.fin === false ? 0 : 0x80) | (spec.rsv ?? 0) | opcode];
  const maskBit = spec.maskKey === undefined ? 0 : 0x80;
  if (bits === 7) header.push(maskBit | length);
  else if (bits === 16) header.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    header.push(maskBit | 127);
    const high = Math.floor(length / 2 ** 32);
    for (const word of [high, length >>> 0])
      header.push(word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff);
  }
  // A copy even for a Buffer, whose slice() is a view: masking must not touch the caller's bytes.
  const body = Uint8Array.from(payload);
  if (spec.maskKey !== undefined) {
    const key = [0, 8, 16, 24].map((s) => (spec.maskKey! >>> s) & 0xff);
    header.push(...key);
    for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  }
  return concat([Uint8Array.from(header), body]);
}

export interface ParsedFrame {
  offset: number;
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  maskKey: number;
  headerLength: number;
  length: number;
  payload: string; // digest(): hex up to 256 bytes
}

export interface ParseResult {
  frames: ParsedFrame[];
  pieces: number;
  error: { code: string; closeCode: number; offset: number } | null;
}

/** Feeds `chunks` to a parser and collects whole frames (pieces joined) and the error. */
/**
 * Parses `chunks` with a FrameParser. `feed: 'in-place'` writes each chunk into the parser's
 * read target (in pieces as large as it takes) and pushes it from there, as a socket read does.
 */
export function parseChunks(
  chunks: readonly Uint8Array[],
  options: FrameParserOptions,
  feed: 'push' | 'in-place' = 'push',
): ParseResult {
  const result: ParseResult = { frames: [], pieces: 0, error: null };
  let current: { first: FramePiece; parts: Uint8Array[]; headerLength: number } | null = null;
  const parser = new FrameParser(
    {
      frame(piece) {
        result.pieces++;
        if (piece.first)
          current = { first: Object.assign({}, piece), parts: [], headerLength: piece.headerLength };
        current!.parts.push(piece.payload().slice());
        if (piece.last) {
          const f = current!.first;
          result.frames.push({
            offset: f.offset,
            fin: f.fin,
            rsv: (f.rsv1 ? 0x40 : 0) | (f.rsv2 ? 0x20 : 0) | (f.rsv3 ? 0x10 : 0),
            opcode: f.opcode,
            masked: f.masked,
            maskKey: f.maskKey,
            headerLength: current!.headerLength,
            length: f.length,
            payload: digest(concat(current!.parts)),
          });
          current = null;
        }
      },
      error(error) {
        if (result.error !== null) throw new Error('second error reported');
        result.error = { code: error.code, closeCode: error.closeCode, offset: error.offset };
      },
    },
    options,
  );
  for (const chunk of chunks) {
    if (feed === 'push') {
      parser.push(chunk);
      continue;
    }
    for (let at = 0; at < chunk.length; ) {
      const target = parser.readTarget();
      const take = Math.min(target.length, chunk.length - at);
      target.set(chunk.subarray(at, at + take));
      parser.pushInPlace(take);
      at += take;
    }
  }
  return result;
}

/** Cuts `bytes` at the given positions. */
export function cutAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const sorted = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const cut of sorted) {
    parts.push(bytes.slice(at, cut));
    at = cut;
  }
  parts.push(bytes.slice(at));
  return parts;
}

export function bytesOf(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (b) => Uint8Array.of(b));
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A close frame body: big-endian code, then the UTF-8 reason. */
export function closeBody(code: number, reason = ''): Uint8Array {
  const reasonBytes = new TextEncoder().encode(reason);
  const body = new Uint8Array(2 + reasonBytes.length);
  body[0] = code >> 8;
  body[1] = code & 0xff;
  body.set(reasonBytes, 2);
  return body;
}
