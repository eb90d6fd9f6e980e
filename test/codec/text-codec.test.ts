// The browser-safe TextCodec and encodeTextFrameInto: text encoded once into place, the
// header written after it, including when a non-ASCII text's length field outgrows the guess.
import { describe, expect, it } from 'vitest';
import { encodeFrame, encodeTextFrameInto, headerLength } from '../../src/codec/encoder.js';
import { webTextCodec } from '../../src/codec/text-codec.js';
import { concat, toHex } from '../support/frames.js';

const encoder = new TextEncoder();

describe('webTextCodec', () => {
  it('encodes into a range and reports a text that does not fit with -1', () => {
    const target = new Uint8Array(16).fill(0xaa);
    expect(webTextCodec.encodeInto('hé', target, 3, 3)).toBe(3);
    expect(toHex(target.subarray(2, 7))).toBe('aa68c3a9aa');
    expect(webTextCodec.encodeInto('héllo', target, 0, 4)).toBe(-1);
    expect(webTextCodec.encodeInto('', target, 0, 0)).toBe(0);
  });

  it('decodes a range, keeping a leading U+FEFF (it is text the peer sent)', () => {
    const bytes = Uint8Array.from([0x61, 0xef, 0xbb, 0xbf, 0x62, 0x63]);
    expect(webTextCodec.decode(bytes, 1, 5)).toBe('\ufeffb');
    expect(webTextCodec.decode(bytes, 0, bytes.length)).toBe('a\ufeffbc');
  });

  it('encodes a lone surrogate as U+FFFD, as TextEncoder does', () => {
    expect(Array.from(webTextCodec.encode('\ud800'))).toEqual([0xef, 0xbf, 0xbd]);
  });
});

describe('encodeTextFrameInto', () => {
  const key = 0x12345678;
  const cases: [string, string][] = [
    ['empty', ''],
    ['ASCII', 'hello'],
    ['125 bytes of ASCII', 'a'.repeat(125)],
    ['63 two-byte characters: 126 bytes, a 16-bit length the 63 units did not predict', 'é'.repeat(63)],
    ['non-ASCII across 64 KiB: a 64-bit length', 'é'.repeat(40000)],
    ['four-byte characters', '😀'.repeat(40)],
  ];
  for (const [name, text] of cases) {
    it(`${name}: the frame encodeFrame makes of the UTF-8 bytes, masked and not`, () => {
      const utf8 = encoder.encode(text);
      for (const maskKey of [undefined, key]) {
        const maxPayload = text.length * 3;
        const target = new Uint8Array(5 + headerLength(maxPayload, maskKey !== undefined) + maxPayload);
        const written = encodeTextFrameInto(
          target,
          5,
          1,
          text,
          maxPayload,
          true,
          maskKey,
          webTextCodec,
          true,
          undefined,
        );
        const [expected] = encodeFrame(1, utf8, { mask: maskKey !== undefined, maskKeys: () => key });
        const frame = maskKey === undefined ? concat(encodeFrame(1, utf8)) : expected;
        expect(written).toBe(frame.length);
        expect(toHex(target.subarray(5, 5 + written))).toBe(toHex(frame));
      }
    });
  }

  it('returns -1 when the text needs more than maxPayload bytes', () => {
    const target = new Uint8Array(64);
    expect(encodeTextFrameInto(target, 0, 1, 'ééé', 5, true, undefined, webTextCodec, true, undefined)).toBe(
      -1,
    );
    expect(encodeTextFrameInto(target, 0, 1, 'ééé', 6, true, undefined, webTextCodec, true, undefined)).toBe(
      8,
    );
  });
});
