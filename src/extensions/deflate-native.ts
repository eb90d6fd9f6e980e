// The permessage-deflate engine over node:zlib's native handles (zlib-handle.ts), used when
// they are usable. A message up to `syncLimit` bytes (compressed, for inflate) is handled in
// the turn that has it, its callback called before `inflate`/`deflate` returns; larger ones
// go to the thread pool, in a slot of the process-wide limit (zlib-jobs.ts). Each direction
// keeps call order, whichever path a message takes.
//
// What a connection holds:
// - deflate, with context takeover: the last 2^bits bytes it sent, always (the window the
//   peer's inflater refers into). A message that follows a quiet spell (IDLE_RELEASE_MS) is
//   compressed by one context shared by every connection with the same window bits and
//   memLevel, restarted with those bytes as its dictionary (RFC 7692 §7.2.3.1: the peer sees
//   the same back-references a kept context would make). A connection that sends again within
//   that spell gets a context of its own (no dictionary to reload per message), released by
//   the idle sweep once a spell passes without a message. Without context takeover: the shared
//   context, restarted empty, and nothing kept.
// - inflate: with context takeover, its own inflater (window of the peer's size, made on the
//   first compressed message); without, nothing (a shared inflater is reset per message).
import type { DeflateResult, InflateResult } from '../session/compression.js';
import type { ZlibCompressor } from './zlib-compressor.js';
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

/** How long a connection's own deflate context outlives its last message: one to two periods. */
export const IDLE_RELEASE_MS = 1000;

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

/** Engines holding a deflate context of their own, swept every {@link IDLE_RELEASE_MS}. */
const holding = new Set<NativeMessageCompressor>();
let sweeper: ReturnType<typeof setInterval> | null = null;

function hold(engine: NativeMessageCompressor): void {
  holding.add(engine);
  if (sweeper !== null) return;
  sweeper = setInterval(sweepIdleDeflaters, IDLE_RELEASE_MS);
  // An idle sweep never keeps the process alive.
  sweeper.unref?.();
}

/** @internal Releases the deflaters of engines idle for {@link IDLE_RELEASE_MS} (the sweeper's tick). */
export function sweepIdleDeflaters(): void {
  for (const held of holding) if (!held.keepAfterSweep()) holding.delete(held);
  if (holding.size === 0 && sweeper !== null) {
    clearInterval(sweeper);
    sweeper = null;
  }
}

/** The native engine (see the file header). */
export class NativeMessageCompressor implements ZlibCompressor {
  readonly #settings: NativeEngineSettings;
  /** Our inflater, with context takeover on the peer's side, made on first use. */
  #inflater: RawZlib | null = null;
  /** Our deflater while we send often (context takeover only); null after an idle period. */
  #deflater: RawZlib | null = null;
  /** When we last deflated a message (performance.now()). */
  #lastSentAt = Number.NEGATIVE_INFINITY;
  /** A deflate runs on the thread pool: the context must stay. */
  #deflatingLater = false;
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
    return { deflate: this.#deflater !== null, inflate: this.#inflater !== null };
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
    this.#deflater?.close();
    this.#deflater = null;
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
    const own = this.#deflaterForMessage();
    const deflater = own ?? sharedDeflater(this.#settings.deflateBits, this.#settings.memLevel);
    if (own === null) deflater.restart(this.#takeover ? this.#dictionary() : undefined);
    const result = this.#deflated(data, deflater.runSync([data], Number.MAX_SAFE_INTEGER));
    if (!result.ok) this.#dropDeflater(deflater);
    return result;
  }

  #deflateLater(data: Uint8Array, finish: (result: DeflateResult) => void): void {
    // A large message gets a context of its own either way (the shared one must stay free).
    const deflater = this.#deflaterForMessage() ?? this.#newDeflater();
    this.#deflatingLater = true;
    deflater.runAsync([data], Number.MAX_SAFE_INTEGER, (outcome) => {
      this.#deflatingLater = false;
      const result = this.#deflated(data, outcome);
      if (!result.ok || deflater !== this.#deflater) this.#dropDeflater(deflater);
      finish(result);
    });
  }

  get #takeover(): boolean {
    return !this.#settings.deflateNoContextTakeover;
  }

  /** Our own deflater for this message, made if we sent within the idle period; null: use the shared one. */
  #deflaterForMessage(): RawZlib | null {
    if (!this.#takeover) return null;
    const now = performance.now();
    if (this.#deflater === null && now - this.#lastSentAt < IDLE_RELEASE_MS) {
      this.#deflater = this.#newDeflater();
      hold(this);
    }
    this.#lastSentAt = now;
    return this.#deflater;
  }

  /** A fresh deflater whose window holds what we sent last. */
  #newDeflater(): RawZlib {
    const deflater = new RawZlib('deflate', this.#settings.deflateBits, this.#settings.memLevel);
    deflater.restart(this.#takeover ? this.#dictionary() : undefined);
    return deflater;
  }

  #dropDeflater(deflater: RawZlib): void {
    deflater.close();
    if (deflater === this.#deflater) this.#deflater = null;
  }

  /**
   * @internal The idle sweep: releases our deflater once {@link IDLE_RELEASE_MS} passed without
   * a message. Returns whether the engine still holds one.
   */
  keepAfterSweep(): boolean {
    if (this.#deflater === null) return false;
    if (this.#deflatingLater || performance.now() - this.#lastSentAt < IDLE_RELEASE_MS) return true;
    this.#dropDeflater(this.#deflater);
    return false;
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
    if (this.#takeover) this.#remember(data);
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
