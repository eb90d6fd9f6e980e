// WebSocket: `ws` 8's WebSocket class (lib/websocket.js, doc/ws.md) over a wasmws session.
// A client one runs `connect()`; a server one is made by WebSocketServer around an accepted
// session. Events are ws's: `open`, `message (data, isBinary)`, `ping`, `pong`,
// `close (code, reason)`, `error`, `upgrade`, `unexpected-response`, `redirect`.
//
// readyState: CONNECTING (client, handshake running) → OPEN → CLOSING (a close frame went or
// came, or terminate()) → CLOSED (the connection is gone; `close` has been emitted once).
// A client whose handshake fails goes CONNECTING → CLOSING → CLOSED with `error`, then `close`
// (1006), as ws does.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { type ConnectOptions, connect } from '../client/connect.js';
import { ConnectError } from '../client/connect-error.js';
import { WebSocketError } from '../codec/errors.js';
import { isToken } from '../handshake/http-token.js';
import type { Session } from '../session/types.js';
import { connectSettings, handshakeMessage } from './client-handshake.js';
import { notOpen, wsErrorFrom } from './errors.js';
import {
  addEventListener,
  attributeListener,
  type EventListenerLike,
  removeEventListener,
  setAttributeListener,
} from './event-target.js';
import type { ClientOptions } from './options.js';
import {
  kClosed,
  kControl,
  kError,
  kMessage,
  kOpen,
  rethrowUncaught,
  SessionEvents,
  uncaughtCallback,
} from './session-events.js';
import {
  clientUrl,
  type Data,
  EMPTY,
  isSocketError,
  isValidStatusCode,
  REQUEST_STANDIN,
  responseOf,
  toBytes,
} from './values.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** How binary messages are handed to `message` listeners (text is always a Buffer). */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';
const BINARY_TYPES: readonly string[] = ['nodebuffer', 'arraybuffer', 'fragments', 'blob'];

// Shared by every server-side socket: they offer nothing and take no client options.
const NONE_OFFERED: readonly string[] = Object.freeze([]);
const SERVER_SIDE: ClientOptions = Object.freeze({});

/** Internal entry points for WebSocketServer and the session's callbacks. */
export const kServerSession = Symbol('wasmws.ws.serverSession');
/** Set by the server to hear of the socket's end without a listener the user could remove. */
export const kOnClosed = Symbol('wasmws.ws.onClosed');

/** A received message's data: a Buffer (text, `nodebuffer`), ArrayBuffer, Buffer[] or Blob. */
export type RawData = Buffer | ArrayBuffer | Buffer[] | Blob;

/** The 101 or a refusal, as the client's `upgrade` and `unexpected-response` events give it. */
export type UpgradeResponse = ReturnType<typeof responseOf>;

// biome-ignore lint/suspicious/noExplicitAny: node's own listener type, for events not listed
type AnyListener = (...args: any[]) => void;

