// Any cut of a byte stream into chunks yields the same frames and the same error at the
// same offset, with either kernel, pushed or read in place; the WebAssembly walk and the TS walk agree. Streams are
// fast-check properties (seed fixed in test/support/fast-check-setup.ts): messages whole
// and fragmented inside code points, control frames between fragments, every length
// encoding, then one or two bits flipped, mostly in headers.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { cutsFor, maskKey, pattern, runs, type Split, split, spread, text } from '../support/arbitraries.js';
import { buildFrame, bytesOf, concat, cutAt, type FrameSpec, parseChunks } from '../support/frames.js';

const MAX_FRAME = 1 << 20;

type Item =
  | { kind: 'control'; opcode: 9 | 10; length: number; seed: Uint8Array; key: number }
  | { kind: 'binary'; length: number; seed: Uint8Array; key: number }
  | { kind: 'text'; text: string; cuts: number[]; pingAfter: boolean[]; keys: number[] };

// Sizes around the 7-bit, 16-bit and 64-bit length encodings, and one past the wasm window.
const binaryLength = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 19 }), weight: 10 },
  { arbitrary: fc.integer({ min: 120, max: 129 }), weight: 6 },
  { arbitrary: fc.integer({ min: 65_530, max: 65_539 }), weight: 3 },
  { arbitrary: fc.constant(300_000), weight: 1 },
);

const item: fc.Arbitrary<Item> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('control' as const),
      opcode: fc.constantFrom(9 as const, 10 as const),
      length: fc.integer({ min: 0, max: 125 }),
      seed: pattern,
      key: maskKey,
    }),
  },
  {
    weight: 9,
    arbitrary: fc.record({
      kind: fc.constant('binary' as const),
      length: binaryLength,
      seed: pattern,
      key: maskKey,
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('text' as const),
      text,
      // Fragment boundaries anywhere, inside code points too, as fractions of the length.
      cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
      pingAfter: fc.array(fc.boolean(), { maxLength: 3 }),
      keys: fc.array(maskKey, { minLength: 1, maxLength: 4 }),
    }),
  },
);

/**
 * One-bit flips, each in a chosen frame: mostly in its header (FIN, RSV, opcode, mask bit,
 * length, key), otherwise anywhere in the frame (payload bytes; close codes and reasons).
 */
const flips = fc.array(
  fc.record({
    frame: fc.nat(),
    inHeader: fc.oneof(
      { arbitrary: fc.constant(true), weight: 3 },
      { arbitrary: fc.constant(false), weight: 1 },
    ),
    at: fc.nat(),
    bit: fc.nat(7),
  }),
  { minLength: 1, maxLength: 2 },
);

type Flip = { frame: number; inHeader: boolean; at: number; bit: number };

function toSpecs(items: readonly Item[], masked: boolean): FrameSpec[] {
  const specs: FrameSpec[] = [];
  const key = (k: number) => (masked ? k : undefined);
  for (const it of items) {
    if (it.kind === 'control') {
      specs.push({ opcode: it.opcode, payload: spread(it.seed, it.length), maskKey: key(it.key) });
    } else if (it.kind === 'binary') {
      specs.push({ opcode: 2, payload: spread(it.seed, it.length), maskKey: key(it.key) });
    } else {
      const bytes = new TextEncoder().encode(it.text);
      const parts = cutAt(
        bytes,
        it.cuts.map((f) => Math.floor(f * bytes.length)),
      );
      parts.forEach((part, i) => {
        const last = i === parts.length - 1;
        const frameKey = key(it.keys[i % it.keys.length]);
        specs.push({ opcode: i === 0 ? 1 : 0, payload: part, fin: last, maskKey: frameKey });
        // RFC 6455 §5.4: control frames may be injected between fragments.
        if (!last && it.pingAfter[i])
          specs.push({ opcode: 9, payload: new Uint8Array(3), maskKey: frameKey });
      });
    }
  }
  return specs;
}

/** `frames` joined, with the flips applied. */
function corrupt(frames: readonly Uint8Array[], changes: readonly Flip[]): Uint8Array {
  const starts: number[] = [];
  let at = 0;
  for (const frame of frames) {
    starts.push(at);
    at += frame.length;
  }
  const copy = concat(frames);
  for (const change of changes) {
    const index = change.frame % frames.length;
    const frame = frames[index];
    // Header: 2 bytes, the extended length when the 7-bit field says so, then a key if masked.
    const lengthField = frame[1] & 0x7f;
    const header = 2 + (lengthField === 126 ? 2 : lengthField === 127 ? 8 : 0) + (frame[1] & 0x80 ? 4 : 0);
    const within = change.at % (change.inHeader ? Math.min(header, frame.length) : frame.length);
    copy[starts[index] + within] ^= 1 << change.bit;
  }
  return copy;
}

