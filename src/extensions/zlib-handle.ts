// A node:zlib raw deflate or inflate context driven through its native handle, without the
// stream around it: `writeSync` runs zlib in the calling turn (no thread-pool hop, no stream
// events), `write` on the thread pool, both into output buffers we choose, with a byte limit.
// zlib's own one-shot sync functions cannot keep a context between messages (they close the
// stream after one call), so this is how a context-takeover message is compressed in its turn.
//
// It relies on undocumented internals of node:zlib, stable from Node 12 to 24: a stream's
// `_handle` (`init`, `writeSync`, `write`, `reset`, `close`, `onerror`) and `_writeState`
// ([availOut, availIn] after each write). {@link nativeZlibUsable} probes them once with a
// round trip; when they are missing or misbehave, callers use the stream engine instead.
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';

/** The native handle's methods this module uses (node's `ZlibBase` sets them up). */
interface NativeHandle {
  init(
    windowBits: number,
    level: number,
    memLevel: number,
    strategy: number,
    writeState: Uint32Array,
    afterWrite: () => void,
    dictionary: Uint8Array | undefined,
  ): void;
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  write(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number) => void;
}

interface StreamInternals {
  _handle?: NativeHandle | null;
  _writeState?: Uint32Array;
}

/** The outcome of one run: all input taken, or stopped. */
export type RunOutcome =
  /** `chunks` hold the output; `leftover` input bytes came after the end of the deflate stream. */
  | { status: 'done'; chunks: Buffer[]; length: number; leftover: number }
  /** The output passed the limit at `length` bytes; the context is mid-message and must not be used again. */
  | { status: 'too-large'; length: number }
  /** zlib refused the data (for inflate: not a valid deflate stream); the context is unusable. */
  | { status: 'failed'; message: string };

/** Output room for one synchronous write, shared: sync runs never overlap. */
const SYNC_CHUNK = 64 * 1024;
/** Output room for one thread-pool write: the bomb tests' unit, as in node's streams. */
const ASYNC_CHUNK = 16 * 1024;
let syncScratch: Buffer | null = null;

const noDictionary = undefined;

interface AsyncRun {
  pieces: readonly Uint8Array[];
  piece: number;
  offset: number;
  limit: number;
  chunks: Buffer[];
  length: number;
  output: Buffer;
  room: number;
  done: (outcome: RunOutcome) => void;
}

/** One raw zlib context for one direction (see the file header). Created lazily by zlib itself on first write. */
export class RawZlib {
  readonly #stream: DeflateRaw | InflateRaw;
  readonly #handle: NativeHandle;
  readonly #state: Uint32Array;
  readonly #windowBits: number;
  readonly #memLevel: number;
  #failure: string | null = null;
  #async: AsyncRun | null = null;
  #closed = false;

  /** Throws when the internals are missing: check {@link nativeZlibUsable} first. */
  constructor(kind: 'deflate' | 'inflate', windowBits: number, memLevel = 8) {
    // 64-byte stream buffers: the stream's own output buffer is never used.
    this.#stream =
      kind === 'deflate'
        ? createDeflateRaw({ windowBits, memLevel, chunkSize: constants.Z_MIN_CHUNK })
        : createInflateRaw({ windowBits, chunkSize: constants.Z_MIN_CHUNK });
    const internals = this.#stream as unknown as StreamInternals;
    const handle = internals._handle;
    const state = internals._writeState;
    if (!handle || !(state instanceof Uint32Array)) throw new Error('node:zlib internals are missing');
    this.#handle = handle;
    this.#state = state;
    this.#windowBits = windowBits;
    this.#memLevel = memLevel;
    // Errors come here instead of destroying the stream, in the turn of the write that failed.
    handle.onerror = (message) => {
      this.#failure = message;
      const run = this.#async;
      this.#async = null;
      run?.done({ status: 'failed', message });
    };
    this.#init(noDictionary);
  }

  /**
   * Starts a new deflate stream whose window holds `dictionary` (the last bytes sent, for
   * context takeover through a shared context), or an empty one. zlib's reset applies it.
   */
  restart(dictionary: Uint8Array | undefined): void {
    this.#init(dictionary);
    this.#handle.reset();
  }

  /** Back to an empty context (inflate without context takeover). */
  reset(): void {
    this.#handle.reset();
  }

  /** Whether a failure or close made this context unusable. */
  get broken(): boolean {
    return this.#failure !== null || this.#closed;
  }

