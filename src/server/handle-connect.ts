// handleConnect: the server half of the WebSocket handshake over HTTP/2 (RFC 8441). It serves
// a `node:http2` server's `'stream'` event: validate the extended CONNECT, ask `verify`, pick a
// subprotocol and permessage-deflate, answer 200 with `stream.respond`, and run a session over
// the stream. `createServer({ http2: true })` runs the same steps on its own streams.
import {
  constants,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { buildConnectResponse, validateConnectRequest } from '../handshake/h2.js';
import { type HeaderList, selectSubprotocol } from '../handshake/http1.js';
import { accept } from '../session/start.js';
import type { Handler, Session } from '../session/types.js';
import { Http2StreamTransport } from '../transports/http2-stream.js';
import { nodeSessionHooks } from '../transports/node-hooks.js';
import { negotiateDeflate } from './negotiate-deflate.js';
import {
  protocolChoice,
  sessionOptionsOf,
  validateSessionOptions,
  validateUpgradeOptions,
} from './options.js';
import { type Refusal, refusalFromThrown } from './rejection.js';
import type { UpgradeOptions, UpgradeRequestInfo } from './types.js';

const NO_OPTIONS: UpgradeOptions<never> = Object.freeze({});

/** Options objects already checked: a server passes the same one on every stream. */
const checkedOptions = new WeakSet<object>();

// RFC 9113 §8.2.2: connection-specific fields make an HTTP/2 message malformed; a `verify`
// refusal written for HTTP/1.1 may carry them, so they are left out of the HTTP/2 answer;
// content-type and content-length are set for the body.
const OMITTED_REFUSAL_FIELDS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'content-type',
]);

/**
 * Completes a WebSocket opening handshake over HTTP/2 (RFC 8441 §4-5) for a `node:http2`
 * server's `'stream'` event and starts a session on the stream:
 *
 * ```ts
 * const server = http2.createSecureServer({ key, cert, settings: { enableConnectProtocol: true } });
 * server.on('stream', (stream, headers) => {
 *   if (headers[':method'] === 'CONNECT') void handleConnect(stream, headers, handler, { deflate: true });
 * });
 * ```
 *
 * The server must advertise `settings: { enableConnectProtocol: true }` (RFC 8441 §3), or
 * clients may not send the request. Do not add a `'request'` listener to that server: node's
 * compatibility layer then answers every CONNECT with 405 (nodejs/node#36977).
 *
 * In order: the request is validated (400, 405 with `allow: CONNECT`, or 501 otherwise, as
 * `validateConnectRequest` says); `options.verify` runs (its `UpgradeRequestInfo` has `method`
 * `CONNECT`, `httpVersion` `2.0` and `http2Session`) and its result becomes `session.context`;
 * a subprotocol is picked; permessage-deflate is negotiated as over HTTP/1.1; `:status 200` is
 * sent (no `sec-websocket-accept` over HTTP/2); the session runs over an
 * {@link Http2StreamTransport} and is **activated for you** unless `options.activate === false`.
 * Refusals are answered with the status, a plain-text body stating the reason, END_STREAM and
 * then RST_STREAM NO_ERROR, so the client stops sending (RFC 9113 §8.1). `verify` refusals map to
 * statuses as `handleUpgrade` describes; connection-specific headers in them are dropped.
 *
 * @param stream - the stream from the event.
 * @param headers - its request headers (pseudo-headers included).
 * @param handler - the session's callbacks.
 * @param options - as `handleUpgrade`'s: session options plus `verify`, `protocols`, `deflate`
 *   (default off), `activate` (default true) and `onError`.
 * @returns the session, or `null` if the request was refused or the stream went away.
 * @throws TypeError or RangeError (as a rejection) for invalid options or handler.
 */
export async function handleConnect<Context = unknown>(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
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
    // Misuse is loud; the client's stream is reset rather than left hanging.
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    throw error;
  }
  return completeConnect({ stream, headers, handler, options });
}

/** Everything {@link completeConnect} needs for one stream. */
export interface ConnectJob<Context> {
  stream: ServerHttp2Stream;
  headers: IncomingHttpHeaders;
  handler: Handler<Context>;
  options: UpgradeOptions<Context>;
  /** Called with the session after the 200 is sent and before it is activated. */
  register?: (session: Session<Context>) => void;
  /** Still wanted? `createServer` says no once it is closing. Default: always. */
  wanted?: () => boolean;
}

/**
 * Runs the handshake on `job.stream`. Never rejects: every failure is answered (or the stream
 * reset) and reported as `null`; a `verify` hook that throws an Error goes to `options.onError`.
 */
export async function completeConnect<Context>(job: ConnectJob<Context>): Promise<Session<Context> | null> {
  const { stream, options } = job;
  // A reset while `verify` runs must not become an unhandled 'error'.
  const swallow = () => {};
  stream.on('error', swallow);
  try {
    return await connectStream(job);
  } catch (error) {
    // Only a bug of ours or of a handler's `open` gets here: reset the stream, say why.
    if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    report(options, error);
    return null;
  } finally {
    stream.off('error', swallow);
  }
}

