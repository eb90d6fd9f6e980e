// The opening handshake through `node:http`/`node:https` (`http.request` with the upgrade
// headers), for callers that shape the request the way node users do: an `agent` (proxies), a
// `createConnection`, a unix `socketPath`, or further request options (`lookup`, `family`,
// `localAddress` …). It resolves with the same paused socket, head and first frames as the raw
// path in opening-handshake.ts, and fails with the same ConnectError codes.
//
// Phases (they decide an error's code): connecting (DNS, TCP) → securing (TLS, wss only) →
// handshaking (request written, waiting for the answer) → settled.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { appendHeaderValue, type HeaderList, type HeaderMap } from '../handshake/headers.js';
import type { ResponseHead } from '../handshake/response-head.js';
import { ConnectError, type ConnectPhase, socketFailure } from './connect-error.js';
import type { OpeningOptions, UpgradedSocket } from './opening-handshake.js';
import type { WebSocketTarget } from './websocket-url.js';

/** node's `createConnection`: returns the socket, or calls back with it. */
export type CreateConnection = (
  options: http.ClientRequestArgs,
  callback: (error: Error | null, socket: Duplex) => void,
) => Duplex | null | undefined;

/** What shapes the request on this path (see ConnectOptions). */
export interface HttpRequestShape {
  agent?: http.Agent | false | undefined;
  createConnection?: CreateConnection | undefined;
  socketPath?: string | undefined;
  /** Further `http.request` options, as given. */
  request?: http.RequestOptions | undefined;
}

/** Options of {@link openHandshakeOverHttp}: the raw path's, with headers instead of a written head. */
export interface HttpOpeningOptions extends HttpRequestShape, Omit<OpeningOptions, 'request'> {
  /** The request's headers in order, the handshake's own (Host first) included. */
  headers: HeaderList;
}

/** Sends the upgrade request with `http.request` and waits for the 101. */
export function openHandshakeOverHttp(
  target: WebSocketTarget,
  options: HttpOpeningOptions,
): Promise<UpgradedSocket> {
  return new Promise((resolve, reject) => {
    const where = options.socketPath ?? `${target.hostname}:${target.port}`;
    if (options.signal?.aborted) {
      reject(aborted(where, options.signal.reason));
      return;
    }
    let phase: ConnectPhase | 'settled' = 'connecting';
    const flat: string[] = [];
    for (const [name, value] of options.headers) flat.push(name, value);
    const request: http.RequestOptions & tls.ConnectionOptions = {
      ...options.tls,
      ...options.request,
      maxHeaderSize: options.maxHead,
      method: 'GET',
      host: target.hostname,
      port: target.port,
      path: target.path,
      // An array is written as it is: node adds no Host, Connection or Authorization of its own.
      headers: flat,
    };
    if (options.socketPath !== undefined) request.socketPath = options.socketPath;
    if (options.agent !== undefined) request.agent = options.agent;
    else {
      // As ws does: a socket of our own rather than the global agent's pool.
      request.createConnection = (options.createConnection ??
        (target.secure ? secureConnection : plainConnection)) as never;
    }
    let req: http.ClientRequest;
    try {
      req = (target.secure ? https : http).request(request);
    } catch (error) {
      reject(error);
      return;
    }

    const timer =
      options.timeout > 0 ? options.clock.setTimeout(() => onTimeout(), options.timeout) : undefined;
    const settle = (): void => {
      phase = 'settled';
      if (timer !== undefined) options.clock.clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: ConnectError): void => {
      if (phase === 'settled') return;
      settle();
      req.on('error', () => {});
      req.destroy();
      reject(error);
    };

    req.on('socket', (socket: net.Socket) => {
      const connected = (): void => {
        if (phase === 'connecting') phase = target.secure ? 'securing' : 'handshaking';
      };
      const secured = (): void => {
        if (phase === 'securing' || phase === 'connecting') phase = 'handshaking';
      };
      // An agent may hand over a socket that is connected (or secured) already.
      if (socket.connecting === false) connected();
      else socket.once('connect', connected);
      if (!target.secure) return;
      if ((socket as tls.TLSSocket).encrypted === true && socket.connecting === false) secured();
      else socket.once('secureConnect', secured);
    });
    req.on('upgrade', (res: http.IncomingMessage, socket: net.Socket, rest: Buffer) => {
      if (phase === 'settled') {
        socket.destroy();
        return;
      }
      settle();
      // Nothing more is read until the session resumes the socket through its transport.
      socket.pause();
      resolve({ socket, head: headOf(res), rest });
    });
    req.on('response', (res: http.IncomingMessage) => {
      const head = headOf(res);
      const chunks: Buffer[] = [];
      let kept = 0;
      const refuse = (): void => {
        const body = Buffer.concat(chunks).subarray(0, options.maxErrorBody).toString();
        const message = `Server at ${target.href} answered ${head.status}${head.statusText === '' ? '' : ` ${head.statusText}`} instead of 101`;
        fail(
          new ConnectError('WS_ERR_HANDSHAKE_STATUS', message, {
            status: head.status,
            headers: head.headers,
            body,
          }),
        );
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        kept += chunk.length;
        if (kept >= options.maxErrorBody) refuse();
      });
      res.on('end', refuse);
      res.on('error', refuse);
      res.on('aborted', refuse);
    });
    req.on('error', (error: Error & { code?: string }) => {
      if (phase === 'settled') return;
      if (typeof error.code === 'string' && error.code.startsWith('HPE_')) {
        fail(
          new ConnectError('WS_ERR_HANDSHAKE_MALFORMED', `Invalid answer from ${where}: ${error.message}`),
        );
        return;
      }
      fail(socketFailure(error, phase, where));
    });
    const onTimeout = (): void =>
      fail(
        new ConnectError('WS_ERR_HANDSHAKE_TIMEOUT', `No answer from ${where} within ${options.timeout} ms`),
      );
    function onAbort(): void {
      fail(aborted(where, options.signal?.reason));
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

function aborted(where: string, reason: unknown): ConnectError {
  return new ConnectError('WS_ERR_ABORTED', `Connection to ${where} aborted`, { cause: reason });
}

/** The answer's head as the raw path reads it: repeated headers kept as arrays. */
function headOf(res: http.IncomingMessage): ResponseHead {
  const headers: HeaderMap = {};
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) appendHeaderValue(headers, raw[i]!.toLowerCase(), raw[i + 1]!);
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    headers: headers as Record<string, string | string[]>,
  };
}

// `path` is the request target in http.request's options, but a unix socket to net.connect.
function plainConnection(options: http.ClientRequestArgs): net.Socket {
  return net.connect({ ...options, path: options.socketPath } as net.NetConnectOpts);
}

function secureConnection(options: http.ClientRequestArgs & tls.ConnectionOptions): tls.TLSSocket {
  const host = options.host ?? '';
  return tls.connect({
    ...options,
    path: options.socketPath,
    // RFC 6066 §3: SNI carries host names only, never IP addresses.
    servername: options.servername ?? (net.isIP(host) === 0 ? host : ''),
  } as tls.ConnectionOptions);
}
