// handleUpgrade on a node:http server's 'upgrade' event: the 101 and the session, head bytes,
// verify and context, refusals, activate: false, and option checks.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HandshakeRejection, handleUpgrade, type UpgradeOptions } from '../../src/server/index.js';
import type { Handler, Session } from '../../src/session/types.js';
import { clientFrame, echo, RawClient, SAMPLE_ACCEPT, upgradeRequest } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Served {
  port: number;
  url: string;
  /** What each call of handleUpgrade resolved to. */
  results: Array<Session | null>;
  /** Resolves with the next call's result. */
  next(): Promise<Session | null>;
}

async function serve<Context>(
  handler: Handler<Context> = echo,
  options: UpgradeOptions<Context> = {},
): Promise<Served> {
  const server = http.createServer((_req, res) => {
    res.writeHead(404).end('not here');
  });
  const sockets = new Set<Duplex>();
  const results: Array<Session | null> = [];
  let waiting: ((result: Session | null) => void) | null = null;
  server.on('upgrade', (req, socket, head) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    void handleUpgrade(req, socket, head, handler, options).then((result) => {
      results.push(result);
      waiting?.(result);
      waiting = null;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `ws://127.0.0.1:${port}/`,
    results,
    next: () => new Promise((resolve) => (waiting = resolve)),
  };
}

async function raw(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  cleanups.push(() => client.destroy());
  return client;
}

function wsClient(url: string, options?: WebSocket.ClientOptions, protocols?: string[]): WebSocket {
  const ws = new WebSocket(url, protocols, options);
  ws.on('error', () => {});
  cleanups.push(() => ws.terminate());
  return ws;
}

const opened = (ws: WebSocket) => new Promise<void>((resolve) => ws.once('open', () => resolve()));

describe('handleUpgrade', () => {
  it('answers 101, starts an activated session and echoes through it', async () => {
    const served = await serve();
    const result = served.next();
    const ws = wsClient(served.url);
    await opened(ws);
    const session = await result;
    expect(session?.state).toBe('open');
    expect(session?.role).toBe('server');
    ws.send('héllo wörld');
    const reply = await new Promise<[string, boolean]>((r) =>
      ws.once('message', (d, b) => r([String(d), b])),
    );
    expect(reply).toEqual(['héllo wörld', false]);
  });

  it('writes the accept value for the key', async () => {
    const served = await serve();
    const client = await raw(served.port);
    client.write(upgradeRequest());
    const response = await client.readResponse();
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-accept']).toBe(SAMPLE_ACCEPT);
  });

  it('replays the head bytes node:http read past the request', async () => {
    const served = await serve();
    const client = await raw(served.port);
    client.write(Buffer.concat([Buffer.from(upgradeRequest()), clientFrame(0x1, 'in the head')]));
    expect((await client.readResponse()).status).toBe(101);
    expect((await client.readFrame()).payload.toString()).toBe('in the head');
  });

  it('refuses an invalid request with its status, a reason and Connection: close, resolving null', async () => {
    const served = await serve();
    const result = served.next();
    const client = await raw(served.port);
    client.write(upgradeRequest({ omit: ['sec-websocket-version'], extra: ['Sec-WebSocket-Version: 7'] }));
    const response = await client.readResponse(true);
    expect(response.status).toBe(426);
    expect(response.headers['connection']).toMatch(/close/);
    expect(response.headers['sec-websocket-version']).toBe('13');
    expect(response.body).toMatch(/13/);
    expect(await result).toBeNull();
  });

  it("gives verify's result to the session as context and selects a subprotocol", async () => {
    const contexts: unknown[] = [];
    const served = await serve(
      {
        open(session) {
          contexts.push(session.context);
        },
        message() {},
      },
      {
        verify: async (request) => ({ token: request.headers['authorization'], path: request.path }),
        protocols: ['chat.v2', 'chat.v1'],
      },
    );
    const ws = wsClient(`${served.url}room/7`, { headers: { Authorization: 'Bearer t0k' } }, [
      'chat.v1',
      'chat.v2',
    ]);
    await opened(ws);
    expect(ws.protocol).toBe('chat.v2');
    expect(contexts).toEqual([{ token: 'Bearer t0k', path: '/room/7' }]);
  });

  it('answers a verify rejection with its status and headers', async () => {
    const served = await serve(echo, {
      verify: (request) => {
        if (request.headers['authorization'] === undefined) {
          throw new HandshakeRejection(401, 'Authorization required', [['WWW-Authenticate', 'Bearer']]);
        }
      },
    });
    const result = served.next();
    const client = await raw(served.port);
    client.write(upgradeRequest());
    const response = await client.readResponse(true);
    expect([response.status, response.body, response.headers['www-authenticate']]).toEqual([
      401,
      'Authorization required',
      'Bearer',
    ]);
    expect(await result).toBeNull();
  });

  it('answers 500 and reports to onError when verify fails', async () => {
    const errors: string[] = [];
    const served = await serve(echo, {
      verify: async () => {
        throw new TypeError('bug in the hook');
      },
      onError: (error) => errors.push(error.message),
    });
    const client = await raw(served.port);
    client.write(upgradeRequest());
    const response = await client.readResponse(true);
    expect(response.status).toBe(500);
    expect(response.body).toBe('Internal Server Error');
    expect(errors).toEqual(['bug in the hook']);
  });

  it('with activate: false, reads nothing until the caller activates', async () => {
    const messages: string[] = [];
    let gotBoth!: () => void;
    const delivered = new Promise<void>((resolve) => (gotBoth = resolve));
    const served = await serve(
      {
        message(_session, data) {
          if (messages.push(String(data)) === 2) gotBoth();
        },
      },
      { activate: false },
    );
    const result = served.next();
    const client = await raw(served.port);
    client.write(Buffer.concat([Buffer.from(upgradeRequest()), clientFrame(0x1, 'first')]));
    expect((await client.readResponse()).status).toBe(101);
    const session = (await result)!;
    expect(session.state).toBe('connecting');
    client.write(clientFrame(0x1, 'second'));
    // Both frames wait in the socket and the head; a round trip through the server proves
    // nothing was read meanwhile.
    await new Promise<void>((resolve) =>
      http.get(`http://127.0.0.1:${served.port}/`, (res) => res.resume().on('end', resolve)),
    );
    expect(messages).toEqual([]);
    session.activate();
    await delivered;
    expect(messages).toEqual(['first', 'second']);
  });

  it('a client that resets while verify runs ends as a closed session (1006), not an error', async () => {
    let release!: () => void;
    let entered!: () => void;
    const inVerify = new Promise<void>((resolve) => (entered = resolve));
    const closes: number[] = [];
    let closed!: () => void;
    const sessionClosed = new Promise<void>((resolve) => (closed = resolve));
    const served = await serve(
      {
        message() {},
        close(_session, code) {
          closes.push(code);
          closed();
        },
      },
      {
        verify: () =>
          new Promise<void>((resolve) => {
            release = resolve;
            entered();
          }),
      },
    );
    const result = served.next();
    const client = await raw(served.port);
    client.write(upgradeRequest());
    await inVerify;
    // The paused socket cannot notice the reset until the session reads: the upgrade goes
    // ahead and the session finds the connection gone.
    client.socket.resetAndDestroy();
    await client.closedPromise();
    release();
    const session = await result;
    if (session !== null) {
      await sessionClosed;
      expect(closes).toEqual([1006]);
    }
  });

  it('rejects invalid options and drops the socket', async () => {
    const server = http.createServer();
    const outcome = new Promise<unknown>((resolve) => {
      server.on('upgrade', (req, socket, head) => {
        handleUpgrade(req, socket, head, echo, { protocols: ['bad token'] }).then(resolve, resolve);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const client = await raw((server.address() as AddressInfo).port);
    client.write(upgradeRequest());
    expect(await outcome).toBeInstanceOf(TypeError);
    await client.closedPromise();
    expect(client.received.length).toBe(0);
  });
});
