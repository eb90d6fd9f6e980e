// Streaming UTF-8 validation in pure TypeScript: Hoehrmann's DFA ("Flexible and Economical
// UTF-8 Decoder"), the fallback for assembly/utf8.ts with the very same states, so a code
// point split across frames can be finished by either side.
// States: 0 accept, 12 reject (final), 24 one continuation left, 36 two left, 48 after E0,
// 60 after ED, 72 after F0, 84 after F1-F3, 96 after F4.
import { UTF8_ACCEPT, UTF8_REJECT } from '../../../assembly/layout.js';

/** Byte to character class. */
const CLASS = new Uint8Array(256);
// 80-8F, 90-9F and A0-BF differ because E0, ED, F0 and F4 restrict their second byte.
CLASS.fill(1, 0x80, 0x90);
CLASS.fill(9, 0x90, 0xa0);
CLASS.fill(7, 0xa0, 0xc0);
// C0-C1 (overlong) and F5-FF (above U+10FFFF) can never start a code point.
CLASS.fill(8, 0xc0, 0xc2);
CLASS.fill(2, 0xc2, 0xe0);
CLASS[0xe0] = 10;
CLASS.fill(3, 0xe1, 0xf0);
CLASS[0xed] = 4;
CLASS[0xf0] = 11;
CLASS.fill(6, 0xf1, 0xf4);
CLASS[0xf4] = 5;
CLASS.fill(8, 0xf5, 0x100);

/** state + class to the next state, one row of 12 per state. */
// biome-ignore format: a table reads best as rows
const TRANSITION = new Uint8Array([
  0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72, // 0: accept
  12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, // 12: reject is final
  12, 0, 12, 12, 12, 12, 12, 0, 12, 0, 12, 12, // 24: one continuation left
  12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12, // 36: two left
  12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, // 48: after E0, A0-BF only (no overlong)
  12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12, // 60: after ED, 80-9F only (no surrogates)
  12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, // 72: after F0, 90-BF only (no overlong)
  12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, // 84: after F1-F3, three left
  12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, // 96: after F4, 80-8F only (max U+10FFFF)
]);

/**
 * Validates `length` bytes of `bytes` from `start` as a continuation of UTF-8 text whose
 * DFA state so far is `state` (UTF8_ACCEPT, 0, to start). Returns UTF8_REJECT (12) once
 * the text is invalid (and for an incoming reject), UTF8_ACCEPT when the bytes end on a
 * code-point boundary, else the intermediate state to pass to the next call.
 */
export function validateUtf8Bytes(bytes: Uint8Array, start: number, length: number, state: number): number {
  const end = start + length;
  let i = start;
  while (i < end) {
    if (state === UTF8_ACCEPT) {
      // ASCII fast path: no table lookups between code points below U+0080.
      while (i < end && bytes[i] < 0x80) i++;
      if (i === end) break;
    }
    state = TRANSITION[state + CLASS[bytes[i++]]];
    if (state === UTF8_REJECT) return UTF8_REJECT;
  }
  return state;
}
