// WebSocketSession: one per connection, the handler-facing part. It drives a sans-I/O
// Protocol over a Transport for a Handler: bytes in, then the protocol's own replies (pongs,
// close echoes) out, then events to the handler one at a time; everything sent in one turn
// leaves in one `transport.write`. Its parts: SessionOutput (write batching, backpressure,
// read pressure) and Liveness (idle, keepalive, pong and close timers on an injected clock).
//
// States (`session.state`), derived from the protocol's and the transport's:
//   connecting  created; the embedder still owns the transport: nothing is read or written
//   open        after activate(), while the protocol is open: messages flow both ways
//   closing     a close frame was sent or received, or the connection failed; waiting for
//               the transport to close (the close timer destroys it if it lingers)
//   closed      the transport closed; handler.close has fired once and every timer is cleared
import { encodeClosePayload } from '../codec/close-codes.js';
import { WebSocketError } from '../codec/errors.js';
import type { ProtocolEngine, ProtocolEvent } from '../protocol/types.js';
import { CompressedSends } from './compressed-sends.js';
import type { InflateResult, SessionCompression } from './compression.js';
import { Liveness, type LivenessSettings, livenessSettings } from './liveness.js';
import { resolveSessionOptions } from './options.js';
import { SessionOutput } from './output.js';
import { SessionFlags } from './session-flags.js';
import {
  activateThenRead,
  onClosed,
  onCloseTimedOut,
  onData,
  onDataInPlace,
  onDeflateFailed,
  onEnd,
  onIdle,
  onKeepalivePing,
  onPongMissing,
  onSendCallbackThrew,
  onSendsDrained,
  onSendsQueued,
  onTransportDrain,
  onTransportError,
  SendCallbacks,
  SessionCompressionEvents,
  SessionTimerActions,
  SessionTransportEvents,
} from './session-hooks.js';
import { asError, asPlainBytes, controlPayload, encodeText, invalidState, isUtf8 } from './session-values.js';
import type {
  Handler,
  HandshakeInfo,
  SendCallback,
  Session,
  SessionOptions,
  SessionState,
  Transport,
} from './types.js';

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
  /** permessage-deflate, when negotiated (the engine must have been built with `compression: true`). */
  compression?: SessionCompression;
}

/** Messages parsed while one is with zlib: reading stops at this many bytes of them. */
const INPUT_BACKLOG_BYTES = 1024 * 1024;

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
 * - Messages parsed before a violation, a close or the end of the stream reach the handler
 *   first, and its replies go out before our close.
 * - `handler.close` reports the first of: the peer's close frame (the protocol reports an
 *   end of stream without one as 1006), a local failure (protocol violation: its close
 *   code and message; handler exception: 1011), otherwise 1006. A dropped peer is not
 *   reported to `handler.error`: it is routine, not a fault.
 */
export class WebSocketSession<Context = unknown> extends SessionFlags implements Session<Context> {
  readonly role: 'server' | 'client';
  readonly context: Context;
  /** The handshake that created this session (path, headers, remote address), without its head. */
  readonly handshake: HandshakeInfo;

  private readonly transport: Transport;
  private readonly engine: ProtocolEngine;
  private currentHandler: Handler<Context>;
  private readonly output: SessionOutput;
  /** Made when a timer is first needed: an idle connection without timeouts has none. */
  private liveness: Liveness | null = null;
  private readonly livenessSettings: LivenessSettings;
  private readonly maxMessage: number;
  private readonly compression: SessionCompression | null;
  /** Outgoing messages waiting for zlib, when permessage-deflate was negotiated. */
  private readonly compressedSends: CompressedSends | null;
  /** close() came while messages waited for zlib: sent once they are out. */
  private deferredClose: { code: number | undefined; reason: string | undefined } | null = null;
  private pendingHead: Uint8Array | undefined;
  /** What `handler.close` reports; the first cause wins. */
  private outcome: { code: number; reason: string } | null = null;
  /** Messages accepted by `send`, counted so a callback knows when its message was written. */
  private messagesSent = 0;
  /** Made on the first send with a callback. */
  private sendCallbacks: SendCallbacks | null = null;
  /** `options.validateUtf8`, reused for text sent as bytes. */
  private readonly validateOutgoingText: ((bytes: Uint8Array) => boolean) | undefined;
  /** Text messages reach the handler as their UTF-8 bytes (`textAs: 'bytes'`). */
  private readonly textAsBytes: boolean;

