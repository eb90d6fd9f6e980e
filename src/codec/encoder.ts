// Frame encoding (RFC 6455 §5.2). Servers send header and payload as two buffers for
// one vectored write; clients mask the payload into a single buffer with a fresh key.
import { SCRATCH, SCRATCH_BYTES } from '../../assembly/layout.js';
import {
  FIN_BIT,
  LENGTH_16_MARKER,
  LENGTH_64_MARKER,
  MASK_BIT,
  MASK_KEY_BYTES,
  MAX_7_BIT_LENGTH,
  MAX_16_BIT_LENGTH,
  MAX_CONTROL_PAYLOAD_BYTES,
  MIN_HEADER_BYTES,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_PONG,
  RSV1_BIT,
} from '../../assembly/rfc6455.js';
import { maskBytes, maskCopy } from './fallback/mask.js';
import { acquireKernels } from './kernel-pool.js';
import { SlabAllocator } from './slab.js';
import type { TextCodec } from './text-codec.js';

/** Supplies 32-bit masking keys; the default draws them from `crypto.getRandomValues` in batches. */
export type MaskKeySource = () => number;

/**
 * Masks all of `source` into `target` from `offset` with `key` (its 4 bytes read
 * little-endian) in one pass; `source` may be `target`'s own bytes at `offset` (in place).
 * Node's glue passes `bufferutil`'s when it is installed.
 */
export type MaskInto = (source: Uint8Array, key: number, target: Uint8Array, offset: number) => void;

/**
 * Payloads at least this long go to an injected {@link MaskInto}. Measured (Node 20,
 * bufferutil 4.1, interleaved rounds): one native pass took 0.8-0.9× the time of the kernel
 * with its copy in and out of the arena from 64 B to 1 KiB; below 64 B the JS loop wins
 * (bufferutil 1.5-3.5× slower), as in ws.
 */
export const MASK_INTO_MIN = 64;

const KEY_BATCH = 1024;

/** A key source over `random` (default `crypto.getRandomValues`) that asks for 1024 keys at a time. */
export function createMaskKeyPool(
  random: (target: Uint32Array) => Uint32Array = (target) => crypto.getRandomValues(target),
): MaskKeySource {
  const keys = new Uint32Array(KEY_BATCH);
  let next = KEY_BATCH;
  return () => {
    if (next === KEY_BATCH) {
      random(keys);
      next = 0;
    }
    return keys[next++];
  };
}

let defaultKeySource: MaskKeySource | undefined;

function defaultKeys(): MaskKeySource {
  if (defaultKeySource === undefined) defaultKeySource = createMaskKeyPool();
  return defaultKeySource;
}

/** The next key from `source`, or from the shared `crypto.getRandomValues` pool. */
export function nextMaskKey(source: MaskKeySource | undefined): number {
  return (source ?? defaultKeys())() >>> 0;
}

/** Options of {@link encodeFrame}. */
export interface EncodeOptions {
  /** FIN bit. Default true. */
  fin?: boolean;
  /** RSV1 bit (permessage-deflate). Default false. */
  rsv1?: boolean;
  /** Mask the payload, as a client must. Default false. */
  mask?: boolean;
  /** Where mask keys come from. Default: a `crypto.getRandomValues` pool. */
  maskKeys?: MaskKeySource;
  /** Use the WebAssembly kernel for large payloads. Default true. */
  wasm?: boolean;
  /**
   * Allocates masked frames over 4 KiB (smaller ones come from a shared slab). Default
   * `new Uint8Array`; Node callers pass `Buffer.allocUnsafe`, which skips the zero fill.
   */
  allocate?: (size: number) => Uint8Array;
  /** One-pass masking for payloads from {@link MASK_INTO_MIN} bytes. Default: the kernels. */
  maskInto?: MaskInto;
}

/** Payloads at least this long are masked by the WebAssembly kernel (measured in bench/). */
export const WASM_MASK_THRESHOLD = 64;

// Masked frames of 65 B to 4 KiB are views of shared 64 KiB slabs: a fresh zero-filled
// array above 64 B costs several times the masking. Below that a plain array is as cheap.
const frameSlabs = new SlabAllocator(64 * 1024, 4096);
const SMALL_FRAME = 64;

function allocateFrame(size: number, allocate: ((size: number) => Uint8Array) | undefined): Uint8Array {
  if (size <= SMALL_FRAME) return new Uint8Array(size);
  if (!frameSlabs.fits(size)) return allocate === undefined ? new Uint8Array(size) : allocate(size);
  return frameSlabs.take(size);
}

