// The echo benchmark measures what it claims: its load generator, with either client, gets
// every message echoed and checked by both servers; a server that echoes something else
// is caught; and the idle connections of the memory measurement are real sessions on both
// servers. The same again with permessage-deflate: JSON messages compressed both ways,
// idle connections that exchanged a compressed message. Servers and clients share this
// process here. No timing is asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { dropIdleConnections, openIdleConnections } from '../../bench/echo/idle.js';
import { type LoadOptions, runLoad, type Side } from '../../bench/echo/load.js';
import { type EchoServer, startEchoServer } from '../../bench/echo/servers.js';

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
