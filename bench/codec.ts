// The codec benchmark against ws (`npm run bench`): decode of masked client text messages
// doing what ws's Receiver does, client-side (masking) encode and server-side encode. Every
// comparison is paired (bench/support/paired.ts): ours and ws take turns in short slices,
// the ratio is the median of the per-round ratios, and A/A pairs show the noise.
//
// ws picks bufferutil when it is first imported, so the runs against ws without add-ons
// happen in a child process of this same file (`--only=ws-no-addons`, WS_NO_BUFFER_UTIL=1
// and WASMWS_NO_BUFFERUTIL=1: no add-on on either side) that pairs ours with that ws again
// and prints JSON.
//
// Options: --json (machine-readable results only), --rounds=N (default 11), --time=MS per
// side and round (default 100), --warmup=MS per side before a pair (default 100),
// --sizes=16,125,... (bytes), --sections=decode,clientEncode,serverEncode,
// --text=ascii,mixed (default both), --deliver=view|string (default view: neither side
// decodes text to a string; string: both do), --no-child (skip ws without add-ons).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { wasmAvailable } from '../src/codec/kernel-pool.js';
import { sourceVersion } from './support/machine.js';
import { measurePair, type SliceSettings, spreadOf } from './support/paired.js';
import {
  clientEncodeGoal,
  decodeGoal,
  goalChecks,
  type Results,
  type Row,
  render,
  SECTIONS,
  type Section,
  type Settings,
  sizeLabel,
} from './support/report.js';
import {
  type Delivery,
  oursDecode,
  oursEncode,
  oursEncodeBatched,
  type Runner,
  wsDecode,
  wsEncode,
} from './support/runners.js';
import { binaryPayload, buildDecodeSet, DEFAULT_SIZES, type TextKind } from './support/workloads.js';
import { peerInfo } from './support/ws-peer.js';

const { values: argv } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string', default: '11' },
    time: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '100' },
    sizes: { type: 'string', default: DEFAULT_SIZES.join(',') },
    sections: { type: 'string', default: SECTIONS.join(',') },
    text: { type: 'string', default: 'ascii,mixed' },
    deliver: { type: 'string', default: 'view' },
    'no-child': { type: 'boolean', default: false },
  },
});

