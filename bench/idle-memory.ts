// Memory per idle server connection, server by server, each in a fresh process: our
// `createServer`, `handleUpgrade` on a node:http server, `wasmws/ws`'s `WebSocketServer` and
// `ws`'s. The clients are bare sockets that do the opening handshake and then send nothing
// (src/bench/wire.ts's openIdle), in this process. Per connection: heap+external and RSS
// without a forced GC (after the server has been quiet for `--settle` ms) and after forced GCs.
// Rounds are interleaved (each kind once per round, the order rotated) and medians reported.
//
//   node --expose-gc dist/bench/idle-memory.js [--connections=10000] [--rounds=3]
//     [--kinds=ours,upgrade,face,ws] [--settle=2000] [--snapshot [--keep-snapshots]]
//     [--server-flags='--max-semi-space-size=64 ...'] (node flags for the server processes)
//
// A kind may name another build: `ours@/path/to/dist` loads that checkout's dist/src (a
// before/after pair in one run). `--snapshot` also writes a heap snapshot of each server
// before and after the connections and prints what the connections added, by constructor.
import { type EventEmitter, once } from 'node:events';
import { readFileSync, unlinkSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { type IdleConnections, openIdle } from '../src/bench/wire.js';
import { answerRequests, Child, notifyParent } from './echo/ipc.js';

const KINDS = ['ours', 'upgrade', 'face', 'ws'] as const;
type Kind = (typeof KINDS)[number];

const LABELS: Record<Kind, string> = {
  ours: 'wasmws createServer',
  upgrade: 'wasmws handleUpgrade (node:http)',
  face: 'wasmws/ws WebSocketServer',
  ws: 'ws WebSocketServer',
};

/** This build's dist/ (this file is dist/bench/idle-memory.js once built). */
const OWN_ROOT = new URL('../', import.meta.url);

interface Started {
  url: string;
  connections(): number;
}

const noop = (): void => {};
const idleHandler = { message: noop };

async function startKind(kind: Kind, root: URL): Promise<Started> {
  if (kind === 'ws' || kind === 'face') {
    const module =
      kind === 'ws'
        ? ((await import('ws')) as unknown as { WebSocketServer: new (o: object) => WsLike })
        : ((await import(new URL('src/ws/index.js', root).href)) as {
            WebSocketServer: new (o: object) => WsLike;
          });
    const server = new module.WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await once(server, 'listening');
    server.on('connection', (socket: { on(event: string, listener: () => void): void }) => {
      socket.on('error', noop);
      socket.on('message', noop);
    });
    const { port } = server.address() as AddressInfo;
    return { url: `ws://127.0.0.1:${port}/`, connections: () => server.clients.size };
  }
  const api = (await import(
    new URL('src/server/index.js', root).href
  )) as typeof import('../src/server/index.js');
  if (kind === 'ours') {
    const server = api.createServer({ host: '127.0.0.1', port: 0, handler: idleHandler, deflate: false });
    const { url } = await server.listen();
    return { url, connections: () => server.sessions.size };
  }
  const sessions = new Set<unknown>();
  const handler = {
    message: noop,
    open: (session: unknown) => sessions.add(session),
    close: (session: unknown) => sessions.delete(session),
  };
  const options = {};
  const http = createHttpServer();
  http.on('upgrade', (req, socket, head) => void api.handleUpgrade(req, socket, head, handler, options));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}/`, connections: () => sessions.size };
}

interface WsLike extends EventEmitter {
  clients: Set<unknown>;
  address(): unknown;
}

// ---- the server process ----------------------------------------------------------------

/** Bytes of compiled code on the heap: it grows as the JIT warms up, whatever the connections hold. */
function codeSpaceUsed(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'code_space')?.space_used_size ?? 0;
}

async function serve(kind: Kind, root: URL): Promise<void> {
  const server = await startKind(kind, root);
  const collect = (globalThis as { gc?: () => void }).gc;
  answerRequests(async (request) => {
    switch (request.type) {
      case 'connections':
        return { connections: server.connections() };
      case 'memory':
        if (request.gc === true) {
          if (collect === undefined) throw new Error('run with node --expose-gc');
          for (let i = 0; i < 3; i++) {
            collect();
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        return { memory: process.memoryUsage(), codeSpace: codeSpaceUsed() };
      case 'snapshot':
        return {
          path: writeHeapSnapshot(join(tmpdir(), `idle-${kind}-${process.pid}-${request.name}.heapsnapshot`)),
        };
      default:
        throw new Error(`unknown request ${request.type}`);
    }
  });
  notifyParent({ type: 'ready', url: server.url });
}

// ---- heap snapshots ----------------------------------------------------------------------

/** Self size and count of the nodes of a heap snapshot, by type and constructor name. */
function summarize(path: string): Map<string, { count: number; bytes: number }> {
  const snapshot = JSON.parse(readFileSync(path, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, { count: number; bytes: number }>();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + typeAt]];
    let name = strings[nodes[i + nameAt]];
    // Strings and numbers are grouped by type: their names are their contents.
    if (
      type === 'string' ||
      type === 'concatenated string' ||
      type === 'sliced string' ||
      type === 'number'
    ) {
      name = '';
    } else if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type} ${name}`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += nodes[i + sizeAt];
    groups.set(key, group);
  }
  return groups;
}

