// ws 8 behaviours a one-import switch trips over: `autoPong: false` on either side, and no
// `connection` for a client that went away while its handshake was being verified. Each
// program runs against every pair in PEERS.
import { once } from 'node:events';
import type * as http from 'node:http';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, listen, nextConnection, open, PEERS } from './peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe.each(PEERS)('%s', (_name, server, client) => {
  it('leaves pings unanswered with autoPong: false on the client; the application pongs itself', async () => {
    const { wss, url } = await listen(server, cleanup);
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url, [], { autoPong: false });
    const peer = await serverSide;
    const pinged = once(socket, 'ping');
    const firstPong = once(peer, 'pong');
    peer.ping('are you there');
    expect(String((await pinged)[0])).toBe('are you there');
    socket.pong('answered by hand');
    // Had the client answered by itself, the first pong would carry the ping's payload.
    expect(String((await firstPong)[0])).toBe('answered by hand');
  });

  it('leaves pings unanswered with autoPong: false on the server', async () => {
    const { wss, url } = await listen(server, cleanup, { autoPong: false });
    const serverSide = nextConnection(wss);
    const socket = await open(client, cleanup, url);
    const peer = await serverSide;
    const pinged = once(peer, 'ping');
    const firstPong = once(socket, 'pong');
    socket.ping('server?');
    expect(String((await pinged)[0])).toBe('server?');
    peer.pong('by hand');
    expect(String((await firstPong)[0])).toBe('by hand');
  });

  it('emits no connection for a client that ended its side while verifyClient was deciding', async () => {
    const connections: string[] = [];
    const { wss, url } = await listen(server, cleanup, {
      verifyClient: (info: { req: http.IncomingMessage }, done: (ok: boolean) => void) => {
        // Accept only once the client's FIN has arrived.
        info.req.socket.once('end', () => done(true));
      },
    });
    wss.on('connection', (_socket, req: http.IncomingMessage) => connections.push(String(req.url)));
    const { port } = new URL(url);
    const raw = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
    cleanup.add(() => raw.destroy());
    raw.end(
      'GET /gone HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    raw.resume();
    await once(raw, 'end');
    expect(connections).toEqual([]);
  });
});
