// The server half of the opening handshake once a request head is in hand, shared by
// `handleUpgrade` (node:http) and `createServer` (our own head reader): validate (RFC 6455
// §4.2.1), ask `verify`, pick a subprotocol, answer 101 or an error, start the session.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  buildUpgradeResponse,
  type HeaderList,
  type HeaderMap,
  selectSubprotocol,
  serializeResponseHead,
  validateUpgradeRequest,
} from '../handshake/http1.js';
import { accept, type StartOptions } from '../session/start.js';
import type { Handler, HandshakeInfo, Session } from '../session/types.js';
import { SocketTransport } from '../transports/net-socket.js';
import { nodeSessionHooks } from '../transports/node-hooks.js';
import { negotiateDeflate } from './negotiate-deflate.js';
import { protocolChoice, sessionOptionsOf } from './options.js';
import { answerAndClose, type Refusal, refusalFromThrown } from './rejection.js';
import type { UpgradeOptions, UpgradeRequestInfo } from './types.js';

/** A request head, from node's `IncomingMessage` or from our reader. */
export interface UpgradeRequestHead {
  method: string;
  path: string;
  httpVersion: string;
  headers: HeaderMap;
  /** node's request, when there is one (`handleUpgrade`). */
  incoming?: IncomingMessage;
}

/** Everything {@link completeUpgrade} needs for one connection. */
export interface UpgradeJob<Context> {
  socket: Duplex;
  request: UpgradeRequestHead;
  /** Bytes that followed the request head. */
  head: Uint8Array;
  handler: Handler<Context>;
  options: UpgradeOptions<Context>;
  /** Called with the session after the 101 is queued and before it is activated. */
  register?: (session: Session<Context>) => void;
  /** Still wanted? `createServer` says no once it is closing. Default: always. */
  wanted?: () => boolean;
  /** Makes the session's transport over `socket`. Default: a {@link SocketTransport}. */
  transport?: (socket: Duplex) => SocketTransport;
}

/**
 * Runs the rest of the handshake on `job.socket`. Never rejects: every failure is answered
 * (or the socket dropped) and reported as `null`; a `verify` hook that throws an Error is also
 * reported to `options.onError`.
 */
export async function completeUpgrade<Context>(job: UpgradeJob<Context>): Promise<Session<Context> | null> {
  const { socket, options } = job;
  // A reset while `verify` runs must not become an unhandled 'error'.
  const swallow = () => {};
  socket.on('error', swallow);
  try {
    return await upgrade(job);
  } catch (error) {
    // Only a bug of ours or of a handler's `open` gets here: drop the connection, say why.
    socket.destroy();
    report(options, error);
    return null;
  } finally {
    socket.off('error', swallow);
  }
}

