// The echo servers the benchmark compares, started the same way: ours is createServer
// with `wasmws serve`'s echo handler, ws's is a WebSocketServer (bufferutil loaded if
// installed, as by default) whose connections send every message straight back, and
// `wasmws-ws` (once dist/src/ws/ exists) is wasmws's ws-compatible face used as ws's is.
// A new server is one more entry of SERVER_KINDS.
//
// With `deflate`, both accept permessage-deflate: ours with `deflate: true`, ws with
// `perMessageDeflate: { threshold: 1024 }` (its defaults otherwise, which are also ours).
//
// Each is imported when started, so a server process loads only its own implementation.
import { existsSync } from 'node:fs';
import { DEFLATE_THRESHOLD } from './load.js';

/** The servers the benchmark knows, in the order tables show them. */
export const SERVER_KINDS = ['ours', 'ws', 'wasmws-ws'] as const;
/** One of {@link SERVER_KINDS}. */
export type ServerKind = (typeof SERVER_KINDS)[number];

/** What `SERVER_KINDS` entries are called in tables. */
export const SERVER_LABELS: Record<ServerKind, string> = {
  ours: 'wasmws (createServer)',
  ws: 'ws + bufferutil',
  'wasmws-ws': 'wasmws/ws (WebSocketServer)',
};

const WS_FACE = new URL('../../src/ws/index.js', import.meta.url);

/** Whether `kind` can run in this checkout (wasmws/ws needs its entry built). */
export function serverAvailable(kind: ServerKind): boolean {
  return kind !== 'wasmws-ws' || existsSync(WS_FACE);
}

/** How a server is started; `countMessages` makes {@link EchoServer.messages} count (tests only). */
export interface EchoServerOptions {
  deflate?: boolean;
  countMessages?: boolean;
}

/** A listening echo server on 127.0.0.1. */
export interface EchoServer {
  kind: ServerKind;
  /** `ws://127.0.0.1:PORT/`. */
  url: string;
  /** Open WebSocket connections (upgraded, not yet closed). */
  connections(): number;
  /** Messages received and echoed so far; 0 unless started with `countMessages`. */
  messages(): number;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

async function startOurs({ deflate = false, countMessages = false }: EchoServerOptions): Promise<EchoServer> {
  const { createServer } = await import('../../src/server/index.js');
  const { echoHandler } = await import('../../src/cli/serve.js');
  let count = 0;
  const handler = countMessages
    ? {
        ...echoHandler,
        message: (...args: Parameters<typeof echoHandler.message>) => {
          count++;
          echoHandler.message(...args);
        },
      }
    : echoHandler;
  const server = createServer({ host: '127.0.0.1', port: 0, handler, deflate });
  const { url } = await server.listen();
  return {
    kind: 'ours',
    url,
    connections: () => server.sessions.size,
    messages: () => count,
    close: () => server.close(1001),
  };
}

/** The subset of ws's `WebSocketServer` both ws and wasmws/ws offer. */
interface WsLikeServer {
  clients: Set<{ terminate(): void }>;
  address(): unknown;
  once(event: 'listening' | 'error', listener: (error?: Error) => void): unknown;
  on(event: 'connection', listener: (socket: WsLikeSocket) => void): unknown;
  close(callback: () => void): void;
}

interface WsLikeSocket {
  on(event: 'error', listener: () => void): unknown;
  on(event: 'message', listener: (data: Uint8Array, isBinary: boolean) => void): unknown;
  send(data: Uint8Array, options: { binary: boolean }): void;
}

async function startWs({ deflate = false, countMessages = false }: EchoServerOptions): Promise<EchoServer> {
  const { WebSocketServer } = await import('ws');
  // ws 8 servers do not negotiate permessage-deflate unless asked; say so anyway.
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: deflate ? { threshold: DEFLATE_THRESHOLD } : false,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return wrapWsLike('ws', server as unknown as WsLikeServer, countMessages);
}

/** wasmws's ws face, started as ws's is (`new WebSocketServer({ host, port })`). */
async function startWsFace({
  deflate = false,
  countMessages = false,
}: EchoServerOptions): Promise<EchoServer> {
  const face = (await import(WS_FACE.href)) as {
    WebSocketServer: new (options: Record<string, unknown>) => WsLikeServer;
  };
  const server = new face.WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  return wrapWsLike('wasmws-ws', server, countMessages);
}

/** Echo on a listening ws-style server: every message straight back, as text or binary. */
function wrapWsLike(kind: ServerKind, server: WsLikeServer, countMessages: boolean): EchoServer {
  let count = 0;
  server.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.on('message', (data, isBinary) => {
      if (countMessages) count++;
      socket.send(data, { binary: isBinary });
    });
  });
  const { port } = server.address() as { port: number };
  return {
    kind,
    url: `ws://127.0.0.1:${port}/`,
    connections: () => server.clients.size,
    messages: () => count,
    close() {
      for (const client of server.clients) client.terminate();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const STARTERS: Record<ServerKind, (options: EchoServerOptions) => Promise<EchoServer>> = {
  ours: startOurs,
  ws: startWs,
  'wasmws-ws': startWsFace,
};

/** Starts the echo server of `kind` on a free port of 127.0.0.1, accepting permessage-deflate if `deflate`. */
export function startEchoServer(kind: ServerKind, options: EchoServerOptions = {}): Promise<EchoServer> {
  if (!serverAvailable(kind)) throw new Error(`${kind} is not built in this checkout`);
  return STARTERS[kind](options);
}
