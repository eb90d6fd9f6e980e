import { describe, expect, it } from 'vitest';
import {
  closeCodeValidOnWire,
  closeCodeValidToSend,
  decodeClosePayload,
  encodeClosePayload,
} from '../../src/codec/close-codes.js';
import { hex, toHex } from '../support/frames.js';

describe('close codes (RFC 6455 §7.4)', () => {
  it('allows 1000-1003, 1007-1014 and 3000-4999 on the wire, nothing else', () => {
    const valid: number[] = [];
    for (let code = 0; code < 70000; code++) if (closeCodeValidOnWire(code)) valid.push(code);
    expect(valid.filter((c) => c < 3000)).toEqual([
      1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
    ]);
    expect(valid.filter((c) => c >= 3000)).toHaveLength(2000);
    expect(valid.at(-1)).toBe(4999);
    for (const local of [1004, 1005, 1006, 1015]) expect(closeCodeValidOnWire(local)).toBe(false);
  });
  it('refuses to send codes that never appear on the wire', () => {
    expect(closeCodeValidToSend(1000)).toBe(true);
    expect(closeCodeValidToSend(4000)).toBe(true);
    for (const code of [1004, 1005, 1006, 1015, 2000, 5000, 1000.5])
      expect(closeCodeValidToSend(code)).toBe(false);
  });
});

describe('close payload (RFC 6455 §5.5.1)', () => {
  it('encodes a code and a reason', () => {
    expect(toHex(encodeClosePayload(1000, 'bye'))).toBe('03e8627965');
    expect(toHex(encodeClosePayload())).toBe('');
    expect(toHex(encodeClosePayload(4000))).toBe('0fa0');
  });
  it('accepts a reason of exactly 123 bytes and rejects 124', () => {
    expect(encodeClosePayload(1000, 'a'.repeat(123))).toHaveLength(125);
    expect(() => encodeClosePayload(1000, 'a'.repeat(124))).toThrow(RangeError);
    expect(() => encodeClosePayload(1000, 'é'.repeat(62))).toThrow(RangeError);
  });
  it('throws on codes that may not be sent and on a reason without a code', () => {
    expect(() => encodeClosePayload(1005)).toThrow(RangeError);
    expect(() => encodeClosePayload(1006)).toThrow(RangeError);
    expect(() => encodeClosePayload(undefined, 'why')).toThrow(TypeError);
  });
  it('decodes bodies and rejects malformed ones', () => {
    expect(decodeClosePayload(new Uint8Array(0))).toEqual({ code: 1005, reason: '' });
    expect(decodeClosePayload(hex('0fa0 6f6b'))).toEqual({ code: 4000, reason: 'ok' });
    expect(decodeClosePayload(hex('03'))).toBeNull();
    expect(decodeClosePayload(hex('03ed'))).toBeNull();
    expect(decodeClosePayload(hex('03e8 c0af'))).toBeNull();
  });
});
