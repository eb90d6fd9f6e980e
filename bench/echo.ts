// The end-to-end echo benchmark against ws (`npm run bench:echo`), over 127.0.0.1 only:
// - throughput (echo/sliced.ts): our server, ws's and any other of echo/servers.ts's
//   kinds, plus a second ws server as the A/A check, all up at once and measured in
//   interleaved slices; text and binary, 64 B to 16 KiB, 1 to 500 connections; load from
//   our cheap raw load generator (echo/raw-client.ts) and from the ws client; messages/s
//   and the server process's CPU per message, ratios per round against ws.
// - memory: RSS per idle connection at 10 000 connections, per server, in fresh processes.
// - clients (not run by default): our client against ws's, each driving both servers (one
//   load process per round, servers one after the other).
// - deflate (not run by default): throughput as in `clients` with permessage-deflate
//   negotiated by both ends, on compressible JSON: 1 KiB and 64 KiB, one connection and 100.
// - deflate-memory (not run by default): RSS per idle connection at 1 000 connections with
//   permessage-deflate negotiated and one compressed message exchanged each way.
// It prints the peer, markdown tables with ours, ws, the ratio and the goal, and exits 1
// if any echo check failed (a benchmark that measured nothing must not look like one).
//
// Options: --json (results as JSON only), --quick (short smoke run), --rounds=N (default 5;
// throughput: one per server, so each server takes each place in the order once),
// --duration=MS per round or slice (default 1000), --warmup=MS per round or slice (default
// 300), --idle=N connections (default 10000), --deflate-idle=N (default 1000),
// --sections=throughput,memory[,clients,deflate,deflate-memory] (default throughput,memory),
// --workloads=KEY,... (each section runs the selected ones of its own; keys in
// echo/sliced.ts and echo/report.ts), --servers=ours,ws,wasmws-ws,serve-workers2 (default:
// the first three, those built here), --aa=ws|none (the A/A twin, default ws), --loaders=raw,ws,
// --full-check-every=N (default 64), --profile=DIR (run our server with --cpu-prof,
// profiles written to DIR), --deflate-aa (the deflate section runs a second ws server in
// ours' place: its ratios are the A/A row).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Child, type Envelope } from './echo/ipc.js';
import type { LoadOptions, LoadResult, Side } from './echo/load.js';
import {
  ALL_WORKLOADS,
  type Cell,
  DEFLATE_WORKLOADS,
  type EchoResults,
  type EchoSettings,
  type MemoryResult,
  render,
  WORKLOADS,
  type Workload,
} from './echo/report.js';
import { DEFAULT_SERVER_KINDS, SERVER_KINDS, type ServerKind, serverAvailable } from './echo/servers.js';
import { LOADERS, type Loader } from './echo/slice-load.js';
import { measureSliced, SLICED_WORKLOADS, type SlicedServer } from './echo/sliced.js';
import { sourceVersion } from './support/machine.js';
import type { PeerInfo } from './support/ws-peer.js';

const SERVER_SCRIPT = new URL('./echo/server-process.js', import.meta.url);
const LOAD_SCRIPT = new URL('./echo/load-process.js', import.meta.url);
const SIDES: readonly Side[] = ['ours', 'ws'];
const SECTION_NAMES = ['throughput', 'memory', 'clients', 'deflate', 'deflate-memory'];
/** The default run: what the figures published so far were measured with. */
const DEFAULT_SECTIONS = ['throughput', 'memory'];
/** The whole run may not take longer than this; children are killed and the run fails after it. */
const RUN_LIMIT_MS = 25 * 60 * 1000;
/** File descriptors each process keeps beyond its connections (listeners, pipes, stdio, libuv). */
const FD_MARGIN = 256;

