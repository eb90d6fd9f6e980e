import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildErrorResponse,
  buildUpgradeRequest,
  buildUpgradeResponse,
  computeAccept,
  generateKey,
  type HeaderList,
  type HeaderMap,
  parseTokenList,
  type RejectedUpgradeRequest,
  selectSubprotocol,
  serializeResponseHead,
  validateHeaderName,
  validateHeaderValue,
  validateUpgradeRequest,
  validateUpgradeResponse,
} from '../../src/handshake/http1.js';

// RFC 6455 §1.3 / §4.2.2 example.
const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** A well-formed request, as node's `req` would present it; each test breaks one rule. */
function request(headers: HeaderMap = {}, method = 'GET', httpVersion = '1.1') {
  return {
    method,
    httpVersion,
    headers: {
      host: 'example.org',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': RFC_KEY,
      'sec-websocket-version': '13',
      ...headers,
    },
  };
}

function rejection(headers: HeaderMap, method?: string, httpVersion?: string): RejectedUpgradeRequest {
  const result = validateUpgradeRequest(request(headers, method, httpVersion));
  if (result.ok) throw new Error('expected a rejection');
  return result;
}

/** Test-only HTTP/1.1 head parser: start line plus a lower-case header map, repeats as arrays. */
function parseHead(head: string): { startLine: string[]; headers: HeaderMap } {
  expect(head.endsWith('\r\n\r\n')).toBe(true);
  const [startLine, ...lines] = head.slice(0, -4).split('\r\n');
  const headers: HeaderMap = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [existing, value].flat();
  }
  return { startLine: startLine!.split(' '), headers };
}

describe('computeAccept', () => {
  it('gives the RFC 6455 §4.2.2 example', () => {
    expect(computeAccept(RFC_KEY)).toBe(RFC_ACCEPT);
  });

  it('matches node:crypto for random keys', () => {
    for (let i = 0; i < 50; i++) {
      const key = generateKey();
      const expected = createHash('sha1')
        .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      expect(computeAccept(key)).toBe(expected);
    }
  });
});

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

