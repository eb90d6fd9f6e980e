// How a refused handshake is answered: the rejection a `verify` hook throws, the mapping of
// anything it throws to an HTTP status, and writing the answer without losing it to a reset.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { buildErrorResponse, type HeaderList } from '../handshake/http1.js';

/**
 * Thrown (or rejected) by a `verify` hook to refuse an upgrade with a given answer, e.g.
 * `throw new HandshakeRejection(401, 'Token expired', [['WWW-Authenticate', 'Bearer']])`.
 * A plain object `{ status, reason?, headers? }` works the same.
 */
export class HandshakeRejection extends Error {
  /** A 4xx or 5xx status. */
  readonly status: number;
  /** The answer's body; default: the status's reason phrase. */
  readonly reason: string;
  /** Extra headers of the answer; `Connection`, `Content-Length` and `Content-Type` are set for you. */
  readonly headers: HeaderList;

  constructor(status: number, reason?: string, headers: HeaderList = []) {
    super(reason ?? STATUS_CODES[status] ?? `HTTP ${status}`);
    this.name = 'HandshakeRejection';
    this.status = status;
    this.reason = this.message;
    this.headers = headers;
  }
}

/** The answer to a refused upgrade, and the error to report when the refusal was a bug. */
export interface Refusal {
  status: number;
  reason: string;
  headers: HeaderList;
  /** Set when `verify` failed rather than refused (answered with 500). */
  internal?: Error;
}

/**
 * Maps what a `verify` hook threw to an answer:
 * - an object with an integer `status` from 400 to 599 → that status, its `reason` (default:
 *   the reason phrase) and `headers`;
 * - an object with a string `reason` and no `status` → 403 (a refusal that named no status);
 * - anything else (an `Error`, a status outside 4xx/5xx) → 500 with a generic body, since the
 *   hook failed rather than refused; its message stays private and goes to `onError`.
 */
export function refusalFromThrown(thrown: unknown): Refusal {
  if (typeof thrown === 'object' && thrown !== null) {
    const { status, reason, headers } = thrown as { status?: unknown; reason?: unknown; headers?: unknown };
    const list = Array.isArray(headers) ? (headers as HeaderList) : [];
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599) {
      return {
        status,
        reason: typeof reason === 'string' ? reason : (STATUS_CODES[status] ?? ''),
        headers: list,
      };
    }
    if (status === undefined && typeof reason === 'string' && !(thrown instanceof Error)) {
      return { status: 403, reason, headers: list };
    }
  }
  const internal = thrown instanceof Error ? thrown : new Error(`verify threw ${String(thrown)}`);
  return { status: 500, reason: 'Internal Server Error', headers: [], internal };
}

/** How long a refused connection is drained before it is dropped. */
const LINGER_MS = 1000;
/** How much a refused client may still send while we linger. */
const LINGER_BYTES = 1024 * 1024;

/**
 * Writes an error answer with `Connection: close` and closes the connection.
 *
 * Closing a socket with unread input makes the kernel send RST, which can destroy the answer
 * before the client reads it; so after our FIN we read and discard what the client still
 * sends (a "lingering close", RFC 9112 §9.6), for at most 1 s or 1 MiB, then drop it.
 *
 * @returns false if the headers were invalid and a bare 500 was sent instead.
 */
export function answerAndClose(socket: Duplex, refusal: Refusal): boolean {
  let response: string;
  let valid = true;
  try {
    response = buildErrorResponse(refusal.status, refusal.reason, refusal.headers);
  } catch {
    valid = false;
    response = buildErrorResponse(500, 'Internal Server Error');
  }
  if (socket.destroyed) return valid;
  let drained = 0;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.on('error', () => {}); // a reset now changes nothing
  socket.on('close', () => clearTimeout(timer));
  socket.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > LINGER_BYTES) socket.destroy();
  });
  socket.on('end', () => socket.destroy());
  socket.end(response);
  socket.resume();
  return valid;
}
