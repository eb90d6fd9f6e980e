// Hostile peers after the handshake: random mutations of valid frame streams (fast-check,
// seed fixed in test/support/fast-check-setup.ts) sent
// to the reference acceptor over real sockets. Every connection must end with a close code
// the rules allow (or a plain close), the server must keep serving, and nothing may throw.
import { fc, it } from '@fast-check/vitest';
import { afterEach, describe, expect } from 'vitest';
import { closeCodeValidOnWire } from '../../src/codec/close-codes.js';
import { createServer, type WebSocketServer } from '../../src/server/index.js';
import { maskKey, pattern, spread } from '../support/arbitraries.js';
import { buildFrame, concat } from '../support/frames.js';
import { echo, RawClient, upgradeRequest } from './helpers.js';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Frames of every opcode, 80% final, mostly short and sometimes past 64 KiB, then a few bit flips anywhere. */
const hostileStream = fc.record({
  frames: fc.array(
    fc.record({
      opcode: fc.constantFrom(1, 2, 9, 10, 0, 8),
      length: fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 139 }), weight: 4 },
        { arbitrary: fc.integer({ min: 65536, max: 66535 }), weight: 1 },
      ),
      seed: pattern,
      fin: fc.oneof(
        { arbitrary: fc.constant(true), weight: 4 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
      key: maskKey,
    }),
    { minLength: 1, maxLength: 6 },
  ),
  // Headers, lengths, masks, payloads: each flip at a fraction of the stream.
  flips: fc.array(
    fc.record({ at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), bit: fc.nat(7) }),
    {
      maxLength: 3,
    },
  ),
});

/** The bytes of a generated stream (kept apart so a failure prints the description, not the bytes). */
function hostileBytes({
  frames,
  flips,
}: typeof hostileStream extends fc.Arbitrary<infer T> ? T : never): Uint8Array {
  const stream = concat(
    frames.map((f) =>
      buildFrame({ opcode: f.opcode, payload: spread(f.seed, f.length), fin: f.fin, maskKey: f.key }),
    ),
  );
  for (const { at, bit } of flips) stream[Math.floor(at * stream.length)] ^= 1 << bit;
  return stream;
}

describe('hostile frames after the handshake', () => {
  it('close every connection with a rule-given code and leave the server serving', async ({ g }) => {
    const server = createServer({ handler: echo, maxFrame: 1 << 20, maxMessage: 1 << 20, closeTimeout: 500 });
    servers.push(server);
    const { port } = await server.listen();
    const streams = g(() => fc.array(hostileStream, { minLength: 80, maxLength: 80 }));
    const codes = new Set<number>();
    for (let round = 0; round < 8; round++) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const client = await RawClient.connect(port);
          client.write(upgradeRequest());
          const response = await client.readResponse();
          expect(response.status).toBe(101);
          client.write(hostileBytes(streams.pop()!));
          // Then stop sending: the server must either close with a code or wait (the stream may be valid).
          client.socket.end();
          await client.closedPromise();
          let frame = client.received.length > 0 ? await client.readFrame().catch(() => null) : null;
          while (frame !== null && frame.opcode !== 8) frame = await client.readFrame().catch(() => null);
          if (frame !== null && frame.payload.length >= 2) codes.add(frame.payload.readUInt16BE(0));
        }),
      );
    }
    // Echoes carry whatever valid code the peer sent; our own failures are 1002/1007/1009.
    for (const code of codes) expect(closeCodeValidOnWire(code)).toBe(true);
    expect(codes.has(1002)).toBe(true);
    // Still serving after all of that.
    const client = await RawClient.connect(port);
    client.write(upgradeRequest());
    expect((await client.readResponse()).status).toBe(101);
    client.write(buildFrame({ opcode: 1, payload: new TextEncoder().encode('alive'), maskKey: 1 }));
    const reply = await client.readFrame();
    expect(reply.payload.toString()).toBe('alive');
    client.destroy();
  });
});
