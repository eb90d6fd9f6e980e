// `wasmws serve --workers 2` against one worker and against plain `serve`: echo messages/s
// with a cheap load generator in this process, rounds interleaved (every configuration once
// per round, in a rotating order), and the server's CPU time per message read from /proc
// (the primary and all its workers; Linux only). Not a test: it prints figures.
//
//   node dist/bench/workers.js [--rounds=5] [--seconds=2] [--connections=64] [--in-flight=16]
//                              [--size=64] [--payload=binary|text]
//
// The load generator does the least per message: every connection keeps `inFlight` frames
// out, masked once in advance; each socket read is counted in whole echoed frames (each
// frame's two header bytes checked) and answered with as many frames in one write.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { processTreeCpu } from './support/machine.js';
import { maskedFrame } from './support/workloads.js';

const MAIN = resolve(import.meta.dirname, '../src/cli/main.js');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    'in-flight': { type: 'string', default: '16' },
    size: { type: 'string', default: '64' },
    payload: { type: 'string', default: 'binary' },
  },
});
const rounds = Number(values.rounds);
const windowMs = Number(values.seconds) * 1000;
const connections = Number(values.connections);
const inFlight = Number(values['in-flight']);
const size = Number(values.size);
const text = values.payload === 'text';
if (![rounds, windowMs, connections, inFlight].every((n) => Number.isInteger(n) && n > 0))
  throw new TypeError('--rounds, --seconds, --connections and --in-flight must be positive integers');
if (!Number.isInteger(size) || size < 1 || size > 65535)
  throw new RangeError('--size must be 1 to 65535 bytes');
// RFC 6455 §5.2: up to 125 the length is in the second byte; up to 65535, 126 then 16 bits.
const lengthBytes = size < 126 ? 0 : 2;
const echoLength = 2 + lengthBytes + size;
const sentLength = 6 + lengthBytes + size;

interface Config {
  name: string;
  args: string[];
}
const CONFIGS: Config[] = [
  { name: 'serve', args: [] },
  { name: 'serve --workers 1', args: ['--workers', '1'] },
  { name: 'serve --workers 2', args: ['--workers', '2'] },
];

interface Server {
  child: ChildProcess;
  url: URL;
}

async function startServer(config: Config): Promise<Server> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--no-deflate', ...config.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The workers' "listening" lines would interleave with the table: kept for a failure only.
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const line = await new Promise<string>((done, fail) => {
    createInterface({ input: child.stdout! }).once('line', done);
    child.once('exit', (code) => fail(new Error(`${config.name} exited with ${code}: ${stderr}`)));
  });
  const url = /wasmws listening on (\S+)/.exec(line)?.[1];
  if (url === undefined) throw new Error(`${config.name} printed ${line}`);
  return { child, url: new URL(url) };
}

/** CPU seconds used so far by `pid` and its children (the cluster workers), from /proc. */
function cpuSeconds(pid: number): number {
  const { user, system } = processTreeCpu(pid);
  return (user + system) / 1e6;
}

/** CPU time of the whole machine so far, in ticks, from /proc/stat: busy, interrupts, total. */
function machineTicks(): { busy: number; interrupts: number; total: number } {
  // user nice system idle iowait irq softirq steal …
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - fields[3]! - fields[4]!, interrupts: fields[5]! + fields[6]!, total };
}

/** One masked frame of `size` bytes, `inFlight` times over: what a connection sends at the start. */
function maskedFrames(): Buffer {
  const payload = Buffer.alloc(size, text ? 'a' : 0x5a);
  const frame = maskedFrame(text ? 0x1 : 0x2, payload, randomBytes(4));
  return Buffer.concat(Array.from({ length: inFlight }, () => frame));
}

/** A connection that keeps `inFlight` messages out and counts the echoes. */
class LoadConnection {
  echoes = 0;
  private readonly echoLength = echoLength;
  private carried = 0; // bytes of a partly received echo
  private running = true;

  constructor(
    private readonly socket: Socket,
    private readonly frames: Buffer,
  ) {}

  start(rest: Buffer): void {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.write(this.frames);
    if (rest.length > 0) this.onData(rest);
  }

  stop(): void {
    this.running = false;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let complete = 0;
    let offset = 0;
    if (this.carried > 0) {
      const missing = this.echoLength - this.carried;
      if (chunk.length < missing) {
        this.carried += chunk.length;
        return;
      }
      complete = 1;
      offset = missing;
    }
    for (; offset + this.echoLength <= chunk.length; offset += this.echoLength) {
      if (chunk[offset] !== this.frames[0] || chunk[offset + 1] !== (this.frames[1]! & 0x7f))
        throw new Error(`unexpected frame header ${chunk[offset]} ${chunk[offset + 1]}`);
      complete++;
    }
    this.carried = chunk.length - offset;
    this.echoes += complete;
    if (this.running && complete > 0) this.socket.write(this.frames.subarray(0, complete * sentLength));
  }
}

