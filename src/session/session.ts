// WebSocketSession: one per connection. Drives a sans-I/O Protocol over a Transport for a
// Handler: bytes in, then the protocol's own replies (pongs, close echoes) out, then events
// to the handler; everything sent in one turn leaves in one `transport.write`. Close,
// idle and keepalive timers run on an injected Clock.
//
// States (`session.state`):
//   connecting  created; the embedder still owns the transport: nothing is read or written
//   open        after activate(): messages flow both ways
//   closing     a close frame was sent or received, or the connection failed; waiting for
//               the transport to close (the close timer destroys it if it lingers)
//   closed      the transport closed; handler.close has fired once and every timer is cleared
import { encodeClosePayload } from '../codec/close-codes.js';
import type { WebSocketError } from '../codec/errors.js';
import { Protocol } from '../protocol/protocol.js';
import { END_OF_STREAM, type OutputItem, type ProtocolEvent, type ProtocolState } from '../protocol/types.js';
import type {
  Clock,
  Handler,
  HandshakeInfo,
  Session,
  SessionOptions,
  SessionState,
  Transport,
  TransportEvents,
} from './types.js';

/** Default `closeTimeout`: 5 s. */
export const DEFAULT_CLOSE_TIMEOUT = 5000;
/** Default `pongTimeout`: 20 s. */
export const DEFAULT_PONG_TIMEOUT = 20_000;
/** Reading pauses at no fewer unsent bytes than this, whatever the high-water mark. */
const MIN_READ_PAUSE_BYTES = 16 * 1024;

/** Default `highWaterMark`: 1 MiB. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** The part of the sans-I/O `Protocol` (src/protocol/protocol.ts) a session drives. */
export interface ProtocolEngine {
  readonly state: ProtocolState;
  receiveData(bytes: Uint8Array): void;
  receiveEof(): void;
  sendText(text: string): void;
  sendBinary(data: Uint8Array): void;
  sendFragment(opcode: 0 | 1 | 2, data: Uint8Array, fin: boolean): void;
  sendPing(data?: Uint8Array): void;
  sendPong(data?: Uint8Array): void;
  sendClose(code?: number, reason?: string): void;
  fail(code: number, reason?: string): void;
  nextEvent(): ProtocolEvent | undefined;
  dataToSend(): OutputItem[];
  closeExpected(): boolean;
}

/** Everything a {@link WebSocketSession} is built from; `accept` and `createClientSession` fill it in. */
export interface SessionInit<Context> {
  role: 'server' | 'client';
  transport: Transport;
  /** The protocol engine for `role`, fresh (nothing received or sent yet). */
  engine: ProtocolEngine;
  handshake: HandshakeInfo;
  handler: Handler<Context>;
  options?: SessionOptions;
  context?: Context;
}

/** The global timers and `Date.now`: the default {@link Clock}. */
export const systemClock: Clock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
  now: () => Date.now(),
};

const textEncoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

function invalidState(action: string): DOMException {
  return new DOMException(`cannot ${action} before activate()`, 'InvalidStateError');
}

function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

function controlPayload(data: Uint8Array | string | undefined): Uint8Array | undefined {
  if (data === undefined) return undefined;
  const bytes = typeof data === 'string' ? textEncoder.encode(data) : data;
  // RFC 6455 §5.5: control frames carry at most 125 bytes
  if (bytes.length > 125) throw new RangeError(`control frame payload is ${bytes.length} bytes; at most 125`);
  return bytes;
}

