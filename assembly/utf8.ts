// Streaming UTF-8 validation (RFC 3629; RFC 6455 §8.1: text payloads MUST be valid UTF-8).
// The carried state is exactly Hoehrmann's DFA state (0 accept, 12 reject, 24..96 inside a
// code point), so this kernel and the TypeScript fallback can hand a state to each other.
//
// Shape of one call:
//   1. an incoming state inside a code point: run the DFA until it accepts (at most 3 bytes);
//   2. under 16 bytes left: ASCII check by words, else the DFA;
//   3. otherwise split off the last code point that may be incomplete (a lead byte in the
//      last 3 bytes), vector-validate the complete middle (Keiser and Lemire 2021, the
//      "lookup" algorithm), and run the DFA over that tail to produce the carried state.
import { UTF8_ACCEPT, UTF8_REJECT } from './layout';

// Hoehrmann's tables: bytes 0-255 map a byte to its class, then 9 rows of 12 map
// state + class to the next state. Static data, below ARENA_BASE.
const UTF8D: usize = memory.data<u8>([
  // 00-7F: ASCII
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  // 80-8F, 90-9F, A0-BF: continuations, split where E0, ED, F0, F4 restrict the second byte
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
  7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  // C0-C1 overlong leads (class 8, never valid), C2-DF two-byte leads
  8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  // E0 (10), E1-EC EE-EF (3), ED (4: surrogates follow A0-BF); F0 (11), F1-F3 (6), F4 (5), F5-FF (8)
  10, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3, 11, 6, 6, 6, 5, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
  // transitions: row = state, column = class
  0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72, // 0: accept
  12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, // 12: reject is final
  12, 0, 12, 12, 12, 12, 12, 0, 12, 0, 12, 12, // 24: one continuation left
  12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12, // 36: two left
  12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, // 48: after E0, A0-BF only (no overlong)
  12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12, // 60: after ED, 80-9F only (no surrogate)
  12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, // 72: after F0, 90-BF only (no overlong)
  12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, // 84: after F1-F3, three left
  12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, // 96: after F4, 80-8F only (max U+10FFFF)
]);

// @ts-ignore: decorator
@inline function dfaStep(state: u32, byte: u32): u32 {
  return <u32>load<u8>(UTF8D + 256 + <usize>(state + <u32>load<u8>(UTF8D + <usize>byte)));
}

/** Runs the DFA over [p, end) from `state`; stops early on reject. */
function dfaRun(p: usize, end: usize, state: u32): u32 {
  while (p < end) {
    state = dfaStep(state, <u32>load<u8>(p));
    if (state == UTF8_REJECT) return UTF8_REJECT;
    p++;
  }
  return state;
}

// ---- Keiser-Lemire lookup: every error is a pattern in a byte's high nibble, the previous
// byte's high and low nibbles; three 16-entry tables mark which error classes each nibble
// allows, and an error is a class bit set in all three. ----
// 11______ 0_______ or 11______ 11______: a lead byte not followed by enough continuations
const TOO_SHORT: u8 = 1 << 0;
// 0_______ 10______: a continuation after ASCII
const TOO_LONG: u8 = 1 << 1;
// 11100000 100_____: E0 80-9F, a 3-byte encoding of a code point below U+0800
const OVERLONG_3: u8 = 1 << 2;
// 11110100 1001____, 11110100 101_____, F5-FF: above U+10FFFF
const TOO_LARGE: u8 = 1 << 3;
// 11101101 101_____: ED A0-BF, UTF-16 surrogates D800-DFFF
const SURROGATE: u8 = 1 << 4;
// 1100000_ 10______: C0, C1, a 2-byte encoding of a code point below U+0080
const OVERLONG_2: u8 = 1 << 5;
// 11110000 1000____ (overlong 4-byte) and F5-FF 1000____ (too large) share a bit
const OVERLONG_4: u8 = 1 << 6;
const TOO_LARGE_1000: u8 = 1 << 6;
// 10______ 10______: two continuations; legal only as byte 3 or 4 of a sequence
const TWO_CONTS: u8 = 1 << 7;
// Errors decided by the second byte alone: the first byte's low nibble does not matter.
const CARRY: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;

