// Echo over TLS: N WebSockets multiplexed on one HTTP/2 session (RFC 8441) against N `wss://`
// HTTP/1.1 connections, both to the same `createServer({ http2: true, tls })` in a child process
// (the same port takes both). Rounds are paired and interleaved (h2, h1, h2 again for the A/A
// row, the order turned each round); each prints messages/s, the server's CPU per message
// (from its process.cpuUsage) and the ratio per round, then the median and range of the ratios.
// Memory per WebSocket is the server's RSS growth (after gc) for M idle WebSockets of each kind.
//
//   node dist/bench/h2.js [--connections=100] [--inflight=4] [--sizes=64,16384]
//                          [--rounds=5] [--slice-ms=1000] [--memory-connections=1000]
// WASMWS_BENCH_SERVER_FLAGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server process.
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { echoHandler } from '../src/cli/serve.js';
import { connect } from '../src/client/index.js';
import { createServer } from '../src/server/index.js';
import type { Handler, Session } from '../src/session/types.js';

type Mode = 'h2' | 'h1';

interface ServerStats {
  cpuMicros: number;
  rss: number;
}

const SELF = fileURLToPath(import.meta.url);

async function runServer(): Promise<void> {
  const tls = JSON.parse(process.env.WASMWS_BENCH_TLS!) as { cert: string; key: string };
  const server = createServer({ http2: true, tls, handler: echoHandler });
  const { url } = await server.listen();
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'stop') {
      await server.close();
      process.exit(0);
    }
    if (message.type === 'stats') {
      for (let i = 0; gc !== undefined && i < 3; i++) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
      const cpu = process.cpuUsage();
      process.send!({ type: 'stats', cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage().rss });
    }
  });
  process.send!({ type: 'ready', url });
}

function request(child: ChildProcess): Promise<ServerStats> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string } & ServerStats) => {
      if (message.type !== 'stats') return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type: 'stats' });
  });
}

/** A client handler that counts echoes and sends the next message for each, while `running`. */
class Loader implements Handler {
  running = false;
  received = 0;
  payload: Uint8Array = new Uint8Array(0);
  message(session: Session): void {
    this.received++;
    if (this.running) session.send(this.payload);
  }
}

async function openAll(
  mode: Mode,
  url: string,
  count: number,
  ca: string,
  handler: Handler,
): Promise<Session[]> {
  const sessions: Session[] = [];
  const host = url.replace('127.0.0.1', 'localhost');
  // The h2 client pools one session per origin: every WebSocket here shares it.
  for (let i = 0; i < count; i++) {
    sessions.push(await connect(host, handler, { ca, deflate: false, http2: mode === 'h2' }));
  }
  return sessions;
}

async function closeAll(sessions: Session[]): Promise<void> {
  await Promise.all(
    sessions.map(
      (session) =>
        new Promise<void>((resolve) => {
          if (session.state === 'closed') return resolve();
          const timer = setInterval(() => {
            if (session.state === 'closed') {
              clearInterval(timer);
              resolve();
            }
          }, 5);
          session.close(1000);
        }),
    ),
  );
}

interface Slice {
  rate: number;
  cpuPerMessage: number;
}

