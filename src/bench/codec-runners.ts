// What one codec task does for each side, with counters and a check of what it delivered:
// decode doing what ws's Receiver does for a server (one view per whole message, messages cut
// by chunks reassembled, UTF-8 checked; or strings with `--deliver=string`), encode as ws's
// Sender.frame does, the kernels against the native peers, and an adapter's own codec.
// `prepare()` runs untimed before each timed `run()`, which does about 64 KiB of work.
import { isUtf8 } from 'node:buffer';
import { UTF8_ACCEPT, WINDOW, WINDOW_BYTES } from '../../assembly/layout.js';
import { encodeFrame, FrameParser, MessageAssembler } from '../codec/index.js';
import { createWasmKernels, validateUtf8Bytes } from '../codec/kernels-entry.js';
import { nodeMaskInto, nodeTextCodec } from '../transports/node-hooks.js';
import { type DecodeSet, encodesPerTask } from './decode-set.js';
import { PayloadDigest, readFrame } from './payloads.js';

/** One benchmarked operation with what it has produced so far. */
export interface Runner {
  /** Untimed: gives the next `run()` fresh input. */
  prepare(): void;
  /** Timed: one task's work. */
  run(): void;
  /** Whole messages decoded, frames encoded or operations done. */
  readonly count: number;
  /** Payload bytes. */
  readonly bytes: number;
  /** The first error the codec reported (the numbers are then meaningless). */
  readonly failure: unknown;
}

/** What a decode consumer gets per whole message: a payload view or, with `string` delivery, the text. */
export type MessageConsumer = (data: Uint8Array | string) => void;
/** `view`: ws's Receiver's work; `string`: both sides decode text as their users get it. */
export type Delivery = 'view' | 'string';

/** A codec a benchmarker brings (`--peer`): push bytes of masked client frames, get whole messages. */
export interface CodecAdapter {
  /** A decoder that calls `message` once per whole message (a view or a string). */
  decoder(message: (data: Uint8Array | string, isBinary: boolean) => void): { push(chunk: Uint8Array): void };
  /** Optional: one final frame of `payload` (opcode 2, masked when `mask`), as bytes or chunks. */
  encode?(payload: Uint8Array, mask: boolean): Uint8Array | Uint8Array[];
}

/** ws's internals the codec rows use (not typed by @types/ws). */
export interface WsInternals {
  Receiver: new (options: {
    isServer: boolean;
    maxPayload: number;
    skipUTF8Validation: boolean;
  }) => {
    write(chunk: Buffer): boolean;
    on(event: 'message', listener: (data: Buffer) => void): unknown;
    on(event: 'error', listener: (error: Error) => void): unknown;
  };
  Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] };
}

/**
 * Hands out the set's chunks in turn, each from a private copy refreshed just before it is
 * pushed: ws unmasks in place, so no side may see a chunk twice. A copy is rewritten only
 * after a whole cycle, when no view of it is held any more.
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
  /** The chunk the next {@link next} returns. */
  peek(): Buffer {
    return this.copies[this.index];
  }
  next(): Buffer {
    const chunk = this.copies[this.index];
    this.index = (this.index + 1) % this.copies.length;
    return chunk;
  }
}

/**
 * A decoder under test: `push` one chunk; messages go to the consumer given to `make`. `stage`,
 * when present, runs untimed first and puts the chunk where that decoder reads it, as a socket's
 * read does (ours reads a TCP socket straight into the kernels' memory).
 */
export type DecoderFactory = (consume: MessageConsumer) => {
  stage?(chunk: Buffer): void;
  push(chunk: Buffer): void;
  failure(): unknown;
};

/**
 * Our `FrameParser` + `MessageAssembler` as our Node server sets them up; `wasm: false` is the
 * pure-TS path. `inPlace`: each chunk is staged (untimed, as the socket's read) in the parser's
 * read target and parsed there, as over TCP; otherwise pushed (copied in), as over TLS or HTTP/2.
 */
