import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SHA1_DIGEST_LENGTH, sha1 } from '../../src/handshake/sha1.js';

const ascii = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

describe('sha1', () => {
  // FIPS 180-2 appendix A and the NIST example vectors.
  it.each([
    ['empty', '', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['abc', 'abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    [
      'the 448-bit vector',
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    ],
    [
      'the 896-bit vector',
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'a49b2446a02c645bf419f995b67091253a04a259',
    ],
  ])('hashes %s', (_name, input, digest) => {
    expect(hex(sha1(ascii(input)))).toBe(digest);
  });

  it('hashes a million a', () => {
    expect(hex(sha1(new Uint8Array(1_000_000).fill(0x61)))).toBe('34aa973cd4c4daa4f61eeb2bdbad27316534016f');
  });

  it('returns a 20-byte digest and leaves the input alone', () => {
    const input = ascii('abc');
    const digest = sha1(input);
    expect(digest).toHaveLength(SHA1_DIGEST_LENGTH);
    expect(input).toEqual(ascii('abc'));
  });

  it('matches node:crypto at every length around the block and padding boundaries', () => {
    for (let length = 0; length <= 200; length++) {
      const input = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff);
      expect(hex(sha1(input)), `length ${length}`).toBe(createHash('sha1').update(input).digest('hex'));
    }
  });

  it('hashes a subarray view by its own bytes only', () => {
    const backing = ascii('xxabcxx');
    expect(hex(sha1(backing.subarray(2, 5)))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });
});
