// The permessage-deflate engine over node:zlib (RFC 7692 §7.2): createZlibCompressor() picks
// one of two behind the session's `MessageCompressor` seam.
// - native (deflate-native.ts, the default where node:zlib's internals are usable): messages up
//   to `syncLimit` bytes are compressed and inflated in the turn that has them; a connection
//   holds no deflate context between messages, only the bytes its window refers to.
// - streams (this file; the fallback, and `engine: 'streams'`): ws's design, one async raw
//   deflate and inflate stream per connection, each created on first use; with no context
//   takeover on a side, that side's stream is released after every message rather than reset.
//   Inflation counts output as zlib produces it (16 KiB chunks) and destroys the stream the
//   moment the total passes `maxBytes`: a bomb costs at most maxBytes + one chunk.
// Thread-pool work of either takes a slot of one process-wide FIFO limit (zlib-jobs.ts).
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';
import type { DeflateResult, InflateResult } from '../session/compression.js';
import { NativeMessageCompressor, stripSyncTail } from './deflate-native.js';
import type { ZlibCompressor } from './zlib-compressor.js';
import { nativeZlibUsable } from './zlib-handle.js';
import { enqueueJob, type QueuedJob, releaseSlot } from './zlib-jobs.js';

export { DEFAULT_ZLIB_CONCURRENCY, setZlibConcurrency, zlibJobCounts } from './zlib-jobs.js';

/** zlib's default memLevel; the compressor's default when `memLevel` is not given. */
export const DEFAULT_MEM_LEVEL = 8;

/** RFC 7692 §7.2.1/§7.2.2: the empty stored block a sync flush ends with, stripped on the wire. */
const SYNC_TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** Below this size the inflate input and the tail are joined into one zlib write. */
const JOIN_TAIL_BELOW = 64 * 1024;

/** The negotiated permessage-deflate parameters, for one role. */
export interface ZlibCompressorParams {
  /** Which end of the connection this compressor is. */
  role: 'server' | 'client';
  /** The server resets its compression context after each message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compression context after each message. */
  clientNoContextTakeover: boolean;
  /** The server's LZ77 window, 8-15 (8 only when the server never compresses with it). */
  serverMaxWindowBits: number;
  /** The client's LZ77 window, 8-15 (8 only when the client never compresses with it). */
  clientMaxWindowBits: number;
  /** zlib's memLevel for our deflate context, 1-9. Default {@link DEFAULT_MEM_LEVEL}. */
  memLevel?: number;
  /**
   * Messages up to this many bytes (compressed, when inflating) are handled in the turn that
   * has them; larger ones on the thread pool. Default {@link DEFAULT_SYNC_LIMIT}; native engine only.
   */
  syncLimit?: number;
  /**
   * `'native'` (the default where {@link nativeZlibUsable}) or `'streams'` (ws's design: async
   * streams kept per connection; what `'native'` falls back to).
   */
  engine?: 'native' | 'streams';
}

/** The default {@link ZlibCompressorParams.syncLimit}: 64 KiB. */
export const DEFAULT_SYNC_LIMIT = 64 * 1024;

export type { ZlibCompressor } from './zlib-compressor.js';

// ---- one zlib stream --------------------------------------------------------------------

/** What one write-and-flush on a stream reports to its caller. */
interface StreamJob {
  output(chunk: Buffer): void;
  failed(error: Error): void;
  /** All output was delivered; `consumed` is how many input bytes zlib took. */
  flushed(consumed: number): void;
}

/**
 * One lazily created zlib stream with listeners attached once, routing its events to the
 * job it works for. A discarded stream's late events are ignored.
 */
class LazyStream {
  #stream: DeflateRaw | InflateRaw | null = null;
  #job: StreamJob | null = null;

  constructor(private readonly create: () => DeflateRaw | InflateRaw) {}

  get held(): boolean {
    return this.#stream !== null;
  }

