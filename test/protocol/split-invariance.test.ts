// Protocol: split invariance. A stream of valid frames (messages whole and fragmented,
// code points cut across fragments, pings and pongs between fragments, all length
// encodings), ending open, with a close, or with a violation, gives the same events,
// output and state whether it is fed whole, byte by byte, or cut in any other way.
// fast-check properties; the seed is fixed in test/support/fast-check-setup.ts.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { Protocol } from '../../src/protocol/protocol.js';
import type { ProtocolEvent } from '../../src/protocol/types.js';
import {
  BOUNDARY_CHARS,
  cutsFor,
  everyByte,
  maskKey,
  pattern,
  runs,
  type Split,
  split,
  spread,
} from '../support/arbitraries.js';
import { buildFrame, closeBody } from '../support/frames.js';
import { concat, framesSent, makeProtocol } from './helpers.js';

const ALPHABET = ['a', 'Z', ' ', '0', 'é', 'ß', '€', '中', '😀', '\u{10ffff}', '\ufeff'];
const LENGTHS = [0, 1, 5, 125, 126, 127, 300, 65535, 65536, 70000];
const encode = (s: string) => new TextEncoder().encode(s);

/** A ping (0x89) or pong (0x8a) with up to 125 bytes (RFC 6455 §5.5). */
const control = fc.record({
  byte0: fc.constantFrom(0x89, 0x8a),
  length: fc.integer({ min: 0, max: 125 }),
  seed: pattern,
});

/** A text or binary message, whole or in fragments cut anywhere (inside code points too). */
const message = fc.record({
  text: fc.boolean(),
  // Long payloads are rare: byte-by-byte feeding pays for every byte.
  length: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 129 }), weight: 9 },
    { arbitrary: fc.constantFrom(...LENGTHS), weight: 1 },
  ),
  // Text repeats this until long enough; binary spreads `seed`.
  chars: fc
    .array(
      fc.oneof(
        fc.constantFrom(...ALPHABET),
        fc.constantFrom(...BOUNDARY_CHARS),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
      ),
      { minLength: 1, maxLength: 12 },
    )
    .map((parts) => parts.join('')),
  seed: pattern,
  fragments: fc.oneof(
    { arbitrary: fc.constant<number[]>([]), weight: 3 },
    {
      arbitrary: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
      weight: 2,
    },
  ),
  // RFC 6455 §5.4: control frames may arrive between fragments.
  between: fc.array(fc.option(control, { freq: 2 }), { maxLength: 5 }),
});

/** Frames that break one rule, each followed by a text frame the protocol must ignore. */
const VIOLATIONS: Record<string, readonly [byte0: number, payload: Uint8Array][]> = {
  'reserved opcode': [[0x83, new Uint8Array(0)]],
  'a surrogate in text': [[0x81, Uint8Array.of(0xed, 0xa0, 0x80)]],
  'stray continuation': [[0x80, Uint8Array.of(1)]],
  'close code 1005 on the wire': [[0x88, Uint8Array.of(0x03, 0xed)]],
  'one-byte close body': [[0x88, Uint8Array.of(0x03)]],
  'close code 999': [[0x88, closeBody(999)]],
  'close reason not UTF-8': [[0x88, concat([closeBody(1000), Uint8Array.of(0xc0, 0xaf)])]],
  'ping of 126 bytes': [[0x89, new Uint8Array(126)]],
  'fragmented ping': [[0x09, Uint8Array.of(1)]],
  'RSV1 without an extension': [[0xc1, encode('x')]],
  'new message inside a fragmented one': [
    [0x01, encode('a')],
    [0x81, encode('b')],
  ],
};

/** How the stream ends: still open, a close (and bytes after it), or a violation. */
const ending = fc.oneof(
  fc.constant({ kind: 'open' as const }),
  fc.record({
    kind: fc.constant('close' as const),
    code: fc.constantFrom(1000, 1001, 1003, 1011, 3000, 4999),
    reason: fc.constantFrom('', 'b', 'bye', 'bye é'),
  }),
  fc.record({
    kind: fc.constant('violation' as const),
    violation: fc.constantFrom(...Object.keys(VIOLATIONS)),
  }),
);

const stream = fc.record({
  items: fc.array(fc.oneof({ arbitrary: control, weight: 1 }, { arbitrary: message, weight: 4 }), {
    minLength: 1,
    maxLength: 12,
  }),
  ending,
  keys: fc.array(maskKey, { minLength: 1, maxLength: 8 }),
});

type Stream = typeof stream extends fc.Arbitrary<infer T> ? T : never;
type Control = typeof control extends fc.Arbitrary<infer T> ? T : never;

