// createServer: the request-head reader (RFC 9112 strictness, limits, timeout), the upgrade
// answer (RFC 6455 §4.2.2), verify and subprotocols, bytes after the head, shutdown, and
// hostile input. Real loopback sockets; every server is closed after each test.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer, HandshakeRejection, type WebSocketServer } from '../../src/server/index.js';
import type { ServerOptions } from '../../src/server/types.js';
import type { Session } from '../../src/session/types.js';
import { clientFrame, closeBody, echo, RawClient, SAMPLE_ACCEPT, upgradeRequest } from './helpers.js';

const servers: Array<Pick<WebSocketServer, 'close'>> = [];
const clients: Array<RawClient | WebSocket> = [];

afterEach(async () => {
  for (const client of clients.splice(0)) {
    if (client instanceof RawClient) client.destroy();
    else client.terminate();
  }
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start<Context = unknown>(
  options: Partial<ServerOptions<Context>> = {},
): Promise<{ server: WebSocketServer<Context>; port: number; url: string }> {
  const server = createServer<Context>({ handler: echo, ...options } as ServerOptions<Context>);
  servers.push(server);
  const { port, url } = await server.listen();
  return { server, port, url };
}

async function raw(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  clients.push(client);
  return client;
}

/** Sends `request` on a fresh connection and reads the answer's head (for a 101). */
async function handshake(port: number, request: string | Uint8Array) {
  const client = await raw(port);
  client.write(request);
  return client.readResponse();
}

/** Sends `request` on a fresh connection and reads the whole answer (until the server closes). */
async function exchange(port: number, request: string | Uint8Array) {
  const client = await raw(port);
  client.write(request);
  return client.readResponse(true);
}

function wsClient(url: string, protocols?: string | string[]): WebSocket {
  const ws = new WebSocket(url, protocols);
  ws.on('error', () => {});
  clients.push(ws);
  return ws;
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('a valid upgrade (RFC 6455 §4.2.2)', () => {
  it('answers 101 with the accept value of the key and no subprotocol', async () => {
    const { port } = await start();
    const client = await raw(port);
    client.write(upgradeRequest());
    const response = await client.readResponse();
    expect(response.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
    expect(response.headers['upgrade']).toBe('websocket');
    expect(response.headers['connection']).toBe('Upgrade');
    expect(response.headers['sec-websocket-accept']).toBe(SAMPLE_ACCEPT);
    expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    // The declined permessage-deflate offer is not answered (RFC 7692 §5).
    expect(response.headers['sec-websocket-extensions']).toBeUndefined();
  });

  it('accepts a head split into single bytes', async () => {
    const { port } = await start();
    const client = await raw(port);
    for (const byte of Buffer.from(upgradeRequest())) client.write(Uint8Array.of(byte));
    expect((await client.readResponse()).status).toBe(101);
  });

  it('skips empty lines before the request line and takes an absolute-form target (RFC 9112 §2.2, §3.2.2)', async () => {
    const paths: string[] = [];
    const { port } = await start({
      verify: (request) => {
        paths.push(request.path);
      },
    });
    const client = await raw(port);
    client.write(`\r\n${upgradeRequest({ path: 'http://localhost/chat?room=1' })}`);
    expect((await client.readResponse()).status).toBe(101);
    expect(paths).toEqual(['/chat?room=1']);
  });

  it('delivers a frame sent in the same packet as the request head', async () => {
    const { port } = await start();
    const client = await raw(port);
    client.write(Buffer.concat([Buffer.from(upgradeRequest()), clientFrame(0x1, 'early bird')]));
    expect((await client.readResponse()).status).toBe(101);
    const frame = await client.readFrame();
    expect(frame).toMatchObject({ fin: true, opcode: 0x1, masked: false });
    expect(frame.payload.toString()).toBe('early bird');
  });

  it('delivers bytes after the head before bytes that arrive later, in order', async () => {
    const { port } = await start();
    const client = await raw(port);
    client.write(Buffer.concat([Buffer.from(upgradeRequest()), clientFrame(0x2, Uint8Array.of(1))]));
    expect((await client.readResponse()).status).toBe(101);
    client.write(clientFrame(0x2, Uint8Array.of(2)));
    expect([...(await client.readFrame()).payload]).toEqual([1]);
    expect([...(await client.readFrame()).payload]).toEqual([2]);
  });

  it('gives the handler the path, headers and remote address', async () => {
    let seen: Session | undefined;
    const { url } = await start({
      handler: {
        open(session) {
          seen = session;
        },
        message() {},
      },
    });
    const ws = wsClient(`${url}feed?x=1`);
    await opened(ws);
    const handshake = (
      seen as unknown as {
        handshake: { path: string; headers: Record<string, unknown>; remoteAddress: string };
      }
    ).handshake;
    expect(handshake.path).toBe('/feed?x=1');
    expect(handshake.headers['sec-websocket-version']).toBe('13');
    expect(handshake.remoteAddress).toBe('127.0.0.1');
  });
});

describe('refused requests', () => {
  const cases: Array<{
    name: string;
    request: string;
    status: number;
    reason: RegExp;
    header?: [string, string];
  }> = [
    {
      name: 'a method other than GET → 405 with Allow',
      request: upgradeRequest({ method: 'POST' }),
      status: 405,
      reason: /GET/,
      header: ['allow', 'GET'],
    },
    {
      name: 'HTTP/1.0 → 400',
      request: upgradeRequest({ version: '1.0' }),
      status: 400,
      reason: /HTTP version/,
    },
    {
      name: 'HTTP/2.0 on an HTTP/1 request line → 505',
      request: upgradeRequest({ version: '2.0' }),
      status: 505,
      reason: /HTTP\/2\.0 is not supported/,
    },
    {
      name: 'no Upgrade header → 400',
      request: upgradeRequest({ omit: ['upgrade'] }),
      status: 400,
      reason: /Upgrade/,
    },
    {
      name: 'Connection without upgrade → 400',
      request: upgradeRequest({ omit: ['connection'], extra: ['Connection: keep-alive'] }),
      status: 400,
      reason: /Connection/,
    },
    {
      name: 'version 8 → 426 naming 13',
      request: upgradeRequest({ omit: ['sec-websocket-version'], extra: ['Sec-WebSocket-Version: 8'] }),
      status: 426,
      reason: /13/,
      header: ['sec-websocket-version', '13'],
    },
    {
      name: 'a key that is not 16 bytes → 400',
      request: upgradeRequest({ omit: ['sec-websocket-key'], extra: ['Sec-WebSocket-Key: c2hvcnQ='] }),
      status: 400,
      reason: /Sec-WebSocket-Key/,
    },
    { name: 'no Host → 400', request: upgradeRequest({ omit: ['host'] }), status: 400, reason: /Host/ },
    {
      name: 'two Host headers → 400 (RFC 9112 §3.2)',
      request: upgradeRequest({ extra: ['Host: evil.example'] }),
      status: 400,
      reason: /Host/,
    },
    {
      name: 'bare LF line ends → 400',
      request: upgradeRequest().replaceAll('\r\n', '\n'),
      status: 400,
      reason: /CRLF/,
    },
    {
      name: 'a bare CR inside a line → 400',
      request: upgradeRequest({ extra: ['X-A: a\rb'] }),
      status: 400,
      reason: /CR/,
    },
    {
      name: 'obsolete line folding → 400 (RFC 9112 §5.2)',
      request: upgradeRequest({ extra: ['X-Folded: a', ' b'] }),
      status: 400,
      reason: /folding/,
    },
    {
      name: 'whitespace before the colon → 400 (RFC 9112 §5.1)',
      request: upgradeRequest({ extra: ['X-Space : a'] }),
      status: 400,
      reason: /header line/,
    },
    {
      name: 'a control character in a value → 400',
      request: upgradeRequest({ extra: ['X-Ctl: a\x01b'] }),
      status: 400,
      reason: /control/,
    },
    { name: 'a malformed request line → 400', request: 'GET /\r\n\r\n', status: 400, reason: /request line/ },
    {
      name: 'a lower-case version → 400',
      request: upgradeRequest().replace('HTTP/1.1', 'http/1.1'),
      status: 400,
      reason: /request line/,
    },
    {
      name: 'an asterisk-form target → 400',
      request: upgradeRequest({ path: '*' }),
      status: 400,
      reason: /target/,
    },
    {
      name: 'Transfer-Encoding → 400 (the bytes after the head are frames, not a body)',
      request: upgradeRequest({ extra: ['Transfer-Encoding: chunked'] }),
      status: 400,
      reason: /Transfer-Encoding/,
    },
    {
      name: 'a Content-Length body → 400',
      request: upgradeRequest({ extra: ['Content-Length: 5'] }),
      status: 400,
      reason: /body/,
    },
  ];

  for (const { name, request, status, reason, header } of cases) {
    it(name, async () => {
      const { port } = await start();
      const response = await exchange(port, request);
      expect(response.status).toBe(status);
      expect(response.headers['connection']).toMatch(/close/);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.body).toMatch(reason);
      expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
      if (header !== undefined) expect(response.headers[header[0]]).toBe(header[1]);
    });
  }

  it('431 for more header lines than maxHeaders', async () => {
    const { port } = await start({ maxHeaders: 10 });
    const extra = Array.from({ length: 6 }, (_, i) => `X-Extra-${i}: ${i}`);
    const response = await exchange(port, upgradeRequest({ extra }));
    expect(response.status).toBe(431);
    expect(response.body).toMatch(/More than 10 header lines/);
    // The default of 100 lets those through.
    const { port: defaultPort } = await start();
    expect((await handshake(defaultPort, upgradeRequest({ extra }))).status).toBe(101);
  });

  it('431 for a head over maxHeadBytes, counted before the line ends', async () => {
    const { port } = await start();
    const response = await exchange(port, upgradeRequest({ extra: [`X-Big: ${'a'.repeat(17 * 1024)}`] }));
    expect(response.status).toBe(431);
    expect(response.body).toMatch(/larger than 16384 bytes/);
    // Refused before the line is complete: no CRLF ever arrives.
    const client = await raw(port);
    client.write(`GET /${'a'.repeat(20_000)}`);
    expect((await client.readResponse(true)).status).toBe(431);
  });

  it('drops a client that does not finish its head within handshakeTimeout, without an answer', async () => {
    const { port } = await start({ handshakeTimeout: 200 });
    const client = await raw(port);
    const started = Date.now();
    client.write(upgradeRequest().slice(0, 40));
    await client.closedPromise();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(client.received.length).toBe(0);
  });

  it('drops a client that connects and says nothing (slowloris)', async () => {
    const { port } = await start({ handshakeTimeout: 200 });
    const client = await raw(port);
    await client.closedPromise();
    expect(client.received.length).toBe(0);
  });

  it('counts verify in the handshake timeout', async () => {
    const { port } = await start({ handshakeTimeout: 200, verify: () => new Promise<void>(() => {}) });
    const client = await raw(port);
    client.write(upgradeRequest());
    await client.closedPromise();
    expect(client.received.length).toBe(0);
  });
});

describe('verify', () => {
  it('its result becomes session.context', async () => {
    const contexts: unknown[] = [];
    const { url } = await start<{ user: string }>({
      verify: async (request) => ({ user: String(request.headers['x-user']) }),
      handler: {
        open(session) {
          contexts.push(session.context);
        },
        message() {},
      },
    });
    const ws = new WebSocket(url, { headers: { 'X-User': 'ann' } });
    ws.on('error', () => {});
    clients.push(ws);
    await opened(ws);
    expect(contexts).toEqual([{ user: 'ann' }]);
  });

  it('sees the offered protocols, origin and security of the request', async () => {
    const requests: unknown[] = [];
    const { url } = await start({
      verify: (request) => {
        requests.push(request);
      },
    });
    const ws = new WebSocket(url, ['a', 'b'], { origin: 'https://app.example' });
    ws.on('error', () => {});
    clients.push(ws);
    await new Promise((resolve) => ws.once('close', resolve));
    expect(requests).toMatchObject([
      { method: 'GET', path: '/', protocols: ['a', 'b'], origin: 'https://app.example', secure: false },
    ]);
  });

  it('a rejection with a status answers with it, its reason and its headers', async () => {
    const { port } = await start({
      verify: () => {
        throw new HandshakeRejection(401, 'Token required', [['WWW-Authenticate', 'Bearer']]);
      },
    });
    const response = await exchange(port, upgradeRequest());
    expect(response.status).toBe(401);
    expect(response.body).toBe('Token required');
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.headers['connection']).toBe('close');
  });

  it('a plain object rejection works too; one with only a reason is 403', async () => {
    let thrown: unknown = { status: 429, reason: 'slow down', headers: [['Retry-After', '5']] };
    const { port } = await start({
      verify: () => Promise.reject(thrown),
    });
    const limited = await exchange(port, upgradeRequest());
    expect([limited.status, limited.body, limited.headers['retry-after']]).toEqual([429, 'slow down', '5']);
    thrown = { reason: 'not you' };
    const forbidden = await exchange(port, upgradeRequest());
    expect([forbidden.status, forbidden.body]).toEqual([403, 'not you']);
  });

  it('a hook that throws an Error answers 500 without leaking it and reports it to onError', async () => {
    const errors: Error[] = [];
    const { port } = await start({
      verify: () => {
        throw new Error('database password is hunter2');
      },
      onError: (error) => errors.push(error),
    });
    const response = await exchange(port, upgradeRequest());
    expect(response.status).toBe(500);
    expect(response.body).not.toMatch(/hunter2/);
    expect(errors.map((e) => e.message)).toEqual(['database password is hunter2']);
  });

  it('is not called for an invalid request', async () => {
    let calls = 0;
    const { port } = await start({
      verify: () => {
        calls++;
      },
    });
    expect((await exchange(port, upgradeRequest({ method: 'PUT' }))).status).toBe(405);
    expect(calls).toBe(0);
  });
});

describe('subprotocols (RFC 6455 §4.2.2 item 5.4)', () => {
  it("selects the server's first choice among those offered", async () => {
    const { url } = await start({ protocols: ['v2', 'v1'] });
    const ws = wsClient(url, ['v1', 'v2']);
    await opened(ws);
    expect(ws.protocol).toBe('v2');
  });

  it('selects none when nothing offered matches, and the client may proceed', async () => {
    const { port } = await start({ protocols: ['v3'] });
    const response = await handshake(port, upgradeRequest({ extra: ['Sec-WebSocket-Protocol: v1, v2'] }));
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-protocol']).toBeUndefined();
  });

  it('asks a selector function and exposes the choice as session.protocol', async () => {
    const protocols: string[] = [];
    const { url } = await start({
      protocols: (offered) => offered.at(-1),
      handler: {
        open(session) {
          protocols.push(session.protocol);
        },
        message() {},
      },
    });
    const ws = wsClient(url, ['x', 'y']);
    await opened(ws);
    expect(ws.protocol).toBe('y');
    expect(protocols).toEqual(['y']);
  });

  it('answers 500 when the selector picks a protocol that was not offered', async () => {
    const { port } = await start({ protocols: () => 'never-offered' });
    const response = await exchange(port, upgradeRequest({ extra: ['Sec-WebSocket-Protocol: a'] }));
    expect(response.status).toBe(500);
  });
});

describe('backpressure through the socket', () => {
  it('a session with a highWaterMark below the socket buffer streams to a slow reader by drain', async () => {
    // Each stall leaves a few KiB in the socket (below its 16 KiB mark, so node emits no
    // 'drain' of its own); only the transport's flush report wakes the session.
    const total = 32 * 1024 * 1024;
    const chunk = new Uint8Array(1000).fill(0x5a);
    let sent = 0;
    let drains = 0;
    let stalled!: () => void;
    const socketHoldsBytes = new Promise<void>((resolve) => (stalled = resolve));
    const pump = (session: Session) => {
      while (sent < total) {
        sent += chunk.length;
        if (!session.send(chunk)) {
          queueMicrotask(() => {
            if (session.bufferedAmount > 0) stalled();
          });
          return;
        }
      }
    };
    const { port } = await start({
      highWaterMark: 4096,
      handler: {
        open: pump,
        message() {},
        drain(session) {
          drains++;
          pump(session);
        },
      },
    });
    const client = await raw(port);
    client.socket.pause();
    client.write(upgradeRequest());
    await socketHoldsBytes;
    client.socket.resume();
    const response = await client.readResponse();
    expect(response.status).toBe(101);
    let received = 0;
    while (received < Math.ceil(total / chunk.length) * chunk.length)
      received += (await client.readFrame()).payload.length;
    expect(drains).toBeGreaterThan(0);
  });
});

describe('close() and sessions', () => {
  it('tracks sessions, closes each with 1001 and stops listening', async () => {
    const { server, url, port } = await start();
    const a = wsClient(url);
    const b = wsClient(url);
    await Promise.all([opened(a), opened(b)]);
    expect(server.sessions.size).toBe(2);
    const codes = Promise.all(
      [a, b].map(
        (ws) => new Promise<[number, string]>((r) => ws.once('close', (c, reason) => r([c, String(reason)]))),
      ),
    );
    await server.close();
    expect(await codes).toEqual([
      [1001, 'server shutting down'],
      [1001, 'server shutting down'],
    ]);
    expect(server.sessions.size).toBe(0);
    expect(server.address()).toBeNull();
    await expect(RawClient.connect(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('takes a code and reason, and drops connections still in their handshake', async () => {
    const { server, url, port } = await start();
    const ws = wsClient(url);
    await opened(ws);
    const half = await raw(port);
    half.write('GET / HTTP/1.1\r\n');
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    await server.close(1012, 'restarting');
    expect(await closed).toBe(1012);
    await half.closedPromise();
    expect(half.received.length).toBe(0);
  });

  it('close() throws at once for a code that may not be sent, and keeps serving', async () => {
    const { server, url } = await start();
    expect(() => server.close(1005)).toThrow(RangeError);
    expect(() => server.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    const ws = wsClient(url);
    await opened(ws);
  });

  it('close() is idempotent and listen() after it is refused', async () => {
    const { server } = await start();
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    await expect(server.listen()).rejects.toThrow(/closed/);
  });

  it('listen() reports an address in use', async () => {
    const { port } = await start();
    const other = createServer({ handler: echo, port });
    servers.push(other);
    await expect(other.listen()).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('options are validated at construction', () => {
  const handler = echo;
  it.each([
    [{ handler, port: 70000 }, /port/],
    [{ handler, port: 1.5 }, /port/],
    [{ handler, maxHeadBytes: 0 }, /maxHeadBytes/],
    [{ handler, maxHeaders: -1 }, /maxHeaders/],
    [{ handler, handshakeTimeout: Number.NaN }, /handshakeTimeout/],
    [{ handler, protocols: ['has space'] }, /protocols/],
    [{ handler, verify: 'yes' }, /verify/],
    [{ handler, closeTimeout: -1 }, /closeTimeout/],
    [{ handler, maxFrame: -5 }, /maxFrame/],
    [{ handler: {} }, /handler\.message/],
    [{ handler, tls: { cert: 'x' } }, /cert and key/],
  ])('%o', (options, message) => {
    expect(() => createServer(options as unknown as ServerOptions)).toThrow(message);
  });
});

describe('hostile input never crashes the server', () => {
  async function stillServes(url: string): Promise<void> {
    const ws = wsClient(url);
    await opened(ws);
    ws.send('still here');
    const [data] = await new Promise<[unknown]>((r) => ws.once('message', (d) => r([d])));
    expect(String(data)).toBe('still here');
  }

  it('binary garbage is refused with 400', async () => {
    const { port, url } = await start();
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff));
    const client = await raw(port);
    client.write(garbage);
    await client.closedPromise();
    if (client.received.length > 0) expect(client.received.toString('latin1')).toMatch(/^HTTP\/1\.1 400 /);
    await stillServes(url);
  });

  it('a TLS ClientHello on the plain port is refused', async () => {
    const { port, url } = await start();
    const client = await raw(port);
    client.write(Buffer.from('160301020001', 'hex'));
    client.write(Buffer.alloc(600, 0x41));
    client.write('\r\n\r\n');
    await client.closedPromise();
    await stillServes(url);
  });

  it('a reset in the middle of the head', async () => {
    const { port, url } = await start();
    const client = await raw(port);
    client.write(upgradeRequest().slice(0, 30));
    client.socket.resetAndDestroy();
    await client.closedPromise();
    await stillServes(url);
  });

  it('a reset right after the head, before the answer is read', async () => {
    const { port, url } = await start({ verify: () => new Promise((resolve) => setTimeout(resolve, 20)) });
    const client = await raw(port);
    client.write(upgradeRequest());
    client.socket.resetAndDestroy();
    await client.closedPromise();
    await stillServes(url);
  });

  it('a 1 MB header line gets 431 (or a reset once the answer is out) and costs at most the limit', async () => {
    const { port, url } = await start();
    const client = await raw(port);
    client.write(`GET / HTTP/1.1\r\nX-Huge: ${'x'.repeat(1024 * 1024)}\r\n\r\n`);
    await client.closedPromise();
    if (client.received.length > 0) expect(client.received.toString('latin1')).toMatch(/^HTTP\/1\.1 431 /);
    await stillServes(url);
  });

  it('a flood without line ends is cut off at the limit, not buffered', async () => {
    const { port, url } = await start();
    const client = await raw(port);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 64 && !client.closed; i++) client.write(chunk); // up to 4 MiB
    await client.closedPromise();
    await stillServes(url);
  });

  it('many half-open handshakes at once are all dropped by the timeout', async () => {
    const { port, url } = await start({ handshakeTimeout: 200 });
    const idle = await Promise.all(Array.from({ length: 20 }, () => raw(port)));
    for (const client of idle) client.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await Promise.all(idle.map((client) => client.closedPromise()));
    await stillServes(url);
  });

  it('a client that half-closes mid-head is dropped', async () => {
    const { port, url } = await start();
    const client = await raw(port);
    client.socket.end('GET / HTTP/1.1\r\n');
    await client.closedPromise();
    expect(client.received.length).toBe(0);
    await stillServes(url);
  });

  it('a close frame right after the head completes the closing handshake', async () => {
    const { port } = await start();
    const client = await raw(port);
    client.write(Buffer.concat([Buffer.from(upgradeRequest()), clientFrame(0x8, closeBody(1000, 'bye'))]));
    expect((await client.readResponse()).status).toBe(101);
    expect((await client.readClose()).code).toBe(1000);
    await client.closedPromise();
  });
});
