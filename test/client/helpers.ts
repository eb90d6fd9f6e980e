// Client test helpers: a handler that records callbacks and turns them into promises, a raw
// TCP server that plays the WebSocket server by hand, and a throwaway self-signed certificate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeAccept } from '../../src/handshake/http1.js';
import type { Handler } from '../../src/session/types.js';
import { buildFrame, type ParsedFrame, parseChunks } from '../support/frames.js';

/** A failure guard for awaited events: rejects after `ms` with `what` in the message. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** A Handler that records every callback and offers promises of the ones tests wait for. */
export interface ClientRecorder extends Handler {
  log: string[];
  received: Array<string | Uint8Array>;
  errors: Error[];
  pings: Uint8Array[];
  pongs: Uint8Array[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once `count` messages have arrived. */
  messages(count: number): Promise<Array<string | Uint8Array>>;
  /** Resolves with the next pong's payload. */
  nextPong(): Promise<Uint8Array>;
  /** Resolves with the next ping's payload. */
  nextPing(): Promise<Uint8Array>;
}

export function clientRecorder(hooks: Partial<Handler> = {}): ClientRecorder {
  let resolveClosed!: (value: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    resolveClosed = resolve;
  });
  const messageWaiters: Array<{ count: number; resolve: (value: Array<string | Uint8Array>) => void }> = [];
  const pongWaiters: Array<(data: Uint8Array) => void> = [];
  const pingWaiters: Array<(data: Uint8Array) => void> = [];
  const recorder: ClientRecorder = {
    log: [],
    received: [],
    errors: [],
    pings: [],
    pongs: [],
    closed,
    messages(count) {
      if (recorder.received.length >= count) return Promise.resolve(recorder.received.slice(0, count));
      return new Promise((resolve) => messageWaiters.push({ count, resolve }));
    },
    nextPong: () => new Promise((resolve) => pongWaiters.push(resolve)),
    nextPing: () => new Promise((resolve) => pingWaiters.push(resolve)),
    open(session) {
      recorder.log.push('open');
      hooks.open?.(session);
    },
    message(session, data, isBinary) {
      recorder.log.push(
        isBinary ? `binary:${(data as Uint8Array).length}` : `text:${String(data).slice(0, 40)}`,
      );
      recorder.received.push(data);
      for (const waiter of messageWaiters.filter((w) => recorder.received.length >= w.count)) {
        messageWaiters.splice(messageWaiters.indexOf(waiter), 1);
        waiter.resolve(recorder.received.slice(0, waiter.count));
      }
      hooks.message?.(session, data, isBinary);
    },
    ping(session, data) {
      recorder.log.push('ping');
      recorder.pings.push(data);
      pingWaiters.shift()?.(data);
      hooks.ping?.(session, data);
    },
    pong(session, data) {
      recorder.log.push('pong');
      recorder.pongs.push(data);
      pongWaiters.shift()?.(data);
      hooks.pong?.(session, data);
    },
    error(session, error) {
      recorder.log.push(`error:${'code' in error ? String(error.code) : error.message}`);
      recorder.errors.push(error);
      hooks.error?.(session, error);
    },
    close(session, code, reason) {
      recorder.log.push(`close:${code}:${reason}`);
      resolveClosed({ code, reason });
      hooks.close?.(session, code, reason);
    },
  };
  return recorder;
}

/** The upgrade request a raw server read: its head as text, headers, and the key. */
export interface ReceivedRequest {
  requestLine: string;
  headers: Record<string, string>;
  key: string;
}

/** A TCP server on 127.0.0.1 that hands each connection to the test. */
export interface RawServer {
  port: number;
  url: string;
  /** Connections accepted so far. */
  sockets: net.Socket[];
  close(): Promise<void>;
}

export async function rawServer(onSocket: (socket: net.Socket) => void): Promise<RawServer> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    url: `ws://127.0.0.1:${port}/`,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Reads an upgrade request head from `socket`; `onFrames` then gets every later chunk. The
 * socket keeps flowing, so frames the client sends afterwards are collected by the caller.
 */