  /**
   * Validates the options (see {@link resolveSessionOptions} for the defaults).
   * @throws RangeError for a timeout or mark that is negative or not finite; TypeError without `handler.message`.
   */
  constructor(init: SessionInit<Context>) {
    super();
    const options = resolveSessionOptions(init.options);
    if (typeof init.handler?.message !== 'function') {
      throw new TypeError('handler.message must be a function');
    }
    this.role = init.role;
    this.transport = init.transport;
    this.engine = init.engine;
    this.currentHandler = init.handler;
    // The head is replayed once and then dropped: it may be a view of a whole socket chunk.
    // Without one, the caller's object is kept rather than a copy.
    const { head, ...withoutHead } = init.handshake;
    this.pendingHead = head;
    this.handshake = head === undefined ? init.handshake : withoutHead;
    this.context = init.context as Context;
    this.output = new SessionOutput(init.transport, init.engine, options.highWaterMark);
    this.livenessSettings = livenessSettings(options);
    this.maxMessage = options.maxMessage;
    this.validateOutgoingText = init.options?.validateUtf8;
    this.textAsBytes = init.options?.textAs === 'bytes';
    this.compression = init.compression ?? null;
    this.compressedSends =
      this.compression === null
        ? null
        : new CompressedSends(init.engine, this.compression, new SessionCompressionEvents(this));
    if (this.compressedSends !== null) this.output.countPending(this.compressedSends);
  }

  // The negotiated subprotocol and extensions: read from the handshake, not fields of their own.
  get protocol(): string {
    return this.handshake.protocol;
  }
  get extensions(): string {
    return this.handshake.extensions;
  }

  /** The callbacks events go to now (see {@link setHandler}). */
  get handler(): Handler<Context> {
    return this.currentHandler;
  }

  /**
   * Sends every later event to `handler` instead: give each session its own handler from the
   * server's `open` (or before `activate()`). `open` is not replayed to the new handler.
   * @throws TypeError without `handler.message`.
   */
  setHandler(handler: Handler<Context>): void {
    if (typeof handler?.message !== 'function') throw new TypeError('handler.message must be a function');
    this.currentHandler = handler;
  }

  get state(): SessionState {
    if (this.transportClosed) return 'closed';
    if (!this.activated) return 'connecting';
    return this.engine.state === 'open' && this.deferredClose === null ? 'open' : 'closing';
  }

  /** The transport's unsent bytes plus output queued for this turn's write. */
  get bufferedAmount(): number {
    return this.output.bufferedAmount;
  }

  /** Attaches to the transport, fires `handler.open`, replays the handshake's head, then reads. */
  activate(): void {
    if (this.activated) return;
    this.activated = true;
    this.transport.attach(new SessionTransportEvents(this));
    // Where the transport can, bytes are read straight into the kernels' memory: one move in.
    this.transport.readInto?.(this.engine.readTarget());
    if (this.livenessSettings.watchesSilence) this.timers().start();
    // Sends from `open` leave together with the replies to the replayed head.
    this.inTurn = true;
    this.callHandler(() => this.currentHandler.open?.(this));
    this.inTurn = false;
    if (this.output.readable) this.startReading();
    else {
      this.collectOutput();
      this.flush();
    }
  }

  /**
   * Activates now (`open` fires) but reads, and replays the handshake's head, only after
   * this turn and its microtasks: the code awaiting `connect()` runs before any message.
   */
  [activateThenRead](): void {
    this.output.holdReading();
    this.activate();
    setTimeout(() => {
      if (this.output.releaseReading() && !this.transportClosed) this.startReading();
    }, 0);
  }

  /** Queues a message for this turn's write; see {@link Session.send} for the return value. */
  send(
    data: string | Uint8Array,
    options?: { binary?: boolean; compress?: boolean },
    callback?: SendCallback,
  ): boolean {
    if (!this.activated) throw invalidState('send');
    const isString = typeof data === 'string';
    if (!isString && !(data instanceof Uint8Array)) {
      throw new TypeError('send() takes a string or a Uint8Array');
    }
    if (this.state !== 'open') {
      if (callback !== undefined)
        queueMicrotask(() => callback(new Error(`cannot send: the session is ${this.state}`)));
      return false;
    }
    const binary = options?.binary ?? !isString;
    if (this.compressedSends !== null) {
      if (!isString && !binary) this.checkText(data);
      this.compressedSends.send(
        binary ? 2 : 1,
        isString && binary ? encodeText(data) : data,
        options?.compress,
      );
    } else if (isString) {
      if (binary) this.engine.sendBinary(encodeText(data));
      else this.engine.sendText(data);
    } else if (binary) {
      this.engine.sendBinary(data);
    } else {
      this.checkText(data);
      this.engine.sendFragment(1, data, true);
    }
    this.messagesSent++;
    if (callback !== undefined) {
      this.sendCallbacks ??= new SendCallbacks(this);
      this.sendCallbacks.waitFor(this.messagesSent, callback);
    }
    this.afterCommand();
    return !this.output.markNeedDrain();
  }

