// The echo benchmark measures what it claims: its sliced section's loaders (the cheap raw
// one and the ws client) count exactly what each server echoed and catch wrong echoes; its
// ratios are per round with the ws twin as A/A; a real run has that twin. Its older load
// generator, with either client, gets
// every message echoed and checked by both servers; a server that echoes something else
// is caught; and the idle connections of the memory measurement are real sessions on both
// servers. The same again with permessage-deflate: JSON messages compressed both ways,
// idle connections that exchanged a compressed message. Servers and clients share this
// process here. No timing is asserted.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { dropIdleConnections, openIdleConnections } from '../../bench/echo/idle.js';
import { type LoadOptions, runLoad, type Side } from '../../bench/echo/load.js';
import type { EchoResults } from '../../bench/echo/report.js';
import {
  type EchoServer,
  type ServerKind,
  serverAvailable,
  startEchoServer,
} from '../../bench/echo/servers.js';
import { LOADERS, SliceLoad } from '../../bench/echo/slice-load.js';
import { roundOrder, SLICED_WORKLOADS } from '../../bench/echo/sliced.js';
import { type SlicedResults, slicedGoalChecks, slicedPairs } from '../../bench/echo/sliced-report.js';

const ECHO_SCRIPT = fileURLToPath(new URL('../../dist/bench/echo.js', import.meta.url));

const SIDES: Side[] = ['ours', 'ws'];
const MESSAGES = 50;

/** A bounded run that ends once `MESSAGES` echoes are back; the time limit only guards a hang. */
function smallRun(url: string, client: Side, overrides: Partial<LoadOptions> = {}): LoadOptions {
  return {
    url,
    client,
    size: 64,
    connections: 1,
    inFlight: 8,
    warmupMs: 0,
    durationMs: 10_000,
    messageLimit: MESSAGES,
    fullCheckEvery: 1,
    ...overrides,
  };
}

describe.each(SIDES)('against the %s echo server', (serverKind) => {
  let server: EchoServer;
  beforeAll(async () => {
    server = await startEchoServer(serverKind);
  });
  afterAll(() => server.close());

  it.each(SIDES)('the %s client gets every message back, checked byte for byte', async (client) => {
    const result = await runLoad(smallRun(server.url, client));
    expect(result.failures).toEqual([]);
    expect(result.sent).toBe(MESSAGES);
    expect(result.echoes).toBe(MESSAGES);
    expect(result.fullChecks).toBe(MESSAGES);
  });

  it.each(SIDES)('the %s client checks 16 KiB echoes over several connections', async (client) => {
    const result = await runLoad(
      smallRun(server.url, client, { size: 16 * 1024, connections: 3, inFlight: 4, fullCheckEvery: 5 }),
    );
    expect(result.failures).toEqual([]);
    expect(result.echoes).toBe(MESSAGES);
    // Each connection compares its 5th, 10th, … echo: 17 + 17 + 16 echoes give 3 + 3 + 3.
    expect(result.fullChecks).toBe(9);
  });

  it('holds the idle connections of the memory measurement as sessions', async () => {
    const idle = await openIdleConnections(server.url, 20, 5);
    expect(idle.failed).toBe(0);
    expect(idle.sockets.length).toBe(20);
    await expect.poll(() => server.connections()).toBe(20);
    dropIdleConnections(idle);
    await expect.poll(() => server.connections()).toBe(0);
  });
});

describe.each(SIDES)('against the %s echo server with permessage-deflate', (serverKind) => {
  let server: EchoServer;
  beforeAll(async () => {
    server = await startEchoServer(serverKind, { deflate: true });
  });
  afterAll(() => server.close());

  it.each(SIDES)('the %s client negotiates it and gets compressed JSON echoes, checked', async (client) => {
    const result = await runLoad(
      smallRun(server.url, client, { size: 1024, payload: 'json', deflate: true, connections: 2 }),
    );
    expect(result.failures).toEqual([]);
    expect(result.echoes).toBe(MESSAGES);
    expect(result.fullChecks).toBe(MESSAGES);
    // Compressed: far fewer bytes on the wire than the JSON echoed.
    expect(result.wireReadPerPayloadByte).toBeLessThan(0.6);
  });

  it.each(SIDES)('the %s client checks 64 KiB JSON echoes', async (client) => {
    const result = await runLoad(
      smallRun(server.url, client, { size: 64 * 1024, payload: 'json', deflate: true, messageLimit: 8 }),
    );
    expect(result.failures).toEqual([]);
    expect(result.fullChecks).toBe(8);
  });

  it('holds idle connections that exchanged one compressed message each way', async () => {
    const idle = await openIdleConnections(server.url, 10, 5, 10_000, true);
    expect(idle.firstError).toBeUndefined();
    expect(idle.sockets.length).toBe(10);
    await expect.poll(() => server.connections()).toBe(10);
    dropIdleConnections(idle);
    await expect.poll(() => server.connections()).toBe(0);
  });
});

it('a run that asks for deflate fails against a server that declines it', async () => {
  const server = await startEchoServer('ws');
  try {
    const result = await runLoad(smallRun(server.url, 'ws', { size: 1024, payload: 'json', deflate: true }));
    expect(result.failures).toEqual(['connection 0: permessage-deflate not negotiated']);
  } finally {
    await server.close();
  }
});

