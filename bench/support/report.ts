// Results of the codec benchmark, the goals, and their markdown rendering.

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
  const rounds =
    where === ''
      ? ''
      : `Worst spread between rounds (max ÷ min − 1): ${(spread * 100).toFixed(0)}% (${where}); `;
  return `${rounds}largest latency RME in the kept rounds: ±${rme.toFixed(1)}%.`;
}
