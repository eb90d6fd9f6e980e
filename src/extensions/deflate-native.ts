// The permessage-deflate engine over node:zlib's native handles (zlib-handle.ts), used when
// they are usable. A message up to `syncLimit` bytes (compressed, for inflate) is handled in
// the turn that has it, its callback called before `inflate`/`deflate` returns; larger ones
// go to the thread pool, in a slot of the process-wide limit (zlib-jobs.ts). Each direction
// keeps call order, whichever path a message takes.
//
// What a connection holds between messages:
// - deflate: never a zlib context. Messages are compressed by one context shared by every
//   connection with the same window bits and memLevel, restarted per message; with context
//   takeover, with the last 2^bits bytes this connection sent as its dictionary, which is
//   what a kept context's window would hold (RFC 7692 §7.2.3.1: the peer's inflater sees the
//   same back-references either way). An idle connection keeps only those bytes.
// - inflate: with context takeover, its own inflater (window of the peer's size, made on the
//   first compressed message); without, nothing (a shared inflater is reset per message).
import type { DeflateResult, InflateResult } from '../session/compression.js';
import type { ZlibCompressor } from './deflate-zlib.js';
import { joinOutput, RawZlib, type RunOutcome } from './zlib-handle.js';
import { enqueueJob, type QueuedJob, releaseSlot } from './zlib-jobs.js';

/** RFC 7692 §7.2.2: the empty stored block a sync flush ends with, stripped on the wire. */
const SYNC_TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** What the native engine is built with (see `createZlibCompressor`). */
export interface NativeEngineSettings {
  deflateBits: number;
  inflateBits: number;
  memLevel: number;
  deflateNoContextTakeover: boolean;
  inflateNoContextTakeover: boolean;
  /** Messages up to this many bytes (compressed, when inflating) are handled synchronously. */
  syncLimit: number;
}

/** One operation of a direction, waiting for the one before it. */
interface Step {
  start(): void;
}

const sharedDeflaters = new Map<string, RawZlib>();
const sharedInflaters = new Map<number, RawZlib>();

function sharedDeflater(bits: number, memLevel: number): RawZlib {
  const key = `${bits}/${memLevel}`;
  let deflater = sharedDeflaters.get(key);
  if (deflater === undefined || deflater.broken) {
    deflater = new RawZlib('deflate', bits, memLevel);
    sharedDeflaters.set(key, deflater);
  }
  return deflater;
}

function sharedInflater(bits: number): RawZlib {
  let inflater = sharedInflaters.get(bits);
  if (inflater === undefined || inflater.broken) {
    inflater = new RawZlib('inflate', bits);
    sharedInflaters.set(bits, inflater);
  }
  return inflater;
}

/** The native engine (see the file header). */
export class NativeMessageCompressor implements ZlibCompressor {
  readonly #settings: NativeEngineSettings;
  /** Our inflater, with context takeover on the peer's side, made on first use. */
  #inflater: RawZlib | null = null;
  /** A deflater running on the thread pool for one large message. */
  #asyncDeflater: RawZlib | null = null;
  /** The last bytes we sent (up to our window), with context takeover on our side. */
  #history: Uint8Array | null = null;
  #historyLength = 0;
  readonly #inflates: Step[] = [];
  readonly #deflates: Step[] = [];
  /** Jobs queued or running on the thread pool, cancelled by close(). */
  readonly #jobs = new Set<QueuedJob>();
  #closed = false;
  lastInflateOutput = 0;

  constructor(settings: NativeEngineSettings) {
    this.#settings = settings;
  }

