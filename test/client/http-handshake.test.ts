// connect() through node:http (`agent`, `createConnection`, `socketPath`, `request`): the request
// it writes, and the same ConnectError codes as the raw path for every way the handshake fails.
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConnectOptions, connect } from '../../src/client/connect.js';
import { ConnectError } from '../../src/client/connect-error.js';
import {
  clientRecorder,
  closedPort,
  type RawServer,
  rawServer,
  readRequest,
  switchingProtocols,
  within,
} from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// `request: {}` is the least that takes the node:http path.
const HTTP_PATH: ConnectOptions = { request: {} };

async function answeringServer(
  answer: (key: string) => string,
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

describe('the request through node:http', () => {
  it('writes the handshake headers in order, a Host header of the caller, and nothing of node', async () => {
    let request: Awaited<ReturnType<typeof readRequest>> | undefined;
    let head = '';
    const server = await rawServer((socket) => {
      socket.once('data', (bytes: Buffer) => {
        head = bytes.toString('latin1');
      });
      void readRequest(socket).then((received) => {
        request = received;
        socket.write(switchingProtocols(received.key));
      });
    });
    cleanups.push(() => server.close());
    const session = await connect(`${server.url}chat?x=1`, clientRecorder(), {
      ...HTTP_PATH,
      protocols: ['v1'],
      headers: { Host: 'example.org', 'X-Trace': 'abc' },
      deflate: false,
    });
    cleanups.push(() => session.terminate());
    expect(request!.requestLine).toBe('GET /chat?x=1 HTTP/1.1');
    expect(head.split('\r\n').slice(1, 8)).toEqual([
      'Host: example.org',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${request!.key}`,
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Protocol: v1',
      'X-Trace: abc',
    ]);
    expect(session.state).toBe('open');
  });

  it('connects over a unix socket with socketPath, and with createConnection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmws-unix-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'echo.sock');
    const hosts: string[] = [];
    const server = net.createServer((socket) => {
      void readRequest(socket).then((request) => {
        hosts.push(request.headers.host ?? '');
        socket.write(switchingProtocols(request.key));
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const client = await connect('ws://localhost/', clientRecorder(), { socketPath: path });
    cleanups.push(() => client.terminate());
    let made = 0;
    const byFunction = await connect('ws://localhost/', clientRecorder(), {
      createConnection: () => {
        made++;
        return net.connect(path);
      },
    });
    cleanups.push(() => byFunction.terminate());
    expect([made, byFunction.state, hosts]).toEqual([1, 'open', ['localhost', 'localhost']]);
  });

  it('uses the agent given', async () => {
    const server = await answeringServer((key) => switchingProtocols(key));
    const agent = new http.Agent();
    let created = 0;
    const original = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof original>) => {
      created++;
      return original(...args);
    }) as typeof agent.createConnection;
    const session = await connect(server.url, clientRecorder(), { agent });
    cleanups.push(() => session.terminate());
    expect(created).toBe(1);
  });
});

describe('failures through node:http, with the raw path codes', () => {
  it('rejects with WS_ERR_CONNECT_REFUSED and WS_ERR_DNS', async () => {
    const port = await closedPort();
    expect((await connectError(connect(`ws://127.0.0.1:${port}/`, clientRecorder(), HTTP_PATH))).code).toBe(
      'WS_ERR_CONNECT_REFUSED',
    );
    expect((await connectError(connect('ws://nonexistent.invalid/', clientRecorder(), HTTP_PATH))).code).toBe(
      'WS_ERR_DNS',
    );
  });

  it('rejects a non-101 answer with its status, headers and body, and keeps only maxErrorBody bytes', async () => {
    const server = await answeringServer(
      () => 'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\nnot for you ✋',
    );
    const error = await connectError(connect(server.url, clientRecorder(), HTTP_PATH));
    expect([error.code, error.status, error.body, error.headers?.['content-type']]).toEqual([
      'WS_ERR_HANDSHAKE_STATUS',
      403,
      'not for you ✋',
      'text/plain',
    ]);
    await within(server.closedSockets[0]!, 2000, 'the socket to be destroyed');
    const long = await answeringServer(
      () => `HTTP/1.1 404 Not Found\r\nContent-Length: 10000\r\n\r\n${'x'.repeat(10000)}`,
    );
    const second = await connectError(
      connect(long.url, clientRecorder(), { ...HTTP_PATH, maxErrorBody: 100 }),
    );
    expect([second.status, second.body]).toEqual([404, 'x'.repeat(100)]);
  });

  it.each([
    [
      'a wrong Sec-WebSocket-Accept',
      'WS_ERR_HANDSHAKE_ACCEPT',
      (key: string) => switchingProtocols(`${key}x`),
    ],
    [
      'a subprotocol that was not offered',
      'WS_ERR_HANDSHAKE_PROTOCOL',
      (key: string) => switchingProtocols(key, ['Sec-WebSocket-Protocol: other']),
    ],
    ['a status line that is not HTTP', 'WS_ERR_HANDSHAKE_MALFORMED', () => 'SSH-2.0-OpenSSH_9.6\r\n\r\n'],
    [
      'a head larger than maxResponseHead',
      'WS_ERR_HANDSHAKE_MALFORMED',
      (key: string) => switchingProtocols(key, [`X-Big: ${'y'.repeat(2000)}`]),
    ],
  ])('rejects %s with %s and destroys the socket', async (_, code, answer) => {
    const server = await answeringServer(answer);
    const error = await connectError(
      connect(server.url, clientRecorder(), { ...HTTP_PATH, protocols: ['chat'], maxResponseHead: 1024 }),
    );
    expect(error.code).toBe(code);
    await within(server.closedSockets[0]!, 2000, 'the socket to be destroyed');
  });

  it('rejects with WS_ERR_HANDSHAKE_TIMEOUT, WS_ERR_HANDSHAKE_CLOSED and WS_ERR_ABORTED', async () => {
    const silent = await answeringServer(() => '');
    const timedOut = await connectError(
      connect(silent.url, clientRecorder(), { ...HTTP_PATH, handshakeTimeout: 100 }),
    );
    expect(timedOut.code).toBe('WS_ERR_HANDSHAKE_TIMEOUT');
    await within(silent.closedSockets[0]!, 2000, 'the socket to be destroyed');

    const hangingUp = await rawServer((socket) => void readRequest(socket).then(() => socket.destroy()));
    cleanups.push(() => hangingUp.close());
    expect((await connectError(connect(hangingUp.url, clientRecorder(), HTTP_PATH))).code).toBe(
      'WS_ERR_HANDSHAKE_CLOSED',
    );

    const controller = new AbortController();
    const pending = connect(silent.url, clientRecorder(), { ...HTTP_PATH, signal: controller.signal });
    controller.abort();
    expect((await connectError(pending)).code).toBe('WS_ERR_ABORTED');
  });

  it('rejects a createConnection that is not a function and an empty socketPath with TypeError', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}/`;
    await expect(connect(url, clientRecorder(), { createConnection: 1 as never })).rejects.toThrow(TypeError);
    await expect(connect(url, clientRecorder(), { socketPath: '' })).rejects.toThrow(TypeError);
  });
});
