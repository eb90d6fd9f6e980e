// SlabAllocator: views of shared slabs that are never rewritten, a new slab when a request
// does not fit, contiguous appends for batching callers.
import { describe, expect, it } from 'vitest';
import { SlabAllocator } from '../../src/codec/slab.js';

describe('SlabAllocator', () => {
  it('hands out disjoint 8-byte-aligned views of one slab', () => {
    const slabs = new SlabAllocator(64, 16);
    const a = slabs.take(3);
    const b = slabs.take(5);
    expect(a.buffer).toBe(b.buffer);
    expect(b.byteOffset - a.byteOffset).toBe(8);
    a.fill(1);
    b.fill(2);
    expect([...a]).toEqual([1, 1, 1]);
    expect([...b]).toEqual([2, 2, 2, 2, 2]);
  });

  it('starts a new slab when a request does not fit, leaving earlier views intact', () => {
    const slabs = new SlabAllocator(32, 16);
    const kept = slabs.take(16);
    kept.fill(7);
    slabs.take(16);
    const next = slabs.take(16);
    expect(next.buffer).not.toBe(kept.buffer);
    next.fill(9);
    expect([...kept]).toEqual(Array(16).fill(7));
  });

  it('serves only requests from 1 byte to maxRequest', () => {
    const slabs = new SlabAllocator(64, 16);
    expect([0, 1, 16, 17].map((size) => slabs.fits(size))).toEqual([false, true, true, false]);
    expect(() => new SlabAllocator(16, 32)).toThrow(RangeError);
  });

  it('reserve and commit append contiguously, so a caller can grow its own last view', () => {
    const slabs = new SlabAllocator(32, 32);
    const first = slabs.reserve(10);
    slabs.commit(10);
    const second = slabs.reserve(6);
    expect(second).toBe(first + 10);
    slabs.commit(6);
    // 20 more bytes do not fit in the 16 left: a new slab, at offset 0.
    const slab = slabs.slab;
    expect(slabs.reserve(20)).toBe(0);
    expect(slabs.slab).not.toBe(slab);
  });

  it('makes slabs with the factory it is given (Node passes Buffer.allocUnsafe)', () => {
    const sizes: number[] = [];
    const slabs = new SlabAllocator(64, 16);
    slabs.take(4, (size) => {
      sizes.push(size);
      return new Uint8Array(size);
    });
    expect(sizes).toEqual([64]);
  });
});
