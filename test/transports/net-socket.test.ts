// SocketTransport over a real loopback socket pair: order, one kernel write per batch,
// no data before resume, pause/resume, bufferedAmount and drain, end, destroy, error.
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportEvents } from '../../src/session/types.js';
import { CONCAT_BELOW, SocketTransport } from '../../src/transports/net-socket.js';

const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A connected pair: `server` is the accepted side (the one the transport wraps). */
async function socketPair(): Promise<{ server: net.Socket; client: net.Socket }> {
  const listener = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect({
    port: (listener.address() as net.AddressInfo).port,
    host: '127.0.0.1',
    allowHalfOpen: true,
  });
  client.on('error', () => {});
  const server = await accepted;
  listener.close();
  cleanups.push(() => {
    client.destroy();
    server.destroy();
  });
  return { server, client };
}

/** Records what a transport reports, with promises for the events a test waits on. */
class Recorder implements TransportEvents {
  readonly log: string[] = [];
  readonly chunks: Uint8Array[] = [];
  private waiters: Array<() => boolean> = [];

  data(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.log.push('data');
    this.wake();
  }
  end(): void {
    this.log.push('end');
    this.wake();
  }
  drain(): void {
    this.log.push('drain');
    this.wake();
  }
  error(error: Error): void {
    this.log.push(`error:${(error as NodeJS.ErrnoException).code ?? error.message}`);
    this.wake();
  }
  closed(): void {
    this.log.push('closed');
    this.wake();
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString();
  }

  until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(() => {
        if (!done()) return false;
        resolve();
        return true;
      });
    });
  }

  private wake(): void {
    this.waiters = this.waiters.filter((waiter) => !waiter());
  }
}

/** Collects what the peer socket receives. */
function collect(socket: net.Socket): {
  bytes: () => Buffer;
  until: (n: number) => Promise<void>;
  ended: Promise<void>;
} {
  const parts: Buffer[] = [];
  let length = 0;
  let waiter: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    parts.push(chunk);
    length += chunk.length;
    waiter?.();
  });
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  return {
    bytes: () => Buffer.concat(parts),
    until: (n) =>
      length >= n
        ? Promise.resolve()
        : new Promise((resolve) => {
            waiter = () => {
              if (length < n) return;
              waiter = null;
              resolve();
            };
          }),
    ended,
  };
}

