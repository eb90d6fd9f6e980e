// Protocol: the sans-I/O WebSocket core (RFC 6455 §5-§7) for one connection after the
// opening handshake. Bytes and commands go in; events and buffers to write come out.
// No sockets, no timers, no exceptions for anything the peer sends.
//
// States (`state`), for the WebSocket closing handshake:
//   open     no close frame sent or received
//   closing  we sent a close frame and wait for the peer's
//   closed   both close frames exchanged, the connection failed, or the transport ended
// Independently, `closeExpected()` says whether the transport's end (TCP FIN) is awaited.
//
// Ordering: a received close's echo, the close that fails the connection after a violation,
// and the end of stream that follows the peer's EOF are all deferred until the events before
// them were taken, so the application's replies to earlier messages go out first.
import {
  type ClosePayload,
  decodeClosePayload,
  encodeClosePayload,
  MAX_CLOSE_REASON_BYTES,
  MAX_CONTROL_PAYLOAD_BYTES,
} from '../codec/close-codes.js';
import type { MaskInto, MaskKeySource } from '../codec/encoder.js';
import { WebSocketError } from '../codec/errors.js';
import { FrameParser, type FrameParserOptions } from '../codec/frame-parser.js';
import { MessageAssembler, type MessageSink } from '../codec/message-assembler.js';
import { Opcode } from '../codec/opcodes.js';
import { SlabAllocator, type SlabFactory } from '../codec/slab.js';
import { type TextCodec, webTextCodec } from '../codec/text-codec.js';
import { FrameOutput } from './frame-output.js';
import type { OutputItem, ProtocolEngine, ProtocolEvent, ProtocolOptions, ProtocolState } from './types.js';

// The parser's callbacks: symbol-keyed, so they are not part of the public surface.
const onMessage = Symbol('onMessage');
const onControl = Symbol('onControl');
const onError = Symbol('onError');
const allocateMessage = Symbol('allocateMessage');

/** Close code for a connection that ended without a close frame (reported, never sent). */
const ABNORMAL_CLOSURE = 1006;

const utf8Encoder = new TextEncoder();
const strictUtf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const EMPTY = new Uint8Array(0);

export { PONG_BUDGET_BYTES } from './frame-output.js';

// Binary messages up to 16 KiB are copied out of the arena into views of shared 128 KiB
// slabs: a fresh ArrayBuffer per message cost several microseconds at 16 KiB.
const messageSlabs = new SlabAllocator(128 * 1024, 16 * 1024);

const plainFactories = new WeakMap<SlabFactory, SlabFactory>();

/** A factory making plain Uint8Arrays over `allocate`'s memory (binary messages are plain everywhere). */
function plainFactory(allocate: SlabFactory | undefined): SlabFactory | undefined {
  if (allocate === undefined) return undefined;
  let plain = plainFactories.get(allocate);
  if (plain === undefined) {
    plain = (size) => {
      const bytes = allocate(size);
      return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, size);
    };
    plainFactories.set(allocate, plain);
  }
  return plain;
}

const NO_VALIDATOR = {};
const parserOptionsByValidator = new WeakMap<object, Map<string, FrameParserOptions>>();

/**
 * The parser options of protocols made with these options, validated, and shared by all of
 * them: a protocol makes its parser on its first bytes, and an idle connection that has
 * received none carries only this reference.
 * @throws as FrameParser's constructor does.
 */
