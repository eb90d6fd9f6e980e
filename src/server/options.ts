// Validation of the server entry points' options, at construction and with messages that
// name the option, and the split between the handshake's options and the session's.

import { DEFAULT_ZLIB_CONCURRENCY, setZlibConcurrency } from '../extensions/deflate-zlib.js';
import { type ResolvedDeflateOptions, resolveDeflateOptions } from '../extensions/permessage-deflate.js';
import { DEFAULT_MAX_HEAD_BYTES, DEFAULT_MAX_HEADERS } from '../handshake/head-bytes.js';
import { isToken } from '../handshake/http-token.js';
import { pickSessionOptions, resolveSessionOptions } from '../session/options.js';
import type { Handler } from '../session/types.js';
import type { ServerOptions, UpgradeOptions, UpgradeRequestInfo } from './types.js';

export { DEFAULT_MAX_HEAD_BYTES, DEFAULT_MAX_HEADERS } from '../handshake/head-bytes.js';

/** Default `handshakeTimeout` of `createServer`: 10 s. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** The session's share of the options; the rest belong to the handshake and the listener. */
export const sessionOptionsOf = pickSessionOptions;

/**
 * Checks the handshake options of `handleUpgrade` and `createServer`.
 *
 * @throws TypeError naming the first bad option.
 */
export function validateUpgradeOptions(options: UpgradeOptions<unknown>): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { verify, protocols, activate, onError, responseHeaders } = options;
  deflateSettingsOf(options);
  if (verify !== undefined && typeof verify !== 'function') throw new TypeError('verify must be a function');
  if (responseHeaders !== undefined && typeof responseHeaders !== 'function')
    throw new TypeError('responseHeaders must be a function');
  if (onError !== undefined && typeof onError !== 'function')
    throw new TypeError('onError must be a function');
  if (activate !== undefined && typeof activate !== 'boolean')
    throw new TypeError('activate must be a boolean');
  if (protocols !== undefined && typeof protocols !== 'function') {
    if (!Array.isArray(protocols)) throw new TypeError('protocols must be an array of tokens or a function');
    for (const protocol of protocols) {
      // RFC 6455 §4.1 item 10: a subprotocol is a token.
      if (typeof protocol !== 'string' || !isToken(protocol)) {
        throw new TypeError(`protocols: ${JSON.stringify(protocol)} is not an HTTP token`);
      }
    }
  }
}

/**
 * Checks the session's options and the handler the way `accept` will, now rather than at the
 * first connection.
 *
 * @throws TypeError or RangeError, as `accept` would.
 */
export function validateSessionOptions(handler: Handler<unknown>, options: object): void {
  if (typeof handler !== 'object' || handler === null) throw new TypeError('handler must be an object');
  if (typeof handler.message !== 'function') throw new TypeError('handler.message must be a function');
  resolveSessionOptions(pickSessionOptions(options));
}

/** `createServer`'s listener and limits, with defaults applied. */
export interface ListenerSettings {
  host: string;
  port: number;
  maxHeadBytes: number;
  maxHeaders: number;
  handshakeTimeout: number;
}

/**
 * Checks everything `createServer` takes and applies the listener's defaults.
 *
 * @throws TypeError or RangeError naming the first bad option.
 */
export function validateServerOptions(options: ServerOptions<unknown>): ListenerSettings {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createServer needs an options object');
  validateUpgradeOptions(options);
  validateSessionOptions(options.handler, options);
  const { host = '127.0.0.1', port = 0, tls } = options;
  if (typeof host !== 'string' || host === '') throw new TypeError('host must be a non-empty string');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (tls !== undefined) {
    if (typeof tls !== 'object' || tls === null) throw new TypeError('tls must be an object');
    if (tls.cert === undefined || tls.key === undefined) throw new TypeError('tls needs both cert and key');
  }
  const { http2, onRequest } = options;
  if (http2 !== undefined && typeof http2 !== 'boolean') throw new TypeError('http2 must be a boolean');
  // Browsers speak HTTP/2 only over TLS, and HTTP/1.1 on the same port needs ALPN.
  if (http2 === true && tls === undefined) throw new TypeError('http2 needs tls (a certificate and key)');
  if (onRequest !== undefined && typeof onRequest !== 'function')
    throw new TypeError('onRequest must be a function');
  if (onRequest !== undefined && http2 !== true) throw new TypeError('onRequest needs http2: true');
  return {
    host,
    port,
    maxHeadBytes: positiveInteger('maxHeadBytes', options.maxHeadBytes, DEFAULT_MAX_HEAD_BYTES),
    maxHeaders: positiveInteger('maxHeaders', options.maxHeaders, DEFAULT_MAX_HEADERS),
    handshakeTimeout: positiveInteger(
      'handshakeTimeout',
      options.handshakeTimeout,
      DEFAULT_HANDSHAKE_TIMEOUT,
    ),
  };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

const resolvedDeflate = new WeakMap<object, ResolvedDeflateOptions | null>();

/**
 * The `deflate` option resolved (null when off), once per options object.
 * @throws TypeError or RangeError naming the bad deflate setting.
 */
export function deflateSettingsOf(options: UpgradeOptions<unknown>): ResolvedDeflateOptions | null {
  const cached = resolvedDeflate.get(options);
  if (cached !== undefined) return cached;
  const { deflate } = options;
  if (
    deflate !== undefined &&
    typeof deflate !== 'boolean' &&
    (typeof deflate !== 'object' || deflate === null)
  ) {
    throw new TypeError('deflate must be a boolean or an object of permessage-deflate settings');
  }
  const settings = deflate === undefined || deflate === false ? null : resolveDeflateOptions(deflate);
  // The zlib job limit is process-wide: only a server that asks for another one changes it.
  if (settings !== null && settings.concurrency !== DEFAULT_ZLIB_CONCURRENCY)
    setZlibConcurrency(settings.concurrency);
  resolvedDeflate.set(options, settings);
  return settings;
}

/** The server's subprotocol choice for one request, in the form `selectSubprotocol` takes. */
export function protocolChoice(
  options: UpgradeOptions<unknown>,
  request: UpgradeRequestInfo,
): readonly string[] | ((offered: string[]) => string | undefined) {
  const { protocols } = options;
  if (typeof protocols !== 'function') return protocols ?? [];
  return (offered) => protocols(offered, request);
}
