// `wasmws connect`, run as the built program against `wasmws serve` (both from dist/: build with
// `npm run build:ts` first) and driven through stdin/stdout like a user at a terminal; plus one
// in-process run against a ws server to check how binary messages are shown.
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { CommandIO } from '../../src/cli/command.js';
import { runConnect } from '../../src/cli/connect.js';
import { closedPort, rawServer, readRequest, within } from '../client/helpers.js';
import { pemFiles, type Running, run, startServe } from './helpers.js';

let server: Running;
let url: string;

beforeAll(async () => {
  ({ server, url } = await startServe());
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
});

describe('wasmws connect', () => {
  it('sends stdin lines as text and prints the echoes; /ping with -P shows the pong; /close 1000 bye exits 0', async () => {
    const client = run(['connect', url, '-P']);
    await client.waitFor(/\* connected to /, 'stderr');
    client.child.stdin.write('hello, wörld\n');
    await client.waitFor(/^< hello, wörld\n/m);
    client.child.stdin.write('//not a command\n');
    await client.waitFor(/^< \/not a command\n/m);
    client.child.stdin.write('/ping are you there\n');
    await client.waitFor(/^< pong are you there\n/m);
    client.child.stdin.write('/close 1000 bye\n');
    expect(await client.exited).toBe(0);
    expect(client.stderr()).toMatch(/\* closed 1000\b/);
    expect(client.stdout()).toBe('< hello, wörld\n< /not a command\n< pong are you there\n');
  });

  it('closes with 1000 at the end of stdin and exits 0; without -P a pong is not shown', async () => {
    const client = run(['connect', url]);
    await client.waitFor(/\* connected to /, 'stderr');
    client.child.stdin.write('/ping unseen\n');
    client.child.stdin.write('last line\n');
    await client.waitFor(/^< last line\n/m);
    client.child.stdin.end();
    expect(await client.exited).toBe(0);
    expect(client.stderr()).toMatch(/\* closed 1000\n/);
    expect(client.stdout()).toBe('< last line\n');
    expect(client.stderr()).not.toMatch(/unseen/);
  });

  it('exits 0 after /close with an application code', async () => {
    const client = run(['connect', url]);
    await client.waitFor(/\* connected to /, 'stderr');
    client.child.stdin.write('/close 4000 done here\n');
    expect(await client.exited).toBe(0);
    expect(client.stderr()).toMatch(/\* closed 4000\b/);
  });

  it('--execute sends each message, prints the replies, closes with 1000 after --wait', async () => {
    const client = run(['connect', url, '--execute', 'hello', '-x', 'again', '--wait', '0.3']);
    expect(await client.exited).toBe(0);
    expect(client.stdout()).toBe('< hello\n< again\n');
    expect(client.stderr()).toMatch(/\* closed 1000\n/);
  });

  it('exits 1 (a failure at run time) with a clear message when the connection is refused', async () => {
    const client = run(['connect', `ws://127.0.0.1:${await closedPort()}/`]);
    expect(await client.exited).toBe(1);
    expect(client.stderr()).toMatch(
      /^wasmws connect: Connection to 127\.0\.0\.1:\d+ refused \(WS_ERR_CONNECT_REFUSED\)/,
    );
  });

  it('exits 1 and shows the status and body when the server refuses the upgrade', async () => {
    const refusing = await rawServer((socket) => {
      void readRequest(socket).then(() =>
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 19\r\n\r\nno websockets here\n'),
      );
    });
    const client = run(['connect', refusing.url]);
    const status = await client.exited;
    await refusing.close();
    expect(status).toBe(1);
    expect(client.stderr()).toMatch(
      /403 Forbidden instead of 101 \(WS_ERR_HANDSHAKE_STATUS\)\nno websockets here\n/,
    );
  });
});

describe('wasmws connect --h2', () => {
  const pem = pemFiles();
  afterAll(() => pem.remove());

  it('talks to serve --h2 over an HTTP/2 stream and closes with 1000', async () => {
    const { server: h2, url: h2Url } = await startServe([
      '--h2',
      '--tls-cert',
      pem.cert,
      '--tls-key',
      pem.key,
    ]);
    try {
      const client = run(['connect', '--h2', '--ca', pem.cert, h2Url.replace('127.0.0.1', 'localhost')]);
      await client.waitFor(/\* connected to \S+ over HTTP\/2\n/, 'stderr');
      client.child.stdin.write('over http/2\n');
      await client.waitFor(/^< over http\/2\n/m);
      client.child.stdin.write('/close 1000 done\n');
      expect(await client.exited).toBe(0);
      expect(client.stderr()).toMatch(/\* closed 1000\b/);
    } finally {
      h2.child.kill('SIGTERM');
      await h2.exited;
    }
  });

  it('exits 1 with a hint when the server does not take WebSockets over HTTP/2', async () => {
    // serve --tls without --h2 speaks HTTP/1.1 only: ALPN cannot pick h2.
    const { server: h1, url: h1Url } = await startServe(['--tls-cert', pem.cert, '--tls-key', pem.key]);
    try {
      const client = run(['connect', '--h2', '--ca', pem.cert, h1Url.replace('127.0.0.1', 'localhost')]);
      expect(await client.exited).toBe(1);
      expect(client.stderr()).toMatch(
        /^wasmws connect: .*did not agree to HTTP\/2 .*\(WS_ERR_H2_NO_CONNECT_PROTOCOL\)/,
      );
      expect(client.stderr()).toMatch(/hint: .*leave out --h2/);
    } finally {
      h1.child.kill('SIGTERM');
      await h1.exited;
    }
  });
});

describe('wasmws connect, in process', () => {
  it('shows binary messages as their size and a hex preview', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((ready) => wss.once('listening', ready));
    wss.on('connection', (ws) => {
      ws.send(Uint8Array.of(1, 2, 0xff), { binary: true });
      ws.send(new Uint8Array(40).fill(0xab), { binary: true });
      ws.send(new Uint8Array(0), { binary: true });
      ws.close(1001, 'bye');
    });
    let out = '';
    let err = '';
    const io: CommandIO = { out: (text) => (out += text), err: (text) => (err += text), onStop: () => {} };
    const stdin = new PassThrough();
    const status = await within(
      runConnect([`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`], io, stdin),
      5000,
      'the command to finish',
    );
    await new Promise<void>((done) => wss.close(() => done()));
    expect(status).toBe(0);
    expect(out).toBe(
      `< <binary 3 bytes> 0102ff\n< <binary 40 bytes> ${'ab'.repeat(32)}…\n< <binary 0 bytes>\n`,
    );
    expect(err).toMatch(/\* closed 1001 bye\n$/);
    expect(stdin.destroyed).toBe(true);
  });
});
