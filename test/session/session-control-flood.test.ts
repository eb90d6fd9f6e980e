// A peer that floods us with control frames (RFC 6455 §5.5.3: only the latest of several
// unanswered pings needs a pong) must cost output bytes bounded by the documented limit,
// whether it reads what we send or not, and the pongs that go out answer its latest ping.
import { describe, expect, it } from 'vitest';
import { controlOutputBound } from '../../src/session/output.js';
import { recorder, serverWithRawClient, settle } from './helpers.js';

const PINGS = 100_000;

/** A 4-byte big-endian ping payload: which ping it was. */
function indexPayload(index: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, index);
  return bytes;
}

function pongIndexes(peer: ReturnType<typeof serverWithRawClient>['peer']): number[] {
  return peer
    .frames()
    .filter((frame) => frame.opcode === 10)
    .map((frame) => Number.parseInt(frame.payload, 16));
}

describe('a ping flood (RFC 6455 §5.5.3)', () => {
  for (const delivery of ['one write', '1000 writes'] as const) {
    it(`${PINGS} pings in ${delivery} to a slow handler: pongs answer the latest ping, output stays bounded`, async () => {
      const highWaterMark = 1024;
      let maxBuffered = 0;
      let pingsSeen = 0;
      const handler = recorder({
        ping(session) {
          // A slow handler: the peer reads nothing until the whole flood was handled.
          pingsSeen++;
          maxBuffered = Math.max(maxBuffered, session.bufferedAmount);
        },
      });
      const { session, peer, transport } = serverWithRawClient(
        handler,
        { highWaterMark },
        { manual: true, highWaterMark },
      );
      session.activate();
      const pings = Array.from({ length: PINGS }, (_, i) => peer.frame(9, indexPayload(i)));
      if (delivery === 'one write') peer.transport.write(pings);
      else for (let i = 0; i < PINGS; i += 100) peer.transport.write(pings.slice(i, i + 100));
      // The peer writes everything but reads nothing until we stop reading from it.
      const track = () => {
        maxBuffered = Math.max(maxBuffered, session.bufferedAmount);
      };
      while (peer.transport.deliver() > 0) {
        track();
        await settle();
        track();
      }
      expect(maxBuffered).toBeLessThanOrEqual(controlOutputBound(highWaterMark));
      // Then it reads everything: the held pongs leave, reading resumes, the flood goes on.
      for (let moved = 1; moved > 0; ) {
        moved = transport.deliver();
        await settle();
        moved += peer.transport.deliver();
        track();
        await settle();
        track();
      }
      expect(pingsSeen).toBe(PINGS);
      expect(maxBuffered).toBeLessThanOrEqual(controlOutputBound(highWaterMark));
      const answered = pongIndexes(peer);
      expect(answered.length).toBeGreaterThan(0);
      // One read of the whole flood coalesces it; reads of 100 pings each are answered in full.
      expect(answered.length).toBeLessThanOrEqual(delivery === 'one write' ? PINGS / 10 : PINGS);
      expect(answered.at(-1)).toBe(PINGS - 1);
      // In the order the pings came, each answering a ping that was sent.
      for (let i = 1; i < answered.length; i++) expect(answered[i]).toBeGreaterThan(answered[i - 1]);
    });
  }

  it('a few pings in one read each get their own pong, in order (as Autobahn 2.10 expects)', async () => {
    const { session, peer } = serverWithRawClient(recorder());
    session.activate();
    peer.transport.write(Array.from({ length: 10 }, (_, i) => peer.frame(9, indexPayload(i))));
    await settle();
    await settle();
    expect(pongIndexes(peer)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
