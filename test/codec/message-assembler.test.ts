import { describe, expect, it } from 'vitest';
import type { WebSocketError } from '../../src/codec/errors.js';
import { FrameParser } from '../../src/codec/frame-parser.js';
import { MessageAssembler } from '../../src/codec/message-assembler.js';
import { buildFrame, bytesOf, concat, text, toHex } from '../support/frames.js';

function assemble(chunks: Uint8Array[]) {
  const events: Array<[string, number, string]> = [];
  const messages: Uint8Array[] = [];
  let failure: WebSocketError | null = null;
  const parser = new FrameParser(
    new MessageAssembler({
      message: (opcode, data) => {
        messages.push(data.slice());
        events.push(['message', opcode, data.length > 4096 ? '' : toHex(data)]);
      },
      control: (opcode, payload) => events.push(['control', opcode, toHex(payload)]),
      error: (error) => {
        failure = error;
      },
    }),
    { role: 'server' },
  );
  for (const chunk of chunks) parser.push(chunk);
  return { events, messages, failure };
}

describe('MessageAssembler', () => {
  it('joins fragments and passes control frames through in order', () => {
    const stream = concat([
      buildFrame({ opcode: 1, payload: text('Hel'), fin: false, maskKey: 1 }),
      buildFrame({ opcode: 9, payload: text('ping'), maskKey: 2 }),
      buildFrame({ opcode: 0, payload: text('lo'), maskKey: 3 }),
      buildFrame({ opcode: 2, payload: Uint8Array.of(1, 2), maskKey: 4 }),
    ]);
    const expected = [
      ['control', 9, toHex(text('ping'))],
      ['message', 1, toHex(text('Hello'))],
      ['message', 2, '0102'],
    ];
    expect(assemble([stream]).events).toEqual(expected);
    expect(assemble(bytesOf(stream)).events).toEqual(expected);
  });

  it('reassembles a 4 MiB message sent as 65,536 fragments of 64 B', () => {
    const payload = new Uint8Array(4 * 1024 * 1024).map((_, i) => i & 0xff);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 65536; i++) {
      frames.push(
        buildFrame({
          opcode: i === 0 ? 2 : 0,
          payload: payload.subarray(i * 64, i * 64 + 64),
          fin: i === 65535,
          maskKey: i,
        }),
      );
    }
    const { messages, failure } = assemble([concat(frames)]);
    expect(failure).toBeNull();
    expect(messages).toHaveLength(1);
    expect(Buffer.compare(messages[0], payload)).toBe(0);
  });

  it('a flood of empty continuation fragments delivers one empty message', () => {
    const empty = buildFrame({ opcode: 0, payload: new Uint8Array(0), fin: false, maskKey: 0 });
    const flood = new Uint8Array(empty.length * 100_000);
    for (let i = 0; i < 100_000; i++) flood.set(empty, i * empty.length);
    const stream = concat([
      buildFrame({ opcode: 1, payload: new Uint8Array(0), fin: false, maskKey: 0 }),
      flood,
      buildFrame({ opcode: 0, payload: text('end'), maskKey: 0 }),
    ]);
    expect(assemble([stream]).events).toEqual([['message', 1, toHex(text('end'))]]);
  });
});

describe('MessageAssembler with messageAt and allocate', () => {
  function assembleAt(chunks: Uint8Array[]) {
    const delivered: { opcode: number; hex: string; owned: boolean; length: number; kept: Uint8Array }[] = [];
    const allocations: number[] = [];
    const parser = new FrameParser(
      new MessageAssembler({
        message: () => expect.unreachable('messageAt takes every message'),
        messageAt: (opcode, bytes, start, end, _compressed, owned) =>
          delivered.push({
            opcode,
            owned,
            length: end - start,
            hex: end - start > 64 ? '' : toHex(bytes.subarray(start, end)),
            kept: owned ? bytes.subarray(start, end) : bytes.slice(start, end),
          }),
        allocate: (size) => {
          allocations.push(size);
          return new Uint8Array(size).fill(0xee);
        },
        control() {},
        error: (error) => expect.unreachable(error.message),
      }),
      { role: 'server' },
    );
    for (const chunk of chunks) parser.push(chunk);
    return { delivered, allocations };
  }

  it('a whole message in one chunk is a range of the arena, not owned, with nothing allocated', () => {
    const { delivered, allocations } = assembleAt([
      buildFrame({ opcode: 2, payload: Uint8Array.of(1, 2, 3), maskKey: 7 }),
    ]);
    expect(delivered).toMatchObject([{ opcode: 2, hex: '010203', owned: false }]);
    expect(allocations).toEqual([]);
  });

  it('a one-frame message cut by chunks is gathered in a buffer of exactly its length, handed over as owned', () => {
    const payload = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    const frame = buildFrame({ opcode: 2, payload, maskKey: 9 });
    const { delivered, allocations } = assembleAt([
      frame.subarray(0, 100),
      frame.subarray(100, 2000),
      frame.subarray(2000),
    ]);
    expect(allocations).toEqual([3000]);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].owned).toBe(true);
    expect(delivered[0].kept).toEqual(payload);
  });

  it('a fragmented message up to 64 KiB is gathered in a kept buffer (not owned); a larger one is handed over', () => {
    const small = [
      buildFrame({ opcode: 1, payload: text('He'), fin: false, maskKey: 1 }),
      buildFrame({ opcode: 0, payload: text('llo'), maskKey: 2 }),
    ];
    const large = new Uint8Array(70 * 1024).fill(5);
    const big = [
      buildFrame({ opcode: 2, payload: large.subarray(0, 40 * 1024), fin: false, maskKey: 3 }),
      buildFrame({ opcode: 0, payload: large.subarray(40 * 1024), maskKey: 4 }),
    ];
    const { delivered, allocations } = assembleAt([concat(small), ...big]);
    expect(delivered.map(({ opcode, owned, length }) => ({ opcode, owned, length }))).toEqual([
      { opcode: 1, owned: false, length: 5 },
      { opcode: 2, owned: true, length: 70 * 1024 },
    ]);
    expect(delivered[0].hex).toBe(toHex(text('Hello')));
    expect(delivered[1].kept).toEqual(large);
    // Only the buffer too large to keep comes from the allocator.
    expect(allocations).not.toHaveLength(0);
    expect(allocations.every((size) => size > 64 * 1024)).toBe(true);
  });
});
