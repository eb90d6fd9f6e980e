// The primitives the portable walk (walk.generated.ts, from assembly/walk.ts) needs, for the
// pure-TS build: loads and stores on the bound arena, and the TS mask and UTF-8 DFA. The
// WebAssembly build resolves the same names to assembly/arena-access.ts.
import { maskBytes } from './mask.js';
import { validateUtf8Bytes } from './utf8.js';

/** One pure-TS arena: its bytes and a DataView over them. */
export interface Arena {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

const EMPTY = new Uint8Array(0);

/**
 * Payload bytes the pure-TS kernels read and wrote, and bytes a FrameParser copied into a
 * pure-TS arena: tests read it to pin how many passes a payload costs (the WebAssembly build
 * does the same passes, without counting).
 */
export const arenaTraffic = { copiedIn: 0, unmasked: 0, validated: 0 };
let bound: Arena = { bytes: EMPTY, view: new DataView(EMPTY.buffer) };

/**
 * Makes `arena` the one the next walk() works on. The walk is synchronous and calls nothing
 * that could bind another, so binding before each walk is enough.
 */
export function bindArena(arena: Arena): void {
  bound = arena;
}

/** The bound arena; walk() keeps it in a local, which V8 reads faster than a module variable. */
export function boundArena(): Arena {
  return bound;
}

/** The byte at `ptr`. */
export function loadU8(arena: Arena, ptr: number): number {
  return arena.bytes[ptr];
}

/** The little-endian i32 at `ptr`. */
export function loadI32(arena: Arena, ptr: number): number {
  return arena.view.getInt32(ptr, true);
}

/** The little-endian u32 at `ptr`. */
export function loadU32(arena: Arena, ptr: number): number {
  return arena.view.getUint32(ptr, true);
}

/** The big-endian (network order, RFC 6455 §5.2) u32 at `ptr`. */
export function loadU32BigEndian(arena: Arena, ptr: number): number {
  return arena.view.getUint32(ptr, false);
}

/** The little-endian f64 at `ptr`. */
export function loadF64(arena: Arena, ptr: number): number {
  return arena.view.getFloat64(ptr, true);
}

/** Stores the low byte of `value` at `ptr`. */
export function storeU8(arena: Arena, ptr: number, value: number): void {
  arena.bytes[ptr] = value;
}

/** Stores `value` as a little-endian i32 at `ptr`. */
export function storeI32(arena: Arena, ptr: number, value: number): void {
  arena.view.setInt32(ptr, value, true);
}

/** Stores `value` as a little-endian u32 at `ptr`. */
export function storeU32(arena: Arena, ptr: number, value: number): void {
  arena.view.setUint32(ptr, value, true);
}

/** Stores `value` as a little-endian f64 at `ptr`. */
export function storeF64(arena: Arena, ptr: number, value: number): void {
  arena.view.setFloat64(ptr, value, true);
}

/** RFC 6455 §5.3: XORs `length` bytes at `ptr` with `key` from key byte `rotation`. */
export function unmask(arena: Arena, ptr: number, length: number, key: number, rotation: number): void {
  arenaTraffic.unmasked += length;
  maskBytes(arena.bytes, ptr, length, key, rotation);
}

/** Continues UTF-8 validation of `length` bytes at `ptr` from DFA `state`; returns the new state. */
export function validateUtf8(arena: Arena, ptr: number, length: number, state: number): number {
  arenaTraffic.validated += length;
  return validateUtf8Bytes(arena.bytes, ptr, length, state);
}
