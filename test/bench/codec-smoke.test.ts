// The codec benchmark measures what it claims: its frame sets are cut inside headers and
// payloads at every size; ours (wasm and ts) and ws's Receiver deliver the same messages
// from them (count, bytes and a digest over every delivered payload, as views and as
// strings, over two passes, after ws has unmasked the first copies in place); its encode
// runners emit frames that decode back to the payload; the paired statistics are what
// they say; and a real run has its A/A pairs and the ws-without-add-ons pairs. No timing
// is asserted.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { measurePair, spreadOf } from '../../bench/support/paired.js';
import type { Results } from '../../bench/support/report.js';
import {
  type Delivery,
  type MessageConsumer,
  oursDecode,
  oursEncode,
  oursEncodeBatched,
  type Runner,
  wsDecode,
  wsEncode,
} from '../../bench/support/runners.js';
import {
  binaryPayload,
  buildDecodeSet,
  cutKinds,
  DEFAULT_SIZES,
  type DecodeSet,
  encodesPerTask,
  TASK_BYTES,
  type TextKind,
} from '../../bench/support/workloads.js';
import { peerInfo, Receiver } from '../../bench/support/ws-peer.js';
import { FrameParser, type FramePiece } from '../../src/codec/frame-parser.js';
import { wasmAvailable } from '../../src/codec/kernel-pool.js';

const KINDS: TextKind[] = ['ascii', 'mixed'];
const DELIVERIES: Delivery[] = ['view', 'string'];
const CODEC_SCRIPT = fileURLToPath(new URL('../../dist/bench/codec.js', import.meta.url));

/** Every frame's payload, whole, as our parser delivers it. */
function decodeWithOurs(chunks: readonly Uint8Array[], role: 'server' | 'client', wasm: boolean) {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let parts: Buffer[] = [];
  let errors = 0;
  const parser = new FrameParser(
    {
      frame(piece: FramePiece) {
        parts.push(Buffer.from(piece.payload()));
        if (piece.last) {
          frames.push({ opcode: piece.opcode, payload: Buffer.concat(parts) });
          parts = [];
        }
      },
      error() {
        errors++;
      },
    },
    { role, wasm },
  );
  for (const chunk of chunks) parser.push(chunk);
  return { frames, errors };
}

/** Messages, bytes and a SHA-256 over every delivered payload (length-prefixed), in order. */
class DeliveryDigest {
  messages = 0;
  bytes = 0;
  texts = 0;
  private readonly hash = createHash('sha256');
  readonly consume: MessageConsumer = (data) => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (typeof data === 'string') this.texts++;
    this.messages++;
    this.bytes += bytes.length;
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    this.hash.update(length).update(bytes);
  };
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}

/** The digest of `count` messages of `payload`, what every decoder must produce. */
function expectedDigest(payload: Buffer, count: number): string {
  const expected = new DeliveryDigest();
  for (let i = 0; i < count; i++) expected.consume(payload);
  return expected.digest();
}

function cycle(runner: Runner, tasks: number): void {
  for (let i = 0; i < tasks; i++) {
    runner.prepare();
    runner.run();
  }
}

it('runs against ws with bufferutil and our WebAssembly kernels', () => {
  expect(wasmAvailable()).toBe(true);
  const peer = peerInfo();
  expect(peer.name).toMatch(/^ws 8\./);
  expect(peer.bufferutil).toBe(!process.env.WS_NO_BUFFER_UTIL);
});

