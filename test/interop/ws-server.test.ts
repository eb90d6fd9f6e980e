// Our client against a real peer: the `ws` library's WebSocketServer (echo), over ws:// and
// wss://. Payload sizes at every length-encoding edge, fragments and pings from the ws side,
// close codes seen on both sides, and no complaint from ws about our (masked) frames. Then a
// raw server that breaks the rules, to see our client fail the connection with 1002/1007.
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { connect } from '../../src/client/connect.js';
import type { Session } from '../../src/session/types.js';
import {
  type ClientRecorder,
  clientRecorder,
  closeCodeOf,
  selfSignedCertificate,
  serverFrame,
  upgradingServer,
  within,
} from '../client/helpers.js';
import { buildFrame } from '../support/frames.js';

const certificate = selfSignedCertificate();

interface WsPeer {
  url: string;
  ca: string | undefined;
  /** The next connection the ws server accepts. */
  connection: Promise<WebSocket>;
  /** Errors ws reported on server-side sockets (an unmasked frame from us would be one). */
  errors: Error[];
  close(): Promise<void>;
}

/** Starts a ws echo server (text stays text, binary stays binary); `onConnection` replaces the echo. */
async function startWsServer(secure: boolean, onConnection?: (ws: WebSocket) => void): Promise<WsPeer> {
  const errors: Error[] = [];
  let https_: https.Server | undefined;
  let wss: WebSocketServer;
  if (secure) {
    https_ = https.createServer({ cert: certificate.cert, key: certificate.key });
    wss = new WebSocketServer({ server: https_ });
    await new Promise<void>((resolve) => https_!.listen(0, '127.0.0.1', resolve));
  } else {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
  }
  const { port } = (https_ ?? wss).address() as AddressInfo;
  const connection = new Promise<WebSocket>((resolve) => {
    wss.on('connection', (ws) => {
      ws.on('error', (error) => errors.push(error));
      if (onConnection !== undefined) onConnection(ws);
      else ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      resolve(ws);
    });
  });
  return {
    url: `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}/echo`,
    ca: secure ? certificate.cert : undefined,
    connection,
    errors,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (https_ !== undefined) await new Promise<void>((resolve) => https_!.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const schemes = ['ws', 'wss'] as const;

describe.each(schemes)('our client against a ws server over %s://', (scheme) => {
  async function setUp(onConnection?: (ws: WebSocket) => void, options: { maxMessage?: number } = {}) {
    const peer = await startWsServer(scheme === 'wss', onConnection);
    const handler = clientRecorder();
    const client = await connect(peer.url, handler, { ca: peer.ca, ...options });
    const server = await within(peer.connection, 2000, 'the ws server to accept');
    cleanups.push(async () => {
      client.terminate();
      await peer.close();
      // ws enforces RFC 6455 §5.1 (client frames masked) and would have reported a violation.
      expect(peer.errors).toEqual([]);
    });
    return { peer, handler, client, server };
  }

  async function echo(client: Session, handler: ClientRecorder, data: string | Uint8Array) {
    const before = handler.received.length;
    client.send(data);
    const all = await within(handler.messages(before + 1), 10_000, 'the echo');
    return all[before];
  }

  it('echoes multi-byte UTF-8 text as a string', async () => {
    const { client, handler } = await setUp();
    const text = 'héllo wörld — 世界 🌍 \u{10FFFF}';
    expect(await echo(client, handler, text)).toBe(text);
  });

  it('echoes empty text and empty binary messages, types kept', async () => {
    const { client, handler } = await setUp();
    expect(await echo(client, handler, '')).toBe('');
    const empty = await echo(client, handler, new Uint8Array(0));
    expect(empty).toBeInstanceOf(Uint8Array);
    expect((empty as Uint8Array).length).toBe(0);
  });

  it.each([125, 126, 65535, 65536])('echoes a %i-byte binary message intact', async (size) => {
    const { client, handler } = await setUp();
    const payload = Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) & 0xff);
    const back = await echo(client, handler, payload);
    expect(back).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(back as Uint8Array).equals(Buffer.from(payload))).toBe(true);
  });

  it('echoes a 16 MiB binary message intact', async () => {
    const { client, handler } = await setUp();
    const payload = new Uint8Array(16 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = (i >>> 12) & 0xff;
    payload[payload.length - 1] = 0x5a;
    const back = (await echo(client, handler, payload)) as Uint8Array;
    expect(back.length).toBe(payload.length);
    expect(Buffer.from(back).equals(Buffer.from(payload))).toBe(true);
  });

  it('reassembles messages the ws server sends in fragments, with a ping between them', async () => {
    const { handler } = await setUp((ws) => {
      ws.send('frag', { fin: false });
      ws.ping('mid');
      ws.send('ment ✓', { fin: true });
      ws.send(Uint8Array.of(1, 2), { binary: true, fin: false });
      ws.send(Uint8Array.of(3), { binary: true, fin: false });
      ws.send(Uint8Array.of(4, 5), { binary: true, fin: true });
    });
    const [text, binary] = await within(handler.messages(2), 2000, 'two reassembled messages');
    expect(text).toBe('fragment ✓');
    expect(binary).toEqual(Uint8Array.of(1, 2, 3, 4, 5));
    expect(handler.pings.map((p) => Buffer.from(p).toString())).toEqual(['mid']);
  });

  it('delivers 1000 messages in order', async () => {
    const { client, handler } = await setUp();
    for (let i = 0; i < 1000; i++) client.send(`message ${i}`);
    const all = await within(handler.messages(1000), 10_000, '1000 echoes');
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => `message ${i}`));
  });

  it('pings the ws server and hears its pong', async () => {
    const { client, handler } = await setUp();
    const pong = handler.nextPong();
    client.ping('are you there');
    expect(Buffer.from(await within(pong, 2000, 'the pong')).toString()).toBe('are you there');
  });

  it("answers the ws server's ping with a pong carrying the same data", async () => {
    const { handler, server } = await setUp();
    const pong = new Promise<Buffer>((resolve) => server.once('pong', resolve));
    const ping = handler.nextPing();
    server.ping('from ws');
    expect(Buffer.from(await within(ping, 2000, 'the ping')).toString()).toBe('from ws');
    expect((await within(pong, 2000, 'the pong at ws')).toString()).toBe('from ws');
  });

  it.each([
    [1000, 'bye'],
    [1001, 'going away'],
    [4000, 'app-defined ✓'],
  ])('closes from our side with %i and a reason both sides see', async (code, reason) => {
    const { client, handler, server } = await setUp();
    const serverClose = new Promise<[number, string]>((resolve) =>
      server.once('close', (c, r) => resolve([c, r.toString()])),
    );
    client.close(code, reason);
    expect(await within(serverClose, 2000, 'ws close')).toEqual([code, reason]);
    // ws echoes the code and reason it received.
    expect(await within(handler.closed, 2000, 'our close')).toEqual({ code, reason });
    expect(client.state).toBe('closed');
  });

  it.each([
    [1000, 'done'],
    [1001, 'server restart'],
    [4000, 'custom'],
  ])('closes from the ws side with %i and a reason both sides see', async (code, reason) => {
    const { client, handler, server } = await setUp();
    const serverClose = new Promise<[number, string]>((resolve) =>
      server.once('close', (c, r) => resolve([c, r.toString()])),
    );
    server.close(code, reason);
    expect(await within(handler.closed, 2000, 'our close')).toEqual({ code, reason });
    // We echo the peer's code (RFC 6455 §5.5.1), and ws reports it.
    expect((await within(serverClose, 2000, 'ws close'))[0]).toBe(code);
    expect(client.state).toBe('closed');
  });

  it('reports a dropped connection as 1006', async () => {
    const { handler, server } = await setUp();
    server.terminate();
    expect((await within(handler.closed, 2000, 'our close')).code).toBe(1006);
  });
});

