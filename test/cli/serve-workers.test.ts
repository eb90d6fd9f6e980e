// `wasmws serve --workers`: the built program with node:cluster workers. Every worker reports
// its pid on stderr ("worker PID listening on URL") and names itself in the reason of the
// 1001 close it sends on shutdown, which is how these tests see which worker served a
// connection. Also: one port shared under --port 0, a SIGKILLed worker replaced, TLS with
// --no-deflate, a port in use, and the flag's usage errors (in-process).
import { createServer as createNetServer, type Server } from 'node:net';
import { availableParallelism } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect } from '../../src/client/index.js';
import { clientRecorder, within } from '../client/helpers.js';
import { type PemFiles, pemFiles, type Running, run, runInProcess } from './helpers.js';

const LISTENING = /wasmws serve: worker (\d+) listening on (\S+)\n/g;
const SHUTDOWN_REASON = /^worker (\d+) shutting down$/;

const programs: Running[] = [];
const sockets: WebSocket[] = [];

afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const { child } of programs.splice(0)) {
    // The primary's workers leave with it (cluster workers exit when their IPC channel closes).
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

let pem: PemFiles;
beforeAll(() => {
  pem = pemFiles();
});
afterAll(() => pem.remove());

interface Workers {
  server: Running;
  url: string;
  /** Pid → the URL that worker said it listens on, in the order they reported. */
  listening: Map<number, string>;
}

/** `wasmws serve --port 0 …args`, once the primary printed its first line and `count` workers listen. */
async function startWorkers(args: string[], count: number): Promise<Workers> {
  const server = run(['serve', '--port', '0', ...args]);
  programs.push(server);
  const banner = await server.waitFor(/wasmws listening on (\S+)\n/);
  await server.waitFor(new RegExp(`(${LISTENING.source}[\\s\\S]*){${count}}`), 'stderr');
  return {
    server,
    url: /wasmws listening on (\S+)\n/.exec(banner)![1]!,
    listening: listeningWorkers(server),
  };
}

function listeningWorkers(server: Running): Map<number, string> {
  return new Map([...server.stderr().matchAll(LISTENING)].map((match) => [Number(match[1]), match[2]!]));
}

interface Connection {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a connection and checks that it echoes text as text and binary as binary. */
async function openEcho(url: string, options: WebSocket.ClientOptions = {}): Promise<Connection> {
  const ws = new WebSocket(url, options);
  sockets.push(ws);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    5000,
    `a connection to ${url}`,
  );
  const replies = new Promise<Array<[string, boolean]>>((resolve) => {
    const got: Array<[string, boolean]> = [];
    ws.on('message', (data, isBinary) => {
      got.push([isBinary ? [...(data as Buffer)].join(',') : String(data), isBinary]);
      if (got.length === 2) resolve(got);
    });
  });
  ws.send('hello ✓');
  ws.send(Buffer.from([7, 8, 9]), { binary: true });
  expect(await within(replies, 5000, 'the echoes')).toEqual([
    ['hello ✓', false],
    ['7,8,9', true],
  ]);
  return { ws, closed };
}

async function openSequentially(url: string, count: number): Promise<Connection[]> {
  const connections: Connection[] = [];
  for (let opened = 0; opened < count; opened++) connections.push(await openEcho(url));
  return connections;
}

/** The pid each 1001 close names; fails on any other code or reason. */
async function shutdownPids(connections: Connection[]): Promise<number[]> {
  const closes = await within(Promise.all(connections.map((c) => c.closed)), 8000, 'every session to close');
  return closes.map(({ code, reason }) => {
    expect(code).toBe(1001);
    expect(reason).toMatch(SHUTDOWN_REASON);
    return Number(SHUTDOWN_REASON.exec(reason)![1]);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('wasmws serve --workers (the built program)', () => {
  it('--workers 2: both workers listen on the one port picked, connections reach both, SIGTERM closes every session with 1001 and exits 0', async () => {
    const { server, url, listening } = await startWorkers(['--workers', '2'], 2);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    expect(url).not.toBe('ws://127.0.0.1:0/');
    expect([...listening.values()]).toEqual([url, url]);
    const pids = [...listening.keys()];
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(server.child.pid);

    // Round-robin hands connections out in turn; 8 in a row reach both workers.
    const connections = await openSequentially(url, 8);
    server.child.kill('SIGTERM');
    const served = await shutdownPids(connections);
    expect(new Set(served)).toEqual(new Set(pids));
    expect(await server.exited).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(server.stdout()).toBe(`wasmws listening on ${url}\n`);
  });

  it('a worker killed with SIGKILL is replaced on the same port and new connections still work', async () => {
    const { server, url, listening } = await startWorkers(['--workers', '2'], 2);
    const [killed, survivor] = [...listening.keys()] as [number, number];
    const before = await openSequentially(url, 4);

    process.kill(killed, 'SIGKILL');
    // The killed worker's sessions end without a close frame.
    const dropped = await within(
      Promise.race(before.map((c) => c.closed)),
      5000,
      'a session of the killed worker to end',
    );
    expect(dropped.code).toBe(1006);
    await server.waitFor(new RegExp(`worker ${killed} exited on SIGKILL; starting another\\n`), 'stderr');
    await server.waitFor(new RegExp(`(${LISTENING.source}[\\s\\S]*){3}`), 'stderr');
    const now = listeningWorkers(server);
    const replacement = [...now.keys()].find((pid) => pid !== killed && pid !== survivor)!;
    expect(now.get(replacement)).toBe(url);

    const after = await openSequentially(url, 6);
    server.child.kill('SIGTERM');
    // The sessions the survivor held lived on until now; the killed worker's had ended.
    const earlier = await within(Promise.all(before.map((c) => c.closed)), 8000, 'the first sessions to end');
    expect(earlier.filter(({ code }) => code === 1006).length).toBeGreaterThan(0);
    const kept = earlier.filter(({ code }) => code !== 1006).map(({ code, reason }) => `${code} ${reason}`);
    expect(new Set(kept)).toEqual(new Set([`1001 worker ${survivor} shutting down`]));
    expect(new Set(await shutdownPids(after))).toEqual(new Set([survivor, replacement]));
    expect(await server.exited).toBe(0);
  });

  it('--workers 1 under --port 0: the only worker killed, its replacement listens on the same port', async () => {
    // With no worker left, cluster drops the port-0 handle; the replacement must ask for the port itself.
    const { server, url, listening } = await startWorkers(['--workers', '1'], 1);
    const [killed] = [...listening.keys()] as [number];
    process.kill(killed, 'SIGKILL');
    await server.waitFor(new RegExp(`(${LISTENING.source}[\\s\\S]*){2}`), 'stderr');
    expect([...listeningWorkers(server).values()]).toEqual([url, url]);
    const connection = await openEcho(url);
    server.child.kill('SIGTERM');
    expect(await shutdownPids([connection])).not.toContain(killed);
    expect(await server.exited).toBe(0);
  });

  it('--workers 2 under --port 0: both workers killed at once, the replacements end up on the same port', async () => {
    const { server, url, listening } = await startWorkers(['--workers', '2'], 2);
    for (const pid of listening.keys()) process.kill(pid, 'SIGKILL');
    const onUrl = new RegExp(`(worker \\d+ listening on ${url.replace(/[.]/g, '\\.')}\\n[\\s\\S]*){4}`);
    await server.waitFor(onUrl, 'stderr');
    const connection = await openEcho(url);
    server.child.kill('SIGTERM');
    const [pid] = await shutdownPids([connection]);
    expect(listening.has(pid!)).toBe(false);
    expect(await server.exited).toBe(0);
  });

  it('--workers alone runs one worker per core, and works with --tls-cert/--tls-key and --no-deflate', async () => {
    const cores = availableParallelism();
    const { server, url, listening } = await startWorkers(
      ['--workers', '--no-deflate', '--tls-cert', pem.cert, '--tls-key', pem.key],
      cores,
    );
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    expect(listening.size).toBe(cores);
    expect(new Set(listening.values())).toEqual(new Set([url]));
    // ws offers permessage-deflate by default; --no-deflate declines it.
    const connection = await openEcho(url, { ca: pem.pem.cert });
    expect(connection.ws.extensions).toBe('');
    server.child.kill('SIGTERM');
    expect((await shutdownPids([connection])).every((pid) => listening.has(pid))).toBe(true);
    expect(await server.exited).toBe(0);
  });

  it('--workers 2 --h2: WebSockets over HTTP/2 and HTTP/1.1 upgrades on the shared port', async () => {
    const { server, url, listening } = await startWorkers(
      ['--workers', '2', '--h2', '--tls-cert', pem.cert, '--tls-key', pem.key],
      2,
    );
    const recorder = clientRecorder();
    // One HTTP/2 connection carries the WebSocket: it reaches one worker.
    const h2 = await connect(url.replace('127.0.0.1', 'localhost'), recorder, {
      http2: true,
      ca: pem.pem.cert,
    });
    h2.send('over h2');
    expect(await within(recorder.messages(1), 5000, 'the h2 echo')).toEqual(['over h2']);
    const h1: Connection[] = [];
    for (let opened = 0; opened < 4; opened++)
      h1.push(
        await openEcho(url, { ca: pem.pem.cert, ALPNProtocols: ['http/1.1'] } as WebSocket.ClientOptions),
      );
    server.child.kill('SIGTERM');
    const h2Close = await within(recorder.closed, 8000, 'the h2 close');
    expect(h2Close.code).toBe(1001);
    expect(listening.has(Number(SHUTDOWN_REASON.exec(h2Close.reason)?.[1]))).toBe(true);
    expect(new Set(await shutdownPids(h1))).toEqual(new Set(listening.keys()));
    expect(await server.exited).toBe(0);
  });

  it('a port in use: the workers cannot listen, and the program exits 1 saying why', async () => {
    const taken: Server = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const server = run(['serve', '--port', String(port), '--workers', '2']);
      programs.push(server);
      expect(await server.exited).toBe(1);
      expect(server.stdout()).toBe('');
      expect(server.stderr()).toMatch(/worker \d+ cannot listen: .*EADDRINUSE/);
      expect(server.stderr()).toMatch(/worker \d+ exited with status 1 before listening/);
    } finally {
      taken.close();
    }
  });
});

describe('wasmws serve --workers: usage errors exit 2', () => {
  it.each([
    [['--workers', '0'], 'got 0'],
    [['--workers', 'many'], 'got many'],
    [['--workers', '257'], 'got 257'],
    [['--workers='], 'got \n'],
    [['--workers', '1.5'], 'got 1.5'],
  ])('serve %j', async (args, got) => {
    const { code, out, err } = await runInProcess(['serve', '--port', '0', ...args]);
    expect(err).toContain(
      `wasmws serve: --workers must be an integer from 1 to 256 (or no value: one per core), ${got}`,
    );
    expect([code, out]).toEqual([2, '']);
  });

  it('serve ["--workers","-1"]: a negative count is taken for a flag and refused', async () => {
    const { code, err } = await runInProcess(['serve', '--workers', '-1']);
    expect(err).toMatch(/Option '--workers' argument is ambiguous/);
    expect(code).toBe(2);
  });

  it('--help describes --workers', async () => {
    const { code, out } = await runInProcess(['serve', '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/--workers \[N\] +run N worker processes \(node:cluster\)/);
  });
});