function parserOptionsFor(options: ProtocolOptions): FrameParserOptions {
  const { role, maxFrame, maxMessage, validateUtf8 } = options;
  if (role !== 'server' && role !== 'client') {
    throw new TypeError(`role must be 'server' or 'client', got ${String(role)}`);
  }
  checkLimit('maxFrame', maxFrame);
  checkLimit('maxMessage', maxMessage);
  if (validateUtf8 !== undefined && typeof validateUtf8 !== 'function') {
    throw new TypeError('validateUtf8 must be a function');
  }
  let byValues = parserOptionsByValidator.get(validateUtf8 ?? NO_VALIDATOR);
  if (byValues === undefined) {
    byValues = new Map();
    parserOptionsByValidator.set(validateUtf8 ?? NO_VALIDATOR, byValues);
  }
  const wasm = options.wasm !== false;
  const ownsChunks = options.ownsChunks === true;
  const allowRsv1 = options.compression === true;
  const key = `${role}/${maxFrame}/${maxMessage}/${wasm}/${ownsChunks}/${allowRsv1}`;
  let shared = byValues.get(key);
  if (shared === undefined) {
    shared = Object.freeze({ role, maxFrame, maxMessage, wasm, validateUtf8, ownsChunks, allowRsv1 });
    // Bounded: a process that varies limits per connection keeps the most recent few.
    if (byValues.size >= 64) byValues.delete(byValues.keys().next().value!);
    byValues.set(key, shared);
  }
  return shared;
}

function checkLimit(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
}

/** A violation's message as a close reason, or '' when it would not fit (RFC 6455 §5.5: 123 bytes). */
function closeReasonFor(error: WebSocketError): string {
  return utf8Encoder.encode(error.message).length <= MAX_CLOSE_REASON_BYTES ? error.message : '';
}

function checkBytes(name: string, data: unknown): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

function checkControlPayload(data: unknown): asserts data is Uint8Array {
  checkBytes('data', data);
  // RFC 6455 §5.5: control frames carry at most 125 bytes.
  if (data.length > MAX_CONTROL_PAYLOAD_BYTES) {
    throw new RangeError(
      `control frame payload is ${data.length} bytes; at most ${MAX_CONTROL_PAYLOAD_BYTES}`,
    );
  }
}

/**
 * The sans-I/O core of one WebSocket connection, server or client side.
 *
 * Feed it with {@link receiveData} and {@link receiveEof}, command it with the `send*`
 * methods, {@link sendClose} and {@link fail}; then drain {@link eventsReceived} and
 * {@link dataToSend}. Write the output before delivering the events: a ping's pong is
 * queued while the bytes that carried it are parsed. A close's echo is queued when its
 * event is taken ({@link nextEvent} or {@link eventsReceived}), so replies to the messages
 * before it still go out, in order, as with `ws`.
 *
 * Behaviour worth knowing:
 * - A received close is echoed once with the same code and reason, as `ws` and browsers
 *   do, so the closing side sees its own reason (an empty body is echoed as an empty body: 1005 may not be sent, RFC 6455 §7.4.1). After it nothing
 *   more is parsed. The server then ends the stream (§7.1.1: it closes TCP first); the
 *   client waits for the server's end (`closeExpected()`) and ends its side on `receiveEof()`.
 * - Once a close was sent, data, ping and pong sends are dropped and return `false`, as a
 *   browser drops `send()` after `close()` (§5.5.1: the close frame is the last one sent).
 *   Data frames the peer sends meanwhile are still delivered; its pings are reported
 *   without a pong.
 * - A violation by the peer gives one `error` event, a close with `error.closeCode` and a
 *   short reason, then (server) the end of the stream; later input and EOF give no events.
 * - An end of stream before the peer's close frame gives one `close` event with code 1006
 *   and an empty reason (no `error` event: a dropped connection is not a frame-level
 *   violation, and `ws` reports it the same way).
 * - A server frame with a payload over 1 KiB references the payload you pass (its header
 *   is one buffer, the payload the next, no copy) until the output is written: do not
 *   modify it before. Smaller frames, text and client frames are written into shared
 *   slabs, consecutive ones into one buffer.
 */