  /** Writes `pieces` (each flushed with Z_SYNC_FLUSH) and reports to `job`. */
  run(pieces: readonly Uint8Array[], job: StreamJob): void {
    const stream = this.#stream ?? this.#open();
    this.#job = job;
    const before = stream.bytesWritten;
    const last = pieces.length - 1;
    for (let i = 0; i < last; i++) stream.write(pieces[i]);
    stream.write(pieces[last], (error) => {
      if (error || this.#stream !== stream || this.#job !== job) return;
      this.#job = null;
      job.flushed(stream.bytesWritten - before);
    });
  }

  /** Destroys the stream (its context is freed) and forgets the job; the next run opens a new one. */
  discard(): void {
    const stream = this.#stream;
    this.#stream = null;
    this.#job = null;
    stream?.close();
  }

  #open(): DeflateRaw | InflateRaw {
    const stream = this.create();
    stream.on('data', (chunk: Buffer) => {
      if (this.#stream === stream) this.#job?.output(chunk);
    });
    // Kept after discard too: a destroyed stream may still report, and must not throw.
    stream.on('error', (error: Error) => {
      if (this.#stream !== stream) return;
      const job = this.#job;
      this.discard();
      job?.failed(error);
    });
    this.#stream = stream;
    return stream;
  }
}

// ---- the compressor -----------------------------------------------------------------------

function checkWindowBits(name: string, bits: unknown): number {
  if (!Number.isInteger(bits) || (bits as number) < 8 || (bits as number) > 15)
    throw new RangeError(`${name} must be an integer from 8 to 15, got ${String(bits)}`);
  return bits as number;
}

function joinChunks(chunks: Buffer[], length: number): Buffer {
  return chunks.length === 1 && chunks[0].length === length ? chunks[0] : Buffer.concat(chunks, length);
}

/**
 * Creates one connection's permessage-deflate engine for `role`. Our deflate uses our side's
 * window bits and context takeover, our inflate the peer's. Throws RangeError for bad
 * parameters, including window bits 8 on our side: zlib cannot raw-deflate with a 256-byte
 * window (it would silently use 512, which the peer could not inflate).
 */
export function createZlibCompressor(params: ZlibCompressorParams): ZlibCompressor {
  if (params.role !== 'server' && params.role !== 'client')
    throw new TypeError(`role must be 'server' or 'client', got ${String(params.role)}`);
  const server = params.role === 'server';
  const ownBits = checkWindowBits(
    server ? 'serverMaxWindowBits' : 'clientMaxWindowBits',
    server ? params.serverMaxWindowBits : params.clientMaxWindowBits,
  );
  const peerBits = checkWindowBits(
    server ? 'clientMaxWindowBits' : 'serverMaxWindowBits',
    server ? params.clientMaxWindowBits : params.serverMaxWindowBits,
  );
  if (ownBits === 8)
    throw new RangeError(
      `${server ? 'serverMaxWindowBits' : 'clientMaxWindowBits'} 8 cannot be used to compress: zlib's raw deflate needs 9 or more`,
    );
  const memLevel = params.memLevel ?? DEFAULT_MEM_LEVEL;
  if (!Number.isInteger(memLevel) || memLevel < 1 || memLevel > 9)
    throw new RangeError(`memLevel must be an integer from 1 to 9, got ${String(memLevel)}`);
  const syncLimit = params.syncLimit ?? DEFAULT_SYNC_LIMIT;
  if (!Number.isInteger(syncLimit) || syncLimit < 0)
    throw new RangeError(`syncLimit must be a non-negative integer, got ${String(syncLimit)}`);
  if (params.engine !== undefined && params.engine !== 'native' && params.engine !== 'streams')
    throw new TypeError(`engine must be 'native' or 'streams', got ${String(params.engine)}`);
  const settings: EngineSettings = {
    deflateBits: ownBits,
    // zlib accepts 8 for raw inflate, but zlib-based peers (Node's DeflateRaw among them)
    // compress with 9 when 8 was agreed; a larger window decodes every smaller one.
    inflateBits: Math.max(peerBits, 9),
    memLevel,
    deflateNoContextTakeover: server ? params.serverNoContextTakeover : params.clientNoContextTakeover,
    inflateNoContextTakeover: server ? params.clientNoContextTakeover : params.serverNoContextTakeover,
  };
  if (params.engine !== 'streams' && nativeZlibUsable())
    return new NativeMessageCompressor({ ...settings, syncLimit });
  return new ZlibMessageCompressor(settings);
}

interface EngineSettings {
  deflateBits: number;
  inflateBits: number;
  memLevel: number;
  deflateNoContextTakeover: boolean;
  inflateNoContextTakeover: boolean;
}

class ZlibMessageCompressor implements ZlibCompressor {
  readonly #settings: EngineSettings;
  readonly #deflater: LazyStream;
  readonly #inflater: LazyStream;
  /** Queued or running operations, cancelled by close(). */
  readonly #jobs = new Set<QueuedJob>();
  /** Each direction's operations in call order; the first is in the global queue or running. */
  readonly #inflates: QueuedJob[] = [];
  readonly #deflates: QueuedJob[] = [];
  #closed = false;
  lastInflateOutput = 0;

  constructor(settings: EngineSettings) {
    this.#settings = settings;
    this.#deflater = new LazyStream(() =>
      createDeflateRaw({
        flush: constants.Z_SYNC_FLUSH,
        windowBits: settings.deflateBits,
        memLevel: settings.memLevel,
      }),
    );
    this.#inflater = new LazyStream(() =>
      createInflateRaw({ flush: constants.Z_SYNC_FLUSH, windowBits: settings.inflateBits }),
    );
  }

