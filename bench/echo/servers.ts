// The two echo servers the benchmark compares, started the same way: ours is createServer
// with `wasmws serve`'s echo handler, ws's is a WebSocketServer (bufferutil loaded if
// installed, as by default) whose connections send every message straight back.
//
// With `deflate`, both accept permessage-deflate: ours with `deflate: true`, ws with
// `perMessageDeflate: { threshold: 1024 }` (its defaults otherwise, which are also ours).
//
// Each is imported when started, so a server process loads only its own implementation.
import { DEFLATE_THRESHOLD, type Side } from './load.js';

/** A listening echo server on 127.0.0.1. */
export interface EchoServer {
  kind: Side;
  /** `ws://127.0.0.1:PORT/`. */
  url: string;
  /** Open WebSocket connections (upgraded, not yet closed). */
  connections(): number;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

async function startOurs(deflate: boolean): Promise<EchoServer> {
  const { createServer } = await import('../../src/server/index.js');
  const { echoHandler } = await import('../../src/cli/serve.js');
  const server = createServer({ host: '127.0.0.1', port: 0, handler: echoHandler, deflate });
  const { url } = await server.listen();
  return {
    kind: 'ours',
    url,
    connections: () => server.sessions.size,
    close: () => server.close(1001),
  };
}

async function startWs(deflate: boolean): Promise<EchoServer> {
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
  server.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
  });
  const { port } = server.address() as { port: number };
  return {
    kind: 'ws',
    url: `ws://127.0.0.1:${port}/`,
    connections: () => server.clients.size,
    close() {
      for (const client of server.clients) client.terminate();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Starts the echo server of `kind` on a free port of 127.0.0.1, accepting permessage-deflate if `deflate`. */
export function startEchoServer(kind: Side, options: { deflate?: boolean } = {}): Promise<EchoServer> {
  const deflate = options.deflate ?? false;
  return kind === 'ours' ? startOurs(deflate) : startWs(deflate);
}