describe.each(KINDS)('decode sets (%s text)', (kind) => {
  describe.each(DEFAULT_SIZES)('%i-byte frames', (size) => {
    const set: DecodeSet = buildDecodeSet(size, kind);

    it('are valid UTF-8 of the requested size in ~64 KiB chunks', () => {
      expect(set.payload.length).toBe(size);
      expect(Buffer.from(set.payload.toString('utf8'), 'utf8').equals(set.payload)).toBe(true);
      expect(set.chunks.length).toBeGreaterThanOrEqual(5);
      for (const chunk of set.chunks) {
        expect(chunk.length).toBeGreaterThan(TASK_BYTES * 0.7);
        expect(chunk.length).toBeLessThan(TASK_BYTES * 1.3);
      }
    });

    it('cut chunks inside headers and inside payloads', () => {
      const kinds = cutKinds(set);
      expect(kinds).toContain('header');
      expect(kinds).toContain('payload');
      // Small frames: 1 byte into a header, at its last byte, mid-payload, at a frame start, 2 bytes in.
      if (size < TASK_BYTES) expect(kinds).toEqual(['header', 'header', 'payload', 'frame', 'header']);
    });

    it.each([
      ['wasm', true],
      ['ts', false],
    ])('decode with our parser (%s) to the expected text frames', (_name, wasm) => {
      const { frames, errors } = decodeWithOurs(set.chunks, 'server', wasm);
      expect(errors).toBe(0);
      expect(frames.length).toBe(set.framesPerCycle);
      for (const frame of frames) {
        expect(frame.opcode).toBe(1);
        expect(frame.payload.equals(set.payload)).toBe(true);
      }
    });

    it('leave the master chunks masked (runners work on copies)', () => {
      const before = set.chunks.map((c) => Buffer.from(c));
      cycle(wsDecode(set), set.chunks.length);
      set.chunks.forEach((chunk, i) => {
        expect(chunk.equals(before[i])).toBe(true);
      });
    });

    describe.each(DELIVERIES)('delivered as %s', (delivery) => {
      it.each([
        ['ours wasm', (c: MessageConsumer) => oursDecode(set, true, delivery, c)],
        ['ours ts', (c: MessageConsumer) => oursDecode(set, false, delivery, c)],
        ['ws', (c: MessageConsumer) => wsDecode(set, delivery, c)],
      ])('the %s runner delivers every message whole over two passes', (_name, make) => {
        const digest = new DeliveryDigest();
        const runner = make(digest.consume);
        cycle(runner, 2 * set.chunks.length);
        expect(runner.failure).toBeNull();
        expect(digest.messages).toBe(2 * set.framesPerCycle);
        expect(digest.bytes).toBe(2 * set.payloadBytesPerCycle);
        expect(digest.texts).toBe(delivery === 'string' ? digest.messages : 0);
        expect(digest.digest()).toBe(expectedDigest(set.payload, 2 * set.framesPerCycle));
      });
    });

    it.each([
      ['ours wasm', () => oursDecode(set, true)],
      ['ours ts', () => oursDecode(set, false)],
      ['ws', () => wsDecode(set)],
    ])('are counted by the timed %s runner over two passes', (_name, make) => {
      const runner = make();
      cycle(runner, 2 * set.chunks.length);
      expect(runner.failure).toBeNull();
      expect(runner.frames).toBe(2 * set.framesPerCycle);
      expect(runner.bytes).toBe(2 * set.payloadBytesPerCycle);
    });
  });
});

describe('paired rounds', () => {
  it('spreadOf gives the median, quartiles and extremes', () => {
    expect(spreadOf([5, 1, 3])).toEqual({ median: 3, q1: 2, q3: 4, min: 1, max: 5 });
    expect(spreadOf([4, 1, 2, 3])).toEqual({ median: 2.5, q1: 1.75, q3: 3.25, min: 1, max: 4 });
    expect(() => spreadOf([])).toThrow(RangeError);
  });

  it('measurePair gives one ratio per round, A ÷ B of that round', () => {
    const set = buildDecodeSet(125, 'ascii');
    const rounds = measurePair(oursDecode(set, true), wsDecode(set), { rounds: 3, sliceMs: 2, warmupMs: 1 });
    expect(rounds.ratios.length).toBe(3);
    rounds.ratios.forEach((ratio, i) => {
      expect(rounds.aRates[i]).toBeGreaterThan(0);
      expect(ratio).toBeCloseTo(rounds.aRates[i] / rounds.bRates[i], 10);
    });
  });

  it('measurePair stops on a runner that failed', () => {
    const failing: Runner = { prepare() {}, run() {}, frames: 0, bytes: 0, failure: new Error('bad frame') };
    const set = buildDecodeSet(16, 'ascii');
    expect(() => measurePair(failing, wsDecode(set), { rounds: 1, sliceMs: 1, warmupMs: 0 })).toThrow(
      /bad frame/,
    );
  });
});

