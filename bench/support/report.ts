// Results of the codec benchmark, the issue's goals, and their markdown rendering. Every
// ratio is the median of per-round ratios of a pair (bench/support/paired.ts) with its
// interquartile range; every table has A/A columns that show the noise of the same run.
import type { Spread } from './paired.js';
import type { Delivery } from './runners.js';
import type { TextKind } from './workloads.js';
import type { PeerInfo } from './ws-peer.js';

/** The benchmark's sections, in the order they run and print. */
export const SECTIONS = ['decode', 'clientEncode', 'serverEncode'] as const;
/** One of {@link SECTIONS}. */
export type Section = (typeof SECTIONS)[number];

/** A variant's median rate over the rounds of the pair that measured it against its peer. */
export interface Metric {
  /** Whole messages (decode) or frames (encode) per second. */
  framesPerSec: number;
  /** Payload megabytes (10^6 bytes) per second. */
  mbPerSec: number;
}

/** One paired comparison of a row: A ÷ B per round. */
export interface PairResult {
  a: string;
  b: string;
  /** A and B are the same code (two instances): the ratio shows the noise only. */
  aa: boolean;
  ratio: Spread;
  ratios: number[];
  /** The issue's minimum for this ratio, when it has one. */
  goal?: number;
}

/** One payload size (and, for decode, one kind of text) of a section. */
export interface Row {
  size: number;
  text?: TextKind;
  metrics: Record<string, Metric | undefined>;
  pairs: PairResult[];
}

/** What a run measures, from the command line. */
export interface Settings {
  rounds: number;
  /** Timed milliseconds per side per round. */
  time: number;
  /** Untimed milliseconds per side before a pair's first round. */
  warmup: number;
  sizes: number[];
  sections: Section[];
  texts: TextKind[];
  delivery: Delivery;
}

/** Everything a run measured; what `--json` prints. */
export interface Results {
  node: string;
  platform: string;
  cpu: string;
  wasm: boolean;
  settings: Settings;
  peer: PeerInfo;
  peerWithoutAddons?: PeerInfo;
  /** `git rev-parse --short HEAD` and whether src/ or assembly/ had changes, when known. */
  source?: { commit: string; modified: boolean };
  sections: Record<Section, Row[]>;
  /** Share of the measuring time during which some task waited for a CPU (Linux PSI). */
  cpuPressure?: number;
}

/** Decode goals against ws with bufferutil (issue 12). */
export function decodeGoal(size: number, text: TextKind): number {
  if (size <= 125) return 5;
  if (size <= 1024) return 3;
  if (size <= 16 * 1024) return 2;
  return text === 'ascii' ? 1.3 : 1;
}

/** Client encode goals against ws's Sender: 2× up to 1 KiB, 1× above. */
export function clientEncodeGoal(size: number): number {
  return size <= 1024 ? 2 : 1;
}

/** `16 B`, `1 KiB`, `1 MiB`. */
export function sizeLabel(size: number): string {
  if (size >= 1024 * 1024 && size % (1024 * 1024) === 0) return `${size / (1024 * 1024)} MiB`;
  if (size >= 1024 && size % 1024 === 0) return `${size / 1024} KiB`;
  return `${size} B`;
}

function rate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(0);
}

/** `7.12 M/s · 114 MB/s`, or `—` when the variant did not run. */
export function cell(metric: Metric | undefined, withBytes: boolean): string {
  if (metric === undefined) return '—';
  const frames = `${rate(metric.framesPerSec)}/s`;
  const mb = metric.mbPerSec >= 100 ? metric.mbPerSec.toFixed(0) : metric.mbPerSec.toFixed(1);
  return withBytes ? `${frames} · ${mb} MB/s` : frames;
}

/**
 * `4.12× [3.90–4.31]`: median of the per-round ratios and their interquartile range (a
 * round that a neighbour's burst hit moves the min–max, kept in `--json`, but not this).
 */
export function ratioCell(pair: PairResult | undefined): string {
  if (pair === undefined) return '—';
  const { median, q1, q3 } = pair.ratio;
  return `${median.toFixed(2)}× [${q1.toFixed(2)}–${q3.toFixed(2)}]`;
}

export function findPair(row: Row, a: string, b: string): PairResult | undefined {
  return row.pairs.find((p) => p.a === a && p.b === b);
}

interface Column {
  title: string;
  value(row: Row): string;
}

