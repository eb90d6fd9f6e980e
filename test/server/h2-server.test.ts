// createServer({ http2: true }) and handleConnect: WebSockets over HTTP/2 (RFC 8441) with our own
// client (100 on one connection, sizes, deflate, close codes, ping), with a raw node:http2 client
// that masks its frames by hand, HTTP/1.1 upgrades on the same port (a ws client), the
// no-setting error, and the 'request'-listener trap of nodejs/node#36977.
import { randomBytes } from 'node:crypto';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { pooledSessionCount } from '../../src/client/h2-pool.js';
import { ConnectError, connect } from '../../src/client/index.js';
import { createServer, handleConnect, type WebSocketServer } from '../../src/server/index.js';
import type { Handler, Session } from '../../src/session/types.js';
import { clientRecorder, selfSignedCertificate, within } from '../client/helpers.js';
import { buildFrame, closeBody, parseChunks, text } from '../support/frames.js';

const pair = selfSignedCertificate();
const clientTls = { ca: pair.cert };

const echo: Handler = {
  message(session, data) {
    session.send(data);
  },
};

interface Arrival {
  httpVersion: string;
  h2: http2.ServerHttp2Session | undefined;
}

let server: WebSocketServer;
let url: string;
const arrivals: Arrival[] = [];

beforeAll(async () => {
  server = createServer({
    http2: true,
    tls: pair,
    handler: echo,
    deflate: true,
    protocols: ['chat', 'v2'],
    verify(info) {
      arrivals.push({ httpVersion: info.httpVersion, h2: info.http2Session });
      if (info.path === '/refuse')
        throw { status: 401, reason: 'no token', headers: [['WWW-Authenticate', 'Bearer']] };
      return undefined;
    },
  });
  url = (await server.listen()).url.replace('127.0.0.1', 'localhost');
});

afterAll(async () => {
  // Bounded well below the 5 s grace: every connection was released, none dropped by the timer.
  await within(server.close(), 1000, 'server.close()');
});

describe('our h2 client with our h2 server', () => {
  it('multiplexes 100 concurrent WebSockets on one HTTP/2 session', async () => {
    const before = arrivals.length;
    const recorders = Array.from({ length: 100 }, () => clientRecorder());
    const sessions = await Promise.all(
      recorders.map((recorder) => connect(url, recorder, { http2: true, ...clientTls })),
    );
    const mine = arrivals.slice(before);
    expect(mine).toHaveLength(100);
    expect(new Set(mine.map((arrival) => arrival.h2)).size).toBe(1);
    expect(mine.every((arrival) => arrival.httpVersion === '2.0')).toBe(true);
    expect(pooledSessionCount()).toBe(1);
    for (const [i, session] of sessions.entries()) session.send(`hello ${i}`);
    const echoed = await within(
      Promise.all(recorders.map((recorder) => recorder.messages(1))),
      5000,
      '100 echoes',
    );
    expect(echoed.map(([message]) => message)).toEqual(sessions.map((_, i) => `hello ${i}`));
    for (const session of sessions) session.close(1000, 'done');
    const closes = await within(Promise.all(recorders.map((r) => r.closed)), 5000, '100 closes');
    expect(closes.every(({ code }) => code === 1000)).toBe(true);
    // The shared connection closes with its last WebSocket.
    await within(
      waitFor(() => pooledSessionCount() === 0),
      2000,
      'the pooled session to close',
    );
  });

  it('round-trips text, binary and 1 MiB, with deflate negotiated', async () => {
    const recorder = clientRecorder();
    const session = await connect(url, recorder, { http2: true, ...clientTls });
    expect(session.extensions).toContain('permessage-deflate');
    const big = randomBytes(1 << 20);
    const compressible = 'x'.repeat(200_000);
    session.send('héllo');
    session.send(Uint8Array.from([1, 2, 3]));
    session.send(big);
    session.send(compressible);
    const [a, b, c, d] = await within(recorder.messages(4), 5000, 'four echoes');
    expect(a).toBe('héllo');
    expect(Array.from(b as Uint8Array)).toEqual([1, 2, 3]);
    expect(Buffer.compare(Buffer.from(c as Uint8Array), big)).toBe(0);
    expect(d).toBe(compressible);
    session.close(4001, 'app code');
    expect(await recorder.closed).toEqual({ code: 4001, reason: 'app code' });
  });

  it('answers a ping and selects a subprotocol', async () => {
    const recorder = clientRecorder();
    const session = await connect(url, recorder, {
      http2: true,
      protocols: ['v2', 'x'],
      deflate: false,
      ...clientTls,
    });
    expect(session.protocol).toBe('v2');
    expect(session.extensions).toBe('');
    session.ping('are you there');
    expect(Buffer.from(await within(recorder.nextPong(), 2000, 'pong')).toString()).toBe('are you there');
    session.close();
    expect((await recorder.closed).code).toBe(1005);
  });

  it('reports a verify refusal as WS_ERR_HANDSHAKE_STATUS with the status', async () => {
    const error = await connect(`${url}refuse`, clientRecorder(), { http2: true, ...clientTls }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.code).toBe('WS_ERR_HANDSHAKE_STATUS');
    expect(error.status).toBe(401);
    expect(error.headers['www-authenticate']).toBe('Bearer');
  });
});