/** Parses `stream` whole with the TS walk, then in every other way, and expects the same. */
function expectSplitInvariant(
  stream: Uint8Array,
  role: 'server' | 'client',
  splitA: Split,
  splitB: Split,
): ReturnType<typeof parseChunks> {
  const reference = parseChunks([stream], { role, wasm: false, maxFrame: MAX_FRAME });
  const variants = [
    parseChunks([stream], { role, maxFrame: MAX_FRAME }),
    parseChunks(cutAt(stream, cutsFor(splitA, stream.length)), { role, maxFrame: MAX_FRAME }),
    parseChunks(cutAt(stream, cutsFor(splitB, stream.length)), { role, wasm: false, maxFrame: MAX_FRAME }),
    // Read straight into the kernels' memory, as a socket does (FrameParser.pushInPlace).
    parseChunks(cutAt(stream, cutsFor(splitA, stream.length)), { role, maxFrame: MAX_FRAME }, 'in-place'),
    parseChunks(
      cutAt(stream, cutsFor(splitB, stream.length)),
      { role, wasm: false, maxFrame: MAX_FRAME },
      'in-place',
    ),
  ];
  // Byte at a time pays a call per byte: skip it on the rare streams with 300 KB frames.
  if (stream.length < 200_000) variants.push(parseChunks(bytesOf(stream), { role, maxFrame: MAX_FRAME }));
  for (const variant of variants) {
    expect(variant.frames).toEqual(reference.frames);
    expect(variant.error).toEqual(reference.error);
  }
  return reference;
}

/** Each header field of the second frame flipped in turn, whatever the seed draws. */
const EVERY_HEADER_FIELD: [Item[], Flip[], Split, Split][] = [
  [0, 7], // FIN
  [0, 6], // RSV1
  [0, 5], // RSV2
  [0, 4], // RSV3
  [0, 3], // opcode: reserved
  [0, 0], // opcode: continuation or binary
  [1, 7], // MASK
  [1, 6], // length off by 64: every later frame boundary moves
  [1, 0], // length
].map(([at, bit]) => [
  [
    { kind: 'text', text: 'héllo', cuts: [], pingAfter: [], keys: [0x3d21fa37] },
    { kind: 'control', opcode: 9, length: 3, seed: Uint8Array.of(1), key: 0 },
    { kind: 'binary', length: 130, seed: Uint8Array.of(2, 3), key: 0xffffffff },
  ],
  [{ frame: 1, inHeader: true, at, bit }],
  { cycle: [1] },
  { at: [0.3, 0.6] },
]);

describe('split invariance', () => {
  describe.each([
    ['server', true, 30],
    ['client', false, 15],
  ] as const)('%s role', (role, masked, numRuns) => {
    test.prop([fc.array(item, { minLength: 1, maxLength: 14 }), flips, split, split], {
      numRuns: runs(numRuns),
      examples: EVERY_HEADER_FIELD,
    })(
      'whole, random cuts, byte at a time, wasm and TS all agree, valid and corrupted',
      (items, changes, a, b) => {
        const specs = toSpecs(items, masked);
        const frames = specs.map(buildFrame);
        const valid = concat(frames);
        const reference = expectSplitInvariant(valid, role, a, b);
        // The valid stream comes back frame for frame.
        expect(reference.error).toBeNull();
        expect(reference.frames.map((f) => [f.opcode, f.fin, f.length])).toEqual(
          specs.map((s) => [s.opcode, s.fin !== false, s.payload.length]),
        );
        expectSplitInvariant(corrupt(frames, changes), role, b, a);
      },
    );
  });

  test.prop([fc.array(item, { minLength: 30, maxLength: 40 })], { numRuns: runs(4) })(
    'a long valid stream parses without error, every frame in order',
    (items) => {
      const specs = toSpecs(items, true);
      const result = parseChunks([concat(specs.map(buildFrame))], { role: 'server' });
      expect(result.error).toBeNull();
      expect(result.frames.map((f) => f.opcode)).toEqual(specs.map((s) => s.opcode));
      expect(result.frames.length).toBeGreaterThanOrEqual(30);
    },
  );

  it('client role: unmasked server frames at every cut', () => {
    const frames = [
      buildFrame({ opcode: 1, payload: new TextEncoder().encode('héllo wörld 🎉') }),
      buildFrame({ opcode: 9, payload: new Uint8Array(5) }),
      buildFrame({ opcode: 2, payload: new Uint8Array(300).fill(3) }),
      buildFrame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe8, 0x62, 0x79, 0x65) }),
    ];
    const stream = concat(frames);
    const reference = parseChunks([stream], { role: 'client' });
    expect(reference.frames).toHaveLength(4);
    for (let cut = 1; cut < stream.length; cut++) {
      for (const wasm of [true, false]) {
        for (const feed of ['push', 'in-place'] as const) {
          const chunks = [stream.subarray(0, cut), stream.subarray(cut)];
          const result = parseChunks(chunks, { role: 'client', wasm }, feed);
          expect(result.frames).toEqual(reference.frames);
          expect(result.error).toBeNull();
        }
      }
    }
  });
});
