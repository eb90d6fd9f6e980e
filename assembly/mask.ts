// RFC 6455 §5.3 masking: XOR with a 4-byte key, one kernel for mask and unmask.
// Writes stay strictly inside [ptr, ptr + length): the bytes after a payload may be the
// next frame's header. Tails are handled by rewriting an overlapping last lane computed
// from bytes read before the body loop, so no scalar tail loop and no read past the end.

/**
 * XORs `length` bytes at `ptr` with `key` (its 4 bytes read little-endian: key byte i is
 * `(key >> 8 * i) & 0xff`), starting at key byte `rotation` (0-3). To continue a payload
 * split across chunks, pass `rotation = bytesAlreadyMasked & 3`. Reads and writes only
 * `[ptr, ptr + length)`.
 */
export function maskInPlace(ptr: usize, length: i32, key: u32, rotation: i32): void {
  if (length <= 0) return;
  // Byte 0 of the rotated key is key byte `rotation`: little-endian lanes then line up with the bytes.
  const k = rotr<u32>(key, (rotation & 3) << 3);
  const end = ptr + <usize>length;
  // The key phase at byte offset length - n (n = 16, 8, 4) is length & 3, as n is a multiple of 4.
  const tailShift = (length & 3) << 3;
  if (length >= 16) {
    const kv = i32x4.splat(k);
    // The last lane's original bytes, read before the loop can overwrite them.
    const lastPtr = end - 16;
    const last = v128.xor(v128.load(lastPtr), i32x4.splat(rotr<u32>(k, tailShift)));
    let p = ptr;
    // 64 bytes a turn: four independent lanes keep the load and store ports busy.
    while (p + 64 <= end) {
      const a = v128.load(p);
      const b = v128.load(p, 16);
      const c = v128.load(p, 32);
      const d = v128.load(p, 48);
      v128.store(p, v128.xor(a, kv));
      v128.store(p, v128.xor(b, kv), 16);
      v128.store(p, v128.xor(c, kv), 32);
      v128.store(p, v128.xor(d, kv), 48);
      p += 64;
    }
    while (p + 16 <= end) {
      v128.store(p, v128.xor(v128.load(p), kv));
      p += 16;
    }
    // Bytes already done get the same value again; bytes after end are never touched.
    v128.store(lastPtr, last);
    return;
  }
  if (length >= 8) {
    // Two overlapping words, both computed from the original bytes.
    const k64 = (<u64>k << 32) | <u64>k;
    const first = load<u64>(ptr) ^ k64;
    const last = load<u64>(end - 8) ^ rotr<u64>(k64, <u64>tailShift);
    store<u64>(ptr, first);
    store<u64>(end - 8, last);
    return;
  }
  if (length >= 4) {
    const first = load<u32>(ptr) ^ k;
    const last = load<u32>(end - 4) ^ rotr<u32>(k, tailShift);
    store<u32>(ptr, first);
    store<u32>(end - 4, last);
    return;
  }
  // 1 to 3 bytes.
  store<u8>(ptr, load<u8>(ptr) ^ <u8>k);
  if (length > 1) store<u8>(ptr, load<u8>(ptr, 1) ^ <u8>(k >> 8), 1);
  if (length > 2) store<u8>(ptr, load<u8>(ptr, 2) ^ <u8>(k >> 16), 2);
}
