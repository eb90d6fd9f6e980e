// `wasmws serve`: the built program run as a child process (first line, echo, SIGTERM/SIGINT
// → 1001 and exit 0, wss://), and its argument checks run in-process.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CommandIO } from '../../src/cli/command.js';
import { runProgram } from '../../src/cli/program.js';
import { connect } from '../../src/client/index.js';
import { certificateFiles, clientRecorder, within } from '../client/helpers.js';

const MAIN = resolve(import.meta.dirname, '../../dist/src/cli/main.js');

const children: ChildProcess[] = [];
const sockets: WebSocket[] = [];

afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Running {
  child: ChildProcess;
  firstLine: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built program and resolves with its first stdout line. */
async function startProgram(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines = createInterface({ input: child.stdout! });
  const firstLine = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    void exited.then(({ code }) => reject(new Error(`exited with ${code} before printing: ${stderr}`)));
  });
  return { child, firstLine, stderr: () => stderr, exited };
}

/** Runs the built program to completion. */
async function runToExit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, stdout, stderr };
}

async function echoOnce(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const replies = new Promise<Array<[string, boolean]>>((resolve) => {
    const got: Array<[string, boolean]> = [];
    ws.on('message', (data, isBinary) => {
      got.push([isBinary ? [...(data as Buffer)].join(',') : String(data), isBinary]);
      if (got.length === 2) resolve(got);
    });
  });
  ws.send('hello from ws ✓');
  ws.send(Buffer.from([1, 2, 3]), { binary: true });
  expect(await replies).toEqual([
    ['hello from ws ✓', false],
    ['1,2,3', true],
  ]);
  return ws;
}

describe('wasmws serve (the built program)', () => {
  beforeAll(() => {
    if (!existsSync(MAIN))
      throw new Error(`${MAIN} is missing: run "npm run build" first (npm install does it)`);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints its URL first, echoes, and on ${signal} closes sessions with 1001 and exits 0`, async () => {
      const running = await startProgram(['serve', '--port', '0']);
      const match = /^wasmws listening on ws:\/\/127\.0\.0\.1:(\d+)\/$/.exec(running.firstLine);
      expect(match, running.firstLine).not.toBeNull();
      expect(Number(match![1])).toBeGreaterThan(0);
      const ws = await echoOnce(`ws://127.0.0.1:${match![1]}/`);
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      running.child.kill(signal);
      expect(await closed).toBe(1001);
      expect(await running.exited).toEqual({ code: 0, signal: null });
      expect(running.stderr()).toBe('');
    });
  }

  it('serves wss:// with --tls-cert and --tls-key', async () => {
    const certificate = certificateFiles();
    try {
      const running = await startProgram(['serve', '--port', '0', ...certificate.serveArgs]);
      const match = /^wasmws listening on wss:\/\/127\.0\.0\.1:(\d+)\/$/.exec(running.firstLine);
      expect(match, running.firstLine).not.toBeNull();
      await echoOnce(`wss://127.0.0.1:${match![1]}/`, { ca: certificate.cert });
      running.child.kill('SIGTERM');
      expect((await running.exited).code).toBe(0);
    } finally {
      certificate.remove();
    }
  });

  it('negotiates permessage-deflate by default and echoes compressed messages', async () => {
    const running = await startProgram(['serve', '--port', '0']);
    const port = /:(\d+)\/$/.exec(running.firstLine)![1];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } });
    sockets.push(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    const text = 'compress me '.repeat(1000);
    const echoed = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    ws.send(text);
    expect(await echoed).toBe(text);
    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
  });

  it('accepts --no-deflate (no extension negotiated) and --max-message', async () => {
    const running = await startProgram(['serve', '--port', '0', '--no-deflate', '--max-message', '10']);
    const port = /:(\d+)\/$/.exec(running.firstLine)![1];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    sockets.push(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    expect(ws.extensions).toBe('');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('more than ten bytes');
    expect(await closed).toBe(1009);
    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
  });

  it('reports a port in use and exits 1', async () => {
    const running = await startProgram(['serve', '--port', '0']);
    const port = /:(\d+)\/$/.exec(running.firstLine)![1]!;
    const second = await runToExit(['serve', '--port', port]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    running.child.kill('SIGTERM');
    await running.exited;
  });

  it('wasmws --help prints the usage on stdout; an unknown command prints it on stderr and exits 2', async () => {
    const help = await runToExit(['--help']);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(/^Usage: wasmws <command>/);
    expect(help.stdout).toMatch(/serve/);
    const unknown = await runToExit(['frobnicate']);
    expect([unknown.code, unknown.stdout]).toEqual([2, '']);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    expect(unknown.stderr).toMatch(/Usage: wasmws <command>/);
  });

  it('--h2 serves RFC 8441 WebSockets and HTTP/1.1 upgrades on one port, and closes them with 1001', async () => {
    const certificate = certificateFiles();
    try {
      const running = await startProgram(['serve', '--h2', '--port', '0', ...certificate.serveArgs]);
      const url = /^wasmws listening on (wss:\/\/127\.0\.0\.1:\d+\/)$/.exec(running.firstLine)?.[1];
      expect(url, running.firstLine).toBeDefined();
      const recorder = clientRecorder();
      // connect({ http2: true }) fails with WS_ERR_H2_NO_CONNECT_PROTOCOL unless SETTINGS advertised it.
      const h2 = await connect(url!.replace('127.0.0.1', 'localhost'), recorder, {
        http2: true,
        ca: certificate.cert,
      });
      h2.send('over h2');
      expect(await within(recorder.messages(1), 3000, 'the h2 echo')).toEqual(['over h2']);
      await echoOnce(url!, { ca: certificate.cert, ALPNProtocols: ['http/1.1'] } as WebSocket.ClientOptions);
      running.child.kill('SIGTERM');
      expect(await within(recorder.closed, 3000, 'the h2 close')).toMatchObject({ code: 1001 });
      expect((await running.exited).code).toBe(0);
    } finally {
      certificate.remove();
    }
  });
});

