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
