// A real conversation, captured at the byte level: the `ws` client talks to `wasmws serve`
// (the built program) through a TCP relay that records every chunk each way. The capture is
// inspected as raw bytes and written as pcap and pcapng files (test/support/pcap-writer.ts)
// that are decoded back; compression on (ws and the server negotiate permessage-deflate
// with context takeover) and off. Needs `npm run build`.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type InspectResult, inspect, inspectCapture } from '../../../src/codec/index.js';
import { MAIN, type Running, startServe } from '../../cli/helpers.js';
import { concat, toHex } from '../../support/frames.js';
import { type PcapSegment, writePcap } from '../../support/pcap-writer.js';

interface Recorded {
  segments: PcapSegment[];
  client: Uint8Array[];
  server: Uint8Array[];
}

/** A relay on a free port to `port` that records each direction's chunks in order. */
async function relay(port: number): Promise<{ server: Server; port: number; recorded: Recorded }> {
  const recorded: Recorded = { segments: [], client: [], server: [] };
  const server = createServer((downstream) => {
    const upstream = createConnection(port, '127.0.0.1');
    const record = (from: 'client' | 'server') => (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk);
      recorded[from].push(bytes);
      // MSS-sized segments, as a real capture would have them.
      for (let at = 0; at < bytes.length; at += 1448)
        recorded.segments.push({ from, payload: bytes.subarray(at, at + 1448) });
    };
    downstream.on('data', record('client'));
    upstream.on('data', record('server'));
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0, recorded };
}

const TEXTS = ['hello', `${'{"compressible": "json", "n": 1}, '.repeat(100)}`, 'héllo wörld'];
const BINARY = new Uint8Array(randomBytes(70_000));

/** Runs the conversation through a relay; resolves with what the relay recorded. */
async function converse(deflate: boolean): Promise<Recorded> {
  const { server, url } = await startServe(deflate ? [] : ['--no-deflate']);
  running.push(server);
  const port = Number(new URL(url).port);
  const hop = await relay(port);
  relays.push(hop.server);
  const client = new WebSocket(`ws://127.0.0.1:${hop.port}/`, { perMessageDeflate: deflate });
  const received: unknown[] = [];
  await new Promise<void>((open, fail) => {
    client.once('open', open);
    client.once('error', fail);
  });
  expect(client.extensions).toBe(deflate ? 'permessage-deflate' : '');
  const expected = TEXTS.length + 1;
  const done = new Promise<void>((finish) =>
    client.on('message', (data, isBinary) => {
      received.push(isBinary ? new Uint8Array(data as Buffer) : String(data));
      if (received.length === expected) finish();
    }),
  );
  for (const text of TEXTS) client.send(text);
  client.ping('p');
  client.send(BINARY);
  await done;
  const closed = new Promise<void>((finish) => client.once('close', () => finish()));
  client.close(1000, 'bye');
  await closed;
  expect(received).toEqual([...TEXTS, BINARY]);
  return hop.recorded;
}

const running: Running[] = [];
const relays: Server[] = [];
afterAll(async () => {
  for (const server of relays) server.close();
  for (const server of running) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

/** Every frame starts where the one before it ends, and the last is the close. */
function checkContiguous(result: InspectResult, length: number, closeCode: number): void {
  for (let i = 1; i < result.frames.length; i++) {
    expect(result.frames[i].offset).toBe(result.frames[i - 1].payloadOffset + result.frames[i - 1].length);
  }
  const last = result.frames.at(-1)!;
  expect(last.payloadOffset + last.length).toBe(length);
  expect(last.opcode).toBe(8);
  expect(last.preview.slice(0, 4)).toBe(closeCode.toString(16).padStart(4, '0'));
}

const headEnd = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes).indexOf('\r\n\r\n') + 4;

describe.skipIf(!existsSync(MAIN))('inspect: a ws client and wasmws serve, captured by a relay', () => {
  for (const deflate of [false, true]) {
    it(`decodes both directions ${deflate ? 'with' : 'without'} permessage-deflate, raw and as pcap/pcapng`, async () => {
      const recorded = await converse(deflate);
      const clientStream = concat(recorded.client);
      const serverStream = concat(recorded.server);
      const clientFrames = clientStream.subarray(headEnd(clientStream));
      const serverFrames = serverStream.subarray(headEnd(serverStream));

      const client = await inspect(clientFrames, { from: 'client', deflate, textBytes: 1 << 16 });
      const server = await inspect(serverFrames, { from: 'server', deflate, textBytes: 1 << 16 });
      for (const [result, side] of [
        [client, 'client'],
        [server, 'server'],
      ] as const) {
        expect(result.error, side).toBeNull();
        expect(result.messages.map((m) => m.text ?? m.length)).toEqual([...TEXTS, BINARY.length]);
        expect(result.messages.at(-1)!.preview).toBe(toHex(BINARY.subarray(0, 32)));
        expect(result.frames.every((f) => f.masked === (side === 'client'))).toBe(true);
        // The 3 KiB JSON is compressed both ways when deflate is on (ws's and serve's threshold is 1 KiB).
        expect(result.messages[1].compressed === true).toBe(deflate);
        if (deflate) expect(result.messages[1].compressedLength).toBeLessThan(TEXTS[1].length / 4);
      }
      checkContiguous(client, clientFrames.length, 1000);
      checkContiguous(server, serverFrames.length, 1000);
      expect(client.frames.filter((f) => f.opcode === 9)).toHaveLength(1);
      expect(server.frames.filter((f) => f.opcode === 10)).toHaveLength(1);

      for (const format of ['pcap', 'pcapng'] as const) {
        const segments: PcapSegment[] = [
          { from: 'client', payload: new Uint8Array(0), flags: { syn: true, ack: false } },
          { from: 'server', payload: new Uint8Array(0), flags: { syn: true } },
          ...recorded.segments,
        ];
        const found = await inspectCapture(writePcap(segments, { format }), { textBytes: 1 << 16 });
        // The agreement in the 101, as wasmws serve's lean defaults state it (ws offers client_max_window_bits).
        const agreed = deflate
          ? 'permessage-deflate; server_max_window_bits=13; client_max_window_bits=13'
          : '';
        expect(found.map(({ stream }) => [stream.from, stream.extensions])).toEqual([
          ['client', agreed],
          ['server', agreed],
        ]);
        expect(found[0].result).toEqual(client);
        expect(found[1].result).toEqual(server);
      }
    });
  }
});