/** The socket's events, typed as ws's are. */
export interface WebSocket {
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'ping' | 'pong', listener: (data: Buffer) => void): this;
  on(event: 'open', listener: () => void): this;
  on(event: 'upgrade', listener: (response: UpgradeResponse) => void): this;
  on(event: 'unexpected-response', listener: (request: unknown, response: UpgradeResponse) => void): this;
  on(event: 'redirect', listener: (url: string, request: unknown) => void): this;
  on(event: string | symbol, listener: AnyListener): this;
  once(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
  once(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
  once(event: 'ping' | 'pong', listener: (data: Buffer) => void): this;
  once(event: 'open', listener: () => void): this;
  once(event: string | symbol, listener: AnyListener): this;
}

/**
 * `ws`'s WebSocket. `new WebSocket(url, protocols?, options?)` connects as a client; servers get
 * theirs from WebSocketServer's `connection` event. See the README's "Coming from ws" for what differs.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface only types the events
export class WebSocket extends EventEmitter {
  // Defined after the class on it and its prototype, enumerable and read-only, as ws has them.
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  private session: Session | null = null;
  /** The state before a session exists (client handshake) and once `close` was emitted. */
  private phase = CONNECTING;
  private kind: BinaryType = 'nodebuffer';
  private paused = false;
  private readonly isServer: boolean;
  private address: string | undefined;
  private offered: readonly string[] = NONE_OFFERED;
  private readonly clientOptions: ClientOptions;
  private aborter: AbortController | null = null;
  private redirects = 0;
  private errorEmitted = false;
  /** Bytes given to send/ping/pong once not open: ws counts them in `bufferedAmount`. */
  private droppedBytes = 0;
  /** The 101 was refused after the session was made: its events are not ours to emit. */
  private abandoned = false;
  /** The engine found a protocol violation by the peer and failed the connection. */
  private failedOnViolation = false;
  /** Pieces sent with `fin: false`, sent as one message with the piece that has `fin: true`. */
  private pieces: { parts: Buffer[]; binary: boolean } | null = null;
  /** Sends waiting behind a Blob being read, so messages keep their order. */
  private blobChain: Promise<void> | null = null;
  [kOnClosed]: ((socket: WebSocket) => void) | undefined;
  /**
   * A server socket's TCP/TLS socket, for what ws code reads from it (`remoteAddress`);
   * writing to it, pausing or ending it bypasses the engine. `null` on clients.
   */
  _socket: Duplex | null = null;

  constructor(
    address: string | URL | null,
    protocols?: string | string[] | ClientOptions,
    options?: ClientOptions,
  ) {
    super();
    if (address === null) {
      this.isServer = true;
      this.address = undefined;
      this.clientOptions = SERVER_SIDE;
      return;
    }
    this.isServer = false;
    if (protocols === undefined) protocols = [];
    else if (!Array.isArray(protocols)) {
      if (typeof protocols === 'object' && protocols !== null) {
        options = protocols as ClientOptions;
        protocols = [];
      } else protocols = [protocols as string];
    }
    this.clientOptions = { ...options };
    const version = this.clientOptions.protocolVersion ?? 13;
    if (version !== 13 && version !== 8) {
      throw new RangeError(`Unsupported protocol version: ${version} (supported versions: 8, 13)`);
    }
    this.address = clientUrl(address);
    const seen = new Set<string>();
    for (const protocol of protocols as string[]) {
      if (typeof protocol !== 'string' || !isToken(protocol) || seen.has(protocol)) {
        throw new SyntaxError('An invalid or duplicated subprotocol was specified');
      }
      seen.add(protocol);
    }
    this.offered = [...seen];
    this.open(this.address);
  }

  get binaryType(): BinaryType {
    return this.kind;
  }
  set binaryType(type: BinaryType) {
    if (BINARY_TYPES.includes(type)) this.kind = type;
  }

  /** Bytes sent and not yet written to the socket. */
  get bufferedAmount(): number {
    return (this.session?.bufferedAmount ?? 0) + this.droppedBytes;
  }

  /** The negotiated extensions' names, comma-separated (`permessage-deflate` or `''`). */
  get extensions(): string {
    const value = this.session?.extensions ?? '';
    if (value === '') return '';
    return value
      .split(',')
      .map((offer) => offer.split(';')[0]!.trim())
      .join();
  }

  get protocol(): string {
    return this.session?.protocol ?? '';
  }

  get readyState(): number {
    if (this.phase !== OPEN || this.session === null) return this.phase;
    switch (this.session.state) {
      case 'open':
        return OPEN;
      case 'closing':
        return CLOSING;
      case 'closed':
        return CLOSED;
      default:
        return CONNECTING;
    }
  }

  /** The URL connected to (clients only; `undefined` on a server's sockets, as in ws). */
  get url(): string | undefined {
    return this.address;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get onopen() {
    return attributeListener(this, 'open');
  }
  set onopen(listener) {
    setAttributeListener(this, 'open', listener);
  }
  get onmessage() {
    return attributeListener(this, 'message');
  }
  set onmessage(listener) {
    setAttributeListener(this, 'message', listener);
  }
  get onclose() {
    return attributeListener(this, 'close');
  }
  set onclose(listener) {
    setAttributeListener(this, 'close', listener);
  }
  get onerror() {
    return attributeListener(this, 'error');
  }
  set onerror(listener) {
    setAttributeListener(this, 'error', listener);
  }

  addEventListener(type: string, listener: EventListenerLike, options?: { once?: boolean }): void {
    addEventListener(this, type, listener, options);
  }

  removeEventListener(type: string, listener: EventListenerLike): void {
    removeEventListener(this, type, listener);
  }

  /**
   * Sends a message: binary unless `data` is a string (or `binary` says otherwise); `compress`
   * (default true) applies when permessage-deflate was negotiated. `fin: false` holds the piece
   * until the piece with `fin: true`, then sends them as one message. `cb(error?)` runs once the
   * frames were handed to the socket, or with an error when the socket is not open.
   * @throws Error while CONNECTING, as ws does.
   */
  send(
    data: Data,
    options?:
      | { binary?: boolean; compress?: boolean; fin?: boolean; mask?: boolean }
      | ((error?: Error) => void),
    cb?: (error?: Error) => void,
  ): void {
    if (this.readyState === CONNECTING) throw notOpen(CONNECTING);
    if (typeof options === 'function') {
      cb = options;
      options = {};
    }
    if (typeof data === 'number') data = data.toString();
    if (this.readyState !== OPEN) {
      this.sendAfterClose(data, cb);
      return;
    }
    if (this.blobChain !== null || (typeof Blob !== 'undefined' && data instanceof Blob)) {
      this.sendInOrder(data, options ?? {}, cb);
      return;
    }
    this.sendNow(data as Exclude<Data, number | Blob>, options ?? {}, cb);
  }

  private sendNow(
    data: Exclude<Data, number | Blob>,
    options: { binary?: boolean; compress?: boolean; fin?: boolean },
    cb: ((error?: Error) => void) | undefined,
  ): void {
    const session = this.session!;
    let binary = options.binary ?? typeof data !== 'string';
    let payload: string | Buffer = typeof data === 'string' ? data : toBytes(data);
    if (options.fin === false) {
      const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
      if (this.pieces === null) this.pieces = { parts: [bytes], binary };
      else this.pieces.parts.push(bytes);
      if (cb !== undefined) process.nextTick(cb);
      return;
    }
    if (this.pieces !== null) {
      const { parts } = this.pieces;
      parts.push(typeof payload === 'string' ? Buffer.from(payload) : payload);
      binary = this.pieces.binary;
      this.pieces = null;
      payload = Buffer.concat(parts);
    }
    session.send(
      payload,
      { binary, compress: options.compress !== false },
      cb === undefined ? undefined : uncaughtCallback(cb),
    );
  }

  /** A Blob is read before it is sent; later sends wait behind it. */
  private sendInOrder(
    data: Data,
    options: { binary?: boolean; compress?: boolean; fin?: boolean },
    cb: ((error?: Error) => void) | undefined,
  ): void {
    const previous = this.blobChain ?? Promise.resolve();
    const chain = previous.then(async () => {
      const bytes = data instanceof Blob ? Buffer.from(await data.arrayBuffer()) : data;
      if (this.readyState !== OPEN) this.sendAfterClose(bytes as Data, cb);
      else this.sendNow(bytes as Exclude<Data, number | Blob>, options, cb);
    });
    this.blobChain = chain.finally(() => {
      if (this.blobChain === chain) this.blobChain = null;
    });
  }

  /** ws counts what is sent once not open in `bufferedAmount`, and tells the callback. */
  private sendAfterClose(data: Data | undefined, cb: ((error?: Error) => void) | undefined): void {
    if (data !== undefined && data !== null) {
      this.droppedBytes +=
        typeof data === 'string'
          ? Buffer.byteLength(data)
          : data instanceof Blob
            ? data.size
            : toBytes(data as Exclude<Data, string | number | Blob>).length;
    }
    if (cb !== undefined) process.nextTick(cb, notOpen(this.readyState));
  }

  /** Sends a ping (at most 125 bytes). `cb` runs on a later turn, once the frame was queued. */
  ping(
    data?: Data | ((error?: Error) => void),
    mask?: boolean | ((error?: Error) => void),
    cb?: (error?: Error) => void,
  ): void {
    this.control('ping', data, mask, cb);
  }

  /** Sends a pong (at most 125 bytes); pings are answered for you. */
  pong(
    data?: Data | ((error?: Error) => void),
    mask?: boolean | ((error?: Error) => void),
    cb?: (error?: Error) => void,
  ): void {
    this.control('pong', data, mask, cb);
  }

  private control(
    kind: 'ping' | 'pong',
    data: Data | ((error?: Error) => void) | undefined,
    mask: boolean | ((error?: Error) => void) | undefined,
    cb: ((error?: Error) => void) | undefined,
  ): void {
    if (this.readyState === CONNECTING) throw notOpen(CONNECTING);
    if (typeof data === 'function') {
      cb = data;
      data = undefined;
    } else if (typeof mask === 'function') {
      cb = mask;
    }
    if (typeof data === 'number') data = data.toString();
    if (this.readyState !== OPEN) {
      this.sendAfterClose(data as Data | undefined, cb);
      return;
    }
    const bytes =
      typeof data === 'string' ? Buffer.from(data) : toBytes(data as Exclude<Data, string | number | Blob>);
    if (bytes.length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    if (kind === 'ping') this.session!.ping(bytes);
    else this.session!.pong(bytes);
    if (cb !== undefined) setImmediate(cb);
  }

  /**
   * Starts the closing handshake (code and reason as ws checks them); while CONNECTING, aborts
   * the handshake (`error`, then `close` 1006).
   * @throws TypeError for a code that may not be sent, RangeError for a reason over 123 bytes.
   */
  close(code?: number, reason?: string | Buffer): void {
    const state = this.readyState;
    if (state === CLOSED) return;
    if (state === CONNECTING) {
      this.abortHandshake();
      return;
    }
    if (state === CLOSING) return;
    if (code !== undefined && (typeof code !== 'number' || !isValidStatusCode(code))) {
      throw new TypeError('First argument must be a valid error code number');
    }
    let text: string | undefined;
    if (code !== undefined && reason !== undefined && reason.length > 0) {
      if (typeof reason !== 'string' && !(reason instanceof Uint8Array)) {
        throw new TypeError('Second argument must be a string or a Uint8Array');
      }
      if (Buffer.byteLength(reason) > 123)
        throw new RangeError('The message must not be greater than 123 bytes');
      text = typeof reason === 'string' ? reason : Buffer.from(reason).toString();
    }
    this.session!.close(code, text);
  }

  /** Destroys the connection now; `close` follows with 1006. */
  terminate(): void {
    const state = this.readyState;
    if (state === CLOSED) return;
    if (state === CONNECTING) {
      this.abortHandshake();
      return;
    }
    this.session!.terminate();
  }

  /** Stops reading from the socket. Does nothing while CONNECTING or once CLOSED. */
  pause(): void {
    const state = this.readyState;
    if (state === CONNECTING || state === CLOSED) return;
    this.paused = true;
    this.session!.pause();
  }

  resume(): void {
    const state = this.readyState;
    if (state === CONNECTING || state === CLOSED) return;
    this.paused = false;
    this.session!.resume();
  }

  /** @internal The server's session, before its `connection` event. */
  [kServerSession](session: Session): void {
    this.session = session;
    this.phase = OPEN;
  }

  /** @internal */
  [kOpen](session: Session): void {
    this.session = session;
    if (this.isServer) return;
    // ws's client fails a 101 that selects none of the offered subprotocols.
    if (this.offered.length > 0 && session.protocol === '') {
      this.session = null;
      this.abandoned = true;
      session.terminate();
      this.failHandshake(new Error('Server sent no subprotocol'));
      return;
    }
    const response = session.handshake.response;
    if (response !== undefined && this.listenerCount('upgrade') > 0) {
      // Still CONNECTING for `upgrade` listeners, as in ws: close() there aborts the handshake.
      this.emit('upgrade', responseOf(response.status, response.statusText, response.headers));
      if (this.phase !== CONNECTING) {
        this.session = null;
        this.abandoned = true;
        session.terminate();
        return;
      }
    }
    this.phase = OPEN;
    this.emit('open');
  }

  /** @internal */
  [kMessage](data: string | Uint8Array, isBinary: boolean): void {
    // The session runs with textAs 'bytes': text comes as its checked UTF-8, as ws hands it out.
    const bytes = data as Uint8Array;
    if (!isBinary) {
      this.emit('message', asBuffer(bytes), false);
      return;
    }
    let value: unknown;
    switch (this.kind) {
      case 'arraybuffer':
        value =
          bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
            ? bytes.buffer
            : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        break;
      case 'fragments':
        value = [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
        break;
      case 'blob':
        value = new Blob([bytes as Uint8Array<ArrayBuffer>]);
        break;
      default:
        value = asBuffer(bytes);
    }
    this.emit('message', value, true);
  }

  /** @internal */
  [kControl](kind: 'ping' | 'pong', data: Uint8Array): void {
    this.emit(kind, Buffer.from(data));
  }

  /** @internal Protocol violations are emitted, once; socket errors are not (as in ws). */
  [kError](error: Error): void {
    if (error instanceof WebSocketError) this.failedOnViolation = true;
    // ws emits `error` at most once, and never once `close` was emitted.
    if (this.errorEmitted || this.phase === CLOSED || isSocketError(error)) return;
    this.errorEmitted = true;
    const emitted = error instanceof WebSocketError ? wsErrorFrom(error, this.extensions !== '') : error;
    this.emit('error', emitted);
  }

  /** @internal */
  [kClosed](code: number, reason: string): void {
    if (this.abandoned) return;
    this.phase = CLOSED;
    this[kOnClosed]?.(this);
    // ws reads nothing after a violation, so the peer's close is never seen: it reports 1006.
    if (this.failedOnViolation) this.emit('close', 1006, EMPTY);
    else this.emit('close', code, Buffer.from(reason));
  }

  private open(address: string): void {
    const aborter = new AbortController();
    this.aborter = aborter;
    let target: { url: string; settings: ConnectOptions };
    try {
      target = connectSettings(address, this.clientOptions, this.offered, aborter.signal);
    } catch (error) {
      process.nextTick(() => this.failHandshake(error as Error));
      return;
    }
    connect(target.url, new SessionEvents(this), target.settings).then(
      (session) => {
        this.aborter = null;
        if (!this.abandoned) this.session = session;
      },
      (error: unknown) => {
        if (this.aborter !== aborter) return; // close() or terminate() already ended it
        this.aborter = null;
        try {
          this.handshakeFailed(error);
        } catch (thrown) {
          // A listener threw: uncaught, not a rejection nobody handles.
          rethrowUncaught(thrown);
        }
      },
    );
  }

  private handshakeFailed(error: unknown): void {
    if (!(error instanceof ConnectError)) {
      this.failHandshake(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (error.code === 'WS_ERR_HANDSHAKE_STATUS') {
      const status = error.status ?? 0;
      const headers = error.headers ?? {};
      const location = headers.location;
      if (
        this.clientOptions.followRedirects === true &&
        status >= 300 &&
        status < 400 &&
        typeof location === 'string'
      ) {
        this.redirect(location);
        return;
      }
      if (this.listenerCount('unexpected-response') > 0) {
        // As in ws, the socket stays CONNECTING until the listener aborts the request or closes it.
        const request = { abort: () => this.requestAborted(), destroy: () => this.requestAborted() };
        this.emit('unexpected-response', request, responseOf(status, '', headers, error.body));
        return;
      }
      this.failHandshake(new Error(`Unexpected server response: ${status}`));
      return;
    }
    if (error.code === 'WS_ERR_HANDSHAKE_TIMEOUT') {
      this.failHandshake(new Error('Opening handshake has timed out'));
      return;
    }
    const message = handshakeMessage(error.code, this.offered.length > 0);
    if (message !== undefined) {
      this.failHandshake(new Error(message));
      return;
    }
    if (error.code === 'WS_ERR_INVALID_URL') {
      this.failHandshake(new SyntaxError(error.message));
      return;
    }
    // A socket error (ECONNREFUSED, ENOTFOUND) is what ws emits; handshake checks keep our error.
    this.failHandshake(error.cause instanceof Error ? error.cause : error);
  }

  private redirect(location: string): void {
    if (++this.redirects > (this.clientOptions.maxRedirects ?? 10)) {
      this.failHandshake(new Error('Maximum redirects exceeded'));
      return;
    }
    let next: string;
    try {
      next = clientUrl(new URL(location, this.address));
    } catch (error) {
      this.failHandshake(error as Error);
      return;
    }
    this.address = next;
    this.emit('redirect', next, REQUEST_STANDIN);
    if (this.phase === CONNECTING) this.open(next);
  }

  /** An `unexpected-response` listener aborted the request: the socket closes (1006) without an error. */
  private requestAborted(): void {
    if (this.phase !== CONNECTING) return;
    this.phase = CLOSING;
    process.nextTick(() => this.emitClosedWithoutSession());
  }

  /** Closes the handshake the user gave up on: `error`, then `close` (1006) on the next tick. */
  private abortHandshake(): void {
    this.aborter?.abort();
    this.aborter = null;
    this.phase = CLOSING;
    process.nextTick(() =>
      this.failHandshake(new Error('WebSocket was closed before the connection was established')),
    );
  }

  private failHandshake(error: Error): void {
    if (this.phase === CLOSED) return;
    this.phase = CLOSING;
    try {
      if (!this.errorEmitted) {
        this.errorEmitted = true;
        this.emit('error', error);
      }
    } finally {
      this.emitClosedWithoutSession();
    }
  }

  private emitClosedWithoutSession(): void {
    this.phase = CLOSED;
    this.emit('close', 1006, EMPTY);
  }
}

/** `bytes` as a Buffer without a copy (node's sessions mostly hand out Buffers already). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ws's constants: enumerable, read-only and not configurable, on the class and its prototype.
for (const [name, value] of [
  ['CONNECTING', CONNECTING],
  ['OPEN', OPEN],
  ['CLOSING', CLOSING],
  ['CLOSED', CLOSED],
] as const) {
  const descriptor = { enumerable: true, value, writable: false, configurable: false };
  Object.defineProperty(WebSocket, name, descriptor);
  Object.defineProperty(WebSocket.prototype, name, descriptor);
}
// ws's attributes are enumerable accessors on the prototype.
for (const name of [
  'binaryType',
  'bufferedAmount',
  'extensions',
  'isPaused',
  'onclose',
  'onerror',
  'onmessage',
  'onopen',
  'protocol',
  'readyState',
  'url',
]) {
  const descriptor = Object.getOwnPropertyDescriptor(WebSocket.prototype, name)!;
  Object.defineProperty(WebSocket.prototype, name, { ...descriptor, enumerable: true });
}