  /** A text message given as bytes must be UTF-8: TypeError otherwise. */
  private checkText(data: Uint8Array): void {
    if (!isUtf8(data, this.validateOutgoingText)) throw new TypeError('a text message must be UTF-8');
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
    if (!this.activated) throw invalidState(kind);
    const payload = controlPayload(data);
    // The engine checks the payload in every state, and drops the frame once closing.
    const queued = kind === 'ping' ? this.engine.sendPing(payload) : this.engine.sendPong(payload);
    if (queued) this.afterCommand();
  }

  /** Sends a close frame; the close timer (default 5 s) then waits for the transport to close. */
  close(code?: number, reason?: string): void {
    // Validate in every state, as a browser does, so misuse shows up at once.
    encodeClosePayload(code, reason);
    if (!this.activated) throw invalidState('close');
    if (this.state !== 'open') return;
    // RFC 6455 §5.5.1: the close is our last frame, so it waits for messages still with zlib.
    if (this.compressedSends?.busy) {
      this.deferredClose = { code, reason };
      return;
    }
    this.engine.sendClose(code, reason);
    this.afterCommand();
  }

  /** Destroys the transport now; `handler.close` fires with 1006 (at once when never activated). */
  terminate(): void {
    if (this.transportClosed) return;
    this.settleOutcome(1006, '');
    this.dropConnection();
    // Never attached, so no `closed` event will come to report it.
    if (!this.activated) this[onClosed]();
  }

  /** Stops reading; events already parsed from the current chunk are still delivered. */
  pause(): void {
    this.output.pauseByUser();
    if (this.state !== 'connecting' && this.state !== 'closed') this.transport.pause();
  }

  /** Reads again (replaying the handshake's head first if `open` paused before it). */
  resume(): void {
    const readable = this.output.resumeByUser();
    if (!readable || this.state === 'connecting' || this.state === 'closed') return;
    this.startReading();
  }

  /** Replays the handshake's leftover bytes (once), then lets the transport deliver. */
  private startReading(): void {
    const head = this.pendingHead;
    this.pendingHead = undefined;
    if (head !== undefined && head.length > 0) this[onData](head);
    else if (!this.inTurn) {
      this.collectOutput();
      this.flush();
    }
    if (this.output.readable && !this.transportClosed) this.transport.resume();
  }

  [onData](bytes: Uint8Array): void {
    if (this.transportClosed) return;
    this.liveness?.received();
    this.engine.receiveData(bytes);
    this.runTurn();
    if (this.compression !== null) this.checkInputBacklog();
  }

  [onDataInPlace](length: number): void {
    if (this.transportClosed) return;
    this.liveness?.received();
    this.engine.receiveInPlace(length);
    this.runTurn();
    if (this.compression !== null) this.checkInputBacklog();
  }

  [onEnd](): void {
    if (this.transportClosed) return;
    this.engine.receiveEof();
    this.peerEnded = true;
    this.runTurn();
    this.liveness?.closing();
    this.armCloseTimer();
    this.endAfterPeer();
  }

  /** Nothing more can arrive: finish our side too, once what waits for zlib has gone out. */
  private endAfterPeer(): void {
    if (!this.peerEnded || this.waitingForZlib()) return;
    this.output.endAfterQueued();
    this.flush();
  }

  /** The engine's replies go out before the handler sees the events that caused them. */
  private runTurn(): void {
    this.collectOutput();
    this.flush();
    // Events wait while a message is with zlib, either way: order is kept, and a deferred
    // close (taken with the last event) cannot overtake a reply still being compressed.
    if (this.waitingForZlib()) return;
    let event = this.engine.nextEvent();
    if (event === undefined) return;
    // A turn can nest (resume() in a handler replays the head); the outermost one writes.
    const outer = this.inTurn;
    this.inTurn = true;
    try {
      // One at a time: taking the last event queues a deferred close after what the handler sent.
      for (; event !== undefined; event = this.waitingForZlib() ? undefined : this.engine.nextEvent()) {
        this.dispatch(event);
      }
    } finally {
      this.inTurn = outer;
    }
    this.collectOutput();
    if (!outer) this.flush();
  }

  private waitingForZlib(): boolean {
    return this.inflating || (this.compressedSends?.busy ?? false);
  }