/** Runs the dispatcher in-process, capturing what it prints. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIO = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    onStop: () => {},
  };
  const code = await runProgram(args, io);
  return { code, out, err };
}

describe('wasmws serve arguments', () => {
  it('--help prints the usage, with every option', async () => {
    for (const args of [
      ['serve', '--help'],
      ['serve', '-h'],
      ['help', 'serve'],
    ]) {
      const { code, out, err } = await run(args);
      expect([code, err]).toEqual([0, '']);
      expect(out).toMatch(/^Usage: wasmws serve \[options\]/);
      for (const flag of ['--no-deflate', '--h2', '--workers', '--tls-cert', '--protocol'])
        expect(out).toContain(flag);
    }
  });

  it.each([
    [['--h2'], /--h2 needs --tls-cert and --tls-key/],
    [['--workers', '0'], /--workers must be an integer from 1/],
    [['--port', 'http'], /--port must be an integer/],
    [['--port', '65536'], /--port must be an integer/],
    [['--port', '-1'], /--port/],
    [['--max-message', '0'], /--max-message must be a positive integer/],
    [['--max-message', '1e6'], /--max-message must be a positive integer/],
    [['--tls-cert', 'cert.pem'], /--tls-cert and --tls-key go together/],
    [['--bogus'], /^wasmws serve: unknown option --bogus\nUsage: wasmws serve \[options\]\n/],
    [['extra'], /positional argument/],
    [['--host', ''], /--host must not be empty/],
  ])('serve %j exits 2', async (args, message) => {
    const { code, out, err } = await run(['serve', ...args]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
  });

  it('an unreadable certificate exits 2 (bad usage) naming the flag and the file', async () => {
    const { code, err } = await run([
      'serve',
      '--tls-cert',
      '/nonexistent/cert.pem',
      '--tls-key',
      '/nonexistent/key.pem',
    ]);
    expect(code).toBe(2);
    expect(err).toMatch(/--tls-cert \/nonexistent\/cert\.pem: cannot read it/);
  });

  it('no command prints the usage on stderr and exits 2', async () => {
    const { code, out, err } = await run([]);
    expect([code, out]).toEqual([2, '']);
    expect(err).toMatch(/^Usage: wasmws <command>/);
  });
});
