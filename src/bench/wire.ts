// The cheap load generator and the idle connections, on bare TCP sockets with the RFC 6455
// §4.1 handshake done by hand, so the server is what is measured:
// - a raw connection keeps `inFlight` messages out with as little work as a client can do:
//   the frames are masked once, in advance; each read is scanned for the echoes it
//   completes (headers checked: FIN, opcode, no mask, length) and as many frames go back out
//   in one write; every `fullCheckEvery`-th echo is compared byte for byte and digested;
// - an idle connection upgrades and then sends nothing; with deflate it first exchanges one
//   compressed message each way, so both of the server's zlib contexts exist.
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import zlib from 'node:zlib';
import { maskedFrame, PayloadDigest } from './payloads.js';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_RESPONSE_HEAD = 4096;
/** What browsers and ws's client offer by default. */
const DEFLATE_OFFER = 'permessage-deflate; client_max_window_bits';
/** RFC 7692 §7.2.1: the empty stored block a sync flush ends with, removed on the wire. */
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Opens a TCP connection to a `ws://` URL and completes the opening handshake; resolves with the socket and any bytes after the 101. */
export function upgrade(
  url: string,
  deflate: boolean,
  timeoutMs = 10_000,
): Promise<{ socket: net.Socket; rest: Buffer }> {
  const target = new URL(url);
  if (target.protocol !== 'ws:')
    return Promise.reject(new Error(`the cheap load generator speaks ws:// only, not ${url}`));
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: Number(target.port || 80),
    });
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    const fail = (reason: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(reason));
    };
    const timer = setTimeout(() => fail(`no 101 within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > MAX_RESPONSE_HEAD) fail('response head too long');
        return;
      }
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const header = (name: string) =>
        lines
          .find((l) => l.toLowerCase().startsWith(`${name}:`))
          ?.replace(/^[^:]*:\s*/, '')
          .trim();
      if (!/^HTTP\/1\.1 101 /.test(lines[0])) return fail(`answered ${lines[0]}`);
      if (header('sec-websocket-accept') !== accept) return fail('wrong Sec-WebSocket-Accept');
      const negotiated = header('sec-websocket-extensions')?.startsWith('permessage-deflate') ?? false;
      if (negotiated !== deflate)
        return fail(deflate ? 'permessage-deflate not accepted' : 'an extension was negotiated');
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      resolve({ socket, rest: head.subarray(end + 4) });
    };
    const onError = (error: Error) => fail(error.message);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.write(
      `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
        (deflate ? `Sec-WebSocket-Extensions: ${DEFLATE_OFFER}\r\n` : '') +
        '\r\n',
    );
  });
}

/** A connection the load generator drives. */
export interface Driven {
  start(): void;
  stop(): void;
  close(): void;
}

/** What every connection of one server's group shares: the raw frames, the counters and the checks. */
export class EchoGroup {
  echoes = 0;
  sent = 0;
  fullChecks = 0;
  outstanding = 0;
  /** Messages this group may still send (a fixed count); Infinity when driven by time. */
  budget = Number.POSITIVE_INFINITY;
  /** SHA-256 of the echoes compared byte for byte, and of what was sent for them. */
  received = new PayloadDigest();
  expected = new PayloadDigest();
  /** Round-trip times in µs, when asked for (`--url`). */
  latencies: number[] | undefined;
  readonly failures: string[] = [];
  /** `inFlight` copies of the masked frame, back to back. */
  readonly frames: Buffer;
  readonly frameBytes: number;

  constructor(
    readonly opcode: 1 | 2,
    readonly payload: Buffer,
    readonly inFlight: number,
    readonly fullCheckEvery: number,
  ) {
    // RFC 6455 §5.3: client frames are masked; one fixed key, never all zero.
    const frame = maskedFrame(opcode, payload, Uint8Array.of(0x37, 0xfa, 0x21, 0x3d));
    this.frames = Buffer.concat(Array.from({ length: inFlight }, () => frame));
    this.frameBytes = frame.length;
  }