  private dispatch(event: ProtocolEvent): void {
    if (this.eventsDiscarded) return;
    if (event.type === 'close') {
      this.settleOutcome(event.code, event.reason);
      return;
    }
    if (event.type === 'error') {
      this.settleOutcome(event.error.closeCode, event.error.message);
      this.reportError(event.error);
      return;
    }
    // After a handler threw, nothing more reaches it but `error` and `close`.
    if (this.handlerFailed) return;
    if (event.type === 'message' && event.compressed === true) {
      this.inflate(event.data as Uint8Array, event.isBinary);
      return;
    }
    // try/catch inline, not a closure per message: this is the hot path.
    try {
      if (event.type === 'message') this.currentHandler.message(this, event.data, event.isBinary);
      else if (event.type === 'ping') this.currentHandler.ping?.(this, event.data);
      else this.currentHandler.pong?.(this, event.data);
    } catch (error) {
      this.handlerThrew(asError(error));
    }
  }

  /** Hands a compressed message to zlib; reading and later events wait for it (RFC 7692 §6.2). */
  private inflate(data: Uint8Array, isBinary: boolean): void {
    this.inflating = true;
    this.compression!.compressor.inflate(data, this.maxMessage, (result) => this.inflated(result, isBinary));
  }

  private inflated(result: InflateResult, isBinary: boolean): void {
    if (this.transportClosed) return;
    this.inflating = false;
    // Called back before inflate() returned (the engine's sync path): the turn that asked goes on.
    const outer = this.inTurn;
    this.inTurn = true;
    try {
      if (!result.ok) {
        // RFC 7692 §8.1 / RFC 6455 §7.4.1: too large is 1009; a stream that does not inflate, 1007.
        this.failLocally(
          result.reason === 'too-large'
            ? new WebSocketError('WS_ERR_MESSAGE_TOO_LARGE')
            : new WebSocketError('WS_ERR_INFLATE', -1, result.message),
        );
      } else if (isBinary) {
        this.deliverMessage(asPlainBytes(result.data), true);
      } else if (this.textAsBytes) {
        // RFC 6455 §8.1: an inflated text message must be UTF-8 too.
        const bytes = asPlainBytes(result.data);
        if (isUtf8(bytes, this.validateOutgoingText)) this.deliverMessage(bytes, false);
        else this.failLocally(new WebSocketError('WS_ERR_INVALID_UTF8'));
      } else {
        const text = this.engine.decodeText(result.data);
        // RFC 6455 §8.1: an inflated text message must be UTF-8 too.
        if (text === null) this.failLocally(new WebSocketError('WS_ERR_INVALID_UTF8'));
        else this.deliverMessage(text, false);
      }
    } finally {
      this.inTurn = outer;
    }
    this.resumeEvents();
  }

  private deliverMessage(data: string | Uint8Array, isBinary: boolean): void {
    if (this.handlerFailed) return;
    try {
      this.currentHandler.message(this, data, isBinary);
    } catch (error) {
      this.handlerThrew(asError(error));
    }
  }

  /** A violation found above the protocol: report it, fail with its close code, drop later events. */
  private failLocally(error: WebSocketError): void {
    this.settleOutcome(error.closeCode, error.message);
    this.eventsDiscarded = true;
    this.reportError(error);
    if (this.engine.state !== 'closed') this.engine.failWithError(error);
  }

  /** zlib is done with what held events back: deliver what waited, then write. */
  private resumeEvents(): void {
    if (this.inTurn) return;
    this.runTurn();
    this.checkInputBacklog();
    this.endAfterPeer();
  }

  /**
   * While zlib holds events back, reading goes on (as `ws` does) until the messages waiting
   * reach {@link INPUT_BACKLOG_BYTES}; then it stops until they were delivered.
   */
  private checkInputBacklog(): void {
    const backlog = this.waitingForZlib() ? this.engine.queuedEventBytes : 0;
    if (!this.heldForBacklog && backlog >= INPUT_BACKLOG_BYTES) {
      this.heldForBacklog = true;
      this.output.holdReading();
      this.transport.pause();
    } else if (this.heldForBacklog && backlog < INPUT_BACKLOG_BYTES / 2) {
      this.heldForBacklog = false;
      if (this.output.releaseReading() && !this.transportClosed) this.transport.resume();
    }
  }

  /** @internal The deflate queue emptied: a deferred close goes out, held events go on. */
  [onSendsDrained](): void {
    const close = this.deferredClose;
    if (close !== null) {
      this.deferredClose = null;
      if (this.engine.state === 'open') this.engine.sendClose(close.code, close.reason);
      this.afterCommand();
    }
    this.resumeEvents();
  }

  /** @internal Frames left the deflate queue for the protocol. */
  [onSendsQueued](): void {
    this.afterCommand();
  }

