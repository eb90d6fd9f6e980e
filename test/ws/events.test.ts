// More ws-style programs over every pair in PEERS: the browser-style events, the handshake's
// `headers` and `upgrade` events, `path`, redirects, pause/resume, `fin: false`, server close,
// and the errors ws emits for a peer's protocol violations (sent by a raw TCP client).
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../client/helpers.js';
import { Cleanup, closed, listen, messages, nextConnection, nextMessage, open, PEERS } from './peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A raw client: the upgrade request, then `frame` (as given, e.g. unmasked or with bad UTF-8). */
async function rawUpgradeThen(url: string, frame: Buffer): Promise<net.Socket> {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  cleanup.add(() => socket.destroy());
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(
    'GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await once(socket, 'data');
  socket.write(frame);
  return socket;
}

/** A masked client frame (mask key 0, so the payload is as written). */
const maskedFrame = (opcode: number, payload: Buffer) =>
  Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);

describe.each(PEERS)('%s', (_name, server, client) => {
  it('delivers Event objects to addEventListener and the on* attributes (text as a string)', async () => {
    const { wss, url } = await listen(server, cleanup);
    wss.on('connection', (socket) => {
      socket.send('text');
      socket.send(Buffer.from([1]));
      socket.close(4000, 'done');
    });
    const socket = cleanup.track(new client.WebSocket(url));
    const seen: string[] = [];
    const listener = (event: { type: string }) => seen.push(`listener:${event.type}`);
    socket.addEventListener('open', listener);
    socket.addEventListener('open', listener); // the same listener is added once
    socket.onmessage = (event) => seen.push(`message:${typeof event.data}:${event.data.toString()}`);
    const done = new Promise<void>((resolve) => {
      socket.onclose = (event) => {
        seen.push(`close:${event.code}:${event.reason}:${event.wasClean}`);
        resolve();
      };
    });
    await done;
    expect(typeof socket.onmessage).toBe('function');
    expect(seen).toEqual([
      'listener:open',
      'message:string:text',
      'message:object:\u0001',
      'close:4000:done:true',
    ]);
  });

  it('lets headers listeners add to the 101, which the client sees in its upgrade event', async () => {
    const { wss, url } = await listen(server, cleanup);
    wss.on('headers', (headers: string[]) => headers.push('Set-Cookie: session=1'));
    const socket = cleanup.track(new client.WebSocket(url));
    const [response] = (await once(socket, 'upgrade')) as [http.IncomingMessage];
    expect([response.statusCode, response.headers['set-cookie']]).toEqual([101, ['session=1']]);
  });

  it('refuses other paths with 400 when path is set', async () => {
    const { url } = await listen(server, cleanup, { path: '/feed' });
    expect((await open(client, cleanup, `${url}/feed?x=1`)).readyState).toBe(client.WebSocket.OPEN);
    const socket = cleanup.track(new client.WebSocket(`${url}/other`));
    const [, response] = (await once(socket, 'unexpected-response')) as [unknown, http.IncomingMessage];
    expect(response.statusCode).toBe(400);
  });

  it('follows a redirect with followRedirects, emitting redirect', async () => {
    const { url } = await listen(server, cleanup);
    const redirector = http.createServer();
    redirector.on('upgrade', (_req, socket) => {
      socket.end(`HTTP/1.1 302 Found\r\nLocation: ${url}/moved\r\nContent-Length: 0\r\n\r\n`);
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => redirector.close(resolve)));
    const start = `ws://127.0.0.1:${(redirector.address() as AddressInfo).port}/`;
    const socket = cleanup.track(new client.WebSocket(start, { followRedirects: true }));
    const [target] = await once(socket, 'redirect');
    expect(target).toBe(`${url}/moved`);
    await once(socket, 'open');
    expect(socket.url).toBe(`${url}/moved`);
  });

  it('holds messages while paused and delivers them on resume', async () => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url);
    const peer = await serverSide;
    socket.pause();
    expect(socket.isPaused).toBe(true);
    const received: string[] = [];
    socket.on('message', (data) => received.push(String(data)));
    await new Promise((resolve) => peer.send('while paused', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toEqual([]);
    const next = nextMessage(socket);
    socket.resume();
    expect(socket.isPaused).toBe(false);
    await next;
    expect(received).toEqual(['while paused']);
  });

  it('sends the pieces of fin: false as one message', async () => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url);
    const peer = await serverSide;
    const received = messages(peer, 1);
    socket.send('hel', { fin: false });
    socket.send('lo', { fin: true });
    const [[data, isBinary]] = await received;
    expect([String(data), isBinary]).toEqual(['hello', false]);
  });

  it('emits close after close(cb), and an error to a second close(cb)', async () => {
    const { wss } = await listen(server, cleanup);
    const first = new Promise<Error | undefined>((resolve) => wss.close(resolve));
    const emitted = once(wss, 'close');
    expect(await first).toBeUndefined();
    await emitted;
    const second = await new Promise<Error | undefined>((resolve) => wss.close(resolve));
    expect(second?.message).toBe('The server is not running');
  });

  it('serves wss:// from a node:https server, with info.secure and the client trusting its ca', async () => {
    const { cert, key } = selfSignedCertificate();
    const httpsServer = https.createServer({ cert, key });
    const secure: boolean[] = [];
    const wss = new server.WebSocketServer({
      server: httpsServer,
      verifyClient: (info: { secure: boolean }) => secure.push(info.secure) > 0,
    });
    wss.on('connection', (socket) => socket.send('over tls'));
    await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => httpsServer.close(resolve)));
    cleanup.add(() => {
      for (const socket of wss.clients) socket.terminate();
    });
    const url = `wss://127.0.0.1:${(httpsServer.address() as AddressInfo).port}/`;
    const socket = cleanup.track(new client.WebSocket(url, { ca: cert }));
    expect(String((await nextMessage(socket))[0])).toBe('over tls');
    expect(secure).toEqual([true]);
    const untrusted = cleanup.track(new client.WebSocket(url));
    const [error] = (await once(untrusted, 'error')) as [Error & { code?: string }];
    expect(error.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('keeps no clients set with clientTracking: false', async () => {
    const { wss } = await listen(server, cleanup, { clientTracking: false });
    expect(wss.clients).toBeUndefined();
  });

  it.each([
    [
      'an unmasked frame',
      Buffer.from([0x81, 0x02, 0x68, 0x69]),
      'RangeError',
      'Invalid WebSocket frame: MASK must be set',
      'WS_ERR_EXPECTED_MASK',
    ],
    [
      'invalid UTF-8',
      maskedFrame(1, Buffer.from([0xc3, 0x28])),
      'Error',
      'Invalid WebSocket frame: invalid UTF-8 sequence',
      'WS_ERR_INVALID_UTF8',
    ],
    [
      'a fragmented ping',
      Buffer.from([0x09, 0x80, 0, 0, 0, 0]),
      'RangeError',
      'Invalid WebSocket frame: FIN must be set',
      'WS_ERR_EXPECTED_FIN',
    ],
  ])('emits ws error for %s and closes with 1006', async (_what, frame, kind, message, code) => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    await rawUpgradeThen(url, frame);
    const peer = await serverSide;
    const error = new Promise<Error & { code: string }>((resolve) => peer.once('error', resolve));
    expect(await closed(peer)).toEqual([1006, '']);
    const seen = await error;
    expect([seen.constructor.name, seen.message, seen.code]).toEqual([kind, message, code]);
  });
});
