// Kernel micro-benchmark: unmask and UTF-8 validation against the native peers ws uses,
// all in one run so the ratios are comparable. Run `npm run build:ts` first, then
// `node dist/bench/kernels.js` (BENCH_TIME_MS sets the time per task, default 300).
//
// Every task is a batch of at least 64 KiB of work, so tinybench's per-iteration overhead
// does not swamp a 16-byte operation, and each task has its own loop, so no call site is
// shared between contenders. Linear memory is 512 KiB, so "1 MiB" on the wasm side is four
// 256 KiB window-sized pieces, which is how the parser meets a frame larger than its window.
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { Bench } from 'tinybench';
import { UTF8_ACCEPT, WINDOW, WINDOW_BYTES } from '../assembly/layout.js';
import { validateUtf8Bytes } from '../src/codec/fallback/utf8.js';
import { createWasmKernels } from '../src/codec/kernels.js';

const require = createRequire(import.meta.url);
const bufferUtil = require('bufferutil') as { unmask(buffer: Uint8Array, mask: Uint8Array): void };
const isValidUtf8 = require('utf-8-validate') as (buffer: Uint8Array) => boolean;

const SIZES = [16, 125, 1024, 16 * 1024, 1024 * 1024];
const BATCH_BYTES = 64 * 1024;
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 300);

const maybeKernels = createWasmKernels();
if (maybeKernels === null) throw new Error('WebAssembly SIMD is unavailable');
const kernels = maybeKernels;
const memory = kernels.bytes;

/** Operations per task, so one task does at least BATCH_BYTES of work. */
function batchOf(size: number): number {
  return Math.max(1, Math.ceil(BATCH_BYTES / size));
}

