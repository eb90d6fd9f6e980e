// ws-style programs, each written once and run against every pair in PEERS (ws, wasmws/ws and
// the two crossings): every pair must give the results asserted here, which are ws's.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type * as ws from 'ws';
import { Cleanup, closed, listen, messages, nextConnection, nextMessage, open, PEERS } from './peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe.each(PEERS)('%s', (_name, server, client) => {
  it('echoes text as text and binary as binary', async () => {
    const { wss, url } = await listen(server, cleanup);
    wss.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const socket = await open(client, cleanup, url);
    socket.send('héllo');
    const [text, textIsBinary] = await nextMessage(socket);
    expect([Buffer.isBuffer(text), String(text), textIsBinary]).toEqual([true, 'héllo', false]);
    socket.send(Buffer.from([1, 2, 3]));
    const [bytes, bytesAreBinary] = await nextMessage(socket);
    expect([Buffer.isBuffer(bytes), [...(bytes as Buffer)], bytesAreBinary]).toEqual([true, [1, 2, 3], true]);
    socket.send(new Uint8Array([4, 5]).buffer);
    expect([...((await nextMessage(socket))[0] as Buffer)]).toEqual([4, 5]);
  });

  it('broadcasts to every socket in wss.clients, which follows connections and closes', async () => {
    const { wss, url } = await listen(server, cleanup);
    wss.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => {
        for (const other of wss.clients) {
          if (other.readyState === client.WebSocket.OPEN) other.send(data, { binary: isBinary });
        }
      });
    });
    const sockets = [];
    for (let i = 0; i < 3; i++) sockets.push(await open(client, cleanup, url));
    expect(wss.clients.size).toBe(3);
    const received = sockets.map((socket) => nextMessage(socket));
    sockets[0]!.send('to all');
    expect((await Promise.all(received)).map(([data]) => String(data))).toEqual([
      'to all',
      'to all',
      'to all',
    ]);
    const [serverSide] = [...wss.clients];
    const gone = once(serverSide!, 'close');
    sockets.find((socket) => socket.readyState === socket.OPEN)!.close();
    for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.close();
    await gone;
    await Promise.all(
      sockets.map((socket) => (socket.readyState === socket.CLOSED ? null : once(socket, 'close'))),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(wss.clients.size).toBe(0);
  });

  it('serves noServer upgrades from a node:http server, which keeps its plain requests', async () => {
    const wss = new server.WebSocketServer({ noServer: true });
    const httpServer = http.createServer((_req, res) => res.end('plain http'));
    httpServer.on('upgrade', (req, socket, head) => {
      if (req.url !== '/ws') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (socket, request) => wss.emit('connection', socket, request));
    });
    wss.on('connection', (socket, req: http.IncomingMessage) =>
      socket.send(
        `hello ${req.url} from ${(socket as unknown as { _socket: { remoteAddress: string } })._socket.remoteAddress}`,
      ),
    );
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => httpServer.close(resolve)));
    cleanup.add(() => {
      for (const socket of wss.clients) socket.terminate();
      httpServer.closeAllConnections();
    });
    const { port } = httpServer.address() as AddressInfo;
    expect(() => wss.address()).toThrow('The server is operating in "noServer" mode');
    const plain = await fetch(`http://127.0.0.1:${port}/`);
    expect(await plain.text()).toBe('plain http');
    const socket = cleanup.track(new client.WebSocket(`ws://127.0.0.1:${port}/ws`));
    expect(String((await nextMessage(socket))[0])).toBe('hello /ws from 127.0.0.1');
  });

  it('refuses with 401 from an async verifyClient: error "Unexpected server response: 401", then close 1006', async () => {
    const seen: Array<[string | undefined, boolean, string | undefined]> = [];
    const { url } = await listen(server, cleanup, {
      verifyClient: (
        info: { origin?: string; secure: boolean; req: http.IncomingMessage },
        done: (ok: boolean, code?: number, message?: string) => void,
      ) => {
        seen.push([info.origin, info.secure, info.req.headers.authorization]);
        setImmediate(() => done(info.req.headers.authorization === 'Bearer ok', 401, 'Unauthorized'));
      },
    });
    const refused = cleanup.track(new client.WebSocket(url, { headers: { Origin: 'https://example.org' } }));
    const events: string[] = [];
    refused.on('error', (error) => events.push(`error:${error.message}`));
    const [code] = await closed(refused);
    events.push(`close:${code}`);
    expect(events).toEqual(['error:Unexpected server response: 401', 'close:1006']);
    expect(refused.readyState).toBe(client.WebSocket.CLOSED);

    const listened = cleanup.track(new client.WebSocket(url));
    const [, response] = (await once(listened, 'unexpected-response')) as [unknown, http.IncomingMessage];
    expect(response.statusCode).toBe(401);

    const allowed = await open(client, cleanup, url, [], { headers: { Authorization: 'Bearer ok' } });
    expect(allowed.readyState).toBe(client.WebSocket.OPEN);
    expect(seen).toEqual([
      ['https://example.org', false, undefined],
      [undefined, false, undefined],
      [undefined, false, 'Bearer ok'],
    ]);
  });

  it('refuses with 401 when a sync verifyClient returns false', async () => {
    const { url } = await listen(server, cleanup, { verifyClient: () => false });
    const socket = cleanup.track(new client.WebSocket(url));
    const [error] = (await once(socket, 'error').catch((e) => [e])) as [Error];
    expect(error.message).toBe('Unexpected server response: 401');
  });

  it('selects the subprotocol with handleProtocols, and the first offered without it', async () => {
    const offers: string[][] = [];
    const picked = await listen(server, cleanup, {
      handleProtocols: (protocols: Set<string>) => {
        offers.push([...protocols]);
        return protocols.has('chat.v2') ? 'chat.v2' : false;
      },
    });
    const serverSide = nextConnection(picked.wss);
    const socket = await open(client, cleanup, picked.url, ['chat.v1', 'chat.v2']);
    expect([socket.protocol, (await serverSide).protocol]).toEqual(['chat.v2', 'chat.v2']);
    // ws's client fails a 101 that selects none of the offered subprotocols.
    const none = cleanup.track(new client.WebSocket(picked.url, ['other']));
    const noneError = new Promise<Error>((resolve) => none.once('error', resolve));
    expect(await closed(none)).toEqual([1006, '']);
    expect((await noneError).message).toBe('Server sent no subprotocol');
    expect(offers).toEqual([['chat.v1', 'chat.v2'], ['other']]);

    const first = await listen(server, cleanup);
    expect((await open(client, cleanup, first.url, ['x', 'y'])).protocol).toBe('x');
  });

  it.each([
    ['nodebuffer', (data: unknown) => Buffer.isBuffer(data) && [...data]],
    ['arraybuffer', (data: unknown) => data instanceof ArrayBuffer && [...new Uint8Array(data)]],
    ['fragments', (data: unknown) => Array.isArray(data) && [...Buffer.concat(data)]],
  ])('delivers binary messages as binaryType %s says (text stays a Buffer)', async (binaryType, decode) => {
    const { wss, url } = await listen(server, cleanup);
    wss.on('connection', (socket) => {
      socket.send(Buffer.from([7, 8, 9]));
      socket.send('text');
    });
    const socket = cleanup.track(new client.WebSocket(url));
    socket.binaryType = binaryType as ws.WebSocket['binaryType'];
    expect(socket.binaryType).toBe(binaryType);
    const [[binary, isBinary], [text, textIsBinary]] = await messages(socket, 2);
    expect([decode(binary), isBinary]).toEqual([[7, 8, 9], true]);
    expect([Buffer.isBuffer(text), String(text), textIsBinary]).toEqual([true, 'text', false]);
  });

  it('calls send callbacks after the write, in order, and with an error once the socket is not open', async () => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url);
    const calls: string[] = [];
    socket.send('one', (error) => calls.push(`one:${error ?? 'ok'}`));
    socket.send(Buffer.alloc(64 * 1024), { binary: true }, (error) => calls.push(`two:${error ?? 'ok'}`));
    calls.push('returned');
    const received = await serverSide;
    const messages: number[] = [];
    received.on('message', (data: Buffer) => messages.push(data.length));
    await new Promise<void>((resolve) => socket.send('three', () => resolve()));
    expect(calls).toEqual(['returned', 'one:ok', 'two:ok']);
    socket.close();
    const late = await new Promise<Error | undefined>((resolve) => socket.send('late', resolve));
    expect(late?.message).toBe('WebSocket is not open: readyState 2 (CLOSING)');
    expect(() => cleanup.track(new client.WebSocket(url)).send('too early')).toThrow(
      'WebSocket is not open: readyState 0 (CONNECTING)',
    );
  });

  it('terminate() drops the connection: 1006 on both sides', async () => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url);
    const peer = await serverSide;
    const peerClosed = closed(peer);
    socket.terminate();
    expect(socket.readyState).toBe(client.WebSocket.CLOSING);
    expect(await closed(socket)).toEqual([1006, '']);
    expect(await peerClosed).toEqual([1006, '']);
  });

  it('pipes a file through createWebSocketStream; ending the stream closes the socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmws-ws-'));
    const source = join(dir, 'in.bin');
    const target = join(dir, 'out.bin');
    const content = Buffer.alloc(300 * 1024);
    for (let i = 0; i < content.length; i++) content[i] = (i * 7) & 0xff;
    writeFileSync(source, content);
    const { wss, url } = await listen(server, cleanup);
    const written = new Promise<number>((resolve, reject) => {
      wss.on('connection', (socket) => {
        const closeCode = closed(socket);
        const { createWriteStream } = require('node:fs') as typeof import('node:fs');
        pipeline(server.createWebSocketStream(socket), createWriteStream(target))
          .then(() => closeCode)
          .then(([code]) => resolve(code), reject);
      });
    });
    const socket = await open(client, cleanup, url);
    const { createReadStream } = await import('node:fs');
    const duplex = client.createWebSocketStream(socket);
    duplex.resume();
    await pipeline(createReadStream(source), duplex);
    expect(await written).toBe(1005);
    expect(readFileSync(target).equals(content)).toBe(true);
  });

  it('emits ping and pong with their payloads, and answers pings', async () => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url);
    const peer = await serverSide;
    const serverPing = once(peer, 'ping');
    const clientPong = once(socket, 'pong');
    socket.ping('are you there');
    expect(String((await serverPing)[0])).toBe('are you there');
    expect(String((await clientPong)[0])).toBe('are you there');
    const clientPing = once(socket, 'ping');
    const serverPong = once(peer, 'pong');
    peer.ping(Buffer.from([1, 2]));
    expect([...((await clientPing)[0] as Buffer)]).toEqual([1, 2]);
    expect([...((await serverPong)[0] as Buffer)]).toEqual([1, 2]);
    expect(() => socket.ping(Buffer.alloc(126))).toThrow('The data size must not be greater than 125 bytes');
  });

  it('reports the close code and reason on both sides', async () => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url);
    const peer = await serverSide;
    const peerClosed = closed(peer);
    expect(() => socket.close(1005)).toThrow('First argument must be a valid error code number');
    expect(() => socket.close(1000, 'x'.repeat(124))).toThrow(
      'The message must not be greater than 123 bytes',
    );
    socket.close(4001, 'bye now');
    expect(socket.readyState).toBe(client.WebSocket.CLOSING);
    expect(await closed(socket)).toEqual([4001, 'bye now']);
    expect(await peerClosed).toEqual([4001, 'bye now']);
    expect(socket.readyState).toBe(client.WebSocket.CLOSED);
  });

  it('closes with 1009 when a message exceeds maxPayload, with ws error and code', async () => {
    const { wss, url } = await listen(server, cleanup, { maxPayload: 1024 });
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url);
    const peer = await serverSide;
    const errors: Array<[string, string, string]> = [];
    peer.on('error', (error: Error & { code: string }) =>
      errors.push([error.constructor.name, error.message, error.code]),
    );
    const peerClosed = closed(peer);
    socket.send(Buffer.alloc(2048));
    expect((await closed(socket))[0]).toBe(1009);
    expect((await peerClosed)[0]).toBe(1006);
    expect(errors).toEqual([
      ['RangeError', 'Max payload size exceeded', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
    ]);
  });

  it('negotiates permessage-deflate when the server turns it on', async () => {
    const { wss, url } = await listen(server, cleanup, { perMessageDeflate: true });
    const serverSide = nextConnection(wss);
    wss.on('connection', (socket) =>
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
    );
    const socket = await open(client, cleanup, url);
    expect([socket.extensions, (await serverSide).extensions]).toEqual([
      'permessage-deflate',
      'permessage-deflate',
    ]);
    const big = 'compress me '.repeat(2000);
    const sent = new Promise<Error | undefined>((resolve) => socket.send(big, resolve));
    expect(String((await nextMessage(socket))[0])).toBe(big);
    expect(await sent).toBeFalsy();

    const plain = await listen(server, cleanup);
    expect((await open(client, cleanup, plain.url)).extensions).toBe('');
  });
});
