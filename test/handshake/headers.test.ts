import { describe, expect, it } from 'vitest';
import { parseTokenList, validateHeaderName, validateHeaderValue } from '../../src/handshake/headers.js';

describe('parseTokenList', () => {
  it('splits, trims and keeps order and duplicates', () => {
    expect(parseTokenList('chat, superchat,chat')).toEqual(['chat', 'superchat', 'chat']);
  });

  it('accepts odd spacing and empty elements (RFC 9110 §5.6.1)', () => {
    expect(parseTokenList(' \t,a ,\t b,, ,c\t')).toEqual(['a', 'b', 'c']);
  });

  it('joins repeated header lines', () => {
    expect(parseTokenList(['a, b', 'c'])).toEqual(['a', 'b', 'c']);
  });

  it('gives an empty list for an absent or empty header', () => {
    expect(parseTokenList(undefined)).toEqual([]);
    expect(parseTokenList('')).toEqual([]);
    expect(parseTokenList([])).toEqual([]);
  });

  it.each(['a b', 'a, b/c', '"a"', 'a;b', 'é'])('rejects %j', (value) => {
    expect(parseTokenList(value)).toBeNull();
  });
});

describe('validateHeaderName / validateHeaderValue', () => {
  it('accept ordinary headers', () => {
    expect(() => validateHeaderName('X-Trace-Id')).not.toThrow();
    expect(() => validateHeaderValue('X', 'a b\tc; "d" é')).not.toThrow();
    expect(() => validateHeaderValue('X', '')).not.toThrow();
  });

  it.each(['', 'X Y', 'X:Y', 'X\r\nY', 'É'])('reject the name %j', (name) => {
    expect(() => validateHeaderName(name)).toThrow(TypeError);
  });

  it.each(['a\r\nInjected: 1', 'a\rb', 'a\nb', 'a\0b', 'a\x7fb', '\u2028', '😀'])(
    'reject the value %j',
    (value) => {
      expect(() => validateHeaderValue('X', value)).toThrow(TypeError);
    },
  );
});
