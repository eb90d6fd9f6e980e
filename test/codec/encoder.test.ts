import { describe, expect, it } from 'vitest';
import { createMaskKeyPool, encodeFrame } from '../../src/codec/encoder.js';
import { buildFrame, concat, digest, hex, parseChunks, text, toHex } from '../support/frames.js';

const fixedKey = (key: number) => () => key;

describe('encodeFrame', () => {
  describe('RFC 6455 §5.7 examples, byte-exact', () => {
    it('encodes an unmasked text frame as header and payload', () => {
      const payload = text('Hello');
      const out = encodeFrame(1, payload);
      expect(out.map(toHex)).toEqual(['8105', toHex(payload)]);
      expect(out[1]).toBe(payload);
    });
    it('encodes a masked text frame in one buffer', () => {
      const out = encodeFrame(1, text('Hello'), { mask: true, maskKeys: fixedKey(0x3d21fa37) });
      expect(out.map(toHex)).toEqual(['818537fa213d7f9f4d5158']);
    });
    it('encodes fragments, ping and pong', () => {
      expect(toHex(concat(encodeFrame(1, text('Hel'), { fin: false })))).toBe('010348656c');
      expect(toHex(concat(encodeFrame(0, text('lo'))))).toBe('80026c6f');
      expect(toHex(concat(encodeFrame(9, text('Hello'))))).toBe('890548656c6c6f');
      expect(
        toHex(concat(encodeFrame(10, text('Hello'), { mask: true, maskKeys: fixedKey(0x3d21fa37) }))),
      ).toBe('8a8537fa213d7f9f4d5158');
    });
    it('uses 16- and 64-bit lengths at their boundaries', () => {
      expect(toHex(encodeFrame(2, new Uint8Array(125))[0])).toBe('827d');
      expect(toHex(encodeFrame(2, new Uint8Array(126))[0])).toBe('827e007e');
      expect(toHex(encodeFrame(2, new Uint8Array(256))[0])).toBe('827e0100');
      expect(toHex(encodeFrame(2, new Uint8Array(65535))[0])).toBe('827effff');
      expect(toHex(encodeFrame(2, new Uint8Array(65536))[0])).toBe('827f0000000000010000');
    });
    it('sets RSV1 and encodes an empty payload as a header alone', () => {
      expect(encodeFrame(2, new Uint8Array(0), { rsv1: true }).map(toHex)).toEqual(['c200']);
    });
  });

  describe('masking', () => {
    it('masks payloads of every size so the server parser recovers them, on both paths', () => {
      for (const size of [
        0, 1, 3, 4, 5, 15, 16, 17, 125, 126, 511, 512, 513, 4096, 65535, 65536, 70_001, 200_000,
      ]) {
        const payload = new Uint8Array(size).map((_, i) => (i * 13) ^ (i >> 8));
        for (const wasm of [true, false]) {
          const frame = encodeFrame(2, payload, { mask: true, wasm, maskKeys: fixedKey(0xa1b2c3d4) });
          expect(frame).toHaveLength(1);
          expect(toHex(frame[0])).toBe(toHex(buildFrame({ opcode: 2, payload, maskKey: 0xa1b2c3d4 })));
          const parsed = parseChunks(frame, { role: 'server' });
          expect(parsed.frames[0].payload).toBe(digest(payload));
        }
      }
    });
    it('does not modify the caller payload', () => {
      const payload = text('unchanged');
      encodeFrame(1, payload, { mask: true });
      expect(payload).toEqual(text('unchanged'));
    });
    it('draws a fresh key per frame from the pool', () => {
      const keys = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const frame = encodeFrame(2, new Uint8Array(4), { mask: true })[0];
        keys.add(new DataView(frame.buffer, frame.byteOffset).getUint32(2, true));
      }
      expect(keys.size).toBeGreaterThan(190);
    });
    it('asks the random source for keys in batches', () => {
      let calls = 0;
      const keys = createMaskKeyPool((target) => {
        calls++;
        return target.fill(calls);
      });
      for (let i = 0; i < 2048; i++) keys();
      expect(calls).toBe(2);
    });
  });

  describe('misuse throws', () => {
    it('rejects control frames over 125 bytes or fragmented', () => {
      expect(() => encodeFrame(9, new Uint8Array(126))).toThrow(RangeError);
      expect(() => encodeFrame(8, new Uint8Array(2), { fin: false })).toThrow(RangeError);
    });
    it('rejects reserved opcodes', () => {
      for (const opcode of [3, 7, 11, 15, 16, -1])
        expect(() => encodeFrame(opcode, new Uint8Array(0))).toThrow(RangeError);
    });
  });

  it('round-trips through the client parser', () => {
    const frames = [encodeFrame(1, text('κόσμε')), encodeFrame(8, hex('03e8'))].flat();
    const parsed = parseChunks(frames, { role: 'client' });
    expect(parsed.frames.map((f) => f.opcode)).toEqual([1, 8]);
  });
});
