// inspect() over a 100 MiB capture read as chunks keeps memory bounded by the largest
// message, not the input: payloads are never kept, compressed ones only until inflated.
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inspect } from '../../../src/codec/index.js';
import { buildFrame } from '../../support/frames.js';

const MiB = 1024 * 1024;

/** 100 MiB of 1 MiB binary frames in 64 KiB chunks, made as they are read. */
async function* capture(frame: Uint8Array, total: number): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < total; sent += frame.length) {
    for (let at = 0; at < frame.length; at += 64 * 1024) yield frame.subarray(at, at + 64 * 1024);
    // A turn of the event loop per frame, so the sampler below sees the peak.
    await new Promise((turn) => setImmediate(turn));
  }
}

const heapGrowth = async (run: () => Promise<unknown>) => {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before);
  }, 5);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before);
};

describe('inspect: a 100 MiB capture, streamed', () => {
  it('keeps memory far below the input (uncompressed binary, masked)', async () => {
    const frame = buildFrame({ opcode: 2, payload: new Uint8Array(MiB).fill(0x5a), maskKey: 0x01020304 });
    let result: Awaited<ReturnType<typeof inspect>> | undefined;
    const growth = await heapGrowth(async () => {
      result = await inspect(capture(frame, 100 * MiB), { from: 'client' });
    });
    expect(result!.error).toBeNull();
    expect(result!.frames).toHaveLength(100);
    expect(result!.messages).toHaveLength(100);
    expect(result!.frames[99].offset).toBe(99 * frame.length);
    expect(growth).toBeLessThan(20 * MiB);
  }, 60_000);

  it('keeps memory near one message with compressed messages (100 MiB inflated)', async () => {
    const compressed = new Uint8Array(deflateRawSync(new Uint8Array(MiB).fill(0x61), { finishFlush: 2 }));
    const frame = buildFrame({
      opcode: 1,
      rsv: 0x40,
      payload: compressed.subarray(0, compressed.length - 4),
    });
    async function* messages() {
      for (let i = 0; i < 100; i++) {
        yield frame;
        await new Promise((turn) => setImmediate(turn));
      }
    }
    let result: Awaited<ReturnType<typeof inspect>> | undefined;
    const growth = await heapGrowth(async () => {
      result = await inspect(messages(), { from: 'server', deflate: { serverNoContextTakeover: true } });
    });
    expect(result!.error).toBeNull();
    expect(result!.messages).toHaveLength(100);
    expect(result!.messages.every((m) => m.length === MiB && m.textTruncated === true)).toBe(true);
    expect(growth).toBeLessThan(20 * MiB);
  }, 60_000);
});
