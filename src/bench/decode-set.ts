// What a decode task pushes: masked text frames of one size cut into ~64 KiB chunks whose
// boundaries fall inside headers and payloads at every size, so both sides reassemble what
// a socket really cuts. Every side refreshes its own copies of these chunks (ws unmasks in place).
import { maskedFrame, textPayload, xorshift32 } from './payloads.js';

/** Bytes of work one task aims at: a slice's per-call overhead would dwarf a 16 B frame. */
export const TASK_BYTES = 64 * 1024;

/** Frames one encode task produces at `size`: about 64 KiB of payload, at least one. */
export function encodesPerTask(size: number): number {
  return Math.max(1, Math.round(TASK_BYTES / Math.max(size, 1)));
}

/** Where a chunk boundary falls: at a frame's start, inside its header, or inside its payload. */
export type CutKind = 'frame' | 'header' | 'payload';

/** A cycle of chunks that a decode task pushes one at a time, with what they must decode to. */
export interface DecodeSet {
  /** Payload size of every frame. */
  readonly size: number;
  readonly kind: 'ascii' | 'mixed';
  /** The unmasked payload every frame carries. */
  readonly payload: Buffer;
  /** The masked chunks, never modified: runners refresh their own copies from these. */
  readonly chunks: readonly Buffer[];
  /** Where each frame starts in the stream the chunks were cut from, and its header length. */
  readonly frameStarts: readonly number[];
  readonly headerBytes: number;
  /** Whole text frames (= messages) in one pass over `chunks`. */
  readonly framesPerCycle: number;
  /** Payload bytes in one pass over `chunks`. */
  readonly payloadBytesPerCycle: number;
}

/** Frames in the stream when one frame is larger than a task: several, so chunks cut headers. */
const LARGE_FRAME_STREAM = 4;
/** Chunks per cycle when frames are small: one boundary per cut position of {@link smallCut}. */
const SMALL_FRAME_CHUNKS = 6;

/**
 * Where the k-th boundary goes inside the frame it falls in (header `h`, payload `size`):
 * in turn one byte into the header, its last byte, mid-payload, the frame's start, two bytes
 * in. So every size has chunks that end inside a header and inside a payload.
 */
function smallCut(k: number, h: number, size: number): number {
  const offsets = [1, h - 1, h + Math.floor(size / 2), 0, 2];
  return offsets[k % offsets.length];
}

/**
 * Masked text frames of `size` bytes cut into ~64 KiB chunks whose boundaries split headers
 * and payloads at every size (see {@link smallCut}; for frames larger than a chunk, the cut
 * nearest each frame's start is moved into that frame's header). Each frame has its own key.
 */
export function buildDecodeSet(size: number, kind: 'ascii' | 'mixed', seed = 0x77a5): DecodeSet {
  const payload = textPayload(size, kind);
  const next = xorshift32(seed);
  const newKey = () => {
    const key = Buffer.alloc(4);
    key.writeUInt32LE((next() | 0x01010101) >>> 0, 0); // never all-zero: ws skips unmasking then
    return key;
  };
  const frameBytes = maskedFrame(1, payload, newKey()).length;
  const headerBytes = frameBytes - size;
  const large = frameBytes > TASK_BYTES;
  const frameCount = large
    ? LARGE_FRAME_STREAM
    : Math.max(1, Math.round((SMALL_FRAME_CHUNKS * TASK_BYTES) / frameBytes));
  const frames = Array.from({ length: frameCount }, () => maskedFrame(1, payload, newKey()));
  const stream = Buffer.concat(frames);
  const frameStarts = frames.map((_, i) => i * frameBytes);
  const cuts = large
    ? largeFrameCuts(stream.length, frameStarts)
    : smallFrameCuts(stream.length, frameBytes, headerBytes, size);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    chunks.push(Buffer.from(stream.subarray(at, cut)));
    at = cut;
  }
  return {
    size,
    kind,
    payload,
    chunks,
    frameStarts,
    headerBytes,
    framesPerCycle: frameCount,
    payloadBytesPerCycle: frameCount * size,
  };
}

function smallFrameCuts(
  streamBytes: number,
  frameBytes: number,
  headerBytes: number,
  size: number,
): number[] {
  const cuts: number[] = [];
  const chunkCount = Math.max(1, Math.round(streamBytes / TASK_BYTES));
  for (let k = 1; k < chunkCount; k++) {
    const frameStart = Math.floor((k * streamBytes) / chunkCount / frameBytes) * frameBytes;
    const cut = frameStart + smallCut(k - 1, headerBytes, size);
    if (cut > (cuts.at(-1) ?? 0) && cut < streamBytes) cuts.push(cut);
  }
  return cuts;
}

function largeFrameCuts(streamBytes: number, frameStarts: readonly number[]): number[] {
  const cuts: number[] = [];
  for (let cut = TASK_BYTES; cut <= streamBytes - TASK_BYTES / 2; cut += TASK_BYTES) cuts.push(cut);
  // Into each later frame's header, rotating 1, 2, 3 bytes in (headers are 14 bytes here).
  frameStarts.slice(1).forEach((start, i) => {
    let nearest = 0;
    for (let j = 1; j < cuts.length; j++) {
      if (Math.abs(cuts[j] - start) < Math.abs(cuts[nearest] - start)) nearest = j;
    }
    cuts[nearest] = start + 1 + (i % 3);
  });
  return cuts.sort((a, b) => a - b);
}

/** Where each boundary between `set`'s chunks falls (what the harness tests check). */
export function cutKinds(set: DecodeSet): CutKind[] {
  const kinds: CutKind[] = [];
  let at = 0;
  for (const chunk of set.chunks.slice(0, -1)) {
    at += chunk.length;
    let start = 0;
    for (const s of set.frameStarts) if (s <= at) start = s;
    kinds.push(at === start ? 'frame' : at - start < set.headerBytes ? 'header' : 'payload');
  }
  return kinds;
}