/**
 * One WebSocket connection. Build it with {@link accept} or {@link createClientSession};
 * call `activate()` once the embedder hands over the transport.
 *
 * Choices the {@link Session} contract leaves open:
 * - `send`, `ping`, `pong` and `close` throw an `InvalidStateError` `DOMException` before
 *   `activate()` (as a browser does while CONNECTING); send greetings from `handler.open`.
 * - Once closing, `send` drops the message and returns false, and `ping`/`pong`/`close` do
 *   nothing: the peer's close can race the application, which must not throw for it.
 * - A sent `Uint8Array` is written later in the same turn or the next microtask, not copied:
 *   do not modify it until then (the rule a Node socket's `write` has too).
 * - `handler.close` reports the first of: the peer's close frame (the protocol reports an
 *   end of stream without one as 1006), a local failure (protocol violation: its close
 *   code and message; handler exception: 1011), otherwise 1006. A dropped peer is not
 *   reported to `handler.error`: it is routine, not a fault.
 */
export class WebSocketSession<Context = unknown> implements Session<Context> {
  readonly role: 'server' | 'client';
  readonly context: Context;
  readonly protocol: string;
  readonly extensions: string;
  /** The handshake that created this session (path, headers, remote address). */
  readonly handshake: HandshakeInfo;

  private readonly transport: Transport;
  private readonly engine: ProtocolEngine;
  private readonly handler: Handler<Context>;
  private readonly clock: Clock;
  private readonly closeTimeout: number;
  private readonly idleTimeout: number;
  private readonly pingInterval: number;
  private readonly pongTimeout: number;
  private readonly highWaterMark: number;

  private currentState: SessionState = 'connecting';
  /** Output collected from the engine and not yet written: one `write` per turn. */
  private queue: Uint8Array[] | null = null;
  private queuedBytes = 0;
  private endQueued = false;
  private ended = false;
  private inTurn = false;
  private flushScheduled = false;
  private pausedByUser = false;
  /** Reading stopped because the peer is not reading what we wrote (see checkReadPressure). */
  private pausedForOutput = false;
  private pendingHead: Uint8Array | undefined;
  private needDrain = false;
  private handlerFailed = false;
  private transportErrorReported = false;
  /** What `handler.close` reports; the first cause wins. */
  private outcome: { code: number; reason: string } | null = null;

  private readonly watchesSilence: boolean;
  private lastReceived = 0;
  private receivedSincePing = false;
  private closeTimer: unknown;
  private idleTimer: unknown;
  private pingTimer: unknown;
  private pongTimer: unknown;

