// RFC 8441 §3-5: extended CONNECT for WebSockets over HTTP/2, server and client halves, and the
// SETTINGS_ENABLE_CONNECT_PROTOCOL rule. Each table row breaks one rule of a well-formed request.
import { describe, expect, it } from 'vitest';
import {
  buildConnectRequest,
  buildConnectResponse,
  type ConnectResponseHeaders,
  checkEnableConnectProtocolSetting,
  peerAllowsExtendedConnect,
  type RejectedConnectRequest,
  SETTINGS_ENABLE_CONNECT_PROTOCOL,
  validateConnectRequest,
  validateConnectResponse,
} from '../../src/handshake/h2.js';
import type { HeaderList, HeaderMap } from '../../src/handshake/headers.js';

/** RFC 8441 §5.1's example request, as node's `http2` presents it. */
function request(changes: HeaderMap = {}): HeaderMap {
  const headers: HeaderMap = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':path': '/chat',
    ':authority': 'server.example.com',
    'sec-websocket-protocol': 'chat, superchat',
    'sec-websocket-extensions': 'permessage-deflate',
    'sec-websocket-version': '13',
    origin: 'http://www.example.com',
  };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return headers;
}

function rejection(changes: HeaderMap): RejectedConnectRequest {
  const result = validateConnectRequest(request(changes));
  if (result.ok) throw new Error('expected a rejection');
  return result;
}