async function slice(
  child: ChildProcess,
  loader: Loader,
  sessions: Session[],
  inflight: number,
  ms: number,
): Promise<Slice> {
  loader.running = true;
  for (const session of sessions) for (let i = 0; i < inflight; i++) session.send(loader.payload);
  // Warm the pipeline before the measured window.
  await new Promise((resolve) => setTimeout(resolve, ms / 4));
  const before = await request(child);
  const receivedBefore = loader.received;
  const start = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const received = loader.received - receivedBefore;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const after = await request(child);
  loader.running = false;
  // Let the in-flight messages come home before the next slice.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { rate: received / seconds, cpuPerMessage: (after.cpuMicros - before.cpuMicros) / received };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function spread(values: number[]): string {
  return `${median(values).toFixed(2)}× (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
}

function certificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wasmws-bench-h2-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runParent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '100' },
      inflight: { type: 'string', default: '4' },
      sizes: { type: 'string', default: '64,16384' },
      rounds: { type: 'string', default: '5' },
      'slice-ms': { type: 'string', default: '1000' },
      'memory-connections': { type: 'string', default: '1000' },
    },
  });
  const connections = Number(values.connections);
  const inflight = Number(values.inflight);
  const sizes = values.sizes.split(',').map(Number);
  const rounds = Number(values.rounds);
  const sliceMs = Number(values['slice-ms']);
  const memoryConnections = Number(values['memory-connections']);
  const tls = certificate();
  const child = fork(SELF, ['--server'], {
    execArgv: ['--expose-gc', ...(process.env.WASMWS_BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, WASMWS_BENCH_TLS: JSON.stringify(tls) },
  });
  process.on('exit', () => child.kill());
  const url = await new Promise<string>((resolve) =>
    child.on('message', (message: { type: string; url?: string }) => {
      if (message.type === 'ready') resolve(message.url!);
    }),
  );
  console.log(
    `# ${connections} WebSockets × ${inflight} in flight, ${rounds} rounds of ${sliceMs} ms slices, binary echo, no deflate`,
  );
  console.log(`# node ${process.version}; server: createServer({ http2: true, tls }) in its own process\n`);

  const loaders = { h2: new Loader(), h1: new Loader(), aa: new Loader() };
  const groups = {
    h2: await openAll('h2', url, connections, tls.cert, loaders.h2),
    h1: await openAll('h1', url, connections, tls.cert, loaders.h1),
    // A second h2 group on the same shared session: the A/A row compares h2 with h2.
    aa: await openAll('h2', url, connections, tls.cert, loaders.aa),
  };

  console.log(
    '| size | h2 msg/s | h1 msg/s | h2 ÷ h1 (median, range) | A/A h2 ÷ h2 | server µs/msg h2 | h1 |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const size of sizes) {
    const payload = new Uint8Array(size).map((_, i) => (i * 131) & 0xff);
    for (const loader of Object.values(loaders)) loader.payload = payload;
    const results: Record<'h2' | 'h1' | 'aa', Slice[]> = { h2: [], h1: [], aa: [] };
    for (let round = 0; round < rounds; round++) {
      const order: Array<'h2' | 'h1' | 'aa'> = round % 2 === 0 ? ['h2', 'h1', 'aa'] : ['aa', 'h1', 'h2'];
      for (const kind of order)
        results[kind].push(await slice(child, loaders[kind], groups[kind], inflight, sliceMs));
    }
    const ratios = results.h2.map((h2, i) => h2.rate / results.h1[i]!.rate);
    const aa = results.h2.map((h2, i) => h2.rate / results.aa[i]!.rate);
    const rate = (list: Slice[]) => Math.round(median(list.map((s) => s.rate))).toLocaleString('en-US');
    const cpu = (list: Slice[]) => median(list.map((s) => s.cpuPerMessage)).toFixed(1);
    console.log(
      `| ${size} B | ${rate(results.h2)} | ${rate(results.h1)} | ${spread(ratios)} | ${spread(aa)} | ${cpu(results.h2)} | ${cpu(results.h1)} |`,
    );
  }
  for (const sessions of Object.values(groups)) await closeAll(sessions);

  // Memory: the server's RSS growth per idle WebSocket, one kind at a time.
  console.log(`\n| ${memoryConnections} idle WebSockets | server RSS per WebSocket |`);
  console.log('|---|---:|');
  const idle: Handler = { message() {} };
  for (const mode of ['h2', 'h1'] as const) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await request(child);
    const sessions = await openAll(mode, url, memoryConnections, tls.cert, idle);
    const after = await request(child);
    console.log(
      `| ${mode === 'h2' ? 'HTTP/2 streams on one session' : 'wss:// HTTP/1.1 connections'} | ${((after.rss - before.rss) / memoryConnections / 1024).toFixed(1)} KiB |`,
    );
    await closeAll(sessions);
  }
  child.send({ type: 'stop' });
}

// Last: the classes above must be initialised before either side runs.
if (process.argv[2] === '--server') await runServer();
else await runParent();