describe('a raw node:http2 client against our server', () => {
  it('completes an extended CONNECT and exchanges masked frames', async () => {
    const client = http2.connect(url.replace('wss:', 'https:'), clientTls);
    await new Promise<void>((resolve) => client.once('remoteSettings', () => resolve()));
    expect(client.remoteSettings.enableConnectProtocol).toBe(true);
    const authority = new URL(url).host;
    const stream = client.request({
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':path': '/raw',
      ':authority': authority,
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'chat',
    });
    const response = await new Promise<http2.IncomingHttpHeaders>((resolve) =>
      stream.once('response', resolve),
    );
    expect(response[':status']).toBe(200);
    expect(response['sec-websocket-protocol']).toBe('chat');
    expect(response['sec-websocket-accept']).toBeUndefined();
    const received: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => received.push(chunk));
    stream.write(buildFrame({ opcode: 0x1, payload: text('over h2'), maskKey: 0x12345678 }));
    stream.write(buildFrame({ opcode: 0x8, payload: closeBody(1000, 'bye'), maskKey: 0x0badf00d }));
    await new Promise((resolve) => stream.once('end', resolve));
    stream.end();
    const frames = parseChunks(received, { role: 'client' }).frames;
    expect(frames.map((frame) => [frame.opcode, frame.masked])).toEqual([
      [0x1, false],
      [0x8, false],
    ]);
    expect(Buffer.from(frames[0]!.payload, 'hex').toString()).toBe('over h2');
    client.close();
  });

  it('closes the stream on an unmasked client frame (1002)', async () => {
    const client = http2.connect(url.replace('wss:', 'https:'), clientTls);
    const stream = client.request({
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':path': '/',
      ':authority': new URL(url).host,
      'sec-websocket-version': '13',
    });
    await new Promise((resolve) => stream.once('response', resolve));
    const received: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => received.push(chunk));
    stream.write(buildFrame({ opcode: 0x1, payload: text('unmasked') }));
    await new Promise((resolve) => stream.once('end', resolve));
    const [close] = parseChunks(received, { role: 'client' }).frames;
    expect(close!.opcode).toBe(0x8);
    expect(Number.parseInt(close!.payload.slice(0, 4), 16)).toBe(1002);
    stream.end();
    client.close();
  });

  it('answers a key with its accept (undici needs it), refuses version 8 (400) and a plain GET (405)', async () => {
    const client = http2.connect(url.replace('wss:', 'https:'), clientTls);
    const connectHeaders = {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':path': '/',
      ':authority': new URL(url).host,
      'sec-websocket-version': '13',
    };
    const answer = (stream: http2.ClientHttp2Stream) =>
      new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
    const keyed = client.request({ ...connectHeaders, 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' });
    const keyedAnswer = await answer(keyed);
    expect(keyedAnswer[':status']).toBe(200);
    expect(keyedAnswer['sec-websocket-accept']).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    keyed.close();
    const old = client.request({ ...connectHeaders, 'sec-websocket-version': '8' });
    const oldAnswer = await answer(old);
    expect(oldAnswer[':status']).toBe(400);
    expect(oldAnswer['sec-websocket-version']).toBe('13');
    const get = client.request({ ':path': '/' });
    get.end();
    const getAnswer = await new Promise<http2.IncomingHttpHeaders>((resolve) =>
      get.once('response', resolve),
    );
    expect(getAnswer[':status']).toBe(405);
    expect(getAnswer.allow).toBe('CONNECT');
    client.close();
  });
});