interface SectionView {
  key: Section;
  title: string;
  what: string;
  withBytes: boolean;
  columns: Column[];
  /** The pair the goal is checked on. */
  goalPair: [string, string];
}

const metricColumn = (key: string, title: string, withBytes: boolean): Column => ({
  title,
  value: (row) => cell(row.metrics[key], withBytes),
});
const pairColumn = (a: string, b: string, title: string): Column => ({
  title,
  value: (row) => ratioCell(findPair(row, a, b)),
});

const SECTION_VIEWS: SectionView[] = [
  {
    key: 'decode',
    title: 'Decode: masked client text messages, server role, doing what ws’s Receiver does',
    what:
      'Ours: `FrameParser({ role: "server", validateUtf8: buffer.isUtf8 })` into `MessageAssembler` with `messageAt` and `allocate: Buffer.allocUnsafe`, as our Node server sets them up (ts: `wasm: false`, no validator); ' +
      'ws: `Receiver({ isServer: true })` fed by `write()`. Both hand the consumer one payload view per whole message, messages cut by chunk boundaries reassembled, UTF-8 checked; ' +
      'the consumer counts messages and bytes. Each task pushes one ~64 KiB chunk, cut inside headers and payloads (16 B–16 KiB: a 6-chunk cycle whose cuts fall 1 byte into a header, at its last byte, mid-payload, at a frame start, 2 bytes in; 1 MiB: 4 frames in 64 KiB chunks, the cut next to each frame start moved into its header); ' +
      'a fresh copy of the next chunk is written untimed before each task for both sides (ws unmasks in place).',
    withBytes: true,
    goalPair: ['ours', 'ws'],
    columns: [
      metricColumn('ours', 'ours', true),
      metricColumn('ws', 'ws + bufferutil', true),
      pairColumn('ours', 'ws', 'ours ÷ ws'),
      pairColumn('ws', 'ws', 'A/A ws ÷ ws'),
      pairColumn('ours', 'ours', 'A/A ours ÷ ours'),
      pairColumn('oursTs', 'ws', 'ts ÷ ws'),
      pairColumn('ours', 'wsNoAddons', 'ours ÷ ws (no add-ons)'),
      pairColumn('wsNoAddons', 'wsNoAddons', 'A/A (no add-ons)'),
    ],
  },
  {
    key: 'clientEncode',
    title: 'Client encode: masked binary frame',
    what:
      'Ours, client path: `encodeMaskedFrameInto` a shared 64 KiB batch, as `Protocol` masks client frames up to 16 KiB (larger: `encodeFrame`); ' +
      'ours, one frame: `encodeFrame(2, payload, { mask: true, allocate: Buffer.allocUnsafe })`; both with the Node glue’s `maskInto` (bufferutil from 1 KiB; not in the no-add-ons child); ' +
      'ws: `Sender.frame(payload, { fin: true, mask: true, opcode: 2, readOnly: true, rsv1: false })`.',
    withBytes: false,
    goalPair: ['oursBatch', 'ws'],
    columns: [
      metricColumn('oursBatch', 'ours, client path', false),
      metricColumn('ws', 'ws + bufferutil', false),
      pairColumn('oursBatch', 'ws', 'client path ÷ ws'),
      pairColumn('ws', 'ws', 'A/A ws ÷ ws'),
      pairColumn('ours', 'ws', 'one frame ÷ ws'),
      pairColumn('oursBatch', 'wsNoAddons', 'client path ÷ ws (no add-ons)'),
      pairColumn('wsNoAddons', 'wsNoAddons', 'A/A (no add-ons)'),
    ],
  },
  {
    key: 'serverEncode',
    title: 'Server encode: unmasked binary frame',
    what: 'Ours: `encodeFrame(2, payload)`; ws: `Sender.frame(payload, { mask: false, … })`. No goal set.',
    withBytes: false,
    goalPair: ['', ''],
    columns: [
      metricColumn('ours', 'ours', false),
      metricColumn('ws', 'ws', false),
      pairColumn('ours', 'ws', 'ours ÷ ws'),
      pairColumn('ws', 'ws', 'A/A ws ÷ ws'),
    ],
  },
];

