// FrameParser's ownsChunks option: long whole binary (and compressed) payloads are unmasked
// into the pushed chunk and delivered from it, so they can be kept without a copy.
import { describe, expect, it } from 'vitest';
import { FrameParser, type FramePiece, RETAINED_PAYLOAD_MIN } from '../../src/codec/frame-parser.js';
import { MessageAssembler, type MessageSink } from '../../src/codec/message-assembler.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { buildFrame, concat, text } from '../support/frames.js';

interface SeenPiece {
  opcode: number;
  retained: boolean;
  fromChunk: boolean;
  payload: number[];
}

function parseOwned(
  chunks: Uint8Array[],
  options: { wasm: boolean; allowRsv1?: boolean; role?: 'server' | 'client' },
) {
  const seen: SeenPiece[] = [];
  let current: Uint8Array | null = null;
  const parser = new FrameParser(
    {
      frame(piece: FramePiece) {
        seen.push({
          opcode: piece.opcode,
          retained: piece.retained,
          fromChunk: piece.bytes === current,
          payload: Array.from(piece.payload()),
        });
      },
      error(error) {
        throw error;
      },
    },
    { role: options.role ?? 'server', wasm: options.wasm, allowRsv1: options.allowRsv1, ownsChunks: true },
  );
  for (const chunk of chunks) {
    current = chunk;
    parser.push(chunk);
  }
  return seen;
}

function pattern(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);
}

describe.each([true, false])('ownsChunks, wasm %s', (wasm) => {
  it('a long binary frame whole in one chunk is delivered unmasked from that chunk', () => {
    const payload = pattern(RETAINED_PAYLOAD_MIN + 100);
    const chunk = concat([
      buildFrame({ opcode: 2, payload: text('x'), maskKey: 7 }),
      buildFrame({ opcode: 2, payload, maskKey: 0x12345678 }),
    ]);
    const [small, long] = parseOwned([chunk], { wasm });
    expect(small).toMatchObject({ retained: false, fromChunk: false, payload: [0x78] });
    expect(long.retained).toBe(true);
    expect(long.fromChunk).toBe(true);
    expect(long.payload).toEqual(Array.from(payload));
  });

  it('keeps to the arena for short binary, text, and frames cut by a chunk boundary', () => {
    const below = pattern(RETAINED_PAYLOAD_MIN - 1);
    const longText = text('a'.repeat(RETAINED_PAYLOAD_MIN + 10));
    const split = buildFrame({ opcode: 2, payload: pattern(RETAINED_PAYLOAD_MIN * 2), maskKey: 3 });
    const pieces = parseOwned(
      [
        concat([
          buildFrame({ opcode: 2, payload: below, maskKey: 1 }),
          buildFrame({ opcode: 1, payload: longText, maskKey: 2 }),
        ]),
        split.subarray(0, 100),
        split.subarray(100),
      ],
      { wasm },
    );
    expect(pieces.map((piece) => piece.retained)).toEqual([false, false, false, false]);
    expect(pieces[3].payload).toEqual(Array.from(pattern(RETAINED_PAYLOAD_MIN * 2).subarray(100 - 8)));
  });

  it('a compressed text frame is retained too (its bytes are kept for the inflater)', () => {
    const payload = pattern(RETAINED_PAYLOAD_MIN);
    const [piece] = parseOwned([buildFrame({ opcode: 1, rsv: 0x40, payload, maskKey: 9 })], {
      wasm,
      allowRsv1: true,
    });
    expect(piece.retained).toBe(true);
    expect(piece.payload).toEqual(Array.from(payload));
  });

  it('a client leaves a server frame in the chunk as it is (nothing to unmask)', () => {
    const payload = pattern(RETAINED_PAYLOAD_MIN);
    const chunk = buildFrame({ opcode: 2, payload });
    const before = chunk.slice();
    const [piece] = parseOwned([chunk], { wasm, role: 'client' });
    expect(piece.retained).toBe(true);
    expect(chunk).toEqual(before);
  });

  it('a bare parser never writes into or retains the chunks it is given', () => {
    const chunk = buildFrame({ opcode: 2, payload: pattern(RETAINED_PAYLOAD_MIN * 2), maskKey: 5 });
    const before = chunk.slice();
    const retained: boolean[] = [];
    const parser = new FrameParser(
      {
        frame: (piece) => retained.push(piece.retained),
        error: (error) => expect.unreachable(error.message),
      },
      { role: 'server', wasm },
    );
    parser.push(chunk);
    expect(retained).toEqual([false]);
    expect(chunk).toEqual(before);
  });

  it('the assembler hands a retained message over as owned; the protocol keeps it as a view of the chunk', () => {
    const owned: boolean[] = [];
    const sink: MessageSink = {
      message: () => expect.unreachable('messageAt is used'),
      messageAt: (_opcode, _bytes, _start, _end, _compressed, isOwned) => owned.push(isOwned),
      control() {},
      error: (error) => expect.unreachable(error.message),
    };
    const parser = new FrameParser(new MessageAssembler(sink), { role: 'server', wasm, ownsChunks: true });
    parser.push(buildFrame({ opcode: 2, payload: pattern(RETAINED_PAYLOAD_MIN), maskKey: 1 }));
    parser.push(buildFrame({ opcode: 2, payload: pattern(16), maskKey: 1 }));
    expect(owned).toEqual([true, false]);

    const protocol = new Protocol({ role: 'server', wasm, ownsChunks: true });
    const chunk = buildFrame({ opcode: 2, payload: pattern(RETAINED_PAYLOAD_MIN), maskKey: 0x01020304 });
    protocol.receiveData(chunk);
    const [event] = protocol.eventsReceived();
    expect(event.type === 'message' && event.data instanceof Uint8Array && event.data.buffer).toBe(
      chunk.buffer,
    );
    expect(event.type === 'message' && Array.from(event.data as Uint8Array)).toEqual(
      Array.from(pattern(RETAINED_PAYLOAD_MIN)),
    );
    expect((event as { data: Uint8Array }).data.constructor).toBe(Uint8Array);
  });
});