export function oursDecoder(wasm: boolean, delivery: Delivery, inPlace = false): DecoderFactory {
  return (consume) => {
    let failure: unknown = null;
    const text = (bytes: Uint8Array, start: number, end: number) =>
      delivery === 'string' ? nodeTextCodec.decode(bytes, start, end) : bytes.subarray(start, end);
    const assembler = new MessageAssembler({
      message: (_opcode, data) => consume(text(data, 0, data.length)),
      messageAt: (_opcode, bytes, start, end) => consume(text(bytes, start, end)),
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
    if (!inPlace) return { push: (chunk) => parser.push(chunk), failure: () => failure };
    return {
      stage: (chunk) => parser.readTarget().set(chunk),
      push: (chunk) => parser.pushInPlace(chunk.length),
      failure: () => failure,
    };
  };
}

/** ws's `Receiver` as a ws server runs it (`maxPayload` 0, UTF-8 checked), fed by `write()` as its socket does. */
export function wsDecoder(ws: WsInternals, delivery: Delivery): DecoderFactory {
  return (consume) => {
    let failure: unknown = null;
    const receiver = new ws.Receiver({ isServer: true, maxPayload: 0, skipUTF8Validation: false });
    receiver.on('message', (data) => consume(delivery === 'string' ? data.toString() : data));
    receiver.on('error', (error) => {
      failure ??= error;
    });
    return { push: (chunk) => receiver.write(chunk), failure: () => failure };
  };
}

/** A benchmarker's codec: its messages reach the consumer as it hands them out. */
export function adapterDecoder(adapter: CodecAdapter): DecoderFactory {
  return (consume) => {
    const decoder = adapter.decoder((data) => consume(data));
    return { push: (chunk) => decoder.push(chunk), failure: () => null };
  };
}

/** A decode runner: one chunk per task, messages and bytes counted. */
export function decodeRunner(set: DecodeSet, make: DecoderFactory): Runner {
  const feeder = new ChunkFeeder(set);
  const counts = { count: 0, bytes: 0 };
  const decoder = make((data) => {
    counts.count++;
    counts.bytes += data.length;
  });
  return {
    prepare: () => {
      feeder.refresh();
      decoder.stage?.(feeder.peek());
    },
    run: () => decoder.push(feeder.next()),
    get count() {
      return counts.count;
    },
    get bytes() {
      return counts.bytes;
    },
    get failure() {
      return decoder.failure();
    },
  };
}

/** Every message one cycle of the set's chunks decodes to, digested: what the checks compare. */
export function decodeDigest(set: DecodeSet, make: DecoderFactory): PayloadDigest {
  const digest = new PayloadDigest();
  const decoder = make((data) => digest.add(data));
  for (const chunk of set.chunks) {
    const copy = Buffer.from(chunk);
    decoder.stage?.(copy);
    decoder.push(copy);
  }
  const failure = decoder.failure();
  if (failure) throw new Error(`the decoder failed: ${String(failure)}`);
  return digest;
}

/** An encoder under test: the chunks of one final binary frame of `payload`. */
export type Encoder = (payload: Buffer) => Uint8Array[];

/** Our `encodeFrame` with the hooks our Node client passes (bufferutil's masking from 64 B, when installed). */
export const oursEncoder =
  (mask: boolean): Encoder =>
  (payload) =>
    encodeFrame(2, payload, { mask, allocate: Buffer.allocUnsafe, maskInto: nodeMaskInto });

/** ws's static `Sender.frame` as its `Sender` calls it for a binary message it may not modify. */
export const wsEncoder =
  (ws: WsInternals, mask: boolean): Encoder =>
  (payload) =>
    ws.Sender.frame(payload, { fin: true, mask, opcode: 2, readOnly: true, rsv1: false });

/** An adapter's encoder, when it has one. */
export const adapterEncoder =
  (adapter: CodecAdapter, mask: boolean): Encoder =>
  (payload) => {
    const out = adapter.encode!(payload, mask);
    return Array.isArray(out) ? out : [out];
  };

/** An encode runner: about 64 KiB of payload per task; reading each output keeps it from being optimised away. */
export function encodeRunner(payload: Buffer, encode: Encoder): Runner {
  const calls = encodesPerTask(payload.length);
  const state = { count: 0, bytes: 0, failure: null as unknown };
  return {
    prepare: () => {},
    run: () => {
      let bytes = 0;
      for (let i = 0; i < calls; i++) bytes += encode(payload)[0].length;
      state.count += calls;
      state.bytes += calls * payload.length;
      if (bytes === 0) state.failure = new Error('empty frames');
    },
    get count() {
      return state.count;
    },
    get bytes() {
      return state.bytes;
    },
    get failure() {
      return state.failure;
    },
  };
}

/** One frame of the encoder read back: its payload digested (it must be the input), and its first byte checked. */
export function encodeDigest(payload: Buffer, encode: Encoder, mask: boolean): PayloadDigest {
  const frame = readFrame(Buffer.concat(encode(payload)));
  if (frame.first !== 0x82) throw new Error(`frame starts 0x${frame.first.toString(16)}, not 0x82`);
  const masked = (Buffer.concat(encode(payload))[1] & 0x80) !== 0;
  if (masked !== mask) throw new Error(mask ? 'client frame not masked' : 'server frame masked');
  const digest = new PayloadDigest();
  digest.add(frame.payload);
  return digest;
}

/** A kernel operation repeated over about 64 KiB per task. */
function operationRunner(size: number, operation: () => unknown): Runner {
  const calls = Math.max(1, Math.ceil((64 * 1024) / size));
  const state = { count: 0, bytes: 0, failure: null as unknown };
  return {
    prepare: () => {},
    run: () => {
      let sink = 0;
      for (let i = 0; i < calls; i++) sink += operation() ? 1 : 0;
      state.count += calls;
      state.bytes += calls * size;
      if (sink < 0) state.failure = new Error('unreachable');
    },
    get count() {
      return state.count;
    },
    get bytes() {
      return state.bytes;
    },
    get failure() {
      return state.failure;
    },
  };
}

const kernels = createWasmKernels();

/** Unmask contenders at `size` (1 MiB as 256 KiB window pieces on the wasm side); base `bufferutil`. */
export function unmaskRunners(
  size: number,
  bufferutil: { unmask(buffer: Uint8Array, mask: Uint8Array): void } | undefined,
): Record<string, () => Runner> {
  const key = 0x5a3c96e1;
  const mask = Buffer.from([key & 0xff, (key >>> 8) & 0xff, (key >>> 16) & 0xff, key >>> 24]);
  const source = Buffer.from(new Uint8Array(size).map((_, i) => (i * 131) & 0xff));
  const piece = Math.min(size, WINDOW_BYTES);
  const pieces = Math.ceil(size / piece);
  const runners: Record<string, () => Runner> = {};
  if (kernels !== null) {
    const memory = kernels.bytes;
    runners['wasm in memory'] = () =>
      operationRunner(size, () => {
        for (let p = 0; p < pieces; p++) kernels.maskInPlace(WINDOW, piece, key, 0);
      });
    runners['wasm + copy in'] = () =>
      operationRunner(size, () => {
        for (let p = 0; p < pieces; p++) {
          memory.set(source.subarray(p * piece, (p + 1) * piece), WINDOW);
          kernels.maskInPlace(WINDOW, piece, key, 0);
        }
      });
  }
  const buffer = Buffer.from(source);
  if (bufferutil !== undefined)
    runners.bufferutil = () => operationRunner(size, () => bufferutil.unmask(buffer, mask));
  // ws's own loop (lib/buffer-util.js, used with WS_NO_BUFFER_UTIL=1).
  runners['ws JS loop'] = () =>
    operationRunner(size, () => {
      for (let j = 0; j < buffer.length; j++) buffer[j] ^= mask[j & 3];
    });
  const target = new Uint8Array(size);
  runners['Uint8Array set'] = () => operationRunner(size, () => target.set(source));
  return runners;
}

/** UTF-8 validation contenders on valid `text`; base `buffer.isUtf8`. Each must accept it first. */
export function utf8Runners(text: Buffer): Record<string, () => Runner> {
  const size = text.length;
  const runners: Record<string, () => Runner> = {
    'buffer.isUtf8': () => operationRunner(size, () => isUtf8(text)),
    'DFA (fallback)': () =>
      operationRunner(size, () => validateUtf8Bytes(text, 0, size, UTF8_ACCEPT) === UTF8_ACCEPT),
  };
  if (!isUtf8(text) || validateUtf8Bytes(text, 0, size, UTF8_ACCEPT) !== UTF8_ACCEPT) {
    throw new Error('bench text is not UTF-8');
  }
  if (kernels !== null) {
    const piece = Math.min(size, WINDOW_BYTES);
    const pieces = Math.ceil(size / piece);
    kernels.bytes.set(text.subarray(0, piece), WINDOW);
    if (kernels.validateUtf8(WINDOW, piece, UTF8_ACCEPT) !== UTF8_ACCEPT)
      throw new Error('wasm rejected valid text');
    // Timed on the first piece once per piece: the same work (1 MiB is 4 × 256 KiB).
    runners['wasm validateUtf8'] = () =>
      operationRunner(size, () => {
        let state = 0;
        for (let p = 0; p < pieces; p++) state |= kernels.validateUtf8(WINDOW, piece, UTF8_ACCEPT);
        return state === UTF8_ACCEPT;
      });
  }
  return runners;
}