describe('our client against a server that breaks the rules', () => {
  async function brokenServer(frame: Uint8Array) {
    let closeFrame: Promise<import('../support/frames.js').ParsedFrame> | undefined;
    const server = await upgradingServer((peer) => {
      closeFrame = peer.frameWithOpcode(8);
      // Like a real server, close the TCP connection once the client's close frame is in.
      void closeFrame.then(() => peer.socket.end());
      peer.socket.write(frame);
    });
    cleanups.push(() => server.close());
    const handler = clientRecorder();
    await connect(server.url, handler);
    return { handler, closeFrame: () => closeFrame! };
  }

  it('fails with 1002 when the server masks a frame (RFC 6455 §5.1)', async () => {
    const { handler, closeFrame } = await brokenServer(
      buildFrame({ opcode: 1, payload: new TextEncoder().encode('masked'), maskKey: 0x01020304 }),
    );
    expect((await within(handler.closed, 2000, 'our close')).code).toBe(1002);
    expect(handler.errors.map((e) => (e as { code?: string }).code)).toEqual(['WS_ERR_UNEXPECTED_MASK']);
    const frame = await within(closeFrame(), 2000, 'our close frame');
    expect(frame.masked).toBe(true);
    expect(closeCodeOf(frame)).toBe(1002);
    expect(handler.received).toEqual([]);
  });

  it('fails with 1007 when the server sends text that is not UTF-8', async () => {
    const { handler, closeFrame } = await brokenServer(serverFrame(1, Uint8Array.of(0x68, 0xc3, 0x28)));
    expect((await within(handler.closed, 2000, 'our close')).code).toBe(1007);
    expect(handler.errors.map((e) => (e as { code?: string }).code)).toEqual(['WS_ERR_INVALID_UTF8']);
    expect(closeCodeOf(await within(closeFrame(), 2000, 'our close frame'))).toBe(1007);
    expect(handler.received).toEqual([]);
  });
});
