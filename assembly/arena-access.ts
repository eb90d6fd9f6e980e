// The primitives walk.ts needs, for the WebAssembly build: linear-memory loads and stores
// (all inlined to single instructions) and the SIMD kernels. The pure-TS build resolves the
// same names to src/codec/fallback/arena-access.ts (see scripts/portable-walk.mjs).
import { maskInPlace } from './mask';
import { validateUtf8 as validateUtf8Vector } from './utf8';

/** Linear memory is the one arena here, so an arena is a placeholder that compiles to nothing. */
export type Arena = usize;

/** The arena walk() works on. */
// @ts-ignore: decorator
@inline export function boundArena(): Arena {
  return 0;
}

// @ts-ignore: decorator
@inline export function loadU8(arena: Arena, ptr: usize): i32 {
  return <i32>load<u8>(ptr);
}

// @ts-ignore: decorator
@inline export function loadI32(arena: Arena, ptr: usize): i32 {
  return load<i32>(ptr);
}

// @ts-ignore: decorator
@inline export function loadU32(arena: Arena, ptr: usize): u32 {
  return load<u32>(ptr);
}

/** RFC 6455 §5.2: multibyte lengths are in network byte order. */
// @ts-ignore: decorator
@inline export function loadU32BigEndian(arena: Arena, ptr: usize): u32 {
  return bswap<u32>(load<u32>(ptr));
}

// @ts-ignore: decorator
@inline export function loadF64(arena: Arena, ptr: usize): f64 {
  return load<f64>(ptr);
}

// @ts-ignore: decorator
@inline export function storeU8(arena: Arena, ptr: usize, value: i32): void {
  store<u8>(ptr, <u8>value);
}

// @ts-ignore: decorator
@inline export function storeI32(arena: Arena, ptr: usize, value: i32): void {
  store<i32>(ptr, value);
}

// @ts-ignore: decorator
@inline export function storeU32(arena: Arena, ptr: usize, value: u32): void {
  store<u32>(ptr, value);
}

// @ts-ignore: decorator
@inline export function storeF64(arena: Arena, ptr: usize, value: f64): void {
  store<f64>(ptr, value);
}

// @ts-ignore: decorator
@inline export function unmask(arena: Arena, ptr: usize, length: i32, key: u32, rotation: i32): void {
  maskInPlace(ptr, length, key, rotation);
}

// @ts-ignore: decorator
@inline export function validateUtf8(arena: Arena, ptr: usize, length: i32, state: i32): i32 {
  return validateUtf8Vector(ptr, length, state);
}