export class Protocol implements ProtocolEngine {
  /** `'server'` or `'client'`. */
  readonly role: 'server' | 'client';
  /** Made on the first bytes received: an idle connection that got none holds no parser. */
  private parser: FrameParser | null = null;
  private readonly parserOptions: FrameParserOptions;
  private readonly allocate: ((size: number) => Uint8Array) | undefined;
  /** {@link allocate} making plain Uint8Arrays, for received messages. */
  private readonly allocatePlain: SlabFactory | undefined;
  private readonly text: TextCodec;
  private readonly maskKeys: MaskKeySource | undefined;
  private readonly maskInto: MaskInto | undefined;
  private readonly wasm: boolean;
  private readonly autoPong: boolean;
  private readonly textAsBytes: boolean;
  /** Events not yet taken; null while there are none (most idle connections). */
  private events: ProtocolEvent[] | null = null;
  /** Index of the next event {@link nextEvent} hands out. */
  private nextEventIndex = 0;
  /** Bytes of the message events not yet taken. */
  private eventBytes = 0;
  /** The peer's close body, to echo once the events before it were taken. */
  private pendingEcho: Uint8Array | null = null;
  /** The violation whose close goes out once the events before it were taken. */
  private pendingFailure: WebSocketError | null = null;
  /** The peer ended the stream: finish once the events before that were taken. */
  private pendingEnd = false;
  /** Made on the first frame queued: a connection that never sends holds none. */
  private out: FrameOutput | null = null;
  private currentState: ProtocolState = 'open';
  private sentClose: ClosePayload | null = null;
  private receivedClose: ClosePayload | null = null;
  /** Input is ignored: a close was received, the connection failed, or the stream ended. */
  private discarding = false;
  private failed = false;
  private eofSent = false;
  private eofReceived = false;
  /** Opcode of the fragmented message being sent, 0 when none. */
  private sendingFragmented = 0;

  /**
   * @param options `role` is required; `maxFrame` (default 16 MiB) and `maxMessage` (default
   *   64 MiB) close with 1009 when exceeded; `wasm` (default true) picks the kernels;
   *   `maskKeys` (client only) supplies mask keys, default a `crypto.getRandomValues` pool.
   * @throws TypeError for an unknown role or a `maskKeys` that is not a function,
   *   RangeError for a limit that is not a non-negative safe integer.
   */
  constructor(options: ProtocolOptions) {
    if (options.maskKeys !== undefined && typeof options.maskKeys !== 'function') {
      throw new TypeError('maskKeys must be a function returning a 32-bit key');
    }
    this.parserOptions = parserOptionsFor(options);
    this.role = options.role;
    this.allocate = options.allocate;
    this.autoPong = options.autoPong !== false;
    this.allocatePlain = plainFactory(options.allocate);
    this.text = options.textCodec ?? webTextCodec;
    this.maskKeys = options.maskKeys;
    this.maskInto = options.maskInto;
    this.wasm = options.wasm !== false;
    this.textAsBytes = options.textAs === 'bytes';
  }

  private output(): FrameOutput {
    if (this.out === null) {
      // RFC 6455 §5.3: a client masks every frame it sends; a server masks none.
      const mask = this.role === 'client';
      this.out = new FrameOutput(mask, this.maskKeys, this.allocate, this.maskInto, this.text, this.wasm);
    }
    return this.out;
  }

  /** The closing handshake's state; see the file header. */
  get state(): ProtocolState {
    return this.currentState;
  }

  /** The close frame we sent (code 1005 for an empty body), or `null`. */
  get closeSent(): ClosePayload | null {
    return this.sentClose;
  }

  /** The peer's close frame (code 1005 for an empty body), or `null`. */
  get closeReceived(): ClosePayload | null {
    return this.receivedClose;
  }

  /** Parses bytes from the peer, split anywhere. Never throws on their content. */
  receiveData(bytes: Uint8Array): void {
    checkBytes('bytes', bytes);
    if (this.discarding || bytes.length === 0) return;
    this.parser ??= new FrameParser(new MessageAssembler(new ProtocolSink(this)), this.parserOptions);
    this.parser.push(bytes);
  }