  /**
   * Validates the options (defaults: closeTimeout 5000 ms, idleTimeout and pingInterval 0 = off,
   * pongTimeout 20000 ms, highWaterMark 1 MiB, clock {@link systemClock}).
   * @throws RangeError for a timeout or mark that is negative or not finite; TypeError without `handler.message`.
   */
  constructor(init: SessionInit<Context>) {
    const options = init.options ?? {};
    if (typeof init.handler?.message !== 'function') {
      throw new TypeError('handler.message must be a function');
    }
    this.role = init.role;
    this.transport = init.transport;
    this.engine = init.engine;
    this.handler = init.handler;
    // The head is replayed once and then dropped: it may be a view of a whole socket chunk.
    const { head, ...handshake } = init.handshake;
    this.handshake = handshake;
    this.context = init.context as Context;
    this.protocol = handshake.protocol;
    this.extensions = handshake.extensions;
    this.pendingHead = head;
    this.clock = options.clock ?? systemClock;
    this.closeTimeout = nonNegative('closeTimeout', options.closeTimeout, DEFAULT_CLOSE_TIMEOUT);
    this.idleTimeout = nonNegative('idleTimeout', options.idleTimeout, 0);
    this.pingInterval = nonNegative('pingInterval', options.pingInterval, 0);
    this.pongTimeout = nonNegative('pongTimeout', options.pongTimeout, DEFAULT_PONG_TIMEOUT);
    this.highWaterMark = nonNegative('highWaterMark', options.highWaterMark, DEFAULT_HIGH_WATER_MARK);
    this.watchesSilence = this.idleTimeout > 0 || this.pingInterval > 0;
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** The transport's unsent bytes plus output queued for this turn's write. */
  get bufferedAmount(): number {
    return this.transport.bufferedAmount + this.queuedBytes;
  }

  /** Attaches to the transport, fires `handler.open`, replays the handshake's head, then reads. */
  activate(): void {
    if (this.currentState !== 'connecting') return;
    this.currentState = 'open';
    this.transport.attach(new SessionTransportEvents(this));
    this.lastReceived = this.clock.now();
    if (this.idleTimeout > 0) this.armIdle(this.idleTimeout);
    if (this.pingInterval > 0) this.armPing(this.pingInterval);
    // Sends from `open` leave together with the replies to the replayed head.
    this.inTurn = true;
    this.callHandler(() => this.handler.open?.(this));
    this.inTurn = false;
    if (this.pausedByUser) this.flush();
    else this.startReading();
  }

  /** Queues a message for this turn's write; see {@link Session.send} for the return value. */
  send(data: string | Uint8Array, options?: { binary?: boolean }): boolean {
    if (this.currentState === 'connecting') throw invalidState('send');
    const isString = typeof data === 'string';
    if (!isString && !(data instanceof Uint8Array)) {
      throw new TypeError('send() takes a string or a Uint8Array');
    }
    if (this.currentState !== 'open' || this.engine.state !== 'open') return false;
    const binary = options?.binary ?? !isString;
    if (isString) {
      if (binary) this.engine.sendBinary(textEncoder.encode(data));
      else this.engine.sendText(data);
    } else if (binary) {
      this.engine.sendBinary(data);
    } else {
      strictDecoder.decode(data); // throws TypeError: a text message must be UTF-8
      this.engine.sendFragment(1, data, true);
    }
    this.afterCommand();
    if (this.bufferedAmount < this.highWaterMark) return true;
    this.needDrain = true;
    return false;
  }

  /** Sends a ping (at most 125 bytes; strings as UTF-8). Never held back by backpressure. */
  ping(data?: Uint8Array | string): void {
    this.sendControl('ping', data);
  }

  /** Sends an unsolicited pong (at most 125 bytes). Pongs to pings are sent automatically. */
  pong(data?: Uint8Array | string): void {
    this.sendControl('pong', data);
  }

  private sendControl(kind: 'ping' | 'pong', data: Uint8Array | string | undefined): void {
    if (this.currentState === 'connecting') throw invalidState(kind);
    const payload = controlPayload(data);
    if (this.currentState !== 'open' || this.engine.state !== 'open') return;
    if (kind === 'ping') this.engine.sendPing(payload);
    else this.engine.sendPong(payload);
    this.afterCommand();
  }

  /** Sends a close frame; the close timer (default 5 s) then waits for the transport to close. */
  close(code?: number, reason?: string): void {
    // Validate in every state, as a browser does, so misuse shows up at once.
    encodeClosePayload(code, reason);
    if (this.currentState === 'connecting') throw invalidState('close');
    if (this.currentState !== 'open' || this.engine.state !== 'open') return;
    this.engine.sendClose(code, reason);
    this.enterClosing();
    this.afterCommand();
  }

  /** Destroys the transport now; `handler.close` fires with 1006 (at once when never activated). */
  terminate(): void {
    if (this.currentState === 'closed') return;
    this.settleOutcome(1006, '');
    if (this.currentState === 'connecting') {
      // Never attached, so no `closed` event will come to report it.
      this.transport.destroy();
      this.onClosed();
      return;
    }
    this.enterClosing();
    this.transport.destroy();
  }

  /** Stops reading; events already parsed from the current chunk are still delivered. */
  pause(): void {
    this.pausedByUser = true;
    if (this.currentState !== 'connecting' && this.currentState !== 'closed') this.transport.pause();
  }

  /** Reads again (replaying the handshake's head first if `open` paused before it). */
  resume(): void {
    this.pausedByUser = false;
    if (this.currentState === 'connecting' || this.currentState === 'closed') return;
    this.startReading();
  }

  /** Replays the handshake's leftover bytes (once), then lets the transport deliver. */
  private startReading(): void {
    const head = this.pendingHead;
    this.pendingHead = undefined;
    if (head !== undefined && head.length > 0) this.onData(head);
    else if (!this.inTurn) this.flush();
    if (!this.pausedByUser && !this.pausedForOutput && this.currentState !== 'closed')
      this.transport.resume();
  }

  /** @internal */
  onData(bytes: Uint8Array): void {
    if (this.currentState === 'closed') return;
    if (this.watchesSilence) this.lastReceived = this.clock.now();
    this.receivedSincePing = true;
    this.engine.receiveData(bytes);
    this.runTurn();
  }

  /** @internal */
  onEnd(): void {
    if (this.currentState === 'closed') return;
    this.engine.receiveEof();
    this.runTurn();
    // Nothing more can arrive: finish our side too, and do not wait forever for the close.
    if (!this.endQueued) {
      this.endQueued = true;
      this.flush();
    }
    this.enterClosing();
    this.armCloseTimer();
  }

  /** The engine's replies go out before the handler sees the events that caused them. */
  private runTurn(): void {
    this.collectOutput();
    this.flush();
    let event = this.engine.nextEvent();
    if (event === undefined) return;
    // A turn can nest (resume() in a handler replays the head); the outermost one writes.
    const outer = this.inTurn;
    this.inTurn = true;
    try {
      // One at a time: taking a close event queues its echo after what the handler sent.
      for (; event !== undefined; event = this.engine.nextEvent()) this.dispatch(event);
    } finally {
      this.inTurn = outer;
    }
    this.collectOutput();
    if (!outer) this.flush();
  }

  private dispatch(event: ProtocolEvent): void {
    if (event.type === 'close') {
      this.settleOutcome(event.code, event.reason);
      this.enterClosing();
      return;
    }
    if (event.type === 'error') {
      this.settleOutcome(event.error.closeCode, event.error.message);
      this.enterClosing();
      this.reportError(event.error);
      return;
    }
    // After a handler threw, nothing more reaches it but `error` and `close`.
    if (this.handlerFailed) return;
    // try/catch inline, not a closure per message: this is the hot path.
    try {
      if (event.type === 'message') this.handler.message(this, event.data, event.isBinary);
      else if (event.type === 'ping') this.handler.ping?.(this, event.data);
      else this.handler.pong?.(this, event.data);
    } catch (error) {
      this.handlerThrew(asError(error));
    }
  }

  /** After a command from the application: gather its frames, write them at the end of the turn. */
  private afterCommand(): void {
    this.collectOutput();
    if (this.inTurn || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private collectOutput(): void {
    for (const item of this.engine.dataToSend()) {
      if (item === END_OF_STREAM) {
        this.endQueued = true;
        continue;
      }
      if (this.endQueued) continue; // nothing may follow the end of stream
      for (const chunk of item) {
        if (this.queue === null) this.queue = [chunk];
        else this.queue.push(chunk);
        this.queuedBytes += chunk.length;
      }
    }
    if (this.closeTimer === undefined && this.engine.closeExpected()) this.armCloseTimer();
  }

  private flush(): void {
    if (this.currentState === 'connecting') return;
    if (this.currentState === 'closed') {
      this.queue = null;
      this.queuedBytes = 0;
      return;
    }
    try {
      if (this.queue !== null && this.queue.length > 0) {
        const chunks = this.queue;
        this.queue = null;
        this.queuedBytes = 0;
        if (!this.ended) this.transport.write(chunks);
      }
      if (this.endQueued && !this.ended) {
        this.ended = true;
        this.transport.end();
      }
    } catch (error) {
      // A transport should report failures as events; one that throws must not crash us.
      this.onTransportError(asError(error));
      this.transport.destroy();
      return;
    }
    this.checkReadPressure();
    this.checkDrain();
  }

  /**
   * A peer that does not read what we write (pongs, close echoes, the handler's replies)
   * must not make us buffer without bound: stop reading from it while our unsent bytes are
   * at twice the high-water mark (at least 16 KiB), and read again once below half that.
   */
  /** @internal */
  checkReadPressure(): void {
    if (this.currentState === 'closed') return;
    const limit = Math.max(2 * this.highWaterMark, MIN_READ_PAUSE_BYTES);
    const buffered = this.transport.bufferedAmount;
    if (!this.pausedForOutput && buffered >= limit) {
      this.pausedForOutput = true;
      this.transport.pause();
    } else if (this.pausedForOutput && buffered < limit / 2) {
      this.pausedForOutput = false;
      if (!this.pausedByUser) this.transport.resume();
    }
  }

  /** @internal */
  checkDrain(): void {
    if (!this.needDrain || this.currentState === 'closed') return;
    if (this.bufferedAmount >= this.highWaterMark) return;
    this.needDrain = false;
    if (!this.handlerFailed) this.callHandler(() => this.handler.drain?.(this));
  }

  /** @internal */
  onTransportError(error: Error): void {
    if (this.transportErrorReported || this.currentState === 'closed') return;
    this.transportErrorReported = true;
    this.settleOutcome(1006, '');
    this.enterClosing();
    this.reportError(error);
  }

  /** @internal */
  onClosed(): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.clearTimers();
    this.queue = null;
    this.queuedBytes = 0;
    const { code, reason } = this.outcome ?? { code: 1006, reason: '' };
    try {
      this.handler.close?.(this, code, reason);
    } catch (error) {
      this.reportError(asError(error));
    }
  }

  private callHandler(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.handlerThrew(asError(error));
    }
  }

  /** A handler exception is our fault, not the peer's: report it and fail with 1011. */
  private handlerThrew(error: Error): void {
    if (this.handlerFailed) return;
    this.handlerFailed = true;
    this.reportError(error);
    if (this.currentState === 'closed') return;
    this.settleOutcome(1011, 'internal error');
    if (this.engine.state !== 'closed') this.engine.fail(1011, 'internal error');
    this.enterClosing();
    this.afterCommand();
  }

  private reportError(error: Error | WebSocketError): void {
    try {
      this.handler.error?.(this, error);
    } catch {
      // An error handler that throws has nothing left to tell us.
    }
  }

  private settleOutcome(code: number, reason: string): void {
    this.outcome ??= { code, reason };
  }

  /** Closing: keepalive and idle timers no longer apply; the close timer takes over. */
  private enterClosing(): void {
    if (this.currentState === 'open') this.currentState = 'closing';
    this.stopLivenessTimers();
  }

  private stopLivenessTimers(): void {
    this.clearTimer(this.idleTimer);
    this.clearTimer(this.pingTimer);
    this.clearTimer(this.pongTimer);
    this.idleTimer = undefined;
    this.pingTimer = undefined;
    this.pongTimer = undefined;
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== undefined || this.closeTimeout === 0 || this.currentState === 'closed') return;
    this.closeTimer = this.clock.setTimeout(() => {
      this.closeTimer = undefined;
      // The peer has not closed the connection in time (RFC 6455 §7.1.1 lets us drop it).
      this.transport.destroy();
    }, this.closeTimeout);
  }

