// connect(): the request it writes, every way the opening handshake can fail (against a raw
// TCP server that answers by hand), and every way a connected session can end (against our own
// server, or a raw one where our server would behave too well).
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/connect.js';
import { ConnectError } from '../../src/client/connect-error.js';
import { createServer } from '../../src/server/create-server.js';
import type { Session } from '../../src/session/types.js';
import {
  clientRecorder,
  closeBody,
  closedPort,
  type RawServer,
  rawServer,
  readRequest,
  selfSignedCertificate,
  serverFrame,
  switchingProtocols,
  type UpgradedPeer,
  upgradingServer,
  within,
} from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw server that reads the request and writes `answer(key)` (then leaves the socket open). */
async function answeringServer(
  answer: (key: string) => string | Uint8Array,
): Promise<RawServer & { closedSockets: Promise<void>[] }> {
  const closedSockets: Promise<void>[] = [];
  const server = await rawServer((socket) => {
    closedSockets.push(new Promise((resolve) => socket.once('close', () => resolve())));
    void readRequest(socket).then(({ key }) => socket.write(answer(key)));
  });
  cleanups.push(() => server.close());
  return Object.assign(server, { closedSockets });
}

async function connectError(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await within(promise, 5000, 'connect to fail').then(
    () => {
      throw new Error('connect resolved');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

describe('the upgrade request', () => {
  it('sends Host, path and query, key, version, subprotocols, Origin and extra headers', async () => {
    let request: Awaited<ReturnType<typeof readRequest>> | undefined;
    const server = await rawServer((socket) => {
      void readRequest(socket).then((received) => {
        request = received;
        socket.write(switchingProtocols(received.key, ['Sec-WebSocket-Protocol: chat.v2']));
      });
    });
    cleanups.push(() => server.close());
    const client = await connect(`ws://user:p%40ss@127.0.0.1:${server.port}/feed?x=1&y=2`, clientRecorder(), {
      protocols: ['chat.v1', 'chat.v2'],
      origin: 'https://example.org',
      headers: { 'X-Trace': 'abc' },
    });
    cleanups.push(() => client.terminate());
    expect(request!.requestLine).toBe('GET /feed?x=1&y=2 HTTP/1.1');
    expect(request!.headers).toMatchObject({
      host: `127.0.0.1:${server.port}`,
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'chat.v1, chat.v2',
      origin: 'https://example.org',
      'x-trace': 'abc',
      authorization: `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
    });
    expect(Buffer.from(request!.key, 'base64')).toHaveLength(16);
    expect(client.protocol).toBe('chat.v2');
    expect(client.role).toBe('client');
    expect(client.state).toBe('open');
  });

  it('delivers a frame that arrived in the same packet as the 101, before anything later', async () => {
    const server = await upgradingServer((peer) => peer.socket.write(serverFrame(1, 'later')), {
      afterHead: serverFrame(1, 'early'),
    });
    cleanups.push(() => server.close());
    const handler = clientRecorder();
    const client = await connect(server.url, handler);
    cleanups.push(() => client.terminate());
    expect(await within(handler.messages(2), 2000, 'two messages')).toEqual(['early', 'later']);
    expect(handler.log.slice(0, 2)).toEqual(['open', 'text:early']);
  });
  it('resolves before any handler call for frames that came with the 101 (open comes first)', async () => {
    const server = await upgradingServer(() => {}, {
      afterHead: Buffer.concat([serverFrame(1, 'early'), serverFrame(9, 'p')]),
    });
    cleanups.push(() => server.close());
    const handler = clientRecorder();
    const client = await connect(server.url, handler);
    cleanups.push(() => client.terminate());
    // The code after `await connect()` runs before the frames that came with the 101.
    expect(handler.log).toEqual(['open']);
    expect(await within(handler.messages(1), 2000, 'the early message')).toEqual(['early']);
    expect(handler.log).toEqual(['open', 'text:early', 'ping']);
  });

  it('masks every frame with the keys from maskKeys', async () => {
    let resolvePeer!: (peer: UpgradedPeer) => void;
    const peerReady = new Promise<UpgradedPeer>((resolve) => {
      resolvePeer = resolve;
    });
    const server = await upgradingServer(resolvePeer);
    cleanups.push(() => server.close());
    const keys = [0x11223344, 0x55667788];
    let next = 0;
    const client = await connect(server.url, clientRecorder(), { maskKeys: () => keys[next++ % 2]! });
    cleanups.push(() => client.terminate());
    const peer = await within(peerReady, 2000, 'the raw server');
    client.send('one');
    client.ping('two');
    await within(peer.frameWithOpcode(9), 2000, 'the ping');
    expect(peer.frames().map((f) => [f.opcode, f.masked, f.maskKey])).toEqual([
      [1, true, keys[0]],
      [9, true, keys[1]],
    ]);
  });
});

describe('connect failures', () => {
  it('rejects with WS_ERR_CONNECT_REFUSED when nothing listens', async () => {
    const port = await closedPort();
    const error = await connectError(connect(`ws://127.0.0.1:${port}/`, clientRecorder()));
    expect(error.code).toBe('WS_ERR_CONNECT_REFUSED');
    expect(error.message).toContain(String(port));
  });

  it('rejects with WS_ERR_DNS when the host does not resolve', async () => {
    // RFC 6761 §6.4: .invalid never resolves.
    const error = await connectError(connect('ws://nonexistent.invalid/', clientRecorder()));
    expect(error.code).toBe('WS_ERR_DNS');
  });

  it('rejects a non-101 answer with its status, headers and body', async () => {
    const server = await answeringServer(
      () => 'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\nnot for you ✋',
    );
    const error = await connectError(connect(server.url, clientRecorder()));
    expect(error.code).toBe('WS_ERR_HANDSHAKE_STATUS');
    expect(error.status).toBe(403);
    expect(error.body).toBe('not for you ✋');
    expect(error.headers?.['content-type']).toBe('text/plain');
    expect(error.message).toContain('403 Forbidden');
    await within(server.closedSockets[0]!, 2000, 'the socket to be destroyed');
  });

  it('reads a chunked refusal body, and keeps only maxErrorBody bytes of a long one', async () => {
    const chunked = await answeringServer(
      () =>
        'HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    );
    const first = await connectError(connect(chunked.url, clientRecorder()));
    expect([first.status, first.body]).toEqual([500, 'hello world']);

    const long = await answeringServer(
      () => `HTTP/1.1 404 Not Found\r\nContent-Length: 10000\r\n\r\n${'x'.repeat(10000)}`,
    );
    const second = await connectError(connect(long.url, clientRecorder(), { maxErrorBody: 100 }));
    expect([second.status, second.body]).toEqual([404, 'x'.repeat(100)]);
  });

  it('reports a refusal whose body ends with the connection', async () => {
    const server = await rawServer((socket) => {
      void readRequest(socket).then(() => socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\ntry later'));
    });
    cleanups.push(() => server.close());
    const error = await connectError(connect(server.url, clientRecorder()));
    expect([error.status, error.body]).toEqual([503, 'try later']);
  });

  it('skips an interim 1xx answer and takes the 101 after it', async () => {
    const server = await answeringServer((key) => `HTTP/1.1 100 Continue\r\n\r\n${switchingProtocols(key)}`);
    const client = await connect(server.url, clientRecorder());
    cleanups.push(() => client.terminate());
    expect(client.state).toBe('open');
  });

  it.each([
    [
      'a wrong Sec-WebSocket-Accept',
      'WS_ERR_HANDSHAKE_ACCEPT',
      (key: string) => switchingProtocols(`${key}x`),
    ],
    [
      'a missing Upgrade header',
      'WS_ERR_HANDSHAKE_UPGRADE',
      (key: string) => switchingProtocols(key).replace('Upgrade: websocket\r\n', ''),
    ],
    [
      'a subprotocol that was not offered',
      'WS_ERR_HANDSHAKE_PROTOCOL',
      (key: string) => switchingProtocols(key, ['Sec-WebSocket-Protocol: other']),
    ],
    [
      'an extension that was not offered',
      'WS_ERR_HANDSHAKE_EXTENSION',
      (key: string) => switchingProtocols(key, ['Sec-WebSocket-Extensions: x-webkit-deflate-frame']),
    ],
    [
      // RFC 7692 §7.1.2.2: we would have to compress with an 8-bit window, which zlib cannot.
      'a permessage-deflate answer the offer does not allow',
      'WS_ERR_HANDSHAKE_EXTENSION',
      (key: string) =>
        switchingProtocols(key, ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=8']),
    ],
    ['a status line that is not HTTP', 'WS_ERR_HANDSHAKE_MALFORMED', () => 'SSH-2.0-OpenSSH_9.6\r\n\r\n'],
    [
      'a folded header line',
      'WS_ERR_HANDSHAKE_MALFORMED',
      (key: string) => switchingProtocols(key, ['X-Long: a', ' b']),
    ],
    [
      'a head larger than maxResponseHead',
      'WS_ERR_HANDSHAKE_MALFORMED',
      (key: string) => switchingProtocols(key, [`X-Big: ${'y'.repeat(2000)}`]),
    ],
  ])('rejects %s with %s and destroys the socket', async (_, code, answer) => {
    const server = await answeringServer(answer);
    const error = await connectError(
      connect(server.url, clientRecorder(), { protocols: ['chat'], maxResponseHead: 1024 }),
    );
    expect(error.code).toBe(code);
    await within(server.closedSockets[0]!, 2000, 'the socket to be destroyed');
  });

  it('rejects with WS_ERR_HANDSHAKE_TIMEOUT when the server never answers', async () => {
    const server = await answeringServer(() => '');
    const started = Date.now();
    const error = await connectError(connect(server.url, clientRecorder(), { handshakeTimeout: 100 }));
    expect(error.code).toBe('WS_ERR_HANDSHAKE_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
    await within(server.closedSockets[0]!, 2000, 'the socket to be destroyed');
  });

  it('rejects with WS_ERR_HANDSHAKE_CLOSED when the server hangs up before answering', async () => {
    const server = await rawServer((socket) => void readRequest(socket).then(() => socket.destroy()));
    cleanups.push(() => server.close());
    const error = await connectError(connect(server.url, clientRecorder()));
    expect(error.code).toBe('WS_ERR_HANDSHAKE_CLOSED');
  });

  it('rejects with WS_ERR_ABORTED when the signal aborts, and at once when it already has', async () => {
    const server = await answeringServer(() => '');
    const controller = new AbortController();
    const pending = connect(server.url, clientRecorder(), { signal: controller.signal });
    controller.abort();
    expect((await connectError(pending)).code).toBe('WS_ERR_ABORTED');
    expect(
      (await connectError(connect(server.url, clientRecorder(), { signal: controller.signal }))).code,
    ).toBe('WS_ERR_ABORTED');
  });

  it.each(['ftp://127.0.0.1/', 'not a url', 'ws://127.0.0.1/#fragment', 'ws:///'])(
    'rejects the URL %j with WS_ERR_INVALID_URL',
    async (url) => {
      expect((await connectError(connect(url, clientRecorder()))).code).toBe('WS_ERR_INVALID_URL');
    },
  );

  it('rejects bad options with TypeError or RangeError before any I/O', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}/`;
    await expect(connect(url, clientRecorder(), { protocols: ['not a token'] })).rejects.toThrow(TypeError);
    await expect(connect(url, clientRecorder(), { protocols: ['a', 'a'] })).rejects.toThrow(TypeError);
    await expect(connect(url, clientRecorder(), { headers: { 'X-Bad': 'a\r\nb' } })).rejects.toThrow(
      TypeError,
    );
    await expect(connect(url, clientRecorder(), { headers: { Upgrade: 'h2c' } })).rejects.toThrow(TypeError);
    await expect(connect(url, clientRecorder(), { handshakeTimeout: -1 })).rejects.toThrow(RangeError);
    await expect(connect(url, clientRecorder(), { closeTimeout: Number.NaN })).rejects.toThrow(RangeError);
    await expect(connect(url, {} as never)).rejects.toThrow(TypeError);
  });
});

const certificate = selfSignedCertificate();

describe('wss://', () => {
  async function tlsServer(): Promise<{ url: string; closedSockets: Promise<void>[] }> {
    const closedSockets: Promise<void>[] = [];
    const server = tls.createServer({ cert: certificate.cert, key: certificate.key }, (socket) => {
      closedSockets.push(new Promise((resolve) => socket.once('close', () => resolve())));
      socket.on('error', () => {});
      void readRequest(socket).then(({ key }) => socket.write(switchingProtocols(key)));
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    return { url: `wss://127.0.0.1:${port}/`, closedSockets };
  }

  it('connects when the certificate is trusted through `ca`', async () => {
    const { url } = await tlsServer();
    const client = await connect(url, clientRecorder(), { ca: certificate.cert });
    cleanups.push(() => client.terminate());
    expect(client.state).toBe('open');
  });

  it('rejects an untrusted certificate with WS_ERR_TLS, unless rejectUnauthorized is false', async () => {
    const { url } = await tlsServer();
    const error = await connectError(connect(url, clientRecorder()));
    expect(error.code).toBe('WS_ERR_TLS');
    expect(error.cause).toBeInstanceOf(Error);
    const client = await connect(url, clientRecorder(), { rejectUnauthorized: false });
    cleanups.push(() => client.terminate());
    expect(client.state).toBe('open');
  });

  it('rejects a certificate for another name with WS_ERR_TLS', async () => {
    const { url } = await tlsServer();
    const error = await connectError(
      connect(url, clientRecorder(), { ca: certificate.cert, servername: 'example.org' }),
    );
    expect(error.code).toBe('WS_ERR_TLS');
  });
});

describe('how a connected session ends, against our server', () => {
  async function ourServer(handler = clientRecorder()) {
    const server = createServer({ handler, host: '127.0.0.1', port: 0 });
    const { url } = await server.listen();
    cleanups.push(() => server.close());
    return { url, serverHandler: handler, server };
  }

  // Our protocol echoes a close with its code and reason (as ws does), so both sides see both.
  it('closes cleanly when the client closes: both sides see 1000 and the reason', async () => {
    const { url, serverHandler } = await ourServer();
    const handler = clientRecorder();
    const client = await connect(url, handler);
    client.close(1000, 'client done');
    expect(await within(serverHandler.closed, 2000, 'server close')).toEqual({
      code: 1000,
      reason: 'client done',
    });
    expect(await within(handler.closed, 2000, 'client close')).toEqual({ code: 1000, reason: 'client done' });
    expect(handler.errors).toEqual([]);
  });

  it('closes cleanly when the server closes: both sides see its code and reason', async () => {
    const serverHandler = clientRecorder({ message: (session) => session.close(4001, 'server done') });
    const { url } = await ourServer(serverHandler);
    const handler = clientRecorder();
    const client = await connect(url, handler);
    client.send('close please');
    expect(await within(handler.closed, 2000, 'client close')).toEqual({ code: 4001, reason: 'server done' });
    expect(await within(serverHandler.closed, 2000, 'server close')).toEqual({
      code: 4001,
      reason: 'server done',
    });
  });

  it('echoes text and binary through our server', async () => {
    const { url } = await ourServer(clientRecorder({ message: (session, data) => session.send(data) }));
    const handler = clientRecorder();
    const client = await connect(url, handler);
    cleanups.push(() => client.terminate());
    client.send('ünïcode');
    client.send(Uint8Array.of(0, 255));
    expect(await within(handler.messages(2), 2000, 'echoes')).toEqual(['ünïcode', Uint8Array.of(0, 255)]);
  });

  it('reports 1006 when the server side vanishes', async () => {
    let serverSession: Session | undefined;
    const { url } = await ourServer(clientRecorder({ open: (session) => (serverSession = session) }));
    const handler = clientRecorder();
    await connect(url, handler);
    await within(
      new Promise<void>((resolve) => {
        const check = () => (serverSession === undefined ? setImmediate(check) : resolve());
        check();
      }),
      2000,
      'the server session',
    );
    serverSession!.terminate();
    expect(await within(handler.closed, 2000, 'client close')).toEqual({ code: 1006, reason: '' });
  });
});

describe('how a connected session ends, against a raw server', () => {
  async function upgraded(options: Parameters<typeof connect>[2] = {}) {
    let resolvePeer!: (peer: UpgradedPeer) => void;
    const peerReady = new Promise<UpgradedPeer>((resolve) => {
      resolvePeer = resolve;
    });
    const server = await upgradingServer(resolvePeer);
    cleanups.push(() => server.close());
    const handler = clientRecorder();
    const client = await connect(server.url, handler, options);
    const peer = await within(peerReady, 2000, 'the raw server');
    return { client, handler, peer };
  }

  it('drops the connection after closeTimeout when the server echoes the close but keeps TCP open', async () => {
    const { client, handler, peer } = await upgraded({ closeTimeout: 100 });
    void peer.frameWithOpcode(8).then(() => peer.socket.write(serverFrame(8, closeBody(1000, 'ok'))));
    client.close(1000, 'bye');
    // The server's close frame was received, so its code is reported, not 1006.
    expect(await within(handler.closed, 2000, 'client close')).toEqual({ code: 1000, reason: 'ok' });
    await within(peer.socketClosed, 2000, 'the TCP connection to drop');
  });

  it('reports 1006 after closeTimeout when the server never answers the close', async () => {
    const { client, handler, peer } = await upgraded({ closeTimeout: 100 });
    client.close(1000, 'bye');
    expect(await within(handler.closed, 2000, 'client close')).toEqual({ code: 1006, reason: '' });
    await within(peer.socketClosed, 2000, 'the TCP connection to drop');
  });

  it('reports 1006 when the server destroys the socket', async () => {
    const { handler, peer } = await upgraded();
    peer.socket.destroy();
    expect(await within(handler.closed, 2000, 'client close')).toEqual({ code: 1006, reason: '' });
  });

  it('detects a silent peer with keepalive: a ping, no pong, then 1006', async () => {
    const { handler, peer } = await upgraded({ pingInterval: 50, pongTimeout: 50 });
    const ping = await within(peer.frameWithOpcode(9), 2000, 'a keepalive ping');
    expect(ping.masked).toBe(true);
    expect(await within(handler.closed, 2000, 'client close')).toEqual({ code: 1006, reason: '' });
    await within(peer.socketClosed, 2000, 'the TCP connection to drop');
  });

  it('keeps a peer that answers pings alive past the pong timeout', async () => {
    const { client, handler, peer } = await upgraded({ pingInterval: 30, pongTimeout: 30 });
    let pongs = 0;
    const threePongs = new Promise<void>((resolve) => {
      peer.socket.on('data', () => {
        // Answer every ping the client sends so far (one pong per new ping frame).
        const pings = peer.frames().filter((f) => f.opcode === 9).length;
        while (pongs < pings) {
          peer.socket.write(serverFrame(10));
          pongs++;
        }
        if (pongs >= 3) resolve();
      });
    });
    await within(threePongs, 2000, 'three keepalive rounds');
    expect(client.state).toBe('open');
    expect(handler.log).not.toContain('close:1006:');
  });
});
