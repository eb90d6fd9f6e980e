// The byte-level pieces both head readers share: the search for the blank line that ends a head,
// byte-sequence search, latin1 decoding without Buffer, joining chunks.
import { describe, expect, it } from 'vitest';
import {
  concatBytes,
  findHeadEnd,
  HEAD_END_LENGTH,
  indexOfBytes,
  latin1Text,
} from '../../src/handshake/head-bytes.js';

const bytes = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

describe('findHeadEnd', () => {
  it('finds the first CRLF CRLF, from where it is told to look', () => {
    const text = 'HTTP/1.1 101 OK\r\nA: b\r\n\r\nrest\r\n\r\n';
    expect(findHeadEnd(bytes(text))).toBe(text.indexOf('\r\n\r\n'));
    expect(HEAD_END_LENGTH).toBe(4);
    expect(findHeadEnd(bytes(text), 22)).toBe(text.lastIndexOf('\r\n\r\n'));
  });

  it.each(['', 'A: b\r\n', 'A: b\r\n\r', 'A: b\n\n', 'A: b\r\r\n\n'])('says -1 for %j', (text) => {
    expect(findHeadEnd(bytes(text))).toBe(-1);
  });
});

describe('indexOfBytes', () => {
  it('matches across a partial match', () => {
    expect(indexOfBytes(bytes('\r\n\r\r\n0\r\n'), bytes('\r\n0\r\n'))).toBe(3);
    expect(indexOfBytes(bytes('ab'), bytes('abc'))).toBe(-1);
    expect(indexOfBytes(bytes('abab'), bytes('ab'), 1)).toBe(2);
  });
});

describe('latin1Text', () => {
  it('maps byte n to U+00nn, 0x80-0x9F included (not windows-1252)', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = latin1Text(all);
    expect(text.length).toBe(256);
    expect([...text].every((char, i) => char.charCodeAt(0) === i)).toBe(true);
    expect(latin1Text(all, 0x80, 0x81)).toBe('\x80');
  });

  it('decodes a range, and heads longer than one decoding step', () => {
    expect(latin1Text(bytes('GET / HTTP/1.1'), 4, 5)).toBe('/');
    const long = `${'x'.repeat(10_000)}\xe9`;
    expect(latin1Text(bytes(long))).toBe(long);
  });
});

describe('concatBytes', () => {
  it('copies chunks into one array', () => {
    const first = bytes('ab');
    const joined = concatBytes([first, bytes(''), bytes('c')]);
    expect(latin1Text(joined)).toBe('abc');
    first[0] = 0;
    expect(joined[0]).toBe(0x61);
  });
});
