// What one benchmark task does, for us and for ws, with counters the smoke test checks.
// A runner's `prepare()` runs untimed before each call of `run()`; `run()` is the timed
// work, about 64 KiB of payload.
import { isUtf8 } from 'node:buffer';
import {
  type EncodeOptions,
  encodeFrame,
  encodeMaskedFrameInto,
  headerLength,
} from '../../src/codec/encoder.js';
import { FrameParser } from '../../src/codec/frame-parser.js';
import { MessageAssembler } from '../../src/codec/message-assembler.js';
import { nodeMaskInto, nodeTextCodec } from '../../src/transports/node-hooks.js';
import { type DecodeSet, encodesPerTask } from './workloads.js';
import { Receiver, Sender, type WsFrameOptions } from './ws-peer.js';

/** One benchmarked operation with what it has produced so far. */
export interface Runner {
  /** Untimed: gives the next `run()` fresh input. */
  prepare(): void;
  /** Timed: one task's work. */
  run(): void;
  /** Whole messages decoded, or frames encoded. */
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

/**
 * What a decode consumer gets per whole message: the payload view (as ws's Receiver hands
 * it out: a Buffer, UTF-8 already checked), or with `string` delivery the text decoded.
 */
export type MessageConsumer = (data: Uint8Array | string) => void;

/** How decoded text reaches the consumer: `view` (ws's Receiver's work) or `string` (both decode). */
export type Delivery = 'view' | 'string';

/** The timed consumer: counts messages and their payload bytes, the least any user does. */
class MessageCounter {
  messages = 0;
  bytes = 0;
  readonly consume: MessageConsumer = (data) => {
    this.messages++;
    this.bytes += data.length;
  };
}

/**
 * Our `FrameParser` + `MessageAssembler` as our Node server sets them up (role server,
 * `buffer.isUtf8` for whole text messages from 1 KiB, `Buffer.allocUnsafe` for messages
 * gathered across chunks; `wasm: false` is pure TS with no validator), delivering through
 * `messageAt` as our protocol does: messages cut by chunks reassembled, and the consumer
 * gets one view per whole message (`view`), or the text decoded straight from the bytes
 * with Buffer's native UTF-8 slice as our Node glue does (`string`).
 */
export function oursDecode(
  set: DecodeSet,
  wasm: boolean,
  delivery: Delivery = 'view',
  consumer?: MessageConsumer,
): Runner {
  const feeder = new ChunkFeeder(set);
  const counter = new MessageCounter();
  const consume = consumer ?? counter.consume;
  let failure: unknown = null;
  const assembler = new MessageAssembler({
    message: (_opcode, data) =>
      consume(delivery === 'string' ? nodeTextCodec.decode(data, 0, data.length) : data),
    messageAt: (_opcode, bytes, start, end) =>
      consume(delivery === 'string' ? nodeTextCodec.decode(bytes, start, end) : bytes.subarray(start, end)),
    allocate: (size) => Buffer.allocUnsafe(size),
    control: () => {},
    error: (error) => {
      failure ??= error;
    },
  });
  const parser = new FrameParser(assembler, {
    role: 'server',
    wasm,
    validateUtf8: wasm ? isUtf8 : undefined,
  });
  return {
    prepare: () => feeder.refresh(),
    run: () => parser.push(feeder.next()),
    get frames() {
      return counter.messages;
    },
    get bytes() {
      return counter.bytes;
    },
    get failure() {
      return failure;
    },
  };
}

/**
 * ws's `Receiver` as a ws server uses it (`maxPayload` 0, UTF-8 checked), one `write()` per
 * task, its `'message'` Buffer handed on; with `string` delivery `data.toString()`, what a ws
 * user calls.
 */
export function wsDecode(set: DecodeSet, delivery: Delivery = 'view', consumer?: MessageConsumer): Runner {
  const feeder = new ChunkFeeder(set);
  const counter = new MessageCounter();
  const consume = consumer ?? counter.consume;
  const receiver = new Receiver({ isServer: true, maxPayload: 0, skipUTF8Validation: false });
  const runner: Runner = {
    prepare: () => feeder.refresh(),
    // The path ws's WebSocket takes for every socket chunk (`socketOnData`).
    run: () => receiver.write(feeder.next()),
    get frames() {
      return counter.messages;
    },
    get bytes() {
      return counter.bytes;
    },
    failure: null,
  };
  receiver.on('message', (data) => consume(delivery === 'string' ? data.toString() : data));
  receiver.on('error', (error) => {
    runner.failure ??= error;
  });
  return runner;
}

/** An encode runner; `lastOutput()` (untimed, for the harness tests) gives the chunks of the last frame it made. */
export interface EncodeRunner extends Runner {
  lastOutput(): Uint8Array[];
}

function encodeRunner(
  size: number,
  encode: (payload: Buffer) => Uint8Array[],
  payload: Buffer,
  lastOutput?: () => Uint8Array[],
): EncodeRunner {
  const count = encodesPerTask(size);
  let last: Uint8Array[] = [];
  const runner: EncodeRunner = {
    prepare: () => {},
    run: () => {
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        last = encode(payload);
        bytes += last[0].length;
      }
      runner.frames += count;
      runner.bytes += count * size;
      // Reading the output keeps the encode from being optimised away.
      if (bytes === 0) runner.failure = new Error('empty frames');
    },
    frames: 0,
    bytes: 0,
    failure: null,
    lastOutput: lastOutput ?? (() => last),
  };
  return runner;
}

