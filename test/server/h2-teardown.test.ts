// RFC 8441 streams that end badly, from a raw node:http2 client: a reset (RST_STREAM), the whole
// connection dropped with several WebSockets on it, END_STREAM without a close frame, a CONNECT
// that ends its request at once, and a close frame followed by nothing. Every session must report
// its close exactly once, release the stream, and leave server.close() with nothing to wait for.
import * as http2 from 'node:http2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type WebSocketServer } from '../../src/server/index.js';
import type { Handler } from '../../src/session/types.js';
import { selfSignedCertificate, within } from '../client/helpers.js';
import { buildFrame, closeBody, parseChunks, text } from '../support/frames.js';

const pair = selfSignedCertificate();

let server: WebSocketServer;
let origin: string;
let closes: Array<[string, number]>;

beforeEach(async () => {
  closes = [];
  const handler: Handler = {
    message(session, data) {
      session.send(data);
    },
    close(session, code) {
      closes.push([session.handshake.path, code]);
    },
  };
  server = createServer({ http2: true, tls: pair, handler, closeTimeout: 500 });
  origin = (await server.listen()).url.replace('wss:', 'https:').replace('127.0.0.1', 'localhost');
});

afterEach(async () => {
  // Nothing may be left for close() to wait on: well under the close timeout.
  await within(server.close(), 1000, 'server.close()');
});

function connectRaw(): http2.ClientHttp2Session {
  const session = http2.connect(origin, { ca: pair.cert });
  session.on('error', () => {});
  return session;
}

async function open(session: http2.ClientHttp2Session, path: string, endStream = false) {
  const stream = session.request(
    {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':path': path,
      ':authority': new URL(origin).host,
      'sec-websocket-version': '13',
    },
    { endStream },
  );
  stream.on('error', () => {});
  const headers = await within(
    new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve)),
    3000,
    `the answer to ${path}`,
  );
  return { stream, status: headers[':status'] };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  await within(
    (async () => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
    })(),
    3000,
    what,
  );
}

describe('HTTP/2 WebSockets that end badly', () => {
  it('a reset stream closes its session with 1006 and leaves the others on the connection open', async () => {
    const client = connectRaw();
    const reset = await open(client, '/reset');
    const kept = await open(client, '/kept');
    expect([reset.status, kept.status]).toEqual([200, 200]);
    reset.stream.close(http2.constants.NGHTTP2_CANCEL);
    await waitFor(() => closes.length === 1, 'the reset session to close');
    expect(closes).toEqual([['/reset', 1006]]);
    const echoed = new Promise<Buffer>((resolve) => kept.stream.once('data', resolve));
    kept.stream.write(buildFrame({ opcode: 0x1, payload: text('still here'), maskKey: 0x1234abcd }));
    const { frames } = parseChunks([await within(echoed, 3000, 'the echo')], { role: 'client' });
    expect(frames.map((frame) => Buffer.from(frame.payload, 'hex').toString())).toEqual(['still here']);
    client.destroy();
    await waitFor(() => closes.length === 2, 'the kept session to close');
    expect(server.sessions.size).toBe(0);
  });

  it('a dropped connection closes every WebSocket on it with 1006, once each', async () => {
    const client = connectRaw();
    for (const path of ['/a', '/b', '/c']) await open(client, path);
    expect(server.sessions.size).toBe(3);
    // destroy() drops the TCP connection without a GOAWAY, as a peer that vanishes.
    client.destroy();
    await waitFor(() => closes.length === 3, 'three closes');
    expect(closes.map(([path, code]) => `${path} ${code}`).sort()).toEqual(['/a 1006', '/b 1006', '/c 1006']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closes).toHaveLength(3);
    expect(server.sessions.size).toBe(0);
  });

  it('END_STREAM without a close frame is 1006, and the server ends its half', async () => {
    const client = connectRaw();
    const { stream } = await open(client, '/eof');
    const ended = new Promise((resolve) => stream.once('end', resolve));
    stream.resume();
    stream.end();
    await waitFor(() => closes.length === 1, 'the close');
    expect(closes).toEqual([['/eof', 1006]]);
    await within(ended, 3000, "the server's END_STREAM");
    client.close();
  });

  it('a CONNECT whose request ends at once is a session that ends at once', async () => {
    const client = connectRaw();
    const { stream, status } = await open(client, '/empty', true);
    expect(status).toBe(200);
    stream.resume();
    await waitFor(() => closes.length === 1, 'the close');
    expect(closes).toEqual([['/empty', 1006]]);
    await within(new Promise((resolve) => stream.once('close', resolve)), 3000, 'the stream to close');
    client.close();
  });

  it('a close frame and then silence: the echo goes out and the stream is released', async () => {
    const client = connectRaw();
    const { stream } = await open(client, '/close');
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.write(buildFrame({ opcode: 0x8, payload: closeBody(4002, 'done'), maskKey: 0x1234abcd }));
    // The client never ends its half: the server resets the stream once its close is out.
    await within(new Promise((resolve) => stream.once('close', resolve)), 3000, 'the stream to close');
    const { frames } = parseChunks(chunks, { role: 'client' });
    expect(frames.map((frame) => [frame.opcode, frame.payload])).toEqual([
      [0x8, Buffer.from(closeBody(4002, 'done')).toString('hex')],
    ]);
    expect(closes).toEqual([['/close', 4002]]);
    client.close();
  });
});