async function upgrade<Context>(job: UpgradeJob<Context>): Promise<Session<Context> | null> {
  const { socket, request, options } = job;
  const validated = validateUpgradeRequest(request);
  if (!validated.ok) {
    refuse(
      socket,
      { status: validated.status, reason: validated.reason, headers: validated.headers },
      options,
    );
    return null;
  }

  const peer = socket as Partial<Socket> & { encrypted?: boolean };
  const info: UpgradeRequestInfo = {
    method: request.method,
    path: request.path,
    httpVersion: request.httpVersion,
    headers: request.headers,
    host: validated.host,
    origin: validated.origin,
    protocols: validated.protocols,
    remoteAddress: peer.remoteAddress,
    secure: peer.encrypted === true,
  };
  if (request.incoming !== undefined) info.request = request.incoming;

  let context: Context | undefined;
  if (options.verify !== undefined) {
    try {
      context = await options.verify(info);
    } catch (thrown) {
      if (isGone(job)) {
        socket.destroy();
        return null;
      }
      refuse(socket, refusalFromThrown(thrown), options);
      return null;
    }
  }
  // The client may have left, or the server closed, while `verify` ran.
  if (isGone(job)) {
    socket.destroy();
    return null;
  }

  let protocol: string | undefined;
  try {
    protocol = selectSubprotocol(
      validated.protocols,
      protocolChoice(options as UpgradeOptions<unknown>, info),
    );
  } catch (error) {
    // A selector function that returned a protocol the client did not offer.
    refuse(socket, refusalFromThrown(error), options);
    return null;
  }

  // RFC 7692 §5: accept the first acceptable permessage-deflate offer, if we compress at all.
  const deflate = negotiateDeflate(
    options as UpgradeOptions<unknown>,
    request.headers['sec-websocket-extensions'] ?? '',
  );
  if (!deflate.ok) {
    refuse(socket, { status: 400, reason: deflate.reason, headers: [] }, options);
    return null;
  }
  const { extensions, compression } = deflate;

  let extraHeaders: HeaderList | undefined;
  let response: string;
  try {
    const own = buildUpgradeResponse({ key: validated.key, protocol, extensions: extensions ?? undefined });
    extraHeaders = options.responseHeaders?.(info, own);
    response = serializeResponseHead(
      101,
      'Switching Protocols',
      extraHeaders === undefined || extraHeaders.length === 0
        ? own
        : buildUpgradeResponse({
            key: validated.key,
            protocol,
            extensions: extensions ?? undefined,
            headers: extraHeaders,
          }),
    );
  } catch (error) {
    // A responseHeaders hook that threw or gave headers that may not be sent.
    refuse(socket, refusalFromThrown(error instanceof Error ? error : new Error(String(error))), options);
    return null;
  }

  const transport = job.transport?.(socket) ?? new SocketTransport(socket);
  // The session keeps this object as `session.handshake`: with an empty head it has none,
  // so it is kept as it is rather than copied.
  const handshake: HandshakeInfo = {
    path: request.path,
    headers: request.headers,
    protocol: protocol ?? '',
    extensions: extensions ?? '',
    remoteAddress: info.remoteAddress,
  };
  if (job.head.length > 0) handshake.head = job.head;
  const base = startOptionsOf(options) as StartOptions<Context>;
  const session = accept<Context>(
    transport,
    handshake,
    job.handler,
    context === undefined && compression === undefined
      ? base
      : { ...base, context: context as Context, compression },
  );
  // Straight to the socket, not through the transport: a transport's first write makes its
  // flush callback, which an idle connection need not carry.
  if (!socket.destroyed && !socket.writableEnded) socket.write(response, 'latin1');
  job.register?.(session);
  if (options.activate !== false) session.activate();
  return session;
}

/**
 * Node's hooks and the session's share of `options`, made once per options object: a server
 * passes the same one for every connection, so a handshake makes no copy of them (as
 * `handleUpgrade` checks an options object once, later changes to it are not seen).
 */
const startOptionsByOptions = new WeakMap<object, StartOptions<unknown>>();

function startOptionsOf(options: UpgradeOptions<unknown>): StartOptions<unknown> {
  let start = startOptionsByOptions.get(options);
  if (start === undefined) {
    start = Object.freeze({ ...nodeSessionHooks, ...sessionOptionsOf(options) });
    startOptionsByOptions.set(options, start);
  }
  return start;
}

function isGone({ socket, wanted }: { socket: Duplex; wanted?: () => boolean }): boolean {
  return socket.destroyed || !socket.writable || wanted?.() === false;
}

function refuse(socket: Duplex, refusal: Refusal, options: UpgradeOptions<unknown>): void {
  if (refusal.internal !== undefined) report(options, refusal.internal);
  if (!answerAndClose(socket, refusal)) {
    report(options, new TypeError(`invalid headers in a refusal with status ${refusal.status}`));
  }
}

function report(options: UpgradeOptions<unknown>, error: unknown): void {
  try {
    options.onError?.(error instanceof Error ? error : new Error(String(error)));
  } catch {
    // An error reporter that throws has nothing more to tell.
  }
}