const { values: argv } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    idle: { type: 'string' },
    'deflate-idle': { type: 'string' },
    'deflate-aa': { type: 'boolean' },
    sections: { type: 'string', default: DEFAULT_SECTIONS.join(',') },
    workloads: {
      type: 'string',
      default: [...SLICED_WORKLOADS, ...ALL_WORKLOADS].map((w) => w.key).join(','),
    },
    servers: { type: 'string' },
    aa: { type: 'string', default: 'ws' },
    loaders: { type: 'string', default: LOADERS.join(',') },
    'full-check-every': { type: 'string', default: '64' },
    profile: { type: 'string' },
  },
});

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`--${name} must be a positive integer`);
  return value;
}

function settingsFromArgs(): EchoSettings {
  const quick = argv.quick;
  const sections = argv.sections.split(',');
  if (sections.some((s) => !SECTION_NAMES.includes(s))) {
    throw new RangeError(`--sections takes ${SECTION_NAMES.join(', ')}`);
  }
  const workloads = argv.workloads.split(',');
  const keys = [...SLICED_WORKLOADS, ...ALL_WORKLOADS].map((w) => w.key);
  if (workloads.some((key) => !keys.includes(key)))
    throw new RangeError(`--workloads takes ${keys.join(', ')}`);
  return {
    quick,
    rounds: positiveInteger('rounds', argv.rounds, quick ? 2 : 5),
    durationMs: positiveInteger('duration', argv.duration, quick ? 300 : 1000),
    warmupMs: positiveInteger('warmup', argv.warmup, quick ? 150 : 300),
    fullCheckEvery: positiveInteger('full-check-every', argv['full-check-every'], 64),
    idleConnections: positiveInteger('idle', argv.idle, quick ? 1000 : 10_000),
    deflateIdleConnections: positiveInteger('deflate-idle', argv['deflate-idle'], quick ? 200 : 1000),
    workloads,
    sections,
  };
}

const children = new Set<Child>();

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function startChild(
  script: URL,
  args: string[],
  options: { execArgv?: string[]; onEvent?: (event: Envelope) => void } = {},
): Promise<{ child: Child; ready: Envelope }> {
  const started = await Child.start(script, args, options);
  children.add(started.child);
  return started;
}

async function stopChild(child: Child): Promise<void> {
  await child.stop();
  children.delete(child);
}

/** `ulimit -n` (soft) of this process, from /proc; undefined where there is no /proc. */
function fdLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return undefined;
  }
}

/** Microseconds some task has waited for a CPU since boot (Linux PSI), or undefined. */
function cpuStallMicros(): number | undefined {
  try {
    const some = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0];
    const total = /total=(\d+)/.exec(some)?.[1];
    return total === undefined ? undefined : Number(total);
  } catch {
    return undefined;
  }
}

function cpuTotal(answer: Envelope): number {
  const cpu = answer.cpu as NodeJS.CpuUsage;
  return cpu.user + cpu.system;
}

function cpuSystem(answer: Envelope): number {
  return (answer.cpu as NodeJS.CpuUsage).system;
}

interface ServerChild {
  kind: ServerKind;
  child: Child;
  url: string;
  peer: PeerInfo | undefined;
}

async function startServer(kind: ServerKind, execArgv: string[], deflate: boolean): Promise<ServerChild> {
  const args = deflate ? [kind, 'deflate'] : [kind];
  const { child, ready } = await startChild(SERVER_SCRIPT, args, { execArgv });
  return { kind, child, url: ready.url as string, peer: ready.peer as PeerInfo | undefined };
}

interface Round {
  result: LoadResult;
  serverCpuMicros: number | undefined;
  serverSystemMicros: number | undefined;
  stallMicros: number | undefined;
  wallMicros: number;
  peer: PeerInfo | undefined;
}

