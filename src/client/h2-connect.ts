// `connect(url, handler, { http2: true })`: the WebSocket client over HTTP/2 (RFC 8441). Takes
// the shared connection to the origin (h2-pool), waits for the server's SETTINGS, refuses to go
// on unless they advertised SETTINGS_ENABLE_CONNECT_PROTOCOL, sends the extended CONNECT on a new
// stream, checks the 2xx answer and runs a client session (frames still masked, RFC 8441 §5)
// over the stream. Every failure is a ConnectError and leaves no stream behind.
import { type ClientHttp2Stream, constants, type IncomingHttpHeaders } from 'node:http2';
import type * as tls from 'node:tls';
import { createZlibCompressor } from '../extensions/deflate-zlib.js';
import {
  acceptDeflateResponse,
  buildDeflateOffer,
  PERMESSAGE_DEFLATE,
  type ResolvedDeflateOptions,
} from '../extensions/permessage-deflate.js';
import { buildConnectRequest, peerAllowsExtendedConnect, validateConnectResponse } from '../handshake/h2.js';
import type { HeaderList } from '../handshake/http1.js';
import type { SessionCompression } from '../session/compression.js';
import type { WebSocketSession } from '../session/session.js';
import { activateAfterConnect, createClientSession } from '../session/start.js';
import type { Clock, Handler, HandshakeInfo, Session, SessionOptions } from '../session/types.js';
import { Http2StreamTransport } from '../transports/http2-stream.js';
import { nodeSessionHooks } from '../transports/node-hooks.js';
import { ConnectError } from './connect-error.js';
import { acquireSession, type PooledSession, releaseSession } from './h2-pool.js';
import type { WebSocketTarget } from './websocket-url.js';

/** What `connect` has already checked and prepared, for the HTTP/2 path. */
export interface H2ConnectPlan<Context> {
  target: WebSocketTarget;
  protocols: string[];
  /** Extra headers, any case (sent lower-case). */
  headers: HeaderList;
  origin: string | undefined;
  deflate: ResolvedDeflateOptions | null;
  timeout: number;
  clock: Clock;
  signal: AbortSignal | undefined;
  tls: tls.ConnectionOptions;
  sessionOptions: SessionOptions;
  maskKeys: (() => number) | undefined;
  context: Context | undefined;
}

