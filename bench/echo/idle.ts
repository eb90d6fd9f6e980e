// Idle WebSocket connections for the memory measurement: a bare TCP socket per connection
// that sends the RFC 6455 §4.1 opening request, checks the 101 and its
// Sec-WebSocket-Accept, then stays open sending nothing. No client library, so the same
// bytes reach both servers and the client process stays small.
//
// With `deflate`, the request offers permessage-deflate as browsers and ws do, the 101 must
// accept it, and each connection then sends one compressed 1 KiB JSON message (RSV1) and
// waits for its echo, which must come back compressed and inflate to the same bytes: both
// of the server's zlib contexts exist before the connection goes idle. The client keeps no
// zlib state: the message is compressed once for all connections, each echo inflated once.
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import zlib from 'node:zlib';
import { messagePool } from '../../src/bench/payloads.js';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_RESPONSE_HEAD = 4096;
/** What browsers and ws's client offer by default. */
const DEFLATE_OFFER = 'permessage-deflate; client_max_window_bits';
/** RFC 7692 §7.2.1: the empty stored block a sync flush ends with, removed on the wire. */
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** The message each deflate connection exchanges: a 1 KiB JSON document, at ws's and our threshold. */
const exchanged = messagePool('json', 1024)[0]!;
let compressedExchange: Buffer | undefined;

/** RFC 7692 §7.2.1: raw deflate of the message, sync-flushed, without the trailing 00 00 ff ff. */
function compressedMessage(): Buffer {
  compressedExchange ??= zlib
    .deflateRawSync(exchanged, { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    .subarray(0, -DEFLATE_TAIL.length);
  return compressedExchange;
}

/** A masked client frame: FIN, RSV1 (compressed, RFC 7692 §6), binary. */
function compressedFrame(): Buffer {
  const payload = compressedMessage();
  const header =
    payload.length < 126
      ? Buffer.from([0xc2, 0x80 | payload.length])
      : Buffer.from([0xc2, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const mask = randomBytes(4);
  const masked = Buffer.allocUnsafe(payload.length);
  // RFC 6455 §5.3: every client frame is masked.
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([header, mask, masked]);
}

/**
 * What is wrong with the server's first frame in `bytes`, '' when it is the compressed echo,
 * or undefined while it is incomplete.
 */
function checkCompressedEcho(bytes: Buffer): string | undefined {
  if (bytes.length < 2) return undefined;
  if (bytes[0] !== 0xc2)
    return `echo frame starts 0x${bytes[0].toString(16)}, expected 0xc2 (FIN, RSV1, binary)`;
  if (bytes[1] & 0x80) return 'server frame is masked';
  let length = bytes[1] & 0x7f;
  let start = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    start = 4;
  } else if (length === 127) return 'echo frame longer than 64 KiB';
  if (bytes.length < start + length) return undefined;
  try {
    const compressed = Buffer.concat([bytes.subarray(start, start + length), DEFLATE_TAIL]);
    // The message ends with a sync flush, not the end of a deflate stream.
    const inflated = zlib.inflateRawSync(compressed, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return inflated.equals(exchanged) ? '' : 'echo inflates to other bytes';
  } catch (error) {
    return `echo does not inflate: ${(error as Error).message}`;
  }
}

/** Connections opened by {@link openIdleConnections}. */
export interface IdleConnections {
  sockets: net.Socket[];
  /** Attempts that did not end in a valid 101 (and, with deflate, a valid compressed echo). */
  failed: number;
  /** The first failure's reason. */
  firstError: string | undefined;
}

function upgradeOnce(host: string, port: number, timeoutMs: number, deflate: boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1')
      .update(key + WEBSOCKET_GUID)
      .digest('base64');
    const socket = net.connect({ host, port });
    let received = Buffer.alloc(0);
    let upgraded = false;
    const fail = (reason: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(reason));
    };
    const timer = setTimeout(
      () => fail(upgraded ? `no echo within ${timeoutMs} ms` : `no 101 within ${timeoutMs} ms`),
      timeoutMs,
    );
    socket.on('error', (error) => fail(error.message));
    socket.once('connect', () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          (deflate ? `Sec-WebSocket-Extensions: ${DEFLATE_OFFER}\r\n` : '') +
          '\r\n',
      );
    });
    const goIdle = () => {
      clearTimeout(timer);
      // Idle from here: nothing is expected, anything that comes is dropped.
      socket.off('data', onData);
      socket.on('data', () => {});
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      resolve(socket);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (upgraded) {
        const problem = checkCompressedEcho(received);
        if (problem === '') goIdle();
        else if (problem !== undefined) fail(problem);
        return;
      }
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > MAX_RESPONSE_HEAD) fail('response head too long');
        return;
      }
      const lines = received.subarray(0, end).toString('latin1').split('\r\n');
      if (!/^HTTP\/1\.1 101 /.test(lines[0])) return fail(`answered ${lines[0]}`);
      const header = (name: string) => {
        const line = lines.find((l) => l.toLowerCase().startsWith(`${name}:`));
        return line?.slice(line.indexOf(':') + 1).trim();
      };
      if (header('sec-websocket-accept') !== accept) return fail('wrong Sec-WebSocket-Accept');
      if (!deflate) return goIdle();
      if (!header('sec-websocket-extensions')?.startsWith('permessage-deflate')) {
        return fail('permessage-deflate not accepted');
      }
      upgraded = true;
      received = received.subarray(end + 4);
      socket.write(compressedFrame());
      if (received.length > 0) onData(Buffer.alloc(0));
    };
    socket.on('data', onData);
  });
}

/**
 * Opens `count` idle connections to the `ws://host:port/` URL, `batch` at a time; with
 * `deflate`, each negotiates permessage-deflate and exchanges one compressed message first.
 */
export async function openIdleConnections(
  url: string,
  count: number,
  batch = 250,
  timeoutMs = 10_000,
  deflate = false,
): Promise<IdleConnections> {
  const { hostname, port } = new URL(url);
  const result: IdleConnections = { sockets: [], failed: 0, firstError: undefined };
  for (let opened = 0; opened < count; opened += batch) {
    const size = Math.min(batch, count - opened);
    const outcomes = await Promise.allSettled(
      Array.from({ length: size }, () => upgradeOnce(hostname, Number(port), timeoutMs, deflate)),
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
