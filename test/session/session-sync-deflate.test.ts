// permessage-deflate in the session over the real native engine: a small compressed message is
// answered in the turn it arrives (no thread-pool round trip), and order holds when messages on
// the synchronous path and on the thread pool interleave, received and sent.
import { describe, expect, it } from 'vitest';
import { createZlibCompressor, type ZlibCompressor } from '../../src/extensions/deflate-zlib.js';
import type { InflateResult } from '../../src/session/compression.js';
import { createMemoryPair } from '../../src/session/memory-pair.js';
import { accept } from '../../src/session/start.js';
import type { Handler } from '../../src/session/types.js';
import { handshake, RawPeer } from './helpers.js';

const RSV1 = 0x40;
const AGREED = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 13,
  clientMaxWindowBits: 13,
};

const echo: Handler = {
  message(session, data) {
    session.send(data);
  },
};

function server(engine: 'native' | 'streams', syncLimit?: number) {
  const [ours, theirs] = createMemoryPair();
  const compressor = createZlibCompressor({ ...AGREED, role: 'server', engine, syncLimit });
  const session = accept(ours, handshake(), echo, { compression: { compressor, threshold: 1 } });
  const peer = new RawPeer(theirs, true);
  session.activate();
  return { session, peer };
}

function json(seed: number, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++)
    out += `{"n":${seed * 100 + i},"tag":"t${(seed * 31 + i) % 17}"},`;
  return out.slice(0, length);
}

function deflate(engine: ZlibCompressor, data: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    engine.deflate(Buffer.from(data), (result) => (result.ok ? resolve(result.data) : reject(result.error))),
  );
}

function inflate(engine: ZlibCompressor, data: Uint8Array): Promise<InflateResult> {
  return new Promise((resolve) => engine.inflate(data, 1 << 24, resolve));
}

/** Lets microtasks run, never a macrotask: zlib's thread pool cannot call back meanwhile. */
async function microtasks(count = 50): Promise<void> {
  for (let i = 0; i < count; i++) await Promise.resolve();
}

/** The server's frames (unmasked), whole: parseChunks only digests payloads. */
function frames(peer: RawPeer): Array<{ rsv1: boolean; payload: Buffer }> {
  const bytes = Buffer.concat(peer.chunks);
  const out: Array<{ rsv1: boolean; payload: Buffer }> = [];
  for (let at = 0; at + 2 <= bytes.length; ) {
    let length = bytes[at + 1] & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      start += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2));
      start += 8;
    }
    if (start + length > bytes.length) break;
    expect(bytes[at] & 0x8f).toBe(0x81); // FIN, text: the session does not fragment these
    out.push({ rsv1: (bytes[at] & RSV1) !== 0, payload: bytes.subarray(start, start + length) });
    at = start + length;
  }
  return out;
}

/** The peer's view: each message the session sent, inflated when RSV1 is set. */
async function replies(peer: RawPeer, inflater: ZlibCompressor): Promise<string[]> {
  const out: string[] = [];
  for (const frame of frames(peer)) {
    if (!frame.rsv1) {
      out.push(`plain:${frame.payload.toString()}`);
      continue;
    }
    const result = await inflate(inflater, frame.payload);
    out.push(result.ok ? Buffer.from(result.data).toString() : `failed:${result.reason}`);
  }
  return out;
}

describe('the synchronous path in a session', () => {
  it('answers a 1 KiB compressed message within the turn it arrives', async () => {
    const client = createZlibCompressor({ ...AGREED, role: 'client' });
    const message = json(1, 1024);
    const { peer, session } = server('native');
    peer.send(1, await deflate(client, message), { rsv: RSV1 });
    await microtasks();
    expect(await replies(peer, client)).toEqual([message]);
    session.terminate();
  });

  it('(the streams engine needs the thread pool for the same message)', async () => {
    const client = createZlibCompressor({ ...AGREED, role: 'client' });
    const { peer, session } = server('streams');
    peer.send(1, await deflate(client, json(1, 1024)), { rsv: RSV1 });
    await microtasks();
    expect(peer.chunks).toEqual([]);
    session.terminate();
  });

  it('keeps order when sync and thread-pool messages interleave, received and sent', async () => {
    const client = createZlibCompressor({ ...AGREED, role: 'client', syncLimit: 4096 });
    const { peer, session } = server('native', 4096);
    // Sizes around the 4 KiB limit: inflated (compressed size) and deflated (message size)
    // each take either path; plain frames between them skip zlib but not the queue.
    const sizes = [1024, 60_000, 200, 4096, 4097, 120_000, 10, 30_000, 1500];
    const sent: string[] = [];
    for (const [i, size] of sizes.entries()) {
      const message = json(i, size);
      sent.push(message);
      peer.send(1, await deflate(client, message), { rsv: RSV1 });
      if (i % 3 === 2) {
        peer.send(1, `plain ${i}`);
        sent.push(`plain ${i}`);
      }
    }
    for (let i = 0; i < 200; i++) {
      if (frames(peer).length === sent.length) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    // Plain echoes go out compressed (threshold 1) except those under it: all are inflated here.
    const got = await replies(peer, client);

    expect(got).toEqual(sent);
    session.terminate();
  });
});
