// Behaviours of wasmws/ws where it differs from ws on purpose (README "Coming from ws"): an
// aborted unexpected-response request closes the socket, Blob sends keep their order, a
// fragments array is sent joined.
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as ws from 'ws';
import * as ours from '../../src/ws/index.js';
import { Cleanup, closed, listen, messages, nextConnection, open, type WsModule } from './peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const wasmws = ours as unknown as WsModule;
const real = ws as unknown as WsModule;

describe('wasmws/ws, where it differs from ws', () => {
  it('closes the socket (1006, no error) when an unexpected-response listener aborts the request', async () => {
    const server = http.createServer();
    server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => server.close(resolve)));
    const socket = cleanup.track(
      new wasmws.WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
    const errors: Error[] = [];
    socket.on('error', (error) => errors.push(error));
    const [request] = (await once(socket, 'unexpected-response')) as [{ abort(): void }];
    request.abort();
    expect([...(await closed(socket)), errors]).toEqual([1006, '', []]);
  });

  it('sends Blobs in order with the messages around them', async () => {
    const { wss, url } = await listen(real, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(wasmws, cleanup, url);
    const received = messages(await serverSide, 3);
    socket.send('first');
    socket.send(new Blob([Buffer.from('second')]));
    socket.send('third');
    expect((await received).map(([data]) => String(data))).toEqual(['first', 'second', 'third']);
  });

  it('sends a fragments array (as binaryType fragments hands it out) as one joined message', async () => {
    const { wss, url } = await listen(real, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(wasmws, cleanup, url);
    const received = messages(await serverSide, 1);
    socket.send([Buffer.from('ab'), Buffer.from('cd')]);
    const [[data, isBinary]] = await received;
    expect([String(data), isBinary]).toEqual(['abcd', true]);
  });
});
