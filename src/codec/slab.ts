// SlabAllocator: bump allocation of small buffers from shared slabs, the policy of Node's
// Buffer pool. A fresh array per frame or message costs a zero fill and an allocation each
// (several microseconds at 16 KiB); views of one slab cost neither.
//
// What it shares: one slab at a time among every caller of the same allocator (allocators
// are module-owned, one per use: client frames, encoded frames, received binary messages).
// Views are never rewritten: the bump offset only grows, so a view stays valid for as long
// as its holder keeps it. When a slab is released: a request that does not fit starts a new
// slab, and the old one is garbage once the last view into it is dropped. So one kept view
// keeps its whole slab alive; callers only take requests up to `maxRequest`, which bounds
// that waste to `slabBytes` per view kept.

/** Makes a slab's memory (Node callers pass `Buffer.allocUnsafe`, which skips the zero fill). */
export type SlabFactory = (size: number) => Uint8Array;

const newBytes: SlabFactory = (size) => new Uint8Array(size);

/** Views are handed out on 8-byte boundaries, so word-wise kernels see aligned data. */
const ALIGNMENT = 8;

/** Bump allocation from shared slabs; see the file header for the policy. */
export class SlabAllocator {
  private current: Uint8Array = new Uint8Array(0);
  private used = 0;

  /**
   * @param slabBytes size of each slab
   * @param maxRequest the largest request this allocator takes (callers check {@link fits})
   */
  constructor(
    readonly slabBytes: number,
    readonly maxRequest: number,
  ) {
    if (!(maxRequest > 0 && maxRequest <= slabBytes)) {
      throw new RangeError(`maxRequest must be in 1..${slabBytes}, got ${maxRequest}`);
    }
  }

  /** Whether a request of `size` bytes is served from a slab (larger ones need their own buffer). */
  fits(size: number): boolean {
    return size > 0 && size <= this.maxRequest;
  }

  /** A view of `size` fresh bytes (`size` at most `maxRequest`). */
  take(size: number, create: SlabFactory = newBytes): Uint8Array {
    const start = this.reserve(size, create);
    this.used = start + align(size);
    return this.current.subarray(start, start + size);
  }

  /**
   * Makes room for `size` bytes at the end of the current slab, starting a new one if needed,
   * and returns their offset in {@link slab}; write them, then {@link commit}. A caller that
   * appends to its own previous bytes checks {@link slab} and {@link offset} first.
   */
  reserve(size: number, create: SlabFactory = newBytes): number {
    if (this.used + size > this.current.length) {
      this.current = create(this.slabBytes);
      this.used = 0;
    }
    return this.used;
  }

  /** Marks `size` bytes after {@link offset} as handed out (unaligned, so the next append is contiguous). */
  commit(size: number): void {
    this.used += size;
  }

  /** The slab being carved. */
  get slab(): Uint8Array {
    return this.current;
  }

  /** Where the next reservation starts in {@link slab}. */
  get offset(): number {
    return this.used;
  }
}

function align(size: number): number {
  return (size + ALIGNMENT - 1) & ~(ALIGNMENT - 1);
}