async function connectStream<Context>(job: ConnectJob<Context>): Promise<Session<Context> | null> {
  const { stream, headers, options } = job;
  // undici sends a key over HTTP/2 and needs its accept back; Chromium sends none.
  const validated = validateConnectRequest(headers, { tolerateKey: true });
  if (!validated.ok) {
    refuse(
      stream,
      { status: validated.status, reason: validated.reason, headers: validated.headers },
      options,
    );
    return null;
  }

  const session = stream.session as ServerHttp2Session | undefined;
  const socket = session?.socket as { remoteAddress?: string; encrypted?: boolean } | undefined;
  const info: UpgradeRequestInfo = {
    method: 'CONNECT',
    path: validated.path,
    httpVersion: '2.0',
    headers,
    host: validated.authority,
    origin: validated.origin,
    protocols: validated.protocols,
    remoteAddress: socket?.remoteAddress,
    secure: socket?.encrypted === true,
    http2Session: session,
  };

  let context: Context | undefined;
  if (options.verify !== undefined) {
    try {
      context = await options.verify(info);
    } catch (thrown) {
      if (isGone(job)) {
        reset(stream);
        return null;
      }
      refuse(stream, refusalFromThrown(thrown), options);
      return null;
    }
  }
  // The client may have reset the stream, or the server closed, while `verify` ran.
  if (isGone(job)) {
    reset(stream);
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
    refuse(stream, refusalFromThrown(error), options);
    return null;
  }

  // RFC 8441 §5 keeps RFC 6455's extension negotiation: the same sec-websocket-extensions offer.
  const deflate = negotiateDeflate(options as UpgradeOptions<unknown>, validated.extensions);
  if (!deflate.ok) {
    refuse(stream, { status: 400, reason: deflate.reason, headers: [] }, options);
    return null;
  }
  const { extensions, compression } = deflate;

  // RFC 8441 §5: a 2xx answer opens the WebSocket; the stream's DATA frames carry it from here.
  stream.respond(
    Object.fromEntries(
      buildConnectResponse({ protocol, extensions: extensions ?? undefined, acceptKey: validated.key }),
    ),
  );
  const transport = new Http2StreamTransport(stream);
  let accepted: Session<Context>;
  try {
    accepted = accept<Context>(
      transport,
      {
        path: validated.path,
        headers,
        protocol: protocol ?? '',
        extensions: extensions ?? '',
        remoteAddress: info.remoteAddress,
      },
      job.handler,
      { ...nodeSessionHooks, ...sessionOptionsOf(options), context: context as Context, compression },
    );
  } catch (error) {
    compression?.compressor.close();
    throw error;
  }
  job.register?.(accepted);
  if (options.activate !== false) accepted.activate();
  return accepted;
}

function isGone({ stream, wanted }: { stream: ServerHttp2Stream; wanted?: () => boolean }): boolean {
  return stream.destroyed || stream.closed || !stream.writable || wanted?.() === false;
}

function reset(stream: ServerHttp2Stream): void {
  if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
}

/**
 * Answers a refused extended CONNECT: the status, extra headers in lower case (HTTP/2 field names
 * are), a plain-text reason, then RST_STREAM NO_ERROR so the client stops sending.
 */
export function answerStream(stream: ServerHttp2Stream, refusal: Refusal): boolean {
  if (stream.destroyed || stream.closed || stream.headersSent) return true;
  const fields: Record<string, string | string[]> = {};
  let valid = true;
  for (const [name, value] of refusal.headers as HeaderList) {
    const lower = name.toLowerCase();
    if (OMITTED_REFUSAL_FIELDS.has(lower) || lower.startsWith(':')) continue;
    const previous = fields[lower];
    fields[lower] = previous === undefined ? value : [...[previous].flat(), value];
  }
  const body = Buffer.from(`${refusal.reason}\n`, 'utf8');
  const head = {
    ...fields,
    ':status': refusal.status,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
  };
  try {
    stream.respond(head);
  } catch {
    valid = false;
    stream.respond({ ':status': 500, 'content-type': 'text/plain; charset=utf-8' });
    stream.end('Internal Server Error\n', () => stopStream(stream));
    return valid;
  }
  stream.end(body, () => stopStream(stream));
  return valid;
}

/** RST_STREAM NO_ERROR after a complete answer: the client may stop sending (RFC 9113 §8.1). */
function stopStream(stream: ServerHttp2Stream): void {
  if (stream.destroyed) return;
  stream.close(constants.NGHTTP2_NO_ERROR);
  // The client's side never ended: without destroy node would keep the stream open.
  stream.destroy();
}

function refuse(stream: ServerHttp2Stream, refusal: Refusal, options: UpgradeOptions<unknown>): void {
  if (refusal.internal !== undefined) report(options, refusal.internal);
  stream.on('error', () => {}); // a reset now changes nothing
  if (!answerStream(stream, refusal)) {
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