/** Header bytes for a payload of `length`, with room for a mask key when `masked`. */
export function headerLength(length: number, masked: boolean): number {
  const lengthBytes = length <= MAX_7_BIT_LENGTH ? 0 : length <= MAX_16_BIT_LENGTH ? 2 : 8;
  return MIN_HEADER_BYTES + lengthBytes + (masked ? MASK_KEY_BYTES : 0);
}

/** Writes a frame header at `target[offset..]` (default 0); returns where the payload starts. */
export function writeHeader(
  target: Uint8Array,
  opcode: number,
  length: number,
  fin: boolean,
  rsv1: boolean,
  maskKey: number | undefined,
  offset = 0,
): number {
  target[offset] = (fin ? FIN_BIT : 0) | (rsv1 ? RSV1_BIT : 0) | opcode;
  const maskBit = maskKey === undefined ? 0 : MASK_BIT;
  let at: number;
  // RFC 6455 §5.2: lengths use the fewest bytes that hold them
  if (length <= MAX_7_BIT_LENGTH) {
    target[offset + 1] = maskBit | length;
    at = offset + 2;
  } else if (length <= MAX_16_BIT_LENGTH) {
    target[offset + 1] = maskBit | LENGTH_16_MARKER;
    target[offset + 2] = length >>> 8;
    target[offset + 3] = length & 0xff;
    at = offset + 4;
  } else {
    target[offset + 1] = maskBit | LENGTH_64_MARKER;
    const high = Math.floor(length / 4294967296);
    target[offset + 2] = high >>> 24;
    target[offset + 3] = (high >>> 16) & 0xff;
    target[offset + 4] = (high >>> 8) & 0xff;
    target[offset + 5] = high & 0xff;
    target[offset + 6] = length >>> 24;
    target[offset + 7] = (length >>> 16) & 0xff;
    target[offset + 8] = (length >>> 8) & 0xff;
    target[offset + 9] = length & 0xff;
    at = offset + 10;
  }
  if (maskKey !== undefined) {
    target[at] = maskKey & 0xff;
    target[at + 1] = (maskKey >>> 8) & 0xff;
    target[at + 2] = (maskKey >>> 16) & 0xff;
    target[at + 3] = maskKey >>> 24;
    at += 4;
  }
  return at;
}

function maskWithKernel(payload: Uint8Array, target: Uint8Array, at: number, key: number): void {
  const lease = acquireKernels(true);
  try {
    const { kernels } = lease;
    for (let done = 0; done < payload.length; done += SCRATCH_BYTES) {
      const piece = payload.length <= SCRATCH_BYTES ? payload : payload.subarray(done, done + SCRATCH_BYTES);
      kernels.bytes.set(piece, SCRATCH);
      // Pieces are multiples of 4 bytes long, so every piece starts at key byte 0.
      kernels.maskInPlace(SCRATCH, piece.length, key, 0);
      target.set(kernels.bytes.subarray(SCRATCH, SCRATCH + piece.length), at + done);
    }
  } finally {
    lease.release();
  }
}

/** Masks `target[at, at + length)` in place with `key`: a native one-pass masker when given, else the kernels. */
export function maskInPlace(
  target: Uint8Array,
  at: number,
  length: number,
  key: number,
  wasm: boolean,
  maskInto: MaskInto | undefined,
): void {
  if (maskInto !== undefined && length >= MASK_INTO_MIN) {
    maskInto(target.subarray(at, at + length), key, target, at);
  } else if (length >= WASM_MASK_THRESHOLD && wasm) {
    maskWithKernel(target.subarray(at, at + length), target, at, key);
  } else {
    maskBytes(target, at, length, key, 0);
  }
}

function checkFrame(opcode: number, length: number, fin: boolean): void {
  // RFC 6455 §5.2: opcodes 3-7 and 0xB-0xF are reserved
  if (
    !Number.isInteger(opcode) ||
    opcode < 0 ||
    (opcode > OPCODE_BINARY && opcode < OPCODE_CLOSE) ||
    opcode > OPCODE_PONG
  ) {
    throw new RangeError(`opcode ${opcode} is not defined by RFC 6455`);
  }
  // RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented
  if (opcode >= OPCODE_CLOSE && (length > MAX_CONTROL_PAYLOAD_BYTES || !fin)) {
    throw new RangeError('control frames carry at most 125 bytes and must not be fragmented');
  }
}

