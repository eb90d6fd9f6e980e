// WebSocketServer: `ws` 8's server class (lib/websocket-server.js, doc/ws.md) over wasmws's
// handleUpgrade. With `port` it makes a node:http server that answers plain requests 426, as
// ws does; with `server` it serves that server's upgrades; with `noServer` the application calls
// `handleUpgrade` itself. verifyClient, shouldHandle (`path`), handleProtocols and the `headers`
// event run inside the engine's handshake hooks; each accepted session becomes a WebSocket.
//
// States: running → closing (close() called: new upgrades get 503) → closed (`close` emitted).
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { HeaderList } from '../handshake/http1.js';
import { handleUpgrade } from '../server/handle-upgrade.js';
import { deflateSettingsOf, validateSessionOptions, validateUpgradeOptions } from '../server/options.js';
import type { UpgradeOptions, UpgradeRequestInfo } from '../server/types.js';
import {
  deflateOption,
  headerListFromLines,
  headerListOf,
  type PerMessageDeflateOptions,
  payloadLimits,
  WS_CLOSE_TIMEOUT,
} from './options.js';
import { checkUpgradeRequest, refuseAsWs } from './request-check.js';
import { rethrowUncaught, SessionEvents } from './session-events.js';
import { kOnClosed, kServerSession, WebSocket } from './websocket.js';

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/** What `verifyClient` receives, as in ws. */
export interface VerifyClientInfo {
  origin: string | undefined;
  secure: boolean;
  req: http.IncomingMessage;
}

type VerifyClientCallback = (
  verified: boolean,
  code?: number,
  message?: string,
  headers?: Record<string, string | number | readonly string[]>,
) => void;

/** Options of `new WebSocketServer(options, callback)`: ws 8's that apply. */
export interface ServerOptions {
  /** Listen on this port with a node:http server of our own (426 for plain requests). */
  port?: number;
  host?: string;
  backlog?: number;
  /** Serve the upgrades of this node:http or node:https server. */
  server?: http.Server | import('node:https').Server;
  /** Make no server: call `handleUpgrade` from your own `upgrade` listener. */
  noServer?: boolean;
  /** Accept only this pathname (the query is ignored); others get 400. */
  path?: string;
  /** Sync `(info) => boolean` (false → 401) or async `(info, cb)` with `cb(verified, code?, message?, headers?)`. */
  verifyClient?:
    | ((info: VerifyClientInfo) => boolean)
    | ((info: VerifyClientInfo, cb: VerifyClientCallback) => void);
  /** Picks one of the offered subprotocols, or false for none. Default: the first offered (as ws). */
  handleProtocols?: (protocols: Set<string>, request: http.IncomingMessage) => string | false;
  /** Keep `clients`. Default true. */
  clientTracking?: boolean;
  /** Largest message (and frame) accepted, in bytes; 0 is no limit. Default 100 MiB. */
  maxPayload?: number;
  /** Accept permessage-deflate offers. Default false. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Time to wait for the peer's close frame after ours, in ms. Default 30 000 (ws's). */
  closeTimeout?: number;
  /** Accepted and ignored: text is always validated. */
  skipUTF8Validation?: boolean;
  /** Answer pings with a pong. Default true; false hands them to `ping` listeners unanswered. */
  autoPong?: boolean;
  /** Accepted and ignored. */
  allowSynchronousEvents?: boolean;
  /** The class of the server's sockets: WebSocket or a subclass of it. Default WebSocket. */
  WebSocket?: typeof WebSocket;
}

/** Sockets handed to `handleUpgrade` already: a second call is a misconfiguration, as in ws. */
const upgradedSockets = new WeakSet<Duplex>();

