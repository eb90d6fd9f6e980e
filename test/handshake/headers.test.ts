import { describe, expect, it } from 'vitest';
import {
  appendHeaderValue,
  type HeaderMap,
  isFieldValue,
  parseFieldLine,
  parseTokenList,
  trimOws,
  validateHeaderName,
  validateHeaderValue,
} from '../../src/handshake/headers.js';

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

describe('parseFieldLine (RFC 9112 §5)', () => {
  it('keeps the name as sent and trims optional whitespace off the value', () => {
    expect(parseFieldLine('Sec-WebSocket-Key: \t abc= \t')).toEqual({
      kind: 'field',
      name: 'Sec-WebSocket-Key',
      value: 'abc=',
    });
    expect(parseFieldLine('X-Empty:')).toEqual({ kind: 'field', name: 'X-Empty', value: '' });
    expect(parseFieldLine('X-Colons: a:b: c')).toMatchObject({ value: 'a:b: c' });
  });

  it('keeps obs-text in a value (RFC 9110 §5.5)', () => {
    expect(parseFieldLine('X-Name: caf\xe9 \x80')).toMatchObject({ kind: 'field', value: 'caf\xe9 \x80' });
  });

  it.each([' b', '\tb'])('refuses the folded line %j (RFC 9112 §5.2)', (line) => {
    expect(parseFieldLine(line)).toEqual({ kind: 'obs-fold' });
  });

  it.each([
    ['no colon', 'Upgrade websocket'],
    ['an empty name', ': value'],
    ['whitespace before the colon (RFC 9112 §5.1)', 'Upgrade : websocket'],
    ['a name that is not a token', 'X/Y: 1'],
    ['a bare CR', 'X-A: a\rb'],
    ['a bare LF', 'X-A: a\nb'],
  ])('calls %s malformed', (_, line) => {
    expect(parseFieldLine(line)).toEqual({ kind: 'malformed' });
  });

  it.each(['a\x01b', 'a\x7fb', 'a\0'])(
    'names the header whose value %j holds a control character',
    (value) => {
      expect(parseFieldLine(`X-Ctl: ${value}`)).toEqual({ kind: 'invalid-value', name: 'X-Ctl' });
    },
  );
});

describe('appendHeaderValue', () => {
  it('makes a repeated header an array of its values, in order', () => {
    const headers: HeaderMap = {};
    appendHeaderValue(headers, 'set-cookie', 'a=1');
    expect(headers).toEqual({ 'set-cookie': 'a=1' });
    appendHeaderValue(headers, 'set-cookie', 'b=2');
    appendHeaderValue(headers, 'set-cookie', 'c=3');
    expect(headers).toEqual({ 'set-cookie': ['a=1', 'b=2', 'c=3'] });
  });
});

describe('trimOws / isFieldValue', () => {
  it('trims spaces and tabs only', () => {
    expect(trimOws(' \t a b \t ')).toBe('a b');
    expect(trimOws('\u00a0a\u00a0')).toBe('\u00a0a\u00a0');
    expect(trimOws(' \t ')).toBe('');
  });

  it('allows HTAB, SP, VCHAR and obs-text, nothing else', () => {
    expect(isFieldValue('a b\t~\x80\xff')).toBe(true);
    expect(isFieldValue('a\rb')).toBe(false);
    expect(isFieldValue('\u0100')).toBe(false);
  });
});
