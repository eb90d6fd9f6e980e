// Differential tests of the masking kernel (assembly/mask.ts) against the pure-TS
// fallback and a byte-at-a-time reference: every rotation, every short length, unaligned
// pointers, guard bytes around the range, and payloads split across calls.
import { describe, expect, it } from 'vitest';
import { SCRATCH, SCRATCH_BYTES, WINDOW, WINDOW_BYTES } from '../../assembly/layout.js';
import { maskBytes, maskCopy } from '../../src/codec/fallback/mask.js';
import { createWasmKernels, type Kernels } from '../../src/codec/kernels.js';
import { xorshift } from '../support/frames.js';

function randomBytes(next: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = next() & 0xff;
  return bytes;
}

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

describe('maskInPlace (wasm) and maskBytes (fallback)', () => {
  const kernels = wasmKernels();
  const memory = kernels.bytes;
  const next = xorshift(0x5eed);

  it('match the reference at every rotation, length 0-64 and alignment, touching nothing outside', () => {
    for (let misalign = 0; misalign < 8; misalign++) {
      const ptr = SCRATCH + GUARD + misalign;
      for (let rotation = 0; rotation < 4; rotation++) {
        for (let length = 0; length <= 64; length++) {
          const key = next();
          const region = randomBytes(next, GUARD + length + GUARD);
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
  });

  it('match the reference on 64 KiB and on the whole 256 KiB window', () => {
    for (const [ptr, length] of [
      [SCRATCH + 3, SCRATCH_BYTES - 3],
      [WINDOW + 1, WINDOW_BYTES - 1],
    ]) {
      for (let rotation = 0; rotation < 4; rotation++) {
        const key = next();
        const region = randomBytes(next, length + 2);
        const expected = region.slice();
        referenceMask(expected, 1, length, key, rotation);
        memory.set(region, ptr - 1);
        kernels.maskInPlace(ptr, length, key, rotation);
        expect(firstDifference(memory.subarray(ptr - 1, ptr + length + 1), expected)).toBe(-1);
      }
    }
  });

  it('unmask 1 MiB as window-sized pieces of odd lengths, the rotation carried (memory is 512 KiB)', () => {
    const length = 1 << 20;
    const key = next();
    const payload = randomBytes(next, length);
    const expected = payload.slice();
    referenceMask(expected, 0, length, key, 0);
    const actual = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const piece = Math.min(length - done, WINDOW_BYTES - 1 - (next() % 7));
      memory.set(payload.subarray(done, done + piece), WINDOW);
      kernels.maskInPlace(WINDOW, piece, key, done & 3);
      actual.set(memory.subarray(WINDOW, WINDOW + piece), done);
      done += piece;
    }
    expect(firstDifference(actual, expected)).toBe(-1);
  });

  it('fallback matches the reference on 1 MiB at every alignment', () => {
    const length = 1 << 20;
    const source = randomBytes(next, length + 8);
    for (let misalign = 0; misalign < 4; misalign++) {
      const key = next();
      const rotation = misalign ^ 1;
      const expected = source.slice();
      referenceMask(expected, misalign + 1, length, key, rotation);
      const actual = source.slice();
      maskBytes(actual, misalign + 1, length, key, rotation);
      expect(firstDifference(actual, expected)).toBe(-1);
    }
  });

  it('unmask a payload split in two calls, passing the bytes done & 3 as rotation, like one call', () => {
    const ptr = SCRATCH + 5;
    for (let trial = 0; trial < 400; trial++) {
      const length = trial < 200 ? trial : next() % 4000;
      const split = length === 0 ? 0 : next() % (length + 1);
      const key = next();
      const rotation = next() & 3;
      const payload = randomBytes(next, length + GUARD);
      const expected = payload.slice();
      referenceMask(expected, 0, length, key, rotation);

      memory.set(payload, ptr);
      kernels.maskInPlace(ptr, split, key, rotation);
      kernels.maskInPlace(ptr + split, length - split, key, (rotation + split) & 3);
      expect(firstDifference(memory.subarray(ptr, ptr + length + GUARD), expected)).toBe(-1);

      const copy = payload.slice();
      maskBytes(copy, 0, split, key, rotation);
      maskBytes(copy, split, length - split, key, (rotation + split) & 3);
      expect(firstDifference(copy, expected)).toBe(-1);
    }
  });

  it('masking twice restores the payload', () => {
    const ptr = SCRATCH + 2;
    const payload = randomBytes(next, 1000);
    memory.set(payload, ptr);
    kernels.maskInPlace(ptr, 1000, 0xdeadbeef, 3);
    expect(memory.subarray(ptr, ptr + 1000)).not.toEqual(payload);
    kernels.maskInPlace(ptr, 1000, 0xdeadbeef, 3);
    expect(firstDifference(memory.subarray(ptr, ptr + 1000), payload)).toBe(-1);
  });
});

describe('maskCopy', () => {
  const next = xorshift(77);

  it('writes source ^ mask at the offset, leaving the source and the rest of the target alone', () => {
    for (let length = 0; length <= 70; length++) {
      for (let rotation = 0; rotation < 4; rotation++) {
        const key = next();
        const source = randomBytes(next, length);
        const original = source.slice();
        const target = randomBytes(next, length + 20);
        const expected = target.slice();
        expected.set(source, 7);
        referenceMask(expected, 7, length, key, rotation);
        maskCopy(source, target, 7, key, rotation);
        expect(firstDifference(target, expected)).toBe(-1);
        expect(source).toEqual(original);
      }
    }
  });

  it('starts at key byte 0 by default', () => {
    const target = new Uint8Array(5);
    maskCopy(new Uint8Array(5), target, 0, 0x44332211);
    expect([...target]).toEqual([0x11, 0x22, 0x33, 0x44, 0x11]);
  });
});
