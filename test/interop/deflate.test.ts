// permessage-deflate (RFC 7692) against a real peer: the `ws` library with perMessageDeflate
// on, as client of our server and as server for our client, across the parameters (each
// no-context-takeover, window bits 9-15), thresholds below and above the message sizes,
// messages from 0 B to 16 MiB, and fragmented compressed messages from ws.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { connect } from '../../src/client/connect.js';
import type { DeflateOptions } from '../../src/extensions/permessage-deflate.js';
import { createServer, type WebSocketServer as OurServer } from '../../src/server/create-server.js';
import type { Handler, Session } from '../../src/session/types.js';

type Params = Pick<
  DeflateOptions,
  'serverNoContextTakeover' | 'clientNoContextTakeover' | 'serverMaxWindowBits' | 'clientMaxWindowBits'
>;

const COMBINATIONS: Array<[string, Params]> = [
  ['defaults', {}],
  ['server_no_context_takeover', { serverNoContextTakeover: true }],
  ['client_no_context_takeover', { clientNoContextTakeover: true }],
  ['window bits 9', { serverMaxWindowBits: 9, clientMaxWindowBits: 9 }],
  [
    'window bits 12, no context takeover',
    {
      serverMaxWindowBits: 12,
      clientMaxWindowBits: 12,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    },
  ],
  ['window bits 15', { serverMaxWindowBits: 15, clientMaxWindowBits: 15 }],
];

/** Compressible text of `size` bytes (JSON-like), and random-ish binary. */
function textOf(size: number): string {
  const unit = '{"id":12345,"name":"wasmws","tags":["a","b"]},';
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}
function binaryOf(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = 2463534242;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = i % 3 === 0 ? x & 0xff : 0x41;
  }
  return bytes;
}

const SIZES = [0, 1, 125, 1023, 1024, 70_000, 1 << 20];
const LARGE = 16 << 20;

const echo: Handler = {
  message(session, data) {
    session.send(data);
  },
};

/** Opens a ws client, sends each message in turn and collects the echoes. */
function wsRoundTrips(url: string, params: Params, threshold: number, messages: Array<string | Uint8Array>) {
  return new Promise<{ echoes: Array<string | Buffer>; extensions: string; bytesRead: number }>(
    (resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: { ...params, threshold }, maxPayload: 64 << 20 });
      const echoes: Array<string | Buffer> = [];
      ws.on('error', reject);
      ws.on('open', () => ws.send(messages[0]!));
      ws.on('message', (data: Buffer, isBinary) => {
        echoes.push(isBinary ? data : data.toString());
        if (echoes.length < messages.length) ws.send(messages[echoes.length]!);
        else {
          const bytesRead = (ws as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;
          ws.close(1000);
          ws.once('close', () => resolve({ echoes, extensions: ws.extensions, bytesRead }));
        }
      });
    },
  );
}

/** Each echo equals its message, type included (compared as bytes: toEqual on MiBs is slow). */
function expectEchoes(
  echoes: ReadonlyArray<string | Uint8Array>,
  messages: ReadonlyArray<string | Uint8Array>,
) {
  expect(echoes.map((e) => typeof e)).toEqual(messages.map((m) => typeof m));
  const bytes = (value: string | Uint8Array) =>
    typeof value === 'string' ? Buffer.from(value) : Buffer.from(value);
  const mismatched = messages
    .filter((message, i) => !bytes(message).equals(bytes(echoes[i]!)))
    .map((m) => m.length);
  expect(mismatched, 'sizes of the messages whose echo differs').toEqual([]);
}