  get contexts(): { deflate: boolean; inflate: boolean } {
    return { deflate: this.#asyncDeflater !== null, inflate: this.#inflater !== null };
  }

  /** Bytes kept for context takeover of our compressor (diagnostics and tests). */
  get historyBytes(): number {
    return this.#historyLength;
  }

  inflate(data: Uint8Array, maxBytes: number, done: (result: InflateResult) => void): void {
    if (this.#closed) return;
    const sync = data.length <= this.#settings.syncLimit;
    if (sync && this.#inflates.length === 0) {
      done(this.#inflateNow(data, maxBytes));
      return;
    }
    this.#enqueue(this.#inflates, () => {
      if (sync) this.#finishStep(this.#inflates, done, this.#inflateNow(data, maxBytes));
      else this.#onThreadPool(this.#inflates, done, (finish) => this.#inflateLater(data, maxBytes, finish));
    });
  }

  deflate(data: Uint8Array, done: (result: DeflateResult) => void): void {
    if (this.#closed) return;
    const sync = data.length <= this.#settings.syncLimit;
    if (sync && this.#deflates.length === 0) {
      done(this.#deflateNow(data));
      return;
    }
    this.#enqueue(this.#deflates, () => {
      if (sync) this.#finishStep(this.#deflates, done, this.#deflateNow(data));
      else this.#onThreadPool(this.#deflates, done, (finish) => this.#deflateLater(data, finish));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#jobs) {
      if (job.start)
        job.start = null; // waiting: never starts
      else releaseSlot(); // running: abandoned with its context below
    }
    this.#jobs.clear();
    this.#inflates.length = 0;
    this.#deflates.length = 0;
    this.#inflater?.close();
    this.#inflater = null;
    this.#asyncDeflater?.close();
    this.#asyncDeflater = null;
    this.#history = null;
  }

  // ---- inflate --------------------------------------------------------------------------

  #inflateNow(data: Uint8Array, maxBytes: number): InflateResult {
    // An empty payload is no deflate data at all (00 00 ff ff alone would leave zlib inside a
    // stored block): it is the empty message, and the context is left as it was.
    if (data.length === 0) return { ok: true, data: new Uint8Array(0) };
    const takeover = !this.#settings.inflateNoContextTakeover;
    const inflater = takeover ? this.#ownInflater() : sharedInflater(this.#settings.inflateBits);
    if (!takeover) inflater.reset();
    // RFC 7692 §7.2.2: append 00 00 ff ff, then inflate.
    const outcome = inflater.runSync([data, SYNC_TAIL], maxBytes);
    return this.#inflated(inflater, takeover, outcome);
  }

  #inflateLater(data: Uint8Array, maxBytes: number, finish: (result: InflateResult) => void): void {
    const takeover = !this.#settings.inflateNoContextTakeover;
    const inflater = takeover ? this.#ownInflater() : new RawZlib('inflate', this.#settings.inflateBits);
    inflater.runAsync([data, SYNC_TAIL], maxBytes, (outcome) => {
      const result = this.#inflated(inflater, takeover, outcome);
      if (!takeover) inflater.close();
      finish(result);
    });
  }

