// `textAs: 'bytes'`: text messages reach the handler as their checked UTF-8 bytes, with
// isBinary false, so an echo or relay never decodes them; violations still close with 1007.
import { describe, expect, it } from 'vitest';
import { createMemoryPair } from '../../src/session/memory-pair.js';
import { accept } from '../../src/session/start.js';
import type { Handler } from '../../src/session/types.js';
import { digest, text } from '../support/frames.js';
import { handshake, RawPeer, settle } from './helpers.js';

function serverWith(handler: Handler, compressed = false) {
  const [ours, theirs] = createMemoryPair();
  const session = accept(ours, handshake(), handler, {
    textAs: 'bytes',
    compression: compressed
      ? {
          compressor: {
            inflate: (data, _max, done) => done({ ok: true, data: data.slice() }),
            deflate: (data, done) => done({ ok: true, data: data.slice() }),
            close() {},
          },
          threshold: 1 << 20,
        }
      : undefined,
  });
  const peer = new RawPeer(theirs, true);
  session.activate();
  return { session, peer };
}

const echo: Handler = {
  message(session, data, isBinary) {
    session.send(data, { binary: isBinary });
  },
};

describe("textAs: 'bytes'", () => {
  it('delivers text as its UTF-8 bytes with isBinary false, binary as before', async () => {
    const got: [unknown, boolean][] = [];
    const { peer } = serverWith({ message: (_s, data, isBinary) => void got.push([data, isBinary]) });
    const long = 'é'.repeat(3000);
    peer.transport.write([peer.frame(1, 'héllo'), peer.frame(2, text('bin')), peer.frame(1, long)]);
    await settle();
    expect(got.map(([data, isBinary]) => [data instanceof Uint8Array, isBinary])).toEqual([
      [true, false],
      [true, true],
      [true, false],
    ]);
    expect(new TextDecoder().decode(got[0][0] as Uint8Array)).toBe('héllo');
    expect(new TextDecoder().decode(got[2][0] as Uint8Array)).toBe(long);
  });

  it('echoes text as text with send(data, { binary: isBinary })', async () => {
    const { peer } = serverWith(echo);
    peer.send(1, 'ünïcode');
    peer.send(1, 'x'.repeat(20_000));
    await settle();
    const [short, long] = peer.frames();
    expect([short.opcode, long.opcode]).toEqual([1, 1]);
    expect(peer.summary()[0]).toBe('text:ünïcode');
    expect(long.payload).toBe(digest(text('x'.repeat(20_000))));
  });

  it('still closes with 1007 on text that is not UTF-8, after what came before', async () => {
    const { peer } = serverWith(echo);
    peer.transport.write([peer.frame(1, 'ok'), peer.frame(1, new Uint8Array([0x61, 0xff]))]);
    await settle();
    expect(peer.summary().map((f) => f.split(':').slice(0, 2).join(':'))).toEqual(['text:ok', 'close:1007']);
  });

  it('checks inflated text too: bytes when UTF-8, 1007 when not', async () => {
    const got: unknown[] = [];
    const { peer } = serverWith({ message: (_s, data, isBinary) => void got.push([data, isBinary]) }, true);
    peer.transport.write([
      peer.frame(1, 'zipped', { rsv: 0x40 }),
      peer.frame(1, new Uint8Array([0xc3, 0x28]), { rsv: 0x40 }),
    ]);
    await settle();
    expect(got).toHaveLength(1);
    expect(new TextDecoder().decode((got[0] as [Uint8Array])[0])).toBe('zipped');
    expect(peer.summary().map((f) => f.split(':').slice(0, 2).join(':'))).toEqual(['close:1007']);
  });

  it('rejects a textAs that is neither string nor bytes', () => {
    const [ours] = createMemoryPair();
    expect(() => accept(ours, handshake(), echo, { textAs: 'buffer' as 'bytes' }).activate()).toThrow(
      TypeError,
    );
  });
});
