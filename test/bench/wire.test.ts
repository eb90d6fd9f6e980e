// The echo load generators count exactly what each server echoed and catch wrong echoes: the
// cheap raw one and the ws and wasmws clients, against wasmws's, ws's and wasmws/ws's servers
// (with permessage-deflate too), `serve --workers` read from /proc, idle connections held as
// sessions. Servers and loads share this process here; no timing is asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { type LoadScenario, openGroups, slice } from '../../src/bench/child.js';
import { descendantsCpuMicros } from '../../src/bench/machine.js';
import { type EchoServer, startServer } from '../../src/bench/servers.js';
import { openIdle } from '../../src/bench/wire.js';

const KINDS = ['wasmws', 'ws', 'wasmws/ws'];
const TEXT: LoadScenario = { size: 64, payload: 'ascii', binary: false, connections: 3, inFlight: 8 };
const BINARY: LoadScenario = {
  size: 16 * 1024,
  payload: 'pattern',
  binary: true,
  connections: 2,
  inFlight: 4,
};
const JSON_DOCS: LoadScenario = { size: 1024, payload: 'json', binary: false, connections: 2, inFlight: 4 };

describe.each([false, true])('with deflate %s', (deflate) => {
  const servers = new Map<string, EchoServer>();
  beforeAll(async () => {
    for (const kind of KINDS) servers.set(kind, await startServer({ kind, deflate }));
  });
  afterAll(async () => {
    for (const server of servers.values()) await server.close();
  });

  const cases: [string, LoadScenario][] = deflate
    ? [
        ['ws', JSON_DOCS],
        ['wasmws', JSON_DOCS],
      ]
    : [
        ['raw', TEXT],
        ['raw', BINARY],
        ['ws', TEXT],
        ['wasmws', BINARY],
      ];
  it.each(cases)('the %s loader counts what each server echoed, slice by slice', async (loader, scenario) => {
    const groups = [...servers].map(([name, server]) => ({ name, url: server.url, link: { deflate } }));
    const { opened } = await openGroups(loader, groups, scenario, 3);
    try {
      for (const [name, server] of servers) {
        const before = server.echoed()!;
        const edges: string[] = [];
        const result = await slice(opened.get(name)!, scenario.size, 10, 40, (edge) => edges.push(edge));
        expect(result.failures).toEqual([]);
        expect(edges).toEqual(['start', 'end']);
        expect(result.messages).toBeGreaterThan(0);
        // Drained: every message the server echoed in this slice came back and was counted.
        expect(server.echoed()! - before).toBe(result.echoes);
        expect(result.sent).toBe(result.echoes);
        expect(result.fullChecks).toBeGreaterThan(0);
        expect(result.receivedSha256).toBe(result.expectedSha256);
        // Compressed: far fewer bytes on the wire than the JSON echoed.
        if (deflate) expect(result.wirePerPayload).toBeLessThan(0.6);
      }
    } finally {
      for (const group of opened.values()) for (const connection of group.connections) connection.close();
    }
  });

  it.each(KINDS)(
    '%s holds idle connections as sessions (deflate: one message each way first)',
    async (kind) => {
      const server = servers.get(kind)!;
      const message = deflate ? Buffer.from(`{"note":"${'x'.repeat(1500)}"}`) : undefined;
      const idle = await openIdle(server.url, 20, 5, message);
      expect(idle.firstError).toBeUndefined();
      expect(idle.sockets.length).toBe(20);
      await expect.poll(() => server.connections()).toBe(20);
      for (const socket of idle.sockets) socket.destroy();
      await expect.poll(() => server.connections()).toBe(0);
    },
  );
});

it('a client that asks for deflate fails against a server that declines it', async () => {
  const server = await startServer({ kind: 'ws', deflate: false });
  try {
    const { opened } = await openGroups(
      'ws',
      [{ name: 'ws', url: server.url, link: { deflate: true } }],
      JSON_DOCS,
      1,
    );
    const result = await slice(opened.get('ws')!, 1024, 0, 20);
    expect(result.failures).toContain('permessage-deflate not negotiated');
    for (const connection of opened.get('ws')!.connections) connection.close();
  } finally {
    await server.close();
  }
});

it('drives `wasmws serve --workers 2` and reads its CPU from /proc (primary and workers)', async () => {
  const before = descendantsCpuMicros(process.pid);
  const server = await startServer({ kind: 'serve-workers', workers: 2, deflate: false });
  try {
    const scenario: LoadScenario = {
      size: 64,
      payload: 'pattern',
      binary: true,
      connections: 4,
      inFlight: 4,
    };
    const { opened } = await openGroups('raw', [{ name: 'workers', url: server.url }], scenario, 1);
    const result = await slice(opened.get('workers')!, 64, 20, 150);
    for (const connection of opened.get('workers')!.connections) connection.close();
    expect(result.failures).toEqual([]);
    expect(result.fullChecks).toBe(result.echoes);
    expect(descendantsCpuMicros(process.pid)).toBeGreaterThan(before);
  } finally {
    await server.close();
  }
});

describe('a server that echoes the wrong thing is caught', () => {
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

  const scenario: LoadScenario = { size: 64, payload: 'pattern', binary: true, connections: 1, inFlight: 1 };
  it.each([
    ['raw', '/short', 'echo of 63 bytes, expected 64'],
    ['raw', '/changed', 'echo differs from what was sent in bytes 0-63'],
    ['raw', '/text', 'echo frame starts 0x81, expected 0x82'],
    ['ws', '/short', 'echo of 63 bytes, expected 64'],
    ['ws', '/changed', 'echo #2 differs from what was sent'],
    ['wasmws', '/short', 'echo of 63 bytes, expected 64'],
    ['raw', '/silent', '1 echoes missing 200 ms after the window'],
  ])('the %s loader: %s', async (loader, path, failure) => {
    const { opened } = await openGroups(loader, [{ name: 'faulty', url: `${base}${path}` }], scenario, 1);
    try {
      const result = await slice(opened.get('faulty')!, 64, 0, 50, undefined, 200);
      expect(result.failures[0]).toBe(failure);
      expect(result.echoes).toBe(2);
    } finally {
      for (const connection of opened.get('faulty')!.connections) connection.close();
    }
  });
});