  private armIdle(delay: number): void {
    this.idleTimer = this.clock.setTimeout(() => this.onIdleTimer(), delay);
  }

  private onIdleTimer(): void {
    this.idleTimer = undefined;
    if (this.currentState !== 'open') return;
    // Re-arm for the remainder instead of resetting a timer on every chunk received.
    const quiet = this.clock.now() - this.lastReceived;
    if (quiet < this.idleTimeout) {
      this.armIdle(this.idleTimeout - quiet);
      return;
    }
    if (this.engine.state !== 'open') return;
    this.engine.sendClose(1001, 'idle timeout');
    this.enterClosing();
    this.collectOutput();
    this.flush();
  }

  private armPing(delay: number): void {
    this.pingTimer = this.clock.setTimeout(() => this.onPingTimer(), delay);
  }

  private onPingTimer(): void {
    this.pingTimer = undefined;
    if (this.currentState !== 'open' || this.engine.state !== 'open') return;
    const quiet = this.clock.now() - this.lastReceived;
    if (quiet < this.pingInterval) {
      this.armPing(this.pingInterval - quiet);
      return;
    }
    this.receivedSincePing = false;
    this.engine.sendPing();
    this.collectOutput();
    this.flush();
    if (this.pongTimeout > 0) {
      this.pongTimer = this.clock.setTimeout(() => this.onPongTimer(), this.pongTimeout);
    } else {
      this.armPing(this.pingInterval);
    }
  }

