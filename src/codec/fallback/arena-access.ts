// The primitives the portable walk (walk.generated.ts, from assembly/walk.ts) needs, for the
// pure-TS build: loads and stores on the bound arena, and the TS mask and UTF-8 DFA. The
// WebAssembly build resolves the same names to assembly/arena-access.ts.
import { maskBytes } from './mask.js';
import { validateUtf8Bytes } from './utf8.js';

let bytes: Uint8Array = new Uint8Array(0);
let view: DataView = new DataView(bytes.buffer);

/**
 * Points the primitives at an arena until the next call. The walk is synchronous and calls
 * nothing that could bind another, so binding once per walk is enough.
 */
export function bindArena(arenaBytes: Uint8Array, arenaView: DataView): void {
  bytes = arenaBytes;
  view = arenaView;
}

/** The byte at `ptr`. */
export function loadU8(ptr: number): number {
  return bytes[ptr];
}

/** The little-endian i32 at `ptr`. */
export function loadI32(ptr: number): number {
  return view.getInt32(ptr, true);
}

/** The little-endian u32 at `ptr`. */
export function loadU32(ptr: number): number {
  return view.getUint32(ptr, true);
}

/** The big-endian (network order, RFC 6455 §5.2) u32 at `ptr`. */
export function loadU32BigEndian(ptr: number): number {
  return view.getUint32(ptr, false);
}

/** The little-endian f64 at `ptr`. */
export function loadF64(ptr: number): number {
  return view.getFloat64(ptr, true);
}

/** Stores the low byte of `value` at `ptr`. */
export function storeU8(ptr: number, value: number): void {
  bytes[ptr] = value;
}

/** Stores `value` as a little-endian i32 at `ptr`. */
export function storeI32(ptr: number, value: number): void {
  view.setInt32(ptr, value, true);
}

/** Stores `value` as a little-endian u32 at `ptr`. */
export function storeU32(ptr: number, value: number): void {
  view.setUint32(ptr, value, true);
}

/** Stores `value` as a little-endian f64 at `ptr`. */
export function storeF64(ptr: number, value: number): void {
  view.setFloat64(ptr, value, true);
}

/** RFC 6455 §5.3: XORs `length` bytes at `ptr` with `key` from key byte `rotation`. */
export function unmask(ptr: number, length: number, key: number, rotation: number): void {
  maskBytes(bytes, ptr, length, key, rotation);
}

/** Continues UTF-8 validation of `length` bytes at `ptr` from DFA `state`; returns the new state. */
export function validateUtf8(ptr: number, length: number, state: number): number {
  return validateUtf8Bytes(bytes, ptr, length, state);
}
