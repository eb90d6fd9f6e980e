// RequestHeadReader: an HTTP/1.1 request head read from bytes in any split (RFC 9112 §2-§5),
// refused as soon as a line breaks the grammar (400) or a limit (431), and the body check of
// an upgrade request. The acceptor's answers to these are in test/server/create-server.test.ts.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_HEAD_BYTES, DEFAULT_MAX_HEADERS } from '../../src/handshake/head-bytes.js';
import {
  bodyFramingError,
  type HeadReadResult,
  type RequestHeadLimits,
  RequestHeadReader,
} from '../../src/handshake/request-head.js';

/** Latin1 bytes in a plain Uint8Array, as a browser would have them. */
const bytes = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

const REQUEST =
  'GET /chat?room=1 HTTP/1.1\r\nHost: example.org\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'X-Trace: a\r\nx-trace: b\r\n\r\n';

function request(...extra: string[]): string {
  return `GET / HTTP/1.1\r\nHost: h\r\n${extra.map((line) => `${line}\r\n`).join('')}\r\n`;
}

/** Pushes `pieces` in order and returns the first conclusive result. */
function read(pieces: Uint8Array[], limits?: RequestHeadLimits): HeadReadResult {
  const reader = new RequestHeadReader(limits);
  let result: HeadReadResult = { state: 'more' };
  for (const piece of pieces) {
    result = reader.push(piece);
    if (result.state !== 'more') break;
  }
  return result;
}

describe('RequestHeadReader: a well-formed head', () => {
  const expected = {
    method: 'GET',
    target: '/chat?room=1',
    path: '/chat?room=1',
    httpVersion: '1.1',
    headers: {
      host: 'example.org',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'x-trace': ['a', 'b'],
    },
  };

  it('reads the request line and a lower-case header map, repeats as arrays in order', () => {
    expect(read([bytes(REQUEST)])).toEqual({ state: 'done', head: expected, rest: new Uint8Array(0) });
  });

  it('gives the same head for every split in two and byte by byte', () => {
    const whole = bytes(REQUEST);
    for (let cut = 1; cut < whole.length; cut++) {
      const result = read([whole.subarray(0, cut), whole.subarray(cut)]);
      expect(result, `cut at ${cut}`).toMatchObject({ state: 'done', head: expected });
    }
    expect(read([...whole].map((byte) => Uint8Array.of(byte)))).toMatchObject({ head: expected });
  });

  it('hands back the bytes after the head as a view of the chunk that ended it', () => {
    const chunk = bytes(`${REQUEST}\x81\x02hi`);
    const result = read([chunk]);
    if (result.state !== 'done') throw new Error(result.state);
    expect([...result.rest]).toEqual([0x81, 0x02, 0x68, 0x69]);
    expect(result.rest.buffer).toBe(chunk.buffer);
  });

  it.each([
    ['Uint8Array', bytes],
    ['Buffer', (text: string) => Buffer.from(text, 'latin1')],
  ])('keeps a copy of a partial line of a %s, so the caller may reuse its chunk', (_, make) => {
    const reader = new RequestHeadReader();
    const chunk = make('GET /abc HT');
    expect(reader.push(chunk).state).toBe('more');
    chunk.fill(0x21);
    expect(reader.push(bytes('TP/1.1\r\nHost: h\r\n\r\n'))).toMatchObject({ head: { target: '/abc' } });
  });

  it('keeps answering with its result once done', () => {
    const reader = new RequestHeadReader();
    const done = reader.push(bytes(REQUEST));
    expect(reader.push(bytes('more'))).toBe(done);
  });

  it('skips empty lines before the request line (RFC 9112 §2.2)', () => {
    expect(read([bytes(`\r\n\r\n${REQUEST}`)])).toMatchObject({ head: expected });
  });

  it.each([
    ['http://example.org/chat?room=1', '/chat?room=1'],
    ['ws://example.org:8080', '/'],
    ['http://example.org?x=1', '/?x=1'],
  ])('takes the absolute-form target %s as the path %s (RFC 9112 §3.2.2)', (target, path) => {
    const result = read([bytes(`GET ${target} HTTP/1.1\r\nHost: h\r\n\r\n`)]);
    expect(result).toMatchObject({ state: 'done', head: { target, path } });
  });

  it('keeps obs-text as latin1 characters, byte for byte', () => {
    expect(read([bytes(request('X-Name: caf\xe9 \x80\xff'))])).toMatchObject({
      head: { headers: { 'x-name': 'caf\xe9 \x80\xff' } },
    });
  });

  it('leaves the version to the handshake: HTTP/2.0 reads as 2.0 (505 comes later)', () => {
    const result = read([bytes('GET / HTTP/2.0\r\nHost: h\r\n\r\n')]);
    expect(result).toMatchObject({ state: 'done', head: { httpVersion: '2.0' } });
  });
});

