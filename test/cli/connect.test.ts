// `wasmws connect`, run as the built program against `wasmws serve` (both from dist/: build with
// `npm run build:ts` first) and driven through stdin/stdout like a user at a terminal; plus one
// in-process run against a ws server to check how binary messages are shown.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { CommandIO } from '../../src/cli/command.js';
import { runConnect } from '../../src/cli/connect.js';
import { closedPort, rawServer, readRequest, within } from '../client/helpers.js';

const MAIN = resolve(import.meta.dirname, '../../dist/src/cli/main.js');

/** A spawned program whose output is collected so tests can wait for a line. */
interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout (or stderr) matches. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<string>;
  /** Resolves with the exit status. */
  exited: Promise<number | null>;
}

function run(args: string[]): Running {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: 'pipe' });
  const text = { stdout: '', stderr: '' };
  const waiters: Array<{ pattern: RegExp; stream: 'stdout' | 'stderr'; resolve: (text: string) => void }> =
    [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (!waiter.pattern.test(text[waiter.stream])) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(text[waiter.stream]);
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    text.stdout += chunk;
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    text.stderr += chunk;
    check();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor: (pattern, stream = 'stdout') =>
      within(
        new Promise<string>((found) => {
          waiters.push({ pattern, stream, resolve: found });
          check();
        }),
        5000,
        `${pattern} on ${stream} (stdout: ${JSON.stringify(text.stdout)}, stderr: ${JSON.stringify(text.stderr)})`,
      ),
    exited: within(exited, 10_000, 'the program to exit'),
  };
}

let server: Running;
let url: string;

beforeAll(async () => {
  server = run(['serve', '--port', '0']);
  const banner = await server.waitFor(/wasmws listening on (\S+)\n/);
  url = /wasmws listening on (\S+)\n/.exec(banner)![1]!;
});

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
});

describe('wasmws connect', () => {
  it('sends stdin lines as text and prints the echoes; /ping shows the pong; /close 1000 bye exits 0', async () => {
    const client = run(['connect', url]);
    await client.waitFor(/\* connected to /, 'stderr');
    client.child.stdin.write('hello, wörld\n');
    await client.waitFor(/^< hello, wörld\n/m);
    client.child.stdin.write('//not a command\n');
    await client.waitFor(/^< \/not a command\n/m);
    client.child.stdin.write('/ping are you there\n');
    await client.waitFor(/\* pong are you there\n/, 'stderr');
    client.child.stdin.write('/close 1000 bye\n');
    expect(await client.exited).toBe(0);
    expect(client.stderr()).toMatch(/\* closed 1000\b/);
    expect(client.stdout()).toBe('< hello, wörld\n< /not a command\n');
  });

  it('closes with 1000 at the end of stdin and exits 0 once the close completes', async () => {
    const client = run(['connect', url]);
    await client.waitFor(/\* connected to /, 'stderr');
    client.child.stdin.write('last line\n');
    await client.waitFor(/^< last line\n/m);
    client.child.stdin.end();
    expect(await client.exited).toBe(0);
    expect(client.stderr()).toMatch(/\* closed 1000\n/);
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

  it('exits 1 with a clear message when the connection is refused', async () => {
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

  it('exits 2 for bad usage', async () => {
    const noUrl = run(['connect']);
    expect(await noUrl.exited).toBe(2);
    expect(noUrl.stderr()).toContain('expected one URL');
    const badHeader = run(['connect', url, '--header', 'no-colon']);
    expect(await badHeader.exited).toBe(2);
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
