// The client's HTTP/2 connections: one `http2.connect` session per origin (and TLS settings),
// shared by every WebSocket `connect(url, handler, { http2: true })` opens to that origin, and
// closed when the last of them has closed. Each entry knows when the server's first SETTINGS
// arrived, since RFC 8441 §3 lets a client send `:protocol` only after that.
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { H2_STREAM_WINDOW_BYTES, widenConnectionWindow } from '../transports/http2-stream.js';
import { ConnectError, type ConnectPhase, socketFailure } from './connect-error.js';
import type { WebSocketTarget } from './websocket-url.js';

/** One shared HTTP/2 connection. */
export interface PooledSession {
  readonly session: http2.ClientHttp2Session;
  /** Resolves once the server's SETTINGS arrived; rejects with a ConnectError if it failed first. */
  readonly ready: Promise<void>;
  /** WebSocket streams (opening or open) on it. */
  users: number;
}

interface Entry extends PooledSession {
  key: string;
  tls: tls.ConnectionOptions;
}

const pool = new Map<string, Entry[]>();

// Errors that happen before TLS starts: the TCP connection itself failed.
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NODATA',
  'EAI_NONAME',
]);

/** The number of live shared connections (all origins): tests watch it. */
export function pooledSessionCount(): number {
  let count = 0;
  for (const entries of pool.values()) count += entries.length;
  return count;
}

/**
 * A usable shared connection to `target`'s origin with these TLS settings, opened if there is
 * none; counts one more user. Call {@link releaseSession} once for it when that user is done.
 */
export function acquireSession(target: WebSocketTarget, tlsOptions: tls.ConnectionOptions): PooledSession {
  const key = `${target.secure ? 'https' : 'http'}://${target.hostname}:${target.port}`;
  const entries = pool.get(key) ?? [];
  let entry = entries.find((candidate) => usable(candidate) && sameTls(candidate.tls, tlsOptions));
  if (entry === undefined) {
    entry = open(key, target, tlsOptions);
    entries.push(entry);
    pool.set(key, entries);
  }
  entry.users++;
  return entry;
}

/** One user of `entry` is done; the connection closes (GOAWAY) when it was the last. */
export function releaseSession(pooled: PooledSession): void {
  const entry = pooled as Entry;
  entry.users--;
  if (entry.users > 0) return;
  drop(entry);
  if (!entry.session.closed && !entry.session.destroyed) entry.session.close();
}

function usable(entry: Entry): boolean {
  const { session } = entry;
  return !session.closed && !session.destroyed && !(entry as { goaway?: boolean }).goaway;
}

function sameTls(a: tls.ConnectionOptions, b: tls.ConnectionOptions): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of keys) {
    if ((a as Record<string, unknown>)[name] !== (b as Record<string, unknown>)[name]) return false;
  }
  return true;
}

function drop(entry: Entry): void {
  const entries = pool.get(entry.key);
  if (entries === undefined) return;
  const index = entries.indexOf(entry);
  if (index >= 0) entries.splice(index, 1);
  if (entries.length === 0) pool.delete(entry.key);
}

const WINDOW_SETTINGS: http2.Settings = { initialWindowSize: H2_STREAM_WINDOW_BYTES, maxFrameSize: 65536 };

function open(key: string, target: WebSocketTarget, tlsOptions: tls.ConnectionOptions): Entry {
  const where = `${target.hostname}:${target.port}`;
  const session = target.secure
    ? http2.connect(key, {
        // RFC 6066 §3: SNI carries host names only, never IP addresses.
        servername: net.isIP(target.hostname) === 0 ? target.hostname : undefined,
        settings: WINDOW_SETTINGS,
        ...(tlsOptions as http2.SecureClientSessionOptions),
      })
    : // h2c with prior knowledge (RFC 9113 §3.3): ws:// over HTTP/2 without TLS.
      http2.connect(key, { settings: WINDOW_SETTINGS });
  session.once('connect', () => widenConnectionWindow(session));
  let phase: ConnectPhase = 'connecting';
  const entry = { key, tls: tlsOptions, session, users: 0 } as Entry & { ready: Promise<void> };
  entry.ready = new Promise<void>((resolve, reject) => {
    const onSettings = () => {
      session.off('close', onClose);
      resolve();
    };
    const onError = (error: Error & { code?: string }) => {
      if (phase === 'connecting' && target.secure && !NETWORK_ERRORS.has(error.code ?? ''))
        phase = 'securing';
      if (phase === 'handshaking' && target.secure && session.alpnProtocol !== 'h2') {
        // The TLS handshake agreed on no protocol or on http/1.1: node's HTTP/2 frames then fail.
        reject(
          new ConnectError(
            'WS_ERR_H2_NO_CONNECT_PROTOCOL',
            `${where} did not agree to HTTP/2 in the TLS handshake (ALPN): it cannot take WebSockets over HTTP/2`,
            { cause: error },
          ),
        );
        return;
      }
      reject(socketFailure(error, phase, where));
    };
    const onClose = () => {
      reject(
        new ConnectError(
          'WS_ERR_HANDSHAKE_CLOSED',
          `HTTP/2 connection to ${where} closed before the server's SETTINGS arrived`,
        ),
      );
    };
    session.once('connect', () => {
      phase = 'handshaking';
    });
    session.once('remoteSettings', onSettings);
    session.once('error', onError);
    session.once('close', onClose);
  });
  // Nobody may be waiting when it fails (all users gave up): that is not an unhandled rejection.
  entry.ready.catch(() => {});
  // Errors after the connection was up reach each stream; the session only has to leave the pool.
  session.on('error', () => {});
  session.on('close', () => drop(entry));
  session.on('goaway', () => {
    (entry as { goaway?: boolean }).goaway = true;
    drop(entry);
  });
  return entry;
}