function snapshotDelta(before: string, after: string, connections: number): string {
  const a = summarize(before);
  const b = summarize(after);
  const rows: { key: string; count: number; bytes: number }[] = [];
  for (const [key, group] of b) {
    const base = a.get(key) ?? { count: 0, bytes: 0 };
    rows.push({ key, count: group.count - base.count, bytes: group.bytes - base.bytes });
  }
  for (const [key, group] of a) if (!b.has(key)) rows.push({ key, count: -group.count, bytes: -group.bytes });
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  const lines = [
    `  heap snapshot: ${(total / connections).toFixed(0)} B per connection (self sizes), largest groups:`,
  ];
  for (const row of rows.filter((r) => Math.abs(r.bytes) >= connections * 4).slice(0, 40)) {
    lines.push(
      `    ${(row.bytes / connections).toFixed(1).padStart(8)} B  ${(row.count / connections).toFixed(2).padStart(6)}×  ${row.key}`,
    );
  }
  return lines.join('\n');
}

// ---- the parent --------------------------------------------------------------------------

interface Measured {
  connections: number;
  jsNoGc: number;
  rssNoGc: number;
  jsGc: number;
  rssGc: number;
  snapshot?: string;
}

const SCRIPT = new URL(import.meta.url);

/** Drops every connection (no closing handshake: the server sees them go at once). */
function dropIdle(connections: IdleConnections): void {
  for (const socket of connections.sockets) socket.destroy();
  connections.sockets = [];
}

const js = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.external;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function awaitConnections(server: Child, count: number): Promise<number> {
  let held = -1;
  for (let tries = 0; tries < 200; tries++) {
    held = (await server.request({ type: 'connections' }, 10_000)).connections as number;
    if (held === count) break;
    await sleep(50);
  }
  return held;
}

