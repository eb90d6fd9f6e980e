// The client's request shaped as node users shape it: an `agent` tunnelling through an HTTP
// CONNECT proxy (ws:// and wss://), `createConnection`, unix sockets (`ws+unix:`),
// `lookup`, `auth` and URL user info, `origin`, a `Host` header, `http:` and URL objects. Each
// program runs against every pair in PEERS.
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type * as ws from 'ws';
import { selfSignedCertificate } from '../client/helpers.js';
import { Cleanup, closed, listen, nextMessage, PEERS } from './peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

let certificate: { cert: string; key: string };
beforeAll(() => {
  certificate = selfSignedCertificate();
});
let socketDir: string;
beforeAll(() => {
  socketDir = mkdtempSync(join(tmpdir(), 'wasmws-unix-'));
});
afterAll(() => rmSync(socketDir, { recursive: true, force: true }));

/** An HTTP CONNECT proxy: records each tunnel's target and pipes bytes both ways. */
async function connectProxy(): Promise<{ port: number; tunnels: string[] }> {
  const tunnels: string[] = [];
  const proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    tunnels.push(String(req.url));
    const [host, port] = String(req.url).split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  cleanup.add(() => {
    proxy.closeAllConnections();
    return new Promise((resolve) => proxy.close(resolve));
  });
  return { port: (proxy.address() as net.AddressInfo).port, tunnels };
}

type Callback = (error: Error | null, socket?: Duplex) => void;

/** Opens a CONNECT tunnel to `host:port` through the proxy and calls back with its socket. */
function tunnel(
  proxyPort: number,
  options: { host?: string | null; port?: number | string | null },
  done: Callback,
) {
  const request = http.request({
    host: '127.0.0.1',
    port: proxyPort,
    method: 'CONNECT',
    path: `${options.host}:${options.port}`,
  });
  request.on('connect', (res: http.IncomingMessage, socket: net.Socket) => {
    if (res.statusCode === 200) done(null, socket);
    else done(new Error(`proxy answered ${res.statusCode}`));
  });
  request.on('error', done);
  request.end();
}

/** The agents proxy libraries provide, reduced to their core: a tunnel per connection. */
class TunnelAgent extends http.Agent {
  constructor(private readonly proxyPort: number) {
    super();
  }
  override createConnection(options: net.NetConnectOpts & http.ClientRequestArgs, done: Callback): null {
    tunnel(this.proxyPort, options, done);
    return null;
  }
}

class SecureTunnelAgent extends https.Agent {
  constructor(private readonly proxyPort: number) {
    super();
  }
  override createConnection(options: tls.ConnectionOptions & http.ClientRequestArgs, done: Callback): null {
    tunnel(this.proxyPort, options, (error, socket) => {
      if (error !== null) done(error);
      // TLS runs end to end inside the tunnel, as it does through a real proxy.
      else done(null, tls.connect({ ...options, socket, servername: 'localhost' }));
    });
    return null;
  }
}

