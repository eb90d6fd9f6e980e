// Reading a TCP socket straight into memory we choose (src/transports/read-in-place.ts): it
// relies on Node internals, so this fails loudly on a Node where they changed; and a socket
// read that way keeps the transport's contract: order, pause/resume, end; TLS falls back.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportEvents } from '../../src/session/types.js';
import { SocketTransport } from '../../src/transports/net-socket.js';
import { readInPlaceAvailable } from '../../src/transports/read-in-place.js';
import { selfSignedCertificate } from '../client/helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function pair(secure = false): Promise<{ server: net.Socket; client: net.Socket }> {
  const { cert, key } = secure ? selfSignedCertificate() : { cert: '', key: '' };
  const listener = secure ? tls.createServer({ cert, key }) : net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) =>
    listener.once(secure ? 'secureConnection' : 'connection', resolve),
  );
  const port = (listener.address() as net.AddressInfo).port;
  const client = secure
    ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false })
    : net.connect({ port, host: '127.0.0.1' });
  client.on('error', () => {});
  const server = await accepted;
  listener.close();
  cleanups.push(() => {
    client.destroy();
    server.destroy();
  });
  return { server, client };
}

/** Copies out what each in-place read left in the target, as a parser would consume it. */
class InPlaceRecorder implements TransportEvents {
  readonly received: Buffer[] = [];
  readonly log: string[] = [];
  target = new Uint8Array(0);
  private wake: (() => void) | null = null;
  receivedInPlace(length: number): void {
    this.received.push(Buffer.from(this.target.subarray(0, length)));
    this.log.push('in-place');
    this.wake?.();
  }
  data(bytes: Uint8Array): void {
    this.received.push(Buffer.from(bytes));
    this.log.push('data');
    this.wake?.();
  }
  end(): void {
    this.log.push('end');
    this.wake?.();
  }
  drain(): void {}
  error(): void {}
  closed(): void {}
  get bytes(): Buffer {
    return Buffer.concat(this.received);
  }
  async until(done: () => boolean): Promise<void> {
    while (!done()) await new Promise<void>((resolve) => (this.wake = resolve));
  }
}

describe('reading a socket in place', () => {
  it('is available on this Node (the internals it relies on are where it expects them)', () => {
    expect(readInPlaceAvailable()).toBe(true);
  });

  it('delivers every byte, in order, through receivedInPlace into the given memory', async () => {
    const { server, client } = await pair();
    const transport = new SocketTransport(server);
    const events = new InPlaceRecorder();
    transport.attach(events);
    events.target = new Uint8Array(4096);
    expect(transport.readInto(events.target)).toBe(true);
    transport.resume();
    const sent = Buffer.alloc(100_000);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) & 0xff;
    client.end(sent);
    await events.until(() => events.log.includes('end'));
    expect(events.bytes.equals(sent)).toBe(true);
    // Reads are as large as the target at most, so a 100 kB stream took many of them.
    expect(events.log.filter((entry) => entry === 'in-place').length).toBeGreaterThanOrEqual(25);
    expect(events.log.at(-1)).toBe('end');
  });

  it('reads nothing while paused, and goes on in order once resumed', async () => {
    const { server, client } = await pair();
    const transport = new SocketTransport(server);
    const events = new InPlaceRecorder();
    transport.attach(events);
    events.target = new Uint8Array(1024);
    transport.readInto(events.target);
    transport.resume();
    client.write('one;');
    await events.until(() => events.bytes.toString() === 'one;');
    transport.pause();
    client.write('two;');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(events.bytes.toString()).toBe('one;');
    transport.resume();
    client.end('three;');
    await events.until(() => events.log.includes('end'));
    expect(events.bytes.toString()).toBe('one;two;three;');
  });

  it('declines a TLS socket, which then delivers through data as before', async () => {
    const { server, client } = await pair(true);
    const transport = new SocketTransport(server);
    const events = new InPlaceRecorder();
    transport.attach(events);
    events.target = new Uint8Array(1024);
    expect(transport.readInto(events.target)).toBe(false);
    transport.resume();
    client.end('secret');
    await events.until(() => events.log.includes('end'));
    expect(events.bytes.toString()).toBe('secret');
    expect(events.log).not.toContain('in-place');
  });

  it('declines before attach, when nobody could take the reads', async () => {
    const { server } = await pair();
    expect(new SocketTransport(server).readInto(new Uint8Array(16))).toBe(false);
  });
});
