import { describe, expect, it } from 'vitest';
import { computeAccept } from '../../src/handshake/accept.js';
import type { HeaderMap } from '../../src/handshake/headers.js';
import {
  buildUpgradeRequest,
  generateKey,
  validateUpgradeResponse,
} from '../../src/handshake/http1-client.js';
import { parseHead, RFC_ACCEPT, RFC_KEY } from './helpers.js';

describe('generateKey', () => {
  it('gives base64 of 16 random bytes', () => {
    const key = generateKey();
    expect(key).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(generateKey()).not.toBe(key);
  });

  it('uses the given random source', () => {
    expect(generateKey((n) => new TextEncoder().encode('the sample nonce').subarray(0, n))).toBe(RFC_KEY);
  });

  it('throws TypeError when the random source gives the wrong length', () => {
    expect(() => generateKey((n) => new Uint8Array(n - 1))).toThrow(TypeError);
  });
});

describe('buildUpgradeRequest', () => {
  it('gives the RFC 6455 §1.2 request', () => {
    expect(
      buildUpgradeRequest({
        host: 'server.example.com',
        path: '/chat',
        key: RFC_KEY,
        origin: 'http://example.com',
        protocols: ['chat', 'superchat'],
      }),
    ).toBe(
      'GET /chat HTTP/1.1\r\n' +
        'Host: server.example.com\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${RFC_KEY}\r\n` +
        'Sec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Protocol: chat, superchat\r\n' +
        'Origin: http://example.com\r\n' +
        '\r\n',
    );
  });

  it('adds extensions and extra headers, and leaves out what is not given', () => {
    const head = buildUpgradeRequest({
      host: '[::1]:8080',
      path: '/feed?x=1',
      key: RFC_KEY,
      extensions: 'permessage-deflate; client_max_window_bits',
      headers: [['Authorization', 'Bearer t']],
    });
    const { startLine, headers } = parseHead(head);
    expect(startLine).toEqual(['GET', '/feed?x=1', 'HTTP/1.1']);
    expect(headers['sec-websocket-extensions']).toBe('permessage-deflate; client_max_window_bits');
    expect(headers['authorization']).toBe('Bearer t');
    expect(headers['sec-websocket-protocol']).toBeUndefined();
    expect(headers['origin']).toBeUndefined();
  });

  it.each<[string, Partial<Parameters<typeof buildUpgradeRequest>[0]>]>([
    ['an empty host', { host: '' }],
    ['a host with a space', { host: 'a b' }],
    ['a host with CR/LF', { host: 'a\r\nX: 1' }],
    ['a host with a path', { host: 'a/b' }],
    ['a relative path', { path: 'chat' }],
    ['a path with a space', { path: '/a b' }],
    ['a path with CR/LF', { path: '/a\r\nX: 1' }],
    ['a malformed key', { key: 'abc' }],
    ['a protocol that is not a token', { protocols: ['a b'] }],
    ['a repeated protocol', { protocols: ['a', 'a'] }],
    ['CR/LF in the extensions', { extensions: 'x\r\nY: 1' }],
    ['CR/LF in the origin', { origin: 'http://a\r\nY: 1' }],
    ['CR/LF in an extra header', { headers: [['X-A', '1\r\nY: 2']] }],
    ['an extra header overriding the key', { headers: [['Sec-WebSocket-Key', RFC_KEY]] }],
    ['an extra header overriding Host', { headers: [['host', 'evil.example']] }],
  ])('throws TypeError for %s', (_name, overrides) => {
    expect(() => buildUpgradeRequest({ host: 'example.org', path: '/', key: RFC_KEY, ...overrides })).toThrow(
      TypeError,
    );
  });
});