  /** @internal zlib failed to deflate one of our messages: our fault, 1011 as for a handler that throws. */
  [onDeflateFailed](error: Error): void {
    this.reportError(error);
    if (this.transportClosed) return;
    this.settleOutcome(1011, 'internal error');
    if (this.engine.state !== 'closed') this.engine.fail(1011, 'internal error');
    this.afterCommand();
  }

  private timers(): Liveness {
    this.liveness ??= new Liveness(new SessionTimerActions(this), this.livenessSettings);
    return this.liveness;
  }

  /** Arms the close timer, making the timers if need be; never once the transport closed. */
  private armCloseTimer(): void {
    if (this.transportClosed || this.livenessSettings.closeTimeout === 0) return;
    this.timers().armCloseTimer();
  }

  /** After a command from the application: gather its frames, write them at the end of the turn. */
  private afterCommand(): void {
    // Inside a turn the frames stay in the protocol until the turn ends and collects them
    // all: consecutive frames then leave as one buffer (one iovec), not one per command.
    if (this.inTurn) return;
    this.collectOutput();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Takes the protocol's output and follows its state: closing stops liveness, a close awaited arms the timer. */
  private collectOutput(): void {
    this.output.collect();
    if (this.engine.state !== 'open') this.liveness?.closing();
    if (this.engine.closeExpected()) this.armCloseTimer();
  }

  private flush(): void {
    if (!this.activated) return;
    if (this.transportClosed) {
      this.output.discard();
      return;
    }
    try {
      this.output.flush();
    } catch (error) {
      // A transport should report failures as events; one that throws must not crash us.
      this[onTransportError](asError(error));
      this.transport.destroy();
      return;
    }
    // Everything the protocol held has been written: so has every message it was given.
    if (this.sendCallbacks?.waiting === true && this.engine.bufferedAmount === 0) {
      this.sendCallbacks!.written(this.messagesSent - (this.compressedSends?.messageCount ?? 0));
    }
    this.checkDrain();
  }

  [onTransportDrain](): void {
    if (this.transportClosed) return;
    this.collectOutput();
    this.flush();
  }

  private checkDrain(): void {
    if (this.transportClosed || !this.output.takeDrain()) return;
    if (!this.handlerFailed) this.callHandler(() => this.currentHandler.drain?.(this));
  }

  [onTransportError](error: Error): void {
    if (this.transportErrorReported || this.transportClosed) return;
    this.transportErrorReported = true;
    this.settleOutcome(1006, '');
    if (this.engine.state !== 'closed') this.engine.fail(1006);
    this.liveness?.closing();
    this.reportError(error);
  }

  [onClosed](): void {
    if (this.transportClosed) return;
    this.transportClosed = true;
    this.liveness?.stop();
    this.compressedSends?.close();
    this.compression?.compressor.close();
    this.output.discard();
    this.sendCallbacks?.fail(new Error('the connection closed before the message was written'));
    const { code, reason } = this.outcome ?? { code: 1006, reason: '' };
    try {
      this.currentHandler.close?.(this, code, reason);
    } catch (error) {
      this.reportError(asError(error));
    }
  }

  /** Fails without a close frame and destroys the transport (`terminate`, a missing pong, the close timer). */
  private dropConnection(): void {
    if (this.engine.state !== 'closed') this.engine.fail(1006);
    this.liveness?.closing();
    this.transport.destroy();
  }

  /** @internal A send callback threw: as for a handler that throws. */
  [onSendCallbackThrew](error: unknown): void {
    this.handlerThrew(asError(error));
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
    if (this.transportClosed) return;
    this.settleOutcome(1011, 'internal error');
    if (this.engine.state !== 'closed') this.engine.fail(1011, 'internal error');
    this.afterCommand();
  }

  private reportError(error: Error | WebSocketError): void {
    try {
      this.currentHandler.error?.(this, error);
    } catch {
      // An error handler that throws has nothing left to tell us.
    }
  }

  private settleOutcome(code: number, reason: string): void {
    this.outcome ??= { code, reason };
  }

  [onIdle](): void {
    if (this.state !== 'open') return;
    this.engine.sendClose(1001, 'idle timeout');
    this.collectOutput();
    this.flush();
  }

  [onKeepalivePing](): boolean {
    if (this.state !== 'open') return false;
    this.engine.sendPing();
    this.collectOutput();
    this.flush();
    return true;
  }

  [onPongMissing](): void {
    if (this.state !== 'open') return;
    this.settleOutcome(1006, '');
    this.dropConnection();
  }

  [onCloseTimedOut](): void {
    this.transport.destroy();
  }
}
