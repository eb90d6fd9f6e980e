// fast-check arbitraries shared by the property tests: mask keys, payload bytes of any
// size, UTF-8 text with the encoding's boundary code points, and the ways a byte stream
// can be cut into chunks. Values stay small descriptions (a length and a pattern, cut
// fractions) so a failing case prints readably and shrinks well.
import fc from 'fast-check';

/** Run count for a property: `base`, times FC_RUNS_SCALE when set (for a longer soak). */
export function runs(base: number): number {
  const raw = process.env.FC_RUNS_SCALE;
  const scale = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!(scale > 0)) throw new Error(`FC_RUNS_SCALE must be a positive number, got ${raw}`);
  return Math.max(1, Math.round(base * scale));
}

/** A 32-bit mask key (RFC 6455 §5.3), key octet 0 in the low byte; 0 and 0xffffffff included. */
export const maskKey = fc.integer({ min: 0, max: 0xffff_ffff });

/** A short byte pattern that `spread` stretches to any length. */
export const pattern = fc.uint8Array({ minLength: 1, maxLength: 61 });

/**
 * `length` bytes from `seed`: the pattern repeated, each repetition XORed with its index, so
 * neighbouring 16-byte lanes differ even for a one-byte pattern. Generating megabytes byte
 * by byte through fast-check would be slow and unprintable.
 */
export function spread(seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0, round = 0; i < length; round++)
    for (let j = 0; j < seed.length && i < length; j++, i++) out[i] = seed[j] ^ (round & 0xff);
  return out;
}

/** Code points where UTF-8 changes length or meets a forbidden range, and the BOM. */
export const BOUNDARY_CHARS = [
  '\u0000',
  '\u007f',
  '\u0080',
  '\u07ff',
  '\u0800',
  '\ud7ff',
  '\ue000',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\u{10000}',
  '\u{10ffff}',
];

/** Words in several scripts, from ASCII to astral symbols. */
export const WORDS = ['a', 'hello', 'κόσμε', '€uro', '𝄞 clef', '日本語テキスト', 'mixed ascii and ü and 🎉'];

/** Well-formed text mixing boundary code points, sample words and any code point. */
export const text = fc
  .array(
    fc.oneof(
      fc.constantFrom(...BOUNDARY_CHARS),
      fc.constantFrom(...WORDS),
      fc.string({ unit: 'binary', maxLength: 6 }),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

/** Fractions in [0, 1], as millionths so they print exactly. */
const fraction = fc.integer({ min: 0, max: 1_000_000 }).map((n) => n / 1_000_000);

/**
 * How a byte stream is cut into chunks:
 * - `cycle`: chunk sizes repeated until the stream ends (mostly small, so headers are cut
 *   every way; sometimes large); `[1]` is byte by byte.
 * - `at`: a few cuts anywhere, as fractions of the length.
 */
export type Split = { readonly cycle: readonly number[] } | { readonly at: readonly number[] };

export const split: fc.Arbitrary<Split> = fc.oneof(
  fc.record({
    cycle: fc.array(
      fc.oneof(
        { arbitrary: fc.integer({ min: 1, max: 16 }), weight: 4 },
        { arbitrary: fc.integer({ min: 1, max: 70_000 }), weight: 1 },
      ),
      { minLength: 1, maxLength: 8 },
    ),
  }),
  fc.record({ at: fc.array(fraction, { minLength: 1, maxLength: 12 }) }),
);

/** The cut positions, strictly inside (0, length) and increasing, that `shape` gives. */
export function cutsFor(shape: Split, length: number): number[] {
  if ('at' in shape) {
    const cuts = shape.at.map((f) => Math.floor(f * length)).filter((c) => c > 0 && c < length);
    return [...new Set(cuts)].sort((a, b) => a - b);
  }
  const cuts: number[] = [];
  for (let at = 0, i = 0; ; i++) {
    at += shape.cycle[i % shape.cycle.length];
    if (at >= length) return cuts;
    cuts.push(at);
  }
}

/** Every position: one byte per chunk. */
export function everyByte(length: number): number[] {
  return Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1);
}
