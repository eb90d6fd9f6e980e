// How a session starts: `accept` for a server-side session over a transport whose opening
// handshake the handshake layer accepted, `createClientSession` for `connect`. Both build the
// sans-I/O protocol with the host's hooks and hand it to a WebSocketSession.
import { Protocol } from '../protocol/protocol.js';
import type { ProtocolOptions } from '../protocol/types.js';
import type { SessionCompression } from './compression.js';
import { WebSocketSession } from './session.js';
import { activateThenRead } from './session-hooks.js';
import type { Handler, HandshakeInfo, SessionOptions, Transport } from './types.js';

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
  options: StartOptions<Context> = {},
): WebSocketSession<Context> {
  return startSession('server', transport, handshake, handler, options);
}

/** What {@link accept} and {@link createClientSession} take besides {@link SessionOptions}. */
export interface StartOptions<Context> extends SessionOptions {
  /** Becomes `session.context`. */
  context?: Context;
  /**
   * permessage-deflate as negotiated in the handshake (RFC 7692): the engine and the
   * threshold below which messages go uncompressed. Default: none (RSV1 is a violation).
   */
  compression?: SessionCompression;
  /** The host's memory and text hooks (Node glue passes Buffer's); see {@link ProtocolOptions}. */
  allocate?: ProtocolOptions['allocate'];
  textCodec?: ProtocolOptions['textCodec'];
  maskInto?: ProtocolOptions['maskInto'];
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
  options: ClientStartOptions<Context> = {},
): WebSocketSession<Context> {
  return startSession('client', transport, handshake, handler, options);
}

/** {@link StartOptions} plus the client's masking and allocation hooks. */
export interface ClientStartOptions<Context> extends StartOptions<Context> {
  maskKeys?: () => number;
}

function startSession<Context>(
  role: 'server' | 'client',
  transport: Transport,
  handshake: HandshakeInfo,
  handler: Handler<Context>,
  options: ClientStartOptions<Context>,
): WebSocketSession<Context> {
  const engine = new Protocol({
    role,
    maxFrame: options.maxFrame,
    maxMessage: options.maxMessage,
    wasm: options.wasm,
    validateUtf8: options.validateUtf8,
    textAs: options.textAs,
    maskKeys: options.maskKeys,
    autoPong: options.autoPong,
    allocate: options.allocate,
    textCodec: options.textCodec,
    maskInto: options.maskInto,
    ownsChunks: transport.freshChunks === true,
    compression: options.compression !== undefined,
  });
  return new WebSocketSession({
    role,
    transport,
    engine,
    handshake,
    handler,
    options,
    context: options.context,
    compression: options.compression,
  });
}

/**
 * Activates a client session for `connect()`: `open` fires at once, and what arrived with
 * the 101 reaches the handler only after the caller's `await connect()` has resumed.
 */
export function activateAfterConnect<Context>(session: WebSocketSession<Context>): void {
  session[activateThenRead]();
}
