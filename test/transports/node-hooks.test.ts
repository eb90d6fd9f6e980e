// The Node glue's hooks: Buffer's native UTF-8 methods behave as the web codec does,
// bufferutil's one-pass masking matches the kernels, and Protocols built with the hooks
// exchange text and binary of every size (slab batches, large frames, non-ASCII lengths).
import { describe, expect, it } from 'vitest';
import { maskCopy } from '../../src/codec/fallback/mask.js';
import { webTextCodec } from '../../src/codec/text-codec.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { END_OF_STREAM, type ProtocolEvent } from '../../src/protocol/types.js';
import { nodeMaskInto, nodeSessionHooks, nodeTextCodec } from '../../src/transports/node-hooks.js';
import { digest } from '../support/frames.js';

const samples = [
  '',
  'a',
  'hello',
  'é'.repeat(63),
  '€😀x'.repeat(100),
  '\ufeffbom',
  '\ud800 lone',
  'a'.repeat(20000),
];

describe('nodeTextCodec', () => {
  it('writes what the web codec writes, at an offset of a plain Uint8Array, and -1 when it does not fit', () => {
    for (const text of samples) {
      const room = text.length * 3;
      const ours = new Uint8Array(room + 7);
      const web = new Uint8Array(room + 7);
      const written = nodeTextCodec.encodeInto(text, ours, 7, room);
      expect(written).toBe(webTextCodec.encodeInto(text, web, 7, room));
      expect(ours).toEqual(web);
      expect(Buffer.from(nodeTextCodec.encode(text))).toEqual(Buffer.from(webTextCodec.encode(text)));
      if (written > 0) expect(nodeTextCodec.encodeInto(text, ours, 0, written - 1)).toBe(-1);
    }
  });

  it('decodes a range as the web codec does, a leading U+FEFF kept', () => {
    for (const text of samples) {
      const bytes = new Uint8Array([0x20, ...new TextEncoder().encode(text), 0x20]);
      expect(nodeTextCodec.decode(bytes, 1, bytes.length - 1)).toBe(
        webTextCodec.decode(bytes, 1, bytes.length - 1),
      );
    }
  });
});

describe('nodeMaskInto', () => {
  it.runIf(nodeMaskInto !== undefined)('masks as the kernels do, into another buffer and in place', () => {
    const mask = nodeMaskInto!;
    const source = Uint8Array.from({ length: 5000 }, (_, i) => (i * 13) & 0xff);
    const expected = new Uint8Array(5003);
    maskCopy(source, expected, 3, 0xa1b2c3d4, 0);
    const target = new Uint8Array(5003);
    mask(source, 0xa1b2c3d4, target, 3);
    expect(target).toEqual(expected);
    const inPlace = new Uint8Array(5003);
    inPlace.set(source, 3);
    mask(inPlace.subarray(3), 0xa1b2c3d4, inPlace, 3);
    expect(inPlace).toEqual(expected);
  });
});

function pump(from: Protocol, to: Protocol): void {
  for (const item of from.dataToSend()) {
    if (item === END_OF_STREAM) continue;
    for (const chunk of item) to.receiveData(chunk);
  }
}

function messagesOf(events: ProtocolEvent[]): string[] {
  return events.map((event) => {
    if (event.type !== 'message') throw new Error(`unexpected ${event.type}`);
    return typeof event.data === 'string' ? event.data : `binary ${digest(event.data)}`;
  });
}

/** What arrives of a text: lone surrogates become U+FFFD on the way (UTF-8 cannot carry them). */
function wellFormed(text: string): string {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(new TextEncoder().encode(text));
}

describe('Protocols with the Node hooks', () => {
  const hooks = {
    allocate: nodeSessionHooks.allocate,
    textCodec: nodeSessionHooks.textCodec,
    maskInto: nodeSessionHooks.maskInto,
    validateUtf8: nodeSessionHooks.validateUtf8,
  };
  const texts = [...samples, 'é'.repeat(5461), 'é'.repeat(9000), '😀'.repeat(30000)];
  const binaries = [0, 1, 125, 126, 1024, 1025, 16 * 1024, 16 * 1024 + 1, 200_000].map((length) =>
    Uint8Array.from({ length }, (_, i) => (i * 31) & 0xff),
  );

  for (const [sender, receiver] of [
    ['client', 'server'],
    ['server', 'client'],
  ] as const) {
    it(`${sender} to ${receiver}: every text and binary arrives as sent, in order`, () => {
      const from = new Protocol({ role: sender, ...hooks });
      const to = new Protocol({ role: receiver, ...hooks });
      for (const text of texts) from.sendText(text);
      for (const data of binaries) from.sendBinary(data);
      pump(from, to);
      expect(messagesOf(to.eventsReceived())).toEqual([
        ...texts.map(wellFormed),
        ...binaries.map((data) => `binary ${digest(data)}`),
      ]);
    });
  }

  it('output chunks are Buffers, which a socket writes without converting', () => {
    const server = new Protocol({ role: 'server', ...hooks });
    server.sendText('hi');
    server.sendBinary(new Uint8Array(10));
    const items = server.dataToSend();
    expect(items).toHaveLength(1);
    expect((items[0] as Uint8Array[]).every((chunk) => Buffer.isBuffer(chunk))).toBe(true);
  });

  it('binary messages are plain Uint8Arrays though the memory is Buffer memory', () => {
    const client = new Protocol({ role: 'client', ...hooks });
    const server = new Protocol({ role: 'server', ...hooks });
    for (const data of binaries) client.sendBinary(data);
    pump(client, server);
    for (const event of server.eventsReceived()) {
      expect(event.type === 'message' && event.data.constructor).toBe(Uint8Array);
    }
  });
});
