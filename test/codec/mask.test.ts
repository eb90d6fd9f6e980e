// Differential tests of the masking kernel (assembly/mask.ts) against the pure-TS
// fallback and a byte-at-a-time reference: every rotation, every short length, unaligned
// pointers, guard bytes around the range, and payloads split across calls. Keys and bytes
// come from fast-check (seed fixed in test/support/fast-check-setup.ts).
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SCRATCH, SCRATCH_BYTES, WINDOW, WINDOW_BYTES } from '../../assembly/layout.js';
import { maskBytes, maskCopy } from '../../src/codec/fallback/mask.js';
import { createWasmKernels, type Kernels } from '../../src/codec/kernels.js';
import { maskKey, pattern, runs, spread } from '../support/arbitraries.js';

/** RFC 6455 §5.3 word for word: octet i XOR key octet (i mod 4), key octets little-endian. */
function referenceMask(
  bytes: Uint8Array,
  start: number,
  length: number,
  key: number,
  rotation: number,
): void {
  for (let i = 0; i < length; i++) bytes[start + i] ^= (key >>> (((rotation + i) & 3) * 8)) & 0xff;
}

const GUARD = 80;

/** Index of the first differing byte, or -1 (toEqual is slow on megabytes). */
function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) return i;
  return -1;
}

function wasmKernels(): Kernels {
  const kernels = createWasmKernels();
  if (kernels === null) throw new Error('WebAssembly SIMD is unavailable');
  return kernels;
}

/** One key per index; each case takes its own. */
const keys = (count: number) => fc.array(maskKey, { minLength: count, maxLength: count });