  get contexts(): { deflate: boolean; inflate: boolean } {
    return { deflate: this.#deflater.held, inflate: this.#inflater.held };
  }

  inflate(data: Uint8Array, maxBytes: number, done: (result: InflateResult) => void): void {
    if (this.#closed) return;
    // An empty payload is no deflate data at all (00 00 ff ff alone would leave zlib inside a
    // stored block): it is the empty message, and the context is left as it was.
    if (data.length === 0) {
      this.#schedule(this.#inflates, (finish) =>
        queueMicrotask(() => finish(done, { ok: true, data: new Uint8Array(0) })),
      );
      return;
    }
    // RFC 7692 §7.2.2: append 00 00 ff ff, then inflate.
    const pieces =
      data.length < JOIN_TAIL_BELOW ? [Buffer.concat([data, SYNC_TAIL], data.length + 4)] : [data, SYNC_TAIL];
    const inputLength = data.length + 4;
    this.#schedule(this.#inflates, (finish) => {
      const chunks: Buffer[] = [];
      let produced = 0;
      this.lastInflateOutput = 0;
      this.#inflater.run(pieces, {
        output: (chunk) => {
          produced += chunk.length;
          this.lastInflateOutput = produced;
          if (produced <= maxBytes) {
            chunks.push(chunk);
            return;
          }
          // RFC 6455 §7.4.1 (1009): stop the stream now rather than let it inflate the rest.
          // A fresh stream later yields either the right bytes or an error, never wrong ones.
          chunks.length = 0;
          this.#inflater.discard();
          finish(done, { ok: false, reason: 'too-large' });
        },
        failed: (error) => finish(done, { ok: false, reason: 'corrupt', message: error.message }),
        flushed: (consumed) => {
          // A block with BFINAL set (RFC 7692 §7.2.3.5) ends the stream: zlib ignores the rest
          // of the input and would ignore every later message, so the stream is replaced.
          if (consumed < inputLength || this.#settings.inflateNoContextTakeover) this.#inflater.discard();
          // A copy: zlib's chunks are views of its 16 KiB output buffers, which a message the
          // handler keeps would otherwise pin.
          finish(done, { ok: true, data: Buffer.concat(chunks, produced) });
        },
      });
    });
  }

  deflate(data: Uint8Array, done: (result: DeflateResult) => void): void {
    if (this.#closed) return;
    this.#schedule(this.#deflates, (finish) => {
      const chunks: Buffer[] = [];
      let length = 0;
      this.#deflater.run([data], {
        output: (chunk) => {
          chunks.push(chunk);
          length += chunk.length;
        },
        failed: (error) => finish(done, { ok: false, error }),
        flushed: () => {
          if (this.#settings.deflateNoContextTakeover) this.#deflater.discard();
          finish(done, stripSyncTail(joinChunks(chunks, length)));
        },
      });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#jobs) {
      if (job.start)
        job.start = null; // waiting: never starts
      else releaseSlot(); // running: its zlib work is abandoned with the stream below
    }
    this.#jobs.clear();
    this.#inflates.length = 0;
    this.#deflates.length = 0;
    this.#deflater.discard();
    this.#inflater.discard();
  }

  /**
   * Runs `work` after the direction's earlier operations (callbacks come in call order) and
   * in a slot of the process-wide limit; `finish` frees the slot once and calls back unless
   * closed.
   */
  #schedule(direction: QueuedJob[], work: Work): void {
    const job: QueuedJob = {
      start: () =>
        work((done, result) => {
          if (!this.#jobs.delete(job)) return; // finished already, or closed
          direction.shift();
          releaseSlot();
          if (direction.length > 0) enqueueJob(direction[0]);
          done(result);
        }),
      next: null,
    };
    this.#jobs.add(job);
    direction.push(job);
    if (direction.length === 1) enqueueJob(job);
  }
}

type Work = (finish: <T>(done: (result: T) => void, result: T) => void) => void;