describe('validateUpgradeResponse', () => {
  const offered = {
    key: RFC_KEY,
    protocols: ['chat', 'superchat'],
    extensionsOffered: ['permessage-deflate'],
  };
  const answer = (headers: HeaderMap = {}, status = 101) => ({
    status,
    headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': RFC_ACCEPT, ...headers },
  });

  it('accepts the RFC 6455 §1.3 answer', () => {
    expect(validateUpgradeResponse(answer({ 'sec-websocket-protocol': 'chat' }), offered)).toEqual({
      ok: true,
      protocol: 'chat',
      extensions: '',
    });
  });

  it('accepts no protocol even when some were offered', () => {
    expect(validateUpgradeResponse(answer(), offered)).toEqual({ ok: true, protocol: '', extensions: '' });
    expect(validateUpgradeResponse(answer({ 'sec-websocket-protocol': '' }), offered)).toMatchObject({
      protocol: '',
    });
  });

  it('accepts Upgrade and Connection in any case, Connection as a list', () => {
    const result = validateUpgradeResponse(
      answer({ upgrade: ' WebSocket ', connection: 'keep-alive, UPGRADE' }),
      offered,
    );
    expect(result.ok).toBe(true);
    expect(validateUpgradeResponse(answer({ connection: ['keep-alive', 'upgrade'] }), offered).ok).toBe(true);
  });

  it('returns the accepted extensions raw', () => {
    expect(
      validateUpgradeResponse(
        answer({ 'sec-websocket-extensions': 'permessage-deflate; server_no_context_takeover' }),
        offered,
      ),
    ).toEqual({ ok: true, protocol: '', extensions: 'permessage-deflate; server_no_context_takeover' });
  });

  it.each<[string, HeaderMap, number, string]>([
    ['status 200', {}, 200, 'WS_ERR_HANDSHAKE_STATUS'],
    ['status 400', {}, 400, 'WS_ERR_HANDSHAKE_STATUS'],
    ['status 426', {}, 426, 'WS_ERR_HANDSHAKE_STATUS'],
    ['a missing Upgrade', { upgrade: undefined }, 101, 'WS_ERR_HANDSHAKE_UPGRADE'],
    ['Upgrade other than websocket', { upgrade: 'h2c' }, 101, 'WS_ERR_HANDSHAKE_UPGRADE'],
    ['Upgrade as a list', { upgrade: 'websocket, h2c' }, 101, 'WS_ERR_HANDSHAKE_UPGRADE'],
    ['Upgrade repeated', { upgrade: ['websocket', 'websocket'] }, 101, 'WS_ERR_HANDSHAKE_UPGRADE'],
    ['a missing Connection', { connection: undefined }, 101, 'WS_ERR_HANDSHAKE_UPGRADE'],
    ['Connection without upgrade', { connection: 'keep-alive' }, 101, 'WS_ERR_HANDSHAKE_UPGRADE'],
    ['a missing accept', { 'sec-websocket-accept': undefined }, 101, 'WS_ERR_HANDSHAKE_ACCEPT'],
    [
      'a wrong accept',
      { 'sec-websocket-accept': computeAccept(generateKey()) },
      101,
      'WS_ERR_HANDSHAKE_ACCEPT',
    ],
    [
      'an accept in another case',
      { 'sec-websocket-accept': RFC_ACCEPT.toLowerCase() },
      101,
      'WS_ERR_HANDSHAKE_ACCEPT',
    ],
    ['the key echoed as the accept', { 'sec-websocket-accept': RFC_KEY }, 101, 'WS_ERR_HANDSHAKE_ACCEPT'],
    ['two accepts', { 'sec-websocket-accept': [RFC_ACCEPT, RFC_ACCEPT] }, 101, 'WS_ERR_HANDSHAKE_ACCEPT'],
    ['a protocol not offered', { 'sec-websocket-protocol': 'other' }, 101, 'WS_ERR_HANDSHAKE_PROTOCOL'],
    ['a protocol in another case', { 'sec-websocket-protocol': 'Chat' }, 101, 'WS_ERR_HANDSHAKE_PROTOCOL'],
    [
      'two protocols in one value',
      { 'sec-websocket-protocol': 'chat, superchat' },
      101,
      'WS_ERR_HANDSHAKE_PROTOCOL',
    ],
    ['two protocol lines', { 'sec-websocket-protocol': ['chat', 'chat'] }, 101, 'WS_ERR_HANDSHAKE_PROTOCOL'],
    ['an extension not offered', { 'sec-websocket-extensions': 'x-foo' }, 101, 'WS_ERR_HANDSHAKE_EXTENSION'],
    [
      'one of two extensions not offered',
      { 'sec-websocket-extensions': ['permessage-deflate', 'x-foo'] },
      101,
      'WS_ERR_HANDSHAKE_EXTENSION',
    ],
    [
      'malformed extensions',
      { 'sec-websocket-extensions': 'permessage-deflate; a="1 2"' },
      101,
      'WS_ERR_HANDSHAKE_EXTENSION',
    ],
  ])('fails on %s', (_name, headers, status, code) => {
    const result = validateUpgradeResponse(answer(headers, status), offered);
    expect(result).toMatchObject({ ok: false, code });
    if (!result.ok) expect(result.reason).not.toBe('');
  });

  it('fails on any protocol when none was offered', () => {
    const result = validateUpgradeResponse(answer({ 'sec-websocket-protocol': 'chat' }), {
      ...offered,
      protocols: [],
    });
    expect(result).toEqual({
      ok: false,
      code: 'WS_ERR_HANDSHAKE_PROTOCOL',
      reason: 'Server selected subprotocol "chat" but none was offered',
    });
  });

  it('fails on any extension when none was offered', () => {
    const result = validateUpgradeResponse(answer({ 'sec-websocket-extensions': 'permessage-deflate' }), {
      ...offered,
      extensionsOffered: [],
    });
    expect(result).toMatchObject({ ok: false, code: 'WS_ERR_HANDSHAKE_EXTENSION' });
  });
});
