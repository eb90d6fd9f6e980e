// handleUpgrade: serves the 'upgrade' event of an existing node:http or node:https server.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { shareCommonHeaderValues } from '../handshake/headers.js';
import type { Handler, Session } from '../session/types.js';
import { completeUpgrade } from './complete-upgrade.js';
import { validateSessionOptions, validateUpgradeOptions } from './options.js';
import type { UpgradeOptions } from './types.js';

const NO_OPTIONS: UpgradeOptions<never> = Object.freeze({});

/** Options objects already checked: a server passes the same one on every upgrade. */
const checkedOptions = new WeakSet<object>();

/**
 * Completes a WebSocket opening handshake (RFC 6455 §4.2) for a `node:http`/`node:https`
 * server's `'upgrade'` event and starts a session on the socket:
 *
 * ```ts
 * server.on('upgrade', (req, socket, head) => {
 *   handleUpgrade(req, socket, head, handler, { protocols: ['v1'], verify: checkToken });
 * });
 * ```
 *
 * In order: the request is validated (400, 405, 426 or 505 otherwise); `options.verify` runs and
 * its result becomes `session.context`; a subprotocol is picked from `options.protocols`;
 * the 101 is written; the session is built over a {@link SocketTransport} with `head` (bytes
 * that came with the request) replayed first; and the session is **activated for you** unless
 * `options.activate === false` (then call `session.activate()` yourself, e.g. after adding it
 * to a registry; nothing is read until then).
 *
 * A `verify` hook refuses by throwing or rejecting:
 * - `{ status, reason?, headers? }` or a `HandshakeRejection` with a 4xx/5xx status → that
 *   answer (e.g. 401 with `WWW-Authenticate`);
 * - an object with only a `reason` → 403;
 * - anything else (an `Error`: the hook failed) → 500 with a generic body, the error to
 *   `options.onError`.
 *
 * Every refusal carries `Connection: close` and a plain-text body stating the reason, and the
 * connection is closed after it. This function does not time the handshake out: node:http's
 * `headersTimeout` covers the request head, and a slow `verify` is the hook's to bound.
 *
 * @param req - the upgrade request.
 * @param socket - the socket from the event (a `net.Socket` or `tls.TLSSocket`).
 * @param head - the bytes the server read after the request head (may be empty).
 * @param handler - the session's callbacks.
 * @param options - session options (see `SessionOptions`) plus `verify`, `protocols`
 *   (default none), `activate` (default true) and `onError`.
 * @returns the session, or `null` if the request was refused or the client left.
 * @throws TypeError or RangeError (as a rejection) for invalid options or handler.
 */
export async function handleUpgrade<Context = unknown>(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  handler: Handler<Context>,
  options: UpgradeOptions<Context> = NO_OPTIONS,
): Promise<Session<Context> | null> {
  try {
    if (!checkedOptions.has(options)) {
      validateUpgradeOptions(options as UpgradeOptions<unknown>);
      validateSessionOptions(handler as Handler<unknown>, options);
      checkedOptions.add(options);
    } else if (typeof handler?.message !== 'function') {
      throw new TypeError('handler.message must be a function');
    }
  } catch (error) {
    // Misuse is loud; the client's connection is dropped rather than left hanging.
    socket.destroy();
    throw error;
  }
  // node:http may have set an idle timeout on the socket; the session has its own.
  (socket as Partial<Socket>).setTimeout?.(0);
  // The session keeps these headers: the usual values become shared strings, not one per request.
  shareCommonHeaderValues(req.headers);
  return completeUpgrade({
    socket,
    request: {
      method: req.method ?? '',
      path: req.url ?? '/',
      httpVersion: req.httpVersion,
      headers: req.headers,
      incoming: req,
    },
    head,
    handler,
    options,
  });
}