function settingsFromArgs(): Settings {
  const sizes = argv.sizes.split(',').map(Number);
  if (sizes.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new RangeError(`bad --sizes ${argv.sizes}`);
  const texts = argv.text.split(',') as TextKind[];
  if (texts.some((t) => t !== 'ascii' && t !== 'mixed')) throw new RangeError('--text takes ascii, mixed');
  if (argv.deliver !== 'view' && argv.deliver !== 'string')
    throw new RangeError('--deliver is view or string');
  const rounds = Number(argv.rounds);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new RangeError(`bad --rounds ${argv.rounds}`);
  const sections = argv.sections.split(',') as Section[];
  if (sections.some((section) => !SECTIONS.includes(section))) {
    throw new RangeError(`--sections takes ${SECTIONS.join(', ')}`);
  }
  const time = Number(argv.time);
  const warmup = Number(argv.warmup);
  if (!(time > 0) || !(warmup >= 0)) throw new RangeError('--time and --warmup are milliseconds');
  return { rounds, time, warmup, sizes, sections, texts, delivery: argv.deliver };
}

/** One paired comparison to run: fresh runners for A and B, and the goal of A ÷ B. */
interface PlannedPair {
  section: Section;
  size: number;
  text?: TextKind;
  a: string;
  b: string;
  make(variant: string): Runner;
  goal?: number;
}

/**
 * The pairs of this process, per row in order. `ws` is whichever ws this process loaded;
 * the child's rows are merged under `wsNoAddons`. A/A pairs (a runner against a second
 * instance of itself) come right after the comparison whose noise they show.
 */
function plan(settings: Settings, child: boolean): PlannedPair[] {
  const pairs: PlannedPair[] = [];
  const wanted = (section: Section) => settings.sections.includes(section);
  const delivery: Delivery = settings.delivery;
  for (const text of wanted('decode') ? settings.texts : []) {
    for (const size of settings.sizes) {
      const set = buildDecodeSet(size, text);
      const make = (variant: string) =>
        variant === 'ws' ? wsDecode(set, delivery) : oursDecode(set, variant === 'ours', delivery);
      const add = (a: string, b: string, goal?: number) =>
        pairs.push({ section: 'decode', size, text, a, b, make, goal });
      add('ours', 'ws', child ? undefined : decodeGoal(size, text));
      add('ws', 'ws');
      if (!child) {
        add('ours', 'ours');
        add('oursTs', 'ws');
      }
    }
  }
  for (const size of wanted('clientEncode') ? settings.sizes : []) {
    const payload = binaryPayload(size);
    const make = (variant: string) =>
      variant === 'ws'
        ? wsEncode(payload, true)
        : variant === 'oursBatch'
          ? oursEncodeBatched(payload)
          : oursEncode(payload, true, true);
    const add = (a: string, b: string, goal?: number) =>
      pairs.push({ section: 'clientEncode', size, a, b, make, goal });
    add('oursBatch', 'ws', child ? undefined : clientEncodeGoal(size));
    add('ws', 'ws');
    if (!child) add('ours', 'ws');
  }
  // Unmasked frames do not touch bufferutil: no run without add-ons needed.
  for (const size of wanted('serverEncode') && !child ? settings.sizes : []) {
    const payload = binaryPayload(size);
    const make = (variant: string) =>
      variant === 'ws' ? wsEncode(payload, false) : oursEncode(payload, false, true);
    pairs.push({ section: 'serverEncode', size, a: 'ours', b: 'ws', make });
    pairs.push({ section: 'serverEncode', size, a: 'ws', b: 'ws', make });
  }
  return pairs;
}

function measure(planned: PlannedPair[], settings: Settings, progress: boolean): Results['sections'] {
  const sections: Results['sections'] = { decode: [], clientEncode: [], serverEncode: [] };
  const slices: SliceSettings = {
    rounds: settings.rounds,
    sliceMs: settings.time,
    warmupMs: settings.warmup,
  };
  for (const [index, p] of planned.entries()) {
    const label = `${p.section} ${p.text ?? ''} ${sizeLabel(p.size)}: ${p.a} ÷ ${p.b}`;
    if (progress) process.stderr.write(`[${index + 1}/${planned.length}] ${label}\n`);
    const rounds = measurePair(p.make(p.a), p.make(p.b), slices);
    const rows = sections[p.section];
    let row = rows.find((r) => r.size === p.size && r.text === p.text);
    if (row === undefined) {
      row = { size: p.size, text: p.text, metrics: {}, pairs: [] };
      rows.push(row);
    }
    row.pairs.push({
      a: p.a,
      b: p.b,
      aa: p.a === p.b,
      ratio: spreadOf(rounds.ratios),
      ratios: rounds.ratios,
      goal: p.goal,
    });
    // Each variant's rate comes from the first pair that measured it.
    const record = (variant: string, rates: number[], bytes: number[]) => {
      row.metrics[variant] ??= {
        framesPerSec: spreadOf(rates).median,
        mbPerSec: spreadOf(bytes).median / 1e6,
      };
    };
    record(p.a, rounds.aRates, rounds.aBytesPerSec);
    record(p.b, rounds.bRates, rounds.bBytesPerSec);
  }
  return sections;
}

/** Runs the pairs against ws without add-ons in a child process of this file and returns its results. */
function runWithoutAddons(settings: Settings): Results {
  const args = [
    ...process.execArgv,
    fileURLToPath(import.meta.url),
    '--only=ws-no-addons',
    '--json',
    `--rounds=${settings.rounds}`,
    `--time=${settings.time}`,
    `--warmup=${settings.warmup}`,
    `--sizes=${settings.sizes.join(',')}`,
    `--sections=${settings.sections.join(',')}`,
    `--text=${settings.texts.join(',')}`,
    `--deliver=${settings.delivery}`,
  ];
  const child = spawnSync(process.execPath, args, {
    // Neither side gets bufferutil there: ours masks with its kernels then.
    env: { ...process.env, WS_NO_BUFFER_UTIL: '1', WASMWS_NO_BUFFERUTIL: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`the ws-without-add-ons child exited with ${child.status}`);
  const results = JSON.parse(child.stdout) as Results;
  if (results.peer.bufferutil) throw new Error('WS_NO_BUFFER_UTIL=1 did not stop ws from loading bufferutil');
  return results;
}

const rename = (variant: string) => (variant === 'ws' ? 'wsNoAddons' : `${variant}NoAddonsRun`);

/** Adds the child's pairs to the matching rows, its `ws` renamed `wsNoAddons` (and its ours kept apart). */
function merge(into: Results['sections'], from: Results['sections']): void {
  for (const section of SECTIONS) {
    for (const theirs of from[section]) {
      const row: Row | undefined = into[section].find(
        (r) => r.size === theirs.size && r.text === theirs.text,
      );
      if (row === undefined) continue;
      for (const pair of theirs.pairs) {
        // ours is the same code in both processes; its pair keeps the name `ours` on our side.
        const a = pair.a === 'ws' ? 'wsNoAddons' : pair.a;
        row.pairs.push({ ...pair, a, b: 'wsNoAddons' });
      }
      for (const [variant, metric] of Object.entries(theirs.metrics)) {
        row.metrics[rename(variant)] = metric;
      }
    }
  }
}

/** Linux PSI: microseconds during which some task waited for a CPU, or undefined elsewhere. */
function cpuStallMicros(): number | undefined {
  try {
    const match = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const settings = settingsFromArgs();
  const childMode = argv.only === 'ws-no-addons';
  if (argv.only !== undefined && !childMode) throw new RangeError(`unknown --only=${argv.only}`);
  const peer = peerInfo();
  if (!childMode && !wasmAvailable()) process.stderr.write('warning: WebAssembly kernels unavailable\n');
  if (!childMode && !peer.bufferutil) process.stderr.write('warning: ws runs without bufferutil here\n');
  const stallBefore = cpuStallMicros();
  const startedAt = performance.now();
  const wantsChild = !childMode && !argv['no-child'] && settings.sections.some((s) => s !== 'serverEncode');
  if (wantsChild && !argv.json)
    process.stderr.write('measuring ours and ws without add-ons (child process)…\n');
  const withoutAddons = wantsChild ? runWithoutAddons(settings) : undefined;
  if (!argv.json && !childMode) process.stderr.write('measuring ours and ws with bufferutil…\n');
  const sections = measure(plan(settings, childMode), settings, !argv.json);
  const stallAfter = cpuStallMicros();
  const cpuPressure =
    stallBefore === undefined || stallAfter === undefined
      ? undefined
      : (stallAfter - stallBefore) / 1000 / (performance.now() - startedAt);
  const results: Results = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
    wasm: wasmAvailable(),
    settings,
    peer,
    source: childMode ? undefined : sourceVersion(),
    sections,
    cpuPressure,
  };
  if (withoutAddons !== undefined) {
    results.peerWithoutAddons = withoutAddons.peer;
    merge(results.sections, withoutAddons.sections);
  }
  const output = argv.json
    ? JSON.stringify({ ...results, goals: goalChecks(results) }, null, 2)
    : render(results);
  process.stdout.write(`${output}\n`);
}

await main();
