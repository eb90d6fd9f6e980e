// wscat's spellings of `wasmws connect`'s flags, each used against a live server: the built
// `wasmws serve --protocol v1 --protocol v2` (one per file), an in-process ws server that
// reports what it received, a raw server that sends frames in the same packet as its 101, and
// an in-process wss:// server that asks for a client certificate. Plus `serve --protocol`.
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { closeBody, type RawServer, serverFrame, upgradingServer, within } from '../client/helpers.js';
import { connectInProcess, type PemFiles, pemFiles, type Running, run, startServe } from './helpers.js';

/** A promise that never settles: stdin stays open and the server ends the session. */
const never = new Promise<never>(() => {});

let pem: PemFiles;
let serve: Running;
let serveUrl: string;

beforeAll(async () => {
  pem = pemFiles();
  ({ server: serve, url: serveUrl } = await startServe(['--protocol', 'v1', '--protocol', 'v2']));
});

afterAll(async () => {
  serve.child.kill('SIGTERM');
  expect(await serve.exited).toBe(0);
  pem.remove();
});

/** Opens a ws client offering `protocols`; resolves with the 101's subprotocol header and what ws made of it. */
function wsOffering(protocols: string[]): Promise<{ header: string | undefined; outcome: string }> {
  return within(
    new Promise((resolve) => {
      const ws = new WebSocket(serveUrl, protocols);
      let header: string | undefined;
      ws.once('upgrade', (response) => {
        header = response.headers['sec-websocket-protocol'] as string | undefined;
      });
      ws.once('open', () => {
        ws.once('message', (data) => {
          ws.close();
          resolve({ header, outcome: `open ${ws.protocol}, echoed ${String(data)}` });
        });
        ws.send('hi');
      });
      ws.once('error', (error) => resolve({ header, outcome: `error: ${error.message}` }));
    }),
    5000,
    `a ws client offering ${protocols.join(', ')}`,
  );
}

describe('wasmws serve --protocol', () => {
  it('a ws client offering v1 gets v1', async () => {
    expect(await wsOffering(['v1'])).toEqual({ header: 'v1', outcome: 'open v1, echoed hi' });
  });

  it('the server picks in its own preference order', async () => {
    expect(await wsOffering(['v2', 'v1'])).toEqual({ header: 'v1', outcome: 'open v1, echoed hi' });
  });

  it('an offer of none of them is answered 101 with no subprotocol, as a ws server does; both clients then give up', async () => {
    expect(await wsOffering(['x'])).toEqual({
      header: undefined,
      outcome: 'error: Server sent no subprotocol',
    });
    const ours = await connectInProcess([serveUrl, '--subprotocol', 'x', '-x', 'still here', '-w', '0.2']);
    expect(ours.err).toMatch(/^wasmws connect: \S+ selected none of the subprotocols offered \(x\)\n$/);
    expect([ours.code, ours.out]).toEqual([1, '']);
  });
});

describe('wasmws connect with wscat spellings, against wasmws serve', () => {
  it('-c URL -s P -s Q -x MSG -x MSG -w SECONDS (the built program)', async () => {
    const client = run([
      'connect',
      '-c',
      serveUrl,
      '-s',
      'v2',
      '-s',
      'v1',
      '-x',
      'one',
      '-x',
      'two',
      '-w',
      '0.2',
    ]);
    expect(await client.exited).toBe(0);
    expect(client.stderr()).toBe(`* connected to ${serveUrl} over HTTP/1.1 (protocol v1)\n* closed 1000\n`);
    expect(client.stdout()).toBe('< one\n< two\n');
  });

  it('--connect URL --subprotocol P -P: /binary HEX sends binary, a bad one is refused, /pong is sent (the built program)', async () => {
    const client = run(['connect', '--connect', serveUrl, '--subprotocol', 'v2', '--show-ping-pong']);
    await client.waitFor(/\* connected to \S+ over HTTP\/1\.1 \(protocol v2\)\n/, 'stderr');
    client.child.stdin.write('/binary 01 02ff\n');
    await client.waitFor(/^< <binary 3 bytes> 0102ff\n/m);
    client.child.stdin.write('/binary 0g\n');
    await client.waitFor(/\* \/binary takes hex bytes \(e\.g\. \/binary 01 02 ff\), got "0g"\n/, 'stderr');
    // The server ignores an unsolicited pong; what it answers next shows the session lived on.
    client.child.stdin.write('/pong unsolicited\n/ping after the pong\n');
    await client.waitFor(/^< pong after the pong\n/m);
    client.child.stdin.end();
    expect(await client.exited).toBe(0);
    expect(client.stdout()).toBe('< <binary 3 bytes> 0102ff\n< pong after the pong\n');
  });

  it("-p 13 (wscat's protocol version) is accepted", async () => {
    const result = await connectInProcess(['-p', '13', serveUrl, '-x', 'v13', '-w', '0.1']);
    expect([result.code, result.out]).toEqual([0, '< v13\n']);
  });
});

