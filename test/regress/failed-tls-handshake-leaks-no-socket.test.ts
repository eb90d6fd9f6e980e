// Regression: every failed TLS handshake on a wss:// server kept its socket forever (an
// empty `tlsClientError` listener stops node from destroying it), so descriptors piled up
// and `server.close()` never resolved. Now each such socket is destroyed.
import { readdirSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import { selfSignedCertificate } from '../client/helpers.js';
import { echo } from '../server/helpers.js';

const openDescriptors = () => readdirSync('/proc/self/fd').length;

/** Connects and waits until the client's side is gone, whatever way the handshake fails. */
function failedHandshake(port: number, kind: string): Promise<void> {
  return new Promise((resolve) => {
    if (kind === 'certificate rejected') {
      const socket = tls.connect({ port, host: '127.0.0.1' });
      socket.on('error', () => {});
      socket.on('close', () => resolve());
      return;
    }
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
    // A partial ClientHello (a TLS record header promising more), then FIN.
    socket.on('connect', () => socket.end(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])));
  });
}

describe('a wss:// server and failed TLS handshakes', () => {
  it('keeps no socket for them, and close() resolves', async () => {
    const server = createServer({ handler: echo, tls: selfSignedCertificate(), handshakeTimeout: 2000 });
    const { port } = await server.listen();
    const before = openDescriptors();
    for (const kind of ['certificate rejected', 'partial ClientHello then FIN']) {
      await Promise.all(Array.from({ length: 20 }, () => failedHandshake(port, kind)));
    }
    // The server's side of each is destroyed too: close() waits for every socket.
    await server.close();
    expect(openDescriptors()).toBeLessThanOrEqual(before);
  }, 15_000);
});