describe('SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)', () => {
  it('is setting 0x08', () => {
    expect(SETTINGS_ENABLE_CONNECT_PROTOCOL).toBe(0x08);
  });

  it.each([
    ['absent (no SETTINGS yet, or a server without it)', {}, false],
    ['received as 0', { enableConnectProtocol: false }, false],
    ['received as 1', { enableConnectProtocol: true }, true],
  ])('a client may send extended CONNECT only once it received 1: %s', (_, settings, allowed) => {
    expect(peerAllowsExtendedConnect(settings)).toBe(allowed);
  });

  it.each([
    [0, undefined, { ok: true, enabled: false }],
    [1, undefined, { ok: true, enabled: true }],
    [1n, 0n, { ok: true, enabled: true }],
    [1, 1, { ok: true, enabled: true }],
  ] as const)('accepts value %s after %s', (value, previous, result) => {
    expect(checkEnableConnectProtocolSetting(value, previous)).toEqual(result);
  });

  it.each([
    [2, undefined, /must be 0 or 1/],
    [2n ** 62n, undefined, /must be 0 or 1/],
    [0, 1, /from 1 back to 0/],
  ] as const)('refuses value %s after %s (a connection error)', (value, previous, reason) => {
    const result = checkEnableConnectProtocolSetting(value, previous);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('validateConnectRequest', () => {
  it('accepts the RFC 8441 §5.1 example', () => {
    expect(validateConnectRequest(request())).toEqual({
      ok: true,
      path: '/chat',
      authority: 'server.example.com',
      scheme: 'https',
      protocols: ['chat', 'superchat'],
      extensions: 'permessage-deflate',
      origin: 'http://www.example.com',
    });
  });

  it.each<[string, HeaderMap, Record<string, unknown>]>([
    [
      'without origin, subprotocols or extensions (origin key left out)',
      {
        origin: undefined,
        'sec-websocket-protocol': undefined,
        'sec-websocket-extensions': undefined,
      },
      { protocols: [], extensions: '' },
    ],
    [':scheme http (a ws: URI)', { ':scheme': 'http' }, { scheme: 'http' }],
    ['a path with a query', { ':path': '/chat?room=1' }, { path: '/chat?room=1' }],
    ['an authority with a port', { ':authority': 'example.org:8443' }, { authority: 'example.org:8443' }],
    ['a host equal to :authority', { host: 'server.example.com' }, {}],
    ['te: trailers (the one te HTTP/2 allows)', { te: 'trailers' }, {}],
    [
      'repeated extension fields, joined',
      {
        'sec-websocket-extensions': ['permessage-deflate', 'x-foo'],
      },
      { extensions: 'permessage-deflate, x-foo' },
    ],
    ['repeated subprotocol fields, one list', { 'sec-websocket-protocol': ['chat', 'superchat'] }, {}],
    ['a sec-websocket-accept (not used, not forbidden)', { 'sec-websocket-accept': 'x' }, {}],
  ])('accepts %s', (_, changes, expected) => {
    const result = validateConnectRequest(request(changes));
    expect(result).toMatchObject({ ok: true, ...expected });
    if (changes.origin === undefined && 'origin' in changes) expect(result).not.toHaveProperty('origin');
  });

  // [rule, change, status, reason]
  it.each<[string, HeaderMap, 400 | 405 | 501, RegExp]>([
    // RFC 8441 §4: the method of an extended CONNECT.
    ['a GET (HTTP/1.1 habits)', { ':method': 'GET', ':protocol': undefined }, 405, /:method must be CONNECT/],
    ['no :method', { ':method': undefined, ':protocol': undefined }, 405, /:method must be CONNECT/],
    ['lower-case connect', { ':method': 'connect', ':protocol': undefined }, 405, /:method must be CONNECT/],
    ['a :protocol on a GET', { ':method': 'GET' }, 400, /only allowed with :method CONNECT/],
    // RFC 8441 §4: a CONNECT without :protocol is a plain tunnel request.
    ['a plain CONNECT', { ':protocol': undefined }, 501, /without :protocol/],
    // RFC 8441 §5 / RFC 9220 §3: :protocol websocket, other protocols get 501.
    ['another :protocol', { ':protocol': 'connect-udp' }, 501, /not supported/],
    ['an upper-case :protocol', { ':protocol': 'WebSocket' }, 501, /not supported/],
    ['a repeated :protocol', { ':protocol': ['websocket', 'websocket'] }, 400, /:protocol must appear once/],
    // RFC 8441 §4: :scheme and :path MUST be included; :authority as RFC 9113 §8.3.1.
    ['no :scheme', { ':scheme': undefined }, 400, /:scheme is required/],
    ['no :path', { ':path': undefined }, 400, /:path is required/],
    ['an empty :path', { ':path': '' }, 400, /:path is required/],
    ['no :authority', { ':authority': undefined }, 400, /:authority is required/],
    ['a repeated :path', { ':path': ['/a', '/b'] }, 400, /:path must appear once/],
    // RFC 8441 §5: :scheme https for wss, http for ws.
    ['a wss :scheme', { ':scheme': 'wss' }, 400, /:scheme must be https or http/],
    ['a :path not in origin-form', { ':path': '*' }, 400, /:path must start with \//],
    ['userinfo in :authority', { ':authority': 'user@example.org' }, 400, /userinfo/],
    ['a host other than :authority', { host: 'other.example' }, 400, /host must match :authority/],
    // RFC 9113 §8.2.2: connection-specific fields are malformed.
    ['connection', { connection: 'Upgrade' }, 400, /connection is not allowed/],
    ['upgrade', { upgrade: 'websocket' }, 400, /upgrade is not allowed/],
    ['keep-alive', { 'keep-alive': 'timeout=5' }, 400, /keep-alive is not allowed/],
    ['proxy-connection', { 'proxy-connection': 'keep-alive' }, 400, /proxy-connection is not allowed/],
    ['transfer-encoding', { 'transfer-encoding': 'chunked' }, 400, /transfer-encoding is not allowed/],
    ['te other than trailers', { te: 'gzip' }, 400, /te may only be trailers/],
    // RFC 8441 §5: no Sec-WebSocket-Key processing over HTTP/2.
    ['sec-websocket-key', { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }, 400, /sec-websocket-key/],
    // RFC 8441 §5 with RFC 6455 §4.4: version 13.
    ['no sec-websocket-version', { 'sec-websocket-version': undefined }, 400, /version must be 13/],
    ['sec-websocket-version 8', { 'sec-websocket-version': '8' }, 400, /version must be 13/],
    ['a repeated version', { 'sec-websocket-version': ['13', '13'] }, 400, /version must be 13/],
    // RFC 6455 §4.1 item 10: subprotocols are tokens.
    ['a non-token subprotocol', { 'sec-websocket-protocol': 'chat, super chat' }, 400, /list of tokens/],
  ])('rejects %s', (_, changes, status, reason) => {
    const result = rejection(changes);
    expect(result.status).toBe(status);
    expect(result.reason).toMatch(reason);
  });

  it('answers a method other than CONNECT with allow: CONNECT (RFC 9110 §15.5.6)', () => {
    expect(rejection({ ':method': 'GET', ':protocol': undefined }).headers).toEqual([['allow', 'CONNECT']]);
  });

  it('answers a wrong version with sec-websocket-version: 13 (RFC 6455 §4.4)', () => {
    expect(rejection({ 'sec-websocket-version': '8' }).headers).toEqual([['sec-websocket-version', '13']]);
    expect(rejection({ connection: 'close' }).headers).toEqual([]);
  });

  it('never throws on hostile input', () => {
    const odd: HeaderMap[] = [
      {},
      { ':method': [] },
      { ':method': 'CONNECT', ':protocol': [] },
      request({ te: [] }),
    ];
    for (const headers of odd) expect(() => validateConnectRequest(headers)).not.toThrow();
  });
});

describe('validateConnectRequest with { tolerateKey: true } (what undici sends)', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';

  it('accepts a well-formed sec-websocket-key and hands it back for the accept', () => {
    expect(
      validateConnectRequest(request({ 'sec-websocket-key': key }), { tolerateKey: true }),
    ).toMatchObject({
      ok: true,
      key,
    });
  });

  it.each<[string, HeaderMap]>([
    ['a key that is not 16 bytes of base64', { 'sec-websocket-key': 'short' }],
    ['a repeated key', { 'sec-websocket-key': [key, key] }],
    ['no key at all', {}],
  ])('accepts but does not hand back %s', (_, changes) => {
    const result = validateConnectRequest(request(changes), { tolerateKey: true });
    expect(result.ok).toBe(true);
    expect(result).not.toHaveProperty('key');
  });

  it.each(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding'])(
    'still refuses the connection-specific %s with 400',
    (name) => {
      const result = validateConnectRequest(request({ 'sec-websocket-key': key, [name]: 'x' }), {
        tolerateKey: true,
      });
      expect(result).toMatchObject({ ok: false, status: 400 });
    },
  );

  it('never hands back a key by default, where the key is refused', () => {
    expect(validateConnectRequest(request({ 'sec-websocket-key': key }))).toMatchObject({
      ok: false,
      status: 400,
    });
  });
});

describe('buildConnectResponse', () => {
  it.each<[string, Parameters<typeof buildConnectResponse>[0], HeaderList]>([
    ['nothing chosen', {}, [[':status', '200']]],
    [
      'a subprotocol and extensions',
      { protocol: 'chat', extensions: 'permessage-deflate' },
      [
        [':status', '200'],
        ['sec-websocket-protocol', 'chat'],
        ['sec-websocket-extensions', 'permessage-deflate'],
      ],
    ],
    ["extensions ''", { extensions: '' }, [[':status', '200']]],
    [
      'extra headers after',
      { headers: [['x-served-by', 'a']] },
      [
        [':status', '200'],
        ['x-served-by', 'a'],
      ],
    ],
  ])('RFC 8441 §5: :status 200, no sec-websocket-accept: %s', (_, options, list) => {
    const built = buildConnectResponse(options);
    expect(built).toEqual(list);
    expect(built.some(([name]) => name === 'sec-websocket-accept' || name === 'upgrade')).toBe(false);
  });

  it("adds acceptKey's sec-websocket-accept (RFC 6455 §1.3's example pair)", () => {
    expect(buildConnectResponse({ acceptKey: 'dGhlIHNhbXBsZSBub25jZQ==' })).toEqual([
      [':status', '200'],
      ['sec-websocket-accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
    ]);
  });

  it.each<[string, Parameters<typeof buildConnectResponse>[0], RegExp]>([
    ['a malformed acceptKey', { acceptKey: 'nope' }, /acceptKey/],
    ['a non-token subprotocol', { protocol: 'a b' }, /not a token/],
    ['CR/LF in extensions', { extensions: 'x\r\nfoo: bar' }, /Invalid value/],
    ['a connection header', { headers: [['connection', 'close']] }, /set by the handshake/],
    ['a sec-websocket-accept', { headers: [['sec-websocket-accept', 'x']] }, /set by the handshake/],
    ['an upper-case name', { headers: [['X-Served-By', 'a']] }, /lower-case/],
    ['a pseudo-header', { headers: [[':status', '101']] }, /Invalid header name/],
  ])('throws TypeError for %s', (_, options, message) => {
    expect(() => buildConnectResponse(options)).toThrow(TypeError);
    expect(() => buildConnectResponse(options)).toThrow(message);
  });
});

describe('buildConnectRequest', () => {
  it('builds RFC 8441 §5.1 example, pseudo-headers first', () => {
    expect(
      buildConnectRequest({
        authority: 'server.example.com',
        path: '/chat',
        scheme: 'https',
        protocols: ['chat', 'superchat'],
        extensions: 'permessage-deflate',
        origin: 'http://www.example.com',
        headers: [['user-agent', 'wasmws']],
      }),
    ).toEqual([
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':path', '/chat'],
      [':authority', 'server.example.com'],
      ['sec-websocket-version', '13'],
      ['sec-websocket-protocol', 'chat, superchat'],
      ['sec-websocket-extensions', 'permessage-deflate'],
      ['origin', 'http://www.example.com'],
      ['user-agent', 'wasmws'],
    ]);
  });

  it('is what validateConnectRequest accepts, with no key and no connection fields', () => {
    const list = buildConnectRequest({ authority: 'example.org:8080', path: '/?a=1', scheme: 'http' });
    expect(list.map(([name]) => name)).not.toContain('sec-websocket-key');
    expect(validateConnectRequest(Object.fromEntries(list))).toMatchObject({
      ok: true,
      scheme: 'http',
      authority: 'example.org:8080',
      path: '/?a=1',
      protocols: [],
    });
  });

  const base = { authority: 'example.org', path: '/', scheme: 'https' } as const;
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a wss scheme', { scheme: 'wss' }, /Scheme must be https or http/],
    ['an empty authority', { authority: '' }, /Invalid authority/],
    ['userinfo in the authority', { authority: 'u@example.org' }, /Invalid authority/],
    ['a path without /', { path: 'chat' }, /Invalid path/],
    ['a space in the path', { path: '/a b' }, /Invalid path/],
    ['a non-token subprotocol', { protocols: ['a b'] }, /not a token/],
    ['repeated subprotocols', { protocols: ['a', 'a'] }, /unique/],
    ['CR/LF in origin', { origin: 'x\r\ny: z' }, /Invalid value/],
    ['an upgrade header', { headers: [['upgrade', 'websocket']] }, /set by the handshake/],
    ['a sec-websocket-key', { headers: [['sec-websocket-key', 'x']] }, /set by the handshake/],
    ['an upper-case name', { headers: [['User-Agent', 'x']] }, /lower-case/],
    ['a pseudo-header', { headers: [[':protocol', 'x']] }, /Invalid header name/],
  ])('throws TypeError for %s', (_, change, message) => {
    const options = { ...base, ...change } as Parameters<typeof buildConnectRequest>[0];
    expect(() => buildConnectRequest(options)).toThrow(TypeError);
    expect(() => buildConnectRequest(options)).toThrow(message);
  });
});

describe('validateConnectResponse', () => {
  const offered = { protocols: ['chat', 'superchat'], extensionsOffered: ['permessage-deflate'] };

  it.each<[string, ConnectResponseHeaders, string, string]>([
    ['200 with nothing chosen', { ':status': 200 }, '', ''],
    ['200 as a string', { ':status': '200' }, '', ''],
    ['any 2xx (RFC 8441 §5)', { ':status': 204 }, '', ''],
    [
      'a subprotocol that was offered',
      { ':status': 200, 'sec-websocket-protocol': 'superchat' },
      'superchat',
      '',
    ],
    [
      'an offered extension',
      { ':status': 200, 'sec-websocket-extensions': 'permessage-deflate; server_no_context_takeover' },
      '',
      'permessage-deflate; server_no_context_takeover',
    ],
  ])('accepts %s', (_, headers, protocol, extensions) => {
    expect(validateConnectResponse(headers, offered)).toEqual({ ok: true, protocol, extensions });
  });

  it.each<[string, ConnectResponseHeaders, string, RegExp, number | undefined]>([
    ['101 (an HTTP/1.1 answer)', { ':status': 101 }, 'WS_ERR_HANDSHAKE_STATUS', /got 101/, 101],
    ['a 1xx', { ':status': 103 }, 'WS_ERR_HANDSHAKE_STATUS', /got 103/, 103],
    ['300', { ':status': 300 }, 'WS_ERR_HANDSHAKE_STATUS', /got 300/, 300],
    ['400', { ':status': 400 }, 'WS_ERR_HANDSHAKE_STATUS', /got 400/, 400],
    ['405 (node #36977)', { ':status': 405 }, 'WS_ERR_HANDSHAKE_STATUS', /got 405/, 405],
    ['501', { ':status': '501' }, 'WS_ERR_HANDSHAKE_STATUS', /got 501/, 501],
    ['no :status', {}, 'WS_ERR_HANDSHAKE_STATUS', /missing or malformed/, undefined],
    [
      'a malformed :status',
      { ':status': '2OO' },
      'WS_ERR_HANDSHAKE_STATUS',
      /missing or malformed/,
      undefined,
    ],
    ['a repeated :status', { ':status': ['200', '200'] }, 'WS_ERR_HANDSHAKE_STATUS', /malformed/, undefined],
    [
      'a subprotocol not offered',
      { ':status': 200, 'sec-websocket-protocol': 'other' },
      'WS_ERR_HANDSHAKE_PROTOCOL',
      /which was not offered/,
      undefined,
    ],
    [
      'two subprotocols',
      { ':status': 200, 'sec-websocket-protocol': ['chat', 'superchat'] },
      'WS_ERR_HANDSHAKE_PROTOCOL',
      /at most once/,
      undefined,
    ],
    [
      'an extension not offered',
      { ':status': 200, 'sec-websocket-extensions': 'x-foo' },
      'WS_ERR_HANDSHAKE_EXTENSION',
      /x-foo, which was not offered/,
      undefined,
    ],
    [
      'malformed extensions',
      { ':status': 200, 'sec-websocket-extensions': 'permessage-deflate;;' },
      'WS_ERR_HANDSHAKE_EXTENSION',
      /./,
      undefined,
    ],
  ])('fails on %s', (_, headers, code, reason, status) => {
    const result = validateConnectResponse(headers, offered);
    expect(result).toMatchObject({ ok: false, code });
    if (result.ok) return;
    expect(result.reason).toMatch(reason);
    expect(result.status).toBe(status);
  });

  it('fails on any subprotocol when none was offered', () => {
    const result = validateConnectResponse(
      { ':status': 200, 'sec-websocket-protocol': 'chat' },
      { protocols: [], extensionsOffered: [] },
    );
    expect(result).toMatchObject({
      ok: false,
      code: 'WS_ERR_HANDSHAKE_PROTOCOL',
      reason: /none was offered/,
    });
  });
});