/** The bytes of `s`, masked with its keys in turn when the sender is a client. */
function build(s: Stream, masked: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  const frame = (byte0: number, payload: Uint8Array) => {
    const key = masked ? s.keys[parts.length % s.keys.length] : undefined;
    parts.push(
      buildFrame({
        opcode: byte0 & 0x0f,
        fin: (byte0 & 0x80) !== 0,
        rsv: byte0 & 0x70,
        payload,
        maskKey: key,
      }),
    );
  };
  const controlFrame = (c: Control) => frame(c.byte0, spread(c.seed, c.length));
  for (const item of s.items) {
    if ('byte0' in item) {
      controlFrame(item);
      continue;
    }
    let payload: Uint8Array;
    if (item.text) {
      let text = '';
      while (text.length < item.length) text += item.chars;
      payload = encode(text);
    } else payload = spread(item.seed, item.length);
    const cuts = [0, ...item.fragments.map((f) => Math.floor(f * payload.length)).sort((x, y) => x - y)];
    cuts.push(payload.length);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const last = i + 2 === cuts.length;
      const opcode = i === 0 ? (item.text ? 1 : 2) : 0;
      frame((last ? 0x80 : 0) | opcode, payload.subarray(cuts[i], cuts[i + 1]));
      const between = item.between[i];
      if (!last && between) controlFrame(between);
    }
  }
  if (s.ending.kind === 'close') {
    frame(0x88, closeBody(s.ending.code, s.ending.reason));
    frame(0x81, encode('after the close'));
  } else if (s.ending.kind === 'violation') {
    for (const [byte0, payload] of VIOLATIONS[s.ending.violation]) frame(byte0, payload);
    frame(0x81, encode('after the violation'));
  }
  return concat(parts);
}

/** What a feeding produced, in a form `toEqual` compares exactly. */
function outcome(p: Protocol, events: ProtocolEvent[]) {
  return {
    // Payloads as hex: deep equality over large Uint8Arrays is slow.
    events: events.map((e) => {
      if (e.type === 'error') return { type: 'error', code: e.error.code, offset: e.error.offset };
      if (e.type === 'close' || typeof e.data === 'string') return e;
      return { ...e, data: Buffer.from(e.data).toString('hex') };
    }),
    sent: framesSent(p),
    state: p.state,
    closeSent: p.closeSent,
    closeReceived: p.closeReceived,
    closeExpected: p.closeExpected(),
  };
}

function feedIn(role: 'server' | 'client', wasm: boolean, bytes: Uint8Array, cuts: number[]) {
  const p = makeProtocol(role, { wasm });
  const events: ProtocolEvent[] = [];
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    // A fresh copy per chunk: the protocol must not keep the caller's buffer.
    p.receiveData(bytes.slice(from, to));
    events.push(...p.eventsReceived());
    from = to;
  }
  return outcome(p, events);
}

/** Every ending runs in every configuration, whatever the seed draws: one short message, then it. */
const ENDINGS: Stream['ending'][] = [
  { kind: 'open' },
  { kind: 'close', code: 1000, reason: 'bye é' },
  ...Object.keys(VIOLATIONS).map((violation) => ({ kind: 'violation' as const, violation })),
];
const EVERY_ENDING: [Stream, [Split, Split, Split]][] = ENDINGS.map((end) => [
  {
    items: [{ text: true, length: 3, chars: 'é', seed: Uint8Array.of(7), fragments: [0.5], between: [null] }],
    ending: end,
    keys: [0x3d21fa37],
  },
  [{ cycle: [1] }, { cycle: [2, 7] }, { at: [0.5] }],
]);

describe.each([
  ['server', true],
  ['server', false],
  ['client', true],
  ['client', false],
] as const)('split invariance, %s, wasm %s', (role, wasm) => {
  test.prop([stream, fc.tuple(split, split, split)], { numRuns: runs(40), examples: EVERY_ENDING })(
    'whole, byte by byte and cut three other ways: same events, output and state',
    (s, splits) => {
      const bytes = build(s, role === 'server');
      const whole = feedIn(role, wasm, bytes, []);
      expect(whole.events.length).toBeGreaterThan(0);
      // The ending is seen: a violation fails the connection, a close is received.
      if (s.ending.kind === 'violation') expect(whole.events.some((e) => e.type === 'error')).toBe(true);
      if (s.ending.kind === 'close')
        expect(whole.closeReceived).toEqual({ code: s.ending.code, reason: s.ending.reason });
      if (bytes.length <= 20000) expect(feedIn(role, wasm, bytes, everyByte(bytes.length))).toEqual(whole);
      for (const shape of splits)
        expect(feedIn(role, wasm, bytes, cutsFor(shape, bytes.length))).toEqual(whole);
    },
  );
});