describe('validateUpgradeRequest', () => {
  describe('accepts', () => {
    it('the RFC 6455 §1.2 example request', () => {
      expect(
        validateUpgradeRequest(
          request({
            host: 'server.example.com',
            origin: 'http://example.com',
            'sec-websocket-protocol': 'chat, superchat',
          }),
        ),
      ).toEqual({
        ok: true,
        key: RFC_KEY,
        protocols: ['chat', 'superchat'],
        extensions: '',
        host: 'server.example.com',
        origin: 'http://example.com',
      });
    });

    it('a minimal request with no protocols, extensions or origin', () => {
      expect(validateUpgradeRequest(request())).toEqual({
        ok: true,
        key: RFC_KEY,
        protocols: [],
        extensions: '',
        host: 'example.org',
        origin: undefined,
      });
    });

    it('HTTP versions above 1.1', () => {
      expect(validateUpgradeRequest(request({}, 'GET', '1.2')).ok).toBe(true);
      expect(validateUpgradeRequest(request({}, 'GET', '2.0')).ok).toBe(true);
    });

    it.each([
      ['upper case', 'WEBSOCKET', 'UPGRADE'],
      ['mixed case', 'WebSocket', 'uPgRaDe'],
      ['other elements and odd spacing', 'h2c ,\tWebSocket ,', 'keep-alive,Upgrade'],
      ['elements that are not tokens', 'HTTP/2.0, websocket', 'keep-alive, Upgrade'],
    ])('Upgrade and Connection in %s', (_name, upgrade, connection) => {
      expect(validateUpgradeRequest(request({ upgrade, connection })).ok).toBe(true);
    });

    it('Upgrade and Connection as arrays of repeated lines', () => {
      const result = validateUpgradeRequest(
        request({ upgrade: ['h2c', 'websocket'], connection: ['keep-alive', 'Upgrade'] }),
      );
      expect(result.ok).toBe(true);
    });

    it('whitespace around the key and version', () => {
      const result = validateUpgradeRequest(
        request({ 'sec-websocket-key': ` ${RFC_KEY}\t`, 'sec-websocket-version': ' 13 ' }),
      );
      expect(result).toMatchObject({ ok: true, key: RFC_KEY });
    });

    it('single values given as one-element arrays', () => {
      const result = validateUpgradeRequest(
        request({ host: ['example.org'], 'sec-websocket-key': [RFC_KEY], 'sec-websocket-version': ['13'] }),
      );
      expect(result).toMatchObject({ ok: true, key: RFC_KEY, host: 'example.org' });
    });

    it('subprotocols with odd spacing and repeated lines', () => {
      const result = validateUpgradeRequest(
        request({ 'sec-websocket-protocol': [' chat ,,superchat', 'v2.json'] }),
      );
      expect(result).toMatchObject({ ok: true, protocols: ['chat', 'superchat', 'v2.json'] });
    });

    it('extensions raw, repeated lines joined', () => {
      expect(
        validateUpgradeRequest(
          request({ 'sec-websocket-extensions': ' permessage-deflate; client_max_window_bits ' }),
        ),
      ).toMatchObject({ ok: true, extensions: 'permessage-deflate; client_max_window_bits' });
      expect(
        validateUpgradeRequest(request({ 'sec-websocket-extensions': ['permessage-deflate', 'x-foo'] })),
      ).toMatchObject({ ok: true, extensions: 'permessage-deflate, x-foo' });
    });
  });

  describe('rejects', () => {
    it.each(['POST', 'HEAD', 'get', 'CONNECT'])('method %s with 405 and Allow: GET', (method) => {
      expect(rejection({}, method)).toEqual({
        ok: false,
        status: 405,
        reason: 'Method must be GET',
        headers: [['Allow', 'GET']],
      });
    });

    it.each(['1.0', '0.9', '1', '', 'HTTP/1.1', '1.x'])('HTTP version %j with 400', (version) => {
      expect(rejection({}, 'GET', version)).toEqual({
        ok: false,
        status: 400,
        reason: 'HTTP version must be 1.1 or later',
        headers: [],
      });
    });

    it.each<[string, HeaderMap, string]>([
      ['a missing Host', { host: undefined }, 'Host header is required'],
      ['an empty Host', { host: '' }, 'Host header is required'],
      ['an empty Host array', { host: [] }, 'Host header is required'],
      ['two Hosts', { host: ['a.example', 'b.example'] }, 'Host must appear exactly once'],
      ['a missing Upgrade', { upgrade: undefined }, 'Upgrade must include websocket'],
      ['Upgrade without websocket', { upgrade: 'h2c' }, 'Upgrade must include websocket'],
      ['Upgrade with websocket as a substring', { upgrade: 'websockets' }, 'Upgrade must include websocket'],
      ['Upgrade with a protocol version', { upgrade: 'websocket/13' }, 'Upgrade must include websocket'],
      ['a missing Connection', { connection: undefined }, 'Connection must include upgrade'],
      ['Connection without upgrade', { connection: 'keep-alive' }, 'Connection must include upgrade'],
      [
        'Connection with upgrade inside a token',
        { connection: 'upgraded' },
        'Connection must include upgrade',
      ],
      [
        'Connection with two tokens in one element',
        { connection: 'keep-alive upgrade' },
        'Connection must include upgrade',
      ],
      ['a missing key', { 'sec-websocket-key': undefined }, 'Sec-WebSocket-Key must be base64 of 16 bytes'],
      ['an empty key', { 'sec-websocket-key': '' }, 'Sec-WebSocket-Key must be base64 of 16 bytes'],
      [
        'a key of 15 bytes',
        { 'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAA' },
        'Sec-WebSocket-Key must be base64 of 16 bytes',
      ],
      [
        'a key of 17 bytes',
        { 'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAAAAA=' },
        'Sec-WebSocket-Key must be base64 of 16 bytes',
      ],
      [
        'a key without padding',
        { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ' },
        'Sec-WebSocket-Key must be base64 of 16 bytes',
      ],
      [
        'a key outside the alphabet',
        { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZ*==' },
        'Sec-WebSocket-Key must be base64 of 16 bytes',
      ],
      [
        'a key with non-zero pad bits',
        { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZR==' },
        'Sec-WebSocket-Key must be base64 of 16 bytes',
      ],
      [
        'two keys joined by node',
        { 'sec-websocket-key': `${RFC_KEY}, ${RFC_KEY}` },
        'Sec-WebSocket-Key must be base64 of 16 bytes',
      ],
      [
        'two keys as an array',
        { 'sec-websocket-key': [RFC_KEY, RFC_KEY] },
        'Sec-WebSocket-Key must appear exactly once',
      ],
      [
        'a subprotocol that is not a token',
        { 'sec-websocket-protocol': 'chat, super chat' },
        'Sec-WebSocket-Protocol must be a list of tokens',
      ],
      [
        'a quoted subprotocol',
        { 'sec-websocket-protocol': '"chat"' },
        'Sec-WebSocket-Protocol must be a list of tokens',
      ],
      [
        'a subprotocol with a slash',
        { 'sec-websocket-protocol': ['chat', 'v1/json'] },
        'Sec-WebSocket-Protocol must be a list of tokens',
      ],
    ])('%s with 400', (_name, headers, reason) => {
      expect(rejection(headers)).toEqual({ ok: false, status: 400, reason, headers: [] });
    });

    it.each<[string, HeaderMap]>([
      ['a missing version', { 'sec-websocket-version': undefined }],
      ['version 8', { 'sec-websocket-version': '8' }],
      ['version 14', { 'sec-websocket-version': '14' }],
      ['a version list', { 'sec-websocket-version': '13, 8' }],
      ['two version lines', { 'sec-websocket-version': ['13', '13'] }],
      ['version 013', { 'sec-websocket-version': '013' }],
    ])('%s with 426 naming version 13', (_name, headers) => {
      expect(rejection(headers)).toEqual({
        ok: false,
        status: 426,
        reason: 'Sec-WebSocket-Version must be 13',
        headers: [
          ['Sec-WebSocket-Version', '13'],
          ['Upgrade', 'websocket'],
        ],
      });
    });

    it('reports the first broken rule in RFC order', () => {
      expect(rejection({ host: undefined, upgrade: undefined }, 'POST').status).toBe(405);
      expect(rejection({ host: undefined, upgrade: undefined }, 'GET', '1.0').reason).toMatch(/HTTP version/);
      expect(rejection({ upgrade: undefined, 'sec-websocket-version': '8' }).status).toBe(400);
      expect(rejection({ 'sec-websocket-key': 'bad', 'sec-websocket-version': '8' }).status).toBe(426);
    });
  });
});

describe('selectSubprotocol', () => {
  it("follows the server's preference order", () => {
    expect(selectSubprotocol(['a', 'b', 'c'], ['c', 'b'])).toBe('c');
    expect(selectSubprotocol(['b', 'c'], ['a', 'b', 'c'])).toBe('b');
  });

  it('compares case-sensitively', () => {
    expect(selectSubprotocol(['Chat'], ['chat'])).toBeUndefined();
  });

  it('selects nothing when nothing matches or nothing was offered', () => {
    expect(selectSubprotocol(['x'], ['a'])).toBeUndefined();
    expect(selectSubprotocol([], ['a'])).toBeUndefined();
    expect(selectSubprotocol(['a'], [])).toBeUndefined();
  });

  it('lets a function choose among the offered protocols', () => {
    expect(selectSubprotocol(['a', 'b'], (offered) => offered.at(-1))).toBe('b');
    expect(selectSubprotocol(['a', 'b'], () => undefined)).toBeUndefined();
  });

  it('does not call the function when nothing was offered', () => {
    let called = false;
    expect(
      selectSubprotocol([], () => {
        called = true;
        return 'a';
      }),
    ).toBeUndefined();
    expect(called).toBe(false);
  });

  it('gives the function a copy of the offer', () => {
    const offered = ['a', 'b'];
    selectSubprotocol(offered, (list) => {
      list.length = 0;
      return undefined;
    });
    expect(offered).toEqual(['a', 'b']);
  });

  it('throws TypeError when the function picks a protocol that was not offered', () => {
    expect(() => selectSubprotocol(['a'], () => 'b')).toThrow(TypeError);
  });
});

describe('buildUpgradeResponse', () => {
  it('gives the RFC 6455 §1.3 answer headers', () => {
    expect(buildUpgradeResponse({ key: RFC_KEY, protocol: 'chat' })).toEqual([
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Accept', RFC_ACCEPT],
      ['Sec-WebSocket-Protocol', 'chat'],
    ]);
  });

  it('leaves out the protocol and extensions when there are none', () => {
    expect(buildUpgradeResponse({ key: RFC_KEY, protocol: undefined, extensions: '' })).toEqual([
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Accept', RFC_ACCEPT],
    ]);
  });

  it('adds extensions, then extra headers', () => {
    const headers = buildUpgradeResponse({
      key: RFC_KEY,
      extensions: 'permessage-deflate; server_no_context_takeover',
      headers: [['Set-Cookie', 'a=1']],
    });
    expect(headers.slice(3)).toEqual([
      ['Sec-WebSocket-Extensions', 'permessage-deflate; server_no_context_takeover'],
      ['Set-Cookie', 'a=1'],
    ]);
  });

  it.each<[string, Parameters<typeof buildUpgradeResponse>[0]]>([
    ['a protocol that is not a token', { key: RFC_KEY, protocol: 'a b' }],
    ['an empty protocol', { key: RFC_KEY, protocol: '' }],
    ['CR/LF in the extensions', { key: RFC_KEY, extensions: 'x\r\nInjected: 1' }],
    ['CR/LF in an extra value', { key: RFC_KEY, headers: [['X-A', 'a\r\nInjected: 1']] }],
    ['an invalid extra name', { key: RFC_KEY, headers: [['X A', 'a']] }],
    ['an extra header overriding the accept', { key: RFC_KEY, headers: [['sec-websocket-accept', 'x']] }],
    ['an extra header overriding Upgrade', { key: RFC_KEY, headers: [['UPGRADE', 'h2c']] }],
  ])('throws TypeError for %s', (_name, options) => {
    expect(() => buildUpgradeResponse(options)).toThrow(TypeError);
  });
});

describe('serializeResponseHead', () => {
  it('writes the status line, headers and the blank line', () => {
    expect(serializeResponseHead(101, 'Switching Protocols', buildUpgradeResponse({ key: RFC_KEY }))).toBe(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${RFC_ACCEPT}\r\n` +
        '\r\n',
    );
  });

  it('allows an empty reason phrase and no headers', () => {
    expect(serializeResponseHead(599, '', [])).toBe('HTTP/1.1 599 \r\n\r\n');
  });

  it.each([99, 1000, 101.5, Number.NaN])('throws RangeError for status %s', (status) => {
    expect(() => serializeResponseHead(status, 'X', [])).toThrow(RangeError);
  });

  it('throws TypeError for CR/LF in the reason phrase or a header', () => {
    expect(() => serializeResponseHead(200, 'OK\r\nX: 1', [])).toThrow(TypeError);
    expect(() => serializeResponseHead(200, 'OK', [['X', '1\n']])).toThrow(TypeError);
    expect(() => serializeResponseHead(200, 'OK', [['X\n', '1']])).toThrow(TypeError);
  });
});

describe('buildErrorResponse', () => {
  it('answers 400 with Connection: close and the reason as a text body', () => {
    expect(buildErrorResponse(400, 'Sec-WebSocket-Key must be base64 of 16 bytes')).toBe(
      'HTTP/1.1 400 Bad Request\r\n' +
        'Connection: close\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 44\r\n' +
        '\r\n' +
        'Sec-WebSocket-Key must be base64 of 16 bytes',
    );
  });

  it('answers a 426 rejection with Upgrade, Connection: Upgrade and the supported version', () => {
    const { status, reason, headers } = rejection({ 'sec-websocket-version': '8' });
    const { startLine, headers: sent } = parseHead(
      `${buildErrorResponse(status, reason, headers).split('\r\n\r\n')[0]}\r\n\r\n`,
    );
    expect(startLine).toEqual(['HTTP/1.1', '426', 'Upgrade', 'Required']);
    expect(sent).toMatchObject({
      connection: 'Upgrade, close',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
    });
  });

  it('answers 405 with Allow', () => {
    const { status, reason, headers } = rejection({}, 'POST');
    expect(buildErrorResponse(status, reason, headers)).toMatch(
      /^HTTP\/1\.1 405 Method Not Allowed\r\n.*Allow: GET\r\n\r\nMethod must be GET$/s,
    );
  });

  it('answers 431', () => {
    expect(buildErrorResponse(431, 'too large')).toMatch(
      /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/,
    );
  });

  it('counts the body in UTF-8 bytes', () => {
    expect(buildErrorResponse(403, 'interdit: é')).toContain('Content-Length: 12\r\n');
  });

  it.each([200, 101, 399, 600, 400.5])('throws RangeError for status %s', (status) => {
    expect(() => buildErrorResponse(status, 'x')).toThrow(RangeError);
  });

  it.each<[string, HeaderList]>([
    ['Connection', [['Connection', 'keep-alive']]],
    ['Content-Length', [['content-length', '0']]],
    ['Content-Type', [['Content-Type', 'text/html']]],
    ['a CR/LF value', [['X-A', '1\r\n']]],
  ])('throws TypeError for an extra header setting %s', (_name, headers) => {
    expect(() => buildErrorResponse(400, 'x', headers)).toThrow(TypeError);
  });
});

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

describe('a full handshake', () => {
  function handshake(tamper: (response: string) => string = (response) => response) {
    const key = generateKey();
    const requestHead = buildUpgradeRequest({
      host: 'example.org:8080',
      path: '/feed',
      key,
      protocols: ['v2', 'v1'],
      extensions: 'permessage-deflate; client_max_window_bits',
      origin: 'https://example.org',
    });

    // Server side: parse the head as node would, validate, answer.
    const { startLine, headers } = parseHead(requestHead);
    const [method, , version] = startLine;
    const accepted = validateUpgradeRequest({ method: method!, httpVersion: version!.slice(5), headers });
    if (!accepted.ok) throw new Error(accepted.reason);
    expect(accepted).toMatchObject({
      host: 'example.org:8080',
      origin: 'https://example.org',
      protocols: ['v2', 'v1'],
    });
    const protocol = selectSubprotocol(accepted.protocols, ['v1', 'v2']);
    const responseHead = serializeResponseHead(
      101,
      'Switching Protocols',
      buildUpgradeResponse({ key: accepted.key, protocol, extensions: 'permessage-deflate' }),
    );

    // Client side: parse the answer and check it against what was offered.
    const response = parseHead(tamper(responseHead));
    return validateUpgradeResponse(
      { status: Number(response.startLine[1]), headers: response.headers },
      { key, protocols: ['v2', 'v1'], extensionsOffered: ['permessage-deflate'] },
    );
  }

  it('completes with the protocol the server prefers and the accepted extension', () => {
    expect(handshake()).toEqual({ ok: true, protocol: 'v1', extensions: 'permessage-deflate' });
  });

  it('fails when the accept is tampered with', () => {
    const result = handshake((response) =>
      response.replace(
        /(Sec-WebSocket-Accept: )(.)/,
        (_, prefix: string, first: string) => prefix + (first === 'A' ? 'B' : 'A'),
      ),
    );
    expect(result).toMatchObject({ ok: false, code: 'WS_ERR_HANDSHAKE_ACCEPT' });
  });
});
