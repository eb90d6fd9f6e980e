// The echo servers a run compares, each started inside a server process of its own
// (child.ts): wasmws's `createServer` with `wasmws serve`'s echo handler, ws (with bufferutil
// when installed), wasmws/ws's WebSocketServer, `wasmws serve --workers N` as a process tree,
// wasmws over TLS with HTTP/2 and HTTP/1.1 on one port, and a benchmarker's `--peer` adapter.
// Every server but the forked ones counts what it echoed, so the load's count can be checked.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { echoHandler } from '../cli/serve.js';
import { createServer } from '../server/index.js';
import type { ServerOptions } from '../server/types.js';
import { builtModule } from './machine.js';

/** What a server process is asked to run. */
export interface ServerSpec {
  /** `wasmws`, `ws`, `wasmws/ws`, `serve-workers` (with `workers`), or `adapter` (with `adapter`). */
  kind: string;
  deflate: NonNullable<ServerOptions['deflate']>;
  workers?: number;
  /** A `--peer` module's path. */
  adapter?: string;
  /** PEM certificate and key: serve `wss://` with HTTP/2 beside HTTP/1.1 (wasmws only). */
  tls?: { cert: string; key: string };
}

/** A listening echo server. */
export interface EchoServer {
  url: string;
  /** Open WebSocket connections, or -1 where sessions live in other processes. */
  connections(): number;
  /** Messages echoed so far, or undefined when the server cannot tell. */
  echoed(): number | undefined;
  close(): Promise<void>;
}

/** The echo server shape a `--peer` adapter gives (see the README). */
export interface EchoServerAdapter {
  start(options: { host: string; port: number; deflate: boolean }): Promise<{
    url: string;
    close(): Promise<void> | void;
    messages?(): number;
    connections?(): number;
  }>;
}

/** ws 8 servers do not negotiate permessage-deflate unless asked; the threshold is ws's and ours. */
const DEFLATE_THRESHOLD = 1024;

async function startWasmws(spec: ServerSpec): Promise<EchoServer> {
  let count = 0;
  const handler = {
    ...echoHandler,
    message: (...args: Parameters<typeof echoHandler.message>) => {
      count++;
      echoHandler.message(...args);
    },
  };
  const server = createServer({
    host: '127.0.0.1',
    port: 0,
    handler,
    deflate: spec.deflate,
    // As `wasmws serve` runs it: text is echoed as bytes, never decoded (as ws echoes its Buffer).
    textAs: 'bytes',
    ...(spec.tls === undefined ? {} : { tls: spec.tls, http2: true }),
  });
  const { url } = await server.listen();
  return {
    url,
    connections: () => server.sessions.size,
    echoed: () => count,
    close: () => server.close(1001),
  };
}

/** The part of ws's `WebSocketServer` both ws and wasmws/ws offer. */
interface WsLikeServer {
  clients: Set<{ terminate(): void }>;
  address(): unknown;
  once(event: 'listening' | 'error', listener: (error?: Error) => void): unknown;
  on(
    event: 'connection',
    listener: (socket: {
      on(event: string, listener: (data: Uint8Array, isBinary: boolean) => void): unknown;
      send(data: Uint8Array, options: { binary: boolean }): void;
    }) => void,
  ): unknown;
  close(callback: () => void): void;
}

async function startWsLike(spec: ServerSpec, module: string): Promise<EchoServer> {
  const { WebSocketServer } = (await import(module)) as {
    WebSocketServer: new (options: Record<string, unknown>) => WsLikeServer;
  };
  const deflate = spec.deflate === false ? false : { threshold: DEFLATE_THRESHOLD };
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  let count = 0;
  server.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.on('message', (data, isBinary) => {
      count++;
      socket.send(data, { binary: isBinary });
    });
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/`,
    connections: () => server.clients.size,
    echoed: () => count,
    close() {
      for (const client of server.clients) client.terminate();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** `wasmws serve --workers N` as a process tree; it prints its URL once every worker listens. */
async function startServeWorkers(spec: ServerSpec): Promise<EchoServer> {
  const args = ['serve', '--host', '127.0.0.1', '--port', '0', '--workers', String(spec.workers ?? 2)];
  const child = spawn(
    process.execPath,
    [fileURLToPath(builtModule('cli/main.js')), ...args, ...(spec.deflate ? [] : ['--no-deflate'])],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = () => child.kill('SIGTERM');
  process.once('exit', stop);
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening on (ws:\/\/\S+)/.exec(line);
      if (match !== null) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`wasmws serve --workers exited with ${code}`)));
  });
  return {
    url,
    connections: () => -1,
    echoed: () => undefined,
    close() {
      process.off('exit', stop);
      stop();
      return exited;
    },
  };
}

async function startAdapter(spec: ServerSpec): Promise<EchoServer> {
  const module = (await import(pathToFileURL(spec.adapter!).href)) as {
    default?: { echoServer?: EchoServerAdapter };
  };
  const adapter = module.default?.echoServer;
  if (adapter === undefined)
    throw new Error(`${spec.adapter} has no echoServer (see the README's adapter shape)`);
  const started = await adapter.start({ host: '127.0.0.1', port: 0, deflate: spec.deflate !== false });
  return {
    url: started.url,
    connections: () => started.connections?.() ?? -1,
    echoed: () => started.messages?.(),
    close: async () => {
      await started.close();
    },
  };
}

/** Starts the server `spec` describes on a free port of 127.0.0.1. */
export function startServer(spec: ServerSpec): Promise<EchoServer> {
  switch (spec.kind) {
    case 'wasmws':
      return startWasmws(spec);
    case 'ws':
      return startWsLike(spec, 'ws');
    case 'wasmws/ws':
      return startWsLike(spec, builtModule('ws/index.js').href);
    case 'serve-workers':
      return startServeWorkers(spec);
    case 'adapter':
      return startAdapter(spec);
    default:
      throw new Error(`unknown server kind ${spec.kind}`);
  }
}
