// FrameParser: a push parser over the kernels. Bytes in, in any split; frame pieces out
// through a sink, as views of the arena valid only during the callback. It never throws
// on wire input: a violation is reported once through `sink.error` and input is then
// discarded.
import {
  D_BYTE0,
  D_FLAGS,
  D_FRAME_LENGTH,
  D_FRAME_OFFSET,
  D_MASK_KEY,
  D_PAYLOAD_LENGTH,
  D_PAYLOAD_PTR,
  DESCRIPTOR_BYTES,
  DESCRIPTOR_CAPACITY,
  DESCRIPTORS,
  F_FIRST_PIECE,
  F_HEADER_LENGTH_SHIFT,
  F_LAST_PIECE,
  F_MASKED,
  F_UTF8_DEFERRED,
  ROLE_CLIENT,
  ROLE_SERVER,
  S_ALLOWED_RSV,
  S_CONSUMED,
  S_DEFERRED_UTF8_MIN,
  S_ERROR,
  S_ERROR_OFFSET,
  S_IN_PAYLOAD,
  S_MAX_FRAME,
  S_MAX_MESSAGE,
  S_ROLE,
  S_STREAM_BASE,
  STATE,
  STATE_USED_BYTES,
  UTF8_ACCEPT,
  UTF8_REJECT,
  WINDOW,
  WINDOW_BYTES,
} from '../../assembly/layout.js';
import { RSV1_BIT } from '../../assembly/rfc6455.js';
import { errorFromKernel, WebSocketError } from './errors.js';
import type { FramePiece } from './frame-piece.js';
import { acquireKernels, type KernelLease } from './kernel-pool.js';

/** Default `maxFrame`: 16 MiB. */
export const DEFAULT_MAX_FRAME = 16 * 1024 * 1024;
/** Default `maxMessage`: 64 MiB. */
export const DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024;

/** Options of a {@link FrameParser}. */
export interface FrameParserOptions {
  /** `'server'` parses frames a client sent (they must be masked); `'client'` the reverse. */
  role: 'server' | 'client';
  /** Largest frame payload accepted; larger closes with 1009. Default 16 MiB. */
  maxFrame?: number;
  /** Largest message accepted; a compressed one counts its compressed bytes here and its inflated bytes in the inflater. Default 64 MiB. */
  maxMessage?: number;
  /** Accept RSV1 on a message's first frame (permessage-deflate negotiated). Default false. */
  allowRsv1?: boolean;
  /** Use the WebAssembly kernels when available. `false` forces the pure-TS path. Default true. */
  wasm?: boolean;
  /**
   * A faster whole-buffer UTF-8 check for single-frame text messages of at least
   * {@link DEFERRED_UTF8_MIN} bytes (Node passes `buffer.isUtf8`, which uses simdutf).
   * Default: none; the kernel validates everything.
   */
  validateUtf8?: (bytes: Uint8Array) => boolean;
  /**
   * The caller hands each pushed chunk over: nothing reads or reuses it after `push` (a Node
   * socket's chunks are fresh memory per read). Binary and compressed frames of at least
   * {@link RETAINED_PAYLOAD_MIN} bytes that lie whole in one chunk are then unmasked into
   * the chunk itself and delivered from it, with `piece.retained` set, so they can be kept
   * without a copy (as `ws` keeps views of socket chunks). Default false.
   */
  ownsChunks?: boolean;
}

/**
 * Payloads from this size are delivered from an owned chunk: below it a copy into a shared
 * slab is cheap and keeps a small message from holding a whole chunk alive.
 */
export const RETAINED_PAYLOAD_MIN = 4096;

/**
 * One-frame text messages at least this long go to `validateUtf8` when one is given, piece by
 * piece as they arrive (measured in bench/).
 */
export const DEFERRED_UTF8_MIN = 1024;

/** Bytes in the UTF-8 sequence that `lead` starts; 1 for a byte that starts none (the validator rejects it). */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 1;
}

/** Where the last code point that is cut off by `end` starts in `bytes[start, end)`, or `end` when none is. */
function cutCodePoint(bytes: Uint8Array, start: number, end: number): number {
  for (let i = end - 1; i >= start && i >= end - 3; i--) {
    const byte = bytes[i];
    if ((byte & 0xc0) !== 0x80) return sequenceLength(byte) > end - i ? i : end;
  }
  return end;
}