  private onPongTimer(): void {
    this.pongTimer = undefined;
    if (this.currentState !== 'open') return;
    if (this.receivedSincePing) {
      this.armPing(Math.max(0, this.pingInterval - (this.clock.now() - this.lastReceived)));
      return;
    }
    // Nothing at all, not even the pong, since the ping: the peer or the path is gone.
    this.settleOutcome(1006, '');
    this.enterClosing();
    this.transport.destroy();
  }

  private clearTimer(handle: unknown): void {
    if (handle !== undefined) this.clock.clearTimeout(handle);
  }

  private clearTimers(): void {
    this.stopLivenessTimers();
    this.clearTimer(this.closeTimer);
    this.closeTimer = undefined;
  }
}

/**
 * Starts a server-side session over `transport` for a request accepted by the handshake
 * layer. Nothing is read until `activate()`. Options: see {@link SessionOptions}
 * (maxFrame 16 MiB, maxMessage 64 MiB, closeTimeout 5 s, idle and keepalive off,
 * highWaterMark 1 MiB); `context` becomes `session.context`.
 */
export function accept<Context = unknown>(
  transport: Transport,
  handshake: HandshakeInfo,
  handler: Handler<Context>,
  options: SessionOptions & { context?: Context } = {},
): WebSocketSession<Context> {
  return startSession('server', transport, handshake, handler, options);
}