/** How the faulty server answers the 3rd message of a connection, by request path. */
const FAULTS: Record<string, (message: Buffer, previous: Buffer) => Buffer | string | null> = {
  '/short': (message) => message.subarray(0, message.length - 1),
  '/changed': (message) => {
    const changed = Buffer.from(message);
    changed[10] ^= 0xff;
    return changed;
  },
  '/repeated': (_message, previous) => previous,
  '/text': (message) => message.toString('latin1'),
  '/silent': () => null,
};

describe('a server that echoes the wrong thing is caught', () => {
  let faulty: WebSocketServer;
  let base: string;
  beforeAll(async () => {
    faulty = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => faulty.once('listening', resolve));
    base = `ws://127.0.0.1:${(faulty.address() as { port: number }).port}`;
    faulty.on('connection', (socket, request) => {
      const fault = FAULTS[request.url ?? '/'];
      let count = 0;
      let previous = Buffer.alloc(0);
      socket.on('message', (data: Buffer) => {
        const message = Buffer.from(data);
        const answer = ++count === 3 ? fault(message, previous) : message;
        previous = message;
        if (answer !== null) socket.send(answer);
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => faulty.close(() => resolve())));

  describe.each(SIDES)('by the %s client', (client) => {
    it.each([
      ['/short', 'echo of 63 bytes, expected 64'],
      ['/changed', 'echo #2: payload differs'],
      ['/repeated', 'echo #1, expected #2'],
      ['/text', 'echo is not a binary message'],
    ])('%s', async (path, failure) => {
      const result = await runLoad(smallRun(`${base}${path}`, client, { inFlight: 1 }));
      expect(result.failures).toEqual([`connection 0: ${failure}`]);
      expect(result.echoes).toBe(2);
    });

    it('/silent: the missing echo fails the run, which still ends by itself', async () => {
      const result = await runLoad(
        smallRun(`${base}/silent`, client, { inFlight: 1, durationMs: 100, drainTimeoutMs: 200 }),
      );
      expect(result.echoes).toBe(2);
      expect(result.failures).toEqual(['1 echoes missing 200 ms after the window']);
    });
  });
});

describe('the sliced throughput section', () => {
  const servers = new Map<ServerKind, EchoServer>();
  beforeAll(async () => {
    // wasmws/ws too once its entry is built: its row must count what it echoed as well.
    const kinds: ServerKind[] = [
      'ours',
      'ws',
      ...(serverAvailable('wasmws-ws') ? ['wasmws-ws' as const] : []),
    ];
    for (const kind of kinds) servers.set(kind, await startEchoServer(kind, { countMessages: true }));
  });
  afterAll(async () => {
    for (const server of servers.values()) await server.close();
  });

  describe.each(LOADERS)('with the %s loader', (loader) => {
    it.each([
      ['64 B text', { size: 64, binary: false, connections: 3, inFlight: 8 }],
      ['16 KiB binary', { size: 16 * 1024, binary: true, connections: 2, inFlight: 4 }],
    ])('counts %s echoes as the servers echoed them, slice by slice', async (_name, workload) => {
      const urls = Object.fromEntries([...servers].map(([kind, server]) => [kind, server.url]));
      const load = await SliceLoad.open(loader, urls, workload, 3);
      try {
        for (const [kind, server] of servers) {
          const before = server.messages();
          const edges: string[] = [];
          const result = await load.slice(kind, 20, 50, (edge) => edges.push(edge));
          expect(result.failures).toEqual([]);
          expect(edges).toEqual(['start', 'end']);
          expect(result.messages).toBeGreaterThan(0);
          expect(result.echoes).toBeGreaterThanOrEqual(result.messages);
          // Drained: every message the server echoed in this slice came back and was counted.
          expect(server.messages() - before).toBe(result.echoes);
          // Each connection compares every 3rd echo (its count carries over from slice to slice).
          expect(Math.abs(result.fullChecks - result.echoes / 3)).toBeLessThanOrEqual(workload.connections);
        }
      } finally {
        load.close();
      }
    });
  });
});

it('drives `wasmws serve --workers 2` and reads its CPU from /proc (primary and workers)', async () => {
  expect(serverAvailable('serve-workers2'), 'dist/ is missing: npm run build').toBe(true);
  const server = await startEchoServer('serve-workers2');
  try {
    const load = await SliceLoad.open(
      'raw',
      { workers: server.url },
      { size: 64, binary: true, connections: 4, inFlight: 4 },
      1,
    );
    const before = server.cpuUsage!();
    const result = await load.slice('workers', 20, 100);
    load.close();
    expect(result.failures).toEqual([]);
    expect(result.fullChecks).toBe(result.echoes);
    const after = server.cpuUsage!();
    expect(after.user + after.system).toBeGreaterThan(before.user + before.system);
  } finally {
    await server.close();
  }
});

describe('the raw load generator catches a server that echoes the wrong thing', () => {
  let faulty: WebSocketServer;
  let base: string;
  beforeAll(async () => {
    faulty = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => faulty.once('listening', resolve));
    base = `ws://127.0.0.1:${(faulty.address() as { port: number }).port}`;
    faulty.on('connection', (socket, request) => {
      let count = 0;
      socket.on('message', (data: Buffer, isBinary) => {
        const message = Buffer.from(data);
        if (++count !== 3) return socket.send(message, { binary: isBinary });
        if (request.url === '/short') socket.send(message.subarray(1), { binary: isBinary });
        else if (request.url === '/changed') {
          message[message.length - 1] ^= 1;
          socket.send(message, { binary: isBinary });
        } else if (request.url === '/text') socket.send(message, { binary: false });
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => faulty.close(() => resolve())));

  it.each([
    ['/short', 'echo of 63 bytes, expected 64'],
    ['/changed', 'echo differs from what was sent in bytes 0-63'],
    ['/text', 'echo frame starts 0x81, expected 0x82'],
  ])('%s', async (path, failure) => {
    const load = await SliceLoad.open(
      'raw',
      { faulty: `${base}${path}` },
      { size: 64, binary: true, connections: 1, inFlight: 1 },
      1,
    );
    try {
      const result = await load.slice('faulty', 0, 50);
      expect(result.failures[0]).toBe(`faulty: ${failure}`);
      expect(result.echoes).toBe(2);
    } finally {
      load.close();
    }
  });
});

describe('sliced statistics', () => {
  it('rotates the first server from round to round', () => {
    expect([0, 1, 2, 3].map((round) => roundOrder(['a', 'b', 'c'], round).join(''))).toEqual([
      'abc',
      'bca',
      'cab',
      'abc',
    ]);
  });

  it('pairs each server with ws round by round, the ws twin as A/A', () => {
    const slice = (round: number, messagesPerSec: number, cpu: number) => ({
      round,
      messages: messagesPerSec,
      seconds: 1,
      messagesPerSec,
      clientCpuMicrosPerMessage: 1,
      echoes: messagesPerSec,
      fullChecks: 0,
      failures: [],
      serverCpuMicrosPerMessage: cpu,
      serverSystemShare: 0.5,
      cpuPressure: 0,
    });
    const cell = (server: string, kind: ServerKind, rates: number[], cpus: number[]) => ({
      workload: 'text64-1x64',
      loader: 'raw' as const,
      server,
      kind,
      slices: rates.map((rate, round) => slice(round, rate, cpus[round])),
    });
    const results: SlicedResults = {
      rounds: 3,
      warmupMs: 0,
      durationMs: 1000,
      fullCheckEvery: 64,
      servers: [
        { name: 'ours', kind: 'ours' },
        { name: 'ws', kind: 'ws' },
        { name: 'ws#2', kind: 'ws' },
      ],
      workloads: SLICED_WORKLOADS.filter((w) => w.key === 'text64-1x64'),
      loaders: ['raw'],
      cells: [
        cell('ours', 'ours', [600, 300, 500], [1, 2, 1]),
        cell('ws', 'ws', [100, 100, 50], [4, 4, 8]),
        cell('ws#2', 'ws', [110, 90, 50], [4, 4, 8]),
      ],
    };
    const [ours, twin] = slicedPairs(results);
    expect(ours.rateRatios).toEqual([6, 3, 10]);
    expect(ours.rate.median).toBe(6);
    expect(ours.cpu?.median).toBe(0.25);
    expect(twin.aa).toBe(true);
    expect(twin.rate.min).toBeCloseTo(0.9);
    expect(slicedGoalChecks(results)).toEqual([
      { workload: 'text64-1x64', what: 'rate', value: 6, goal: 5, met: true },
      { workload: 'text64-1x64', what: 'cpu', value: 0.25, goal: 1, met: true },
    ]);
  });
});

it('bench:echo runs the sliced section with its A/A twin and the cheap loader', () => {
  expect(existsSync(ECHO_SCRIPT), 'dist/ is missing: npm run build').toBe(true);
  const run = spawnSync(
    process.execPath,
    [
      ECHO_SCRIPT,
      '--json',
      '--sections=throughput',
      '--workloads=bin64-1x64',
      '--servers=ours,ws',
      '--loaders=raw',
      '--rounds=2',
      '--duration=100',
      '--warmup=50',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  const results = JSON.parse(run.stdout) as EchoResults;
  const sliced = results.sliced!;
  expect(sliced.servers.map((s) => s.name)).toEqual(['ours', 'ws', 'ws#2']);
  expect(sliced.cells.map((c) => [c.server, c.slices.length])).toEqual([
    ['ours', 2],
    ['ws', 2],
    ['ws#2', 2],
  ]);
  for (const cell of sliced.cells) {
    for (const slice of cell.slices) {
      expect(slice.failures).toEqual([]);
      expect(slice.serverCpuMicrosPerMessage).toBeGreaterThan(0);
    }
  }
  const pairs = slicedPairs(sliced);
  expect(pairs.map((p) => [p.server, p.aa, p.rateRatios.length])).toEqual([
    ['ours', false, 2],
    ['ws#2', true, 2],
  ]);
}, 120_000);
