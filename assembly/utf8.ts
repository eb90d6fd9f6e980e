// Streaming UTF-8 validation (RFC 3629; RFC 6455 §8.1: text payloads MUST be valid UTF-8).
// The carried state is exactly Hoehrmann's DFA state (0 accept, 12 reject, 24..96 inside a
// code point), so this kernel and the TypeScript fallback can hand a state to each other.
//
// Shape of one call:
//   1. an incoming state inside a code point: run the DFA until it accepts (at most 3 bytes);
//   2. split off a code point cut short by the end of the input (its lead byte is in the
//      last 3 bytes and it needs more bytes than remain): only the DFA can carry its state;
//   3. vector-validate everything before it (Keiser and Lemire, "Validating UTF-8 in less
//      than one instruction per byte", 2021, the lookup algorithm), skipping ASCII runs.
// What V8 made us do: one 16-byte block per turn (unrolling spills registers), constants
// loaded from memory once (V8 builds each v128 constant with 3-4 instructions), and no
// i8x16.shr_u (x64 has no byte shift; V8 rebuilds its mask on every use).
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

// ---- Keiser-Lemire lookup: every error is a pattern in a byte's high nibble and the
// previous byte's high and low nibbles; three 16-entry tables mark which error classes each
// nibble allows, and an error is a class bit set in all three. ----
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
const LARGE: u8 = CARRY | TOO_LARGE | TOO_LARGE_1000;

// The vector constants, 16 bytes each, loaded once per call.
const VECTORS: usize = memory.data<u8>(
  [
    // byte 1 high nibble: 0-7 ASCII, 8-B continuation, C-F leads
    TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
    TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
    TOO_SHORT | OVERLONG_2, // C_
    TOO_SHORT, // D_
    TOO_SHORT | OVERLONG_3 | SURROGATE, // E_
    TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4, // F_
    // byte 1 low nibble
    CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4, // _0: C0, E0, F0
    CARRY | OVERLONG_2, // _1: C1
    CARRY, CARRY,
    CARRY | TOO_LARGE, // _4: F4
    LARGE, LARGE, LARGE, // _5-_7: F5-F7
    LARGE, LARGE, LARGE, LARGE, LARGE, // _8-_C: F8-FC
    LARGE | SURROGATE, // _D: ED
    LARGE, LARGE,
    // byte 2 high nibble
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4, // 8_
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE, // 9_
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE, // A_
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE, // B_
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
    // low nibble mask
    0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
    // E0 - 0x80, F0 - 0x80: saturating subtraction leaves bit 7 only for E0+ and F0+
    0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,
    0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
  ],
  16,
);

// @ts-ignore: decorator
@inline function highNibble(bytes: v128, lowNibble: v128): v128 {
  return v128.and(i16x8.shr_u(bytes, 4), lowNibble);
}