/** Where a {@link FrameParser} delivers what it finds. */
export interface FrameSink {
  /** A frame, or a piece of one (see `first`/`last`). */
  frame(piece: FramePiece): void;
  /** The first violation; nothing follows it. */
  error(error: WebSocketError): void;
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
  return value;
}

// Parser states live in shared slabs, STATE_USED_BYTES per parser, rather than a typed array
// each: a 136-byte Uint8Array is an off-heap ArrayBuffer with its own backing store (V8 keeps
// only arrays up to 64 bytes on the heap), several hundred bytes of RSS per idle connection.
// A parser's slot returns to the free list once the parser is collected; slabs are kept, so
// the pool is as large as the most parsers alive at once (136 bytes each).
const STATE_SLOTS_PER_SLAB = 256;
const stateSlabs: Uint8Array[] = [];
const freeStateSlots: number[] = [];
let nextStateSlot = 0;
const stateSlots = new FinalizationRegistry<number>((slot) => {
  freeStateSlots.push(slot);
});

/** A zeroed state slot: its index (slab × STATE_SLOTS_PER_SLAB + slot in slab). */
function takeStateSlot(): number {
  const reused = freeStateSlots.pop();
  if (reused !== undefined) {
    const offset = (reused % STATE_SLOTS_PER_SLAB) * STATE_USED_BYTES;
    stateSlabs[(reused / STATE_SLOTS_PER_SLAB) | 0]!.fill(0, offset, offset + STATE_USED_BYTES);
    return reused;
  }
  const slot = nextStateSlot++;
  if (slot % STATE_SLOTS_PER_SLAB === 0) {
    stateSlabs.push(new Uint8Array(STATE_SLOTS_PER_SLAB * STATE_USED_BYTES));
  }
  return slot;
}

/** Moves a long whole binary or compressed payload back into the owned chunk it came from (unmasked) and points the piece there. */
function retainPiece(piece: FramePiece, chunk: Uint8Array, chunkFrom: number, shift: number): void {
  const opcode = piece.opcode;
  if (!(opcode === 2 || (opcode === 1 && piece.rsv1))) return;
  if (piece.end - piece.start < RETAINED_PAYLOAD_MIN || piece.start < chunkFrom) return;
  // Unmasked bytes already equal the chunk's.
  if (piece.masked) chunk.set(piece.bytes.subarray(piece.start, piece.end), piece.start + shift);
  piece.bytes = chunk;
  piece.start += shift;
  piece.end += shift;
  piece.retained = true;
}

/**
 * Push parser for RFC 6455 frames. Enforces every §5 rule (RSV, reserved opcodes,
 * masking by role, control frame length and FIN, minimal lengths, continuation order),
 * `maxFrame`/`maxMessage`, and UTF-8 of text and close reasons across any split.
 */
export class FrameParser {
  /** The first violation found, or `null`. */
  error: WebSocketError | null = null;
  private readonly sink: FrameSink;
  private readonly preferWasm: boolean;
  /** The slab holding this parser's state between pushes, and where in it. */
  private readonly stateSlab: Uint8Array;
  private readonly stateOffset: number;
  private deferred: Uint8Array | null = null;
  private bytesPushed = 0;
  private readonly validateUtf8: ((bytes: Uint8Array) => boolean) | undefined;
  private pushing = false;
  private queued: Uint8Array[] | null = null;
  /**
   * A code point cut between two pieces of a deferred text frame: the DFA state at the cut
   * plus 256 × the bytes of it still to come (one number: an idle parser stays small).
   */
  private seam = UTF8_ACCEPT;
  private readonly ownsChunks: boolean;