  /** Runs `pieces` through zlib with Z_SYNC_FLUSH in this turn, stopping once output passes `limit`. */
  runSync(pieces: readonly Uint8Array[], limit: number): RunOutcome {
    syncScratch ??= Buffer.allocUnsafeSlow(SYNC_CHUNK);
    const output = syncScratch;
    const chunks: Buffer[] = [];
    let length = 0;
    for (const piece of pieces) {
      let offset = 0;
      for (;;) {
        const room = Math.min(SYNC_CHUNK, limit - length + 1);
        this.#handle.writeSync(constants.Z_SYNC_FLUSH, piece, offset, piece.length - offset, output, 0, room);
        if (this.#failure !== null) return { status: 'failed', message: this.#failure };
        const availOut = this.#state[0];
        const availIn = this.#state[1];
        const have = room - availOut;
        if (have > 0) {
          length += have;
          // RFC 6455 §7.4.1 (1009): stop at the first byte past the limit, not a chunk later.
          if (length > limit) return { status: 'too-large', length };
          chunks.push(Buffer.from(output.subarray(0, have)));
        }
        offset = piece.length - availIn;
        if (availOut !== 0) {
          // zlib stopped with room left: it took all it could. Input left means the stream ended.
          if (availIn > 0) return { status: 'done', chunks, length, leftover: availIn };
          break;
        }
      }
    }
    return { status: 'done', chunks, length, leftover: 0 };
  }

  /** As {@link runSync}, on the thread pool; `done` is called in a later turn (never after close). */
  runAsync(pieces: readonly Uint8Array[], limit: number, done: (outcome: RunOutcome) => void): void {
    this.#async = {
      pieces,
      piece: 0,
      offset: 0,
      limit,
      chunks: [],
      length: 0,
      output: Buffer.alloc(0),
      room: 0,
      done,
    };
    this.#writeAsync(this.#async);
  }

  /** Frees the zlib context; a pending async run is dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#async = null;
    this.#stream.destroy();
  }

  #init(dictionary: Uint8Array | undefined): void {
    this.#handle.init(
      this.#windowBits,
      constants.Z_DEFAULT_COMPRESSION,
      this.#memLevel,
      constants.Z_DEFAULT_STRATEGY,
      this.#state,
      this.#afterAsyncWrite,
      dictionary,
    );
  }

  #writeAsync(run: AsyncRun): void {
    const piece = run.pieces[run.piece];
    run.room = Math.min(ASYNC_CHUNK, run.limit - run.length + 1);
    run.output = Buffer.allocUnsafe(run.room);
    this.#handle.write(
      constants.Z_SYNC_FLUSH,
      piece,
      run.offset,
      piece.length - run.offset,
      run.output,
      0,
      run.room,
    );
  }

  readonly #afterAsyncWrite = (): void => {
    const run = this.#async;
    if (run === null || this.#closed) return;
    const availOut = this.#state[0];
    const availIn = this.#state[1];
    const have = run.room - availOut;
    const piece = run.pieces[run.piece];
    if (have > 0) {
      run.length += have;
      if (run.length > run.limit) {
        this.#finishAsync(run, { status: 'too-large', length: run.length });
        return;
      }
      run.chunks.push(run.output.subarray(0, have));
    }
    run.offset = piece.length - availIn;
    if (availOut !== 0) {
      // zlib took all it could: on to the next piece, or done (input left: the stream ended).
      if (availIn > 0 || run.piece === run.pieces.length - 1) {
        this.#finishAsync(run, { status: 'done', chunks: run.chunks, length: run.length, leftover: availIn });
        return;
      }
      run.piece++;
      run.offset = 0;
    }
    this.#writeAsync(run);
  };

  #finishAsync(run: AsyncRun, outcome: RunOutcome): void {
    this.#async = null;
    run.done(outcome);
  }
}

/** Joins a run's chunks into one buffer (a copy unless there is one chunk of its own). */
export function joinOutput(chunks: Buffer[], length: number): Buffer {
  if (chunks.length === 1 && chunks[0].length === length) return chunks[0];
  return Buffer.concat(chunks, length);
}

let usable: boolean | undefined;

/**
 * Whether node:zlib's internals work as {@link RawZlib} needs, probed once: a message deflated
 * through a restarted context with a dictionary must refer to it, and inflate, in two pieces,
 * after a stored block that primes the window with the same bytes.
 */
export function nativeZlibUsable(): boolean {
  usable ??= probe();
  return usable;
}

function probe(): boolean {
  let deflater: RawZlib | undefined;
  let inflater: RawZlib | undefined;
  try {
    const history = Buffer.from('{"probe":"permessage-deflate","context":"takeover"}');
    const message = Buffer.from(history);
    deflater = new RawZlib('deflate', 9, 1);
    deflater.restart(history);
    const compressed = deflater.runSync([message], Number.MAX_SAFE_INTEGER);
    // A message equal to the dictionary is one back-reference: the dictionary was applied.
    if (compressed.status !== 'done' || compressed.length > 16) return false;
    inflater = new RawZlib('inflate', 9);
    const primer = inflater.runSync([storedBlock(history)], Number.MAX_SAFE_INTEGER);
    const body = joinOutput(compressed.chunks, compressed.length);
    const inflated = inflater.runSync([body.subarray(0, 3), body.subarray(3)], Number.MAX_SAFE_INTEGER);
    return (
      primer.status === 'done' &&
      inflated.status === 'done' &&
      joinOutput(inflated.chunks, inflated.length).equals(message)
    );
  } catch {
    return false;
  } finally {
    deflater?.close();
    inflater?.close();
  }
}

/** A non-final stored deflate block carrying `bytes` (under 64 KiB): primes an inflater's window. */
function storedBlock(bytes: Uint8Array): Buffer {
  const block = Buffer.alloc(5 + bytes.length);
  block[0] = 0x00; // BFINAL 0, BTYPE 00 (stored), padded to the byte
  block.writeUInt16LE(bytes.length, 1);
  block.writeUInt16LE(~bytes.length & 0xffff, 3);
  block.set(bytes, 5);
  return block;
}