  /**
   * Where the next bytes may be read straight into the kernels' memory, so each payload moves
   * into it once; then call {@link receiveInPlace}. Shared by every protocol: read and receive
   * in one go, before anything else parses.
   */
  readTarget(): Uint8Array {
    return FrameParser.readTargetFor(this.parserOptions.wasm !== false);
  }

  /** Parses the `length` bytes just read into {@link readTarget}, as {@link receiveData} would. */
  receiveInPlace(length: number): void {
    if (this.discarding) return;
    this.parser ??= new FrameParser(new MessageAssembler(new ProtocolSink(this)), this.parserOptions);
    this.parser.pushInPlace(length);
  }

  /** The peer ended its side of the transport (TCP FIN, HTTP/2 END_STREAM). Idempotent. */
  receiveEof(): void {
    if (this.eofReceived) return;
    this.eofReceived = true;
    // Ended before the closing handshake completed: report 1006 (RFC 6455 §7.1.5).
    if (!this.discarding) this.pushEvent({ type: 'close', code: ABNORMAL_CLOSURE, reason: '' });
    this.discarding = true;
    this.pendingEnd = true;
    // Replies to the messages before the end may still go out (the peer only half-closed).
    if (this.events === null) this.completeDeferred();
  }

  /** Sends a text message. Returns false (and sends nothing) once a close was sent or the stream ended. */
  sendText(text: string): boolean {
    if (typeof text !== 'string') throw new TypeError('text must be a string');
    if (this.outputEnded()) return false;
    this.checkNotFragmenting();
    this.output().text(text);
    return true;
  }

  /** Sends a binary message. Returns false (and sends nothing) once a close was sent or the stream ended. */
  sendBinary(data: Uint8Array): boolean {
    checkBytes('data', data);
    if (this.outputEnded()) return false;
    this.checkNotFragmenting();
    this.output().frame(Opcode.Binary, data, true);
    return true;
  }

  /**
   * Sends one frame of a fragmented message: opcode 1 (text) or 2 (binary) first, then 0
   * (continuation) until `fin`. Text fragments may split a UTF-8 sequence.
   * Returns false (and sends nothing) once a close was sent or the stream ended.
   * @throws TypeError when the opcode does not fit the message in progress (RFC 6455 §5.4).
   */
  sendFragment(opcode: 0 | 1 | 2, data: Uint8Array, fin: boolean): boolean {
    checkBytes('data', data);
    if (opcode !== 0 && opcode !== 1 && opcode !== 2) {
      throw new RangeError(`fragment opcode must be 0, 1 or 2, got ${String(opcode)}`);
    }
    if (this.outputEnded()) return false;
    // RFC 6455 §5.4: a message starts with 1 or 2, goes on with 0, and is never interleaved.
    if (opcode === 0 && this.sendingFragmented === 0) {
      throw new TypeError('a continuation needs a fragmented message in progress');
    }
    if (opcode !== 0) this.checkNotFragmenting();
    this.output().frame(opcode, data, fin);
    this.sendingFragmented = fin ? 0 : opcode === 0 ? this.sendingFragmented : opcode;
    return true;
  }

  /**
   * Sends a message compressed by permessage-deflate (RFC 7692 §6: RSV1 on its first frame,
   * here its only one). Returns false (and sends nothing) once a close was sent or the stream ended.
   */
  sendCompressed(opcode: 1 | 2, data: Uint8Array): boolean {
    checkBytes('data', data);
    if (opcode !== 1 && opcode !== 2) throw new RangeError(`opcode must be 1 or 2, got ${String(opcode)}`);
    if (this.outputEnded()) return false;
    this.checkNotFragmenting();
    this.output().frame(opcode, data, true, true);
    return true;
  }

  /**
   * Decodes an inflated text message, or returns null when it is not UTF-8 (RFC 6455 §8.1:
   * fail with 1007). A leading U+FEFF is kept: it is part of the text.
   */
  decodeText(bytes: Uint8Array): string | null {
    try {
      return strictUtf8Decoder.decode(bytes);
    } catch {
      return null;
    }
  }

