// Idle WebSocket connections for the memory measurement: a bare TCP socket per connection
// that sends the RFC 6455 §4.1 opening request, checks the 101 and its
// Sec-WebSocket-Accept, then stays open sending nothing. No client library, so the same
// bytes reach both servers and the client process stays small.
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_RESPONSE_HEAD = 4096;

/** Connections opened by {@link openIdleConnections}. */
export interface IdleConnections {
  sockets: net.Socket[];
  /** Attempts that did not end in a valid 101. */
  failed: number;
  /** The first failure's reason. */
  firstError: string | undefined;
}

function upgradeOnce(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1')
      .update(key + WEBSOCKET_GUID)
      .digest('base64');
    const socket = net.connect({ host, port });
    let head = '';
    const fail = (reason: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(reason));
    };
    const timer = setTimeout(() => fail(`no 101 within ${timeoutMs} ms`), timeoutMs);
    socket.on('error', (error) => fail(error.message));
    socket.once('connect', () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_RESPONSE_HEAD) fail('response head too long');
        return;
      }
      const lines = head.slice(0, end).split('\r\n');
      if (!/^HTTP\/1\.1 101 /.test(lines[0])) return fail(`answered ${lines[0]}`);
      const acceptLine = lines.find((line) => /^sec-websocket-accept:/i.test(line));
      if (acceptLine?.slice(acceptLine.indexOf(':') + 1).trim() !== accept) {
        return fail('wrong Sec-WebSocket-Accept');
      }
      clearTimeout(timer);
      // Idle from here: nothing is expected, anything that comes is dropped.
      socket.off('data', onData);
      socket.on('data', () => {});
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/** Opens `count` idle connections to the `ws://host:port/` URL, `batch` at a time. */
export async function openIdleConnections(
  url: string,
  count: number,
  batch = 250,
  timeoutMs = 10_000,
): Promise<IdleConnections> {
  const { hostname, port } = new URL(url);
  const result: IdleConnections = { sockets: [], failed: 0, firstError: undefined };
  for (let opened = 0; opened < count; opened += batch) {
    const size = Math.min(batch, count - opened);
    const outcomes = await Promise.allSettled(
      Array.from({ length: size }, () => upgradeOnce(hostname, Number(port), timeoutMs)),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') result.sockets.push(outcome.value);
      else {
        result.failed++;
        result.firstError ??= (outcome.reason as Error).message;
      }
    }
    // Give up early rather than hammer a server that refuses.
    if (result.failed > Math.max(10, count / 100)) break;
  }
  return result;
}

/** Drops every connection (no closing handshake: the server sees them go at once). */
export function dropIdleConnections(idle: IdleConnections): void {
  for (const socket of idle.sockets) socket.destroy();
  idle.sockets = [];
}