async function openLoadConnection(url: URL, frames: Buffer): Promise<LoadConnection> {
  const socket = connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  await new Promise<void>((done, fail) => socket.once('connect', done).once('error', fail));
  socket.write(
    `GET / HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let head = Buffer.alloc(0);
  const rest = await new Promise<Buffer>((done, fail) => {
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!head.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101'))
        fail(new Error(`no upgrade: ${head.subarray(0, end).toString('latin1')}`));
      done(head.subarray(end + 4));
    };
    socket.on('data', onData);
    socket.once('error', fail);
  });
  const connection = new LoadConnection(socket, frames);
  connection.start(rest);
  return connection;
}

interface Sample {
  messagesPerSecond: number;
  serverCpuMicrosPerMessage: number;
  /** Cores' worth of CPU time over the window: the server (primary and workers), this process. */
  serverCores: number;
  loadCores: number;
  /** Cores in interrupt handlers (loopback TCP runs in softirqs, charged to no process). */
  interruptCores: number;
  /** Cores busy with other processes on the machine. */
  otherCores: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Connects, warms up for half a window, then counts echoes over one window. */
async function measure(server: Server): Promise<Sample> {
  const frames = maskedFrames();
  const open: LoadConnection[] = [];
  for (let i = 0; i < connections; i++) open.push(await openLoadConnection(server.url, frames));
  await sleep(windowMs / 2);
  const count = () => open.reduce((sum, c) => sum + c.echoes, 0);
  const pid = server.child.pid!;
  const [echoes0, cpu0, load0, machine0, t0] = [
    count(),
    cpuSeconds(pid),
    process.cpuUsage(),
    machineTicks(),
    performance.now(),
  ];
  await sleep(windowMs);
  const [echoes1, cpu1, load1, machine1, t1] = [
    count(),
    cpuSeconds(pid),
    process.cpuUsage(load0),
    machineTicks(),
    performance.now(),
  ];
  for (const connection of open) connection.stop();
  const messages = echoes1 - echoes0;
  const seconds = (t1 - t0) / 1000;
  const serverCores = (cpu1 - cpu0) / seconds;
  const loadCores = (load1.user + load1.system) / 1e6 / seconds;
  const coresOf = (ticks: number) => (ticks / (machine1.total - machine0.total)) * availableParallelism();
  const busyCores = coresOf(machine1.busy - machine0.busy);
  const interruptCores = coresOf(machine1.interrupts - machine0.interrupts);
  return {
    messagesPerSecond: messages / seconds,
    serverCpuMicrosPerMessage: ((cpu1 - cpu0) * 1e6) / messages,
    serverCores,
    loadCores,
    interruptCores,
    otherCores: Math.max(0, busyCores - interruptCores - serverCores - loadCores),
  };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

const servers = await Promise.all(CONFIGS.map(startServer));
const samples = CONFIGS.map((): Sample[] => []);
try {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < CONFIGS.length; k++) {
      const index = (round + k) % CONFIGS.length;
      samples[index]!.push(await measure(servers[index]!));
    }
  }
} finally {
  for (const server of servers) server.child.kill('SIGTERM');
}

console.log(
  `echo ${text ? 'text' : 'binary'} ${size} B, ${connections} connections x ${inFlight} in flight, ` +
    `${rounds} rounds of ${windowMs / 1000} s, interleaved; load generator in one process (node ${process.version})`,
);
console.log(
  `configuration        msg/s (median)  server us/msg  server cores  load cores  interrupt cores  other processes (cores of ${availableParallelism()})`,
);
CONFIGS.forEach((config, i) => {
  const rows = samples[i]!;
  const column = (pick: (s: Sample) => number, digits: number, width: number) =>
    median(rows.map(pick)).toFixed(digits).padStart(width);
  console.log(
    `${config.name.padEnd(20)} ${column((s) => s.messagesPerSecond, 0, 14)}  ${column((s) => s.serverCpuMicrosPerMessage, 2, 13)}` +
      `  ${column((s) => s.serverCores, 2, 12)}  ${column((s) => s.loadCores, 2, 10)}` +
      `  ${column((s) => s.interruptCores, 2, 15)}  ${column((s) => s.otherCores, 2, 15)}`,
  );
});
// Ratios per round (the rounds of one configuration pair ran back to back), then their median.
const perRound = (a: number, b: number) =>
  samples[a]!.map((s, r) => s.messagesPerSecond / samples[b]![r]!.messagesPerSecond);
for (const [a, b] of [
  [2, 1],
  [2, 0],
  [1, 0],
] as const) {
  const ratios = perRound(a, b);
  console.log(
    `${CONFIGS[a]!.name} / ${CONFIGS[b]!.name}: ${median(ratios).toFixed(2)}x (rounds ${spread(ratios)})`,
  );
}
