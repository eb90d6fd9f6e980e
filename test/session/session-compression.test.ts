// permessage-deflate in the session (RFC 7692 §6), over a stand-in engine whose
// "compression" is the identity with a delay: what is under test is ordering, limits and
// the RSV1 bit, not zlib (test/extensions/deflate-zlib.test.ts covers that).
import { describe, expect, it } from 'vitest';
import type { InflateResult, MessageCompressor } from '../../src/session/compression.js';
import { createMemoryPair } from '../../src/session/memory-pair.js';
import { accept } from '../../src/session/start.js';
import type { Handler, Session } from '../../src/session/types.js';
import { type ParsedFrame, parseChunks, text } from '../support/frames.js';
import { handshake, RawPeer, settle } from './helpers.js';

const RSV1 = 0x40;

/** Identity "zlib", answering after a macrotask; `corrupt` bytes fail to inflate. */
function standInCompressor(log: string[] = []): MessageCompressor {
  return {
    inflate(data, maxBytes, done) {
      log.push(`inflate ${data.length}`);
      setTimeout(() => {
        const result: InflateResult =
          data.length > maxBytes
            ? { ok: false, reason: 'too-large' }
            : new TextDecoder().decode(data) === 'corrupt'
              ? { ok: false, reason: 'corrupt', message: 'invalid block type' }
              : { ok: true, data: data.slice() };
        done(result);
      }, 1);
    },
    deflate(data, done) {
      log.push(`deflate ${data.length}`);
      setTimeout(() => done({ ok: true, data: data.slice() }), 1);
    },
    close() {
      log.push('close');
    },
  };
}

function compressedServer(handler: Handler, options: { maxMessage?: number; threshold?: number } = {}) {
  const log: string[] = [];
  const [ours, theirs] = createMemoryPair();
  const session = accept(ours, handshake(), handler, {
    maxMessage: options.maxMessage,
    compression: { compressor: standInCompressor(log), threshold: options.threshold ?? 4 },
  });
  const peer = new RawPeer(theirs, true);
  session.activate();
  return { session, peer, log };
}

/** Frames the session sent, RSV1 allowed. */
function sent(peer: RawPeer): ParsedFrame[] {
  const result = parseChunks(peer.chunks, { role: 'client', allowRsv1: true });
  expect(result.error).toBeNull();
  return result.frames;
}

const describeFrame = (f: ParsedFrame) => {
  const payload = Buffer.from(f.payload, 'hex');
  const body = f.opcode === 8 ? `${payload.readUInt16BE(0)}` : payload.toString();
  return `${f.rsv & RSV1 ? 'z' : ''}${['', 'text', 'binary', '', '', '', '', '', 'close', 'ping', 'pong'][f.opcode]}:${body}`;
};

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(condition()).toBe(true);
}

const echo: Handler = {
  message(session, data) {
    session.send(data);
  },
};

describe('receiving compressed messages', () => {
  it('inflates one at a time and delivers in order with uncompressed ones between', async () => {
    const got: string[] = [];
    const { peer } = compressedServer({
      message: (_s, data) => void got.push(typeof data === 'string' ? data : new TextDecoder().decode(data)),
    });
    peer.transport.write([
      peer.frame(1, 'one', { rsv: RSV1 }),
      peer.frame(1, 'two'),
      peer.frame(2, text('three'), { rsv: RSV1 }),
      peer.frame(1, 'four'),
    ]);
    await until(() => got.length === 4);
    expect(got).toEqual(['one', 'two', 'three', 'four']);
  });

  it('delivers binary as a plain Uint8Array', async () => {
    const got: unknown[] = [];
    const { peer } = compressedServer({ message: (_s, data, isBinary) => void got.push([data, isBinary]) });
    peer.send(2, text('bin'), { rsv: RSV1 });
    await until(() => got.length === 1);
    const [data, isBinary] = got[0] as [Uint8Array, boolean];
    expect(isBinary).toBe(true);
    expect(data.constructor).toBe(Uint8Array);
    expect([...data]).toEqual([...text('bin')]);
  });

  for (const [name, frame, code, errorCode] of [
    ['too large after inflation', 'x'.repeat(40), 1009, 'WS_ERR_MESSAGE_TOO_LARGE'],
    ['not a deflate stream', 'corrupt', 1007, 'WS_ERR_INFLATE'],
  ] as const) {
    it(`a compressed message ${name} closes with ${code}, after the replies to what came before`, async () => {
      const errors: string[] = [];
      const { peer } = compressedServer(
        { ...echo, error: (_s, e) => void errors.push((e as { code: string }).code) },
        {
          maxMessage: 32,
        },
      );
      peer.transport.write([
        peer.frame(1, 'hi'),
        peer.frame(1, frame, { rsv: RSV1 }),
        peer.frame(1, 'after'),
      ]);
      await until(() => peer.ended);
      expect(sent(peer).map(describeFrame)).toEqual(['text:hi', `close:${code}`]);
      expect(errors).toEqual([errorCode]);
    });
  }

  it('an inflated text message that is not UTF-8 closes with 1007', async () => {
    const { peer } = compressedServer(echo);
    peer.send(1, Uint8Array.of(0xc3, 0x28, 0x41, 0x42), { rsv: RSV1 });
    await until(() => peer.ended);
    expect(sent(peer).map(describeFrame)).toEqual(['close:1007']);
  });

  it('keeps strict ordering: compressed messages before a violation are echoed first', async () => {
    const { peer } = compressedServer(echo);
    peer.transport.write([peer.frame(1, 'hello', { rsv: RSV1 }), peer.frame(3, 'bad')]);
    await until(() => peer.ended);
    expect(sent(peer).map(describeFrame)).toEqual(['ztext:hello', 'close:1002']);
  });

  it("keeps strict ordering: a compressed reply goes out before the echo of the peer's close", async () => {
    const { peer } = compressedServer(echo);
    peer.transport.write([peer.frame(1, 'hello', { rsv: RSV1 }), peer.frame(8, Uint8Array.of(0x03, 0xe8))]);
    await until(() => peer.ended);
    expect(sent(peer).map(describeFrame)).toEqual(['ztext:hello', 'close:1000']);
  });
});

