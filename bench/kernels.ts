// Kernel micro-benchmark: unmask and UTF-8 validation against the native peers ws uses,
// all in one run so the ratios are comparable. Run `npm run build:ts` first, then
// `node dist/bench/kernels.js` (BENCH_TIME_MS sets the time per task, default 300).
//
// Every task is a batch of at least 64 KiB of work, so tinybench's per-iteration overhead
// does not swamp a 16-byte operation. Linear memory is 512 KiB, so "1 MiB" in wasm is four
// 256 KiB window-sized pieces with the mask rotation or UTF-8 state carried, which is how
// the parser meets a frame larger than its window.
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

/** Calls per task so one task does at least BATCH_BYTES of work. */
function batchOf(size: number): number {
  return Math.max(1, Math.ceil(BATCH_BYTES / size));
}

/** Window-sized pieces the wasm side handles `size` bytes in. */
function windowPieces(size: number): number {
  return Math.ceil(size / WINDOW_BYTES);
}

function sizeLabel(size: number): string {
  return size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`;
}

interface Row {
  size: number;
  results: Map<string, number>; // name -> bytes per second
}

async function measure(size: number, tasks: Record<string, () => void>): Promise<Row> {
  const calls = batchOf(size);
  const bench = new Bench({ time: TIME_MS, warmupTime: 100 });
  for (const [name, once] of Object.entries(tasks)) {
    bench.add(name, () => {
      for (let i = 0; i < calls; i++) once();
    });
  }
  await bench.run();
  const results = new Map<string, number>();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    results.set(task.name, (calls * size) / (result.latency.mean / 1000));
  }
  return { size, results };
}

function formatRate(bytesPerSecond: number, size: number): string {
  const gbps = bytesPerSecond / 1e9;
  const ns = (size / bytesPerSecond) * 1e9;
  const time =
    ns < 1000
      ? `${ns.toFixed(1)} ns`
      : ns < 1e6
        ? `${(ns / 1000).toFixed(2)} µs`
        : `${(ns / 1e6).toFixed(2)} ms`;
  return `${gbps.toFixed(2)} GB/s ${time}`;
}

function printTable(title: string, rows: Row[], names: string[], peer: string): void {
  console.log(`\n${title} (GB/s, time per operation, ratio to ${peer})`);
  const header = ['size', ...names];
  const lines = rows.map((row) => {
    const base = row.results.get(peer)!;
    return [
      sizeLabel(row.size),
      ...names.map((name) => {
        const rate = row.results.get(name)!;
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

async function benchUnmask(): Promise<void> {
  const key = 0x5a3c96e1;
  const maskBytes = new Uint8Array([key & 0xff, (key >>> 8) & 0xff, (key >>> 16) & 0xff, key >>> 24]);
  const maskBuffer = Buffer.from(maskBytes);
  const rows: Row[] = [];
  for (const size of SIZES) {
    const source = randomBytes(size);
    const buffer = Buffer.from(source);
    const target = new Uint8Array(size);
    const pieces = windowPieces(size);
    const piece = Math.min(size, WINDOW_BYTES);
    memory.set(source.subarray(0, piece), WINDOW);
    rows.push(
      await measure(size, {
        'wasm in memory': () => {
          // Pieces are multiples of 4 bytes, so the rotation stays 0.
          for (let p = 0; p < pieces; p++) kernels.maskInPlace(WINDOW, piece, key, 0);
        },
        'wasm + copy in': () => {
          for (let p = 0; p < pieces; p++) {
            memory.set(pieces === 1 ? source : source.subarray(p * piece, (p + 1) * piece), WINDOW);
            kernels.maskInPlace(WINDOW, piece, key, 0);
          }
        },
        bufferutil: () => bufferUtil.unmask(buffer, maskBuffer),
        'ws JS loop': () => {
          for (let i = 0; i < buffer.length; i++) buffer[i] ^= maskBuffer[i & 3];
        },
        'Uint8Array set': () => target.set(source),
      }),
    );
  }
  printTable(
    'unmask',
    rows,
    ['wasm in memory', 'wasm + copy in', 'bufferutil', 'ws JS loop', 'Uint8Array set'],
    'bufferutil',
  );
}

const encoder = new TextEncoder();

/** `pattern` repeated to exactly `size` bytes, cut on a character and padded with ASCII. */
function textOf(pattern: string, size: number): Uint8Array {
  const unit = encoder.encode(pattern);
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += unit.length) bytes.set(unit.subarray(0, Math.min(unit.length, size - i)), i);
  let end = size;
  // Back up over a character cut at the end and fill its bytes with ASCII.
  let lead = size - 1;
  while (lead > 0 && (bytes[lead] & 0xc0) === 0x80) lead--;
  const need = bytes[lead] >= 0xf0 ? 4 : bytes[lead] >= 0xe0 ? 3 : bytes[lead] >= 0xc0 ? 2 : 1;
  if (lead + need > size) end = lead;
  bytes.fill(0x61, end);
  if (!isUtf8(bytes)) throw new Error('bench text is not UTF-8');
  return bytes;
}

const TEXTS: Record<string, string> = {
  ASCII: 'The quick brown fox jumps over the lazy dog; 0123456789. ',
  mixed: 'Hello, Grüße! Привет, мир. 你好，世界。 Hi 👋🏽 ok. ',
  '4-byte': '😀😃😄😁🚀🌍🎉𝄞𐍈',
};

async function benchUtf8(): Promise<void> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const names = ['wasm validateUtf8', 'buffer.isUtf8', 'TextDecoder fatal', 'fallback DFA', 'utf-8-validate'];
  for (const [label, pattern] of Object.entries(TEXTS)) {
    const rows: Row[] = [];
    for (const size of SIZES) {
      const text = textOf(pattern, size);
      const buffer = Buffer.from(text);
      const pieces = windowPieces(size);
      // The wasm side validates the text in place: for 1 MiB, four window-sized pieces.
      const pieceBytes = Array.from({ length: pieces }, (_, p) =>
        text.subarray(p * WINDOW_BYTES, Math.min(size, (p + 1) * WINDOW_BYTES)),
      );
      const piece = pieceBytes[0].length;
      let sink = 0;
      // Timed: piece 0 again for each piece (the same work; the carried state is checked below).
      const wasmOnce = () => {
        for (let p = 0; p < pieces; p++) sink += kernels.validateUtf8(WINDOW, piece, UTF8_ACCEPT);
      };
      // Every contender must accept before timing; the wasm pieces with the state carried.
      let state = UTF8_ACCEPT;
      for (const bytes of pieceBytes) {
        memory.set(bytes, WINDOW);
        state = kernels.validateUtf8(WINDOW, bytes.length, state);
      }
      memory.set(pieceBytes[0], WINDOW);
      const verdicts = [
        state === UTF8_ACCEPT,
        isUtf8(buffer),
        decoder.decode(buffer).length > 0,
        validateUtf8Bytes(text, 0, size, UTF8_ACCEPT) === UTF8_ACCEPT,
        isValidUtf8(buffer),
      ];
      if (verdicts.includes(false)) throw new Error(`${label} ${size}: a validator rejected valid text`);
      rows.push(
        await measure(size, {
          'wasm validateUtf8': wasmOnce,
          'buffer.isUtf8': () => {
            sink += isUtf8(buffer) ? 1 : 0;
          },
          'TextDecoder fatal': () => {
            sink += decoder.decode(buffer).length;
          },
          'fallback DFA': () => {
            sink += validateUtf8Bytes(text, 0, size, UTF8_ACCEPT);
          },
          'utf-8-validate': () => {
            sink += isValidUtf8(buffer) ? 1 : 0;
          },
        }),
      );
      if (sink === -1) console.log(sink);
    }
    printTable(`UTF-8 validation, ${label} text`, rows, names, 'buffer.isUtf8');
  }
}

console.log(
  `wasmws kernels vs peers: Node ${process.version}, ${TIME_MS} ms per task, batches of >= ${BATCH_BYTES >> 10} KiB`,
);
console.log('peers: bufferutil (N-API, unmask), buffer.isUtf8 (simdutf), utf-8-validate (N-API), ws JS loop');
await benchUnmask();
await benchUtf8();
