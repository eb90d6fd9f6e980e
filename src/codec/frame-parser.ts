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
import { arenaTraffic } from './fallback/arena-access.js';
import { type FramePiece, type FrameSink, retainPiece } from './frame-piece.js';
import {
  acquireKernels,
  type KernelLease,
  READ_TARGET,
  READ_TARGET_BYTES,
  readTargetLease,
} from './kernel-pool.js';
import { takeStateSlot } from './parser-state-slots.js';
import { cutCodePoint, sequenceLength } from './utf8-seam.js';

export { READ_TARGET_BYTES } from './kernel-pool.js';

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

export { RETAINED_PAYLOAD_MIN } from './frame-piece.js';

/**
 * One-frame text messages at least this long go to `validateUtf8` when one is given, piece by
 * piece as they arrive (measured in bench/).
 */
export const DEFERRED_UTF8_MIN = 1024;

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
  return value;
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
    const slot = takeStateSlot(this);
    this.stateSlab = slot.slab;
    this.stateOffset = slot.offset;
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
    const arena = lease.kernels.bytes;
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
      if (lease.kernels.kind === 'ts') arenaTraffic.copiedIn += take;
      view.setFloat64(STATE + S_STREAM_BASE, this.bytesPushed - deferredLength, true);
      // An owned chunk's bytes lie from WINDOW + deferredLength on, at their arena position plus this.
      const chunkShift = offset - deferredLength - WINDOW;
      this.bytesPushed += take;
      offset += take;
      const end = WINDOW + deferredLength + take;
      const stop = this.walkWindow(
        lease,
        WINDOW,
        end,
        this.ownsChunks ? chunk : null,
        WINDOW + deferredLength,
        chunkShift,
      );
      if (stop < 0) return;
      deferredLength = end - stop;
      if (deferredLength > 0) arena.copyWithin(WINDOW, stop, end);
    }
    if (deferredLength > 0) this.deferred = arena.slice(WINDOW, WINDOW + deferredLength);
    this.stateSlab.set(arena.subarray(STATE, STATE + STATE_USED_BYTES), stateOffset);
  }

  /**
   * Where the next bytes from the stream may be written straight into the kernels' memory, so
   * that they move into it once (a socket reads into it; see {@link pushInPlace}). The same view
   * for every parser of a kind, so write and push before any other parser runs.
   */
  readTarget(): Uint8Array {
    return FrameParser.readTargetFor(this.preferWasm);
  }

  /** The {@link readTarget} of parsers made with `wasm: preferWasm`, without making one. */
  static readTargetFor(preferWasm: boolean): Uint8Array {
    return readTargetLease(preferWasm).readTarget;
  }

  /**
   * Parses the `length` bytes just written at the start of {@link readTarget}: as {@link push}
   * of them, without copying them. Throws if called while a parse that uses that memory runs.
   */
  pushInPlace(length: number): void {
    if (!(Number.isInteger(length) && length >= 0 && length <= READ_TARGET_BYTES)) {
      throw new RangeError(`length must be an integer in 0..${READ_TARGET_BYTES}, got ${length}`);
    }
    const lease = readTargetLease(this.preferWasm);
    if (lease.busy) throw new Error('pushInPlace while a parse is using the read target');
    if (this.error !== null || length === 0) return;
    lease.busy = true;
    this.pushing = true;
    try {
      this.parseInPlace(lease, length);
      while (this.queued !== null && this.queued.length > 0) this.parse(this.queued.shift()!);
    } finally {
      this.pushing = false;
      lease.release();
    }
  }

  private parseInPlace(lease: KernelLease, length: number): void {
    const arena = lease.kernels.bytes;
    const stateOffset = this.stateOffset;
    arena.set(this.stateSlab.subarray(stateOffset, stateOffset + STATE_USED_BYTES), STATE);
    // Bytes held back (a partial header, an incomplete control frame) go just before the new ones.
    let start = READ_TARGET;
    if (this.deferred !== null) {
      start -= this.deferred.length;
      arena.set(this.deferred, start);
      this.deferred = null;
    }
    lease.view.setFloat64(STATE + S_STREAM_BASE, this.bytesPushed - (READ_TARGET - WINDOW), true);
    this.bytesPushed += length;
    const end = READ_TARGET + length;
    const stop = this.walkWindow(lease, start, end, null, 0, 0);
    if (stop < 0) return;
    if (stop < end) this.deferred = arena.slice(stop, end);
    this.stateSlab.set(arena.subarray(STATE, STATE + STATE_USED_BYTES), stateOffset);
  }

  /** Walks and delivers every frame in the window's `[position, end)`; returns where it stopped, or -1 after a violation. */
  private walkWindow(
    lease: KernelLease,
    position: number,
    end: number,
    owned: Uint8Array | null,
    chunkFrom: number,
    chunkShift: number,
  ): number {
    const view = lease.view;
    for (;;) {
      const count = lease.kernels.walk(position, end);
      this.deliver(lease, count, owned, chunkFrom, chunkShift);
      if (this.error !== null) return -1;
      position = view.getInt32(STATE + S_CONSUMED, true);
      const kernelError = view.getInt32(STATE + S_ERROR, true);
      if (kernelError !== 0) {
        this.fail(errorFromKernel(kernelError, view.getFloat64(STATE + S_ERROR_OFFSET, true)));
        return -1;
      }
      if (count < DESCRIPTOR_CAPACITY) return position;
    }
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

export { FramePiece, type FrameSink } from './frame-piece.js';
