// Our server against a real peer: the `ws` package as the client of createServer running the
// `wasmws serve` echo, over ws:// and wss://. Payloads at every length-encoding edge (RFC 6455
// §5.2), fragments from ws, order, pings both ways, close codes and reasons on both sides.
// Then a raw client that breaks the rules, to read the close code the server fails with.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { echoHandler } from '../../src/cli/serve.js';
import { createServer, type WebSocketServer } from '../../src/server/index.js';
import type { ServerOptions } from '../../src/server/types.js';
import type { Handler, Session } from '../../src/session/types.js';
import { selfSignedCertificate } from '../client/helpers.js';
import { clientFrame, closeBody, RawClient, upgradeRequest } from '../server/helpers.js';
import { buildFrame } from '../support/frames.js';

/** What the server side saw, beside echoing. */
interface ServerSide {
  sessions: Session[];
  pongs: string[];
  closes: Array<{ code: number; reason: string }>;
  errors: Error[];
  /** Resolves with the next session's close. */
  nextClose(): Promise<{ code: number; reason: string }>;
  nextPong(): Promise<string>;
  nextSession(): Promise<Session>;
}

function recordingEcho(side: ServerSide): Handler {
  const waiting = {
    close: [] as Array<(c: { code: number; reason: string }) => void>,
    pong: [] as Array<(p: string) => void>,
    session: [] as Array<(s: Session) => void>,
  };
  side.nextClose = () => new Promise((resolve) => waiting.close.push(resolve));
  side.nextPong = () => new Promise((resolve) => waiting.pong.push(resolve));
  side.nextSession = () => new Promise((resolve) => waiting.session.push(resolve));
  return {
    ...echoHandler,
    open(session) {
      side.sessions.push(session);
      waiting.session.shift()?.(session);
    },
    pong(_session, data) {
      const text = Buffer.from(data).toString();
      side.pongs.push(text);
      waiting.pong.shift()?.(text);
    },
    error(_session, error) {
      side.errors.push(error);
    },
    close(_session, code, reason) {
      side.closes.push({ code, reason });
      waiting.close.shift()?.({ code, reason });
    },
  };
}

const servers: WebSocketServer[] = [];
const clients: Array<WebSocket | RawClient> = [];
const certificate = selfSignedCertificate();