  constructor(sink: FrameSink, options: FrameParserOptions) {
    if (options.role !== 'server' && options.role !== 'client') {
      throw new TypeError(`role must be 'server' or 'client', got ${String(options.role)}`);
    }
    this.sink = sink;
    this.preferWasm = options.wasm !== false;
    const slot = takeStateSlot();
    this.stateSlab = stateSlabs[(slot / STATE_SLOTS_PER_SLAB) | 0]!;
    this.stateOffset = (slot % STATE_SLOTS_PER_SLAB) * STATE_USED_BYTES;
    stateSlots.register(this, slot);
    const view = new DataView(this.stateSlab.buffer, this.stateOffset, STATE_USED_BYTES);
    view.setInt32(S_ROLE, options.role === 'server' ? ROLE_SERVER : ROLE_CLIENT, true);
    view.setInt32(S_ALLOWED_RSV, options.allowRsv1 === true ? RSV1_BIT : 0, true);
    view.setFloat64(S_MAX_FRAME, checkLimit('maxFrame', options.maxFrame, DEFAULT_MAX_FRAME), true);
    view.setFloat64(S_MAX_MESSAGE, checkLimit('maxMessage', options.maxMessage, DEFAULT_MAX_MESSAGE), true);
    if (options.validateUtf8 !== undefined && typeof options.validateUtf8 !== 'function') {
      throw new TypeError('validateUtf8 must be a function');
    }
    this.validateUtf8 = options.validateUtf8;
    this.ownsChunks = options.ownsChunks === true;
    view.setInt32(S_DEFERRED_UTF8_MIN, this.validateUtf8 === undefined ? 0 : DEFERRED_UTF8_MIN, true);
  }

  /** Total bytes pushed so far. */
  get bytesReceived(): number {
    return this.bytesPushed;
  }

  /** Whether the stream stopped mid-frame (bytes of an unfinished frame are pending). */
  get midFrame(): boolean {
    const view = new DataView(this.stateSlab.buffer, this.stateOffset, STATE_USED_BYTES);
    return this.deferred !== null || view.getInt32(S_IN_PAYLOAD, true) !== 0;
  }

  /** Parses `chunk`; the chunk is not retained. Pushing from inside a callback is queued. */
  push(chunk: Uint8Array): void {
    if (this.pushing) {
      if (this.queued === null) this.queued = [];
      this.queued.push(chunk.slice());
      return;
    }
    this.pushing = true;
    try {
      this.parse(chunk);
      while (this.queued !== null && this.queued.length > 0) this.parse(this.queued.shift()!);
    } finally {
      this.pushing = false;
    }
  }

  private parse(chunk: Uint8Array): void {
    if (this.error !== null || chunk.length === 0) return;
    const lease = acquireKernels(this.preferWasm);
    try {
      this.parseWith(lease, chunk);
    } finally {
      lease.release();
    }
  }

