import { describe, expect, it } from 'vitest';
import type { HeaderList, HeaderMap } from '../../src/handshake/headers.js';
import {
  buildErrorResponse,
  buildUpgradeResponse,
  type RejectedUpgradeRequest,
  selectSubprotocol,
  serializeResponseHead,
  validateUpgradeRequest,
} from '../../src/handshake/http1-server.js';
import { statusText } from '../../src/handshake/status-text.js';
import { parseHead, RFC_ACCEPT, RFC_KEY } from './helpers.js';

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

    it('HTTP/1 minor versions above 1.1', () => {
      expect(validateUpgradeRequest(request({}, 'GET', '1.2')).ok).toBe(true);
      expect(validateUpgradeRequest(request({}, 'GET', '1.9')).ok).toBe(true);
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

    it.each(['1.0', '1', '', 'HTTP/1.1', '1.x'])('HTTP version %j with 400', (version) => {
      expect(rejection({}, 'GET', version)).toEqual({
        ok: false,
        status: 400,
        reason: 'HTTP version must be 1.1 or later',
        headers: [],
      });
    });

    // RFC 9110 §15.6.6: 505 is for a major version the server does not support; HTTP/0.9 counts too.
    it.each([
      ['2.0', 'HTTP/2.0'],
      ['2.1', 'HTTP/2.1'],
      ['3.0', 'HTTP/3.0'],
      ['0.9', 'HTTP/0.9'],
    ])('HTTP version %j with 505 naming it', (version, named) => {
      expect(rejection({}, 'GET', version)).toEqual({
        ok: false,
        status: 505,
        reason: `${named} is not supported: use HTTP/1.1`,
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
      expect(rejection({ host: undefined, upgrade: undefined }, 'POST', '2.0').status).toBe(505);
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

  it('answers a 505 rejection with its reason phrase and the version to use', () => {
    const { status, reason, headers } = rejection({}, 'GET', '2.0');
    expect(buildErrorResponse(status, reason, headers)).toMatch(
      /^HTTP\/1\.1 505 HTTP Version Not Supported\r\nConnection: close\r\n.*\r\n\r\nHTTP\/2\.0 is not supported: use HTTP\/1\.1$/s,
    );
  });

  // These had no reason phrase before the table was completed: the status line ended in a space.
  it.each([
    [408, 'Request Timeout'],
    [409, 'Conflict'],
    [414, 'URI Too Long'],
    [502, 'Bad Gateway'],
  ])('answers %i with the phrase %j', (status, phrase) => {
    expect(buildErrorResponse(status, 'x').split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${phrase}`);
  });

  // One rejection per status validateUpgradeRequest can give: a status added to the union does not
  // compile here until it has an example, and then needs a phrase.
  const rejectionByStatus: Record<RejectedUpgradeRequest['status'], () => RejectedUpgradeRequest> = {
    400: () => rejection({ host: undefined }),
    405: () => rejection({}, 'POST'),
    426: () => rejection({ 'sec-websocket-version': '8' }),
    505: () => rejection({}, 'GET', '2.0'),
  };

  it.each(Object.entries(rejectionByStatus))(
    'answers a %s rejection with a reason phrase',
    (status, make) => {
      const rejected = make();
      expect(rejected.status).toBe(Number(status));
      expect(statusText(rejected.status)).not.toBe('');
      expect(buildErrorResponse(rejected.status, rejected.reason, rejected.headers).split('\r\n')[0]).toBe(
        `HTTP/1.1 ${status} ${statusText(rejected.status)}`,
      );
    },
  );

  // src/server's own answers: 431 from its head reader, 403 for a verify refusal without a status, 500
  // for a verify hook that threw.
  it.each([403, 431, 500])('answers %i, which the server sends itself, with a reason phrase', (status) => {
    expect(statusText(status)).not.toBe('');
    expect(buildErrorResponse(status, 'x').split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${statusText(status)}`);
  });

  it('writes an empty phrase for a status that has none', () => {
    expect(buildErrorResponse(499, 'x')).toMatch(/^HTTP\/1\.1 499 \r\n/);
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
