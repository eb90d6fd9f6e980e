// Hostile peers after the handshake: seeded random mutations of valid frame streams sent
// to the reference acceptor over real sockets. Every connection must end with a close code
// the rules allow (or a plain close), the server must keep serving, and nothing may throw.
import { afterEach, describe, expect, it } from 'vitest';
import { closeCodeValidOnWire } from '../../src/codec/close-codes.js';
import { createServer, type WebSocketServer } from '../../src/server/index.js';
import { buildFrame, concat, prng } from '../support/frames.js';
import { echo, RawClient, upgradeRequest } from './helpers.js';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function hostileStream(random: () => number): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 1 + Math.floor(random() * 6); i++) {
    const opcode = [1, 2, 9, 10, 0, 8][Math.floor(random() * 6)];
    const length = random() < 0.8 ? Math.floor(random() * 140) : 65536 + Math.floor(random() * 1000);
    const payload = new Uint8Array(length).map(() => Math.floor(random() * 256));
    frames.push(
      buildFrame({ opcode, payload, fin: random() < 0.8, maskKey: Math.floor(random() * 2 ** 32) }),
    );
  }
  const stream = concat(frames);
  // Flip a few bits anywhere: headers, lengths, masks, payloads.
  for (let flips = Math.floor(random() * 4); flips > 0; flips--) {
    stream[Math.floor(random() * stream.length)] ^= 1 << Math.floor(random() * 8);
  }
  return stream;
}

describe('hostile frames after the handshake', () => {
  it('close every connection with a rule-given code and leave the server serving', async () => {
    const server = createServer({ handler: echo, maxFrame: 1 << 20, maxMessage: 1 << 20, closeTimeout: 500 });
    servers.push(server);
    const { port } = await server.listen();
    const random = prng(20261124);
    const codes = new Set<number>();
    for (let round = 0; round < 8; round++) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const client = await RawClient.connect(port);
          client.write(upgradeRequest());
          const response = await client.readResponse();
          expect(response.status).toBe(101);
          client.write(hostileStream(random));
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