export function readRequest(socket: net.Socket, onBytes?: (bytes: Buffer) => void): Promise<ReceivedRequest> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    let done = false;
    socket.on('data', (chunk: Buffer) => {
      if (done) {
        onBytes?.(chunk);
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      done = true;
      const lines = buffered.toString('latin1', 0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ requestLine: lines[0]!, headers, key: headers['sec-websocket-key'] ?? '' });
      const rest = buffered.subarray(end + 4);
      if (rest.length > 0) onBytes?.(rest);
    });
  });
}

/** A 101 answer head for `key`, with extra header lines (each without CRLF). */
export function switchingProtocols(key: string, extraLines: string[] = []): string {
  return [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${computeAccept(key)}`,
    ...extraLines,
    '',
    '',
  ].join('\r\n');
}

/** A raw server that completes the handshake and then lets the test drive the socket. */
export interface UpgradedPeer {
  socket: net.Socket;
  /** Bytes the client sent after its request. */
  chunks: Buffer[];
  /** Frames the client sent (parsed as a server would: they must be masked). */
  frames(): ParsedFrame[];
  /** Resolves when the client has sent a frame with this opcode. */
  frameWithOpcode(opcode: number): Promise<ParsedFrame>;
  /** Resolves when the TCP connection is closed. */
  socketClosed: Promise<void>;
}

/** Serves one 101 to every client, then hands the socket to `onUpgraded`. */
export function upgradingServer(
  onUpgraded: (peer: UpgradedPeer) => void,
  options: { afterHead?: Uint8Array; extraLines?: string[] } = {},
): Promise<RawServer> {
  return rawServer((socket) => {
    const chunks: Buffer[] = [];
    const frameWaiters: Array<{ opcode: number; resolve: (frame: ParsedFrame) => void }> = [];
    const frames = () => parseChunks(chunks, { role: 'server' }).frames;
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const peer: UpgradedPeer = {
      socket,
      chunks,
      frames,
      socketClosed,
      frameWithOpcode(opcode) {
        const found = frames().find((f) => f.opcode === opcode);
        if (found !== undefined) return Promise.resolve(found);
        return new Promise((resolve) => frameWaiters.push({ opcode, resolve }));
      },
    };
    void readRequest(socket, (bytes) => {
      chunks.push(bytes);
      const parsed = frames();
      for (const waiter of [...frameWaiters]) {
        const found = parsed.find((f) => f.opcode === waiter.opcode);
        if (found === undefined) continue;
        frameWaiters.splice(frameWaiters.indexOf(waiter), 1);
        waiter.resolve(found);
      }
    }).then((request) => {
      const head = Buffer.from(switchingProtocols(request.key, options.extraLines), 'latin1');
      socket.write(options.afterHead === undefined ? head : Buffer.concat([head, options.afterHead]));
      onUpgraded(peer);
    });
  });
}

/** An unmasked server frame. */
export function serverFrame(
  opcode: number,
  payload: Uint8Array | string = new Uint8Array(0),
  fin = true,
): Uint8Array {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return buildFrame({ opcode, payload: bytes, fin });
}

export { closeBody } from '../support/frames.js';

/** The close code in a parsed close frame's hex payload. */
export function closeCodeOf(frame: ParsedFrame): number {
  return Number.parseInt(frame.payload.slice(0, 4), 16);
}

/** A free port: bound, then released (a connection to it is refused). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A self-signed certificate for 127.0.0.1 and localhost made with `openssl` (.ci/run installs it). */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wasmws-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    return {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } catch (error) {
    throw new Error(`openssl is needed to make a test certificate: ${(error as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A {@link selfSignedCertificate} also written to PEM files, for programs that take paths. */
export interface CertificateFiles {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
  /** The `--tls-cert F --tls-key F` arguments of `wasmws serve`. */
  serveArgs: string[];
  remove(): void;
}

export function certificateFiles(): CertificateFiles {
  const { cert, key } = selfSignedCertificate();
  const dir = mkdtempSync(join(tmpdir(), 'wasmws-pem-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, cert);
  writeFileSync(keyFile, key);
  return {
    cert,
    key,
    certFile,
    keyFile,
    serveArgs: ['--tls-cert', certFile, '--tls-key', keyFile],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
