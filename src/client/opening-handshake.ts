// The client's side of the wire during the opening handshake: opens the TCP or TLS socket,
// writes the upgrade request, reads the answer head, and hands back the paused socket with
// the bytes that followed a 101. Every failure destroys the socket and becomes a ConnectError.
//
// Phases (they decide an error's code): connecting (DNS, TCP) → securing (TLS, wss only) →
// handshaking (request written, waiting for the answer) → settled.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { type ReadResult, type ResponseHead, ResponseReader } from '../handshake/response-head.js';
import type { Clock } from '../session/types.js';
import { ConnectError, type ConnectPhase, socketFailure } from './connect-error.js';
import type { WebSocketTarget } from './websocket-url.js';

/** Options of {@link openHandshake}. */
export interface OpeningOptions {
  /** The request head to write. */
  request: string;
  /** Reject after this many ms without a 101 (0: never). */
  timeout: number;
  maxHead: number;
  maxErrorBody: number;
  clock: Clock;
  /** Passed to `tls.connect` for `wss:`. */
  tls: tls.ConnectionOptions;
  signal: AbortSignal | undefined;
}

/** A socket whose server answered 101; it is paused and has no listeners of ours left. */
export interface UpgradedSocket {
  socket: net.Socket;
  head: ResponseHead;
  /** Bytes that arrived after the head (the first frames). */
  rest: Uint8Array;
}

/** Connects, sends the request and waits for a 101 head. */
export function openHandshake(target: WebSocketTarget, options: OpeningOptions): Promise<UpgradedSocket> {
  return new Promise((resolve, reject) => {
    const where = `${target.hostname}:${target.port}`;
    if (options.signal?.aborted) {
      reject(
        new ConnectError('WS_ERR_ABORTED', `Connection to ${where} aborted`, {
          cause: options.signal.reason,
        }),
      );
      return;
    }
    const reader = new ResponseReader(options.maxHead, options.maxErrorBody);
    let phase: ConnectPhase | 'settled' = 'connecting';
    let socket: net.Socket;
    if (target.secure) {
      socket = tls.connect({
        host: target.hostname,
        port: target.port,
        // RFC 6066 §3: SNI carries host names only, never IP addresses.
        servername: net.isIP(target.hostname) === 0 ? target.hostname : undefined,
        ...options.tls,
      });
      socket.once('connect', () => {
        if (phase === 'connecting') phase = 'securing';
      });
      socket.once('secureConnect', () => {
        if (phase === 'securing' || phase === 'connecting') phase = 'handshaking';
      });
    } else {
      socket = net.connect({ host: target.hostname, port: target.port });
      socket.once('connect', () => {
        if (phase === 'connecting') phase = 'handshaking';
      });
    }
    // The socket buffers this until it is connected (and secured).
    socket.write(options.request, 'latin1');

    const timer =
      options.timeout > 0 ? options.clock.setTimeout(() => onTimeout(), options.timeout) : undefined;

    const cleanUp = (): void => {
      phase = 'settled';
      if (timer !== undefined) options.clock.clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    const fail = (error: ConnectError): void => {
      if (phase === 'settled') return;
      cleanUp();
      // Errors that follow the destroy (a write after it, a late TLS alert) have nowhere to go.
      socket.on('error', () => {});
      socket.destroy();
      reject(error);
    };
    const conclude = (result: ReadResult | undefined): void => {
      if (result === undefined || result.state === 'more') return;
      if (result.state === 'malformed') {
        fail(
          new ConnectError('WS_ERR_HANDSHAKE_MALFORMED', `Invalid answer from ${where}: ${result.reason}`),
        );
      } else if (result.state === 'refused') {
        const { status, statusText, headers } = result.head;
        const message = `Server at ${target.href} answered ${status}${statusText === '' ? '' : ` ${statusText}`} instead of 101`;
        fail(new ConnectError('WS_ERR_HANDSHAKE_STATUS', message, { status, headers, body: result.body }));
      } else {
        cleanUp();
        // Nothing more is read until the session resumes the socket through its transport.
        socket.pause();
        resolve({ socket, head: result.head, rest: result.rest });
      }
    };

    const onData = (bytes: Buffer): void => conclude(reader.push(bytes));
    const onEnd = (): void => {
      const refusal = reader.finish();
      if (refusal !== undefined) conclude(refusal);
      else
        fail(
          new ConnectError('WS_ERR_HANDSHAKE_CLOSED', `${where} closed the connection before answering 101`),
        );
    };
    const onError = (error: Error): void => {
      if (phase === 'settled') return;
      // A refusal followed by a reset still reports the refusal.
      const refusal = reader.finish();
      if (refusal !== undefined) conclude(refusal);
      else fail(socketFailure(error, phase, where));
    };
    const onTimeout = (): void => {
      // The server refused and is slow with the body: report the refusal with what came.
      const refusal = reader.finish();
      if (refusal !== undefined) conclude(refusal);
      else
        fail(
          new ConnectError(
            'WS_ERR_HANDSHAKE_TIMEOUT',
            `No answer from ${where} within ${options.timeout} ms`,
          ),
        );
    };
    function onAbort(): void {
      fail(
        new ConnectError('WS_ERR_ABORTED', `Connection to ${where} aborted`, {
          cause: options.signal?.reason,
        }),
      );
    }

    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
