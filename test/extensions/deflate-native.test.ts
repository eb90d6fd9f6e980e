// The native permessage-deflate engine (deflate-native.ts over zlib-handle.ts): the node:zlib
// internals it needs, the synchronous path and its bounds, order across the sync and thread-pool
// paths, what a connection keeps between messages, and zlib's own inflater as the peer.
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  IDLE_RELEASE_MS,
  NativeMessageCompressor,
  sweepIdleDeflaters,
} from '../../src/extensions/deflate-native.js';
import {
  createZlibCompressor,
  DEFAULT_ZLIB_CONCURRENCY,
  setZlibConcurrency,
  type ZlibCompressor,
  type ZlibCompressorParams,
  zlibJobCounts,
} from '../../src/extensions/deflate-zlib.js';
import { nativeZlibUsable } from '../../src/extensions/zlib-handle.js';
import type { DeflateResult, InflateResult } from '../../src/session/compression.js';
import { concat } from '../support/frames.js';

const TAKEOVER = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 12,
  clientMaxWindowBits: 12,
};

function engine(params: Partial<ZlibCompressorParams> = {}): ZlibCompressor {
  return createZlibCompressor({ ...TAKEOVER, role: 'server', ...params });
}

/** Calls `op` and reports whether its callback came before it returned. */
function callSync<T>(op: (done: (result: T) => void) => void): { sync: boolean; result: T | undefined } {
  let result: T | undefined;
  let returned = false;
  let sync = false;
  op((r) => {
    result = r;
    sync = !returned;
  });
  returned = true;
  return { sync, result };
}

function deflated(result: DeflateResult | undefined): Uint8Array {
  if (!result?.ok) throw new Error('deflate failed');
  return result.data;
}

function json(seed: number, length: number): Uint8Array {
  let out = '';
  for (let i = 0; out.length < length; i++)
    out += `{"id":${seed * 1000 + i},"name":"user-${(seed * 7919 + i * 31) % 997}"},`;
  return Buffer.from(out.slice(0, length));
}

afterEach(() => setZlibConcurrency(DEFAULT_ZLIB_CONCURRENCY));

describe('node:zlib internals', () => {
  it('are there on this Node: otherwise every message takes the thread pool (the streams engine)', () => {
    // If this fails, node:zlib's _handle/_writeState changed: zlib-handle.ts needs updating.
    expect(nativeZlibUsable()).toBe(true);
    expect(engine()).toBeInstanceOf(NativeMessageCompressor);
    expect(engine({ engine: 'streams' })).not.toBeInstanceOf(NativeMessageCompressor);
  });
});

