// The codec rows measure the same work on every side: the decode chunks are cut inside headers
// and payloads and never modified; wasmws (both paths), ws's Receiver and an adapter's codec
// deliver the same messages, bytes and SHA-256, views and strings alike; every encoder's frame
// reads back to its payload; the paired runner rotates and divides round by round.
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import {
  adapterDecoder,
  adapterEncoder,
  type CodecAdapter,
  decodeDigest,
  decodeRunner,
  encodeDigest,
  oursDecoder,
  oursEncoder,
  type WsInternals,
  wsDecoder,
  wsEncoder,
} from '../../src/bench/codec-runners.js';
import { buildDecodeSet, cutKinds } from '../../src/bench/decode-set.js';
import { binaryPayload, PayloadDigest } from '../../src/bench/payloads.js';
import { interleave, rateOf, roundOrder, roundRatios, spreadOf } from '../../src/bench/stats.js';

const peer = ws as unknown as WsInternals;
// The example `--peer` adapter is plain JavaScript: loaded as wasmws bench loads it.
const adapterPath = '../../bench/example-adapter.mjs';
const codec = ((await import(adapterPath)) as { default: { codec: CodecAdapter } }).default.codec;

describe.each([16, 125, 1024, 16 * 1024, 1 << 20])('decode sets of %i-byte frames', (size) => {
  const set = buildDecodeSet(size, 'mixed');

  it('cut chunks inside headers and inside payloads', () => {
    const kinds = new Set(cutKinds(set));
    expect(kinds.has('header')).toBe(true);
    if (size >= 125) expect(kinds.has('payload')).toBe(true);
  });

  it.each(['view', 'string'] as const)(
    'decode to the same messages, bytes and SHA-256 on every side (%s delivery)',
    (delivery) => {
      const expected = new PayloadDigest();
      for (let i = 0; i < set.framesPerCycle; i++) expected.add(set.payload);
      const sides = [oursDecoder(true, delivery), oursDecoder(false, delivery), wsDecoder(peer, delivery)];
      if (delivery === 'view') sides.push(adapterDecoder(codec));
      for (const side of sides) {
        const digest = decodeDigest(set, side);
        expect([digest.messages, digest.bytes, digest.hex()]).toEqual([
          set.framesPerCycle,
          set.payloadBytesPerCycle,
          expected.hex(),
        ]);
      }
    },
  );
});

it('runners work on copies: the master chunks stay masked, and each task counts whole messages', () => {
  const set = buildDecodeSet(1024, 'ascii');
  const before = set.chunks.map((chunk) => Buffer.from(chunk));
  const runner = decodeRunner(set, wsDecoder(peer, 'view'));
  for (let i = 0; i < set.chunks.length; i++) {
    runner.prepare();
    runner.run();
  }
  expect(runner.failure).toBeNull();
  expect(runner.count).toBe(set.framesPerCycle);
  expect(runner.bytes).toBe(set.payloadBytesPerCycle);
  expect(set.chunks).toEqual(before);
});

it.each([true, false])('every encoder writes one frame that reads back to its payload (mask %s)', (mask) => {
  const payload = binaryPayload(70_000);
  const expected = new PayloadDigest();
  expected.add(payload);
  for (const encode of [oursEncoder(mask), wsEncoder(peer, mask), adapterEncoder(codec, mask)]) {
    expect(encodeDigest(payload, encode, mask).hex()).toBe(expected.hex());
  }
  // A frame masked the wrong way round is caught.
  expect(() => encodeDigest(payload, oursEncoder(!mask), mask)).toThrow(/mask/);
});

describe('the paired runner', () => {
  it('rotates the order by one each round', () => {
    expect([0, 1, 2, 3].map((round) => roundOrder(['a', 'b', 'c'], round).join(''))).toEqual([
      'abc',
      'bca',
      'cab',
      'abc',
    ]);
  });

  it('gives each side one slice per round and one ratio per round against the base', async () => {
    const order: string[] = [];
    const slices = await interleave(['base', 'peer'], 4, (side, round) => {
      order.push(side);
      return { count: side === 'base' ? 100 : 100 * (round + 1), bytes: 0, seconds: 1 };
    });
    expect(order).toEqual(['base', 'peer', 'peer', 'base', 'base', 'peer', 'peer', 'base']);
    expect(roundRatios(slices.get('peer')!, slices.get('base')!, rateOf)).toEqual([1, 2, 3, 4]);
    expect(spreadOf([1, 2, 3, 4])).toEqual({ median: 2.5, q1: 1.75, q3: 3.25, min: 1, max: 4 });
  });
});