describe('our server, ws client with perMessageDeflate', () => {
  const servers: OurServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  async function start(params: Params, threshold: number): Promise<string> {
    const server = createServer({ handler: echo, deflate: { ...params, threshold }, maxMessage: 64 << 20 });
    servers.push(server);
    return (await server.listen()).url;
  }

  for (const [name, params] of COMBINATIONS) {
    it(`${name}: text and binary from 0 B to 1 MiB echo intact, compressed on the wire`, async () => {
      const url = await start(params, 0);
      const messages = SIZES.flatMap((size) => [textOf(size), binaryOf(size)]);
      const { echoes, extensions, bytesRead } = await wsRoundTrips(url, params, 0, messages);
      expect(extensions).toMatch(/^permessage-deflate/);
      expectEchoes(echoes, messages);
      // 2.2 MB came back; compressed, far fewer bytes crossed the wire.
      expect(bytesRead).toBeLessThan(1 << 20);
    });
  }

  it('thresholds below and above the message size both round-trip', async () => {
    const url = await start({}, 1024);
    const messages = [textOf(10), textOf(1023), textOf(1024), textOf(5000)];
    const { echoes } = await wsRoundTrips(url, {}, 2048, messages);
    expectEchoes(echoes, messages);
  });

  it('a 16 MiB message round-trips', async () => {
    const url = await start({}, 1024);
    const message = textOf(LARGE);
    const { echoes } = await wsRoundTrips(url, {}, 1024, [message]);
    expect(echoes[0]).toHaveLength(LARGE);
    expect(echoes[0] === message).toBe(true);
  });

  it('fragmented compressed messages from ws are reassembled and inflated', async () => {
    const url = await start({}, 0);
    const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
    const parts = [textOf(3000), textOf(10), '', textOf(70_000)];
    const echo = new Promise<string>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (data: Buffer) => resolve(data.toString()));
    });
    await new Promise((resolve) => ws.on('open', resolve));
    for (const [i, part] of parts.entries()) ws.send(part, { fin: i === parts.length - 1, compress: true });
    expect(await echo).toBe(parts.join(''));
    ws.close();
  });

  it('a client that offers nothing gets no compression', async () => {
    const url = await start({}, 0);
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve) => ws.on('open', resolve));
    expect(ws.extensions).toBe('');
    ws.close();
  });
});

describe('our client, ws server with perMessageDeflate', () => {
  let wss: WebSocketServer;

  async function wsServer(params: Params, threshold: number): Promise<string> {
    wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: { ...params, threshold },
      maxPayload: 64 << 20,
    });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  }
  afterAll(() => new Promise((resolve) => (wss ? wss.close(resolve) : resolve(undefined))));
  beforeAll(() => undefined);

  /** Connects with our client and sends each message after the previous echo. */
  async function ourRoundTrips(
    url: string,
    params: Params,
    threshold: number,
    messages: Array<string | Uint8Array>,
  ) {
    const echoes: Array<string | Uint8Array> = [];
    let session!: Session;
    const done = new Promise<void>((resolve, reject) => {
      const handler: Handler = {
        message(s, data) {
          echoes.push(data);
          if (echoes.length < messages.length) s.send(messages[echoes.length]!);
          else resolve();
        },
        error: (_s, error) => reject(error),
      };
      connect(url, handler, { deflate: { ...params, threshold }, maxMessage: 64 << 20 })
        .then((s) => {
          session = s;
          s.send(messages[0]!);
        })
        .catch(reject);
    });
    await done;
    session.close(1000);
    return { echoes, extensions: session.extensions };
  }

  for (const [name, params] of COMBINATIONS) {
    it(`${name}: text and binary from 0 B to 1 MiB echo intact`, async () => {
      const url = await wsServer(params, 0);
      const messages = SIZES.flatMap((size) => [textOf(size), binaryOf(size)]);
      const { echoes, extensions } = await ourRoundTrips(url, params, 0, messages);
      expect(extensions).toMatch(/^permessage-deflate/);
      expectEchoes(echoes, messages);
      await new Promise((resolve) => wss.close(resolve));
    });
  }

  it('a 16 MiB message round-trips, threshold above and below', async () => {
    const url = await wsServer({}, 1024);
    const messages = [textOf(LARGE), textOf(100)];
    const { echoes } = await ourRoundTrips(url, {}, 2048, messages);
    expect(echoes[0] === messages[0]).toBe(true);
    expect(echoes[1]).toBe(messages[1]);
  });
});
