// Results of the codec benchmark, the goals, and their markdown rendering.
import type { TextKind } from './workloads.js';
import type { PeerInfo } from './ws-peer.js';

/** The benchmark's sections, in the order they run and print. */
export const SECTIONS = ['decode', 'clientEncode', 'serverEncode'] as const;
/** One of {@link SECTIONS}. */
export type Section = (typeof SECTIONS)[number];

/** Throughput of one task, from the frames and bytes it produced over the timed calls only. */
export interface Metric {
  framesPerSec: number;
  /** Payload megabytes (10^6 bytes) per second. */
  mbPerSec: number;
  /** Relative margin of error of the per-call latency, in percent. */
  rme: number;
  samples: number;
  /** Frames per second of every round, when the best of several is reported. */
  rounds?: number[];
}

/** One payload size of a section: each variant's metric by name. */
export interface Row {
  size: number;
  metrics: Record<string, Metric | undefined>;
}

/** A ratio ours ÷ theirs with the goal it is held to (if any). */
export interface Ratio {
  ours: string;
  theirs: string;
  label: string;
  /** Minimum the issue asks for; undefined when the ratio is for information only. */
  goal?: (size: number) => number;
}

/** Decode goals against ws with bufferutil: 3.5× at 16 B, 3× at 125 B, 2× at 1 KiB, 1× above. */
export function decodeGoal(size: number): number {
  return size <= 16 ? 3.5 : size <= 125 ? 3 : size <= 1024 ? 2 : 1;
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

function megabytes(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** `7.12 M/s · 114 MB/s`, or `—` when the variant did not run. */
export function cell(metric: Metric | undefined, withBytes: boolean): string {
  if (metric === undefined) return '—';
  const frames = `${rate(metric.framesPerSec)}/s`;
  return withBytes ? `${frames} · ${megabytes(metric.mbPerSec)} MB/s` : frames;
}

/** ours ÷ theirs in frames per second, or undefined when either is missing. */
export function ratioOf(row: Row, ratio: Ratio): number | undefined {
  const ours = row.metrics[ratio.ours];
  const theirs = row.metrics[ratio.theirs];
  if (ours === undefined || theirs === undefined || theirs.framesPerSec === 0) return undefined;
  return ours.framesPerSec / theirs.framesPerSec;
}

/** A markdown table: one column per variant, one per ratio, and the goal of the first ratio with one. */
export function markdownTable(
  rows: readonly Row[],
  columns: readonly { key: string; title: string }[],
  ratios: readonly Ratio[],
  withBytes: boolean,
): string {
  const goalRatio = ratios.find((r) => r.goal !== undefined);
  const head = ['payload', ...columns.map((c) => c.title), ...ratios.map((r) => r.label)];
  if (goalRatio !== undefined) head.push('goal', 'met');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) {
    const cells = [sizeLabel(row.size), ...columns.map((c) => cell(row.metrics[c.key], withBytes))];
    for (const r of ratios) {
      const value = ratioOf(row, r);
      cells.push(value === undefined ? '—' : `${value.toFixed(2)}×`);
    }
    if (goalRatio?.goal !== undefined) {
      const goal = goalRatio.goal(row.size);
      const value = ratioOf(row, goalRatio);
      cells.push(`≥ ${goal}×`, value === undefined ? '—' : value >= goal ? 'yes' : '**no**');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A footnote on noise: the worst round-to-round spread and the worst latency RME of the kept rounds. */
export function noiseNote(rows: readonly Row[]): string {
  let spread = 0;
  let where = '';
  let rme = 0;
  for (const row of rows) {
    for (const [variant, metric] of Object.entries(row.metrics)) {
      if (metric === undefined) continue;
      rme = Math.max(rme, metric.rme);
      const rounds = metric.rounds ?? [];
      if (rounds.length < 2) continue;
      const ratio = Math.max(...rounds) / Math.min(...rounds) - 1;
      if (ratio > spread) {
        spread = ratio;
        where = `${variant} at ${sizeLabel(row.size)}`;
      }
    }
  }
  const kept = `latency RME in the kept rounds ≤ ±${rme.toFixed(1)}%.`;
  if (where === '') return `Noise: ${kept}`;
  return `Noise: worst spread between rounds (max ÷ min − 1) ${(spread * 100).toFixed(0)}% (${where}); ${kept}`;
}

/** What a run measures, from the command line. */
export interface Settings {
  rounds: number;
  time: number;
  warmup: number;
  sizes: number[];
  sections: Section[];
  text: TextKind;
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
  sections: Record<Section, Row[]>;
  /** Share of the measuring time during which some task waited for a CPU (Linux PSI). */
  cpuPressure?: number;
}

interface SectionView {
  key: Section;
  title: string;
  what: string;
  columns: { key: string; title: string }[];
  ratios: Ratio[];
  withBytes: boolean;
}

const SECTION_VIEWS: SectionView[] = [
  {
    key: 'decode',
    title: 'Decode: masked client text frames (parse + unmask + UTF-8), server role',
    what:
      'Ours: `FrameParser({ role: "server", validateUtf8: buffer.isUtf8 })` as our Node server configures it (wasm kernels; whole text messages ≥ 1 KiB checked by simdutf), and `{ wasm: false }` without a validator = ts; ws: `Receiver({ isServer: true })` fed by `write()`. ' +
      'Each task pushes one ~64 KiB chunk (1 MiB frames: a 4-frame stream cut into ~64 KiB chunks), a fresh copy written untimed before each task for both sides; ' +
      'consumers count frames and add up payload lengths.',
    columns: [
      { key: 'ours', title: 'ours wasm' },
      { key: 'oursTs', title: 'ours ts' },
      { key: 'ws', title: 'ws + bufferutil' },
      { key: 'wsNoAddons', title: 'ws, no add-ons' },
    ],
    ratios: [
      { ours: 'ours', theirs: 'ws', label: 'wasm ÷ ws', goal: decodeGoal },
      { ours: 'oursTs', theirs: 'ws', label: 'ts ÷ ws' },
      { ours: 'ours', theirs: 'wsNoAddons', label: 'wasm ÷ ws (no add-ons)' },
    ],
    withBytes: true,
  },
  {
    key: 'clientEncode',
    title: 'Client encode: masked binary frame',
    what:
      'Ours, client path: `encodeMaskedFrameInto` a shared 64 KiB batch, as `Protocol` masks client frames up to 16 KiB (larger: `encodeFrame`); ' +
      'ours, one frame: `encodeFrame(2, payload, { mask: true, allocate: Buffer.allocUnsafe })` (and `wasm: false`); ' +
      'ws: `Sender.frame(payload, { fin: true, mask: true, opcode: 2, readOnly: true, rsv1: false })`.',
    columns: [
      { key: 'oursBatch', title: 'ours, client path' },
      { key: 'ours', title: 'ours, one frame' },
      { key: 'oursTs', title: 'ours wasm:false' },
      { key: 'ws', title: 'ws + bufferutil' },
      { key: 'wsNoAddons', title: 'ws, no add-ons' },
    ],
    ratios: [
      { ours: 'oursBatch', theirs: 'ws', label: 'client path ÷ ws', goal: clientEncodeGoal },
      { ours: 'ours', theirs: 'ws', label: 'one frame ÷ ws' },
      { ours: 'oursTs', theirs: 'ws', label: 'wasm:false ÷ ws' },
      { ours: 'ours', theirs: 'wsNoAddons', label: 'ours ÷ ws (no add-ons)' },
    ],
    withBytes: false,
  },
  {
    key: 'serverEncode',
    title: 'Server encode: unmasked binary frame',
    what: 'Ours: `encodeFrame(2, payload)`; ws: `Sender.frame(payload, { mask: false, … })`. No goal set.',
    columns: [
      { key: 'ours', title: 'ours' },
      { key: 'ws', title: 'ws' },
    ],
    ratios: [{ ours: 'ours', theirs: 'ws', label: 'ours ÷ ws' }],
    withBytes: false,
  },
];

/** The whole report in markdown: peer and machine, one table per section, the goals. */
export function render(results: Results): string {
  const { peer, settings } = results;
  const noAddons = results.peerWithoutAddons;
  const utf8 = peer.utf8Validate ? 'utf-8-validate' : 'buffer.isUtf8 (utf-8-validate not loaded)';
  const out: string[] = ['# wasmws codec benchmark vs ws', ''];
  out.push(
    `Peer: ${peer.name}, with bufferutil (${peer.bufferutil ? 'native addon loaded' : '**NOT loaded**'}, this process)` +
      (noAddons
        ? ` and without it (child process, WS_NO_BUFFER_UTIL=1, bufferutil loaded: ${noAddons.bufferutil})`
        : '') +
      `; ws validates UTF-8 with ${utf8}.`,
    `Node ${results.node}, ${results.platform}, ${results.cpu}; ours: ${results.wasm ? 'WebAssembly kernels' : '**WebAssembly unavailable: TS fallback**'}.`,
    `tinybench: best of ${settings.rounds} rounds of ${settings.time} ms per task (${settings.warmup} ms warm-up in the first), ` +
      `one task ≈ 64 KiB of payload; text payloads: ${settings.text}. ` +
      'Rates are whole frames per second and payload MB (10^6 B) per second; ratios are ours ÷ theirs in frames per second.',
  );
  if (results.cpuPressure !== undefined) {
    out.push(
      `CPU contention while measuring (Linux PSI): some task waited for a CPU ${(results.cpuPressure * 100).toFixed(0)}% of the time.`,
    );
  }
  for (const view of SECTION_VIEWS) {
    const rows = results.sections[view.key];
    if (rows.length === 0) continue;
    out.push('', `## ${view.title}`, '', view.what, '');
    out.push(markdownTable(rows, view.columns, view.ratios, view.withBytes), '', noiseNote(rows));
  }
  const goals: string[] = [];
  for (const view of SECTION_VIEWS) {
    const checks = goalChecks(results).filter((check) => check.section === view.key);
    if (checks.length === 0) continue;
    const missed = checks.filter((check) => !check.met).map((check) => sizeLabel(check.size));
    goals.push(
      `- ${view.title.split(':')[0]} vs ${checks[0].versus}: ` +
        (missed.length === 0 ? 'all met' : `missed at ${missed.join(', ')}`),
    );
  }
  out.push('', '## Goals', '', ...goals);
  return out.join('\n');
}

/** One goal of the issue held against one measured ratio. */
export interface GoalCheck {
  section: Section;
  size: number;
  /** The peer the goal is set against, e.g. `ws + bufferutil`. */
  versus: string;
  /** ours ÷ theirs in frames per second; 0 when either side did not run. */
  ratio: number;
  goal: number;
  met: boolean;
}

/** Every goal of the issue that this run can check. */
export function goalChecks(results: Results): GoalCheck[] {
  const checks: GoalCheck[] = [];
  for (const view of SECTION_VIEWS) {
    const ratio = view.ratios.find((r) => r.goal !== undefined);
    if (ratio?.goal === undefined) continue;
    const versus = view.columns.find((c) => c.key === ratio.theirs)?.title ?? ratio.theirs;
    for (const row of results.sections[view.key]) {
      const value = ratioOf(row, ratio) ?? 0;
      const goal = ratio.goal(row.size);
      checks.push({ section: view.key, size: row.size, versus, ratio: value, goal, met: value >= goal });
    }
  }
  return checks;
}
