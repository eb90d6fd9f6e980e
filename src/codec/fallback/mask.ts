// RFC 6455 §5.3 masking in pure TypeScript (browser-safe): the fallback for
// assembly/mask.ts and the client encoder's path for small payloads. Same semantics:
// key bytes read little-endian, the pattern starting at key byte `rotation`.

/** True where a Uint32Array word's first byte is its low byte (almost everywhere). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this many bytes a typed-array view costs more than it saves. */
const WORD_VIEW_MIN_BYTES = 256;

/** `key` rotated so its low byte is key byte `rotation`. */
function rotateKey(key: number, rotation: number): number {
  const shift = (rotation & 3) << 3;
  // `<< 32` is `<< 0` in JS, so rotation 0 gives `key | key`.
  return ((key >>> shift) | (key << (32 - shift))) >>> 0;
}

function byteSwap(word: number): number {
  return ((word >>> 24) | ((word >>> 8) & 0xff00) | ((word & 0xff00) << 8) | (word << 24)) >>> 0;
}

/**
 * XORs `length` bytes of `bytes` from `start` with `key` (its 4 bytes read little-endian:
 * key byte i is `(key >>> 8 * i) & 0xff`), starting at key byte `rotation` (0-3). To
 * continue a payload split across chunks, pass `rotation = bytesAlreadyMasked & 3`.
 * Touches only `bytes[start .. start + length)`.
 */
export function maskBytes(
  bytes: Uint8Array,
  start: number,
  length: number,
  key: number,
  rotation: number,
): void {
  let k = rotateKey(key, rotation);
  let i = start;
  const end = start + length;
  if (length >= WORD_VIEW_MIN_BYTES) {
    // Bytes up to a 4-byte boundary of the buffer, then whole words through an aligned view.
    while (((bytes.byteOffset + i) & 3) !== 0) {
      bytes[i++] ^= k;
      k = ((k >>> 8) | (k << 24)) >>> 0;
    }
    const wordCount = (end - i) >>> 2;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, wordCount);
    const wordKey = LITTLE_ENDIAN ? k : byteSwap(k);
    for (let w = 0; w < wordCount; w++) words[w] ^= wordKey;
    i += wordCount << 2;
  }
  // Four bytes a turn with the key bytes in locals, then up to three more.
  const k0 = k & 0xff;
  const k1 = (k >>> 8) & 0xff;
  const k2 = (k >>> 16) & 0xff;
  const k3 = k >>> 24;
  const whole = i + ((end - i) & ~3);
  for (; i < whole; i += 4) {
    bytes[i] ^= k0;
    bytes[i + 1] ^= k1;
    bytes[i + 2] ^= k2;
    bytes[i + 3] ^= k3;
  }
  if (i < end) bytes[i++] ^= k0;
  if (i < end) bytes[i++] ^= k1;
  if (i < end) bytes[i] ^= k2;
}

/**
 * Writes `source` XORed with `key` into `target` from `targetOffset` (the client encoder's
 * mask-while-copying). Key bytes read little-endian, starting at key byte `rotation`
 * (default 0). `source` is not modified.
 */
export function maskCopy(
  source: Uint8Array,
  target: Uint8Array,
  targetOffset: number,
  key: number,
  rotation = 0,
): void {
  const k = rotateKey(key, rotation);
  const k0 = k & 0xff;
  const k1 = (k >>> 8) & 0xff;
  const k2 = (k >>> 16) & 0xff;
  const k3 = k >>> 24;
  const length = source.length;
  const whole = length & ~3;
  let i = 0;
  let t = targetOffset;
  for (; i < whole; i += 4, t += 4) {
    target[t] = source[i] ^ k0;
    target[t + 1] = source[i + 1] ^ k1;
    target[t + 2] = source[i + 2] ^ k2;
    target[t + 3] = source[i + 3] ^ k3;
  }
  if (i < length) target[t++] = source[i++] ^ k0;
  if (i < length) target[t++] = source[i++] ^ k1;
  if (i < length) target[t] = source[i] ^ k2;
}
