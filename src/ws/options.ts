// `ws` 8's options and their defaults, and how they map onto the engine's: maxPayload to both
// size limits, perMessageDeflate to `deflate`, ws's 30 s close timer, headers as a list.

import type { LookupFunction } from 'node:net';
import type { ConnectOptions, TLS_OPTION_NAMES } from '../client/connect.js';
import type { DeflateOptions } from '../extensions/permessage-deflate.js';
import type { HeaderList } from '../handshake/http1.js';

/** ws's default `maxPayload`: 100 MiB. */
export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
/** ws's close timer: the socket is destroyed 30 s after our close frame if the peer says nothing. */
export const WS_CLOSE_TIMEOUT = 30_000;

/** ws's `perMessageDeflate` settings (the ones the engine takes; the rest are ignored). */
export interface PerMessageDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  /** A number 8..15; `true` (offer the parameter without a value) is taken as 15. */
  serverMaxWindowBits?: number | boolean;
  clientMaxWindowBits?: number | boolean;
  /** Messages below this many bytes are not compressed. Default 1024. */
  threshold?: number;
  /** Process-wide zlib jobs at once. Default 10. */
  concurrencyLimit?: number;
  /** Only `memLevel` is used. */
  zlibDeflateOptions?: { memLevel?: number };
  /** Not used: the engine sizes its inflater from the negotiated window. */
  zlibInflateOptions?: object;
}

const WS_DEFAULTS: DeflateOptions = { preset: 'ws' };

/** `perMessageDeflate` as the engine's `deflate` option. */
export function deflateOption(value: boolean | PerMessageDeflateOptions | undefined, fallback: boolean) {
  // ws's own defaults (window bits 15, memLevel 8), not the engine's lean ones.
  if (value === undefined) return fallback && WS_DEFAULTS;
  if (typeof value !== 'object' || value === null) return value === true && WS_DEFAULTS;
  const deflate: DeflateOptions = { preset: 'ws' };
  if (value.serverNoContextTakeover !== undefined)
    deflate.serverNoContextTakeover = value.serverNoContextTakeover;
  if (value.clientNoContextTakeover !== undefined)
    deflate.clientNoContextTakeover = value.clientNoContextTakeover;
  // `true` offers or asks for the parameter without a value: 15, the largest window.
  if (typeof value.serverMaxWindowBits === 'number') deflate.serverMaxWindowBits = value.serverMaxWindowBits;
  if (typeof value.clientMaxWindowBits === 'number') deflate.clientMaxWindowBits = value.clientMaxWindowBits;
  if (value.threshold !== undefined) deflate.threshold = value.threshold;
  if (value.concurrencyLimit !== undefined) deflate.concurrency = value.concurrencyLimit;
  if (value.zlibDeflateOptions?.memLevel !== undefined) deflate.memLevel = value.zlibDeflateOptions.memLevel;
  return deflate;
}

/** ws's `maxPayload` (0 is no limit) as the engine's frame and message limits. */
export function payloadLimits(maxPayload: number | undefined): { maxFrame: number; maxMessage: number } {
  const limit = maxPayload === undefined ? DEFAULT_MAX_PAYLOAD : maxPayload;
  if (typeof limit !== 'number' || !(limit >= 0)) {
    throw new RangeError(`maxPayload must be a number >= 0, got ${String(maxPayload)}`);
  }
  const bytes = limit === 0 || !Number.isSafeInteger(limit) ? Number.MAX_SAFE_INTEGER : limit;
  return { maxFrame: bytes, maxMessage: bytes };
}

/** Request or response headers given as ws takes them (an object of values or of arrays). */
export function headerListOf(
  headers: Record<string, string | number | readonly string[] | undefined> | undefined,
): HeaderList {
  const list: HeaderList = [];
  if (headers === undefined || headers === null) return list;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) list.push([name, String(item)]);
    else list.push([name, String(value)]);
  }
  return list;
}

/** `Name: value` lines (as ws's `headers` event holds them) back into a header list. */
export function headerListFromLines(lines: readonly string[]): HeaderList {
  const list: HeaderList = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    list.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return list;
}

/** Options of `new WebSocket(address, protocols, options)`: ws 8's client options that apply. */
export interface ClientOptions extends Pick<ConnectOptions, (typeof TLS_OPTION_NAMES)[number]> {
  /** Only 13 (8 is refused). Default 13. */
  protocolVersion?: number;
  /** Give up when no 101 arrived this long after the call, in ms. Default: wait forever (as ws). */
  handshakeTimeout?: number;
  /** Offer permessage-deflate. Default true. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Largest message (and frame) accepted, in bytes; 0 is no limit. Default 100 MiB. */
  maxPayload?: number;
  /** Follow 3xx answers with a Location header. Default false. */
  followRedirects?: boolean;
  /** Most redirects followed. Default 10. */
  maxRedirects?: number;
  origin?: string;
  headers?: Record<string, string | number | readonly string[]>;
  /** Time to wait for the peer's close frame after ours, in ms. Default 30 000 (ws's). */
  closeTimeout?: number;
  /** Accepted and ignored: text is always validated. */
  skipUTF8Validation?: boolean;
  /** Answer pings with a pong. Default true; false hands them to `ping` listeners unanswered. */
  autoPong?: boolean;
  /** The `http.Agent` (`https.Agent` for wss) the request goes through, e.g. a proxy's. Default: none. */
  agent?: ConnectOptions['agent'];
  /** Opens the socket in place of `net.connect`/`tls.connect`. Default: none. */
  createConnection?: ConnectOptions['createConnection'];
  /** `user:password` sent as `Authorization: Basic` (URL user info does the same). Default: none. */
  auth?: string;
  /** As for `net.connect`. Default: node's. */
  lookup?: LookupFunction;
  family?: number;
  hints?: number;
  localAddress?: string;
  localPort?: number;
  /** Accepted and ignored: events are emitted as messages are parsed. */
  allowSynchronousEvents?: boolean;
}
