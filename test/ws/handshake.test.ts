// The server's answers to upgrade requests, as ws's own tests pin them: status, body and
// headers for each malformed request, `wsClientError`, version 8, 503 while closing, a second
// handleUpgrade on one socket, and the `WebSocket` option. Run against ws and wasmws/ws.
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as ws from 'ws';
import * as ours from '../../src/ws/index.js';
import { Cleanup, listen, type WsModule } from './peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SERVERS: Array<[string, WsModule]> = [
  ['ws', ws as unknown as WsModule],
  ['wasmws/ws', ours as unknown as WsModule],
];

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Sends an upgrade request with `headers` and resolves with the refusal's status, body and headers. */
async function refusal(url: string, headers: Record<string, string | number>, method = 'GET') {
  const { port } = new URL(url);
  const request = http.request({ port, host: '127.0.0.1', method, path: '/', headers });
  request.end();
  const [response] = (await once(request, 'response')) as [http.IncomingMessage];
  let body = '';
  for await (const chunk of response) body += chunk;
  return { status: response.statusCode, body, headers: response.headers };
}

const upgrade = { Connection: 'Upgrade', Upgrade: 'websocket' };
const full = { ...upgrade, 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': 13 };

describe.each(SERVERS)('%s server', (_name, server) => {
  it.each([
    ['a POST', upgrade, 'POST', 405, 'Invalid HTTP method'],
    ['Upgrade: foo', { Connection: 'Upgrade', Upgrade: 'foo' }, 'GET', 400, 'Invalid Upgrade header'],
    ['no key', upgrade, 'GET', 400, 'Missing or invalid Sec-WebSocket-Key header'],
    [
      'a short key',
      { ...upgrade, 'Sec-WebSocket-Key': 'P5l8BJcZwRc=' },
      'GET',
      400,
      'Missing or invalid Sec-WebSocket-Key header',
    ],
    [
      'no version',
      { ...upgrade, 'Sec-WebSocket-Key': KEY },
      'GET',
      400,
      'Missing or invalid Sec-WebSocket-Version header',
    ],
    [
      'version 12',
      { ...full, 'Sec-WebSocket-Version': 12 },
      'GET',
      400,
      'Missing or invalid Sec-WebSocket-Version header',
    ],
    [
      'a bad protocol list',
      { ...full, 'Sec-WebSocket-Protocol': 'foo;bar' },
      'GET',
      400,
      'Invalid Sec-WebSocket-Protocol header',
    ],
  ])('answers %s with its status and ws body', async (_what, headers, method, status, body) => {
    const { url } = await listen(server, cleanup);
    const answer = await refusal(url, headers, method);
    expect([answer.status, answer.body, answer.headers['content-type']]).toEqual([status, body, 'text/html']);
    if (body.includes('Version')) expect(answer.headers['sec-websocket-version']).toBe('13, 8');
  });

  it('answers an unacceptable permessage-deflate offer with 400 when deflate is on', async () => {
    const { url } = await listen(server, cleanup, { perMessageDeflate: true });
    const answer = await refusal(url, {
      ...full,
      'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=foo',
    });
    expect([answer.status, answer.body]).toEqual([
      400,
      'Invalid or unacceptable Sec-WebSocket-Extensions header',
    ]);
  });

  it('emits wsClientError instead of answering, when listened to', async () => {
    const { wss, url } = await listen(server, cleanup);
    wss.on(
      'wsClientError',
      (error: Error, socket: import('node:stream').Duplex, request: http.IncomingMessage) => {
        socket.end(`HTTP/1.1 400 Bad Request\r\nX-Seen: ${error.message} ${request.method}\r\n\r\n`);
      },
    );
    const answer = await refusal(url, upgrade, 'POST');
    expect([answer.status, answer.headers['x-seen']]).toEqual([400, 'Invalid HTTP method POST']);
  });

  it('runs verifyClient for a version 8 request (401 when it refuses)', async () => {
    const { url } = await listen(server, cleanup, { verifyClient: () => false });
    expect((await refusal(url, { ...full, 'Sec-WebSocket-Version': 8 })).status).toBe(401);
  });

  it('answers 503 once the server is closing', async () => {
    const httpServer = http.createServer();
    const wss = new server.WebSocketServer({ noServer: true });
    httpServer.on('upgrade', (req, socket, head) => {
      wss.close();
      wss.handleUpgrade(req, socket, head, () => {
        throw new Error('not reached');
      });
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => httpServer.close(resolve)));
    const url = `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    expect((await refusal(url, full)).status).toBe(503);
  });

  it('throws when handleUpgrade is called twice with one socket', async () => {
    const httpServer = http.createServer();
    const wss = new server.WebSocketServer({ noServer: true });
    const thrown = new Promise<Error>((resolve) => {
      httpServer.on('upgrade', (req, socket, head) => {
        wss.handleUpgrade(req, socket, head, (socket) => socket.close());
        try {
          wss.handleUpgrade(req, socket, head, () => {});
        } catch (error) {
          resolve(error as Error);
        }
      });
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => {
      httpServer.closeAllConnections();
      return new Promise((resolve) => httpServer.close(resolve));
    });
    const client = cleanup.track(
      new ws.WebSocket(`ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`),
    );
    client.on('error', () => {});
    expect((await thrown).message).toBe(
      'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
    );
  });

  it('makes its sockets with the WebSocket option', async () => {
    class Tagged extends server.WebSocket {
      get tag() {
        return 'tagged';
      }
    }
    const { wss, url } = await listen(server, cleanup, { WebSocket: Tagged } as never);
    const connected = once(wss, 'connection');
    cleanup.track(new ws.WebSocket(url));
    const [socket] = (await connected) as [Tagged];
    expect([socket instanceof Tagged, socket.tag]).toEqual([true, 'tagged']);
  });
});
