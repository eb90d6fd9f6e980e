// Differential tests of the streaming UTF-8 kernel (assembly/utf8.ts) against the pure-TS
// Hoehrmann DFA (src/codec/fallback/utf8.ts) and `TextDecoder` with `fatal: true`:
// boundary cases at every split, states handed between the two sides, random valid text,
// random noise. The random cases are fast-check properties (seed fixed in
// test/support/fast-check-setup.ts), so any failure replays.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SCRATCH, UTF8_ACCEPT, UTF8_REJECT, WINDOW } from '../../assembly/layout.js';
import { validateUtf8Bytes } from '../../src/codec/fallback/utf8.js';
import { createWasmKernels, type Kernels } from '../../src/codec/kernels.js';
import { BOUNDARY_CHARS, runs } from '../support/arbitraries.js';

function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function decoderAccepts(bytes: Uint8Array): boolean {
  try {
    decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function wasmKernels(): Kernels {
  const kernels = createWasmKernels();
  if (kernels === null) throw new Error('WebAssembly SIMD is unavailable');
  return kernels;
}

const kernels = wasmKernels();
const memory = kernels.bytes;
let poison = 0;

/** Runs the wasm kernel over `bytes` copied to `at`, with hostile bytes on both sides. */
function wasmValidate(bytes: Uint8Array, state: number, at = SCRATCH + 64): number {
  // Continuations or lead bytes around the input: a kernel that looked past its range would notice.
  poison = (poison + 1) % 3;
  const fill = [0x80, 0xf0, 0xc2][poison];
  memory.fill(fill, at - 64, at);
  memory.set(bytes, at);
  memory.fill(fill, at + bytes.length, at + bytes.length + 64);
  return kernels.validateUtf8(at, bytes.length, state);
}

function fallbackValidate(bytes: Uint8Array, state: number): number {
  return validateUtf8Bytes(bytes, 0, bytes.length, state);
}

/** Runs `validate` over consecutive pieces cut at `cuts`, carrying the state. */
function inPieces(
  bytes: Uint8Array,
  cuts: number[],
  validate: (piece: Uint8Array, state: number, index: number) => number,
): number {
  let state = UTF8_ACCEPT;
  let from = 0;
  [...cuts, bytes.length].forEach((to, index) => {
    state = validate(bytes.subarray(from, to), state, index);
    from = to;
  });
  return state;
}

/** Checks the one-shot verdict, then every two-way split and byte-at-a-time, on both sides. */
function checkEverySplit(bytes: Uint8Array): void {
  const oneShot = fallbackValidate(bytes, UTF8_ACCEPT);
  expect(wasmValidate(bytes, UTF8_ACCEPT)).toBe(oneShot);
  expect(oneShot === UTF8_ACCEPT).toBe(decoderAccepts(bytes));
  for (let cut = 0; cut <= bytes.length; cut++) {
    expect(inPieces(bytes, [cut], (piece, state) => wasmValidate(piece, state))).toBe(oneShot);
    expect(inPieces(bytes, [cut], fallbackValidate)).toBe(oneShot);
    // The state crosses between the two implementations in both directions.
    expect(
      inPieces(bytes, [cut], (piece, state, i) =>
        i === 0 ? wasmValidate(piece, state) : fallbackValidate(piece, state),
      ),
    ).toBe(oneShot);
    expect(
      inPieces(bytes, [cut], (piece, state, i) =>
        i === 0 ? fallbackValidate(piece, state) : wasmValidate(piece, state),
      ),
    ).toBe(oneShot);
  }
  const everyByte = Array.from({ length: bytes.length }, (_, i) => i + 1);
  expect(inPieces(bytes, everyByte, (piece, state) => wasmValidate(piece, state))).toBe(oneShot);
  expect(inPieces(bytes, everyByte, fallbackValidate)).toBe(oneShot);
}

const VALID = {
  empty: '',
  nul: '00',
  del: '7f',
  'U+0080': 'c280',
  'U+07FF': 'dfbf',
  'U+0800': 'e0a080',
  'U+0FFF': 'e0bfbf',
  'U+1000': 'e18080',
  'U+20AC': 'e282ac',
  'U+D7FF': 'ed9fbf',
  'U+E000': 'ee8080',
  'U+FEFF BOM': 'efbbbf',
  'U+FFFD': 'efbfbd',
  'U+FFFF': 'efbfbf',
  'U+10000': 'f0908080',
  'U+1F600': 'f09f9880',
  'U+3FFFF': 'f0bfbfbf',
  'U+40000': 'f1808080',
  'U+FFFFF': 'f3bfbfbf',
  'U+100000': 'f4808080',
  'U+10FFFF': 'f48fbfbf',
  mixed: '41 c3a9 e282ac f09f9880 5a',
};

const INVALID = {
  'overlong C0 80': 'c080',
  'overlong C0 AF': 'c0af',
  'overlong C1 BF': 'c1bf',
  'overlong E0 80 80': 'e08080',
  'overlong E0 9F BF': 'e09fbf',
  'overlong F0 80 80 80': 'f0808080',
  'overlong F0 8F BF BF': 'f08fbfbf',
  'surrogate D800': 'eda080',
  'surrogate DB7F': 'edadbf',
  'surrogate DB80': 'edae80',
  'surrogate DBFF': 'edafbf',
  'surrogate DC00': 'edb080',
  'surrogate DFFF': 'edbfbf',
  'surrogate pair D83D DE00': 'eda0bd edb880',
  'U+110000': 'f4908080',
  'F4 BF BF BF': 'f4bfbfbf',
  'F5 lead': 'f5808080',
  'F7 lead': 'f7bfbfbf',
  '5-byte lead F8': 'f888808080',
  '6-byte lead FC': 'fc8480808080',
  'FE alone': 'fe',
  'FF alone': 'ff',
  'FF FE': 'fffe',
  'stray 80': '80',
  'stray BF': 'bf',
  'two stray': '8080',
  'continuation after ASCII': '4180',
  'extra continuation after 2-byte': 'c28080',
  'extra continuation after 3-byte': 'e282ac80',
  'extra continuation after 4-byte': 'f09f988080',
  'truncated 2-byte then ASCII': 'c241',
  'truncated 3-byte then ASCII': 'e28241',
  'truncated 4-byte then ASCII': 'f09f9841',
  'lead after lead': 'c2c280',
  '3-byte lead cut by 2-byte': 'e2c280',
  'E0 E0': 'e0e0',
};

// Incomplete at the end: not invalid yet, and the exact Hoehrmann state is carried.
const INCOMPLETE: Record<string, [string, number]> = {
  'C2 (one left)': ['c2', 24],
  'E2 (two left)': ['e2', 36],
  'E2 82 (one left)': ['e282', 24],
  'E0 (A0-BF next)': ['e0', 48],
  'ED (80-9F next)': ['ed', 60],
  'F0 (90-BF next)': ['f0', 72],
  'F1 (three left)': ['f1', 84],
  'F4 (80-8F next)': ['f4', 96],
  'F0 9F (two left)': ['f09f', 36],
  'F0 9F 98 (one left)': ['f09f98', 24],
};

const ASCII_FILL = encoder.encode('The quick brown fox jumps over the lazy dog. '.repeat(6));
const MIXED_FILL = encoder.encode('aé€😀Жz中'.repeat(12));

describe('validateUtf8 (wasm) and validateUtf8Bytes (fallback)', () => {
  it.each(Object.entries(VALID))('accept %s at every split', (_, text) => {
    const bytes = hex(text);
    expect(fallbackValidate(bytes, UTF8_ACCEPT)).toBe(UTF8_ACCEPT);
    checkEverySplit(bytes);
  });

  it.each(Object.entries(INVALID))('reject %s at every split', (_, text) => {
    const bytes = hex(text);
    expect(fallbackValidate(bytes, UTF8_ACCEPT)).toBe(UTF8_REJECT);
    checkEverySplit(bytes);
  });

  it.each(Object.entries(INCOMPLETE))('carry the exact state for %s', (_, [text, state]) => {
    const bytes = hex(text);
    expect(fallbackValidate(bytes, UTF8_ACCEPT)).toBe(state);
    checkEverySplit(bytes);
    // The same tail after enough bytes to take the vector path.
    for (const fill of [ASCII_FILL, MIXED_FILL]) {
      for (const prefix of [13, 16, 31, 64, 100]) {
        const long = concat(fill.subarray(0, prefix), bytes);
        const expected = fallbackValidate(long, UTF8_ACCEPT);
        expect(wasmValidate(long, UTF8_ACCEPT)).toBe(expected);
      }
    }
  });

  it('stay rejected once rejected', () => {
    for (const bytes of [
      new Uint8Array(0),
      encoder.encode('plain ASCII, long enough for lanes'),
      hex('c280'),
    ]) {
      expect(wasmValidate(bytes, UTF8_REJECT)).toBe(UTF8_REJECT);
      expect(fallbackValidate(bytes, UTF8_REJECT)).toBe(UTF8_REJECT);
    }
  });

  it('agree on every sample at every position inside ASCII and multibyte text (the vector path)', () => {
    const samples = [
      ...Object.values(VALID),
      ...Object.values(INVALID),
      ...Object.values(INCOMPLETE).map(([t]) => t),
    ];
    const failures: string[] = [];
    for (const fill of [ASCII_FILL, MIXED_FILL]) {
      for (const text of samples) {
        const sample = hex(text);
        for (let before = 0; before <= 140; before++) {
          // Cut the filler on a code point boundary so only the sample decides validity.
          let start = before;
          while (start > 0 && (fill[start] & 0xc0) === 0x80) start--;
          for (const after of [0, 1, 3, 17, 70]) {
            let end = Math.min(fill.length, start + after);
            while (end < fill.length && (fill[end] & 0xc0) === 0x80) end++;
            const bytes = concat(fill.subarray(0, start), sample, fill.subarray(start, end));
            const expected = fallbackValidate(bytes, UTF8_ACCEPT);
            const where = `${text} after ${start} bytes, ${end - start} after it`;
            if ((expected === UTF8_ACCEPT) !== decoderAccepts(bytes)) failures.push(`TextDecoder: ${where}`);
            if (wasmValidate(bytes, UTF8_ACCEPT) !== expected) failures.push(`wasm: ${where}`);
          }
        }
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  it('agree on short samples that end below address 16, where no 16-byte read fits', () => {
    // Below the arena, where nothing lives in a release build; restored afterwards.
    const saved = memory.slice(0, 64);
    try {
      const samples = [...Object.values(VALID), ...Object.values(INVALID), 'c3a9 41 e282ac 42'];
      for (const text of samples) {
        const bytes = hex(text);
        for (let ptr = 0; ptr + bytes.length < 16; ptr += 3) {
          memory.fill(0xf0, 0, 64);
          memory.set(bytes, ptr);
          expect(kernels.validateUtf8(ptr, bytes.length, UTF8_ACCEPT)).toBe(
            fallbackValidate(bytes, UTF8_ACCEPT),
          );
        }
      }
    } finally {
      memory.set(saved, 0);
    }
  });

  it('reject a sequence cut by an ASCII run even when continuations follow the run', () => {
    // The vector path skips ASCII blocks without comparing them to their neighbours; the
    // truncation must be remembered across the skipped run.
    const failures: string[] = [];
    const completions = { c2: '80', e2: '82ac', e282: 'ac', f0: '9f9880', f09f: '9880', f09f98: '80' };
    for (const [truncated, completion] of Object.entries(completions)) {
      for (const run of [15, 16, 17, 63, 64, 65, 128]) {
        for (let before = 0; before <= 70; before++) {
          const bytes = concat(
            ASCII_FILL.subarray(0, before),
            hex(truncated),
            ASCII_FILL.subarray(0, run),
            hex(completion),
            ASCII_FILL.subarray(0, 20),
          );
          if (wasmValidate(bytes, UTF8_ACCEPT) !== UTF8_REJECT)
            failures.push(`${truncated} ${before} ${run}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('agree on every two-byte sequence, alone and inside a vector block', () => {
    const pad = ASCII_FILL.subarray(0, 20);
    const failures: string[] = [];
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const pair = new Uint8Array([a, b]);
        if (wasmValidate(pair, UTF8_ACCEPT) !== fallbackValidate(pair, UTF8_ACCEPT))
          failures.push(`${a} ${b}`);
        const padded = concat(pad, pair, pad);
        const verdict = fallbackValidate(padded, UTF8_ACCEPT);
        if ((verdict === UTF8_ACCEPT) !== decoderAccepts(padded)) failures.push(`TextDecoder ${a} ${b}`);
        if (wasmValidate(padded, UTF8_ACCEPT) !== verdict) failures.push(`padded ${a} ${b}`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  it('agree on every three- and four-byte sequence with lead C0-FF over chosen later bytes', () => {
    const later = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc2, 0xf0];
    const pad = ASCII_FILL.subarray(0, 17);
    const failures: string[] = [];
    for (let lead = 0xc0; lead < 0x100; lead++) {
      for (let second = 0x80; second < 0xc0; second++) {
        for (const third of later) {
          for (const fourth of [-1, 0x41, 0x80, 0x9f, 0xbf, 0xc0]) {
            const sequence = new Uint8Array(
              fourth < 0 ? [lead, second, third] : [lead, second, third, fourth],
            );
            const padded = concat(pad, sequence, pad);
            const verdict = fallbackValidate(padded, UTF8_ACCEPT);
            const alone = fallbackValidate(sequence, UTF8_ACCEPT);
            const name = Array.from(sequence, (b) => b.toString(16)).join(' ');
            if (wasmValidate(padded, UTF8_ACCEPT) !== verdict) failures.push(`padded ${name}`);
            if (wasmValidate(sequence, UTF8_ACCEPT) !== alone) failures.push(`alone ${name}`);
            if (third >= 0x80 && third < 0xc0 && (verdict === UTF8_ACCEPT) !== decoderAccepts(padded)) {
              failures.push(`TextDecoder ${name}`);
            }
          }
        }
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });
});

/** Code points weighted toward 2-, 3- and 4-byte UTF-8, with the boundary ones, never a surrogate. */
const codePoint = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xffff - 0x800 }).map((cp) => (cp >= 0xd800 ? cp + 0x800 : cp)),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
  fc.constantFrom(...BOUNDARY_CHARS.map((c) => c.codePointAt(0)!)),
);

/** Well-formed UTF-8 of up to about `maxBytes` bytes. */
const validText = (maxBytes: number) =>
  fc
    .array(codePoint, { maxLength: maxBytes })
    .map((cps) => encoder.encode(String.fromCodePoint(...cps)).subarray(0, maxBytes))
    .map((bytes) => {
      // Trim a code point the byte limit cut, so the text stays valid.
      let end = bytes.length;
      let back = end - 1;
      while (back >= 0 && (bytes[back] & 0xc0) === 0x80) back--;
      if (back >= 0) {
        const lead = bytes[back];
        const size = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
        if (back + size > end) end = back;
      }
      return bytes.slice(0, end);
    });

/** 1-4 cut points, as fractions of the length. */
const cutFractions = fc.array(
  fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000),
  { minLength: 1, maxLength: 4 },
);

/** Cut points in [0, length], sorted, from fractions. */
function cutsOf(fractions: readonly number[], length: number): number[] {
  return fractions.map((f) => Math.floor(f * length)).sort((a, b) => a - b);
}

describe('random input', () => {
  test.prop([validText(300), cutFractions], { numRuns: runs(1200) })(
    'accepts random valid text of 0-300 bytes, whole and in random pieces across both sides',
    (bytes, fractions) => {
      expect(decoderAccepts(bytes)).toBe(true);
      expect(wasmValidate(bytes, UTF8_ACCEPT)).toBe(UTF8_ACCEPT);
      expect(fallbackValidate(bytes, UTF8_ACCEPT)).toBe(UTF8_ACCEPT);
      expect(
        inPieces(bytes, cutsOf(fractions, bytes.length), (piece, state, i) =>
          i % 2 === 0 ? wasmValidate(piece, state) : fallbackValidate(piece, state),
        ),
      ).toBe(UTF8_ACCEPT);
    },
  );

  test.prop([validText(300), fc.nat(), fc.nat(255), cutFractions], { numRuns: runs(3000) })(
    'agrees with TextDecoder on random text with one corrupted byte',
    (valid, where, value, fractions) => {
      const bytes = valid.slice();
      if (bytes.length > 0) bytes[where % bytes.length] = value;
      const expected = fallbackValidate(bytes, UTF8_ACCEPT);
      expect(expected === UTF8_ACCEPT).toBe(decoderAccepts(bytes));
      expect(wasmValidate(bytes, UTF8_ACCEPT)).toBe(expected);
      expect(
        inPieces(bytes, cutsOf(fractions, bytes.length), (piece, state) => wasmValidate(piece, state)),
      ).toBe(expected);
    },
  );

  // Uniform bytes, or bytes drawn by class: ASCII, continuation (twice as likely), 2-, 3- and 4-byte leads.
  const weightedByte = fc.oneof(
    fc.integer({ min: 0, max: 0x7f }),
    { arbitrary: fc.integer({ min: 0x80, max: 0xbf }), weight: 2 },
    fc.integer({ min: 0xc0, max: 0xdf }),
    fc.integer({ min: 0xe0, max: 0xef }),
    fc.integer({ min: 0xf0, max: 0xff }),
  );
  const noise = fc.oneof(
    fc.uint8Array({ maxLength: 299 }),
    fc.array(weightedByte, { maxLength: 299 }).map((b) => Uint8Array.from(b)),
  );

  test.prop([noise], { numRuns: runs(5000) })(
    'agrees with TextDecoder on byte noise weighted toward lead and continuation bytes',
    (bytes) => {
      const expected = fallbackValidate(bytes, UTF8_ACCEPT);
      expect(expected === UTF8_ACCEPT).toBe(decoderAccepts(bytes));
      expect(wasmValidate(bytes, UTF8_ACCEPT)).toBe(expected);
    },
  );

  // 64 KiB: all ASCII with a euro sign last, or a random text repeated to size.
  const bigText = fc.oneof(
    fc.constant(encoder.encode('x'.repeat(65536 - 3).concat('€'))),
    validText(400)
      .filter((t) => t.length > 0)
      .map((unit) => {
        const out = new Uint8Array(Math.floor((65536 - 4) / unit.length) * unit.length);
        for (let at = 0; at < out.length; at += unit.length) out.set(unit, at);
        return out;
      }),
  );
  const corruption = fc.record({
    start: fc.nat(63),
    middle: fc.nat(),
    end: fc.nat(63),
    byte: fc.constantFrom(0x80, 0xc0, 0xff, 0xed, 0xf4),
  });

  test.prop([bigText, cutFractions, corruption], { numRuns: runs(12) })(
    'handles 64 KiB texts: valid, corrupted near the start, middle and end, and in pieces',
    (bytes, fractions, { start, middle, end, byte }) => {
      expect(wasmValidate(bytes, UTF8_ACCEPT, WINDOW)).toBe(UTF8_ACCEPT);
      expect(fallbackValidate(bytes, UTF8_ACCEPT)).toBe(UTF8_ACCEPT);
      const cuts = cutsOf(fractions, bytes.length);
      expect(inPieces(bytes, cuts, (piece, state, i) => wasmValidate(piece, state, WINDOW + 3 * i))).toBe(
        UTF8_ACCEPT,
      );
      for (const where of [start, middle % bytes.length, bytes.length - 1 - end]) {
        const corrupted = bytes.slice();
        corrupted[where] = byte;
        const expected = fallbackValidate(corrupted, UTF8_ACCEPT);
        expect(expected === UTF8_ACCEPT).toBe(decoderAccepts(corrupted));
        expect(wasmValidate(corrupted, UTF8_ACCEPT, WINDOW + 1)).toBe(expected);
      }
    },
  );
});