  private parseWith(lease: KernelLease, chunk: Uint8Array): void {
    const kernels = lease.kernels;
    const arena = kernels.bytes;
    const view = lease.view;
    const stateOffset = this.stateOffset;
    arena.set(this.stateSlab.subarray(stateOffset, stateOffset + STATE_USED_BYTES), STATE);
    let deferredLength = 0;
    if (this.deferred !== null) {
      arena.set(this.deferred, WINDOW);
      deferredLength = this.deferred.length;
      this.deferred = null;
    }
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(WINDOW_BYTES - deferredLength, chunk.length - offset);
      arena.set(
        offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take),
        WINDOW + deferredLength,
      );
      view.setFloat64(STATE + S_STREAM_BASE, this.bytesPushed - deferredLength, true);
      // An owned chunk's bytes lie from WINDOW + deferredLength on, at their arena position plus this.
      const chunkShift = offset - deferredLength - WINDOW;
      const owned = this.ownsChunks ? chunk : null;
      this.bytesPushed += take;
      offset += take;
      const end = WINDOW + deferredLength + take;
      let position = WINDOW;
      for (;;) {
        const count = kernels.walk(position, end);
        this.deliver(lease, count, owned, WINDOW + deferredLength, chunkShift);
        if (this.error !== null) return;
        position = view.getInt32(STATE + S_CONSUMED, true);
        const kernelError = view.getInt32(STATE + S_ERROR, true);
        if (kernelError !== 0) {
          this.fail(errorFromKernel(kernelError, view.getFloat64(STATE + S_ERROR_OFFSET, true)));
          return;
        }
        if (count < DESCRIPTOR_CAPACITY) break;
      }
      deferredLength = end - position;
      if (deferredLength > 0) arena.copyWithin(WINDOW, position, end);
    }
    if (deferredLength > 0) this.deferred = arena.slice(WINDOW, WINDOW + deferredLength);
    this.stateSlab.set(arena.subarray(STATE, STATE + STATE_USED_BYTES), stateOffset);
  }

  /** Hands the pieces of `count` descriptors to the sink; `chunk` (owned, or null) holds the window's bytes from `chunkFrom`. */
  private deliver(
    lease: KernelLease,
    count: number,
    chunk: Uint8Array | null,
    chunkFrom: number,
    chunkShift: number,
  ): void {
    const arena = lease.kernels.bytes;
    const view = lease.view;
    // One piece per arena, not per parser: a nested parse gets another arena, so another piece.
    const piece = lease.piece;
    piece.bytes = arena;
    piece.retained = false;
    for (let i = 0; i < count; i++) {
      const entry = DESCRIPTORS + i * DESCRIPTOR_BYTES;
      const byte0 = arena[entry + D_BYTE0];
      const flags = arena[entry + D_FLAGS];
      piece.fin = (byte0 & 0x80) !== 0;
      piece.rsv1 = (byte0 & 0x40) !== 0;
      piece.rsv2 = (byte0 & 0x20) !== 0;
      piece.rsv3 = (byte0 & 0x10) !== 0;
      piece.opcode = byte0 & 0x0f;
      piece.masked = (flags & F_MASKED) !== 0;
      piece.first = (flags & F_FIRST_PIECE) !== 0;
      piece.last = (flags & F_LAST_PIECE) !== 0;
      piece.headerLength = (flags >> F_HEADER_LENGTH_SHIFT) & 0x0f;
      piece.maskKey = view.getUint32(entry + D_MASK_KEY, true);
      piece.start = view.getInt32(entry + D_PAYLOAD_PTR, true);
      piece.end = piece.start + view.getInt32(entry + D_PAYLOAD_LENGTH, true);
      piece.offset = view.getFloat64(entry + D_FRAME_OFFSET, true);
      piece.length = view.getFloat64(entry + D_FRAME_LENGTH, true);
      // RFC 6455 §8.1: the kernel left this text message to the faster validator.
      if ((flags & F_UTF8_DEFERRED) !== 0 && !this.validateDeferred(lease, piece)) {
        this.fail(new WebSocketError('WS_ERR_INVALID_UTF8', piece.offset));
        return;
      }
      if (chunk !== null && piece.first && piece.last && piece.fin)
        retainPiece(piece, chunk, chunkFrom, chunkShift);
      this.sink.frame(piece);
      if (piece.retained) {
        piece.retained = false;
        piece.bytes = arena;
      }
    }
  }

  /**
   * Checks a piece of a deferred text frame with the injected validator, so each byte is
   * checked once: a code point cut between pieces is checked by the kernel's DFA, its
   * state carried from the end of one piece to the start of the next.
   */
  private validateDeferred(lease: KernelLease, piece: FramePiece): boolean {
    const bytes = piece.bytes;
    const end = piece.end;
    let start = piece.start;
    if (piece.first && piece.last) return this.validateUtf8!(bytes.subarray(start, end));
    if (piece.first) this.seam = UTF8_ACCEPT;
    let missing = this.seam >> 8;
    if (missing > 0) {
      const take = Math.min(missing, end - start);
      const state = lease.kernels.validateUtf8(start, take, this.seam & 0xff);
      missing -= take;
      start += take;
      this.seam = state | (missing << 8);
      if (state === UTF8_REJECT) return false;
      if (missing > 0) return !piece.last;
    }
    const cut = piece.last ? end : cutCodePoint(bytes, start, end);
    if (cut > start && !this.validateUtf8!(bytes.subarray(start, cut))) return false;
    if (cut < end) {
      const state = lease.kernels.validateUtf8(cut, end - cut, UTF8_ACCEPT);
      this.seam = state | ((sequenceLength(bytes[cut]) - (end - cut)) << 8);
      if (state === UTF8_REJECT) return false;
    }
    return true;
  }

  private fail(error: WebSocketError): void {
    this.error = error;
    this.deferred = null;
    this.queued = null;
    this.sink.error(error);
  }
}

export { FramePiece } from './frame-piece.js';
