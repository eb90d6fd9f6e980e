// Regression: every failed TLS handshake on a wss:// server kept its socket forever (an
// empty `tlsClientError` listener stops node from destroying it, and a half-open TLS server
// never closes a socket whose client sent FIN mid-handshake), so descriptors piled up,
// `server.close()` never resolved and `wasmws serve --tls-*` exited 13 on SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import { selfSignedCertificate } from '../client/helpers.js';
import { echo, SAMPLE_ACCEPT, upgradeRequest } from '../server/helpers.js';
import { buildFrame } from '../support/frames.js';

const MAIN = resolve(import.meta.dirname, '../../dist/src/cli/main.js');
const certificate = selfSignedCertificate();
const openDescriptors = () => readdirSync('/proc/self/fd').length;

type Attempt = (port: number) => Promise<void>;

/** Resolves once the client's socket is closed, whatever way its handshake failed. */
function closed(socket: net.Socket): Promise<void> {
  socket.on('error', () => {});
  return new Promise((done) => socket.on('close', () => done()));
}

const FAILED_HANDSHAKES: Record<string, Attempt> = {
  // The client does not trust the self-signed certificate and aborts.
  'certificate rejected': (port) => closed(tls.connect({ port, host: '127.0.0.1' })),
  // A TLS record header promising more, then FIN.
  'partial ClientHello, then FIN': (port) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('connect', () => socket.end(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])));
    return closed(socket);
  },
  // The handshake completes and the client leaves before any HTTP request.
  'FIN right after Finished': (port) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: certificate.cert });
    socket.on('secureConnect', () => socket.end());
    return closed(socket);
  },
};

/** Nothing at all: the server's handshake timeout drops it. */
const silentClient: Attempt = (port) => closed(net.connect({ port, host: '127.0.0.1' }));

/** Polls the descriptor count (no event says when the kernel let go of a socket), for up to 2 s. */
async function descriptorsBackTo(count: number): Promise<number> {
  for (let i = 0; i < 200 && openDescriptors() > count; i++) await new Promise((r) => setTimeout(r, 10));
  return openDescriptors();
}

describe('a wss:// server and failed TLS handshakes', () => {
  // The default 10 s handshake timeout: each socket must go at once, not when it expires.
  const server = createServer({ handler: echo, tls: certificate });
  const impatient = createServer({ handler: echo, tls: certificate, handshakeTimeout: 300 });
  let port = 0;
  let impatientPort = 0;
  beforeAll(async () => {
    port = (await server.listen()).port;
    impatientPort = (await impatient.listen()).port;
  });
  afterAll(() => Promise.all([server.close(), impatient.close()]));

  for (const [kind, attempt] of Object.entries(FAILED_HANDSHAKES)) {
    it(`keeps no socket for 200 of: ${kind}`, async () => {
      const before = openDescriptors();
      await Promise.all(Array.from({ length: 200 }, () => attempt(port)));
      expect(await descriptorsBackTo(before)).toBe(before);
    });
  }

  it('keeps no socket for 200 of: handshake timeout', async () => {
    const before = openDescriptors();
    await Promise.all(Array.from({ length: 200 }, () => silentClient(impatientPort)));
    expect(await descriptorsBackTo(before)).toBe(before);
  });

  it('still lets an upgraded client half-close: its FIN after its close frame gets the echo', async () => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: certificate.cert });
    await once(socket, 'secureConnect');
    socket.write(upgradeRequest());
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (!socket.writableEnded && Buffer.concat(received).includes('\r\n\r\n')) {
        socket.end(buildFrame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe8), maskKey: 1 }));
      }
    });
    await once(socket, 'close');
    const all = Buffer.concat(received);
    expect(all.toString('latin1')).toContain(SAMPLE_ACCEPT);
    // RFC 6455 §5.5.1: the close is echoed, code 1000.
    expect(all.subarray(all.indexOf('\r\n\r\n') + 4).toString('hex')).toBe('880203e8');
  });

  it('close() resolves once they are all gone', async () => {
    await Promise.all(Object.values(FAILED_HANDSHAKES).map((attempt) => attempt(port)));
    await server.close();
  });
  // Without the fix the FIN kinds hold their socket until the 10 s timeout: this fails by timing out.
});

describe('wasmws serve --tls-cert --tls-key', () => {
  // Its handshake timeout is 10 s: the 5 s test timeout fails if SIGTERM waits for it.
  it('exits 0 on SIGTERM after failed handshakes', { timeout: 5000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmws-tls-'));
    try {
      writeFileSync(join(dir, 'cert.pem'), certificate.cert);
      writeFileSync(join(dir, 'key.pem'), certificate.key);
      const child = spawn(
        process.execPath,
        [
          MAIN,
          'serve',
          '--port',
          '0',
          '--tls-cert',
          join(dir, 'cert.pem'),
          '--tls-key',
          join(dir, 'key.pem'),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = once(child, 'exit');
      const [firstLine] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const port = Number(/:(\d+)\/$/.exec(firstLine)?.[1]);
      for (const kind of [
        'certificate rejected',
        'partial ClientHello, then FIN',
        'FIN right after Finished',
      ]) {
        await Promise.all(Array.from({ length: 20 }, () => FAILED_HANDSHAKES[kind]!(port)));
      }
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