/**
 * Starts a client-side session over a transport whose opening handshake succeeded (used by
 * `connect`). Same options as {@link accept}, plus `maskKeys` (default: a
 * `crypto.getRandomValues` pool) so tests can fix the masks, and `allocate` for frames
 * over 4 KiB (Node passes `Buffer.allocUnsafe`).
 */
export function createClientSession<Context = unknown>(
  transport: Transport,
  handshake: HandshakeInfo,
  handler: Handler<Context>,
  options: SessionOptions & {
    context?: Context;
    maskKeys?: () => number;
    allocate?: (size: number) => Uint8Array;
  } = {},
): WebSocketSession<Context> {
  return startSession('client', transport, handshake, handler, options);
}

function startSession<Context>(
  role: 'server' | 'client',
  transport: Transport,
  handshake: HandshakeInfo,
  handler: Handler<Context>,
  options: SessionOptions & {
    context?: Context;
    maskKeys?: () => number;
    allocate?: (size: number) => Uint8Array;
  },
): WebSocketSession<Context> {
  const engine = new Protocol({
    role,
    maxFrame: options.maxFrame,
    maxMessage: options.maxMessage,
    wasm: options.wasm,
    validateUtf8: options.validateUtf8,
    maskKeys: options.maskKeys,
    allocate: options.allocate,
  });
  return new WebSocketSession({
    role,
    transport,
    engine,
    handshake,
    handler,
    options,
    context: options.context,
  });
}

/** The session's transport callbacks as one small object: no closures per connection. */
class SessionTransportEvents implements TransportEvents {
  constructor(private readonly session: WebSocketSession<unknown>) {}
  data(bytes: Uint8Array): void {
    this.session.onData(bytes);
  }
  end(): void {
    this.session.onEnd();
  }
  drain(): void {
    this.session.checkReadPressure();
    this.session.checkDrain();
  }
  error(error: Error): void {
    this.session.onTransportError(error);
  }
  closed(): void {
    this.session.onClosed();
  }
}
