// RFC 9220 §3: WebSockets over HTTP/3 keep RFC 8441's pseudo-header and setting semantics. These
// tests pin the HTTP/3 names to the same rules and statuses; h2.test.ts covers each rule in depth.
import { describe, expect, it } from 'vitest';
import * as h2 from '../../src/handshake/h2.js';
import {
  buildH3ConnectRequest,
  buildH3ConnectResponse,
  H3_REQUEST_CANCELLED,
  H3_SETTINGS_ENABLE_CONNECT_PROTOCOL,
  h3PeerAllowsExtendedConnect,
  validateH3ConnectRequest,
  validateH3ConnectResponse,
} from '../../src/handshake/h3.js';
import type { HeaderMap } from '../../src/handshake/headers.js';

const REQUEST: HeaderMap = {
  ':method': 'CONNECT',
  ':protocol': 'websocket',
  ':scheme': 'https',
  ':path': '/chat',
  ':authority': 'server.example.com',
  'sec-websocket-version': '13',
  'sec-websocket-protocol': 'chat',
};

describe('SETTINGS_ENABLE_CONNECT_PROTOCOL over HTTP/3 (RFC 9220 §3)', () => {
  it('is 0x08, as in HTTP/2', () => {
    expect(H3_SETTINGS_ENABLE_CONNECT_PROTOCOL).toBe(0x08);
    expect(H3_SETTINGS_ENABLE_CONNECT_PROTOCOL).toBe(h2.SETTINGS_ENABLE_CONNECT_PROTOCOL);
  });

  it('names H3_REQUEST_CANCELLED (RFC 9114 §8.1), the stream error that stands for a TCP reset', () => {
    expect(H3_REQUEST_CANCELLED).toBe(0x010c);
  });

  it.each<[string, Parameters<typeof h3PeerAllowsExtendedConnect>[0], boolean]>([
    ['no SETTINGS yet', new Map(), false],
    ['the setting at 0', new Map([[0x08, 0]]), false],
    ['the setting at 1', new Map([[0x08, 1]]), true],
    ['the setting at 1 with bigint keys and values', new Map([[0x08n, 1n]]), true],
    ['another setting at 1 (SETTINGS_H3_DATAGRAM)', new Map([[0x33, 1]]), false],
    ['an object with the flag', { enableConnectProtocol: true }, true],
    ['an object without it', {}, false],
  ])('a client may send extended CONNECT only after receiving 1: %s', (_, settings, allowed) => {
    expect(h3PeerAllowsExtendedConnect(settings)).toBe(allowed);
  });
});

describe('the HTTP/3 handshake follows RFC 8441 (RFC 9220 §3)', () => {
  it('accepts a well-formed extended CONNECT as HTTP/2 does', () => {
    expect(validateH3ConnectRequest(REQUEST)).toEqual(h2.validateConnectRequest(REQUEST));
    expect(validateH3ConnectRequest(REQUEST)).toMatchObject({ ok: true, path: '/chat', protocols: ['chat'] });
  });

  it.each<[string, HeaderMap, number]>([
    ['an unknown :protocol (RFC 9220 §3: SHOULD be 501)', { ':protocol': 'connect-ip' }, 501],
    ['a plain CONNECT', { ':protocol': undefined }, 501],
    ['a method other than CONNECT', { ':method': 'GET', ':protocol': undefined }, 405],
    ['no :scheme', { ':scheme': undefined }, 400],
    ['no :path', { ':path': undefined }, 400],
    ['no :authority', { ':authority': undefined }, 400],
    ['a connection-specific field (RFC 9114 §4.2)', { connection: 'keep-alive' }, 400],
    ['transfer-encoding (RFC 9114 §4.2)', { 'transfer-encoding': 'chunked' }, 400],
    ['upgrade', { upgrade: 'websocket' }, 400],
    ['sec-websocket-key', { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }, 400],
    ['a wrong version', { 'sec-websocket-version': '12' }, 400],
  ])('rejects %s with %i, as over HTTP/2', (_, changes, status) => {
    const headers = { ...REQUEST, ...changes };
    const result = validateH3ConnectRequest(headers);
    expect(result).toMatchObject({ ok: false, status });
    expect(result).toEqual(h2.validateConnectRequest(headers));
  });

  it('answers with :status 200 and the chosen subprotocol and extensions, no accept', () => {
    expect(buildH3ConnectResponse({ protocol: 'chat', extensions: 'permessage-deflate' })).toEqual([
      [':status', '200'],
      ['sec-websocket-protocol', 'chat'],
      ['sec-websocket-extensions', 'permessage-deflate'],
    ]);
  });

  it('builds the request with pseudo-headers first, and the server half accepts it', () => {
    const list = buildH3ConnectRequest({
      authority: 'example.org',
      path: '/feed',
      scheme: 'https',
      protocols: ['v1'],
    });
    expect(list.slice(0, 5).map(([name]) => name)).toEqual([
      ':method',
      ':protocol',
      ':scheme',
      ':path',
      ':authority',
    ]);
    expect(validateH3ConnectRequest(Object.fromEntries(list))).toMatchObject({ ok: true, protocols: ['v1'] });
    expect(() =>
      buildH3ConnectRequest({
        authority: 'example.org',
        path: '/',
        scheme: 'https',
        headers: [['Connection', 'x']],
      }),
    ).toThrow(TypeError);
  });

  it.each<[string, Record<string, string | number>, boolean]>([
    ['200', { ':status': 200 }, true],
    ['any 2xx', { ':status': '202' }, true],
    ['501', { ':status': 501 }, false],
    ['an unoffered subprotocol', { ':status': 200, 'sec-websocket-protocol': 'v2' }, false],
    ['an unoffered extension', { ':status': 200, 'sec-websocket-extensions': 'x-foo' }, false],
  ])('checks the answer as over HTTP/2: %s', (_, headers, ok) => {
    const offered = { protocols: ['v1'], extensionsOffered: [] };
    const result = validateH3ConnectResponse(headers, offered);
    expect(result.ok).toBe(ok);
    expect(result).toEqual(h2.validateConnectResponse(headers, offered));
  });
});
