// The codec benchmark measures what it claims: its frame sets decode to the expected
// frames and payloads with our parser and with ws's Receiver, its runners count them
// (also on the second pass, after ws has unmasked the first copies in place), and its
// encode runners emit frames that decode back to the payload. No timing is asserted.
import { describe, expect, it } from 'vitest';
import { oursDecode, oursEncode, type Runner, wsDecode, wsEncode } from '../../bench/support/runners.js';
import {
  binaryPayload,
  buildDecodeSet,
  DEFAULT_SIZES,
  type DecodeSet,
  encodesPerTask,
  TASK_BYTES,
  type TextKind,
} from '../../bench/support/workloads.js';
import { peerInfo, Receiver, Sender } from '../../bench/support/ws-peer.js';
import { FrameParser, type FramePiece } from '../../src/codec/frame-parser.js';
import { wasmAvailable } from '../../src/codec/kernel-pool.js';

const KINDS: TextKind[] = ['ascii', 'mixed'];

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

/** Every message ws's Receiver emits, copied out of the chunk it unmasked in place. */
function decodeWithWs(set: DecodeSet) {
  const messages: { isBinary: boolean; data: Buffer }[] = [];
  const errors: Error[] = [];
  const receiver = new Receiver({ isServer: true, maxPayload: 0, skipUTF8Validation: false });
  receiver.on('message', (data, isBinary) => messages.push({ isBinary, data: Buffer.from(data) }));
  receiver.on('error', (error) => errors.push(error));
  for (const chunk of set.chunks) receiver.write(Buffer.from(chunk));
  return { messages, errors };
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
    const set = buildDecodeSet(size, kind);

    it('are valid UTF-8 of the requested size in ~64 KiB chunks', () => {
      expect(set.payload.length).toBe(size);
      expect(Buffer.from(set.payload.toString('utf8'), 'utf8').equals(set.payload)).toBe(true);
      const total = set.chunks.reduce((n, c) => n + c.length, 0);
      expect(total).toBeGreaterThanOrEqual(set.payloadBytesPerCycle);
      for (const chunk of set.chunks) {
        expect(chunk.length).toBeGreaterThan(TASK_BYTES * 0.7);
        expect(chunk.length).toBeLessThan(TASK_BYTES * 1.3);
      }
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

    it("decode with ws's Receiver to the expected text messages", () => {
      const { messages, errors } = decodeWithWs(set);
      expect(errors).toEqual([]);
      expect(messages.length).toBe(set.framesPerCycle);
      for (const message of messages) {
        expect(message.isBinary).toBe(false);
        expect(message.data.equals(set.payload)).toBe(true);
      }
    });

    it('leave the master chunks masked (runners work on copies)', () => {
      const before = set.chunks.map((c) => Buffer.from(c));
      cycle(wsDecode(set), set.chunks.length);
      set.chunks.forEach((chunk, i) => {
        expect(chunk.equals(before[i])).toBe(true);
      });
    });

    it.each([
      ['ours wasm', () => oursDecode(set, true)],
      ['ours ts', () => oursDecode(set, false)],
      ['ws', () => wsDecode(set)],
    ])('are counted by the %s runner over two passes', (_name, make) => {
      const runner = make();
      cycle(runner, 2 * set.chunks.length);
      expect(runner.failure).toBeNull();
      expect(runner.frames).toBe(2 * set.framesPerCycle);
      expect(runner.bytes).toBe(2 * set.payloadBytesPerCycle);
    });
  });
});

describe.each(DEFAULT_SIZES)('encode runners at %i bytes', (size) => {
  const payload = binaryPayload(size);

  it.each([
    ['ours', () => oursEncode(payload, true, true)],
    ['ours wasm:false', () => oursEncode(payload, true, false)],
    ['ws', () => wsEncode(payload, true)],
    ['ours unmasked', () => oursEncode(payload, false, true)],
    ['ws unmasked', () => wsEncode(payload, false)],
  ])('%s counts one task of frames', (_name, make) => {
    const runner = make();
    cycle(runner, 1);
    expect(runner.failure).toBeNull();
    expect(runner.frames).toBe(encodesPerTask(size));
    expect(runner.bytes).toBe(encodesPerTask(size) * size);
  });

  it('emit frames that decode back to the payload', async () => {
    const { encodeFrame } = await import('../../src/codec/encoder.js');
    const options = { fin: true, opcode: 2, readOnly: true, rsv1: false };
    const masked = [
      ...encodeFrame(2, payload, { mask: true }),
      ...encodeFrame(2, payload, { mask: true, wasm: false }),
      ...Sender.frame(payload, { ...options, mask: true }),
    ];
    const unmasked = [...encodeFrame(2, payload), ...Sender.frame(payload, { ...options, mask: false })];
    for (const [chunks, role, count] of [
      [masked, 'server', 3],
      [unmasked, 'client', 2],
    ] as const) {
      const { frames, errors } = decodeWithOurs(chunks, role, true);
      expect(errors).toBe(0);
      expect(frames.length).toBe(count);
      for (const frame of frames) {
        expect(frame.opcode).toBe(2);
        expect(frame.payload.equals(payload)).toBe(true);
      }
    }
  });
});