async function measure(
  spec: string,
  count: number,
  settleMs: number,
  snapshot: boolean,
  keep: boolean,
  serverFlags: string[],
): Promise<Measured> {
  const [kind, root] = spec.split('@') as [Kind, string | undefined];
  const rootArg = root === undefined ? OWN_ROOT.href : pathToFileURL(`${root.replace(/\/$/, '')}/`).href;
  const { child: server, ready } = await Child.start(SCRIPT, ['serve', kind, rootArg], {
    execArgv: ['--expose-gc', ...serverFlags],
  });
  let clients: IdleConnections | null = null;
  try {
    const url = ready.url as string;
    // Code loaded and caches filled on first use belong to "before", not to the connections.
    dropIdle(await openIdle(url, 100, 100));
    await awaitConnections(server, 0);
    // "Before" after forced GCs, so the warm-up's garbage is not counted against the connections.
    const before = (await server.request({ type: 'memory', gc: true }, 30_000)).memory as NodeJS.MemoryUsage;
    const snapBefore = snapshot
      ? ((await server.request({ type: 'snapshot', name: 'before' }, 120_000)).path as string)
      : '';
    const opened = await openIdle(url, count, 250);
    clients = opened;
    const connections = opened.sockets.length;
    if (opened.failed !== 0)
      throw new Error(`${spec}: ${opened.failed} connections failed: ${opened.firstError}`);
    const held = await awaitConnections(server, connections);
    if (held !== connections) throw new Error(`${spec}: server holds ${held} of ${connections}`);
    await sleep(settleMs);
    const noGc = (await server.request({ type: 'memory' }, 30_000)).memory as NodeJS.MemoryUsage;
    const gc = (await server.request({ type: 'memory', gc: true }, 30_000)).memory as NodeJS.MemoryUsage;
    const per = (bytes: number) => bytes / connections;
    const result: Measured = {
      connections,
      jsNoGc: per(js(noGc) - js(before)),
      rssNoGc: per(noGc.rss - before.rss),
      jsGc: per(js(gc) - js(before)),
      rssGc: per(gc.rss - before.rss),
    };
    if (snapshot) {
      const snapAfter = (await server.request({ type: 'snapshot', name: 'after' }, 120_000)).path as string;
      result.snapshot = snapshotDelta(snapBefore, snapAfter, connections);
      if (keep) result.snapshot += `\n  snapshots kept: ${snapBefore} ${snapAfter}`;
      else {
        unlinkSync(snapBefore);
        unlinkSync(snapAfter);
      }
    }
    return result;
  } finally {
    if (clients !== null) dropIdle(clients);
    await server.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '10000' },
      rounds: { type: 'string', default: '3' },
      kinds: { type: 'string', default: KINDS.join(',') },
      settle: { type: 'string', default: '2000' },
      snapshot: { type: 'boolean', default: false },
      'keep-snapshots': { type: 'boolean', default: false },
      'server-flags': { type: 'string', default: '' },
    },
  });
  const count = Number(values.connections);
  const rounds = Number(values.rounds);
  const settle = Number(values.settle);
  const specs = values.kinds.split(',');
  const serverFlags = values['server-flags'].split(' ').filter((flag) => flag !== '');
  for (const spec of specs) {
    if (!KINDS.includes(spec.split('@')[0] as Kind))
      throw new TypeError(`unknown kind ${spec}; one of ${KINDS.join(', ')}`);
  }
  const results = new Map<string, Measured[]>(specs.map((spec) => [spec, []]));
  for (let round = 0; round < rounds; round++) {
    const order = specs.map((_, i) => specs[(i + round) % specs.length]);
    for (const spec of order) {
      const measured = await measure(
        spec,
        count,
        settle,
        values.snapshot && round === 0,
        values['keep-snapshots'],
        serverFlags,
      );
      results.get(spec)!.push(measured);
      process.stderr.write(
        `round ${round + 1} ${spec}: heap+external ${kib(measured.jsNoGc)} KiB, RSS ${kib(measured.rssNoGc)} KiB (no GC); ${kib(measured.jsGc)} / ${kib(measured.rssGc)} KiB (GC)\n`,
      );
      if (measured.snapshot !== undefined) process.stderr.write(`${measured.snapshot}\n`);
    }
  }
  console.log(
    `\nIdle memory per connection at ${count} connections, median of ${rounds} rounds [min-max], KiB:\n`,
  );
  console.log('| server | heap+external, no GC | RSS, no GC | heap+external, after GC | RSS, after GC |');
  console.log('|---|---:|---:|---:|---:|');
  for (const spec of specs) {
    const list = results.get(spec)!;
    const cell = (pick: (m: Measured) => number) => {
      const all = list.map(pick);
      return `${kib(median(all))} [${kib(Math.min(...all))}-${kib(Math.max(...all))}]`;
    };
    const [kind, root] = spec.split('@') as [Kind, string | undefined];
    const label = `${LABELS[kind]}${root === undefined ? '' : ` (${root})`}`;
    console.log(
      `| ${label} | ${cell((m) => m.jsNoGc)} | ${cell((m) => m.rssNoGc)} | ${cell((m) => m.jsGc)} | ${cell((m) => m.rssGc)} |`,
    );
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3] as Kind, new URL(process.argv[4]));
} else {
  await main();
}
