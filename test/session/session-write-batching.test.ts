// What a session writes per turn: the replies to every message of one read leave in one
// transport write as one buffer; sends from `open` are written whether or not reading starts.
import { describe, expect, it } from 'vitest';
import { accept } from '../../src/session/start.js';
import type { Handler, Transport, TransportEvents } from '../../src/session/types.js';
import { buildFrame, concat, parseChunks, text } from '../support/frames.js';

class RecordingTransport implements Transport {
  readonly writes: Uint8Array[][] = [];
  events: TransportEvents | null = null;
  bufferedAmount = 0;
  attach(events: TransportEvents): void {
    this.events = events;
  }
  write(chunks: readonly Uint8Array[]): void {
    this.writes.push([...chunks]);
  }
  end(): void {}
  destroy(): void {}
  pause(): void {}
  resume(): void {}
}

const handshake = { path: '/', headers: {}, protocol: '', extensions: '' };
const echo: Handler = { message: (session, data) => session.send(data) };

function sentFrames(chunks: Uint8Array[]) {
  return parseChunks(chunks, { role: 'client' }).frames.map((frame) => [frame.opcode, frame.payload]);
}

describe('write batching', () => {
  it('the replies to many messages in one read leave in one write of one buffer, in order', () => {
    const transport = new RecordingTransport();
    accept(transport, handshake, echo).activate();
    const messages = Array.from({ length: 20 }, (_, i) => `message ${i}`);
    transport.events!.data(
      concat(messages.map((message, i) => buildFrame({ opcode: 1, payload: text(message), maskKey: i + 1 }))),
    );
    expect(transport.writes).toHaveLength(1);
    expect(transport.writes[0]).toHaveLength(1);
    expect(sentFrames(transport.writes[0])).toEqual(
      messages.map((message) => [1, Buffer.from(message).toString('hex')]),
    );
  });

  it('a greeting sent from open is written when there is no head to replay', () => {
    const transport = new RecordingTransport();
    accept(transport, handshake, { ...echo, open: (session) => session.send('hello') }).activate();
    expect(transport.writes.flat().length).toBeGreaterThan(0);
    expect(sentFrames(transport.writes.flat())).toEqual([[1, Buffer.from('hello').toString('hex')]]);
  });

  it('a greeting sent from open is written even when open paused reading', () => {
    const transport = new RecordingTransport();
    accept(transport, handshake, {
      ...echo,
      open: (session) => {
        session.send('hi');
        session.pause();
      },
    }).activate();
    expect(sentFrames(transport.writes.flat())).toEqual([[1, Buffer.from('hi').toString('hex')]]);
  });
});