describe('RequestHeadReader: refusals', () => {
  it.each([
    ['bare LF line ends', REQUEST.replaceAll('\r\n', '\n'), /CRLF/],
    ['a bare CR inside a line', request('X-A: a\rb'), /Bare CR/],
    ['obsolete line folding (RFC 9112 §5.2)', request('X-Folded: a', ' b'), /folding/],
    ['whitespace before the first header (RFC 9112 §2.2)', 'GET / HTTP/1.1\r\n Host: h\r\n\r\n', /folding/],
    ['whitespace before the colon (RFC 9112 §5.1)', request('X-Space : a'), /header line/],
    ['a header line without a colon', request('X-Space a'), /header line/],
    ['a control character in a value', request('X-Ctl: a\x01b'), /control/],
    ['a request line without a version', 'GET /\r\n\r\n', /request line/],
    ['a lower-case version', REQUEST.replace('HTTP/1.1', 'http/1.1'), /request line/],
    ['a method that is not a token', 'G(T / HTTP/1.1\r\n\r\n', /request line/],
    ['a space inside the target', 'GET /a b HTTP/1.1\r\n\r\n', /request line/],
    ['an asterisk-form target', 'GET * HTTP/1.1\r\n\r\n', /target/],
    ['an authority-form target', 'GET example.org:443 HTTP/1.1\r\n\r\n', /target/],
  ])('400 for %s', (_, text, reason) => {
    const result = read([bytes(text)]);
    expect(result).toMatchObject({ state: 'failed', status: 400 });
    if (result.state === 'failed') expect(result.reason).toMatch(reason);
  });

  it('400 at the first bad line, without waiting for the end of the head', () => {
    expect(read([bytes('GET / HTTP/1.1\r\nX-Space : a\r\n')])).toMatchObject({ status: 400 });
  });

  it('431 for more header lines than maxHeaders, and not for exactly that many', () => {
    const lines = Array.from({ length: 9 }, (_, i) => `X-${i}: ${i}`); // and Host: 10 in all
    expect(read([bytes(request(...lines))], { maxHeaders: 10 }).state).toBe('done');
    const result = read([bytes(request(...lines, 'X-Last: 1'))], { maxHeaders: 10 });
    expect(result).toEqual({ state: 'failed', status: 431, reason: 'More than 10 header lines' });
  });

  it('431 for a head over maxHeadBytes, and not for one of exactly that size', () => {
    const text = request('X-Pad: 0123456789');
    expect(read([bytes(text)], { maxHeadBytes: text.length }).state).toBe('done');
    expect(read([bytes(text)], { maxHeadBytes: text.length - 1 })).toEqual({
      state: 'failed',
      status: 431,
      reason: `Request head is larger than ${text.length - 1} bytes`,
    });
  });

  it('431 as soon as an unfinished line passes the limit, across chunks', () => {
    const reader = new RequestHeadReader({ maxHeadBytes: 64 });
    expect(reader.push(bytes('GET /')).state).toBe('more');
    expect(reader.push(bytes('a'.repeat(40))).state).toBe('more');
    expect(reader.push(bytes('a'.repeat(40)))).toMatchObject({ state: 'failed', status: 431 });
  });

  it(`defaults to ${DEFAULT_MAX_HEADERS} header lines and ${DEFAULT_MAX_HEAD_BYTES} bytes`, () => {
    const lines = (count: number) => Array.from({ length: count }, (_, i) => `X-${i}: 1`);
    expect(read([bytes(request(...lines(DEFAULT_MAX_HEADERS - 1)))]).state).toBe('done');
    expect(read([bytes(request(...lines(DEFAULT_MAX_HEADERS)))])).toMatchObject({ status: 431 });
    const padding = (length: number) => `X-Pad: ${'p'.repeat(length)}`;
    const fixed = request(padding(0)).length;
    expect(read([bytes(request(padding(DEFAULT_MAX_HEAD_BYTES - fixed)))]).state).toBe('done');
    expect(read([bytes(request(padding(DEFAULT_MAX_HEAD_BYTES - fixed + 1)))])).toMatchObject({
      status: 431,
    });
  });
});

describe('bodyFramingError', () => {
  it('refuses Transfer-Encoding and a non-zero Content-Length on an upgrade request', () => {
    expect(bodyFramingError({ 'transfer-encoding': 'chunked' })).toMatch(/Transfer-Encoding/);
    expect(bodyFramingError({ 'content-length': '5' })).toMatch(/body/);
    expect(bodyFramingError({ 'content-length': ['0', '0'] })).toMatch(/body/);
  });

  it('lets a request without a body through', () => {
    expect(bodyFramingError({ host: 'h' })).toBeNull();
    expect(bodyFramingError({ 'content-length': '0' })).toBeNull();
  });
});