it('a run pairs ours with ws, with A/A pairs, and with ws without add-ons from its child', () => {
  expect(existsSync(CODEC_SCRIPT), 'dist/ is missing: npm run build').toBe(true);
  const run = spawnSync(
    process.execPath,
    [
      CODEC_SCRIPT,
      '--json',
      '--sections=decode,clientEncode',
      '--sizes=125',
      '--text=mixed',
      '--rounds=2',
      '--time=5',
      '--warmup=0',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  const results = JSON.parse(run.stdout) as Results;
  expect(results.peer.bufferutil).toBe(true);
  expect(results.peerWithoutAddons?.bufferutil).toBe(false);
  const [decode] = results.sections.decode;
  expect(decode.text).toBe('mixed');
  const pairs = decode.pairs.map((p) => `${p.a}/${p.b}`);
  expect(pairs).toEqual([
    'ours/ws',
    'ws/ws',
    'ours/ours',
    'oursTs/ws',
    'ours/wsNoAddons',
    'wsNoAddons/wsNoAddons',
  ]);
  for (const pair of decode.pairs) {
    expect(pair.ratios.length).toBe(2);
    expect(pair.aa).toBe(pair.a === pair.b);
  }
  expect(decode.pairs[0].goal).toBe(5);
  const encodePairs = results.sections.clientEncode[0].pairs.map((p) => `${p.a}/${p.b}`);
  expect(encodePairs).toEqual([
    'oursBatch/ws',
    'ws/ws',
    'ours/ws',
    'oursBatch/wsNoAddons',
    'wsNoAddons/wsNoAddons',
  ]);
});

describe.each(DEFAULT_SIZES)('encode runners at %i bytes', (size) => {
  const payload = binaryPayload(size);

  it.each([
    ['ours client path', () => oursEncodeBatched(payload), 'server'],
    ['ours', () => oursEncode(payload, true, true), 'server'],
    ['ours wasm:false', () => oursEncode(payload, true, false), 'server'],
    ['ws', () => wsEncode(payload, true), 'server'],
    ['ours unmasked', () => oursEncode(payload, false, true), 'client'],
    ['ws unmasked', () => wsEncode(payload, false), 'client'],
  ] as const)(
    '%s counts one task of frames, the last of which decodes back to the payload',
    (_name, make, role) => {
      const runner = make();
      cycle(runner, 1);
      expect(runner.failure).toBeNull();
      expect(runner.frames).toBe(encodesPerTask(size));
      expect(runner.bytes).toBe(encodesPerTask(size) * size);
      const { frames, errors } = decodeWithOurs(runner.lastOutput(), role, true);
      expect(errors).toBe(0);
      expect(frames.length).toBe(1);
      expect(frames[0].opcode).toBe(2);
      expect(frames[0].payload.equals(payload)).toBe(true);
    },
  );

  it("emit frames that ws's Receiver decodes back to the payload", () => {
    const received: Buffer[] = [];
    const receiver = new Receiver({ isServer: true, maxPayload: 0, skipUTF8Validation: false });
    receiver.on('message', (data) => received.push(Buffer.from(data)));
    for (const runner of [oursEncodeBatched(payload), oursEncode(payload, true, true)]) {
      cycle(runner, 1);
      for (const chunk of runner.lastOutput()) receiver.write(Buffer.from(chunk));
    }
    expect(received.length).toBe(2);
    for (const message of received) expect(message.equals(payload)).toBe(true);
  });
});