  fail(reason: string): void {
    if (this.failures.length < 10) this.failures.push(reason);
  }
}

/** One raw connection: {@link RawConnection.start} fills its pipeline, {@link RawConnection.stop} lets it drain. */
export class RawConnection implements Driven {
  private sending = false;
  private outstanding = 0;
  private readonly header = Buffer.alloc(14);
  private headerHave = 0;
  private payloadLeft = 0;
  private payloadAt = 0;
  private checking = false;
  private sinceCheck = 0;
  private closing = false;
  private failed = false;
  /** Send times of the outstanding messages, oldest first (a ring of `inFlight`). */
  private readonly sentAt: Float64Array;
  private sentHead = 0;

  private constructor(
    private readonly socket: net.Socket,
    private readonly group: EchoGroup,
  ) {
    this.sentAt = new Float64Array(group.inFlight);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (error) => this.fail(`socket error: ${error.message}`));
    socket.on('close', () => {
      if (!this.closing) this.fail('closed by the server');
    });
  }

  /** Connects to `url` and completes the handshake. */
  static async open(url: string, group: EchoGroup): Promise<RawConnection> {
    const { socket, rest } = await upgrade(url, false);
    const connection = new RawConnection(socket, group);
    if (rest.length > 0) connection.read(rest);
    return connection;
  }

  /** Fills the pipeline; from now on each read is answered with as many messages as it completed. */
  start(): void {
    if (this.failed) return;
    this.sending = true;
    this.send(this.group.inFlight - this.outstanding);
  }

  /** Sends nothing more; echoes of what is outstanding are still read and checked. */
  stop(): void {
    this.sending = false;
  }

  /** Bytes read off the wire so far. */
  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  /** Closes the socket (no closing handshake: the run is over). */
  close(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private send(wanted: number): void {
    const group = this.group;
    const count = Math.min(wanted, group.budget);
    if (count <= 0) return;
    if (group.latencies !== undefined) {
      const now = performance.now();
      for (let i = 0; i < count; i++)
        this.sentAt[(this.sentHead + this.outstanding + i) % this.sentAt.length] = now;
    }
    group.budget -= count;
    this.outstanding += count;
    group.outstanding += count;
    group.sent += count;
    this.socket.write(group.frames.subarray(0, count * group.frameBytes));
  }

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.sending = false;
    this.group.outstanding -= this.outstanding;
    this.outstanding = 0;
    this.group.fail(reason);
  }

  /** Walks the frames in `chunk` (they may start and end anywhere), then answers the completed echoes in one write. */
  private read(chunk: Buffer): void {
    if (this.failed) return;
    const { payload } = this.group;
    let completed = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, chunk.length - at);
        if (this.checking) {
          const got = chunk.subarray(at, at + take);
          if (!got.equals(payload.subarray(this.payloadAt, this.payloadAt + take))) {
            this.fail(
              `echo differs from what was sent in bytes ${this.payloadAt}-${this.payloadAt + take - 1}`,
            );
            return;
          }
        }
        this.payloadAt += take;
        this.payloadLeft -= take;
        at += take;
        if (this.payloadLeft === 0) {
          if (!this.echoDone()) return;
          completed++;
        }
        continue;
      }
      // A header: 2 bytes, then 0, 2 or 8 more; the read may cut it.
      this.header[this.headerHave++] = chunk[at++];
      if (this.headerHave < 2) continue;
      const code = this.header[1] & 0x7f;
      const need = 2 + (code === 126 ? 2 : code === 127 ? 8 : 0);
      if (this.headerHave < need) continue;
      const problem = this.checkHeader(need);
      if (problem !== undefined) {
        this.fail(problem);
        return;
      }
      this.headerHave = 0;
      this.payloadAt = 0;
      this.payloadLeft = payload.length;
      this.checking = ++this.sinceCheck >= this.group.fullCheckEvery;
      if (this.checking) this.sinceCheck = 0;
      if (this.payloadLeft === 0) {
        if (!this.echoDone()) return;
        completed++;
      }
    }
    if (completed > 0 && this.sending) this.send(completed);
  }

  private checkHeader(headerBytes: number): string | undefined {
    const expected = 0x80 | this.group.opcode;
    if (this.header[0] !== expected)
      return `echo frame starts 0x${this.header[0].toString(16)}, expected 0x${expected.toString(16)}`;
    if (this.header[1] & 0x80) return 'server frame is masked';
    const code = this.header[1] & 0x7f;
    const length =
      code < 126 ? code : code === 126 ? this.header.readUInt16BE(2) : Number(this.header.readBigUInt64BE(2));
    if (headerBytes > 2 && length < 126) return 'non-minimal length';
    if (length !== this.group.payload.length)
      return `echo of ${length} bytes, expected ${this.group.payload.length}`;
    return undefined;
  }

  /** Counts one whole echo; false when it answers nothing we sent. */
  private echoDone(): boolean {
    const group = this.group;
    if (this.outstanding === 0) {
      this.fail('echo of a message that was not sent');
      return false;
    }
    if (group.latencies !== undefined) {
      group.latencies.push((performance.now() - this.sentAt[this.sentHead]) * 1000);
      this.sentHead = (this.sentHead + 1) % this.sentAt.length;
    }
    this.outstanding--;
    group.outstanding--;
    group.echoes++;
    if (this.checking) {
      group.fullChecks++;
      // Compared byte for byte as it arrived: what came back is what went out.
      group.received.add(group.payload);
      group.expected.add(group.payload);
    }
    return true;
  }
}