  /** Sends a ping (at most 125 bytes, else RangeError). Returns false once a close was sent or the stream ended. */
  sendPing(data: Uint8Array = EMPTY): boolean {
    checkControlPayload(data);
    if (this.outputEnded()) return false;
    this.output().frame(Opcode.Ping, data, true);
    return true;
  }

  /** Sends a pong, e.g. an unsolicited heartbeat (at most 125 bytes). Returns false once closing or ended. */
  sendPong(data: Uint8Array = EMPTY): boolean {
    checkControlPayload(data);
    if (this.outputEnded()) return false;
    this.output().frame(Opcode.Pong, data, true);
    return true;
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2). No code sends an empty body.
   * Returns false (and sends nothing) when a close was already sent or the stream ended.
   * @throws RangeError for a code that may not be sent (1004, 1005, 1006, 1015, 0-999,
   *   1016-2999, 5000+) or a reason over 123 UTF-8 bytes; TypeError for a reason without a code.
   */
  sendClose(code?: number, reason = ''): boolean {
    const body = encodeClosePayload(code, reason);
    if (this.outputEnded()) return false;
    this.queueClose(code, reason, body);
    return true;
  }

  /**
   * Fails the connection locally (RFC 6455 §7.1.7): sends a close with `code` unless one
   * was sent, discards all further input, and ends the stream: the server at once, the
   * client once the server ends (§7.1.1), or at once when `code` is 1006 (no close frame
   * is sent, so no server will answer). Emits no event.
   * @throws as {@link sendClose} for a code other than 1006.
   */
  fail(code: number, reason = ''): void {
    const body = code === ABNORMAL_CLOSURE ? null : encodeClosePayload(code, reason);
    this.failWith(code, reason, body);
  }

  /**
   * Fails the connection for a violation found above the parser, such as a compressed
   * message that inflates too large, corrupt or not UTF-8: as {@link fail} with the error's
   * close code and message. Emits no event; the caller reports the error.
   */
  failWithError(error: WebSocketError): void {
    this.failWith(
      error.closeCode,
      closeReasonFor(error),
      encodeClosePayload(error.closeCode, closeReasonFor(error)),
    );
  }

  /** Drains the events found so far, in order; a deferred close or end is queued now. */
  eventsReceived(): ProtocolEvent[] {
    const pending = this.events;
    const events =
      pending === null ? [] : this.nextEventIndex === 0 ? pending : pending.slice(this.nextEventIndex);
    this.events = null;
    this.nextEventIndex = 0;
    this.eventBytes = 0;
    this.completeDeferred();
    return events;
  }

  /**
   * Takes the next event, or `undefined`. Taking the last one queues a deferred close (the
   * echo of the peer's, or ours after a violation) or end, so what the application sends
   * while handling the events before it goes out first.
   */
  nextEvent(): ProtocolEvent | undefined {
    const pending = this.events;
    if (pending === null) return undefined;
    const event = pending[this.nextEventIndex++];
    if (event.type === 'message') this.eventBytes -= event.data.length;
    if (this.nextEventIndex === pending.length) {
      this.events = null;
      this.nextEventIndex = 0;
      this.completeDeferred();
    }
    return event;
  }

  /** Bytes of frames queued and not yet taken by {@link dataToSend}. */
  get bufferedAmount(): number {
    return this.out === null ? 0 : this.out.bufferedAmount;
  }

  private pushEvent(event: ProtocolEvent): void {
    if (event.type === 'message') this.eventBytes += event.data.length;
    if (this.events === null) this.events = [event];
    else this.events.push(event);
  }

  /** Bytes of messages parsed and not yet taken (a session holding events back watches it). */
  get queuedEventBytes(): number {
    return this.eventBytes;
  }

  /**
   * Drains the output: each item is one frame's buffers (write them in order, ideally in
   * one vectored write with their neighbours), or END_OF_STREAM (half-close the transport).
   */
  dataToSend(): OutputItem[] {
    return this.out === null ? [] : this.out.take();
  }

