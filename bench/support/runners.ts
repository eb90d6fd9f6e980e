// What one benchmark task does, for us and for ws, with counters the smoke test checks.
// A runner's `prepare()` runs untimed before each call of `run()` (tinybench's beforeEach);
// `run()` is the timed work, about 64 KiB of payload.
import { isUtf8 } from 'node:buffer';
import {
  type EncodeOptions,
  encodeFrame,
  encodeMaskedFrameInto,
  headerLength,
} from '../../src/codec/encoder.js';
import type { WebSocketError } from '../../src/codec/errors.js';
import { FrameParser, type FramePiece, type FrameSink } from '../../src/codec/frame-parser.js';
import { type DecodeSet, encodesPerTask } from './workloads.js';
import { Receiver, Sender, type WsFrameOptions } from './ws-peer.js';

/** One benchmarked operation with what it has produced so far. */
export interface Runner {
  /** Untimed: gives the next `run()` fresh input. */
  prepare(): void;
  /** Timed: one task's work. */
  run(): void;
  /** Whole frames decoded or encoded. */
  frames: number;
  /** Payload bytes decoded or encoded. */
  bytes: number;
  /** The first error the codec reported, if any (the numbers are then meaningless). */
  failure: unknown;
}

/**
 * Hands out the set's chunks in turn, each from a private copy refreshed just before it
 * is pushed: ws unmasks in place, so it must never see a chunk twice. Both sides get the
 * same treatment, so both start each task with the chunk freshly written (warm in cache).
 * A copy is rewritten only after a whole cycle, when ws no longer holds views of it.
 */
class ChunkFeeder {
  private readonly copies: Buffer[];
  private index = 0;
  constructor(private readonly set: DecodeSet) {
    this.copies = set.chunks.map((chunk) => Buffer.from(chunk));
  }
  refresh(): void {
    this.copies[this.index].set(this.set.chunks[this.index]);
  }
  next(): Buffer {
    const chunk = this.copies[this.index];
    this.index = this.index + 1 === this.copies.length ? 0 : this.index + 1;
    return chunk;
  }
}

/** Counts frames and payload bytes: the least a consumer does with each piece. */
class CountingSink implements FrameSink {
  frames = 0;
  bytes = 0;
  failure: WebSocketError | null = null;
  frame(piece: FramePiece): void {
    // Large frames arrive in pieces as their bytes do; the frame counts once, at its end.
    this.bytes += piece.end - piece.start;
    if (piece.last) this.frames++;
  }
  error(error: WebSocketError): void {
    this.failure = error;
  }
}

/** Our `FrameParser({ role: 'server' })`, one chunk pushed per task. */
export function oursDecode(set: DecodeSet, wasm: boolean): Runner {
  const feeder = new ChunkFeeder(set);
  const sink = new CountingSink();
  // As the Node server configures it: buffer.isUtf8 for long whole text messages; ts stays pure.
  const parser = new FrameParser(sink, { role: 'server', wasm, validateUtf8: wasm ? isUtf8 : undefined });
  return {
    prepare: () => feeder.refresh(),
    run: () => parser.push(feeder.next()),
    get frames() {
      return sink.frames;
    },
    get bytes() {
      return sink.bytes;
    },
    get failure() {
      return sink.failure;
    },
  };
}

/** ws's `Receiver` as a server uses it (`maxPayload` 0, UTF-8 checked), one `write()` per task. */
export function wsDecode(set: DecodeSet): Runner {
  const feeder = new ChunkFeeder(set);
  const receiver = new Receiver({ isServer: true, maxPayload: 0, skipUTF8Validation: false });
  const runner: Runner = {
    prepare: () => feeder.refresh(),
    // The path ws's WebSocket takes for every socket chunk (`socketOnData`).
    run: () => receiver.write(feeder.next()),
    frames: 0,
    bytes: 0,
    failure: null,
  };
  receiver.on('message', (data) => {
    runner.frames++;
    runner.bytes += data.length;
  });
  receiver.on('error', (error) => {
    runner.failure = error;
  });
  return runner;
}

function encodeRunner(size: number, encode: (payload: Buffer) => Uint8Array[], payload: Buffer): Runner {
  const count = encodesPerTask(size);
  const runner: Runner = {
    prepare: () => {},
    run: () => {
      let bytes = 0;
      for (let i = 0; i < count; i++) bytes += encode(payload)[0].length;
      runner.frames += count;
      runner.bytes += count * size;
      // Reading the output keeps the encode from being optimised away.
      if (bytes === 0) runner.failure = new Error('empty frames');
    },
    frames: 0,
    bytes: 0,
    failure: null,
  };
  return runner;
}

/**
 * Our `encodeFrame(2, payload, { mask })`, about 64 KiB of payload per task, with the
 * allocator our Node client passes (`Buffer.allocUnsafe`, used above 4 KiB).
 */
export function oursEncode(payload: Buffer, mask: boolean, wasm: boolean): Runner {
  const options: EncodeOptions = { mask, wasm, allocate: Buffer.allocUnsafe };
  return encodeRunner(payload.length, (data) => encodeFrame(2, data, options), payload);
}

/**
 * Our client's own path: `encodeMaskedFrameInto` masks each frame straight into a shared
 * 64 KiB batch (from `Buffer.allocUnsafe`, a new one when full), as `Protocol` does for
 * client frames up to 16 KiB; larger frames take `encodeFrame` as the protocol does.
 */
export function oursEncodeBatched(payload: Buffer): Runner {
  if (payload.length > 16 * 1024) return oursEncode(payload, true, true);
  const batchBytes = 64 * 1024;
  let batch: Uint8Array = Buffer.allocUnsafe(batchBytes);
  let used = 0;
  const frameBytes = headerLength(payload.length, true) + payload.length;
  const options: EncodeOptions = {};
  return encodeRunner(
    payload.length,
    (data) => {
      if (used + frameBytes > batchBytes) {
        batch = Buffer.allocUnsafe(batchBytes);
        used = 0;
      }
      const written = encodeMaskedFrameInto(batch, used, 2, data, options);
      used += written;
      return BATCHED_RESULT(written);
    },
    payload,
  );
}

// encodeRunner reads `[0].length` of what it is given; a batched encode has no frame of its own.
const lengthOnly = [{ length: 0 }] as unknown as Uint8Array[];
const BATCHED_RESULT = (written: number): Uint8Array[] => {
  (lengthOnly[0] as unknown as { length: number }).length = written;
  return lengthOnly;
};

/** ws's static `Sender.frame` as its `Sender` calls it for a binary message it may not modify. */
export function wsEncode(payload: Buffer, mask: boolean): Runner {
  const options: WsFrameOptions = { fin: true, mask, opcode: 2, readOnly: true, rsv1: false };
  return encodeRunner(payload.length, (data) => Sender.frame(data, options), payload);
}