/** One round of one cell: a fresh load process drives `server` for warm-up + duration. */
async function measureRound(
  server: ServerChild,
  client: Side,
  workload: Workload,
  settings: EchoSettings,
): Promise<Round> {
  const samples: Promise<Envelope>[] = [];
  const onEvent = (event: Envelope) => {
    // The server's CPU clock read as the window opens and closes (an IPC hop late, ~0.1 ms).
    if (event.type === 'window') samples.push(server.child.request({ type: 'usage' }, 10_000));
  };
  const { child } = await startChild(LOAD_SCRIPT, [], { onEvent });
  const stallBefore = cpuStallMicros();
  const wallBefore = performance.now();
  try {
    const options: LoadOptions = {
      url: server.url,
      client,
      size: workload.size,
      payload: workload.payload,
      deflate: workload.deflate,
      connections: workload.connections,
      inFlight: workload.inFlight,
      warmupMs: settings.warmupMs,
      durationMs: settings.durationMs,
      fullCheckEvery: settings.fullCheckEvery,
    };
    const answer = await child.request(
      { type: 'load', options },
      settings.warmupMs + settings.durationMs + 60_000,
    );
    const wallMicros = (performance.now() - wallBefore) * 1000;
    const stallAfter = cpuStallMicros();
    let serverCpuMicros: number | undefined;
    let serverSystemMicros: number | undefined;
    if (samples.length === 2) {
      const [start, end] = await Promise.all(samples);
      serverCpuMicros = cpuTotal(end) - cpuTotal(start);
      serverSystemMicros = cpuSystem(end) - cpuSystem(start);
    }
    return {
      result: answer.result as LoadResult,
      serverCpuMicros,
      serverSystemMicros,
      stallMicros:
        stallBefore === undefined || stallAfter === undefined ? undefined : stallAfter - stallBefore,
      wallMicros,
      peer: answer.peer as PeerInfo | undefined,
    };
  } finally {
    await stopChild(child);
  }
}

function emptyCell(workload: Workload, server: Side, client: Side): Cell {
  return {
    workload: workload.key,
    server,
    client,
    messages: 0,
    seconds: 0,
    messagesPerSec: 0,
    rounds: [],
    serverCpuMicrosPerMessage: undefined,
    serverSystemShare: undefined,
    clientCpuMicrosPerMessage: 0,
    wireReadPerPayloadByte: undefined,
    echoes: 0,
    fullChecks: 0,
    cpuPressure: undefined,
    failures: [],
  };
}

/** Adds a round to its cell; the cell's rates are over all its rounds' windows together. */
function addRound(cell: Cell, round: Round, totals: CellTotals): void {
  const { result } = round;
  cell.messages += result.messages;
  cell.seconds += result.seconds;
  cell.messagesPerSec = cell.seconds > 0 ? cell.messages / cell.seconds : 0;
  cell.rounds.push(result.messagesPerSec);
  cell.echoes += result.echoes;
  cell.fullChecks += result.fullChecks;
  cell.failures.push(...result.failures);
  if (result.messages === 0 && result.failures.length === 0)
    cell.failures.push('no echo in the timed window');
  totals.clientCpu += result.clientCpuMicrosPerMessage * result.messages;
  cell.clientCpuMicrosPerMessage = cell.messages > 0 ? totals.clientCpu / cell.messages : 0;
  if (result.wireReadPerPayloadByte !== undefined) {
    totals.wireShares.push(result.wireReadPerPayloadByte);
    cell.wireReadPerPayloadByte = totals.wireShares.reduce((a, b) => a + b, 0) / totals.wireShares.length;
  }
  if (round.serverCpuMicros === undefined || round.serverSystemMicros === undefined) {
    totals.serverCpuMissing = true;
  } else {
    totals.serverCpu += round.serverCpuMicros;
    totals.serverSystem += round.serverSystemMicros;
  }
  const serverCpuKnown = !totals.serverCpuMissing && cell.messages > 0 && totals.serverCpu > 0;
  cell.serverCpuMicrosPerMessage = serverCpuKnown ? totals.serverCpu / cell.messages : undefined;
  cell.serverSystemShare = serverCpuKnown ? totals.serverSystem / totals.serverCpu : undefined;
  if (round.stallMicros === undefined) totals.stallMissing = true;
  else {
    totals.stall += round.stallMicros;
    totals.wall += round.wallMicros;
  }
  cell.cpuPressure = totals.stallMissing || totals.wall === 0 ? undefined : totals.stall / totals.wall;
}

