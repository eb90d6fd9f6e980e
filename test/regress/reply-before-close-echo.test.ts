// Regression: a message and a close in the same packet. The close echo used to be queued
// while parsing, before the handler saw the message, so an echo server's reply was
// dropped (a `ws` client doing `send('hello'); close()` got nothing back).
import { describe, expect, it } from 'vitest';
import { Protocol } from '../../src/protocol/protocol.js';
import { concat as concatBytes } from '../protocol/helpers.js';
import { type RawPeer, recorder, serverWithRawClient, settle } from '../session/helpers.js';
import { buildFrame, concat, parseChunks, text } from '../support/frames.js';

describe('a reply to a message that arrives with the close', () => {
  it('goes out before the close echo (protocol, taking events one at a time)', () => {
    const protocol = new Protocol({ role: 'server' });
    protocol.receiveData(
      concat([
        buildFrame({ opcode: 1, payload: text('hello'), maskKey: 7 }),
        buildFrame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe8), maskKey: 7 }),
      ]),
    );
    const seen: string[] = [];
    for (let event = protocol.nextEvent(); event !== undefined; event = protocol.nextEvent()) {
      seen.push(event.type);
      if (event.type === 'message') expect(protocol.sendText(`echo ${event.data as string}`)).toBe(true);
    }
    expect(seen).toEqual(['message', 'close']);
    const written = protocol.dataToSend().filter((item) => Array.isArray(item)) as Uint8Array[][];
    const frames = parseChunks(
      written.map((item) => concatBytes(item)),
      { role: 'client' },
    ).frames;
    expect(frames.map((f) => f.opcode)).toEqual([1, 8]);
  });

  it('goes out before the close echo (session over a transport)', async () => {
    const handler = recorder({ message: (session, data) => session.send(data) });
    const { session, peer } = serverWithRawClient(handler);
    session.activate();
    peer.transport.write([peer.frame(1, 'hello'), peer.frame(8, peer.closeBody(1000, 'bye'))]);
    await settle();
    expect((peer as RawPeer).summary()).toEqual(['text:hello', 'close:1000:bye']);
  });
});