describe('wasmws connect against a server that reports what it received', () => {
  let wss: WebSocketServer;
  let url: string;

  beforeAll(async () => {
    wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (offered) => (offered.has('v9') ? 'v9' : false),
    });
    await new Promise<void>((ready) => wss.once('listening', ready));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
    wss.on('connection', (ws, request) => {
      ws.on('pong', (data) => ws.send(`got pong ${String(data)}`));
      ws.on('message', (data) => {
        const text = String(data);
        if (text === 'report') {
          const { authorization, origin } = request.headers;
          ws.send(
            JSON.stringify({
              protocol: ws.protocol,
              authorization,
              origin,
              test: request.headers['x-test'],
              extensions: request.headers['sec-websocket-extensions'],
            }),
          );
        } else if (text === 'ping-pong') {
          ws.ping('p1');
          ws.pong('p2');
          ws.send('after');
        } else if (text === 'big') ws.send('x'.repeat(20));
        else if (text === 'bye') ws.close(1000, 'bye');
      });
    });
  });

  afterAll(async () => {
    await new Promise<void>((done) => wss.close(() => done()));
  });

  it('-H K:V (repeatable), --auth USER:PASS, -o ORIGIN and -s P reach the server; /pong DATA is sent', async () => {
    const result = await connectInProcess(
      [
        '-c',
        url,
        '-H',
        'X-Test: 1',
        '-H',
        'X-Other:2',
        '--auth',
        'alice:s3cret',
        '-o',
        'http://o.example',
        '-s',
        'v9',
      ],
      ['report', '/pong hi', 'bye'],
      never,
    );
    expect(result.code).toBe(0);
    const [report, pong] = result.out.split('\n');
    expect(JSON.parse(report!.slice(2))).toEqual({
      protocol: 'v9',
      authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}`,
      origin: 'http://o.example',
      test: '1',
      // permessage-deflate is offered unless --no-deflate, with the lean windows first.
      extensions:
        'permessage-deflate; server_max_window_bits=13; client_max_window_bits=13, permessage-deflate; client_max_window_bits=13',
    });
    expect(pong).toBe('< got pong hi');
    expect(result.err).toMatch(/\(protocol v9\)\n\* closed 1000 bye\n$/);
  });

  it('--no-deflate offers no permessage-deflate', async () => {
    const result = await connectInProcess([url, '--no-deflate'], ['report', 'bye'], never);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out.split('\n')[0]!.slice(2))).not.toHaveProperty('extensions');
  });

  it('-P prints the pings and pongs received, in order with the messages; without it they are not shown', async () => {
    const shown = await connectInProcess(['-P', url], ['ping-pong', 'bye'], never);
    expect([shown.code, shown.out]).toEqual([0, '< ping p1\n< pong p2\n< after\n']);
    const hidden = await connectInProcess([url], ['ping-pong', 'bye'], never);
    expect([hidden.code, hidden.out]).toEqual([0, '< after\n']);
  });

  it('--max-message BYTES closes with 1009 on a larger message and exits 1', async () => {
    const result = await connectInProcess([url, '--max-message', '10'], ['big'], never);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toMatch(/\* closed 1009\b/);
  });

  it('wss:// to this plain server fails with exit 1 and a hint to try ws://, with no OpenSSL noise', async () => {
    const secureUrl = url.replace('ws://', 'wss://');
    const result = await connectInProcess([secureUrl]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `wasmws connect: TLS handshake with ${secureUrl.slice(6, -1)} failed: the answer is not TLS (WS_ERR_TLS)\nhint: the server answered without TLS; if it is a plain ws:// server, try ${url}\n`,
    );
  });
});