describe('sending compressed messages', () => {
  it('compresses from the threshold up, sets RSV1 on them only, and keeps the order', async () => {
    let session!: Session;
    const { peer, log } = compressedServer(
      {
        open(s) {
          session = s;
        },
        message() {},
      },
      { threshold: 4 },
    );
    session.send('abc');
    session.send('abcdef');
    session.send('xy');
    session.send('uvwxyz', { compress: false });
    session.ping('p');
    await until(() => sent(peer).length === 5);
    // The ping is not held behind zlib; the messages keep their order.
    expect(sent(peer).map(describeFrame)).toEqual([
      'text:abc',
      'ping:p',
      'ztext:abcdef',
      'text:xy',
      'text:uvwxyz',
    ]);
    expect(log).toEqual(['deflate 6']);
  });

  it('counts messages waiting for zlib in bufferedAmount', () => {
    let session!: Session;
    compressedServer(
      {
        open(s) {
          session = s;
        },
        message() {},
      },
      { threshold: 4 },
    );
    session.send('a'.repeat(100));
    expect(session.bufferedAmount).toBeGreaterThanOrEqual(100);
  });

  it('close() waits for messages still with zlib: it is the last frame (RFC 6455 §5.5.1)', async () => {
    let session!: Session;
    const { peer } = compressedServer({
      open(s) {
        session = s;
      },
      message() {},
    });
    session.send('compress me');
    session.close(1000, 'bye');
    expect(session.state).toBe('closing');
    expect(session.send('dropped')).toBe(false);
    await until(() => sent(peer).length === 2);
    expect(sent(peer).map(describeFrame)).toEqual(['ztext:compress me', 'close:1000']);
  });

  it('releases the engine when the connection closes', async () => {
    let session!: Session;
    const { log } = compressedServer({
      open(s) {
        session = s;
      },
      message() {},
    });
    session.terminate();
    await settle();
    expect(log).toContain('close');
  });
});

describe('the end of the stream with compression', () => {
  it("a compressed message then the peer's FIN: the reply goes out before our end", async () => {
    const { peer } = compressedServer(echo);
    peer.transport.write([peer.frame(1, 'last words', { rsv: RSV1 })]);
    peer.transport.end();
    await until(() => peer.ended);
    expect(sent(peer).map(describeFrame)).toEqual(['ztext:last words']);
  });
});

describe('reading while zlib works', () => {
  it('goes on while a message inflates, and stops once 1 MiB of messages wait behind it', async () => {
    const pending: Array<() => void> = [];
    const compressor: MessageCompressor = {
      inflate(data, _maxBytes, done) {
        pending.push(() => done({ ok: true, data: data.slice() }));
      },
      deflate(data, done) {
        done({ ok: true, data });
      },
      close() {},
    };
    const got: number[] = [];
    const [ours, theirs] = createMemoryPair();
    const session = accept(
      ours,
      handshake(),
      { message: (_s, data) => void got.push((data as Uint8Array).length) },
      {
        compression: { compressor, threshold: 1024 },
      },
    );
    const peer = new RawPeer(theirs, true);
    session.activate();
    // 40 compressed messages of 64 KiB, one write each: 2.5 MiB.
    for (let i = 0; i < 40; i++) peer.send(2, new Uint8Array(64 * 1024), { rsv: RSV1 });
    for (let i = 0; i < 5; i++) await settle();
    // The first is with zlib; about 1 MiB more was read, the rest waits in the peer's side.
    expect(pending).toHaveLength(1);
    expect(theirs.bufferedAmount).toBeGreaterThan(1 << 20);
    while (got.length < 40) {
      pending.shift()?.();
      await settle();
    }
    expect(got).toEqual(Array(40).fill(64 * 1024));
    expect(theirs.bufferedAmount).toBe(0);
  });
});
