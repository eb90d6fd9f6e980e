// The codec benchmark against ws (`npm run bench`): decode of masked client text frames,
// client-side (masking) encode and server-side encode, ours and ws's side by side in one
// run, with the ratios (ours ÷ ws) next to the goals.
//
// ws picks bufferutil when it is first imported, so ws without add-ons runs in a child
// process of this same file (`--only=ws-no-addons`, WS_NO_BUFFER_UTIL=1) that prints JSON;
// everything else, ours and ws with bufferutil, runs here, task after task, per size.
//
// Options: --json (machine-readable results only), --rounds=N (default 5, best kept),
// --time=MS per task and round (default 200), --warmup=MS (first round only, default 200),
// --sizes=16,125,... (bytes), --sections=decode,clientEncode,serverEncode, --text=ascii|mixed,
// --no-child (skip ws without add-ons).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { wasmAvailable } from '../src/codec/kernel-pool.js';
import {
  goalChecks,
  type Metric,
  type Results,
  render,
  SECTIONS,
  type Section,
  type Settings,
  sizeLabel,
} from './support/report.js';
import {
  oursDecode,
  oursEncode,
  oursEncodeBatched,
  type Runner,
  wsDecode,
  wsEncode,
} from './support/runners.js';
import { binaryPayload, buildDecodeSet, DEFAULT_SIZES } from './support/workloads.js';
import { peerInfo } from './support/ws-peer.js';

interface Planned {
  section: Section;
  size: number;
  variant: string;
  runner: Runner;
  framesAtStart: number;
  bytesAtStart: number;
}

const { values: argv } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    time: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '200' },
    sizes: { type: 'string', default: DEFAULT_SIZES.join(',') },
    sections: { type: 'string', default: SECTIONS.join(',') },
    text: { type: 'string', default: 'ascii' },
    'no-child': { type: 'boolean', default: false },
  },
});