/** Counts the calls into the socket's kernel-write methods (`_write` for one chunk, `_writev` for several). */
function countKernelWrites(socket: net.Socket): Array<{ method: string; chunks: number }> {
  const calls: Array<{ method: string; chunks: number }> = [];
  const target = socket as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ['_write', '_writev'] as const) {
    const original = target[method]!;
    target[method] = function (this: unknown, ...args: unknown[]) {
      calls.push({ method, chunks: method === '_writev' ? (args[0] as unknown[]).length : 1 });
      return original.apply(this, args);
    };
  }
  return calls;
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('SocketTransport', () => {
  it('turns off Nagle and delivers nothing before resume()', async () => {
    const { server, client } = await socketPair();
    const transport = new SocketTransport(server);
    const recorder = new Recorder();
    transport.attach(recorder);
    client.write('early');
    // Nothing to await for an absence: give the bytes a generous moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(recorder.chunks).toEqual([]);
    transport.resume();
    await recorder.until(() => recorder.text === 'early');
    expect(recorder.chunks[0]).toBeInstanceOf(Buffer); // passed on as it came, no copy
  });

  it('delivers nothing to a transport resumed before attach until it is attached', async () => {
    const { server, client } = await socketPair();
    const transport = new SocketTransport(server);
    transport.resume();
    client.write('held');
    await new Promise((resolve) => setTimeout(resolve, 30));
    const recorder = new Recorder();
    transport.attach(recorder);
    await recorder.until(() => recorder.text === 'held');
  });

  it('writes batches in order, whatever their size', async () => {
    const { server, client } = await socketPair();
    const transport = new SocketTransport(server);
    transport.attach(new Recorder());
    const received = collect(client);
    const expected: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const size = [1, 10, 700, 5000][i % 4]!;
      const batch = [Buffer.from([i & 0xff, 0xaa]), Buffer.alloc(size, i & 0xff), Buffer.from([0xbb])];
      expected.push(...batch);
      transport.write(batch);
    }
    const all = Buffer.concat(expected);
    await received.until(all.length);
    expect(received.bytes().equals(all)).toBe(true);
  });

  it('hands one batch to the kernel in one call: copied when small, one writev when large', async () => {
    const { server, client } = await socketPair();
    const transport = new SocketTransport(server);
    transport.attach(new Recorder());
    const received = collect(client);
    const calls = countKernelWrites(server);

    // One chunk: written as it is.
    transport.write([bytes('solo')]);
    expect(calls).toEqual([{ method: '_write', chunks: 1 }]);
    await received.until(4);

    // Many small frames (header + payload pairs) below CONCAT_BELOW: one copied buffer.
    calls.length = 0;
    const small = Array.from({ length: 8 }, (_, i) =>
      i % 2 === 0 ? Uint8Array.of(0x81, 5) : bytes('hello'),
    );
    transport.write(small);
    expect(calls).toEqual([{ method: '_write', chunks: 1 }]);
    await received.until(4 + (8 / 2) * 7);

    // Header and a large payload: corked into a single writev of both chunks.
    calls.length = 0;
    const payload = new Uint8Array(CONCAT_BELOW * 4).fill(7);
    transport.write([Uint8Array.of(0x82, 126, 0x10, 0x00), payload]);
    expect(calls).toEqual([{ method: '_writev', chunks: 2 }]);
    await received.until(4 + 28 + 4 + payload.length);
    expect(received.bytes().subarray(0, 4).toString()).toBe('solo');
  });

  it('pause() stops delivery and resume() restarts it, losing nothing', async () => {
    const { server, client } = await socketPair();
    const transport = new SocketTransport(server);
    const recorder = new Recorder();
    transport.attach(recorder);
    transport.resume();
    client.write('one');
    await recorder.until(() => recorder.text === 'one');
    transport.pause();
    client.write('two');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(recorder.text).toBe('one');
    transport.resume();
    await recorder.until(() => recorder.text === 'onetwo');
  });

  it('reports bufferedAmount from the socket and drain once the peer reads', async () => {
    const { server, client } = await socketPair();
    client.pause();
    const transport = new SocketTransport(server);
    const recorder = new Recorder();
    transport.attach(recorder);
    const big = new Uint8Array(16 * 1024 * 1024);
    transport.write([Uint8Array.of(0x82, 127), big]);
    expect(transport.bufferedAmount).toBeGreaterThan(0);
    expect(transport.bufferedAmount).toBe(server.writableLength);
    client.resume();
    await recorder.until(() => recorder.log.includes('drain'));
    expect(transport.bufferedAmount).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorder.log.filter((event) => event === 'drain')).toHaveLength(1);
  });

  it('reports drain when a buffer below the socket high-water mark empties', async () => {
    // A session whose high-water mark is below the socket's 16 KiB still needs to hear of it.
    const { server, client } = await socketPair();
    client.pause();
    const transport = new SocketTransport(server);
    const recorder = new Recorder();
    transport.attach(recorder);
    const chunk = new Uint8Array(1024);
    // Fill the kernel buffers until a write stays in the socket: bufferedAmount > 0 but far
    // below 16 KiB, so node itself will not emit 'drain'.
    let writes = 0;
    while (transport.bufferedAmount === 0 && writes < 1_000_000) {
      transport.write([chunk]);
      writes++;
    }
    expect(transport.bufferedAmount).toBeGreaterThan(0);
    expect(transport.bufferedAmount).toBeLessThan(server.writableHighWaterMark);
    client.resume();
    await recorder.until(() => recorder.log.includes('drain'));
    expect(transport.bufferedAmount).toBe(0);
  });

  it('end() half-closes after pending writes; the peer can still send, then closed follows', async () => {
    const { server, client } = await socketPair();
    const transport = new SocketTransport(server);
    const recorder = new Recorder();
    transport.attach(recorder);
    transport.resume();
    const received = collect(client);
    transport.write([new Uint8Array(256 * 1024).fill(1)]);
    transport.end();
    await received.ended;
    expect(received.bytes().length).toBe(256 * 1024);
    client.end('after your FIN');
    await recorder.until(() => recorder.log.includes('closed'));
    expect(recorder.text).toBe('after your FIN');
    expect(recorder.log.filter((event) => event !== 'data')).toEqual(['end', 'closed']);
    // Writes after end are dropped, not thrown.
    expect(() => transport.write([bytes('late')])).not.toThrow();
  });

  it('reports the peer ending its side as end', async () => {
    const { server, client } = await socketPair();
    const transport = new SocketTransport(server);
    const recorder = new Recorder();
    transport.attach(recorder);
    transport.resume();
    client.end('bye');
    await recorder.until(() => recorder.log.includes('end'));
    expect(recorder.text).toBe('bye');
    expect(recorder.log).not.toContain('closed'); // half-open: our side may still write
  });

  it('destroy() closes once, without an error', async () => {
    const { server, client } = await socketPair();
    const transport = new SocketTransport(server);
    const recorder = new Recorder();
    transport.attach(recorder);
    transport.resume();
    const peerClosed = new Promise((resolve) => client.once('close', resolve));
    client.resume();
    client.once('end', () => client.end());
    transport.destroy();
    transport.destroy();
    await recorder.until(() => recorder.log.includes('closed'));
    await peerClosed;
    expect(recorder.log).toEqual(['closed']);
  });

  it('reports a reset as one error, then closed', async () => {
    const { server, client } = await socketPair();
    const transport = new SocketTransport(server);
    const recorder = new Recorder();
    transport.attach(recorder);
    transport.resume();
    client.resetAndDestroy();
    await recorder.until(() => recorder.log.includes('closed'));
    expect(recorder.log).toEqual(['error:ECONNRESET', 'closed']);
  });

  it('reports at most one error however many the socket emits', async () => {
    const { server } = await socketPair();
    const transport = new SocketTransport(server);
    const recorder = new Recorder();
    transport.attach(recorder);
    server.emit('error', new Error('first'));
    server.emit('error', new Error('second'));
    server.destroy();
    await recorder.until(() => recorder.log.includes('closed'));
    expect(recorder.log).toEqual(['error:first', 'closed']);
  });

  it('replays an error and close that happened before attach, in a later microtask', async () => {
    const { server } = await socketPair();
    const transport = new SocketTransport(server);
    server.destroy(new Error('gone early'));
    await new Promise((resolve) => server.once('close', resolve));
    const recorder = new Recorder();
    transport.attach(recorder);
    expect(recorder.log).toEqual([]); // never re-entrantly from attach
    await recorder.until(() => recorder.log.includes('closed'));
    expect(recorder.log).toEqual(['error:gone early', 'closed']);
  });

  it('refuses a second attach', async () => {
    const { server } = await socketPair();
    const transport = new SocketTransport(server);
    transport.attach(new Recorder());
    expect(() => transport.attach(new Recorder())).toThrow(/twice/);
  });

  it('offers its chunks for keeping only over a net.Socket, whose reads are fresh memory', () => {
    expect(new SocketTransport(new net.Socket()).freshChunks).toBe(true);
    // Any other Duplex may hand out buffers it reuses.
    expect(new SocketTransport(new PassThrough()).freshChunks).toBe(false);
  });
});
