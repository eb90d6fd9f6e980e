// Session test helpers: a manual clock, a recording handler, a raw peer that speaks frames
// by hand, and a server session connected to a client session over a memory pair.

import {
  createMemoryPair,
  type MemoryPairOptions,
  type MemoryTransport,
} from '../../src/session/memory-pair.js';
import type { WebSocketSession } from '../../src/session/session.js';
import { accept, createClientSession } from '../../src/session/start.js';
import type { Clock, Handler, HandshakeInfo, Session, SessionOptions } from '../../src/session/types.js';
import { buildFrame, closeBody, type FrameSpec, type ParsedFrame, parseChunks } from '../support/frames.js';

/** Lets every queued microtask run (setImmediate comes after them all). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock that moves only when told: `advance(ms)` runs what falls due, in order. */
export class ManualClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  now(): number {
    return this.time;
  }

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let dueId = -1;
      let dueAt = Number.POSITIVE_INFINITY;
      for (const [id, timer] of this.timers) {
        if (timer.at <= end && timer.at < dueAt) {
          dueId = id;
          dueAt = timer.at;
        }
      }
      if (dueId === -1) break;
      const timer = this.timers.get(dueId)!;
      this.timers.delete(dueId);
      this.time = timer.at;
      timer.callback();
    }
    this.time = end;
  }
}

/** A handler that logs every callback as a string; `hooks` add behaviour per callback. */
export interface Recorder extends Handler {
  log: string[];
}

export function recorder(hooks: Partial<Handler> = {}): Recorder {
  const log: string[] = [];
  return {
    log,
    open(session) {
      log.push('open');
      hooks.open?.(session);
    },
    message(session, data, isBinary) {
      log.push(isBinary ? `binary:${(data as Uint8Array).length}` : `text:${data as string}`);
      hooks.message?.(session, data, isBinary);
    },
    ping(session, data) {
      log.push(`ping:${new TextDecoder().decode(data)}`);
      hooks.ping?.(session, data);
    },
    pong(session, data) {
      log.push(`pong:${new TextDecoder().decode(data)}`);
      hooks.pong?.(session, data);
    },
    drain(session) {
      log.push('drain');
      hooks.drain?.(session);
    },
    error(session, error) {
      log.push(`error:${'code' in error ? error.code : error.message}`);
      hooks.error?.(session, error);
    },
    close(session, code, reason) {
      log.push(`close:${code}:${reason}`);
      hooks.close?.(session, code, reason);
    },
  };
}

export const handshake = (extra: Partial<HandshakeInfo> = {}): HandshakeInfo => ({
  path: '/',
  headers: {},
  protocol: '',
  extensions: '',
  ...extra,
});

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Client frames must be masked; this fixed key keeps them readable in failures. */
const MASK = 0x0badf00d;

/** A frame as a client sends it (masked), e.g. for a handshake's leftover `head`. */
export function clientFrame(opcode: number, payload: Uint8Array | string = new Uint8Array(0)): Uint8Array {
  return buildFrame({
    opcode,
    payload: typeof payload === 'string' ? text(payload) : payload,
    maskKey: MASK,
  });
}

/**
 * The far end of a transport, driven by hand: writes frames, parses what arrives.
 * `masked` says whether the frames it writes are masked (true when it plays a client).
 */
export class RawPeer {
  readonly chunks: Uint8Array[] = [];
  ended = false;
  closed = false;

  constructor(
    readonly transport: MemoryTransport,
    private readonly masked: boolean,
  ) {
    transport.attach({
      data: (bytes) => this.chunks.push(bytes.slice()),
      end: () => {
        this.ended = true;
      },
      drain: () => {},
      error: () => {},
      closed: () => {
        this.closed = true;
      },
    });
    transport.resume();
  }

  /** Encodes a frame the way this peer's role must. */
  frame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), extra: Partial<FrameSpec> = {}) {
    const bytes = typeof payload === 'string' ? text(payload) : payload;
    return buildFrame({ opcode, payload: bytes, maskKey: this.masked ? MASK : undefined, ...extra });
  }

  send(
    opcode: number,
    payload: Uint8Array | string = new Uint8Array(0),
    extra: Partial<FrameSpec> = {},
  ): void {
    this.transport.write([this.frame(opcode, payload, extra)]);
  }

  /** A close frame body: big-endian code, then the reason. */
  closeBody(code: number, reason = ''): Uint8Array {
    return closeBody(code, reason);
  }

  /** Everything received so far, parsed as frames from the other role. */
  frames(): ParsedFrame[] {
    const result = parseChunks(this.chunks, { role: this.masked ? 'client' : 'server' });
    if (result.error !== null) throw new Error(`peer sent a bad frame: ${result.error.code}`);
    return result.frames;
  }

  /** Frames received as `opcode:payload-as-text` strings, for compact assertions. */
  summary(): string[] {
    return this.frames().map((f) => {
      const payload = Uint8Array.from(f.payload.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
      if (f.opcode === 8 && payload.length >= 2) {
        const reason = new TextDecoder().decode(payload.subarray(2));
        return `close:${(payload[0] << 8) | payload[1]}:${reason}`;
      }
      const name = ['cont', 'text', 'binary', '', '', '', '', '', 'close', 'ping', 'pong'][f.opcode];
      return f.opcode === 2 ? `${name}:${payload.length}` : `${name}:${new TextDecoder().decode(payload)}`;
    });
  }
}

/** A server session over one side of a memory pair, with a raw client on the other side. */
export function serverWithRawClient(
  handler: Handler,
  options: SessionOptions & { head?: Uint8Array } = {},
  pairOptions: MemoryPairOptions = {},
): { session: WebSocketSession; peer: RawPeer; transport: MemoryTransport } {
  const [serverSide, clientSide] = createMemoryPair(pairOptions);
  const session = accept(serverSide, handshake({ head: options.head }), handler, options);
  return { session, peer: new RawPeer(clientSide, true), transport: serverSide };
}

/** A server session and a client session connected over a memory pair, both activated. */
export function connectedSessions(
  serverHandler: Handler,
  clientHandler: Handler,
  options: SessionOptions = {},
  pairOptions: MemoryPairOptions = {},
  clientOptions: SessionOptions = options,
): { server: Session; client: Session; serverSide: MemoryTransport; clientSide: MemoryTransport } {
  const [serverSide, clientSide] = createMemoryPair(pairOptions);
  const server = accept(serverSide, handshake(), serverHandler, options);
  const client = createClientSession(clientSide, handshake(), clientHandler, {
    ...clientOptions,
    maskKeys: () => 0x01020304,
  });
  server.activate();
  client.activate();
  return { server, client, serverSide, clientSide };
}