function settingsFromArgs(): Settings {
  const sizes = argv.sizes.split(',').map(Number);
  if (sizes.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new RangeError(`bad --sizes ${argv.sizes}`);
  if (argv.text !== 'ascii' && argv.text !== 'mixed') throw new RangeError('--text is ascii or mixed');
  const rounds = Number(argv.rounds);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new RangeError(`bad --rounds ${argv.rounds}`);
  const sections = argv.sections.split(',') as Section[];
  if (sections.some((section) => !SECTIONS.includes(section))) {
    throw new RangeError(`--sections takes ${SECTIONS.join(', ')}`);
  }
  const time = Number(argv.time);
  const warmup = Number(argv.warmup);
  if (!(time > 0) || !(warmup >= 0)) throw new RangeError('--time and --warmup are milliseconds');
  return { rounds, time, warmup, sizes, sections, text: argv.text };
}

/** The tasks of this process, in the order they run: per size, ours then ws, back to back. */
function plan(settings: Settings, wsOnly: boolean): Planned[] {
  const planned: Planned[] = [];
  const add = (section: Section, size: number, variant: string, runner: Runner) =>
    planned.push({ section, size, variant, runner, framesAtStart: 0, bytesAtStart: 0 });
  const wanted = (section: Section) => settings.sections.includes(section);
  for (const size of wanted('decode') ? settings.sizes : []) {
    const set = buildDecodeSet(size, settings.text);
    if (!wsOnly) {
      add('decode', size, 'ours', oursDecode(set, true));
      add('decode', size, 'oursTs', oursDecode(set, false));
    }
    add('decode', size, 'ws', wsDecode(set));
  }
  for (const size of wanted('clientEncode') ? settings.sizes : []) {
    const payload = binaryPayload(size);
    if (!wsOnly) {
      add('clientEncode', size, 'oursBatch', oursEncodeBatched(payload));
      add('clientEncode', size, 'ours', oursEncode(payload, true, true));
      add('clientEncode', size, 'oursTs', oursEncode(payload, true, false));
    }
    add('clientEncode', size, 'ws', wsEncode(payload, true));
  }
  // Unmasked frames do not touch bufferutil: no run without add-ons needed.
  if (!wsOnly) {
    for (const size of wanted('serverEncode') ? settings.sizes : []) {
      const payload = binaryPayload(size);
      add('serverEncode', size, 'ours', oursEncode(payload, false, true));
      add('serverEncode', size, 'ws', wsEncode(payload, false));
    }
  }
  return planned;
}

/** One round: every planned task once, in order, under tinybench; returns each task's metric. */
async function measureRound(
  planned: Planned[],
  settings: Settings,
  progress: string | null,
  warmup: boolean,
): Promise<Metric[]> {
  const bench = new Bench({
    time: settings.time,
    warmup,
    warmupTime: settings.warmup,
    iterations: 16,
    throws: true,
  });
  for (const [index, p] of planned.entries()) {
    bench.add(`${index} ${p.section} ${p.variant} ${sizeLabel(p.size)}`, () => p.runner.run(), {
      // Declared, so tinybench does not call the task once untimed to find out.
      async: false,
      beforeEach: () => p.runner.prepare(),
      beforeAll: (mode) => {
        if (mode !== 'run') return;
        p.framesAtStart = p.runner.frames;
        p.bytesAtStart = p.runner.bytes;
      },
    });
  }
  // A live status line on a terminal; one line per round otherwise.
  if (progress !== null && process.stderr.isTTY) {
    bench.addEventListener('cycle', (event) =>
      process.stderr.write(`\r${progress} ${event.task?.name}\u001b[K`),
    );
  } else if (progress !== null) {
    process.stderr.write(`${progress} ${planned.length} tasks\n`);
  }
  await bench.run();
  return bench.tasks.map((task, index) => {
    const p = planned[index];
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    if (p.runner.failure) throw new Error(`${task.name}: the codec failed: ${String(p.runner.failure)}`);
    // Counted over the timed calls only: the beforeEach copies are outside totalTime.
    const seconds = result.totalTime / 1000;
    return {
      framesPerSec: (p.runner.frames - p.framesAtStart) / seconds,
      mbPerSec: (p.runner.bytes - p.bytesAtStart) / seconds / 1e6,
      rme: result.latency.rme,
      samples: result.latency.samplesCount,
    };
  });
}

/**
 * Runs every task `settings.rounds` times and keeps each task's best round: on a shared
 * machine other work only ever slows a task down, and ours and ws's tasks of one size run
 * back to back in every round, so both get the same chances.
 */
async function measure(
  planned: Planned[],
  settings: Settings,
  progress: boolean,
): Promise<Results['sections']> {
  const rounds: Metric[][] = [];
  for (let round = 0; round < settings.rounds; round++) {
    // Odd rounds run the tasks in reverse, so no task always follows the same neighbour
    // (the garbage of a 1 MiB task, say); later rounds reuse the first round's warm-up.
    const order = round % 2 === 0 ? planned : [...planned].reverse();
    const label = progress ? `round ${round + 1}/${settings.rounds}:` : null;
    const metrics = await measureRound(order, settings, label, round === 0);
    rounds.push(planned.map((p) => metrics[order.indexOf(p)]));
  }
  if (progress && process.stderr.isTTY) process.stderr.write('\n');
  const sections: Results['sections'] = { decode: [], clientEncode: [], serverEncode: [] };
  for (const [index, p] of planned.entries()) {
    const all = rounds.map((metrics) => metrics[index]);
    const best = all.reduce((a, b) => (b.framesPerSec > a.framesPerSec ? b : a));
    const rows = sections[p.section];
    let row = rows.find((r) => r.size === p.size);
    if (row === undefined) {
      row = { size: p.size, metrics: {} };
      rows.push(row);
    }
    row.metrics[p.variant] = { ...best, rounds: all.map((m) => m.framesPerSec) };
  }
  return sections;
}

/** Runs ws without add-ons in a child process of this file and returns its results. */
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
    `--text=${settings.text}`,
  ];
  const child = spawnSync(process.execPath, args, {
    env: { ...process.env, WS_NO_BUFFER_UTIL: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`the ws-without-add-ons child exited with ${child.status}`);
  const results = JSON.parse(child.stdout) as Results;
  if (results.peer.bufferutil) throw new Error('WS_NO_BUFFER_UTIL=1 did not stop ws from loading bufferutil');
  return results;
}

function merge(into: Results['sections'], from: Results['sections'], variant: string): void {
  for (const section of Object.keys(from) as Section[]) {
    for (const theirs of from[section]) {
      const row = into[section].find((r) => r.size === theirs.size);
      if (row !== undefined) row.metrics[variant] = theirs.metrics.ws;
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
  const withoutAddons = childMode || argv['no-child'] ? undefined : runWithoutAddons(settings);
  if (!argv.json && !childMode) process.stderr.write('measuring ours and ws with bufferutil…\n');
  const stallBefore = cpuStallMicros();
  const startedAt = performance.now();
  const sections = await measure(plan(settings, childMode), settings, !argv.json);
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
    sections,
    cpuPressure,
  };
  if (withoutAddons !== undefined) {
    results.peerWithoutAddons = withoutAddons.peer;
    merge(results.sections, withoutAddons.sections, 'wsNoAddons');
  }
  const output = argv.json
    ? JSON.stringify({ ...results, goals: goalChecks(results) }, null, 2)
    : render(results);
  process.stdout.write(`${output}\n`);
}

await main();