interface CellTotals {
  clientCpu: number;
  serverCpu: number;
  serverSystem: number;
  serverCpuMissing: boolean;
  stall: number;
  wall: number;
  stallMissing: boolean;
  wireShares: number[];
}

/** One throughput section: `catalogue`'s selected workloads, servers accepting deflate if `deflate`. */
async function measureThroughput(
  settings: EchoSettings,
  results: EchoResults,
  catalogue: readonly Workload[],
  deflate: boolean,
): Promise<void> {
  const workloads = catalogue.filter((w) => settings.workloads.includes(w.key));
  if (workloads.length === 0) return;
  const servers = new Map<Side, ServerChild>();
  try {
    for (const kind of SIDES) {
      const execArgv =
        kind === 'ours' && argv.profile !== undefined
          ? ['--cpu-prof', `--cpu-prof-dir=${resolve(argv.profile)}`]
          : [];
      // --deflate-aa: a second ws server stands in for ours, so "ours ÷ ws" is an A/A ratio.
      const started = kind === 'ours' && deflate && argv['deflate-aa'] === true ? 'ws' : kind;
      const server = await startServer(started, execArgv, deflate);
      servers.set(kind, server);
      if (server.peer !== undefined) results.peer.server = server.peer;
    }
    for (const workload of workloads) {
      // The ws client first: it is the standard load generator the goals are set for.
      for (const client of ['ws', 'ours'] as const) {
        const cells = new Map<Side, { cell: Cell; totals: CellTotals }>();
        for (const server of SIDES) {
          const cell = emptyCell(workload, server, client);
          results.cells.push(cell);
          const totals = {
            clientCpu: 0,
            serverCpu: 0,
            serverSystem: 0,
            serverCpuMissing: false,
            stall: 0,
            wall: 0,
            stallMissing: false,
            wireShares: [],
          };
          cells.set(server, { cell, totals });
        }
        for (let round = 0; round < settings.rounds; round++) {
          const order: Side[] = round % 2 === 0 ? ['ours', 'ws'] : ['ws', 'ours'];
          for (const server of order) {
            const { cell, totals } = cells.get(server)!;
            const measured = await measureRound(servers.get(server)!, client, workload, settings);
            if (measured.peer !== undefined) results.peer.client = measured.peer;
            addRound(cell, measured, totals);
            progress(
              `${workload.label}: server ${server}, client ${client}, round ${round + 1}: ` +
                `${(measured.result.messagesPerSec / 1000).toFixed(1)} k msg/s` +
                (measured.result.failures.length > 0 ? ` FAILED: ${measured.result.failures[0]}` : ''),
            );
          }
        }
      }
    }
  } finally {
    for (const server of servers.values()) await stopChild(server.child);
  }
}