afterEach(async () => {
  for (const client of clients.splice(0)) {
    if (client instanceof RawClient) client.destroy();
    else client.terminate();
  }
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startEcho(
  options: Partial<ServerOptions> = {},
): Promise<{ url: string; port: number; side: ServerSide }> {
  const side = { sessions: [], pongs: [], closes: [], errors: [] } as unknown as ServerSide;
  const server = createServer({ handler: recordingEcho(side), ...options });
  servers.push(server);
  const { url, port } = await server.listen();
  return { url, port, side };
}

async function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  clients.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** The next `count` messages, as ws reports them. */
function nextMessages(ws: WebSocket, count: number): Promise<Array<{ data: Buffer; isBinary: boolean }>> {
  return new Promise((resolve) => {
    const got: Array<{ data: Buffer; isBinary: boolean }> = [];
    const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
      got.push({ data: data as Buffer, isBinary });
      if (got.length < count) return;
      ws.off('message', onMessage);
      resolve(got);
    };
    ws.on('message', onMessage);
  });
}

async function roundTrip(ws: WebSocket, data: Buffer | string, binary: boolean) {
  const reply = nextMessages(ws, 1);
  ws.send(data, { binary });
  return (await reply)[0]!;
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

for (const secure of [false, true]) {
  describe(`ws client against the echo over ${secure ? 'wss' : 'ws'}`, () => {
    let url: string;
    let side: ServerSide;
    let clientOptions: WebSocket.ClientOptions;

    async function setUp(options: Partial<ServerOptions> = {}) {
      const tls = secure ? { cert: certificate.cert, key: certificate.key } : undefined;
      ({ url, side } = await startEcho({ tls, ...options }));
      clientOptions = secure ? { ca: certificate.cert } : {};
      expect(url.startsWith(secure ? 'wss://127.0.0.1:' : 'ws://127.0.0.1:')).toBe(true);
      return open(url, clientOptions);
    }

    it('echoes multi-byte UTF-8 text as text and binary as binary', async () => {
      const ws = await setUp();
      const text = 'héllo wörld ✓ 𝄞 日本語';
      const textReply = await roundTrip(ws, text, false);
      expect(textReply.isBinary).toBe(false);
      expect(textReply.data.toString('utf8')).toBe(text);
      const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]);
      const binaryReply = await roundTrip(ws, binary, true);
      expect(binaryReply.isBinary).toBe(true);
      expect(binaryReply.data.equals(binary)).toBe(true);
    });

    it('echoes empty messages of both kinds', async () => {
      const ws = await setUp();
      expect(await roundTrip(ws, '', false)).toMatchObject({ isBinary: false });
      const empty = await roundTrip(ws, Buffer.alloc(0), true);
      expect([empty.isBinary, empty.data.length]).toEqual([true, 0]);
    });

    it('echoes payloads at the 7/16/64-bit length edges (RFC 6455 §5.2)', async () => {
      const ws = await setUp();
      for (const size of [125, 126, 127, 65535, 65536]) {
        const payload = Buffer.alloc(size);
        for (let i = 0; i < size; i++) payload[i] = (i * 31 + size) & 0xff;
        const binary = await roundTrip(ws, payload, true);
        expect([size, binary.isBinary, binary.data.equals(payload)]).toEqual([size, true, true]);
        const text = `${'x'.repeat(size - 2)}é`;
        const textReply = await roundTrip(ws, text, false);
        expect([size, textReply.isBinary, textReply.data.toString()]).toEqual([size, false, text]);
      }
    });

    it('echoes a 16 MiB message through backpressure', async () => {
      const ws = await setUp();
      const payload = Buffer.alloc(16 * 1024 * 1024);
      for (let i = 0; i < payload.length; i += 4096) payload[i] = (i >>> 12) & 0xff;
      const reply = await roundTrip(ws, payload, true);
      expect(reply.data.length).toBe(payload.length);
      expect(reply.data.equals(payload)).toBe(true);
    });

    it('reassembles fragmented sends, with a ping between fragments and UTF-8 split across them', async () => {
      const ws = await setUp();
      const replies = nextMessages(ws, 2);
      const pong = new Promise<string>((resolve) => ws.once('pong', (data) => resolve(data.toString())));
      ws.send('frag', { fin: false });
      ws.ping('mid-message'); // RFC 6455 §5.4: control frames may be injected between fragments
      ws.send(Buffer.from([0xc3]), { binary: false, fin: false }); // first byte of é
      ws.send(Buffer.from([0xa9, 0x21]), { binary: false, fin: true });
      ws.send(Buffer.from([1, 2]), { binary: true, fin: false });
      ws.send(Buffer.from([]), { binary: true, fin: false });
      ws.send(Buffer.from([3]), { binary: true, fin: true });
      const [text, binary] = await replies;
      expect([text!.isBinary, text!.data.toString()]).toEqual([false, 'fragé!']);
      expect([binary!.isBinary, [...binary!.data]]).toEqual([true, [1, 2, 3]]);
      expect(await pong).toBe('mid-message');
    });

    it('keeps 1000 messages in order', async () => {
      const ws = await setUp();
      const replies = nextMessages(ws, 1000);
      for (let i = 0; i < 1000; i++) {
        if (i % 2 === 0) ws.send(`message ${i}`);
        else ws.send(Buffer.from(`message ${i}`), { binary: true });
      }
      const got = await replies;
      expect(got.map(({ data }) => data.toString())).toEqual(
        Array.from({ length: 1000 }, (_, i) => `message ${i}`),
      );
      expect(got.map(({ isBinary }) => isBinary)).toEqual(
        Array.from({ length: 1000 }, (_, i) => i % 2 === 1),
      );
    });

    it('answers pings from ws and gets pongs to its own pings', async () => {
      const ws = await setUp();
      const pong = new Promise<string>((resolve) => ws.once('pong', (data) => resolve(data.toString())));
      ws.ping('from ws');
      expect(await pong).toBe('from ws');

      const pinged = new Promise<string>((resolve) => ws.once('ping', (data) => resolve(data.toString())));
      const serverPong = side.nextPong();
      side.sessions[0]!.ping('from wasmws');
      expect(await pinged).toBe('from wasmws');
      expect(await serverPong).toBe('from wasmws');
    });

    for (const code of [1000, 1001, 4000]) {
      it(`a close with ${code} from ws is echoed; both sides see the code and reason`, async () => {
        const ws = await setUp();
        const clientSaw = closed(ws);
        const serverSaw = side.nextClose();
        ws.close(code, `client says ${code}`);
        expect(await serverSaw).toEqual({ code, reason: `client says ${code}` });
        expect(await clientSaw).toEqual({ code, reason: `client says ${code}` });
      });

      it(`a close with ${code} from the server reaches ws; both sides see the code and reason`, async () => {
        const ws = await setUp();
        const clientSaw = closed(ws);
        const serverSaw = side.nextClose();
        side.sessions[0]!.close(code, `server says ${code}`);
        expect(await clientSaw).toEqual({ code, reason: `server says ${code}` });
        // ws echoes the code and the reason (RFC 6455 §5.5.1).
        expect(await serverSaw).toEqual({ code, reason: `server says ${code}` });
      });
    }

    it('an empty close from ws is seen as 1005 on both sides', async () => {
      const ws = await setUp();
      const clientSaw = closed(ws);
      const serverSaw = side.nextClose();
      ws.close();
      expect((await serverSaw).code).toBe(1005);
      expect((await clientSaw).code).toBe(1005);
    });

    it('closes with 1009 when a message exceeds maxMessage', async () => {
      const ws = await setUp({ maxMessage: 1000 });
      const clientSaw = closed(ws);
      ws.send(Buffer.alloc(1001), { binary: true });
      expect((await clientSaw).code).toBe(1009);
    });

    it('a ws client that drops the connection is reported as 1006', async () => {
      const ws = await setUp();
      const serverSaw = side.nextClose();
      ws.terminate();
      expect(await serverSaw).toEqual({ code: 1006, reason: '' });
    });
  });
}