describe('wasmws connect prints "* connected" before what came with the 101', () => {
  let peer: RawServer;
  beforeAll(async () => {
    const early = Buffer.concat([
      serverFrame(0x1, 'early'),
      serverFrame(0x9, 'with the 101'),
      serverFrame(0x8, closeBody(1000, 'done')),
    ]);
    peer = await upgradingServer(
      (upgraded) => void upgraded.frameWithOpcode(0x8).then(() => upgraded.socket.end()),
      { afterHead: early },
    );
  });
  afterAll(() => peer.close());

  it('then the message, the ping (-P) and the close, in the order they came', async () => {
    const result = await connectInProcess(['-P', peer.url], [], never);
    expect(result.code).toBe(0);
    expect(result.transcript).toBe(
      `2>* connected to ${peer.url} over HTTP/1.1\n< early\n< ping with the 101\n2>* closed 1000 done\n`,
    );
  });
});

describe('wasmws connect to wss://: --ca, -n/--no-check, --cert/--key/--passphrase', () => {
  let server: https.Server;
  let wss: WebSocketServer;
  let port: number;

  beforeAll(async () => {
    server = https.createServer({
      cert: pem.pem.cert,
      key: pem.pem.key,
      ca: pem.pem.clientCert,
      requestCert: true,
      rejectUnauthorized: false,
    });
    wss = new WebSocketServer({ server });
    wss.on('connection', (ws, request) => {
      const socket = request.socket as import('node:tls').TLSSocket;
      ws.send(`client certificate: ${socket.authorized ? 'verified' : 'none'}`);
      ws.close(1000);
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((done) => wss.close(() => done()));
    await new Promise<void>((done) => server.close(() => done()));
  });

  it('-n connects to a self-signed server', async () => {
    const result = await connectInProcess(['-n', `wss://127.0.0.1:${port}/`], [], never);
    expect([result.code, result.out]).toEqual([0, '< client certificate: none\n']);
  });

  it('--ca trusts the certificate; --cert and an encrypted --key with --passphrase present a client certificate', async () => {
    const trusted = await connectInProcess(['--ca', pem.cert, `wss://localhost:${port}/`], [], never);
    expect([trusted.code, trusted.out]).toEqual([0, '< client certificate: none\n']);
    const withCert = await connectInProcess(
      [
        '--no-check',
        '--cert',
        pem.clientCert,
        '--key',
        pem.clientKeyEncrypted,
        '--passphrase',
        pem.passphrase,
        `wss://127.0.0.1:${port}/`,
      ],
      [],
      never,
    );
    expect([withCert.code, withCert.out]).toEqual([0, '< client certificate: verified\n']);
  });

  it('an untrusted certificate exits 1 with a hint to use --ca or -n', async () => {
    const result = await connectInProcess([`wss://127.0.0.1:${port}/`]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `wasmws connect: TLS handshake with 127.0.0.1:${port} failed: self-signed certificate (WS_ERR_TLS)\nhint: trust the server's certificate with --ca FILE, or skip the check with -n/--no-check\n`,
    );
  });

  it('ws:// to this TLS server exits 1 with a hint to try wss://', async () => {
    const result = await connectInProcess([`ws://127.0.0.1:${port}/`]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^wasmws connect: .*\(WS_ERR_HANDSHAKE_(CLOSED|MALFORMED)\)\n/);
    expect(result.err).toMatch(
      new RegExp(`\\nhint: if the server speaks TLS \\(wss://\\), try wss://127\\.0\\.0\\.1:${port}/\\n$`),
    );
  });
});