/**
 * Our `encodeFrame(2, payload, { mask })`, about 64 KiB of payload per task, with the
 * hooks our Node client passes: `Buffer.allocUnsafe`, and bufferutil's one-pass masking
 * from 1 KiB when it is installed (not in the no-add-ons child: WASMWS_NO_BUFFERUTIL=1).
 */
export function oursEncode(payload: Buffer, mask: boolean, wasm: boolean): EncodeRunner {
  const options: EncodeOptions = { mask, wasm, allocate: Buffer.allocUnsafe, maskInto: nodeMaskInto };
  return encodeRunner(payload.length, (data) => encodeFrame(2, data, options), payload);
}

/**
 * Our client's own path: `encodeMaskedFrameInto` masks each frame straight into a shared
 * 64 KiB batch (from `Buffer.allocUnsafe`, a new one when full), with the same masking
 * hook, as `Protocol` does for client frames up to 16 KiB; larger frames take
 * `encodeFrame` as the protocol does. No view is made per frame, as in the protocol.
 */
export function oursEncodeBatched(payload: Buffer): EncodeRunner {
  if (payload.length > 16 * 1024) return oursEncode(payload, true, true);
  const batchBytes = 64 * 1024;
  let batch: Uint8Array = Buffer.allocUnsafe(batchBytes);
  let used = 0;
  let lastStart = 0;
  const frameBytes = headerLength(payload.length, true) + payload.length;
  const options: EncodeOptions = { maskInto: nodeMaskInto };
  return encodeRunner(
    payload.length,
    (data) => {
      if (used + frameBytes > batchBytes) {
        batch = Buffer.allocUnsafe(batchBytes);
        used = 0;
      }
      const written = encodeMaskedFrameInto(batch, used, 2, data, options);
      lastStart = used;
      used += written;
      return BATCHED_RESULT(written);
    },
    payload,
    () => [batch.subarray(lastStart, used)],
  );
}

// encodeRunner reads `[0].length` of what it is given; a batched encode has no frame of its own.
const lengthOnly = [{ length: 0 }] as unknown as Uint8Array[];
const BATCHED_RESULT = (written: number): Uint8Array[] => {
  (lengthOnly[0] as unknown as { length: number }).length = written;
  return lengthOnly;
};

/** ws's static `Sender.frame` as its `Sender` calls it for a binary message it may not modify. */
export function wsEncode(payload: Buffer, mask: boolean): EncodeRunner {
  const options: WsFrameOptions = { fin: true, mask, opcode: 2, readOnly: true, rsv1: false };
  return encodeRunner(payload.length, (data) => Sender.frame(data, options), payload);
}
