import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../src/handshake/base64.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('encodeBase64', () => {
  // RFC 4648 §10 test vectors.
  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ])('encodes %j as %j', (input, output) => {
    expect(encodeBase64(ascii(input))).toBe(output);
  });

  it('uses + and / for the last two sextets', () => {
    expect(encodeBase64(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe('+/+/');
  });

  it('matches btoa on random bytes of every length up to 64', () => {
    for (let length = 0; length <= 64; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      expect(encodeBase64(bytes)).toBe(btoa(String.fromCharCode(...bytes)));
    }
  });
});

describe('decodeBase64', () => {
  it.each([
    ['', ''],
    ['Zg==', 'f'],
    ['Zm8=', 'fo'],
    ['Zm9v', 'foo'],
    ['Zm9vYmFy', 'foobar'],
  ])('decodes %j', (input, output) => {
    expect(decodeBase64(input)).toEqual(ascii(output));
  });

  it('round-trips random bytes of every length up to 64', () => {
    for (let length = 0; length <= 64; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
    }
  });

  it('decodes a 16-byte WebSocket key', () => {
    expect(decodeBase64('dGhlIHNhbXBsZSBub25jZQ==')).toEqual(ascii('the sample nonce'));
  });

  it.each([
    ['a length that is not a multiple of four', 'Zm9'],
    ['missing padding', 'Zg'],
    ['too much padding', 'Z==='],
    ['only padding', '===='],
    ['padding in the middle', 'Zg==Zm9v'],
    ['padding inside a group', 'Z=9v'],
    ['a character outside the alphabet', 'Zm9*'],
    ['the URL-safe alphabet', '-_-_'],
    ['whitespace', 'Zm9v Zm9v'],
    ['a trailing newline', 'Zm9v\n'],
    ['a non-ASCII character', 'Zm9é'],
    ['non-zero bits under two pad characters', 'Zh=='],
    ['non-zero bits under one pad character', 'Zm9='],
  ])('rejects %s', (_name, input) => {
    expect(decodeBase64(input)).toBeNull();
  });
});