/** Error bits for block `cur` given the block before it (zeros at the start of text). */
// @ts-ignore: decorator
@inline function errorsOf(
  cur: v128,
  prev: v128,
  byte1HighTable: v128,
  byte1LowTable: v128,
  byte2HighTable: v128,
  lowNibble: v128,
  minus60: v128,
  minus70: v128,
  bit7: v128,
): v128 {
  // Byte i's predecessor; for i = 0, the last byte of the previous block.
  const prev1 = i8x16.shuffle(prev, cur, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
  const byte1High = i8x16.swizzle(byte1HighTable, highNibble(prev1, lowNibble));
  const byte1Low = i8x16.swizzle(byte1LowTable, v128.and(prev1, lowNibble));
  const byte2High = i8x16.swizzle(byte2HighTable, highNibble(cur, lowNibble));
  const special = v128.and(v128.and(byte1High, byte1Low), byte2High);
  // Two continuations in a row are right exactly where byte i-2 is a 3/4-byte lead (E0+)
  // or byte i-3 a 4-byte lead (F0+).
  const prev2 = i8x16.shuffle(prev, cur, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
  const prev3 = i8x16.shuffle(prev, cur, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28);
  const third = i8x16.sub_sat_u(prev2, minus60);
  const fourth = i8x16.sub_sat_u(prev3, minus70);
  const must23 = v128.and(v128.or(third, fourth), bit7);
  // A required TWO_CONTS cancels out; one required but absent (or present but not required) stays.
  return v128.xor(must23, special);
}

// @ts-ignore: decorator
@inline function incompleteAtEnd(block: v128): v128 {
  // Nonzero if the block ends inside a sequence: a lead of 2+ bytes last, of 3+ second to
  // last, of 4 third to last.
  return i8x16.sub_sat_u(
    block,
    i8x16(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, <i8>0xef, <i8>0xdf, <i8>0xbf),
  );
}

// @ts-ignore: decorator
@inline function isAscii(block: v128): bool {
  return i8x16.bitmask(block) == 0;
}

/** Steps from `p` over 16-byte ASCII blocks; returns the next other block, or where under 16 bytes remain. */
function skipAscii(p: usize, end: usize): usize {
  // 64 bytes a test while they last.
  while (p + 64 <= end) {
    const any = v128.or(v128.or(v128.load(p), v128.load(p, 16)), v128.or(v128.load(p, 32), v128.load(p, 48)));
    if (!isAscii(any)) break;
    p += 64;
  }
  while (p + 16 <= end && isAscii(v128.load(p))) p += 16;
  return p;
}

/**
 * True if [start, end) is valid UTF-8 that starts and ends on code-point boundaries.
 * Under 16 bytes after the whole blocks, it reads the 16 bytes ending at `end`, which may
 * begin before `start` (those lanes are dropped), so it needs `end >= 16`.
 */
// @ts-ignore: decorator
@inline function vectorValid(start: usize, end: usize): bool {
  const high1 = v128.load(VECTORS);
  const low1 = v128.load(VECTORS, 16);
  const high2 = v128.load(VECTORS, 32);
  const nibble = v128.load(VECTORS, 48);
  const minus60 = v128.load(VECTORS, 64);
  const minus70 = v128.load(VECTORS, 80);
  const bit7 = v128.load(VECTORS, 96);
  let error = i8x16.splat(0);
  // The block before the current one; zeros (ASCII) at the start of text.
  let prev = i8x16.splat(0);
  let p = start;
  while (p + 16 <= end) {
    const block = v128.load(p);
    if (isAscii(block)) {
      // ASCII right after a truncated sequence is an error. After the run, `prev` is stale
      // but ends on a boundary (else this reported it), so it acts as ASCII would.
      error = v128.or(error, incompleteAtEnd(prev));
      p = skipAscii(p + 16, end);
      continue;
    }
    error = v128.or(error, errorsOf(block, prev, high1, low1, high2, nibble, minus60, minus70, bit7));
    prev = block;
    p += 16;
  }
  if (p < end) {
    if (end >= start + 32) {
      // The rest as the 16 bytes ending at `end`, checked against the 16 truly before them:
      // bytes checked twice are fine.
      const block = v128.load(end - 16);
      const before = v128.load(end - 32);
      error = v128.or(error, errorsOf(block, before, high1, low1, high2, nibble, minus60, minus70, bit7));
      prev = block;
    } else {
      // Under 16 bytes after the blocks: shift the 16 bytes ending at `end` so the rest lands
      // in lanes 0..rest-1; the other lanes get indices 16+, which swizzle turns into zeros.
      // Zeros act as ASCII, so a sequence cut at `end` shows up as TOO_SHORT in this block.
      const rest = <i32>(end - p);
      const lanes = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
      const block = i8x16.swizzle(v128.load(end - 16), i8x16.add(lanes, i8x16.splat(<i8>(16 - rest))));
      error = v128.or(error, errorsOf(block, prev, high1, low1, high2, nibble, minus60, minus70, bit7));
      prev = block;
    }
  }
  error = v128.or(error, incompleteAtEnd(prev));
  return !v128.any_true(error);
}

/**
 * Validates `length` bytes at `ptr` as a continuation of UTF-8 text whose DFA state so far
 * is `state` (UTF8_ACCEPT to start). Returns UTF8_REJECT (12) once the text is invalid
 * (and for an incoming reject), UTF8_ACCEPT (0) when the bytes end on a code-point
 * boundary, else the intermediate Hoehrmann state (24-96) to pass to the next call.
 * Reads `[ptr, ptr + length)` and, for inputs under 16 bytes, up to 15 bytes before them
 * (never outside linear memory; their values do not matter).
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
  // Short ASCII settles with two word loads.
  if (n >= 8 && n < 16) {
    if (((load<u64>(p) | load<u64>(end - 8)) & 0x8080808080808080) == 0) return UTF8_ACCEPT;
  } else if (n >= 4 && n < 8) {
    if (((load<u32>(p) | load<u32>(end - 4)) & 0x80808080) == 0) return UTF8_ACCEPT;
  }
  // 2. A lead byte needing more bytes than remain: the last 1, 2+ or 3+ byte lead.
  let tail = end;
  if (n >= 1 && load<u8>(end - 1) >= 0xc0) tail = end - 1;
  else if (n >= 2 && load<u8>(end - 2) >= 0xe0) tail = end - 2;
  else if (n >= 3 && load<u8>(end - 3) >= 0xf0) tail = end - 3;
  // 3. Everything before it at vector speed (the DFA if memory before `end` is too short
  // for one 16-byte read, which the arena never is).
  if (tail > p) {
    if (tail < 16) {
      if (dfaRun(p, tail, UTF8_ACCEPT) != UTF8_ACCEPT) return UTF8_REJECT;
    } else if (!vectorValid(p, tail)) {
      return UTF8_REJECT;
    }
  }
  return tail == end ? UTF8_ACCEPT : <i32>dfaRun(tail, end, UTF8_ACCEPT);
}