describe('maskInPlace (wasm) and maskBytes (fallback)', () => {
  const kernels = wasmKernels();
  const memory = kernels.bytes;

  test.prop([keys(65), pattern], { numRuns: runs(4) })(
    'match the reference at every rotation, length 0-64 and alignment, touching nothing outside',
    (keyFor, seed) => {
      for (let misalign = 0; misalign < 8; misalign++) {
        const ptr = SCRATCH + GUARD + misalign;
        for (let rotation = 0; rotation < 4; rotation++) {
          for (let length = 0; length <= 64; length++) {
            const key = keyFor[length];
            const region = spread(seed, GUARD + length + GUARD);
            const expected = region.slice();
            referenceMask(expected, GUARD, length, key, rotation);

            memory.set(region, ptr - GUARD);
            kernels.maskInPlace(ptr, length, key, rotation);
            expect(firstDifference(memory.subarray(ptr - GUARD, ptr + length + GUARD), expected)).toBe(-1);

            // The fallback over a view whose byteOffset is misaligned too.
            const backing = new Uint8Array(misalign + region.length);
            const view = backing.subarray(misalign);
            view.set(region);
            maskBytes(view, GUARD, length, key, rotation);
            expect(firstDifference(view, expected)).toBe(-1);
          }
        }
      }
    },
  );

  test.prop([keys(4), pattern], { numRuns: runs(2) })(
    'match the reference on 64 KiB and on the whole 256 KiB window',
    (keyFor, seed) => {
      for (const [ptr, length] of [
        [SCRATCH + 3, SCRATCH_BYTES - 3],
        [WINDOW + 1, WINDOW_BYTES - 1],
      ]) {
        for (let rotation = 0; rotation < 4; rotation++) {
          const key = keyFor[rotation];
          const region = spread(seed, length + 2);
          const expected = region.slice();
          referenceMask(expected, 1, length, key, rotation);
          memory.set(region, ptr - 1);
          kernels.maskInPlace(ptr, length, key, rotation);
          expect(firstDifference(memory.subarray(ptr - 1, ptr + length + 1), expected)).toBe(-1);
        }
      }
    },
  );

  test.prop([maskKey, pattern, fc.array(fc.nat(6), { minLength: 1, maxLength: 8 })], { numRuns: runs(2) })(
    'unmask 1 MiB as window-sized pieces of odd lengths, the rotation carried (memory is 512 KiB)',
    (key, seed, shortBy) => {
      const length = 1 << 20;
      const payload = spread(seed, length);
      const expected = payload.slice();
      referenceMask(expected, 0, length, key, 0);
      const actual = new Uint8Array(length);
      for (let done = 0, i = 0; done < length; i++) {
        const piece = Math.min(length - done, WINDOW_BYTES - 1 - shortBy[i % shortBy.length]);
        memory.set(payload.subarray(done, done + piece), WINDOW);
        kernels.maskInPlace(WINDOW, piece, key, done & 3);
        actual.set(memory.subarray(WINDOW, WINDOW + piece), done);
        done += piece;
      }
      expect(firstDifference(actual, expected)).toBe(-1);
    },
  );

  test.prop([keys(4), pattern], { numRuns: runs(2) })(
    'fallback matches the reference on 1 MiB at every alignment',
    (keyFor, seed) => {
      const length = 1 << 20;
      const source = spread(seed, length + 8);
      for (let misalign = 0; misalign < 4; misalign++) {
        const key = keyFor[misalign];
        const rotation = misalign ^ 1;
        const expected = source.slice();
        referenceMask(expected, misalign + 1, length, key, rotation);
        const actual = source.slice();
        maskBytes(actual, misalign + 1, length, key, rotation);
        expect(firstDifference(actual, expected)).toBe(-1);
      }
    },
  );

  /** Masks `length` bytes in two calls cut at `split`, on both sides, and checks against one call. */
  function checkTwoCalls(
    payload: Uint8Array,
    length: number,
    split: number,
    key: number,
    rotation: number,
  ): void {
    const ptr = SCRATCH + 5;
    const expected = payload.slice();
    referenceMask(expected, 0, length, key, rotation);

    memory.set(payload, ptr);
    kernels.maskInPlace(ptr, split, key, rotation);
    kernels.maskInPlace(ptr + split, length - split, key, (rotation + split) & 3);
    expect(firstDifference(memory.subarray(ptr, ptr + payload.length), expected)).toBe(-1);

    const copy = payload.slice();
    maskBytes(copy, 0, split, key, rotation);
    maskBytes(copy, split, length - split, key, (rotation + split) & 3);
    expect(firstDifference(copy, expected)).toBe(-1);
  }

  const twoCallCase = fc.record({ split: fc.nat(), key: maskKey, rotation: fc.nat(3) });

  test.prop([fc.array(twoCallCase, { minLength: 200, maxLength: 200 }), pattern], { numRuns: runs(3) })(
    'unmask a payload split in two calls, passing the bytes done & 3 as rotation, like one call: every length 0-199',
    (cases, seed) => {
      cases.forEach(({ split, key, rotation }, length) => {
        checkTwoCalls(spread(seed, length + GUARD), length, split % (length + 1), key, rotation);
      });
    },
  );

  test.prop([fc.integer({ min: 0, max: 4000 }), twoCallCase, pattern], { numRuns: runs(300) })(
    'unmask a payload split in two calls like one call: lengths up to 4000',
    (length, { split, key, rotation }, seed) => {
      checkTwoCalls(spread(seed, length + GUARD), length, split % (length + 1), key, rotation);
    },
  );

  test.prop(
    [fc.uint8Array({ minLength: 4, maxLength: 1000 }), fc.integer({ min: 1, max: 0xffff_ffff }), fc.nat(3)],
    { numRuns: runs(50) },
  )('masking twice restores the payload', (payload, key, rotation) => {
    const ptr = SCRATCH + 2;
    const length = payload.length;
    memory.set(payload, ptr);
    kernels.maskInPlace(ptr, length, key, rotation);
    // A nonzero key changes at least one of any four consecutive bytes.
    expect(firstDifference(memory.subarray(ptr, ptr + length), payload)).not.toBe(-1);
    kernels.maskInPlace(ptr, length, key, rotation);
    expect(firstDifference(memory.subarray(ptr, ptr + length), payload)).toBe(-1);
  });
});

describe('maskCopy', () => {
  test.prop([keys(71), pattern, pattern], { numRuns: runs(5) })(
    'writes source ^ mask at the offset, leaving the source and the rest of the target alone',
    (keyFor, sourceSeed, targetSeed) => {
      for (let length = 0; length <= 70; length++) {
        for (let rotation = 0; rotation < 4; rotation++) {
          const key = keyFor[length];
          const source = spread(sourceSeed, length);
          const original = source.slice();
          const target = spread(targetSeed, length + 20);
          const expected = target.slice();
          expected.set(source, 7);
          referenceMask(expected, 7, length, key, rotation);
          maskCopy(source, target, 7, key, rotation);
          expect(firstDifference(target, expected)).toBe(-1);
          expect(source).toEqual(original);
        }
      }
    },
  );

  it('starts at key byte 0 by default', () => {
    const target = new Uint8Array(5);
    maskCopy(new Uint8Array(5), target, 0, 0x44332211);
    expect([...target]).toEqual([0x11, 0x22, 0x33, 0x44, 0x11]);
  });
});