/** RFC 7692 §7.2.1: raw deflate of `message`, sync-flushed, without the trailing 00 00 ff ff; masked in a frame. */
function compressedFrame(message: Buffer): Buffer {
  const compressed = zlib
    .deflateRawSync(message, { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    .subarray(0, -4);
  return maskedFrame(2, compressed, randomBytes(4), true);
}

/** What is wrong with the server's first frame in `bytes`: '' for the compressed echo of `message`, undefined while incomplete. */
function checkCompressedEcho(bytes: Buffer, message: Buffer): string | undefined {
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
    const inflated = zlib.inflateRawSync(compressed, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return inflated.equals(message) ? '' : 'echo inflates to other bytes';
  } catch (error) {
    return `echo does not inflate: ${(error as Error).message}`;
  }
}

/** One idle connection; with `message`, negotiates permessage-deflate and exchanges it compressed first. */
async function idleConnection(url: string, message: Buffer | undefined): Promise<net.Socket> {
  const { socket, rest } = await upgrade(url, message !== undefined);
  if (message !== undefined) {
    await new Promise<void>((resolve, reject) => {
      let received = rest;
      const timer = setTimeout(() => done('no echo within 10 s'), 10_000);
      const done = (problem: string) => {
        clearTimeout(timer);
        socket.off('data', onData);
        if (problem === '') resolve();
        else {
          socket.destroy();
          reject(new Error(problem));
        }
      };
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const problem = checkCompressedEcho(received, message);
        if (problem !== undefined) done(problem);
      };
      socket.on('data', onData);
      socket.write(compressedFrame(message));
      onData(Buffer.alloc(0));
    });
  }
  // Idle from here: anything that comes is dropped.
  socket.on('data', () => {});
  socket.on('error', () => {});
  return socket;
}

/** Idle connections opened by {@link openIdle}. */
export interface IdleConnections {
  sockets: net.Socket[];
  failed: number;
  firstError: string | undefined;
}

/** Opens `count` idle connections to `url`, `batch` at a time (with `message`: deflate, one message each way). */
export async function openIdle(
  url: string,
  count: number,
  batch = 250,
  message?: Buffer,
): Promise<IdleConnections> {
  const result: IdleConnections = { sockets: [], failed: 0, firstError: undefined };
  for (let opened = 0; opened < count; opened += batch) {
    const outcomes = await Promise.allSettled(
      Array.from({ length: Math.min(batch, count - opened) }, () => idleConnection(url, message)),
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
