import { describe, expect, it } from 'vitest';
import {
  type ExtensionEntry,
  parseExtensions,
  serializeExtensions,
} from '../../src/extensions/extensions-header.js';

function parsed(header: string | string[]): ExtensionEntry[] {
  const result = parseExtensions(header);
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.extensions;
}

describe('parseExtensions', () => {
  it('parses a bare extension', () => {
    expect(parsed('permessage-deflate')).toEqual([{ name: 'permessage-deflate', params: [] }]);
  });

  it('parses parameters with and without values, in order', () => {
    expect(parsed('permessage-deflate; client_max_window_bits; server_max_window_bits=10')).toEqual([
      {
        name: 'permessage-deflate',
        params: [
          ['client_max_window_bits', true],
          ['server_max_window_bits', '10'],
        ],
      },
    ]);
  });

  it('keeps alternatives for the same extension, in order (RFC 7692 §5.1 offers)', () => {
    expect(parsed('permessage-deflate; client_max_window_bits=10, permessage-deflate, x-foo')).toEqual([
      { name: 'permessage-deflate', params: [['client_max_window_bits', '10']] },
      { name: 'permessage-deflate', params: [] },
      { name: 'x-foo', params: [] },
    ]);
  });

  it('keeps duplicate parameters for the negotiator to reject', () => {
    expect(parsed('permessage-deflate; server_no_context_takeover; server_no_context_takeover')).toEqual([
      {
        name: 'permessage-deflate',
        params: [
          ['server_no_context_takeover', true],
          ['server_no_context_takeover', true],
        ],
      },
    ]);
  });

  it('unquotes quoted-string values', () => {
    expect(parsed('x; a="10"; b="ab\\c"')).toEqual([
      {
        name: 'x',
        params: [
          ['a', '10'],
          ['b', 'abc'],
        ],
      },
    ]);
  });

  it('reads RFC 7692 §5.1 forms: a quoted value, an escaped digit, whitespace after a quoted value', () => {
    expect(parsed('permessage-foo; x="10" , permessage-foo; use_y, permessage-deflate; y="1\\5"')).toEqual([
      { name: 'permessage-foo', params: [['x', '10']] },
      { name: 'permessage-foo', params: [['use_y', true]] },
      { name: 'permessage-deflate', params: [['y', '15']] },
    ]);
  });

  it('accepts odd but legal whitespace around separators', () => {
    expect(parsed(' \tfoo ;a\t=\t1 ;  b ,\t bar  ')).toEqual([
      {
        name: 'foo',
        params: [
          ['a', '1'],
          ['b', true],
        ],
      },
      { name: 'bar', params: [] },
    ]);
  });

  it('skips empty list elements (RFC 9110 §5.6.1)', () => {
    expect(parsed(', foo,, ,bar,')).toEqual([
      { name: 'foo', params: [] },
      { name: 'bar', params: [] },
    ]);
  });

  it('treats an empty header as no extensions', () => {
    expect(parsed('')).toEqual([]);
    expect(parsed('  ')).toEqual([]);
    expect(parsed([])).toEqual([]);
  });

  it('reads repeated header lines as one list', () => {
    expect(parsed(['foo; a=1', 'bar'])).toEqual([
      { name: 'foo', params: [['a', '1']] },
      { name: 'bar', params: [] },
    ]);
  });

  it('keeps names as written', () => {
    expect(parsed('PerMessage-Deflate; Client_Max_Window_Bits')).toEqual([
      { name: 'PerMessage-Deflate', params: [['Client_Max_Window_Bits', true]] },
    ]);
  });

  it.each([
    ['a parameter without an extension', '; a=1'],
    ['a non-token extension name', 'foo/bar'],
    ['a missing parameter name', 'foo; =1'],
    ['an empty parameter', 'foo;'],
    ['a missing value', 'foo; a='],
    ['a value that is not a token', 'foo; a=1/2'],
    ['a quoted value that is not a token after unquoting', 'foo; a="1 2"'],
    ['an empty quoted value', 'foo; a=""'],
    ['an unterminated quoted-string', 'foo; a="10'],
    ['a backslash at the end of a quoted-string', 'foo; a="1\\'],
    ['two names without a comma', 'foo bar'],
    ['a value with a space inside', 'foo; a=1 2'],
    ['a second equals sign', 'foo; a=1=2'],
    ['a non-ASCII name', 'défl'],
    ['a control character', 'foo\r\n; a'],
  ])('rejects %s', (_name, header) => {
    const result = parseExtensions(header);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^Invalid Sec-WebSocket-Extensions at offset \d+: /);
  });

  it('names the rule that failed', () => {
    expect(parseExtensions('foo; a="1 2"')).toEqual({
      ok: false,
      reason: 'Invalid Sec-WebSocket-Extensions at offset 12: parameter a of foo must have a token value',
    });
  });
});

describe('serializeExtensions', () => {
  it('writes names, flags and values', () => {
    expect(
      serializeExtensions([
        {
          name: 'permessage-deflate',
          params: [
            ['client_max_window_bits', true],
            ['server_max_window_bits', '10'],
          ],
        },
        { name: 'x-foo', params: [] },
      ]),
    ).toBe('permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo');
  });

  it('writes nothing for no extensions', () => {
    expect(serializeExtensions([])).toBe('');
  });

  it('round-trips through parseExtensions', () => {
    const header = 'a; b; c=1, a, d; e=f';
    expect(serializeExtensions(parsed(header))).toBe(header);
  });

  it.each<[string, ExtensionEntry]>([
    ['a non-token name', { name: 'a b', params: [] }],
    ['an empty name', { name: '', params: [] }],
    ['a non-token parameter name', { name: 'a', params: [['b\r\n', true]] }],
    ['a non-token value', { name: 'a', params: [['b', '1 2']] }],
    ['an empty value', { name: 'a', params: [['b', '']] }],
  ])('throws TypeError for %s', (_name, entry) => {
    expect(() => serializeExtensions([entry])).toThrow(TypeError);
  });
});
