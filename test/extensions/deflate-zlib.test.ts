// The permessage-deflate engines over node:zlib: RFC 7692 §7.2 byte-exact examples, round
// trips at every window size, bombs and corrupt input for both engines; close() and the
// process-wide limit of the streams engine (deflate-native.test.ts has the native one's).
import zlib from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createZlibCompressor,
  DEFAULT_ZLIB_CONCURRENCY,
  setZlibConcurrency,
  type ZlibCompressor,
  type ZlibCompressorParams,
  zlibJobCounts,
} from '../../src/extensions/deflate-zlib.js';
import type { InflateResult } from '../../src/session/compression.js';
import { concat, hex, toHex } from '../support/frames.js';

const NO_TAKEOVER: Omit<ZlibCompressorParams, 'role'> = {
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const TAKEOVER = { ...NO_TAKEOVER, serverNoContextTakeover: false, clientNoContextTakeover: false };

/** The engine the running block tests (set by each block's beforeAll). */
let currentEngine: 'native' | 'streams' = 'streams';

/** A server engine and a client engine agreed on the same parameters. */
function pair(params: Omit<ZlibCompressorParams, 'role'>): {
  server: ZlibCompressor;
  client: ZlibCompressor;
} {
  return {
    server: createZlibCompressor({ engine: currentEngine, ...params, role: 'server' }),
    client: createZlibCompressor({ engine: currentEngine, ...params, role: 'client' }),
  };
}

function deflate(engine: ZlibCompressor, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    engine.deflate(data, (result) => (result.ok ? resolve(result.data) : reject(result.error))),
  );
}

function inflate(engine: ZlibCompressor, data: Uint8Array, maxBytes = 64 << 20): Promise<InflateResult> {
  return new Promise((resolve) => engine.inflate(data, maxBytes, resolve));
}