function writeMaskedFrame(
  target: Uint8Array,
  offset: number,
  opcode: number,
  payload: Uint8Array,
  options: EncodeOptions,
): number {
  return writeMaskedFrameAt(
    target,
    offset,
    opcode,
    payload,
    options.fin !== false,
    options.rsv1 === true,
    nextMaskKey(options.maskKeys),
    options.wasm !== false,
    options.maskInto,
  );
}

/**
 * {@link encodeMaskedFrameInto} without its checks or options object, for callers that
 * validated the frame already (the protocol): writes the frame masked with `key` at
 * `offset` and returns the bytes written.
 */
export function writeMaskedFrameAt(
  target: Uint8Array,
  offset: number,
  opcode: number,
  payload: Uint8Array,
  fin: boolean,
  rsv1: boolean,
  key: number,
  wasm: boolean,
  maskInto: MaskInto | undefined,
): number {
  const length = payload.length;
  const at = writeHeader(target, opcode, length, fin, rsv1, key, offset);
  if (maskInto !== undefined && length >= MASK_INTO_MIN) maskInto(payload, key, target, at);
  else if (length >= WASM_MASK_THRESHOLD && wasm) maskWithKernel(payload, target, at, key);
  else maskCopy(payload, target, at, key, 0);
  return at + length - offset;
}

/**
 * Writes a frame whose payload is `text` as UTF-8 into `target` at `offset`, masked with
 * `maskKey` when one is given, and returns the bytes written; -1 (nothing written that
 * counts) when the text takes more than `maxPayload` bytes. `target` must have room for
 * `headerLength(maxPayload, masked) + maxPayload` bytes from `offset`. The text is encoded
 * once, straight into place: the header is written after it, once its length is known.
 */
export function encodeTextFrameInto(
  target: Uint8Array,
  offset: number,
  opcode: number,
  text: string,
  maxPayload: number,
  fin: boolean,
  maskKey: number | undefined,
  codec: TextCodec,
  wasm: boolean,
  maskInto: MaskInto | undefined,
): number {
  const masked = maskKey !== undefined;
  // UTF-8 takes at least one byte per UTF-16 unit, so the header is at least this long.
  const guessed = headerLength(text.length, masked);
  const written = codec.encodeInto(text, target, offset + guessed, maxPayload);
  if (written < 0) return -1;
  const header = headerLength(written, masked);
  // Rare (non-ASCII text across 125 B or 64 KiB): the length field grew, so move the payload.
  if (header !== guessed) target.copyWithin(offset + header, offset + guessed, offset + guessed + written);
  const at = writeHeader(target, opcode, written, fin, false, maskKey, offset);
  if (masked) maskInPlace(target, at, written, maskKey, wasm, maskInto);
  return at + written - offset;
}

/**
 * Encodes one frame as buffers to write in order: `[header, payload]` unmasked (the
 * payload is not copied), or one buffer with the masked payload when `mask` is set.
 * A masked frame of 65 B to 4 KiB is a view of a shared slab (its `.buffer` is shared).
 * Throws `RangeError` for a control frame over 125 bytes or an invalid opcode.
 */
export function encodeFrame(opcode: number, payload: Uint8Array, options: EncodeOptions = {}): Uint8Array[] {
  const fin = options.fin !== false;
  const length = payload.length;
  checkFrame(opcode, length, fin);
  if (options.mask !== true) {
    const header = new Uint8Array(headerLength(length, false));
    writeHeader(header, opcode, length, fin, options.rsv1 === true, undefined);
    return length === 0 ? [header] : [header, payload];
  }
  const frame = allocateFrame(headerLength(length, true) + length, options.allocate);
  writeMaskedFrame(frame, 0, opcode, payload, options);
  return [frame];
}

/**
 * Writes one masked frame (a client's) into `target` at `offset`, e.g. into a batch that
 * many frames share, and returns the bytes written. `target` must have room for
 * `headerLength(payload.length, true) + payload.length` bytes. `options.mask` is implied.
 * Throws `RangeError` as {@link encodeFrame} does, or when the frame does not fit.
 */
export function encodeMaskedFrameInto(
  target: Uint8Array,
  offset: number,
  opcode: number,
  payload: Uint8Array,
  options: EncodeOptions = {},
): number {
  checkFrame(opcode, payload.length, options.fin !== false);
  if (offset + headerLength(payload.length, true) + payload.length > target.length) {
    throw new RangeError('the frame does not fit in the target');
  }
  return writeMaskedFrame(target, offset, opcode, payload, options);
}
