// The sans-I/O core's contract (after python-websockets): bytes and commands in,
// events and bytes to write out. No sockets, no timers, no exceptions for peer input.
import type { MaskInto } from '../codec/encoder.js';
import type { WebSocketError } from '../codec/errors.js';
import type { TextCodec } from '../codec/text-codec.js';

/** What the peer did, in the order it did it. */
export type ProtocolEvent =
  /**
   * A whole message; text is a string, binary a Uint8Array the receiver owns. A compressed
   * message (RSV1, permessage-deflate) carries its compressed bytes, text included, for the
   * session to inflate, check ({@link Protocol.decodeText}) and deliver.
   */
  | { type: 'message'; data: string | Uint8Array; isBinary: boolean; compressed?: true }
  /** A ping; its pong is already in `dataToSend()` (none once our close was sent: it is our last frame). */
  | { type: 'ping'; data: Uint8Array }
  | { type: 'pong'; data: Uint8Array }
  /**
   * The peer's close frame (1005 when it had no body). Its echo, if due, is already queued.
   * Code 1006 (empty reason) when the stream ended before the peer's close frame.
   */
  | { type: 'close'; code: number; reason: string }
  /** The peer broke the protocol; a close with `error.closeCode` is queued, further input is discarded (no more events). */
  | { type: 'error'; error: WebSocketError };

/** The end-of-stream marker in `dataToSend()`: half-close the transport after what precedes it. */
export const END_OF_STREAM: unique symbol = Symbol('wasmws.endOfStream');

/** One item of output: buffers to write in order in one go, or END_OF_STREAM. */
export type OutputItem = readonly Uint8Array[] | typeof END_OF_STREAM;

/** `open` until a close is sent or received, `closing` until both are, then `closed` (at once on a failure or the end of the stream). */
export type ProtocolState = 'open' | 'closing' | 'closed';

/** Options of a Protocol. */
export interface ProtocolOptions {
  role: 'server' | 'client';
  /** Default 16 MiB. */
  maxFrame?: number;
  /** Default 64 MiB. */
  maxMessage?: number;
  /** Default true. */
  wasm?: boolean;
  /** Whole-buffer UTF-8 check for long single-frame text messages (see FrameParserOptions). */
  validateUtf8?: (bytes: Uint8Array) => boolean;
  /** `'bytes'`: text message events carry their checked UTF-8 bytes instead of a string. Default `'string'`. */
  textAs?: 'string' | 'bytes';
  /** permessage-deflate was negotiated: RSV1 is accepted on a message's first frame. Default false. */
  compression?: boolean;
  /** Answer each ping with a pong (RFC 6455 §5.5.2); false leaves that to the application. Default true. */
  autoPong?: boolean;
  /** Client mask keys (tests inject fixed keys). Default: a crypto.getRandomValues pool. */
  maskKeys?: () => number;
  /**
   * Allocates outgoing slabs, large client frames and received messages cut by chunks
   * (Node: `Buffer.allocUnsafe`, which skips the zero fill and makes what a socket takes
   * without converting). Default `new Uint8Array`.
   */
  allocate?: (size: number) => Uint8Array;
  /** Moves text between strings and UTF-8 (Node: Buffer's native methods). Default `TextEncoder`/`TextDecoder`. */
  textCodec?: TextCodec;
  /** The caller never reuses the chunks given to `receiveData`: long binary messages are views of them (see FrameParserOptions). Default false. */
  ownsChunks?: boolean;
  /** One-pass masking of large client payloads (Node: `bufferutil` when installed). Default: the kernels. */
  maskInto?: MaskInto;
}

/** The part of {@link Protocol} a session drives (src/session/ depends on this, not the class). */
export interface ProtocolEngine {
  /** Where the next bytes may be read straight into the kernels' memory (see Protocol.readTarget). */
  readTarget(): Uint8Array;
  /** Parses the bytes just read into {@link readTarget}. */
  receiveInPlace(length: number): void;
  readonly state: ProtocolState;
  /** Bytes of frames queued and not yet taken by `dataToSend()`. */
  readonly bufferedAmount: number;
  /** Bytes of messages parsed and not yet taken by `nextEvent()`. */
  readonly queuedEventBytes: number;
  receiveData(bytes: Uint8Array): void;
  receiveEof(): void;
  sendText(text: string): boolean;
  sendBinary(data: Uint8Array): boolean;
  sendFragment(opcode: 0 | 1 | 2, data: Uint8Array, fin: boolean): boolean;
  sendCompressed(opcode: 1 | 2, data: Uint8Array): boolean;
  sendPing(data?: Uint8Array): boolean;
  sendPong(data?: Uint8Array): boolean;
  sendClose(code?: number, reason?: string): boolean;
  fail(code: number, reason?: string): void;
  failWithError(error: WebSocketError): void;
  decodeText(bytes: Uint8Array): string | null;
  nextEvent(): ProtocolEvent | undefined;
  dataToSend(): OutputItem[];
  closeExpected(): boolean;
}