async function inflated(engine: ZlibCompressor, data: Uint8Array): Promise<string> {
  const result = await inflate(engine, data);
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}`);
  return Buffer.from(result.data).toString('latin1');
}

const text = (s: string) => new TextEncoder().encode(s);

/** A seeded PRNG (mulberry32), so failures replay. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Half random bytes, half words drawn from a small vocabulary: compressible, with matches across messages. */
function message(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const words = ['{"id":', '"name":"', 'permessage', '-deflate', '},', ' ', '0123456789'];
  let i = 0;
  while (i < length) {
    if (random() < 0.5) out[i++] = (random() * 256) | 0;
    else for (const byte of text(words[(random() * words.length) | 0])) if (i < length) out[i++] = byte;
  }
  return out;
}

afterEach(() => setZlibConcurrency(DEFAULT_ZLIB_CONCURRENCY));

describe.each(['native', 'streams'] as const)('%s engine', (engine) => {
  beforeAll(() => {
    currentEngine = engine;
  });

  describe('RFC 7692 §7.2.3 examples', () => {
    it('§7.2.3.1: decodes and encodes "Hello" byte-exact', async () => {
      const { server, client } = pair(NO_TAKEOVER);
      expect(await inflated(server, hex('f2 48 cd c9 c9 07 00'))).toBe('Hello');
      expect(toHex(await deflate(server, text('Hello')))).toBe('f248cdc9c90700');
      // Without context takeover every message is encoded afresh.
      expect(toHex(await deflate(server, text('Hello')))).toBe('f248cdc9c90700');
      expect(toHex(await deflate(client, text('Hello')))).toBe('f248cdc9c90700');
    });

    it('§7.2.3.2: the second "Hello" with context takeover is f2 00 11 00 00, both ways', async () => {
      const { server, client } = pair(TAKEOVER);
      expect(toHex(await deflate(server, text('Hello')))).toBe('f248cdc9c90700');
      expect(toHex(await deflate(server, text('Hello')))).toBe('f2001100' + '00');
      expect(await inflated(client, hex('f2 48 cd c9 c9 07 00'))).toBe('Hello');
      expect(await inflated(client, hex('f2 00 11 00 00'))).toBe('Hello');
    });

    it('§7.2.3.2: without context takeover the peer cannot refer to the previous message', async () => {
      const { client } = pair(NO_TAKEOVER);
      expect(await inflated(client, hex('f2 48 cd c9 c9 07 00'))).toBe('Hello');
      expect(await inflate(client, hex('f2 00 11 00 00'))).toMatchObject({ ok: false, reason: 'corrupt' });
    });

    it('§7.2.3.3: decodes a message sent as an uncompressed (stored) block', async () => {
      const { server } = pair(TAKEOVER);
      expect(await inflated(server, hex('00 05 00 fa ff 48 65 6c 6c 6f 00'))).toBe('Hello');
    });

    it('§7.2.3.4: decodes a block with BFINAL set, and the messages after it', async () => {
      const { server } = pair(TAKEOVER);
      expect(await inflated(server, hex('f3 48 cd c9 c9 07 00 00'))).toBe('Hello');
      // The sender's stream ended: the next message starts a new one, which we must still read.
      expect(await inflated(server, hex('f2 48 cd c9 c9 07 00'))).toBe('Hello');
      expect(await inflated(server, hex('f2 00 11 00 00'))).toBe('Hello');
    });

    it('§7.2.3.6: the empty message is 00, fresh or after other messages', async () => {
      const { server, client } = pair(TAKEOVER);
      expect(toHex(await deflate(server, new Uint8Array(0)))).toBe('00');
      expect(toHex(await deflate(server, text('Hello')))).toBe('f248cdc9c90700');
      expect(toHex(await deflate(server, new Uint8Array(0)))).toBe('00');
      expect(toHex(await deflate(server, new Uint8Array(0)))).toBe('00');
      expect(await inflated(client, hex('00'))).toBe('');
      expect(await inflated(client, hex('f2 48 cd c9 c9 07 00'))).toBe('Hello');
      expect(await inflated(client, hex('00'))).toBe('');
      expect(await inflated(client, hex('f2 00 11 00 00'))).toBe('Hello');
    });

    it('reads an empty payload as the empty message and leaves the context as it was', async () => {
      const { client } = pair(TAKEOVER);
      expect(await inflated(client, hex('f2 48 cd c9 c9 07 00'))).toBe('Hello');
      expect(await inflated(client, new Uint8Array(0))).toBe('');
      expect(await inflated(client, hex('f2 00 11 00 00'))).toBe('Hello');
    });
  });

  describe('the 00 00 ff ff tail (RFC 7692 §7.2.1, §7.2.2)', () => {
    it('strips it from every deflated message and appends it before inflating', async () => {
      const { server } = pair(TAKEOVER);
      const random = prng(7);
      const sent: Uint8Array[] = [];
      const wire: Uint8Array[] = [];
      for (const length of [0, 1, 300, 20_000, 0, 70_000]) {
        const data = message(random, length);
        const payload = await deflate(server, data);
        expect(toHex(payload.subarray(-4))).not.toBe('0000ffff');
        sent.push(data);
        wire.push(payload, hex('00 00 ff ff'));
      }
      // With context takeover the payloads, each given its tail back, are one raw deflate stream.
      expect(
        Buffer.from(zlib.inflateRawSync(concat(wire), { finishFlush: zlib.constants.Z_SYNC_FLUSH })).equals(
          concat(sent),
        ),
      ).toBe(true);
    });
  });

  describe('round trips', () => {
    const sizes = [0, 1, 125, 1024, 16_384, 16_385, 100_000];
    for (let bits = 9; bits <= 15; bits++) {
      for (const takeover of [true, false]) {
        it(`window bits ${bits}, ${takeover ? 'context takeover' : 'no context takeover'}`, async () => {
          const params = {
            serverNoContextTakeover: !takeover,
            clientNoContextTakeover: !takeover,
            serverMaxWindowBits: bits,
            clientMaxWindowBits: bits,
          };
          const { server, client } = pair(params);
          const random = prng(bits * 2 + Number(takeover));
          const all = bits === 15 ? [...sizes, 1 << 20] : sizes;
          for (const length of [...all, ...all.slice().reverse()]) {
            const data = message(random, length);
            for (const [from, to] of [
              [server, client],
              [client, server],
            ]) {
              const result = await inflate(to, await deflate(from, data));
              expect(result.ok && Buffer.from(result.data).equals(data)).toBe(true);
            }
          }
          // Both keep their contexts while messages come (the native one drops its deflater when idle).
          expect(server.contexts).toEqual({ deflate: takeover, inflate: takeover });
          server.close();
          client.close();
        });
      }
    }

    it('deflates with its own side of the agreement and inflates with the peer side', async () => {
      // The server may use a 32 KiB window; the client agreed to 512 bytes.
      const params = { ...TAKEOVER, serverMaxWindowBits: 15, clientMaxWindowBits: 9 };
      const { server, client } = pair(params);
      const data = message(prng(3), 200_000);
      const fromClient = await deflate(client, data);
      // An independent inflater with a 512-byte window reads what the client sent.
      const narrow = zlib.inflateRawSync(concat([fromClient, hex('00 00 ff ff')]), {
        windowBits: 9,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
      expect(Buffer.from(narrow).equals(data)).toBe(true);
      const result = await inflate(server, fromClient);
      expect(result.ok && Buffer.from(result.data).equals(data)).toBe(true);
      const back = await inflate(client, await deflate(server, data));
      expect(back.ok && Buffer.from(back.data).equals(data)).toBe(true);
    });

    it('refuses to compress with window bits 8, but inflates what such a peer sends', async () => {
      expect(() => createZlibCompressor({ ...TAKEOVER, role: 'server', serverMaxWindowBits: 8 })).toThrow(
        RangeError,
      );
      expect(() => createZlibCompressor({ ...TAKEOVER, role: 'client', clientMaxWindowBits: 8 })).toThrow(
        RangeError,
      );
      expect(() => createZlibCompressor({ ...TAKEOVER, role: 'server', clientMaxWindowBits: 16 })).toThrow(
        RangeError,
      );
      expect(() => createZlibCompressor({ ...TAKEOVER, role: 'server', memLevel: 0 })).toThrow(RangeError);
      const server = createZlibCompressor({ ...TAKEOVER, role: 'server', clientMaxWindowBits: 8 });
      // Node's DeflateRaw silently compresses with 9 when asked for 8; that must still be read.
      const data = message(prng(5), 50_000);
      const fromPeer = zlib.deflateRawSync(data, { windowBits: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
      const result = await inflate(server, fromPeer.subarray(0, -4));
      expect(result.ok && Buffer.from(result.data).equals(data)).toBe(true);
    });
  });

  /** Raw deflate of `total` zero bytes as one message (~1 KiB per MiB): sync-flushed segments, one after another. */
  function bomb(total: number): Uint8Array {
    const step = 1 << 20;
    const segment = zlib.deflateRawSync(Buffer.alloc(step), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const parts: Uint8Array[] = [];
    for (let made = 0; made < total; made += step) parts.push(segment);
    return concat(parts).subarray(0, -4);
  }

  describe('decompression bombs', () => {
    it('stops a 1 GiB bomb at the limit, having produced at most one chunk beyond it', async () => {
      const payload = bomb(1 << 30);
      expect(payload.length).toBeLessThan(1100 * 1024);
      const { server } = pair(TAKEOVER);
      const maxBytes = 16 << 20;
      expect(await inflate(server, payload, maxBytes)).toEqual({ ok: false, reason: 'too-large' });
      expect(server.lastInflateOutput).toBeGreaterThan(maxBytes);
      expect(server.lastInflateOutput).toBeLessThanOrEqual(maxBytes + 16 * 1024);
      // The stream that held the bomb is gone; the engine still reads a new message.
      expect(server.contexts.inflate).toBe(false);
      expect(await inflated(server, hex('f2 48 cd c9 c9 07 00'))).toBe('Hello');
    });

    it('accepts a message of exactly maxBytes and refuses one byte more', async () => {
      const { server, client } = pair(NO_TAKEOVER);
      const data = message(prng(11), 40_000);
      const payload = await deflate(client, data);
      expect((await inflate(server, payload, 40_000)).ok).toBe(true);
      expect(await inflate(server, payload, 39_999)).toEqual({ ok: false, reason: 'too-large' });
    });
  });

  describe('corrupt input', () => {
    it('reports corrupt with zlib message, and reads the next message on a new stream', async () => {
      const { server } = pair(TAKEOVER);
      const result = await inflate(server, hex('ff ff ff ff 01 02 03'));
      expect(result).toMatchObject({ ok: false, reason: 'corrupt' });
      expect(result.ok === false && result.reason === 'corrupt' && result.message.length > 0).toBe(true);
      expect(server.contexts.inflate).toBe(false);
      expect(await inflated(server, hex('f2 48 cd c9 c9 07 00'))).toBe('Hello');
    });

    it('reports a reference beyond the window agreed as corrupt', async () => {
      const { server } = pair({ ...TAKEOVER, clientMaxWindowBits: 9 });
      const data = message(prng(13), 40_000);
      const wide = zlib.deflateRawSync(concat([data, data]), {
        windowBits: 15,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
      expect(await inflate(server, wide.subarray(0, -4))).toMatchObject({ ok: false, reason: 'corrupt' });
    });
  });
});

type ZlibStream = zlib.DeflateRaw | zlib.InflateRaw;

/** Counts zlib writes in flight and every zlib stream that did work, by wrapping _transform. */
function watchZlib(): { maxInFlight: number; streams: Set<ZlibStream>; restore(): void } {
  const watch = { maxInFlight: 0, streams: new Set<ZlibStream>(), restore: () => {} };
  let inFlight = 0;
  const restores: Array<() => void> = [];
  const prototypes = [zlib.DeflateRaw.prototype, zlib.InflateRaw.prototype] as unknown[];
  for (const proto of prototypes as Array<Record<string, unknown>>) {
    const original = proto._transform as (this: ZlibStream, ...args: unknown[]) => void;
    proto._transform = function (this: ZlibStream, chunk: unknown, encoding: unknown, callback: () => void) {
      watch.streams.add(this);
      inFlight++;
      watch.maxInFlight = Math.max(watch.maxInFlight, inFlight);
      original.call(this, chunk, encoding, (...args: unknown[]) => {
        inFlight--;
        (callback as (...a: unknown[]) => void)(...args);
      });
    };
    restores.push(() => delete proto._transform);
  }
  watch.restore = () => {
    for (const restore of restores) restore();
  };
  return watch;
}

describe('close()', () => {
  beforeAll(() => {
    currentEngine = 'streams';
  });

  it('silences pending callbacks and releases both streams', async () => {
    const watch = watchZlib();
    try {
      const { server, client } = pair(TAKEOVER);
      const big = message(prng(17), 256 * 1024);
      const payload = await deflate(client, big);
      let called = 0;
      server.deflate(big, () => called++);
      server.inflate(payload, 64 << 20, () => called++);
      server.inflate(payload, 64 << 20, () => called++); // queued behind the first
      server.close();
      // A later job on another engine finishes after the abandoned ones would have.
      const other = createZlibCompressor({ ...TAKEOVER, role: 'server', engine: 'streams' });
      await inflate(other, payload);
      await deflate(other, big);
      other.close();
      client.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(called).toBe(0);
      expect(server.contexts).toEqual({ deflate: false, inflate: false });
      expect(zlibJobCounts()).toEqual({ running: 0, queued: 0 });
      server.deflate(big, () => called++); // after close: ignored
      expect(zlibJobCounts()).toEqual({ running: 0, queued: 0 });
    } finally {
      watch.restore();
    }
  });

  it('leaves no zlib stream open after many open/close cycles', async () => {
    const watch = watchZlib();
    try {
      for (let i = 0; i < 300; i++) {
        const { server, client } = pair(i % 2 ? TAKEOVER : NO_TAKEOVER);
        const data = text(`message ${i} `.repeat(50));
        const result = await inflate(client, await deflate(server, data));
        expect(result.ok).toBe(true);
        client.deflate(data, () => {}); // still running at close for half of them
        if (i % 2) await new Promise((resolve) => setImmediate(resolve));
        server.close();
        client.close();
      }
      expect(watch.streams.size).toBeGreaterThanOrEqual(600);
      const open = [...watch.streams].filter(
        (s) => !s.destroyed || (s as unknown as { _handle: unknown })._handle,
      );
      expect(open).toEqual([]);
      expect(zlibJobCounts()).toEqual({ running: 0, queued: 0 });
    } finally {
      watch.restore();
    }
  });

  it('holds no zlib context before the first message', () => {
    const { server } = pair(TAKEOVER);
    expect(server.contexts).toEqual({ deflate: false, inflate: false });
    server.close();
  });
});

describe('the process-wide concurrency limit', () => {
  it('runs at most N zlib jobs at once and starts them in call order', async () => {
    setZlibConcurrency(2);
    const watch = watchZlib();
    try {
      const engines = Array.from({ length: 8 }, () =>
        createZlibCompressor({ ...TAKEOVER, role: 'server', engine: 'streams' }),
      );
      const data = message(prng(19), 256 * 1024);
      const order: number[] = [];
      const all = engines.map(
        (engine, i) =>
          new Promise<void>((resolve) =>
            engine.deflate(data, () => {
              order.push(i);
              resolve();
            }),
          ),
      );
      expect(zlibJobCounts()).toEqual({ running: 2, queued: 6 });
      await Promise.all(all);
      expect(watch.maxInFlight).toBe(2);
      for (const engine of engines) engine.close();

      // With one slot the whole process is FIFO.
      setZlibConcurrency(1);
      const fifo: string[] = [];
      const jobs: Promise<void>[] = [];
      const fresh = Array.from({ length: 4 }, () =>
        createZlibCompressor({ ...TAKEOVER, role: 'server', engine: 'streams' }),
      );
      for (let round = 0; round < 3; round++)
        for (const [i, engine] of fresh.entries()) {
          const size = (4 - i) * 50_000; // larger first: completion order is not size order
          jobs.push(
            new Promise((resolve) =>
              engine.deflate(message(prng(round * 4 + i), size), () => {
                fifo.push(`${round}:${i}`);
                resolve();
              }),
            ),
          );
        }
      await Promise.all(jobs);
      expect(fifo.join(' ')).toBe('0:0 0:1 0:2 0:3 1:0 1:1 1:2 1:3 2:0 2:1 2:2 2:3');
      for (const engine of fresh) engine.close();
    } finally {
      watch.restore();
    }
  });

  it('calls back one connection in call order even when called ahead of results', async () => {
    const { server, client } = pair(TAKEOVER);
    const messages = [300_000, 10, 50_000, 0, 5].map((n, i) => message(prng(23 + i), n));
    const payloads = await Promise.all(messages.map((data) => deflate(server, data)));
    const results = await Promise.all(payloads.map((payload) => inflate(client, payload)));
    results.forEach((result, i) => {
      expect(result.ok && Buffer.from(result.data).equals(messages[i])).toBe(true);
    });
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => setZlibConcurrency(0)).toThrow(RangeError);
    expect(() => setZlibConcurrency(1.5)).toThrow(RangeError);
  });
});
