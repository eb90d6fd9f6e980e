// permessage-deflate against hostile input, through the reference acceptor and real zlib:
// decompression bombs (one frame and 16 fragments) close with 1009 without inflating them
// whole, compressed text that is not UTF-8 or not deflate closes with 1007, a compressed
// frame without the extension closes with 1002, and strict ordering holds with compression.
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type WebSocketServer } from '../../src/server/create-server.js';
import { buildFrame } from '../support/frames.js';
import { echo, RawClient, upgradeRequest } from './helpers.js';

const MASK = 0x1234abcd;
const MAX_MESSAGE = 16 << 20;
const OFFER = 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits';

/** RFC 7692 §7.2.1: a message's deflate stream without its trailing 00 00 ff ff. */
function compress(data: Uint8Array | string): Uint8Array {
  const stream = deflateRawSync(typeof data === 'string' ? Buffer.from(data) : data, { finishFlush: 2 });
  return stream.subarray(0, stream.length - 4);
}

/** The frames of one compressed message: RSV1 on the first only (RFC 7692 §6.1). */
function compressedFrames(opcode: number, compressed: Uint8Array, fragments = 1): Uint8Array[] {
  const size = Math.ceil(compressed.length / fragments);
  return Array.from({ length: fragments }, (_, i) =>
    buildFrame({
      opcode: i === 0 ? opcode : 0,
      payload: compressed.subarray(i * size, (i + 1) * size),
      fin: i === fragments - 1,
      rsv: i === 0 ? 0x40 : 0,
      maskKey: MASK,
    }),
  );
}

let server: WebSocketServer;
let port = 0;
let plain: WebSocketServer;
let plainPort = 0;

beforeAll(async () => {
  server = createServer({ handler: echo, deflate: true, maxMessage: MAX_MESSAGE });
  port = (await server.listen()).port;
  plain = createServer({ handler: echo });
  plainPort = (await plain.listen()).port;
});
afterAll(() => Promise.all([server.close(), plain.close()]));

async function upgraded(to = port): Promise<RawClient> {
  const client = await RawClient.connect(to);
  client.write(upgradeRequest({ extra: [OFFER] }));
  const response = await client.readResponse();
  expect(response.status).toBe(101);
  return client;
}

// 1 GiB of zeros deflates to about 1 MiB (the format's best is about 1032:1).
const BOMB = compress(new Uint8Array(1 << 30));

describe('decompression bombs', () => {
  for (const fragments of [1, 16]) {
    it(`1 GiB from ${(BOMB.length / 1024).toFixed(0)} KiB in ${fragments} frame(s) closes with 1009; RSS grows < 64 MiB`, async () => {
      const client = await upgraded();
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 5);
      for (const frame of compressedFrames(2, BOMB, fragments)) client.write(frame);
      const close = await client.readClose();
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      expect(close.code).toBe(1009);
      console.log(`bomb, ${fragments} frame(s): RSS +${((peak - before) / 2 ** 20).toFixed(1)} MiB`);
      expect(peak - before).toBeLessThan(64 << 20);
      client.destroy();
    }, 20_000);
  }
});

describe('hostile compressed messages', () => {
  it('compressed text that inflates to invalid UTF-8 closes with 1007', async () => {
    const client = await upgraded();
    for (const frame of compressedFrames(1, compress(Uint8Array.of(0x68, 0xc3, 0x28)))) client.write(frame);
    expect((await client.readClose()).code).toBe(1007);
    client.destroy();
  });

  it('a compressed frame that does not inflate closes with 1007', async () => {
    const client = await upgraded();
    // BTYPE 11 is reserved (RFC 1951 §3.2.3): not a deflate stream.
    for (const frame of compressedFrames(1, Uint8Array.of(0xff, 0xff, 0xff, 0xff))) client.write(frame);
    expect((await client.readClose()).code).toBe(1007);
    client.destroy();
  });

  it('a compressed frame when deflate was not negotiated closes with 1002', async () => {
    const client = await upgraded(plainPort);
    expect(client.received.toString('latin1')).not.toMatch(/sec-websocket-extensions/i);
    for (const frame of compressedFrames(1, compress('hello'))) client.write(frame);
    expect((await client.readClose()).code).toBe(1002);
    client.destroy();
  });

  it('keeps strict ordering: a compressed message before a violation is echoed first', async () => {
    const client = await upgraded();
    client.write(
      Buffer.concat([
        ...compressedFrames(1, compress('hello')),
        buildFrame({ opcode: 3, payload: new Uint8Array(0), maskKey: MASK }),
      ]),
    );
    const first = await client.readFrame();
    expect([first.opcode, first.payload.toString()]).toEqual([1, 'hello']);
    expect((await client.readClose()).code).toBe(1002);
    client.destroy();
  });
});
