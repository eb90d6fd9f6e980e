// The cheap load generator's connection: a bare TCP socket that does the RFC 6455 §4.1
// handshake by hand and then keeps `inFlight` messages outstanding with as little work
// as a client can do, so that the server is what the benchmark measures:
// - the frames are masked once, in advance: one buffer of `inFlight` identical frames;
// - each read is scanned for the echoes it completes (headers checked: FIN, opcode, no
//   mask, length), and as many frames go back out in one write, a view of that buffer;
// - every `fullCheckEvery`-th echo is compared byte for byte, as its bytes arrive.
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { maskedFrame } from '../support/workloads.js';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_RESPONSE_HEAD = 4096;
const RAW_MASK_KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

/** The bytes every raw connection of a run sends and expects back. */
export interface RawMessages {
  /** 1 (text) or 2 (binary). */
  opcode: number;
  payload: Buffer;
  /** `inFlight` copies of the masked frame, back to back. */
  frames: Buffer;
  frameBytes: number;
  inFlight: number;
}

/** Builds the masked frames of a run once: `payload` in `inFlight` frames with one fixed key. */
export function rawMessages(opcode: number, payload: Buffer, inFlight: number): RawMessages {
  // RFC 6455 §5.3: every client frame is masked; the key is fixed, never all zero.
  const frame = maskedFrame(opcode, payload, RAW_MASK_KEY);
  const frames = Buffer.concat(Array.from({ length: inFlight }, () => frame));
  return { opcode, payload, frames, frameBytes: frame.length, inFlight };
}

/** Counters shared by every raw connection of a run. */
export interface RawCounters {
  echoes: number;
  fullChecks: number;
  outstanding: number;
}

/** One raw connection: {@link RawConnection.start} fills the pipeline, {@link RawConnection.stop} lets it drain. */
export class RawConnection {
  private sending = false;
  private outstanding = 0;
  /** Header bytes of the frame being read, while its header is incomplete. */
  private header = Buffer.alloc(14);
  private headerHave = 0;
  /** Payload bytes of the current echo still to come. */
  private payloadLeft = 0;
  private payloadAt = 0;
  private checking = false;
  private sinceCheck = 0;
  private closing = false;
  failure: string | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly messages: RawMessages,
    private readonly counters: RawCounters,
    private readonly fullCheckEvery: number,
    private readonly onFailure: (reason: string) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (error) => this.fail(`socket error: ${error.message}`));
    socket.on('close', () => {
      if (this.failure === undefined && !this.closing) this.fail('closed by the server');
    });
  }

  /** Connects to `url` (ws://host:port/path), completes the handshake, and resolves with the connection. */
  static async open(
    url: string,
    messages: RawMessages,
    counters: RawCounters,
    fullCheckEvery: number,
    onFailure: (reason: string) => void,
  ): Promise<RawConnection> {
    const target = new URL(url);
    const socket = net.connect({ host: target.hostname, port: Number(target.port) });
    socket.setNoDelay(true);
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1')
      .update(key + WEBSOCKET_GUID)
      .digest('base64');
    const rest = await new Promise<Buffer>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) {
          if (head.length > MAX_RESPONSE_HEAD) reject(new Error('response head too long'));
          return;
        }
        socket.off('data', onData);
        socket.off('error', reject);
        const text = head.subarray(0, end).toString('latin1');
        if (!text.startsWith('HTTP/1.1 101')) reject(new Error(`handshake: ${text.split('\r\n')[0]}`));
        else if (
          !new RegExp(`^sec-websocket-accept: *${accept.replace(/[+/=]/g, '\\$&')} *$`, 'im').test(text)
        ) {
          reject(new Error('handshake: wrong Sec-WebSocket-Accept'));
        } else resolve(head.subarray(end + 4));
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(
        `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const connection = new RawConnection(socket, messages, counters, fullCheckEvery, onFailure);
    if (rest.length > 0) connection.read(rest);
    return connection;
  }

  /** Sends `inFlight` messages in one write; from now on each read is answered with as many messages as it completed. */
  start(): void {
    if (this.failure !== undefined) return;
    this.sending = true;
    this.send(this.messages.inFlight - this.outstanding);
  }

  /** Sends nothing more; echoes of what is outstanding are still read and checked. */
  stop(): void {
    this.sending = false;
  }

  /** Closes the socket (no closing handshake: the run is over). */
  close(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private send(count: number): void {
    if (count <= 0) return;
    this.outstanding += count;
    this.counters.outstanding += count;
    this.socket.write(this.messages.frames.subarray(0, count * this.messages.frameBytes));
  }

  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.sending = false;
    this.counters.outstanding -= this.outstanding;
    this.outstanding = 0;
    this.onFailure(reason);
  }

  /** Walks the frames in `chunk` (they may start and end anywhere), then answers the completed echoes in one write. */
  private read(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    let completed = 0;
    let at = 0;
    const { payload } = this.messages;
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
      // A header: 2 bytes, then 0, 2 or 8 more; it may be cut by the read.
      this.header[this.headerHave++] = chunk[at++];
      if (this.headerHave < 2) continue;
      const byte1 = this.header[1];
      const need = 2 + ((byte1 & 0x7f) === 126 ? 2 : (byte1 & 0x7f) === 127 ? 8 : 0);
      if (this.headerHave < need) continue;
      const problem = this.checkHeader(need);
      if (problem !== undefined) {
        this.fail(problem);
        return;
      }
      this.headerHave = 0;
      this.payloadAt = 0;
      this.payloadLeft = payload.length;
      this.checking = ++this.sinceCheck >= this.fullCheckEvery;
      if (this.checking) this.sinceCheck = 0;
      if (this.payloadLeft === 0) {
        if (!this.echoDone()) return;
        completed++;
      }
    }
    if (completed > 0 && this.sending) this.send(completed);
  }

  private checkHeader(headerBytes: number): string | undefined {
    const byte0 = this.header[0];
    const byte1 = this.header[1];
    if (byte0 !== (0x80 | this.messages.opcode)) {
      return `echo frame starts 0x${byte0.toString(16)}, expected 0x${(0x80 | this.messages.opcode).toString(16)}`;
    }
    if (byte1 & 0x80) return 'server frame is masked';
    const code = byte1 & 0x7f;
    const length =
      code < 126 ? code : code === 126 ? this.header.readUInt16BE(2) : Number(this.header.readBigUInt64BE(2));
    if (headerBytes > 2 && length < 126) return 'non-minimal length';
    if (length !== this.messages.payload.length) {
      return `echo of ${length} bytes, expected ${this.messages.payload.length}`;
    }
    return undefined;
  }

  /** Counts one whole echo; false when it answers nothing we sent. */
  private echoDone(): boolean {
    if (this.outstanding === 0) {
      this.fail('echo of a message that was not sent');
      return false;
    }
    this.outstanding--;
    this.counters.outstanding--;
    this.counters.echoes++;
    if (this.checking) this.counters.fullChecks++;
    return true;
  }
}