/** A server that sends each socket its request's url and headers, then echoes. */
function reportRequests(wss: ws.WebSocketServer): void {
  wss.on('connection', (socket, req: http.IncomingMessage) => {
    socket.send(JSON.stringify({ url: req.url, headers: req.headers }));
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
}

async function firstReport(socket: ws.WebSocket): Promise<{ url: string; headers: Record<string, string> }> {
  return JSON.parse(String((await nextMessage(socket))[0]));
}

describe.each(PEERS)('%s', (_name, server, client) => {
  it('goes through an HTTP CONNECT proxy with an agent for ws://', async () => {
    const { wss, url } = await listen(server, cleanup);
    reportRequests(wss);
    const proxy = await connectProxy();
    const socket = cleanup.track(
      new client.WebSocket(`${url}/via-proxy`, { agent: new TunnelAgent(proxy.port) }),
    );
    const report = await firstReport(socket);
    expect(report.url).toBe('/via-proxy');
    expect(proxy.tunnels).toEqual([url.slice('ws://'.length)]);
    socket.send('through');
    expect(String((await nextMessage(socket))[0])).toBe('through');
  });

  it('goes through an HTTP CONNECT proxy with an agent for wss://, TLS inside the tunnel', async () => {
    const httpsServer = https.createServer(certificate);
    const wss = new server.WebSocketServer({ server: httpsServer });
    reportRequests(wss);
    await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => httpsServer.close(resolve)));
    cleanup.add(() => {
      for (const peer of wss.clients) peer.terminate();
      httpsServer.closeAllConnections();
    });
    const port = (httpsServer.address() as net.AddressInfo).port;
    const proxy = await connectProxy();
    const socket = cleanup.track(
      new client.WebSocket(`wss://127.0.0.1:${port}/secure`, {
        agent: new SecureTunnelAgent(proxy.port),
        ca: certificate.cert,
      }),
    );
    const report = await firstReport(socket);
    expect([report.url, proxy.tunnels]).toEqual(['/secure', [`127.0.0.1:${port}`]]);
  });

  it('opens its socket with createConnection, called with the host and port', async () => {
    const { wss, url } = await listen(server, cleanup);
    reportRequests(wss);
    const calls: string[] = [];
    const socket = cleanup.track(
      new client.WebSocket(url, {
        createConnection: (options: net.TcpNetConnectOpts) => {
          calls.push(`${options.host}:${options.port}`);
          return net.connect(Number(options.port), String(options.host));
        },
      } as ws.ClientOptions),
    );
    await firstReport(socket);
    expect(calls).toEqual([url.slice('ws://'.length)]);
  });

  it('connects over a unix socket with ws+unix: (the request target after the colon)', async () => {
    const path = join(socketDir, `${Math.random().toString(36).slice(2)}.sock`);
    const httpServer = http.createServer();
    const wss = new server.WebSocketServer({ server: httpServer });
    reportRequests(wss);
    await new Promise<void>((resolve) => httpServer.listen(path, resolve));
    cleanup.add(() => new Promise((resolve) => httpServer.close(resolve)));
    cleanup.add(() => {
      for (const peer of wss.clients) peer.terminate();
    });
    const byUrl = cleanup.track(new client.WebSocket(`ws+unix:${path}:/room?id=7`));
    const report = await firstReport(byUrl);
    expect([byUrl.url, report.url, report.headers.host]).toEqual([
      `ws+unix:${path}:/room?id=7`,
      '/room?id=7',
      'localhost',
    ]);
  });

  it('resolves the host with the lookup option', async () => {
    const { wss, url } = await listen(server, cleanup);
    reportRequests(wss);
    const port = new URL(url).port;
    const asked: string[] = [];
    const socket = cleanup.track(
      new client.WebSocket(`ws://wasmws.invalid:${port}/`, {
        lookup: ((hostname: string, options: { all?: boolean }, done: (...args: unknown[]) => void) => {
          asked.push(hostname);
          if (options.all) done(null, [{ address: '127.0.0.1', family: 4 }]);
          else done(null, '127.0.0.1', 4);
        }) as net.LookupFunction,
      }),
    );
    const report = await firstReport(socket);
    expect([asked[0], report.headers.host]).toEqual(['wasmws.invalid', `wasmws.invalid:${port}`]);
  });

  it('sends auth and URL user info as Basic authorization, origin, and a Host header of its own', async () => {
    const { wss, url } = await listen(server, cleanup);
    reportRequests(wss);
    const withUserInfo = cleanup.track(new client.WebSocket(url.replace('ws://', 'ws://al%20ice:s3cret@')));
    expect((await firstReport(withUserInfo)).headers.authorization).toBe(
      `Basic ${Buffer.from('al ice:s3cret').toString('base64')}`,
    );
    const shaped = cleanup.track(
      new client.WebSocket(url, {
        auth: 'bob:pw',
        origin: 'https://example.org',
        headers: { Host: 'example.org:8443', 'X-Trace': 'abc' },
      } as ws.ClientOptions),
    );
    const { headers } = await firstReport(shaped);
    expect([headers.authorization, headers.origin, headers.host, headers['x-trace']]).toEqual([
      `Basic ${Buffer.from('bob:pw').toString('base64')}`,
      'https://example.org',
      'example.org:8443',
      'abc',
    ]);
  });

  it('takes http: URLs and URL objects', async () => {
    const { wss, url } = await listen(server, cleanup);
    reportRequests(wss);
    const byHttp = cleanup.track(new client.WebSocket(`${url.replace('ws:', 'http:')}/h?q=1`));
    expect([(await firstReport(byHttp)).url, byHttp.url]).toEqual(['/h?q=1', `${url}/h?q=1`]);
    const byObject = cleanup.track(new client.WebSocket(new URL(`${url}/object`)));
    expect((await firstReport(byObject)).url).toBe('/object');
  });

  it('fails with error and close 1006 when the agent cannot open a tunnel', async () => {
    const proxy = http.createServer();
    proxy.on('connect', (_req, socket: Duplex) => socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => proxy.close(resolve)));
    const port = (proxy.address() as net.AddressInfo).port;
    const socket = cleanup.track(new client.WebSocket('ws://127.0.0.1:9/', { agent: new TunnelAgent(port) }));
    const events: string[] = [];
    socket.on('error', (error) => events.push(error.message));
    const [code] = await closed(socket);
    expect([events, code]).toEqual([['proxy answered 403'], 1006]);
  });
});
