// The echo servers the benchmark compares, started the same way: ours is createServer
// with `wasmws serve`'s echo handler, ws's is a WebSocketServer (bufferutil loaded if
// installed, as by default) whose connections send every message straight back, and
// `wasmws-ws` (once dist/src/ws/ exists) is wasmws's ws-compatible face used as ws's is,
// and `serve-workers2` is `wasmws serve --workers 2` in a process tree of its own (its CPU
// read from /proc for the primary and its workers). A new server is one more entry of
// SERVER_KINDS.
//
// With `deflate`, both accept permessage-deflate: ours with `deflate: true`, ws with
// `perMessageDeflate: { threshold: 1024 }` (its defaults otherwise, which are also ours).
//
// Each is imported when started, so a server process loads only its own implementation.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { processTreeCpu } from '../support/machine.js';
import { DEFLATE_THRESHOLD } from './load.js';

/** The servers the benchmark knows, in the order tables show them. */
export const SERVER_KINDS = ['ours', 'ws', 'wasmws-ws', 'serve-workers2'] as const;
/** One of {@link SERVER_KINDS}. */
export type ServerKind = (typeof SERVER_KINDS)[number];

/** What `SERVER_KINDS` entries are called in tables. */
export const SERVER_LABELS: Record<ServerKind, string> = {
  ours: 'wasmws (createServer)',
  ws: 'ws + bufferutil',
  'wasmws-ws': 'wasmws/ws (WebSocketServer)',
  'serve-workers2': 'wasmws serve --workers 2 --no-deflate',
};

/**
 * The kinds a run compares unless told otherwise: `serve-workers2` is left out, since on
 * a 2-core machine its workers compete with the load generator for the cores.
 */
export const DEFAULT_SERVER_KINDS: readonly ServerKind[] = ['ours', 'ws', 'wasmws-ws'];

/** A built module of src/: beside this file once built (dist/bench/echo/), else in dist/ (tests run the .ts). */
function builtModule(path: string): URL {
  const beside = new URL(`../../${path}`, import.meta.url);
  return existsSync(beside) ? beside : new URL(`../../dist/${path}`, import.meta.url);
}

const WS_FACE = builtModule('src/ws/index.js');
const CLI_MAIN = builtModule('src/cli/main.js');

/** Whether `kind` can run in this checkout (wasmws/ws needs its entry built, the workers the CLI and /proc). */
export function serverAvailable(kind: ServerKind): boolean {
  if (kind === 'wasmws-ws') return existsSync(WS_FACE);
  if (kind === 'serve-workers2') return existsSync(CLI_MAIN) && existsSync('/proc/self/stat');
  return true;
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
  /** CPU time of every process serving, when that is more than this process. */
  cpuUsage?(): NodeJS.CpuUsage;
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
  // As `wasmws serve` runs it: text is echoed as bytes, never decoded (as ws echoes its Buffer).
  const server = createServer({ host: '127.0.0.1', port: 0, handler, deflate, textAs: 'bytes' });
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

/** `wasmws serve --workers 2` as a child process tree; it prints its URL once every worker listens. */
async function startServeWorkers({ deflate = false }: EchoServerOptions): Promise<EchoServer> {
  const args = ['serve', '--host', '127.0.0.1', '--port', '0', '--workers', '2'];
  const child = spawn(
    process.execPath,
    [fileURLToPath(CLI_MAIN), ...args, ...(deflate ? [] : ['--no-deflate'])],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The server process exits when the benchmark closes its channel: the cluster goes with it.
  const stopCluster = () => child.kill('SIGTERM');
  process.once('exit', stopCluster);
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const match = /listening on (ws:\/\/\S+)/.exec(line);
      if (match !== null) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`wasmws serve --workers exited with ${code}`)));
  });
  return {
    kind: 'serve-workers2',
    url,
    // Sessions live in the workers; nothing here counts them.
    connections: () => -1,
    messages: () => 0,
    cpuUsage: () => processTreeCpu(child.pid!),
    close() {
      process.off('exit', stopCluster);
      stopCluster();
      return exited;
    },
  };
}

const STARTERS: Record<ServerKind, (options: EchoServerOptions) => Promise<EchoServer>> = {
  ours: startOurs,
  ws: startWs,
  'wasmws-ws': startWsFace,
  'serve-workers2': startServeWorkers,
};

/** Starts the echo server of `kind` on a free port of 127.0.0.1, accepting permessage-deflate if `deflate`. */
export function startEchoServer(kind: ServerKind, options: EchoServerOptions = {}): Promise<EchoServer> {
  if (!serverAvailable(kind)) throw new Error(`${kind} is not built in this checkout`);
  return STARTERS[kind](options);
}