function table(rows: readonly Row[], view: SectionView): string {
  const head = ['payload', ...view.columns.map((c) => c.title), 'goal', 'met'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) {
    const goalPair = findPair(row, ...view.goalPair);
    const goal = goalPair?.goal;
    lines.push(
      `| ${[
        sizeLabel(row.size),
        ...view.columns.map((c) => c.value(row)),
        goal === undefined ? '—' : `≥ ${goal}×`,
        goal === undefined || goalPair === undefined ? '—' : goalPair.ratio.median >= goal ? 'yes' : '**no**',
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** One goal of the issue held against one measured median ratio. */
export interface GoalCheck {
  section: Section;
  size: number;
  text?: TextKind;
  versus: string;
  ratio: number;
  goal: number;
  met: boolean;
}

/** Every goal of the issue that this run can check. */
export function goalChecks(results: Results): GoalCheck[] {
  const checks: GoalCheck[] = [];
  for (const section of SECTIONS) {
    for (const row of results.sections[section]) {
      for (const pair of row.pairs) {
        if (pair.goal === undefined) continue;
        const { median } = pair.ratio;
        checks.push({
          section,
          size: row.size,
          text: row.text,
          versus: pair.b,
          ratio: median,
          goal: pair.goal,
          met: median >= pair.goal,
        });
      }
    }
  }
  return checks;
}

/** The whole report in markdown: peer and machine, one table per section (and text kind), the goals. */
export function render(results: Results): string {
  const { peer, settings } = results;
  const noAddons = results.peerWithoutAddons;
  const utf8 = peer.utf8Validate ? 'utf-8-validate' : 'buffer.isUtf8 (utf-8-validate not loaded)';
  const out: string[] = ['# wasmws codec benchmark vs ws', ''];
  out.push(
    `Peer: ${peer.name}, with bufferutil (${peer.bufferutil ? 'native addon loaded' : '**NOT loaded**'}, this process)` +
      (noAddons
        ? ` and without it (a child process with WS_NO_BUFFER_UTIL=1 and WASMWS_NO_BUFFERUTIL=1 running ours and ws again, neither using bufferutil; ws loaded it: ${noAddons.bufferutil})`
        : '') +
      `; ws validates UTF-8 with ${utf8}.`,
    `Node ${results.node}, ${results.platform}, ${results.cpu}; ours: ${results.wasm ? 'WebAssembly kernels' : '**WebAssembly unavailable: TS fallback**'}` +
      (results.source
        ? `; commit ${results.source.commit}${results.source.modified ? ' with local changes' : ''}`
        : '') +
      '.',
    `Paired: per pair, ${settings.rounds} rounds of ${settings.time} ms per side (A then B, then B then A, …) after ${settings.warmup} ms of warm-up each; ` +
      'a ratio is the median of the per-round ratios, [interquartile range] after it (min–max in --json); A/A columns pair a runner with a second instance of itself. ' +
      `Rates are each side's median; one task ≈ 64 KiB of payload. Text delivered as ${settings.delivery === 'view' ? 'payload views (neither side decodes to a string)' : 'strings (ours Buffer’s `utf8Slice` on the message’s bytes, as our Node glue decodes; ws `data.toString()`)'}.`,
  );
  if (results.cpuPressure !== undefined) {
    out.push(
      `CPU contention while measuring (Linux PSI): some task waited for a CPU ${(results.cpuPressure * 100).toFixed(0)}% of the time.`,
    );
  }
  for (const view of SECTION_VIEWS) {
    const rows = results.sections[view.key];
    if (rows.length === 0) continue;
    const groups = view.key === 'decode' ? settings.texts : [undefined];
    for (const text of groups) {
      const chosen = rows.filter((r) => r.text === text);
      if (chosen.length === 0) continue;
      out.push('', `## ${view.title}${text === undefined ? '' : `, ${text} text`}`, '', view.what, '');
      out.push(table(chosen, view));
    }
  }
  const checks = goalChecks(results);
  if (checks.length > 0) {
    const missed = checks.filter((c) => !c.met);
    out.push(
      '',
      '## Goals',
      '',
      missed.length === 0
        ? `All ${checks.length} goals met.`
        : `${checks.length - missed.length} of ${checks.length} goals met; missed: ` +
            missed
              .map(
                (c) =>
                  `${c.section}${c.text ? ` ${c.text}` : ''} ${sizeLabel(c.size)} (${c.ratio.toFixed(2)}× < ${c.goal}×)`,
              )
              .join(', '),
    );
  }
  return out.join('\n');
}
