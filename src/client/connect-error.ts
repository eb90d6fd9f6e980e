// Why `connect` failed: one stable code per cause, with the server's status and body when it
// answered something other than 101, and the socket error (as `cause`) when there was one.
import type { HandshakeErrorCode } from '../handshake/http1.js';

/**
 * Stable codes of {@link ConnectError}:
 * - `WS_ERR_INVALID_URL`: not a `ws:`, `wss:`, `http:` or `https:` URL, or it has a fragment.
 * - `WS_ERR_DNS`: the host name does not resolve.
 * - `WS_ERR_CONNECT_REFUSED`: nothing listens on that port.
 * - `WS_ERR_CONNECT_FAILED`: any other failure to open the TCP connection (unreachable, reset).
 * - `WS_ERR_TLS`: the TLS handshake failed (untrusted or mismatched certificate, protocol error).
 * - `WS_ERR_HANDSHAKE_TIMEOUT`: no valid answer within `handshakeTimeout`.
 * - `WS_ERR_HANDSHAKE_CLOSED`: the connection closed or broke before the answer was complete.
 * - `WS_ERR_HANDSHAKE_MALFORMED`: the answer is not HTTP/1.x or its head is over the size limit.
 * - `WS_ERR_HANDSHAKE_STATUS`: the status is not 101 (`status`, `headers` and `body` are set).
 * - `WS_ERR_HANDSHAKE_UPGRADE`, `_ACCEPT`, `_PROTOCOL`, `_EXTENSION`: a 101 that breaks RFC 6455 §4.1
 *   (missing `Upgrade`/`Connection`, wrong `Sec-WebSocket-Accept`, a subprotocol or extension that
 *   was not offered).
 * - `WS_ERR_H2_NO_CONNECT_PROTOCOL`: with `http2`, the server did not agree to `h2` by ALPN, or its
 *   SETTINGS did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3), so no WebSocket can
 *   be opened over that connection.
 * - `WS_ERR_ABORTED`: the `signal` aborted.
 */
export type ConnectErrorCode =
  | 'WS_ERR_INVALID_URL'
  | 'WS_ERR_DNS'
  | 'WS_ERR_CONNECT_REFUSED'
  | 'WS_ERR_CONNECT_FAILED'
  | 'WS_ERR_TLS'
  | 'WS_ERR_HANDSHAKE_TIMEOUT'
  | 'WS_ERR_HANDSHAKE_CLOSED'
  | 'WS_ERR_HANDSHAKE_MALFORMED'
  | 'WS_ERR_ABORTED'
  | 'WS_ERR_H2_NO_CONNECT_PROTOCOL'
  | HandshakeErrorCode;

/** Details a {@link ConnectError} may carry. */
export interface ConnectErrorDetails {
  /** The underlying error (a socket or TLS error), if any. */
  cause?: unknown;
  /** The server's status, when it answered. */
  status?: number;
  /** The server's answer headers (lower-case names), when it answered. */
  headers?: Record<string, string | string[]>;
  /** The start of the body of a non-101 answer, decoded as UTF-8 (at most `maxErrorBody` bytes). */
  body?: string;
}

/** `connect` failed; the socket, if one was opened, has been destroyed. */
export class ConnectError extends Error {
  /** Stable machine-readable code. */
  readonly code: ConnectErrorCode;
  readonly status?: number;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string;

  constructor(code: ConnectErrorCode, message: string, details: ConnectErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ConnectError';
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.headers !== undefined) this.headers = details.headers;
    if (details.body !== undefined) this.body = details.body;
  }
}

const DNS_ERRORS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);

/** Where the connection was when a socket error struck; the phase decides the code. */
export type ConnectPhase = 'connecting' | 'securing' | 'handshaking';

/** Turns a socket error into a {@link ConnectError} naming the cause. */
export function socketFailure(
  error: Error & { code?: string },
  phase: ConnectPhase,
  target: string,
): ConnectError {
  const detail = error.message || error.code || 'unknown error';
  if (phase === 'connecting') {
    if (error.code !== undefined && DNS_ERRORS.has(error.code)) {
      return new ConnectError('WS_ERR_DNS', `Cannot resolve ${target}: ${detail}`, { cause: error });
    }
    if (error.code === 'ECONNREFUSED') {
      return new ConnectError('WS_ERR_CONNECT_REFUSED', `Connection to ${target} refused`, { cause: error });
    }
    return new ConnectError('WS_ERR_CONNECT_FAILED', `Cannot connect to ${target}: ${detail}`, {
      cause: error,
    });
  }
  if (phase === 'securing') {
    return new ConnectError('WS_ERR_TLS', `TLS handshake with ${target} failed: ${detail}`, { cause: error });
  }
  return new ConnectError(
    'WS_ERR_HANDSHAKE_CLOSED',
    `Connection to ${target} failed during the handshake: ${detail}`,
    {
      cause: error,
    },
  );
}