  /**
   * Whether the transport's end is awaited: a close was sent or received, or the
   * connection failed, and the peer has not ended its side yet. Start the close timer then.
   */
  closeExpected(): boolean {
    return (this.sentClose !== null || this.receivedClose !== null || this.failed) && !this.eofReceived;
  }

  /** A whole data message from the assembler: `bytes[start, end)`, valid during the call unless `owned`. */
  [onMessage](
    opcode: number,
    bytes: Uint8Array,
    start: number,
    end: number,
    compressed: boolean,
    owned: boolean,
  ): void {
    if (this.discarding) return;
    if (compressed) {
      this.pushEvent({
        type: 'message',
        data: owned ? plainView(bytes, start, end) : bytes.slice(start, end),
        isBinary: opcode === Opcode.Binary,
        compressed: true,
      });
    } else if (opcode === Opcode.Text && !this.textAsBytes) {
      this.pushEvent({ type: 'message', data: this.text.decode(bytes, start, end), isBinary: false });
    } else {
      const data = owned ? plainView(bytes, start, end) : this.copyMessage(bytes, start, end);
      this.pushEvent({ type: 'message', data, isBinary: opcode === Opcode.Binary });
    }
  }

  /** A buffer for a message cut by chunks: from the message slabs up to 16 KiB, without a zero fill where the allocator allows. */
  [allocateMessage](size: number): Uint8Array {
    if (messageSlabs.fits(size)) return messageSlabs.take(size, this.allocatePlain);
    return this.allocate === undefined ? new Uint8Array(size) : this.allocate(size);
  }

  /** A whole control frame (a view valid during the call only). */
  [onControl](opcode: number, payload: Uint8Array): void {
    if (this.discarding) return;
    if (opcode === Opcode.Ping) {
      // RFC 6455 §5.5.2: answer with a pong carrying the same payload, unless our close
      // frame already went out (§5.5.1: it is the last frame we send).
      if (this.autoPong && this.sentClose === null) this.output().pong(payload);
      this.pushEvent({ type: 'ping', data: payload.slice() });
    } else if (opcode === Opcode.Pong) {
      // RFC 6455 §5.5.3: an unsolicited pong needs no response.
      this.pushEvent({ type: 'pong', data: payload.slice() });
    } else if (opcode === Opcode.Close) {
      this.receiveClose(payload);
    }
  }

  /** The parser's first violation (RFC 6455 §7.1.7: fail the connection). */
  [onError](error: WebSocketError): void {
    if (this.discarding) return;
    this.pushEvent({ type: 'error', error });
    this.discarding = true;
    // The failing close waits until the events before the error were taken (see nextEvent).
    this.pendingFailure = error;
  }

  private receiveClose(payload: Uint8Array): void {
    const decoded = decodeClosePayload(payload);
    if (decoded === null) {
      // The parser rejects such bodies first; kept so a codec change cannot make us echo garbage.
      this[onError](new WebSocketError('WS_ERR_INVALID_CLOSE_PAYLOAD'));
      return;
    }
    const close = decoded;
    this.receivedClose = close;
    // RFC 6455 §5.5.1: nothing the peer sends after its close frame is processed.
    this.discarding = true;
    this.pushEvent({ type: 'close', code: close.code, reason: close.reason });
    // RFC 6455 §5.5.1: answer a close with a close, once, carrying the peer's code and
    // reason; deferred until the close event is taken (see nextEvent).
    this.pendingEcho = payload.slice();
  }

  /** Runs what waited for the events to be taken: the close echo or failure, then the end. */
  private completeDeferred(): void {
    if (this.pendingEcho !== null) this.completeEcho();
    const error = this.pendingFailure;
    if (error !== null) {
      this.pendingFailure = null;
      this.failWithError(error);
    }
    if (this.pendingEnd) {
      this.pendingEnd = false;
      this.currentState = 'closed';
      // The server has usually ended already; the client ends once the server has (§7.1.1).
      this.sendEof();
    }
  }

