// RFC 8441 with third-party peers: undici's WebSocket over an Agent({ allowH2: true }) against our
// createServer({ http2: true }), and our connect({ http2: true }) against a server built on raw
// node:http2 in this file (it answers the extended CONNECT and frames its echo by hand).
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Agent, WebSocket as UndiciWebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/index.js';
import { createServer, type WebSocketServer } from '../../src/server/index.js';
import type { Handler } from '../../src/session/types.js';
import { clientRecorder, selfSignedCertificate, within } from '../client/helpers.js';
import { buildFrame, parseChunks, text } from '../support/frames.js';

const pair = selfSignedCertificate();

describe('undici WebSocket over HTTP/2 against createServer({ http2: true })', () => {
  let server: WebSocketServer;
  let url: string;
  const arrivals: string[] = [];
  const echo: Handler = {
    message(session, data) {
      // "close-me" asks the server to start the close handshake, as a gateway kicking a client.
      if (data === 'close-me') session.close(4001, 'server says bye');
      else session.send(data);
    },
  };

  beforeAll(async () => {
    server = createServer({
      http2: true,
      tls: pair,
      handler: echo,
      deflate: true,
      verify(info) {
        arrivals.push(`${info.method} HTTP/${info.httpVersion} h2session=${info.http2Session !== undefined}`);
      },
    });
    url = (await server.listen()).url.replace('127.0.0.1', 'localhost');
  });

  afterAll(() => within(server.close(), 3000, 'server.close()'));

  async function open(dispatcher: Agent, path = '/'): Promise<UndiciWebSocket> {
    const socket = new UndiciWebSocket(new URL(path, url).href, { dispatcher } as never);
    socket.binaryType = 'arraybuffer';
    await within(
      new Promise((resolve, reject) => {
        socket.onopen = resolve;
        socket.onerror = (event) =>
          reject(new Error(`undici WebSocket failed: ${String((event as ErrorEvent).message)}`));
      }),
      5000,
      'undici open',
    );
    return socket;
  }

  function nextMessages(socket: UndiciWebSocket, count: number): Promise<Array<string | ArrayBuffer>> {
    const received: Array<string | ArrayBuffer> = [];
    return within(
      new Promise((resolve) => {
        socket.onmessage = (event) => {
          received.push(event.data as string | ArrayBuffer);
          if (received.length === count) resolve(received);
        };
      }),
      5000,
      `${count} echoes`,
    );
  }

  function closed(socket: UndiciWebSocket): Promise<[number, string, boolean]> {
    return within(
      new Promise((resolve) => {
        socket.onclose = ((event: CloseEvent) =>
          resolve([event.code, event.reason, event.wasClean])) as never;
      }),
      5000,
      'undici close',
    );
  }

  it('round-trips text, binary and 1 MiB with deflate, arriving as an extended CONNECT stream', async () => {
    const dispatcher = new Agent({ allowH2: true, connect: { ca: pair.cert } });
    const before = arrivals.length;
    const socket = await open(dispatcher);
    expect(arrivals.slice(before)).toEqual(['CONNECT HTTP/2.0 h2session=true']);
    expect(socket.extensions).toMatch(/^permessage-deflate/);
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
    const echoes = nextMessages(socket, 3);
    socket.send('hello from undici');
    socket.send(Uint8Array.from([0, 1, 2, 250, 255]));
    socket.send(big);
    const [first, second, third] = await echoes;
    expect(first).toBe('hello from undici');
    expect(Array.from(new Uint8Array(second as ArrayBuffer))).toEqual([0, 1, 2, 250, 255]);
    expect(Buffer.from(third as ArrayBuffer).equals(Buffer.from(big))).toBe(true);
    const done = closed(socket);
    socket.close(4000, 'bye');
    expect(await done).toEqual([4000, 'bye', true]);
    await dispatcher.close();
  });

  it('keeps four concurrent WebSockets apart and takes a server-initiated close', async () => {
    const dispatcher = new Agent({ allowH2: true, connect: { ca: pair.cert } });
    // undici 7 gives each WebSocket its own connection, so this is concurrency, not multiplexing
    // (our own client's multiplexing is tested in test/server/h2-server.test.ts).
    const sockets = await Promise.all([1, 2, 3, 4].map((n) => open(dispatcher, `/room/${n}`)));
    const replies = await Promise.all(
      sockets.map((socket, n) => {
        const reply = nextMessages(socket, 1);
        socket.send(`socket ${n}`);
        return reply;
      }),
    );
    expect(replies.flat()).toEqual(['socket 0', 'socket 1', 'socket 2', 'socket 3']);
    const [kicked, ...rest] = sockets;
    const done = closed(kicked!);
    kicked!.send('close-me');
    expect(await done).toEqual([4001, 'server says bye', true]);
    // The others are untouched by that stream's end.
    const still = nextMessages(rest[0]!, 1);
    rest[0]!.send('still here');
    expect(await still).toEqual(['still here']);
    await Promise.all(
      rest.map((socket) => {
        const end = closed(socket);
        socket.close(1000);
        return end;
      }),
    );
    await dispatcher.close();
  });
});

describe('our h2 client against a raw node:http2 server', () => {
  let h2: http2.Http2SecureServer;
  let port: number;
  const seen: http2.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    h2 = http2.createSecureServer({ ...pair, settings: { enableConnectProtocol: true } });
    h2.on('stream', (stream, headers) => {
      seen.push(headers);
      stream.respond({ ':status': 200, 'sec-websocket-protocol': 'echo' });
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        const { frames } = parseChunks(chunks, { role: 'server' });
        const last = frames.at(-1);
        if (last === undefined) return;
        chunks.length = 0;
        for (const frame of frames) {
          const payload = Buffer.from(frame.payload, 'hex');
          // RFC 8441 §5: client frames are still masked over HTTP/2.
          if (!frame.masked) stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
          if (frame.opcode === 0x8) {
            stream.end(buildFrame({ opcode: 0x8, payload }));
          } else {
            stream.write(
              buildFrame({ opcode: frame.opcode, payload: Buffer.concat([text('echo:'), payload]) }),
            );
          }
        }
      });
    });
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    port = (h2.address() as AddressInfo).port;
  });

  afterAll(() => new Promise((resolve) => h2.close(resolve)));

  it('sends a valid extended CONNECT, masks its frames and reads the echo', async () => {
    const recorder = clientRecorder();
    const session = await connect(`wss://localhost:${port}/raw?x=1`, recorder, {
      http2: true,
      ca: pair.cert,
      protocols: ['echo'],
      deflate: false,
    });
    const [headers] = seen;
    expect(headers?.[':method']).toBe('CONNECT');
    expect(headers?.[':protocol']).toBe('websocket');
    expect(headers?.[':scheme']).toBe('https');
    expect(headers?.[':path']).toBe('/raw?x=1');
    expect(headers?.[':authority']).toBe(`localhost:${port}`);
    expect(headers?.['sec-websocket-version']).toBe('13');
    expect(headers?.['sec-websocket-key']).toBeUndefined();
    expect(session.protocol).toBe('echo');
    session.send('ping me');
    expect(await within(recorder.messages(1), 3000, 'the raw echo')).toEqual(['echo:ping me']);
    session.close(1000, 'done');
    expect(await within(recorder.closed, 3000, 'close')).toEqual({ code: 1000, reason: 'done' });
  });
});