/** Polls the server until it holds `count` connections (at most `limitMs`). */
async function awaitConnections(server: Child, count: number, limitMs: number): Promise<number> {
  let held = -1;
  for (const start = performance.now(); performance.now() - start < limitMs; ) {
    held = (await server.request({ type: 'usage' }, 10_000)).connections as number;
    if (held === count) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return held;
}

async function measureMemory(
  kind: Side,
  count: number,
  results: EchoResults,
  deflate: boolean,
): Promise<MemoryResult> {
  const server = await startServer(kind, ['--expose-gc'], deflate);
  results.peer.server ??= server.peer;
  const { child: clients } = await startChild(LOAD_SCRIPT, []);
  try {
    // Code loaded and caches filled on first use belong to "before", not to the connections.
    await clients.request({ type: 'idle-open', url: server.url, count: 100, batch: 100, deflate }, 60_000);
    await clients.request({ type: 'idle-drop' }, 10_000);
    await awaitConnections(server.child, 0, 10_000);
    const before = await server.child.request({ type: 'memory', gc: true }, 30_000);
    const opened = await clients.request(
      { type: 'idle-open', url: server.url, count, batch: 250, deflate },
      300_000,
    );
    const connections = opened.opened as number;
    const held = await awaitConnections(server.child, connections, 20_000);
    const after = await server.child.request({ type: 'memory', gc: true }, 30_000);
    const memoryBefore = before.memory as NodeJS.MemoryUsage;
    const memoryAfter = after.memory as NodeJS.MemoryUsage;
    const js = (m: NodeJS.MemoryUsage) => m.heapUsed + m.external;
    const perConnection = (bytes: number) => (connections > 0 ? bytes / connections / 1024 : 0);
    const result: MemoryResult = {
      server: kind,
      deflate,
      requested: count,
      connections,
      failed: opened.failed as number,
      rssBefore: memoryBefore.rss,
      rssAfter: memoryAfter.rss,
      rssKibPerConnection: perConnection(memoryAfter.rss - memoryBefore.rss),
      jsKibPerConnection: perConnection(js(memoryAfter) - js(memoryBefore)),
    };
    if (opened.firstError !== undefined) result.firstError = opened.firstError as string;
    if (held !== connections) result.firstError ??= `server holds ${held} of ${connections} connections`;
    await clients.request({ type: 'idle-drop' }, 30_000);
    return result;
  } finally {
    await stopChild(clients);
    await stopChild(server.child);
  }
}

/** Memory per idle connection of both servers at `requested` connections (fewer if `ulimit -n` is low). */
async function measureMemorySection(
  requested: number,
  limit: number | undefined,
  results: EchoResults,
  deflate: boolean,
): Promise<void> {
  const section = deflate ? 'deflate-memory' : 'memory';
  let count = requested;
  // Both the server and the client process hold one descriptor per connection. Nothing is
  // raised system-wide: with too low a limit, fewer connections are measured.
  if (limit !== undefined && limit < count + FD_MARGIN) {
    const reduced = Math.max(100, Math.floor((limit - FD_MARGIN) / 100) * 100);
    results.notes.push(
      `${section}: ulimit -n is ${limit}: measured ${reduced} idle connections instead of ${count} (raise the limit to measure ${count}).`,
    );
    count = reduced;
  }
  for (const kind of SIDES) {
    progress(`${section}: ${kind} server, ${count} idle connections…`);
    const measured = await measureMemory(kind, count, results, deflate);
    results.memory.push(measured);
    progress(`${section}: ${kind}: ${measured.rssKibPerConnection.toFixed(2)} KiB/connection`);
    if (measured.firstError !== undefined) results.notes.push(`${section}, ${kind}: ${measured.firstError}`);
  }
}

/** The servers of the sliced section, from --servers and --aa. */
function slicedServerKinds(): { name: string; kind: ServerKind }[] {
  const kinds = (argv.servers?.split(',') ?? DEFAULT_SERVER_KINDS.filter(serverAvailable)) as ServerKind[];
  for (const kind of kinds) {
    if (!SERVER_KINDS.includes(kind)) throw new RangeError(`--servers takes ${SERVER_KINDS.join(', ')}`);
    if (!serverAvailable(kind)) throw new RangeError(`--servers: ${kind} is not built in this checkout`);
  }
  if (!kinds.includes('ws')) throw new RangeError('--servers must include ws: every ratio is against it');
  const named = kinds.map((kind) => ({ name: kind as string, kind }));
  if (argv.aa === 'ws') named.push({ name: 'ws#2', kind: 'ws' });
  else if (argv.aa !== 'none') throw new RangeError('--aa is ws or none');
  return named;
}

/** The throughput section: every server up at once, measured in interleaved slices. */
async function measureSlicedSection(settings: EchoSettings, results: EchoResults): Promise<void> {
  const workloads = SLICED_WORKLOADS.filter((w) => settings.workloads.includes(w.key));
  const loaders = argv.loaders.split(',') as Loader[];
  if (loaders.some((l) => !LOADERS.includes(l)))
    throw new RangeError(`--loaders takes ${LOADERS.join(', ')}`);
  if (workloads.length === 0) return;
  const servers: SlicedServer[] = [];
  try {
    for (const { name, kind } of slicedServerKinds()) {
      const execArgv =
        kind === 'ours' && argv.profile !== undefined
          ? ['--cpu-prof', `--cpu-prof-dir=${resolve(argv.profile)}`]
          : [];
      const server = await startServer(kind, execArgv, false);
      servers.push({ name, kind, child: server.child, url: server.url });
      if (server.peer !== undefined) results.peer.server = server.peer;
    }
    // By default one round per server: each then takes each place in the order once.
    const rounds = argv.rounds === undefined ? servers.length : settings.rounds;
    const measured = await measureSliced(
      {
        rounds,
        warmupMs: settings.warmupMs,
        durationMs: settings.durationMs,
        fullCheckEvery: settings.fullCheckEvery,
        workloads,
        loaders,
      },
      servers,
      {
        start: (script, args, onEvent) => startChild(script, args, { onEvent }),
        stop: stopChild,
        progress,
      },
    );
    if (measured.peer !== undefined) results.peer.client = measured.peer as PeerInfo;
    results.sliced = {
      rounds,
      warmupMs: settings.warmupMs,
      durationMs: settings.durationMs,
      fullCheckEvery: settings.fullCheckEvery,
      servers: servers.map(({ name, kind }) => ({ name, kind })),
      workloads: [...workloads],
      loaders,
      cells: measured.cells,
    };
  } finally {
    for (const server of servers) await stopChild(server.child);
  }
}

async function main(): Promise<number> {
  const settings = settingsFromArgs();
  const limit = fdLimit();
  const results: EchoResults = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cpus: cpus().length,
    peer: {},
    settings,
    fdLimit: limit === Number.POSITIVE_INFINITY ? undefined : limit,
    source: sourceVersion(),
    notes: [],
    cells: [],
    memory: [],
  };
  if (settings.sections.includes('throughput')) await measureSlicedSection(settings, results);
  if (settings.sections.includes('clients')) await measureThroughput(settings, results, WORKLOADS, false);
  if (settings.sections.includes('memory')) {
    await measureMemorySection(settings.idleConnections, limit, results, false);
  }
  if (settings.sections.includes('deflate')) {
    await measureThroughput(settings, results, DEFLATE_WORKLOADS, true);
  }
  if (settings.sections.includes('deflate-memory')) {
    await measureMemorySection(settings.deflateIdleConnections, limit, results, true);
  }
  if (argv.profile !== undefined) {
    results.notes.push(`CPU profiles of our server process written to ${resolve(argv.profile)}.`);
  }
  process.stdout.write(argv.json ? `${JSON.stringify(results, null, 2)}\n` : `${render(results)}\n`);
  const failed =
    results.cells.some((c) => c.failures.length > 0) ||
    (results.sliced?.cells.some((c) => c.slices.some((slice) => slice.failures.length > 0)) ?? false) ||
    results.memory.some((m) => m.connections === 0 || m.firstError !== undefined);
  return failed ? 1 : 0;
}

function killChildren(): void {
  for (const child of children) child.process.kill('SIGKILL');
}

const watchdog = setTimeout(() => {
  progress(`bench:echo: over ${RUN_LIMIT_MS / 60_000} minutes; stopping`);
  killChildren();
  process.exit(3);
}, RUN_LIMIT_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(130);
  });
}

main().then(
  (code) => {
    clearTimeout(watchdog);
    process.exitCode = code;
  },
  (error: Error) => {
    killChildren();
    progress(`bench:echo: ${error.stack ?? error.message}`);
    process.exitCode = 1;
  },
);
