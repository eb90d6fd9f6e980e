// The `wasmws/ws` entry: ws 8's API (WebSocket, WebSocketServer, createWebSocketStream) over
// the wasmws engine, for code that was written for `ws`. `import WebSocket, { WebSocketServer }
// from 'wasmws/ws'` works as it does with ws.
import { createWebSocketStream } from './stream.js';
import { WebSocket } from './websocket.js';
import { WebSocketServer } from './websocket-server.js';

export type { ClientOptions, PerMessageDeflateOptions } from './options.js';
export type { Data } from './values.js';
export type { BinaryType, RawData, UpgradeResponse } from './websocket.js';
export type { ServerOptions, VerifyClientInfo } from './websocket-server.js';

// ws hangs its siblings off the class: `WebSocket.Server`, `WebSocket.createWebSocketStream`.
Object.assign(WebSocket, {
  WebSocket,
  WebSocketServer,
  Server: WebSocketServer,
  createWebSocketStream,
});

export { createWebSocketStream, WebSocket, WebSocketServer };
export default WebSocket;
// What `require('wasmws/ws')` returns (require(esm), Node >= 20.19): the class, as `require('ws')` does.
export { WebSocket as 'module.exports' };
