// Server test helpers: upgrade requests written by hand, a raw TCP client that reads an HTTP
// answer and then server frames, and masked client frames.
import * as net from 'node:net';
import { buildFrame } from '../support/frames.js';

/** The RFC 6455 §1.3 example key and its accept value. */
export const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** A valid upgrade request head; `extra` lines are appended, `omit` drops headers by lower-case name. */
export function upgradeRequest(
  options: { path?: string; method?: string; version?: string; extra?: string[]; omit?: string[] } = {},
): string {
  const { path = '/', method = 'GET', version = '1.1', extra = [], omit = [] } = options;
  const headers = [
    'Host: localhost',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${SAMPLE_KEY}`,
    'Sec-WebSocket-Version: 13',
  ].filter((line) => !omit.includes(line.slice(0, line.indexOf(':')).toLowerCase()));
  return `${method} ${path} HTTP/${version}\r\n${[...headers, ...extra].map((h) => `${h}\r\n`).join('')}\r\n`;
}

/** An HTTP response head and body as received. */
export interface ParsedResponse {
  status: number;
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

export function parseResponse(bytes: Buffer): ParsedResponse {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response head in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {
    status: Number(statusLine!.split(' ')[1]),
    statusLine: statusLine!,
    headers,
    body: Buffer.from(text.slice(end + 4), 'latin1').toString('utf8'),
  };
}

/** A frame as the server sent it. */
export interface ServerFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/**
 * A raw TCP client: writes bytes as given, reads the HTTP answer, then frames. Remembers
 * whether the connection ended, closed or was reset.
 */
export class RawClient {
  readonly socket: net.Socket;
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;
  closed = false;
  error: Error | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (error) => {
      this.error = error;
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  write(data: string | Uint8Array): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Everything received so far, not yet consumed. */
  get received(): Buffer {
    return this.buffer;
  }

  /** Resolves when the connection is closed (or reset). */
  async closedPromise(): Promise<void> {
    await this.until(() => this.closed);
  }

  /** Reads the HTTP response head (and, with `withBody`, until the connection ends). */
  async readResponse(withBody = false): Promise<ParsedResponse> {
    await this.until(() => this.buffer.includes('\r\n\r\n') || this.closed);
    if (withBody) await this.until(() => this.ended || this.closed);
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1)
      throw new Error(`connection closed before a response head (${this.error?.message ?? 'no error'})`);
    const response = parseResponse(withBody ? this.buffer : this.buffer.subarray(0, end + 4));
    this.buffer = withBody ? Buffer.alloc(0) : this.buffer.subarray(end + 4);
    return response;
  }

  /** Reads one server frame (unmasked, any length). */
  async readFrame(): Promise<ServerFrame> {
    let frame: { frame: ServerFrame; length: number } | null = null;
    await this.until(() => {
      frame = parseServerFrame(this.buffer);
      return frame !== null || this.closed;
    });
    if (frame === null) throw new Error('connection closed before a whole frame');
    const { frame: result, length } = frame as { frame: ServerFrame; length: number };
    this.buffer = this.buffer.subarray(length);
    return result;
  }

  /** Reads frames until a close frame; returns its code (1005 for none) and reason. */
  async readClose(): Promise<{ code: number; reason: string }> {
    for (;;) {
      const frame = await this.readFrame();
      if (frame.opcode !== 0x8) continue;
      if (frame.payload.length < 2) return { code: 1005, reason: '' };
      return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString('utf8') };
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (done()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

function parseServerFrame(bytes: Buffer): { frame: ServerFrame; length: number } | null {
  if (bytes.length < 2) return null;
  const masked = (bytes[1]! & 0x80) !== 0;
  let length = bytes[1]! & 0x7f;
  let at = 2;
  if (length === 126) {
    if (bytes.length < 4) return null;
    length = bytes.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return null;
    length = Number(bytes.readBigUInt64BE(2));
    at = 10;
  }
  if (masked) at += 4;
  if (bytes.length < at + length) return null;
  return {
    frame: {
      fin: (bytes[0]! & 0x80) !== 0,
      opcode: bytes[0]! & 0x0f,
      masked,
      payload: Buffer.from(bytes.subarray(at, at + length)),
    },
    length: at + length,
  };
}

/** A masked client frame (RFC 6455 §5.3: every client frame is masked). */
export function clientFrame(opcode: number, payload: Uint8Array | string, fin = true): Uint8Array {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return buildFrame({ opcode, payload: bytes, fin, maskKey: 0x12345678 });
}

export { closeBody } from '../support/frames.js';

/** An echo handler: each message goes back as it came. */
export const echo = {
  message(session: { send(data: string | Uint8Array): boolean }, data: string | Uint8Array) {
    session.send(data);
  },
};
