import { describe, expect, it } from 'vitest';
import { isToken, isTokenChar } from '../../src/handshake/http-token.js';

describe('isToken', () => {
  it.each(['websocket', 'permessage-deflate', 'chat.v2', "!#$%&'*+-.^_`|~", 'A0z9'])('accepts %j', (text) => {
    expect(isToken(text)).toBe(true);
  });

  it.each([
    '',
    'a b',
    'a,b',
    'a;b',
    'a=b',
    '"a"',
    'a/b',
    'a:b',
    'a\tb',
    'é',
    'a\r\n',
    '(a)',
    '[a]',
    '{a}',
    'a@b',
  ])('rejects %j', (text) => {
    expect(isToken(text)).toBe(false);
  });
});

describe('isTokenChar', () => {
  it('agrees with isToken on every code below 256', () => {
    for (let code = 0; code < 256; code++) {
      expect(isTokenChar(code), `code ${code}`).toBe(isToken(String.fromCharCode(code)));
    }
  });
});