/** Opens a WebSocket as an extended CONNECT stream on the origin's shared HTTP/2 connection. */
export async function connectOverHttp2<Context>(
  plan: H2ConnectPlan<Context>,
  handler: Handler<Context>,
): Promise<Session<Context>> {
  const { target } = plan;
  const where = `${target.hostname}:${target.port}`;
  if (plan.signal?.aborted) {
    throw new ConnectError('WS_ERR_ABORTED', `Connection to ${where} aborted`, { cause: plan.signal.reason });
  }
  // Throws TypeError for a protocol that is not a token, a repeated one, or a bad header.
  const request = buildConnectRequest({
    authority: target.hostHeader,
    // RFC 8441 §5: :scheme is https for wss, http for ws.
    scheme: target.secure ? 'https' : 'http',
    path: target.path,
    protocols: plan.protocols,
    origin: plan.origin,
    extensions: plan.deflate === null ? undefined : buildDeflateOffer(plan.deflate),
    // RFC 9113 §8.2.1: field names are lower-case in HTTP/2.
    headers: plan.headers.map(([name, value]) => [name.toLowerCase(), value]),
  });

  const pooled = acquireSession(target, plan.tls);
  let stream: ClientHttp2Stream | undefined;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    releaseSession(pooled);
  };
  const giveUp = () => {
    if (stream !== undefined) {
      stream.on('error', () => {}); // its end is ours; nothing more to hear
      if (!stream.destroyed) {
        stream.close(constants.NGHTTP2_CANCEL);
        // Our side never ended: without destroy, node would keep the stream (and 'close') pending.
        stream.destroy();
      }
    } else {
      release();
    }
  };

  let timer: unknown;
  let onAbort: (() => void) | undefined;
  const guard = new Promise<never>((_, reject) => {
    if (plan.timeout > 0) {
      timer = plan.clock.setTimeout(() => {
        reject(
          new ConnectError(
            'WS_ERR_HANDSHAKE_TIMEOUT',
            `No WebSocket answer from ${where} over HTTP/2 within ${plan.timeout} ms`,
          ),
        );
      }, plan.timeout);
    }
    if (plan.signal !== undefined) {
      onAbort = () =>
        reject(
          new ConnectError('WS_ERR_ABORTED', `Connection to ${where} aborted`, {
            cause: plan.signal!.reason,
          }),
        );
      plan.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  guard.catch(() => {});

  try {
    await Promise.race([pooled.ready, guard]);
    // RFC 8441 §3: no :protocol before the server sent SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
    if (!peerAllowsExtendedConnect(pooled.session.remoteSettings)) {
      throw new ConnectError(
        'WS_ERR_H2_NO_CONNECT_PROTOCOL',
        `${where} speaks HTTP/2 but did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): it cannot take WebSockets over HTTP/2`,
      );
    }
    stream = pooled.session.request(requestHeaders(request), { endStream: false });
    stream.once('close', release);
    const answer = await Promise.race([responseOf(stream, where), guard]);
    return startSession(plan, handler, pooled, stream, request, answer);
  } catch (error) {
    giveUp();
    throw error;
  } finally {
    if (timer !== undefined) plan.clock.clearTimeout(timer);
    if (onAbort !== undefined) plan.signal?.removeEventListener('abort', onAbort);
  }
}

function startSession<Context>(
  plan: H2ConnectPlan<Context>,
  handler: Handler<Context>,
  pooled: PooledSession,
  stream: ClientHttp2Stream,
  request: HeaderList,
  answer: IncomingHttpHeaders,
): Session<Context> {
  const { target, deflate } = plan;
  const verdict = validateConnectResponse(answer, {
    protocols: plan.protocols,
    extensionsOffered: deflate === null ? [] : [PERMESSAGE_DEFLATE],
  });
  // RFC 7692 §5: a response the offer does not allow fails the connection.
  const deflateAnswer =
    verdict.ok && deflate !== null ? acceptDeflateResponse(verdict.extensions, deflate) : null;
  if (!verdict.ok || (deflateAnswer !== null && !deflateAnswer.ok)) {
    const [code, reason] = !verdict.ok
      ? [verdict.code, verdict.reason]
      : (['WS_ERR_HANDSHAKE_EXTENSION', (deflateAnswer as { reason: string }).reason] as const);
    const status = Number(answer[':status']);
    throw new ConnectError(code, `Invalid HTTP/2 WebSocket answer from ${target.href}: ${reason}`, {
      status: Number.isInteger(status) ? status : undefined,
      headers: answer as Record<string, string | string[]>,
    });
  }
  const negotiated = deflateAnswer?.ok === true ? deflateAnswer.negotiated : null;
  const compression: SessionCompression | undefined =
    negotiated === null
      ? undefined
      : {
          compressor: createZlibCompressor({ role: 'client', ...negotiated, memLevel: deflate!.memLevel }),
          threshold: deflate!.threshold,
        };
  const socket = pooled.session.socket as { remoteAddress?: string } | undefined;
  const handshake: HandshakeInfo = {
    path: target.path,
    headers: requestHeaders(request),
    protocol: verdict.protocol,
    extensions: verdict.extensions,
    remoteAddress: socket?.remoteAddress,
  };
  let session: WebSocketSession<Context>;
  try {
    session = createClientSession(new Http2StreamTransport(stream), handshake, handler, {
      ...plan.sessionOptions,
      maskKeys: plan.maskKeys,
      ...nodeSessionHooks,
      context: plan.context,
      compression,
    });
  } catch (error) {
    compression?.compressor.close();
    throw error;
  }
  activateAfterConnect(session);
  return session;
}

/** Waits for the answer's headers; a stream that fails or closes first is a ConnectError. */
function responseOf(stream: ClientHttp2Stream, where: string): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const fail = (error?: Error) => {
      stream.off('response', onResponse);
      const code = stream.rstCode;
      reject(
        new ConnectError(
          'WS_ERR_HANDSHAKE_CLOSED',
          `The HTTP/2 stream to ${where} closed before the answer${code ? ` (RST_STREAM ${code})` : ''}`,
          error === undefined ? {} : { cause: error },
        ),
      );
    };
    const onResponse = (headers: IncomingHttpHeaders) => {
      stream.off('error', fail);
      stream.off('close', onClose);
      resolve(headers);
    };
    const onClose = () => fail();
    stream.once('response', onResponse);
    stream.once('error', fail);
    stream.once('close', onClose);
  });
}

/** A header list as node's `http2` headers object; a repeated name becomes an array. */
function requestHeaders(list: HeaderList): Record<string, string | string[]> {
  const map: Record<string, string | string[]> = {};
  for (const [name, value] of list) {
    const previous = map[name];
    map[name] =
      previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return map;
}