/** The version 8 origin header, read like `Origin`. */
function headerOrigin(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const TAKES_ONE_OF = 'One and only one of the "port", "server", or "noServer" options must be specified';

// biome-ignore lint/suspicious/noExplicitAny: node's own listener type, for events not listed
type AnyListener = (...args: any[]) => void;

/** The server's events, typed as ws's are. */
export interface WebSocketServer {
  on(event: 'connection', listener: (socket: WebSocket, request: http.IncomingMessage) => void): this;
  on(event: 'headers', listener: (headers: string[], request: http.IncomingMessage) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'close' | 'listening', listener: () => void): this;
  on(event: string | symbol, listener: AnyListener): this;
  once(event: 'connection', listener: (socket: WebSocket, request: http.IncomingMessage) => void): this;
  once(event: 'headers', listener: (headers: string[], request: http.IncomingMessage) => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
  once(event: 'close' | 'listening', listener: () => void): this;
  once(event: string | symbol, listener: AnyListener): this;
}

/** `ws`'s WebSocketServer. See the README's "Coming from ws" for what differs. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface only types the events
export class WebSocketServer extends EventEmitter {
  /** The options with ws's defaults filled in. */
  readonly options: ServerOptions & { maxPayload: number; clientTracking: boolean };
  /** The open WebSockets; `undefined` at run time when `clientTracking` is false (typed as @types/ws has it). */
  readonly clients: Set<WebSocket>;
  private server: http.Server | import('node:https').Server | null = null;
  private removeListeners: (() => void) | null = null;
  private state = RUNNING;
  private shouldEmitClose = false;
  private readonly upgradeOptions: UpgradeOptions;
  private readonly socketClass: typeof WebSocket;

  constructor(options: ServerOptions, callback?: () => void) {
    super();
    const settings = {
      maxPayload: 100 * 1024 * 1024,
      perMessageDeflate: false,
      clientTracking: true,
      noServer: false,
      ...options,
    };
    const hasPort = settings.port !== undefined && settings.port !== null;
    if (
      (!hasPort && !settings.server && !settings.noServer) ||
      (hasPort && (settings.server || settings.noServer)) ||
      (settings.server && settings.noServer)
    ) {
      throw new TypeError(TAKES_ONE_OF);
    }
    this.options = settings;
    this.socketClass = settings.WebSocket ?? WebSocket;
    this.upgradeOptions = {
      ...payloadLimits(settings.maxPayload),
      closeTimeout: settings.closeTimeout ?? WS_CLOSE_TIMEOUT,
      autoPong: settings.autoPong ?? true,
      // ws hands text out as a Buffer: the checked bytes, never decoded and encoded again.
      textAs: 'bytes',
      deflate: deflateOption(settings.perMessageDeflate, false),
      protocols: (offered, request) => this.selectProtocol(offered, request),
      verify: (request) => this.verify(request),
      responseHeaders: (request, own) => this.emitHeaders(request, own),
      activate: false,
    };
    validateUpgradeOptions(this.upgradeOptions as UpgradeOptions<unknown>);
    validateSessionOptions(new SessionEvents(new WebSocket(null)), this.upgradeOptions);

    if (hasPort) {
      this.server = http.createServer((_req, res) => {
        const body = http.STATUS_CODES[426]!;
        res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain' });
        res.end(body);
      });
      this.server.listen(settings.port, settings.host, settings.backlog, callback);
    } else if (settings.server) {
      this.server = settings.server;
    }
    if (this.server !== null) {
      const server = this.server;
      const onListening = () => this.emit('listening');
      const onError = (error: Error) => this.emit('error', error);
      const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
        this.handleUpgrade(req, socket, head, (ws, request) => this.emit('connection', ws, request));
      server.on('listening', onListening);
      server.on('error', onError);
      server.on('upgrade', onUpgrade);
      this.removeListeners = () => {
        server.off('listening', onListening);
        server.off('error', onError);
        server.off('upgrade', onUpgrade);
      };
    }
    this.clients = (settings.clientTracking ? new Set() : undefined) as Set<WebSocket>;
  }

  /** The listening address; throws in `noServer` mode, as ws does. */
  address(): AddressInfo | string | null {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    return this.server?.address() ?? null;
  }

  /**
   * Stops accepting connections; `close` is emitted once the server is closed (with `port`: once
   * node's server closed, after its connections; otherwise once `clients` is empty). Open
   * WebSockets are not closed (ws 8). `cb` hears `close`, or an error if already closed.
   */
  close(cb?: (error?: Error) => void): void {
    if (this.state === CLOSED) {
      if (cb) this.once('close', () => cb(new Error('The server is not running')));
      process.nextTick(() => this.emitClose());
      return;
    }
    if (cb) this.once('close', cb);
    if (this.state === CLOSING) return;
    this.state = CLOSING;
    const server = this.server;
    this.removeListeners?.();
    this.removeListeners = null;
    this.server = null;
    if (this.options.noServer || this.options.server) {
      if (this.clients !== undefined && this.clients.size > 0) this.shouldEmitClose = true;
      else process.nextTick(() => this.emitClose());
    } else {
      server!.close(() => this.emitClose());
    }
  }

  /** Whether this server takes the request: its pathname must equal `path`, when set. */
  shouldHandle(req: http.IncomingMessage): boolean {
    if (this.options.path) {
      const url = req.url ?? '/';
      const index = url.indexOf('?');
      const pathname = index === -1 ? url : url.slice(0, index);
      if (pathname !== this.options.path) return false;
    }
    return true;
  }

  /** Completes the handshake for an `upgrade` event and calls `cb(ws, req)` with the open WebSocket. */
  handleUpgrade(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: (ws: WebSocket, request: http.IncomingMessage) => void,
  ): void {
    if (upgradedSockets.has(socket)) {
      throw new Error(
        'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
      );
    }
    upgradedSockets.add(socket);
    const refusal = checkUpgradeRequest(req, this.shouldHandle(req), deflateSettingsOf(this.upgradeOptions));
    if (refusal !== null) {
      if (!refusal.quiet && this.listenerCount('wsClientError') > 0) {
        this.emit('wsClientError', new Error(refusal.reason), socket, req);
      } else {
        refuseAsWs(socket, refusal);
      }
      return;
    }
    // Version 8 (draft hybi-08) frames as 13 does; the engine knows only 13.
    if (req.headers['sec-websocket-version'] !== '13') req.headers['sec-websocket-version'] = '13';
    const ws = new this.socketClass(null);
    void handleUpgrade(req, socket, head, new SessionEvents(ws), this.upgradeOptions).then((session) => {
      if (session === null) return;
      // ws writes no 101 to a client that already went: no `connection` for it either.
      if (session.state === 'closed' || socket.destroyed || !socket.readable) {
        session.terminate();
        return;
      }
      ws[kServerSession](session);
      ws._socket = socket;
      if (this.clients !== undefined) {
        this.clients.add(ws);
        // One function per server: a closure here would keep `req` alive as long as the socket.
        ws[kOnClosed] = this.forgetClient;
      }
      // Nothing is read until the application has its listeners on (ws reads on a later tick).
      session.pause();
      session.activate();
      try {
        cb(ws, req);
      } catch (error) {
        // A `connection` listener threw: uncaught, as with ws, not a rejection nobody handles.
        rethrowUncaught(error);
      }
      if (!ws.isPaused) session.resume();
    });
  }

  private readonly forgetClient = (ws: WebSocket): void => {
    const clients = this.clients!;
    clients.delete(ws);
    if (this.shouldEmitClose && clients.size === 0) process.nextTick(() => this.emitClose());
  };

  private emitClose(): void {
    this.state = CLOSED;
    this.emit('close');
  }

  private verify(info: UpgradeRequestInfo): Promise<undefined> | undefined {
    const req = info.request!;
    if (this.state !== RUNNING) throw { status: 503 };
    const verifyClient = this.options.verifyClient;
    if (!verifyClient) return undefined;
    const socket = req.socket as Partial<TLSSocket>;
    const clientInfo: VerifyClientInfo = {
      origin: req.headers.origin ?? headerOrigin(req.headers['sec-websocket-origin']),
      secure: Boolean(socket.authorized || socket.encrypted),
      req,
    };
    if (verifyClient.length === 2) {
      return new Promise((resolve, reject) => {
        verifyClient(clientInfo, (verified, code, message, headers) => {
          if (verified) resolve(undefined);
          else reject({ status: code || 401, reason: message, headers: headerListOf(headers) });
        });
      });
    }
    if (!(verifyClient as (info: VerifyClientInfo) => boolean)(clientInfo)) throw { status: 401 };
    return undefined;
  }

  private selectProtocol(offered: string[], info: UpgradeRequestInfo): string | undefined {
    if (offered.length === 0) return undefined;
    const handleProtocols = this.options.handleProtocols;
    if (!handleProtocols) return offered[0];
    return handleProtocols(new Set(offered), info.request!) || undefined;
  }

  /** ws's `headers` event: listeners see the 101's lines and may push more. */
  private emitHeaders(info: UpgradeRequestInfo, own: Readonly<HeaderList>): HeaderList | undefined {
    if (this.listenerCount('headers') === 0) return undefined;
    const lines = ['HTTP/1.1 101 Switching Protocols', ...own.map(([name, value]) => `${name}: ${value}`)];
    const ownCount = lines.length;
    this.emit('headers', lines, info.request);
    return headerListFromLines(lines.slice(ownCount));
  }
}