function sizeLabel(size: number): string {
  return size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`;
}

interface Row {
  size: number;
  /** Contender name to bytes per second. */
  rates: Map<string, number>;
}

/** Runs tasks that each perform `batchOf(size)` operations on `size` bytes. */
async function measure(size: number, tasks: Record<string, () => void>): Promise<Row> {
  const bench = new Bench({ time: TIME_MS, warmupTime: 100 });
  for (const [name, task] of Object.entries(tasks)) bench.add(name, task);
  await bench.run();
  const rates = new Map<string, number>();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    // The median batch: other processes on a shared machine skew the mean.
    rates.set(task.name, (batchOf(size) * size) / (result.latency.p50 / 1000));
  }
  return { size, rates };
}

function formatRate(bytesPerSecond: number, size: number): string {
  const ns = (size / bytesPerSecond) * 1e9;
  const time =
    ns < 1000
      ? `${ns.toFixed(1)} ns`
      : ns < 1e6
        ? `${(ns / 1000).toFixed(2)} µs`
        : `${(ns / 1e6).toFixed(2)} ms`;
  return `${(bytesPerSecond / 1e9).toFixed(2)} GB/s ${time}`;
}

function printTable(title: string, rows: Row[], peer: string): void {
  const names = [...rows[0].rates.keys()];
  console.log(`\n${title}: GB/s and time per operation (median batch), ratio to ${peer}`);
  const header = ['size', ...names];
  const lines = rows.map((row) => {
    const base = row.rates.get(peer)!;
    return [
      sizeLabel(row.size),
      ...names.map((name) => {
        const rate = row.rates.get(name)!;
        return `${formatRate(rate, row.size)} ${(rate / base).toFixed(2)}×`;
      }),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(format(line));
}

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let s = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    bytes[i] = s;
  }
  return bytes;
}

/** `size` bytes as window-sized pieces (one piece up to 256 KiB). */
function piecesOf(bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += WINDOW_BYTES) pieces.push(bytes.subarray(at, at + WINDOW_BYTES));
  return pieces;
}

async function benchUnmask(): Promise<void> {
  const key = 0x5a3c96e1;
  const mask = Buffer.from([key & 0xff, (key >>> 8) & 0xff, (key >>> 16) & 0xff, key >>> 24]);
  const rows: Row[] = [];
  for (const size of SIZES) {
    const calls = batchOf(size);
    const source = randomBytes(size);
    const buffer = Buffer.from(source);
    const target = new Uint8Array(size);
    const pieces = piecesOf(source);
    // Pieces are multiples of 4 bytes, so every piece starts at rotation 0.
    const piece = pieces[0].length;
    memory.set(pieces[0], WINDOW);
    rows.push(
      await measure(size, {
        'wasm in memory': () => {
          for (let i = 0; i < calls; i++) {
            for (let p = 0; p < pieces.length; p++) kernels.maskInPlace(WINDOW, piece, key, 0);
          }
        },
        'wasm + copy in': () => {
          for (let i = 0; i < calls; i++) {
            for (let p = 0; p < pieces.length; p++) {
              memory.set(pieces[p], WINDOW);
              kernels.maskInPlace(WINDOW, piece, key, 0);
            }
          }
        },
        bufferutil: () => {
          for (let i = 0; i < calls; i++) bufferUtil.unmask(buffer, mask);
        },
        // ws's own loop (lib/buffer-util.js _unmask, used with WS_NO_BUFFER_UTIL=1).
        'ws JS loop': () => {
          for (let i = 0; i < calls; i++) {
            for (let j = 0; j < buffer.length; j++) buffer[j] ^= mask[j & 3];
          }
        },
        // The memcpy ceiling.
        'Uint8Array set': () => {
          for (let i = 0; i < calls; i++) target.set(source);
        },
      }),
    );
  }
  printTable('unmask', rows, 'bufferutil');
}

const encoder = new TextEncoder();

/** `pattern` repeated to exactly `size` bytes, a character cut at the end replaced by ASCII. */
function textOf(pattern: string, size: number): Uint8Array {
  const unit = encoder.encode(pattern);
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += unit.length)
    bytes.set(unit.subarray(0, Math.min(unit.length, size - at)), at);
  let lead = size - 1;
  while (lead > 0 && (bytes[lead] & 0xc0) === 0x80) lead--;
  const need = bytes[lead] >= 0xf0 ? 4 : bytes[lead] >= 0xe0 ? 3 : bytes[lead] >= 0xc0 ? 2 : 1;
  if (lead + need > size) bytes.fill(0x61, lead);
  if (!isUtf8(bytes)) throw new Error('bench text is not UTF-8');
  return bytes;
}

const TEXTS: Record<string, string> = {
  ASCII: 'The quick brown fox jumps over the lazy dog; 0123456789. ',
  mixed: 'Hello, Grüße! Привет, мир. 你好，世界。 Hi 👋🏽 ok. ',
  '4-byte-heavy': '😀😃😄😁🚀🌍🎉𝄞𐍈',
};

async function benchUtf8(): Promise<void> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const [label, pattern] of Object.entries(TEXTS)) {
    const rows: Row[] = [];
    for (const size of SIZES) {
      const calls = batchOf(size);
      const text = textOf(pattern, size);
      const buffer = Buffer.from(text);
      const pieces = piecesOf(text);
      // Every contender must accept first; the wasm pieces with the state carried across.
      let state = UTF8_ACCEPT;
      for (const piece of pieces) {
        memory.set(piece, WINDOW);
        state = kernels.validateUtf8(WINDOW, piece.length, state);
      }
      const accepted = [
        state === UTF8_ACCEPT,
        isUtf8(buffer),
        decoder.decode(buffer).length > 0,
        validateUtf8Bytes(text, 0, size, UTF8_ACCEPT) === UTF8_ACCEPT,
        isValidUtf8(buffer),
      ];
      if (accepted.includes(false)) throw new Error(`${label} ${size}: a validator rejected valid text`);
      // Timed on piece 0 for each piece: the same work (1 MiB is 4 × 256 KiB).
      memory.set(pieces[0], WINDOW);
      const piece = pieces[0].length;
      let sink = 0;
      rows.push(
        await measure(size, {
          'wasm validateUtf8': () => {
            for (let i = 0; i < calls; i++) {
              for (let p = 0; p < pieces.length; p++)
                sink += kernels.validateUtf8(WINDOW, piece, UTF8_ACCEPT);
            }
          },
          'buffer.isUtf8': () => {
            for (let i = 0; i < calls; i++) sink += isUtf8(buffer) ? 1 : 0;
          },
          'TextDecoder fatal': () => {
            for (let i = 0; i < calls; i++) sink += decoder.decode(buffer).length;
          },
          'DFA (fallback)': () => {
            for (let i = 0; i < calls; i++) sink += validateUtf8Bytes(text, 0, size, UTF8_ACCEPT);
          },
          'utf-8-validate': () => {
            for (let i = 0; i < calls; i++) sink += isValidUtf8(buffer) ? 1 : 0;
          },
        }),
      );
      if (sink < 0) console.log(sink);
    }
    printTable(`UTF-8 validation, ${label} text`, rows, 'buffer.isUtf8');
  }
}

console.log(
  `wasmws kernels vs peers, Node ${process.version}, ${TIME_MS} ms per task, batches of >= ${BATCH_BYTES >> 10} KiB`,
);
console.log('peers: bufferutil (N-API unmask), buffer.isUtf8 (simdutf), utf-8-validate (N-API), ws JS loop');
await benchUnmask();
await benchUtf8();