  /** Sends the deferred echo of the peer's close unless a close already went out, then ends as the role requires. */
  private completeEcho(): void {
    const body = this.pendingEcho;
    if (body === null) return;
    this.pendingEcho = null;
    const close = this.receivedClose!;
    if (!this.outputEnded())
      this.queueClose(close.code === 1005 ? undefined : close.code, close.reason, body);
    this.currentState = 'closed';
    // RFC 6455 §7.1.1: the server closes the TCP connection first.
    if (this.role === 'server') this.sendEof();
  }

  private failWith(code: number, reason: string, body: Uint8Array | null): void {
    if (body !== null && !this.outputEnded()) this.queueClose(code, reason, body);
    this.failed = true;
    this.discarding = true;
    this.currentState = 'closed';
    // RFC 6455 §7.1.7 then §7.1.1: a server drops TCP at once; a client waits for the
    // server's end unless it drops without a close frame (1006) or no close went out.
    if (this.role === 'server' || body === null || this.sentClose === null) this.sendEof();
  }

  private queueClose(code: number | undefined, reason: string, body: Uint8Array): void {
    this.output().frame(Opcode.Close, body, true);
    this.sentClose = { code: code ?? 1005, reason };
    if (this.currentState === 'open') this.currentState = 'closing';
  }

  /** An owned copy of a binary message (the assembler's bytes are valid during the call only). */
  private copyMessage(bytes: Uint8Array, start: number, end: number): Uint8Array {
    const length = end - start;
    if (!messageSlabs.fits(length)) return bytes.slice(start, end);
    const copy = messageSlabs.take(length, this.allocatePlain);
    copyOut(bytes, start, end, copy);
    return copy;
  }

  private sendEof(): void {
    if (this.eofSent) return;
    this.eofSent = true;
    this.output().end();
  }

  /** Nothing more may be sent: our close went out (RFC 6455 §5.5.1) or the stream is ended. */
  private outputEnded(): boolean {
    return this.sentClose !== null || this.eofSent;
  }

  private checkNotFragmenting(): void {
    if (this.sendingFragmented !== 0) {
      throw new TypeError('a fragmented message is in progress: finish it with sendFragment(0, data, true)');
    }
  }
}

/** `bytes[start, end)` as a plain Uint8Array view (binary messages are plain everywhere). */
function plainView(bytes: Uint8Array, start: number, end: number): Uint8Array {
  if (bytes.constructor === Uint8Array && start === 0 && end === bytes.length) return bytes;
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

/** Messages this short are copied out byte by byte: no view needed. */
const BYTEWISE_COPY_MAX = 32;

/**
 * Copies a received message into `target` (its own function, not the sender's copy: it only
 * ever sees plain arrays, so its element accesses stay monomorphic).
 */
function copyOut(source: Uint8Array, start: number, end: number, target: Uint8Array): void {
  if (end - start <= BYTEWISE_COPY_MAX) {
    for (let i = start, at = 0; i < end; i++, at++) target[at] = source[i];
  } else {
    target.set(source.subarray(start, end));
  }
}

/** The parser's callbacks as one small object: no closures per connection. */
class ProtocolSink implements MessageSink {
  constructor(private readonly protocol: Protocol) {}
  message(opcode: number, data: Uint8Array, compressed: boolean): void {
    this.protocol[onMessage](opcode, data, 0, data.length, compressed, false);
  }
  messageAt(
    opcode: number,
    bytes: Uint8Array,
    start: number,
    end: number,
    compressed: boolean,
    owned: boolean,
  ): void {
    this.protocol[onMessage](opcode, bytes, start, end, compressed, owned);
  }
  allocate(size: number): Uint8Array {
    return this.protocol[allocateMessage](size);
  }
  control(opcode: number, payload: Uint8Array): void {
    this.protocol[onControl](opcode, payload);
  }
  error(error: WebSocketError): void {
    this.protocol[onError](error);
  }
}