// @ts-ignore: decorator
@inline function highNibble(bytes: v128, lowNibble: v128): v128 {
  // A 16-bit shift and a mask: i8x16.shr_u has no x64 instruction and V8 rebuilds its
  // mask constant on every use.
  return v128.and(i16x8.shr_u(bytes, 4), lowNibble);
}

// @ts-ignore: decorator
@inline function errorsOf(cur: v128, prev: v128): v128 {
  // Byte i's predecessor, for i = 0 the last byte of the previous block.
  const prev1 = i8x16.shuffle(prev, cur, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
  const lowNibble = i8x16.splat(0x0f);
  const byte1High = i8x16.swizzle(
    i8x16(
      TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
      <i8>TWO_CONTS, <i8>TWO_CONTS, <i8>TWO_CONTS, <i8>TWO_CONTS,
      TOO_SHORT | OVERLONG_2,
      TOO_SHORT,
      TOO_SHORT | OVERLONG_3 | SURROGATE,
      TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
    ),
    highNibble(prev1, lowNibble),
  );
  const byte1Low = i8x16.swizzle(
    i8x16(
      <i8>(CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4),
      <i8>(CARRY | OVERLONG_2),
      <i8>CARRY,
      <i8>CARRY,
      <i8>(CARRY | TOO_LARGE),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
      <i8>(CARRY | TOO_LARGE | TOO_LARGE_1000),
    ),
    v128.and(prev1, lowNibble),
  );
  const byte2High = i8x16.swizzle(
    i8x16(
      TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
      <i8>(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4),
      <i8>(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE),
      <i8>(TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
      <i8>(TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
      TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
    ),
    highNibble(cur, lowNibble),
  );
  const special = v128.and(v128.and(byte1High, byte1Low), byte2High);
  // Two continuations in a row are fine exactly where byte i-2 is a 3/4-byte lead (E0+)
  // or byte i-3 is a 4-byte lead (F0+): saturating subtraction leaves bit 7 set only there.
  const prev2 = i8x16.shuffle(prev, cur, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
  const prev3 = i8x16.shuffle(prev, cur, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28);
  const third = i8x16.sub_sat_u(prev2, i8x16.splat(<i8>(0xe0 - 0x80)));
  const fourth = i8x16.sub_sat_u(prev3, i8x16.splat(<i8>(0xf0 - 0x80)));
  const must23 = v128.and(v128.or(third, fourth), i8x16.splat(<i8>0x80));
  // A TWO_CONTS where one is required cancels out; one required but absent stays set.
  return v128.xor(must23, special);
}

// @ts-ignore: decorator
@inline function incompleteAtEnd(block: v128): v128 {
  // Nonzero if the block ends inside a sequence: a lead of 2+ bytes last, 3+ second to last,
  // or 4 bytes third to last.
  return i8x16.sub_sat_u(
    block,
    i8x16(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, <i8>0xef, <i8>0xdf, <i8>0xbf),
  );
}

// @ts-ignore: decorator
@inline function isAscii(block: v128): bool {
  return i8x16.bitmask(block) == 0;
}

/**
 * True if [start, end) is valid UTF-8 that starts and ends on code-point boundaries.
 * Reads only [start, readEnd), which must hold at least 16 bytes.
 */
function vectorValid(start: usize, end: usize, readEnd: usize): bool {
  let p = start;
  let error = i8x16.splat(0);
  let prev = i8x16.splat(0);
  let prevIncomplete = i8x16.splat(0);
  // 64 bytes a turn, skipped with one test when all ASCII.
  while (p + 64 <= end) {
    const a = v128.load(p);
    const b = v128.load(p, 16);
    const c = v128.load(p, 32);
    const d = v128.load(p, 48);
    if (isAscii(v128.or(v128.or(a, b), v128.or(c, d)))) {
      // ASCII right after a truncated sequence is an error; a stale `prev` that ends on a
      // boundary behaves like ASCII, so it need not be replaced.
      error = v128.or(error, prevIncomplete);
    } else {
      error = v128.or(error, errorsOf(a, prev));
      error = v128.or(error, errorsOf(b, a));
      error = v128.or(error, errorsOf(c, b));
      error = v128.or(error, errorsOf(d, c));
      prev = d;
      prevIncomplete = incompleteAtEnd(d);
    }
    p += 64;
  }
  while (p + 16 <= end) {
    const a = v128.load(p);
    if (isAscii(a)) {
      error = v128.or(error, prevIncomplete);
    } else {
      error = v128.or(error, errorsOf(a, prev));
      prev = a;
      prevIncomplete = incompleteAtEnd(a);
    }
    p += 16;
  }
  const rest = <i32>(end - p);
  if (rest > 0) {
    // The last partial block, read inside [start, readEnd): the 16 bytes ending at `end`,
    // or those starting at `start` when the region is shorter. Move the wanted bytes to
    // lanes 0..rest-1 and zero the others; zero lanes act as ASCII, so a sequence
    // truncated at `end` shows up as TOO_SHORT inside this block.
    const loadFrom = end >= start + 16 ? end - 16 : start;
    const offset = <i32>(p - loadFrom);
    const lanes = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const index = i8x16.add(lanes, i8x16.splat(<i8>offset));
    const keep = i8x16.gt_u(i8x16.splat(<i8>rest), lanes);
    const a = v128.and(i8x16.swizzle(v128.load(loadFrom), index), keep);
    error = v128.or(error, errorsOf(a, prev));
    prevIncomplete = incompleteAtEnd(a);
  }
  error = v128.or(error, prevIncomplete);
  return !v128.any_true(error);
}

/**
 * Validates `length` bytes at `ptr` as a continuation of UTF-8 text whose DFA state so far
 * is `state` (UTF8_ACCEPT to start). Returns UTF8_REJECT (12) once the text is invalid
 * (and for an incoming reject), UTF8_ACCEPT (0) when the bytes end on a code-point
 * boundary, else the intermediate Hoehrmann state (24-96) to pass to the next call.
 * Reads only `[ptr, ptr + length)`.
 */
export function validateUtf8(ptr: usize, length: i32, state: i32): i32 {
  if (state == UTF8_REJECT) return UTF8_REJECT;
  let p = ptr;
  const end = ptr + <usize>length;
  // 1. Finish a code point begun in an earlier call, byte by byte.
  while (state != UTF8_ACCEPT) {
    if (p >= end) return state;
    state = <i32>dfaStep(<u32>state, <u32>load<u8>(p));
    if (state == UTF8_REJECT) return UTF8_REJECT;
    p++;
  }
  const n = <i32>(end - p);
  // 2. Short input: a word-wise ASCII check settles most of it without the DFA.
  if (n < 16) {
    if (n >= 8) {
      if (((load<u64>(p) | load<u64>(end - 8)) & 0x8080808080808080) == 0) return UTF8_ACCEPT;
    } else if (n >= 4) {
      if (((load<u32>(p) | load<u32>(end - 4)) & 0x80808080) == 0) return UTF8_ACCEPT;
    }
    return <i32>dfaRun(p, end, UTF8_ACCEPT);
  }
  // 3. The last lead byte among the final three may start an incomplete code point: leave
  // it (and what follows) to the DFA so its state can be carried.
  let tail = end;
  if (load<u8>(end - 1) >= 0xc0) tail = end - 1;
  else if (load<u8>(end - 2) >= 0xc0) tail = end - 2;
  else if (load<u8>(end - 3) >= 0xc0) tail = end - 3;
  if (!vectorValid(p, tail, end)) return UTF8_REJECT;
  return <i32>dfaRun(tail, end, UTF8_ACCEPT);
}
