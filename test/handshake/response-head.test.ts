// ResponseReader: the server's answer head read from bytes in any split, the frames after a 101
// left untouched, refusal bodies bounded, malformed heads named.
import { describe, expect, it } from 'vitest';
import { type ReadResult, ResponseReader } from '../../src/handshake/response-head.js';

/** Latin1 bytes in a plain Uint8Array, as a browser would have them. */
const encode = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

/** Feeds `bytes` cut at `cut` (0: in one piece) and returns the first conclusive result. */
function read(bytes: Uint8Array, cut = 0, reader = new ResponseReader(1024, 64)): ReadResult {
  const pieces = cut === 0 ? [bytes] : [bytes.subarray(0, cut), bytes.subarray(cut)];
  let result: ReadResult = { state: 'more' };
  for (const piece of pieces) {
    result = reader.push(piece);
    if (result.state !== 'more') return result;
  }
  return reader.finish() ?? result;
}

describe('ResponseReader', () => {
  const upgrade = encode(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n\x81\x02hi',
  );

  it('reads a 101 head and hands back the bytes after it, whatever the split', () => {
    for (let cut = 0; cut < upgrade.length; cut++) {
      const result = read(upgrade, cut);
      expect(result.state, `cut at ${cut}`).toBe('upgraded');
      if (result.state !== 'upgraded') return;
      expect(result.head).toEqual({
        status: 101,
        statusText: 'Switching Protocols',
        headers: { upgrade: 'websocket', 'set-cookie': ['a=1', 'b=2'] },
      });
      // The rest is what came in the same push as the end of the head; later bytes are the caller's.
      const headEnd = upgrade.length - 4;
      const pushedUpTo = cut >= headEnd ? cut : upgrade.length;
      expect([...result.rest]).toEqual([
        ...upgrade.subarray(headEnd, cut === 0 ? upgrade.length : pushedUpTo),
      ]);
    }
  });

  it('reads a refusal body up to its Content-Length, whatever the split', () => {
    const refusal = encode('HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\n\r\nlogin and more');
    for (let cut = 1; cut < refusal.length; cut++) {
      expect(read(refusal, cut), `cut at ${cut}`).toMatchObject({ state: 'refused', body: 'login' });
    }
  });

  it('keeps at most maxBody bytes of a body without a length, once the connection ends', () => {
    const reader = new ResponseReader(1024, 8);
    expect(reader.push(encode('HTTP/1.0 500 Oops\r\n\r\nabc')).state).toBe('more');
    expect(reader.finish()).toMatchObject({ state: 'refused', head: { status: 500 }, body: 'abc' });
    expect(
      read(encode(`HTTP/1.1 502 Bad Gateway\r\n\r\n${'z'.repeat(100)}`), 0, new ResponseReader(1024, 8)),
    ).toEqual(expect.objectContaining({ body: 'zzzzzzzz' }));
  });

  it('reads a chunked refusal body up to its last chunk, whatever the split', () => {
    const refusal = encode(
      'HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n4\r\n caf\r\n0\r\n\r\n',
    );
    for (let cut = 1; cut < refusal.length; cut++) {
      expect(read(refusal, cut), `cut at ${cut}`).toMatchObject({ state: 'refused', body: 'hello caf' });
    }
  });

  it('reads no body for 204 and decodes a body as UTF-8', () => {
    expect(read(encode('HTTP/1.1 204 No Content\r\n\r\n'))).toMatchObject({ state: 'refused', body: '' });
    const utf8 = new TextEncoder().encode('HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\n\r\nnon ✓');
    expect(read(utf8)).toMatchObject({ state: 'refused', body: 'non ✓' });
  });

  it('keeps obs-text in header values as latin1 characters', () => {
    expect(read(encode('HTTP/1.1 101 OK\r\nX-Name: caf\xe9 \x80\r\n\r\n'))).toMatchObject({
      head: { headers: { 'x-name': 'caf\xe9 \x80' } },
    });
  });

  it('skips interim 1xx answers', () => {
    const result = read(encode('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 101 OK\r\n\r\n'));
    expect(result).toMatchObject({ state: 'upgraded', head: { status: 101 } });
  });

  it('accepts a status line without a reason phrase', () => {
    expect(read(encode('HTTP/1.1 101\r\n\r\n'))).toMatchObject({
      state: 'upgraded',
      head: { statusText: '' },
    });
  });

  it.each([
    ['not HTTP', 'ICY 200 OK\r\n\r\n', /Invalid status line/],
    ['HTTP/2 in text', 'HTTP/2 101 X\r\n\r\n', /Invalid status line/],
    ['a header without a colon', 'HTTP/1.1 101 X\r\nUpgrade websocket\r\n\r\n', /Invalid header line/],
    ['a space before the colon', 'HTTP/1.1 101 X\r\nUpgrade : websocket\r\n\r\n', /Invalid header line/],
    ['a folded line', 'HTTP/1.1 101 X\r\nA: b\r\n c\r\n\r\n', /Folded/],
    ['a control character in a value', 'HTTP/1.1 101 X\r\nA: b\x01\r\n\r\n', /Invalid value for header A$/],
    ['a bare CR in a header line', 'HTTP/1.1 101 X\r\nA: b\rc\r\n\r\n', /Invalid header line/],
    ['a control character in the reason', 'HTTP/1.1 101 X\x01\r\n\r\n', /Invalid status line/],
    ['a head over the limit', `HTTP/1.1 101 X\r\nA: ${'b'.repeat(2000)}\r\n\r\n`, /exceeds 1024 bytes/],
  ])('names what is wrong with %s', (_, text, reason) => {
    const result = read(encode(text));
    expect(result.state).toBe('malformed');
    if (result.state === 'malformed') expect(result.reason).toMatch(reason);
  });

  it('gives up on an endless head without waiting for its end', () => {
    const reader = new ResponseReader(1024, 64);
    expect(reader.push(encode('HTTP/1.1 101 X\r\n')).state).toBe('more');
    expect(reader.push(encode(`A: ${'b'.repeat(1100)}`)).state).toBe('malformed');
    expect(reader.finish()).toBeUndefined();
  });
});
