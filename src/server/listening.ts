// What both acceptors (HTTP/1.1 and HTTP/2 + HTTP/1.1) do with their listening socket and their
// sessions when they start and stop: listen once and say where, close every session with the
// server's code, and wait for the listener to stop; and the server shape both implement.
import * as net from 'node:net';
import type { Session } from '../session/types.js';

/** Where a server listens, as `listen()` reports it. */
export interface ListenInfo {
  /** The bound address, e.g. `127.0.0.1` or `::1`. */
  host: string;
  /** The bound port (the one picked, for port 0). */
  port: number;
  /** `ws://host:port/` or `wss://host:port/`, IPv6 hosts in brackets. */
  url: string;
}

/** A listening WebSocket server built by `createServer` (HTTP/1.1, or HTTP/2 and HTTP/1.1 on one port). */
export interface WebSocketServer<Context = unknown> {
  /** Starts listening. Rejects with the listener's error (e.g. `EADDRINUSE`); once only. */
  listen(): Promise<ListenInfo>;
  /**
   * Stops accepting, drops connections still in their handshake, closes every session with
   * `code` (default 1001, "going away") and `reason` (default `server shutting down`), and
   * resolves once every connection is gone. Sessions whose peer does not answer the close are
   * dropped after the session's `closeTimeout` (default 5 s). Idempotent.
   *
   * @throws RangeError or TypeError for a code that may not be sent or a reason over 123 bytes.
   */
  close(code?: number, reason?: string): Promise<void>;
  /** The upgraded sessions; each leaves the set when its connection closes. */
  readonly sessions: ReadonlySet<Session<Context>>;
  /** The bound address, or `null` before `listen()` and after `close()`. */
  address(): net.AddressInfo | null;
}

/** The error of a second `listen()`, or of one after `close()`. */
export function listenRefusal(closing: boolean): Error {
  return new Error(closing ? 'the server is closed' : 'the server is already listening');
}

/** Listens on `port`/`host` and resolves with where, or rejects with the listener's error. */
export function listenOn(
  server: net.Server,
  port: number,
  host: string,
  secure: boolean,
): Promise<ListenInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { address, port: bound } = server.address() as net.AddressInfo;
      const shown = net.isIPv6(address) ? `[${address}]` : address;
      resolve({ host: address, port: bound, url: `${secure ? 'wss' : 'ws'}://${shown}:${bound}/` });
    });
  });
}

/** Resolves once the listener has stopped and every connection it counts has closed. */
export function stopListening(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}

/** Starts the closing handshake of every session (a session still connecting is dropped). */
export function closeEverySession(sessions: Iterable<Session<unknown>>, code: number, reason: string): void {
  for (const session of sessions) {
    try {
      if (session.state === 'connecting') session.terminate();
      else session.close(code, reason);
    } catch {
      // A code or reason that may not be sent: still close, without a closing handshake.
      session.terminate();
    }
  }
}
