// Http2StreamTransport over a real node:http2 pair on loopback: HTTP/2 flow control is the
// backpressure (bufferedAmount grows while the peer does not read, drain once it does), and the
// RFC 8441 §5 close mapping (end() is END_STREAM, then RST_STREAM NO_ERROR if the peer's half is
// still open; destroy() is RST_STREAM CANCEL).
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportEvents } from '../../src/session/types.js';
import { Http2StreamTransport } from '../../src/transports/http2-stream.js';
import { within } from '../client/helpers.js';

interface Pair {
  transport: Http2StreamTransport;
  client: http2.ClientHttp2Stream;
  events: string[];
  drained: () => Promise<void>;
  closed: Promise<void>;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A server stream wrapped in the transport, and the raw client stream at the other end. */
async function pair(): Promise<Pair> {
  const server = http2.createServer();
  const serverStream = new Promise<http2.ServerHttp2Stream>((resolve) =>
    server.once('stream', (stream) => {
      stream.respond({ ':status': 200 });
      resolve(stream);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  cleanups.push(() => {
    session.destroy();
    server.close();
  });
  const client = session.request({ ':method': 'POST', ':path': '/' }, { endStream: false });
  const transport = new Http2StreamTransport(await serverStream);
  const events: string[] = [];
  let onDrain = () => {};
  let onClosed = () => {};
  const closed = new Promise<void>((resolve) => {
    onClosed = resolve;
  });
  const handlers: TransportEvents = {
    data: (bytes) => events.push(`data ${bytes.length}`),
    end: () => events.push('end'),
    drain: () => {
      events.push('drain');
      onDrain();
    },
    error: (error) => events.push(`error ${error.message}`),
    closed: () => {
      events.push('closed');
      onClosed();
    },
  };
  transport.attach(handlers);
  transport.resume();
  const drained = () =>
    new Promise<void>((resolve) => {
      onDrain = resolve;
    });
  return { transport, client, events, drained, closed };
}

describe('Http2StreamTransport', () => {
  it("holds bytes the peer's flow-control window does not let out, and drains once it reads", async () => {
    const { transport, client, drained } = await pair();
    client.pause();
    // The initial stream window is 64 KiB - 1: four times that cannot leave while the peer sleeps.
    const chunk = new Uint8Array(16 * 1024).fill(7);
    for (let i = 0; i < 16; i++) transport.write([chunk]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(transport.bufferedAmount).toBeGreaterThan(64 * 1024);
    const drain = drained();
    let received = 0;
    client.on('data', (bytes: Buffer) => {
      received += bytes.length;
    });
    client.resume();
    await within(drain, 3000, 'drain');
    expect(transport.bufferedAmount).toBe(0);
    await within(
      new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (received === 16 * chunk.length) {
            clearInterval(check);
            resolve();
          }
        }, 5);
      }),
      3000,
      'every byte at the peer',
    );
  });

  it('end() sends END_STREAM after pending bytes, then resets with NO_ERROR while the peer half is open', async () => {
    const { transport, client, closed, events } = await pair();
    let received = 0;
    client.on('data', (bytes: Buffer) => {
      received += bytes.length;
    });
    const ended = new Promise<void>((resolve) => client.once('end', resolve));
    transport.write([new Uint8Array(200_000)]);
    transport.end();
    await within(ended, 3000, 'END_STREAM at the peer');
    expect(received).toBe(200_000);
    await within(closed, 3000, 'closed');
    await within(new Promise((resolve) => client.once('close', resolve)), 3000, 'the peer stream closing');
    expect(client.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(events.filter((event) => event.startsWith('error'))).toEqual([]);
  });

  it('end() after the peer ended needs no reset: both halves closed', async () => {
    const { transport, client, closed, events } = await pair();
    client.end();
    await within(
      new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (events.includes('end')) {
            clearInterval(check);
            resolve();
          }
        }, 5);
      }),
      3000,
      'end',
    );
    client.resume();
    transport.end();
    await within(closed, 3000, 'closed');
    await within(new Promise((resolve) => client.once('close', resolve)), 3000, 'the peer stream closing');
    expect(client.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
  });

  it('destroy() resets the stream with CANCEL', async () => {
    const { transport, client, closed } = await pair();
    const peerClosed = new Promise((resolve) => client.once('close', resolve));
    client.on('error', () => {});
    transport.destroy();
    await within(closed, 3000, 'closed');
    await within(peerClosed, 3000, 'the peer stream closing');
    expect(client.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
  });
});