  #ownInflater(): RawZlib {
    this.#inflater ??= new RawZlib('inflate', this.#settings.inflateBits);
    return this.#inflater;
  }

  #inflated(inflater: RawZlib, own: boolean, outcome: RunOutcome): InflateResult {
    this.lastInflateOutput = outcome.status === 'failed' ? 0 : outcome.length;
    // After too-large or a failure the context is mid-stream: a fresh one later yields either
    // the right bytes or an error, never wrong ones. A block with BFINAL set (RFC 7692
    // §7.2.3.5) ends the stream, and zlib would ignore every later message: replaced too.
    const spent = outcome.status !== 'done' || outcome.leftover > 0;
    if (spent) {
      inflater.close();
      if (own) this.#inflater = null;
    }
    if (outcome.status === 'too-large') {
      // RFC 6455 §7.4.1: close with 1009.
      return { ok: false, reason: 'too-large' };
    }
    if (outcome.status === 'failed') return { ok: false, reason: 'corrupt', message: outcome.message };
    return { ok: true, data: joinOutput(outcome.chunks, outcome.length) };
  }

  // ---- deflate --------------------------------------------------------------------------

  #deflateNow(data: Uint8Array): DeflateResult {
    const { deflateBits, memLevel } = this.#settings;
    const deflater = sharedDeflater(deflateBits, memLevel);
    deflater.restart(this.#dictionary());
    const result = this.#deflated(data, deflater.runSync([data], Number.MAX_SAFE_INTEGER));
    if (!result.ok) deflater.close();
    return result;
  }

  #deflateLater(data: Uint8Array, finish: (result: DeflateResult) => void): void {
    const deflater = new RawZlib('deflate', this.#settings.deflateBits, this.#settings.memLevel);
    this.#asyncDeflater = deflater;
    deflater.restart(this.#dictionary());
    deflater.runAsync([data], Number.MAX_SAFE_INTEGER, (outcome) => {
      deflater.close();
      this.#asyncDeflater = null;
      finish(this.#deflated(data, outcome));
    });
  }

  #dictionary(): Uint8Array | undefined {
    return this.#history === null ? undefined : this.#history.subarray(0, this.#historyLength);
  }

  #deflated(data: Uint8Array, outcome: RunOutcome): DeflateResult {
    if (outcome.status !== 'done') {
      return {
        ok: false,
        error: new Error(outcome.status === 'failed' ? outcome.message : 'deflate output too large'),
      };
    }
    if (!this.#settings.deflateNoContextTakeover) this.#remember(data);
    return stripSyncTail(joinOutput(outcome.chunks, outcome.length));
  }

  /** Keeps the last 2^bits bytes sent: the window the next message may refer back into. */
  #remember(data: Uint8Array): void {
    const window = 1 << this.#settings.deflateBits;
    this.#history ??= new Uint8Array(window);
    if (data.length >= window) {
      this.#history.set(data.subarray(data.length - window));
      this.#historyLength = window;
      return;
    }
    const keep = Math.min(this.#historyLength, window - data.length);
    this.#history.copyWithin(0, this.#historyLength - keep, this.#historyLength);
    this.#history.set(data, keep);
    this.#historyLength = keep + data.length;
  }

  // ---- order within a direction ---------------------------------------------------------

  /** Runs `step` after the direction's earlier operations. */
  #enqueue(direction: Step[], step: () => void): void {
    direction.push({ start: step });
    if (direction.length === 1) step();
  }

  /** Calls back for the direction's head, then starts the next one (unless closed meanwhile). */
  #finishStep<T>(direction: Step[], done: (result: T) => void, result: T): void {
    if (this.#closed) return;
    done(result);
    if (this.#closed) return;
    direction.shift();
    direction[0]?.start();
  }

  /** Runs `work` in a slot of the process-wide limit, then finishes the step. */
  #onThreadPool<T>(
    direction: Step[],
    done: (result: T) => void,
    work: (finish: (result: T) => void) => void,
  ): void {
    const job: QueuedJob = {
      start: () =>
        work((result) => {
          if (!this.#jobs.delete(job)) return; // closed
          releaseSlot();
          this.#finishStep(direction, done, result);
        }),
      next: null,
    };
    this.#jobs.add(job);
    enqueueJob(job);
  }
}

/** RFC 7692 §7.2.1: remove the 00 00 ff ff a sync flush ends with. */
export function stripSyncTail(output: Buffer): DeflateResult {
  const n = output.length;
  if (
    n >= 4 &&
    output[n - 4] === 0 &&
    output[n - 3] === 0 &&
    output[n - 2] === 0xff &&
    output[n - 1] === 0xff
  )
    return { ok: true, data: output.subarray(0, n - 4) };
  // zlib emits nothing for a repeated flush with no input; RFC 7692 §7.2.1 then appends an
  // empty stored block (00 00 00 ff ff), which becomes 00 once its tail is removed.
  if (n === 0) return { ok: true, data: new Uint8Array([0x00]) };
  return { ok: false, error: new Error('zlib output did not end with a sync flush block') };
}