describe('HTTP/1.1 on the same port', () => {
  it('upgrades a ws client (ALPN http/1.1) and echoes', async () => {
    const before = arrivals.length;
    const socket = new WebSocket(url, {
      ca: pair.cert,
      ALPNProtocols: ['http/1.1'],
    } as WebSocket.ClientOptions);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    expect(arrivals[before]?.httpVersion).toBe('1.1');
    expect(arrivals[before]?.h2).toBeUndefined();
    const echoed = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send('over h1');
    expect(await echoed).toBe('over h1');
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.close(1000);
    expect(await closed).toBe(1000);
  });

  it('answers a plain HTTP/1.1 request with 426', async () => {
    const { request } = await import('node:https');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url.replace('wss', 'https'), { ca: pair.cert }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
  });
});

describe('an HTTP/2 server without ENABLE_CONNECT_PROTOCOL', () => {
  it('fails with WS_ERR_H2_NO_CONNECT_PROTOCOL', async () => {
    const plain = http2.createSecureServer(pair);
    plain.on('stream', (stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const { port } = plain.address() as AddressInfo;
    const error = await connect(`wss://localhost:${port}/`, clientRecorder(), {
      http2: true,
      ...clientTls,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.code).toBe('WS_ERR_H2_NO_CONNECT_PROTOCOL');
    await within(
      waitFor(() => pooledSessionCount() === 0),
      2000,
      'the failed session to close',
    );
    await new Promise((resolve) => plain.close(resolve));
  });
});

describe('handleConnect on an existing http2 server', () => {
  it('serves extended CONNECT streams, with a verify context', async () => {
    const h2 = http2.createSecureServer({ ...pair, settings: { enableConnectProtocol: true } });
    const accepted: Session<string>[] = [];
    h2.on('stream', (stream, headers) => {
      void handleConnect<string>(stream, headers, echo as Handler<string>, { verify: () => 'ctx' }).then(
        (s) => {
          if (s) accepted.push(s);
        },
      );
    });
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    const { port } = h2.address() as AddressInfo;
    const recorder = clientRecorder();
    const session = await connect(`wss://localhost:${port}/x`, recorder, { http2: true, ...clientTls });
    session.send('via handleConnect');
    expect(await within(recorder.messages(1), 2000, 'echo')).toEqual(['via handleConnect']);
    expect(accepted[0]?.context).toBe('ctx');
    expect(accepted[0]?.handshake.path).toBe('/x');
    session.close(1000);
    await recorder.closed;
    await new Promise((resolve) => h2.close(resolve));
  });
});

describe('close()', () => {
  it('resolves and releases every stream and session, closing sessions with 1001', async () => {
    const local = createServer({ http2: true, tls: pair, handler: echo });
    const { url: localUrl } = await local.listen();
    const recorders = [clientRecorder(), clientRecorder()];
    await Promise.all(
      recorders.map((r) =>
        connect(localUrl.replace('127.0.0.1', 'localhost'), r, { http2: true, ...clientTls }),
      ),
    );
    const h1 = new WebSocket(localUrl, { ca: pair.cert, servername: 'localhost' } as WebSocket.ClientOptions);
    await new Promise((resolve) => h1.once('open', resolve));
    const h1Closed = new Promise<number>((resolve) => h1.once('close', resolve));
    expect(local.sessions.size).toBe(3);
    await within(local.close(), 3000, 'server.close()');
    expect(local.sessions.size).toBe(0);
    expect((await Promise.all(recorders.map((r) => r.closed))).map(({ code }) => code)).toEqual([1001, 1001]);
    expect(await h1Closed).toBe(1001);
    expect(local.address()).toBeNull();
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
