// The module pairs the ws-style programs run against: each program is written once against
// `server.WebSocketServer` and `client.WebSocket`, and every pair must give the same results.
// Both sides `ws`, both `wasmws/ws`, and the two crossings.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as ws from 'ws';
import * as ours from '../../src/ws/index.js';

/** What a program needs of a module: ws's two classes and the stream helper. */
export interface WsModule {
  WebSocket: typeof ws.WebSocket;
  WebSocketServer: typeof ws.WebSocketServer;
  createWebSocketStream: typeof ws.createWebSocketStream;
}

const real = ws as unknown as WsModule;
const wasmws = ours as unknown as WsModule;

/** [name, server module, client module]. */
export const PEERS: Array<[string, WsModule, WsModule]> = [
  ['ws', real, real],
  ['wasmws/ws', wasmws, wasmws],
  ['ws client → wasmws/ws server', wasmws, real],
  ['wasmws/ws client → ws server', real, wasmws],
];

/** Resources a test opened, closed after it in reverse order. */
export class Cleanup {
  private readonly steps: Array<() => unknown> = [];
  add(step: () => unknown): void {
    this.steps.push(step);
  }
  /** Terminates `socket` after the test (an abandoned handshake's `error` is expected then). */
  track<T extends ws.WebSocket>(socket: T): T {
    this.add(() => {
      socket.on('error', () => {});
      socket.terminate();
    });
    return socket;
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step();
  }
}

/** Starts a `port: 0` server and resolves once it listens, with its URL. */
export async function listen(
  module: WsModule,
  cleanup: Cleanup,
  options: ConstructorParameters<typeof ws.WebSocketServer>[0] = {},
): Promise<{ wss: ws.WebSocketServer; url: string }> {
  const wss = new module.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  cleanup.add(() => closeServer(wss));
  await once(wss, 'listening');
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` };
}

/** Closes a server and every client it still has. */
async function closeServer(wss: ws.WebSocketServer): Promise<void> {
  for (const client of wss.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

/** Opens a client and resolves once it is open. */
export async function open(
  module: WsModule,
  cleanup: Cleanup,
  url: string,
  protocols?: string | string[],
  options?: ws.ClientOptions,
): Promise<ws.WebSocket> {
  const client = cleanup.track(new module.WebSocket(url, protocols, options));
  await once(client, 'open');
  return client;
}

/** The next `connection` of a server. */
export async function nextConnection(wss: ws.WebSocketServer): Promise<ws.WebSocket> {
  const [socket] = (await once(wss, 'connection')) as [ws.WebSocket];
  return socket;
}

/** The next message of a socket, as ws hands it: `[data, isBinary]`. */
export async function nextMessage(socket: ws.WebSocket): Promise<[unknown, boolean]> {
  return (await once(socket, 'message')) as [unknown, boolean];
}

/** The `close` event's code and reason (as a string); an `error` before it does not reject. */
export function closed(socket: ws.WebSocket): Promise<[number, string]> {
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve([code, reason.toString()])));
}

/** The next `count` messages of a socket, however they are batched. */
export function messages(socket: ws.WebSocket, count: number): Promise<Array<[unknown, boolean]>> {
  const seen: Array<[unknown, boolean]> = [];
  return new Promise((resolve) => {
    const onMessage = (data: unknown, isBinary: boolean) => {
      seen.push([data, isBinary]);
      if (seen.length < count) return;
      socket.off('message', onMessage);
      resolve(seen);
    };
    socket.on('message', onMessage);
  });
}
