/**
 * A small synchronous SHA-1 (FIPS 180-4 §6.1) over bytes.
 *
 * The handshake needs SHA-1 only for `Sec-WebSocket-Accept` (RFC 6455 §4.2.2). WebCrypto's digest is
 * asynchronous, and `node:crypto` is not available in browsers, so this keeps the accept value
 * synchronous everywhere. It is not meant for bulk hashing.
 */

/** Length in bytes of a SHA-1 digest. */
export const SHA1_DIGEST_LENGTH = 20;

const BLOCK_BYTES = 64;

// Reused by every call (the hash is synchronous: no two calls share them at once). A server
// hashes a 60-byte key and GUID per connection; this spares that the garbage of each.
const schedule = new Uint32Array(80);
const SCRATCH_BYTES = 2 * BLOCK_BYTES;
const scratch = new Uint8Array(SCRATCH_BYTES);
const scratchView = new DataView(scratch.buffer);

/**
 * Hashes `message` with SHA-1.
 *
 * @param message - the bytes to hash; not modified.
 * @returns a new 20-byte digest.
 */
export function sha1(message: Uint8Array): Uint8Array {
  // FIPS 180-4 §5.1.1: append 0x80, pad with zeros to 56 mod 64, then the bit length as 64 bits.
  const paddedLength = Math.ceil((message.length + 9) / BLOCK_BYTES) * BLOCK_BYTES;
  const small = paddedLength <= SCRATCH_BYTES;
  const padded = small ? scratch.fill(0, 0, paddedLength) : new Uint8Array(paddedLength);
  padded.set(message);
  padded[message.length] = 0x80;
  const view = small ? scratchView : new DataView(padded.buffer);
  const bitLength = message.length * 8;
  view.setUint32(paddedLength - 8, Math.floor(bitLength / 0x1_0000_0000));
  view.setUint32(paddedLength - 4, bitLength >>> 0);

  // FIPS 180-4 §5.3.1: initial hash value.
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;

  for (let block = 0; block < paddedLength; block += BLOCK_BYTES) {
    for (let t = 0; t < 16; t++) schedule[t] = view.getUint32(block + t * 4);
    for (let t = 16; t < 80; t++) {
      schedule[t] = rotateLeft(
        schedule[t - 3]! ^ schedule[t - 8]! ^ schedule[t - 14]! ^ schedule[t - 16]!,
        1,
      );
    }

    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let t = 0; t < 80; t++) {
      let mixed: number;
      let constant: number;
      if (t < 20) {
        mixed = (b & c) | (~b & d);
        constant = 0x5a827999;
      } else if (t < 40) {
        mixed = b ^ c ^ d;
        constant = 0x6ed9eba1;
      } else if (t < 60) {
        mixed = (b & c) | (b & d) | (c & d);
        constant = 0x8f1bbcdc;
      } else {
        mixed = b ^ c ^ d;
        constant = 0xca62c1d6;
      }
      const next = (rotateLeft(a, 5) + mixed + e + constant + schedule[t]!) >>> 0;
      e = d;
      d = c;
      c = rotateLeft(b, 30);
      b = a;
      a = next;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + b) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
  }

  const digest = new Uint8Array(SHA1_DIGEST_LENGTH);
  const out = new DataView(digest.buffer);
  out.setUint32(0, h0);
  out.setUint32(4, h1);
  out.setUint32(8, h2);
  out.setUint32(12, h3);
  out.setUint32(16, h4);
  return digest;
}

function rotateLeft(word: number, bits: number): number {
  return ((word << bits) | (word >>> (32 - bits))) >>> 0;
}
