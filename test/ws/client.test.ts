// The client as ws's own tests pin it: constants and attributes as enumerable properties,
// ws's messages for a bad 101, `upgrade` and `unexpected-response` with node's IncomingMessage,
// bufferedAmount counting what is sent once not open. Run against ws and wasmws/ws clients.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import * as ws from 'ws';
import * as ours from '../../src/ws/index.js';
import { Cleanup, closed, listen, type WsModule } from './peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const CLIENTS: Array<[string, WsModule]> = [
  ['ws', ws as unknown as WsModule],
  ['wasmws/ws', ours as unknown as WsModule],
];

const accept = (key: string) =>
  createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');

/** A node:http server whose upgrade listener answers by hand. */
async function answering(answer: (req: http.IncomingMessage, socket: Duplex) => void): Promise<string> {
  const server = http.createServer();
  server.on('upgrade', answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const upgraded = (req: http.IncomingMessage, extra = '') =>
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Accept: ${accept(String(req.headers['sec-websocket-key']))}\r\n${extra}\r\n`;

describe.each(CLIENTS)('%s client', (_name, client) => {
  it('has its readyState constants as enumerable read-only properties of the class and prototype', () => {
    for (const [name, value] of Object.entries({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 })) {
      const expected = { configurable: false, enumerable: true, value, writable: false };
      expect(Object.getOwnPropertyDescriptor(client.WebSocket, name)).toEqual(expected);
      expect(Object.getOwnPropertyDescriptor(client.WebSocket.prototype, name)).toEqual(expected);
    }
  });

  it('has its attributes as enumerable accessors of the prototype', () => {
    for (const name of ['binaryType', 'bufferedAmount', 'extensions', 'protocol', 'readyState', 'url']) {
      const descriptor = Object.getOwnPropertyDescriptor(client.WebSocket.prototype, name);
      expect([name, descriptor?.enumerable, descriptor?.configurable, typeof descriptor?.get]).toEqual([
        name,
        true,
        true,
        'function',
      ]);
    }
  });

  it('refuses a protocol version other than 8 and 13', () => {
    expect(() => new client.WebSocket('ws://127.0.0.1:1', { protocolVersion: 1000 })).toThrow(
      'Unsupported protocol version: 1000 (supported versions: 8, 13)',
    );
  });

  it.each([
    [
      'a wrong accept value',
      () =>
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: CxYS6+NgJSBG74mdgLvGscRvpns=\r\n\r\n',
      [],
      'Invalid Sec-WebSocket-Accept header',
    ],
    [
      'a malformed extensions header',
      (req: http.IncomingMessage) => upgraded(req, 'Sec-WebSocket-Extensions: foo;=\r\n'),
      [],
      'Invalid Sec-WebSocket-Extensions header',
    ],
    [
      'a subprotocol none was requested',
      (req: http.IncomingMessage) => upgraded(req, 'Sec-WebSocket-Protocol: foo\r\n'),
      [],
      'Server sent a subprotocol but none was requested',
    ],
    [
      'a subprotocol not offered',
      (req: http.IncomingMessage) => upgraded(req, 'Sec-WebSocket-Protocol: baz\r\n'),
      ['foo', 'bar'],
      'Server sent an invalid subprotocol',
    ],
    [
      'no subprotocol',
      (req: http.IncomingMessage) => upgraded(req),
      ['foo', 'bar'],
      'Server sent no subprotocol',
    ],
  ])(
    'fails a 101 with %s, with ws message, then closes with 1006',
    async (_what, answer, protocols, message) => {
      const url = await answering((req, socket) => socket.end(answer(req)));
      const socket = cleanup.track(new client.WebSocket(url, protocols));
      const error = new Promise<Error>((resolve) => socket.once('error', resolve));
      const [code] = await closed(socket);
      expect([(await error).message, code]).toEqual([message, 1006]);
    },
  );

  it('emits upgrade with the 101 as an IncomingMessage', async () => {
    const { url } = await listen(ours as unknown as WsModule, cleanup);
    const socket = cleanup.track(new client.WebSocket(url));
    const [response] = (await once(socket, 'upgrade')) as [http.IncomingMessage];
    expect([response instanceof http.IncomingMessage, response.statusCode]).toEqual([true, 101]);
  });

  it('lets unexpected-response read the refusal body, with no error event', async () => {
    const url = await answering((_req, socket) =>
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 3\r\n\r\nfoo'),
    );
    const socket = cleanup.track(new client.WebSocket(url));
    const errors: Error[] = [];
    socket.on('error', (error) => errors.push(error));
    const [, response] = (await once(socket, 'unexpected-response')) as [unknown, http.IncomingMessage];
    let body = '';
    for await (const chunk of response) body += chunk;
    expect([response instanceof http.IncomingMessage, response.statusCode, body, errors]).toEqual([
      true,
      401,
      'foo',
      [],
    ]);
  });

  it('aborts the handshake when closed from an upgrade listener: error, close 1006, no open', async () => {
    const { url } = await listen(ours as unknown as WsModule, cleanup);
    const socket = cleanup.track(new client.WebSocket(url));
    const events: string[] = [];
    socket.on('upgrade', () => {
      events.push(`upgrade:${socket.readyState}`);
      socket.close();
    });
    socket.on('open', () => events.push('open'));
    socket.on('error', (error) => events.push(`error:${error.message}`));
    const [code] = await closed(socket);
    expect([...events, code]).toEqual([
      'upgrade:0',
      'error:WebSocket was closed before the connection was established',
      1006,
    ]);
  });

  it('stays CONNECTING after unexpected-response until closed, which emits error then close 1006', async () => {
    const url = await answering((_req, socket) =>
      socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nfoo'),
    );
    const socket = cleanup.track(new client.WebSocket(url));
    const errors: string[] = [];
    socket.on('error', (error) => errors.push(error.message));
    const [, response] = (await once(socket, 'unexpected-response')) as [unknown, http.IncomingMessage];
    let body = '';
    for await (const chunk of response) body += chunk;
    expect([body, socket.readyState]).toEqual(['foo', client.WebSocket.CONNECTING]);
    socket.close();
    const [code] = await closed(socket);
    expect([code, errors]).toEqual([1006, ['WebSocket was closed before the connection was established']]);
  });

  it('counts what is sent once not open in bufferedAmount, and calls back with the state', async () => {
    const { url } = await listen(ours as unknown as WsModule, cleanup);
    const socket = cleanup.track(new client.WebSocket(url));
    // Read inside the listener: `close` follows `error` at once.
    const seen = new Promise<unknown[]>((resolve) =>
      socket.once('error', (error) => {
        const state = [error.message, socket.readyState, socket.bufferedAmount];
        socket.ping('hi');
        socket.ping();
        resolve([...state, socket.bufferedAmount]);
      }),
    );
    const done = closed(socket);
    socket.close();
    expect(await seen).toEqual([
      'WebSocket was closed before the connection was established',
      client.WebSocket.CLOSING,
      0,
      2,
    ]);
    await done;
    const error = await new Promise<Error | undefined>((resolve) => socket.send('abc', resolve));
    expect([error?.message, socket.bufferedAmount]).toEqual([
      'WebSocket is not open: readyState 3 (CLOSED)',
      5,
    ]);
  });
});