describe('protocol violations from a raw client fail the connection with the right code', () => {
  async function upgraded(
    options: Partial<ServerOptions> = {},
  ): Promise<{ client: RawClient; side: ServerSide }> {
    const { port, side } = await startEcho(options);
    const client = await RawClient.connect(port);
    clients.push(client);
    client.write(upgradeRequest());
    expect((await client.readResponse()).status).toBe(101);
    return { client, side };
  }

  it('an unmasked frame → 1002 (RFC 6455 §5.1)', async () => {
    const { client, side } = await upgraded();
    client.write(buildFrame({ opcode: 0x1, payload: new TextEncoder().encode('naked') }));
    expect((await client.readClose()).code).toBe(1002);
    await client.closedPromise(); // the server closes the TCP connection first (§7.1.1)
    expect(side.errors.map((e) => (e as { code?: string }).code)).toEqual(['WS_ERR_EXPECTED_MASK']);
  });

  it('invalid UTF-8 in a text message → 1007 (RFC 6455 §8.1)', async () => {
    const { client } = await upgraded();
    client.write(clientFrame(0x1, Uint8Array.of(0x68, 0x69, 0xc0, 0xaf)));
    expect((await client.readClose()).code).toBe(1007);
    await client.closedPromise();
  });

  it('invalid UTF-8 split across fragments → 1007', async () => {
    const { client } = await upgraded();
    client.write(clientFrame(0x1, Uint8Array.of(0xe2, 0x82), false));
    client.write(clientFrame(0x0, Uint8Array.of(0x28), true));
    expect((await client.readClose()).code).toBe(1007);
  });

  it('a frame over maxFrame → 1009, before its payload arrives', async () => {
    const { client } = await upgraded({ maxFrame: 1024 });
    // Only the header of a 2000-byte frame: the limit is enforced on the declared length.
    client.write(clientFrame(0x2, new Uint8Array(2000)).subarray(0, 8));
    expect((await client.readClose()).code).toBe(1009);
    await client.closedPromise();
  });

  it('a reserved opcode → 1002', async () => {
    const { client } = await upgraded();
    client.write(clientFrame(0x3, 'x'));
    expect((await client.readClose()).code).toBe(1002);
  });

  it('a fragmented ping → 1002 (RFC 6455 §5.5)', async () => {
    const { client } = await upgraded();
    client.write(clientFrame(0x9, 'x', false));
    expect((await client.readClose()).code).toBe(1002);
  });

  it('a close with an invalid code → 1002 (RFC 6455 §7.4.1)', async () => {
    const { client } = await upgraded();
    client.write(clientFrame(0x8, closeBody(1005)));
    expect((await client.readClose()).code).toBe(1002);
  });
});