describe('the synchronous path', () => {
  it('deflates and inflates a 1 KiB message before the call returns, both roles', () => {
    const server = engine();
    const client = engine({ role: 'client' });
    const data = json(1, 1024);
    const down = callSync<DeflateResult>((done) => server.deflate(data, done));
    expect(down.sync).toBe(true);
    const back = callSync<InflateResult>((done) => client.inflate(deflated(down.result), 1 << 20, done));
    expect(back.sync).toBe(true);
    expect(back.result?.ok && Buffer.from(back.result.data).equals(data)).toBe(true);
  });

  it('takes messages up to syncLimit and leaves larger ones to a later turn', () => {
    const server = engine({ syncLimit: 2048 });
    expect(callSync((done) => server.deflate(json(2, 2048), done)).sync).toBe(true);
    expect(callSync((done) => server.deflate(json(3, 2049), done)).sync).toBe(false);
    server.close();
  });

  it('stops a 1 GiB bomb at maxBytes and one byte, in the same turn, then reads the next message', () => {
    const step = 1 << 20;
    const segment = zlib.deflateRawSync(Buffer.alloc(step), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const payload = concat(Array.from({ length: 1024 }, () => segment)).subarray(0, -4);
    const server = engine({ syncLimit: 2 << 20 });
    const maxBytes = 16 << 20;
    const before = process.memoryUsage().rss;
    const outcome = callSync<InflateResult>((done) => server.inflate(payload, maxBytes, done));
    expect(outcome.sync).toBe(true);
    expect(outcome.result).toEqual({ ok: false, reason: 'too-large' });
    expect(server.lastInflateOutput).toBe(maxBytes + 1);
    expect(process.memoryUsage().rss - before).toBeLessThan(3 * maxBytes);
    expect(server.contexts.inflate).toBe(false);
    const hello = callSync<InflateResult>((done) =>
      server.inflate(Buffer.from('f248cdc9c90700', 'hex'), 64, done),
    );
    expect(hello.result?.ok && Buffer.from(hello.result.data).toString()).toBe('Hello');
  });

  it('reports corrupt input in the same turn and reads the next message on a new context', () => {
    const server = engine();
    const bad = callSync<InflateResult>((done) => server.inflate(Uint8Array.of(0xff, 0xff, 0xff), 64, done));
    expect(bad.sync).toBe(true);
    expect(bad.result).toMatchObject({ ok: false, reason: 'corrupt' });
    const hello = callSync<InflateResult>((done) =>
      server.inflate(Buffer.from('f248cdc9c90700', 'hex'), 64, done),
    );
    expect(hello.result?.ok && Buffer.from(hello.result.data).toString()).toBe('Hello');
  });
});

describe('order across the two paths', () => {
  it('calls back in call order when small (sync) and large (thread-pool) messages interleave, both ways', async () => {
    const server = engine({ syncLimit: 4096 });
    const client = engine({ role: 'client', syncLimit: 4096 });
    const sizes = [1024, 100_000, 10, 4096, 50_000, 0, 300, 4097, 2000];
    const messages = sizes.map((n, i) => json(i, n));
    const order: number[] = [];
    const payloads = await Promise.all(
      messages.map(
        (data, i) =>
          new Promise<Uint8Array>((resolve) =>
            server.deflate(data, (result) => {
              order.push(i);
              resolve(deflated(result));
            }),
          ),
      ),
    );
    expect(order).toEqual(sizes.map((_, i) => i));
    order.length = 0;
    const results = await Promise.all(
      payloads.map(
        (payload, i) =>
          new Promise<InflateResult>((resolve) =>
            client.inflate(payload, 1 << 20, (result) => {
              order.push(i);
              resolve(result);
            }),
          ),
      ),
    );
    expect(order).toEqual(sizes.map((_, i) => i));
    expect(results.map((result, i) => result.ok && Buffer.from(result.data).equals(messages[i]))).toEqual(
      messages.map(() => true),
    );
  });
});

describe('context takeover without a kept deflate context', () => {
  for (const bits of [9, 12, 15]) {
    it(`window bits ${bits}: zlib's own inflater, kept across messages, reads every message`, () => {
      const server = engine({ serverMaxWindowBits: bits, syncLimit: 1 << 20 });
      const peer = zlib.createInflateRaw({ windowBits: bits });
      const handle = (peer as unknown as { _handle: { writeSync: (...a: unknown[]) => void } })._handle;
      const state = (peer as unknown as { _writeState: Uint32Array })._writeState;
      const out = Buffer.alloc(1 << 20);
      let total = 0;
      for (const [i, n] of [100, 5000, 40, 1 << bits, 3000, 70_000, 20].entries()) {
        const data = json(i % 2, n); // repeats: the second message of a kind refers back
        const payload = concat([
          deflated(callSync<DeflateResult>((done) => server.deflate(data, done)).result),
          Uint8Array.of(0, 0, 0xff, 0xff),
        ]);
        total += payload.length;
        handle.writeSync(zlib.constants.Z_SYNC_FLUSH, payload, 0, payload.length, out, 0, out.length);
        expect(out.subarray(0, out.length - state[0]).equals(data)).toBe(true);
      }
      // Takeover works: the repeated documents cost a fraction of their size.
      expect(total).toBeLessThan(60_000);
      peer.close();
    });
  }

  it('gives a connection that sends often its own deflater, and takes it back once idle', () => {
    // The sweep is called by hand: its interval is shared with engines of other tests.
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const server = engine();
      const peer = engine({ role: 'client' });
      const send = (seed: number) => {
        const data = json(seed, 1024);
        const payload = deflated(callSync<DeflateResult>((done) => server.deflate(data, done)).result);
        const back = callSync<InflateResult>((done) => peer.inflate(payload, 1 << 20, done)).result;
        expect(back?.ok && Buffer.from(back.data).equals(data)).toBe(true);
      };
      send(1); // after a quiet spell: the shared context, nothing held
      expect(server.contexts.deflate).toBe(false);
      send(2);
      expect(server.contexts.deflate).toBe(true);
      vi.advanceTimersByTime(IDLE_RELEASE_MS / 2);
      send(3);
      vi.advanceTimersByTime(IDLE_RELEASE_MS / 2);
      sweepIdleDeflaters();
      expect(server.contexts.deflate).toBe(true); // a message came within the spell
      vi.advanceTimersByTime(IDLE_RELEASE_MS);
      sweepIdleDeflaters();
      expect(server.contexts.deflate).toBe(false);
      send(4); // the shared context again, with the same history: the peer still reads it
      server.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('never lets one connection refer to what another sent through the shared context', () => {
    // Quiet connections share one context: each message must refer only to its own history.
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const senders = [engine(), engine()];
      const peers = [engine({ role: 'client' }), engine({ role: 'client' })];
      for (let round = 0; round < 6; round++) {
        for (const side of [0, 1]) {
          vi.advanceTimersByTime(2 * IDLE_RELEASE_MS); // quiet: the shared context
          const data = json(round % 3, 2000 + side); // both send near-identical documents
          const payload = deflated(
            callSync<DeflateResult>((done) => senders[side].deflate(data, done)).result,
          );
          expect(senders[side].contexts.deflate).toBe(false);
          const back = callSync<InflateResult>((done) => peers[side].inflate(payload, 1 << 20, done)).result;
          expect(back?.ok && Buffer.from(back.data).equals(data)).toBe(true);
        }
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps no deflate context and at most one window of bytes after one message each way', () => {
    const server = engine({ serverMaxWindowBits: 12 }) as NativeMessageCompressor;
    const client = engine({ role: 'client' });
    const data = json(5, 10_000);
    const payload = deflated(callSync<DeflateResult>((done) => client.deflate(data, done)).result);
    callSync((done) => server.inflate(payload, 1 << 20, done));
    callSync((done) => server.deflate(data, done));
    expect(server.contexts).toEqual({ deflate: false, inflate: true });
    expect(server.historyBytes).toBe(4096);
    const lean = engine({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    }) as NativeMessageCompressor;
    callSync((done) => lean.inflate(payload, 1 << 20, done));
    callSync((done) => lean.deflate(data, done));
    expect(lean.contexts).toEqual({ deflate: false, inflate: false });
    expect(lean.historyBytes).toBe(0);
  });
});

describe('the thread-pool path', () => {
  it('takes slots of the process-wide limit, and close() silences what is pending', async () => {
    setZlibConcurrency(2);
    const engines = Array.from({ length: 6 }, () => engine({ syncLimit: 0 }));
    const data = json(7, 256 * 1024);
    let called = 0;
    const done = engines
      .slice(0, 4)
      .map((e) => new Promise<void>((resolve) => e.deflate(data, () => resolve())));
    for (const e of engines.slice(4)) e.deflate(data, () => called++);
    expect(zlibJobCounts()).toEqual({ running: 2, queued: 4 });
    for (const e of engines.slice(4)) e.close();
    await Promise.all(done);
    await new Promise((resolve) => setImmediate(resolve));
    expect(called).toBe(0);
    expect(zlibJobCounts()).toEqual({ running: 0, queued: 0 });
  });
});
