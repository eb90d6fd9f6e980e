// The one report: every comparison is a row (a scenario, a peer, the base it is divided by,
// per-round ratios with their spread, server CPU per message where there is a server, and
// the checks that both sides did the same work); memory and latency have rows of their own.
// Rendered as markdown tables with the run's conditions, as JSON, or as an SVG bar chart.
import type { Conditions } from './machine.js';
import { cpuPerMessage, rateOf, roundRatios, type Slice, type Spread, spreadOf } from './stats.js';

/** What a side delivered in a row's checks, and what it had to deliver. */
export interface Checks {
  messages: number;
  bytes: number;
  /** SHA-256 over the payloads checked (decoded, read back, or echoed). */
  sha256?: string;
  expected: { messages: number; bytes: number; sha256?: string };
  /** Counts and checksum equal what was expected, and nothing failed. */
  agree: boolean;
  failures: string[];
}

/** One side against the base in one scenario. */
export interface Row {
  section: string;
  scenario: string;
  label: string;
  peer: string;
  base: string;
  /** The peer is a second instance of the base: the ratio shows the noise only. */
  aa: boolean;
  /** e.g. `no add-ons`: neither side had bufferutil. */
  condition?: string;
  /** Medians over the rounds, per second, of the unit. */
  rate: number;
  baseRate: number;
  unit: string;
  mbPerSec?: number;
  ratio: Spread;
  ratios: number[];
  /** Server CPU (process tree) per message, µs, median over the rounds. */
  cpuMicros?: number;
  baseCpuMicros?: number;
  cpuRatio?: Spread;
  /** Bytes the load generator read off the wire per payload byte echoed (deflate: compression). */
  wirePerPayload?: number;
  /** The minimum ratio a goal sets, if any. */
  goal?: number;
  checks: Checks;
  baseChecks: Checks;
}

/** Memory of a server per idle connection. */
export interface MemoryRow {
  section: string;
  server: string;
  label: string;
  requested: number;
  connections: number;
  /** Measured after forced GCs (`true`) or as the process stood (`false`). */
  gc: boolean;
  heapExternalKiB: number;
  rssKiB: number;
  failures: string[];
}

/** Latency and rate of a fixed count against one URL (`--url`). */
export interface UrlRow {
  url: string;
  messages: number;
  sent: number;
  seconds: number;
  messagesPerSec: number;
  p50Micros: number;
  p99Micros: number;
  maxMicros: number;
  checks: Checks;
}

/** Everything a run measured: what `--json` writes. */
export interface Report {
  command: string;
  conditions: Conditions;
  settings: Record<string, unknown>;
  rows: Row[];
  memory: MemoryRow[];
  url?: UrlRow;
  notes: string[];
  /** Anything that went wrong; a run with failures exits 1. */
  failures: string[];
}

/** `16 B`, `1 KiB`, `1 MiB`. */
export function sizeLabel(size: number): string {
  if (size >= 1 << 20 && size % (1 << 20) === 0) return `${size / (1 << 20)} MiB`;
  if (size >= 1024 && size % 1024 === 0) return `${size / 1024} KiB`;
  return `${size} B`;
}

function rate(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)} G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(0);
}

/** `4.12× [3.90–4.31]`: median and interquartile range (min–max in the JSON). */
export function ratioText(spread: Spread | undefined): string {
  if (spread === undefined) return '—';
  return `${spread.median.toFixed(2)}× [${spread.q1.toFixed(2)}–${spread.q3.toFixed(2)}]`;
}

const micros = (value: number | undefined) => (value === undefined ? '?' : value.toFixed(1));

/** The table's columns: a title and a cell per row; columns empty in every row are left out. */
const COLUMNS: [string, (row: Row) => string][] = [
  ['scenario', (row) => row.label],
  ['peer', (row) => (row.aa ? `${row.peer} (A/A)` : row.peer)],
  ['peer rate', (row) => `${rate(row.rate)} ${row.unit}`],
  ['base rate', (row) => `${rate(row.baseRate)} ${row.unit}`],
  ['peer ÷ base [IQR]', (row) => ratioText(row.ratio)],
  [
    'server µs/msg: peer / base',
    (row) =>
      row.cpuMicros === undefined && row.baseCpuMicros === undefined
        ? ''
        : `${micros(row.cpuMicros)} / ${micros(row.baseCpuMicros)}`,
  ],
  ['server CPU ÷ base', (row) => (row.cpuRatio === undefined ? '' : ratioText(row.cpuRatio))],
  [
    'wire ÷ payload',
    (row) => (row.wirePerPayload === undefined ? '' : `${(row.wirePerPayload * 100).toFixed(1)} %`),
  ],
  [
    'goal',
    (row) =>
      row.goal === undefined ? '' : `≥ ${row.goal}× ${row.ratio.median >= row.goal ? 'met' : '**missed**'}`,
  ],
  ['checks', (row) => (row.checks.agree && row.baseChecks.agree ? 'ok' : '**FAILED**')],
];

function table(rows: readonly Row[]): string[] {
  const columns = COLUMNS.filter(([, cell]) => rows.some((row) => cell(row) !== ''));
  return [
    `| ${columns.map(([title]) => title).join(' | ')} |`,
    `|${columns.map((_, i) => (i < 2 || i === columns.length - 1 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${columns.map(([, cell]) => cell(row)).join(' | ')} |`),
  ];
}

/** Sections in order of first appearance, each with its condition. */
function groups(rows: readonly Row[]): [string, Row[]][] {
  const map = new Map<string, Row[]>();
  for (const row of rows) {
    const key = row.condition === undefined ? row.section : `${row.section}, ${row.condition}`;
    map.set(key, [...(map.get(key) ?? []), row]);
  }
  return [...map];
}

function conditionLines(c: Conditions): string[] {
  const pressure =
    c.cpuPressure === undefined
      ? 'unknown (no /proc/pressure/cpu)'
      : `some task waited for a CPU ${(c.cpuPressure * 100).toFixed(1)} % of the run` +
        (c.cpuPressureWorst === undefined
          ? ''
          : `, ${(c.cpuPressureWorst * 100).toFixed(1)} % in the worst slice`);
  const source =
    c.source === undefined
      ? 'not a git checkout'
      : `${c.source.commit}${c.source.modified ? ' (src/ or assembly/ modified)' : ''}`;
  return [
    `- Node ${c.node} on ${c.platform}, ${c.cpu}`,
    `- peers installed: ${c.ws ?? 'ws: not installed (its rows are skipped)'}, bufferutil ${c.bufferutil ? 'installed' : 'not installed'}`,
    `- commit ${source}; started ${c.startedAt}${c.seconds === undefined ? '' : `, ${c.seconds.toFixed(0)} s`}`,
    `- CPU pressure: ${pressure}`,
  ];
}

/** The report in markdown: one table per section, memory, latency, conditions, notes and failures. */
export function renderMarkdown(report: Report): string {
  const out = [`# wasmws bench ${report.command}`, ''];
  for (const [title, rows] of groups(report.rows)) {
    out.push(`## ${title}`, '');
    out.push(...table(rows));
    out.push(
      '',
      `Base: ${rows[0].base}; ${rows[0].ratios.length} rounds; a ratio is the median of per-round ratios.`,
      '',
    );
  }
  if (report.memory.length > 0) {
    out.push(
      '## memory per idle connection',
      '',
      '| server | connections | measured | heap + external | RSS |',
    );
    out.push('|---|---:|---|---:|---:|');
    for (const m of report.memory) {
      out.push(
        `| ${m.label} | ${m.connections} of ${m.requested} | ${m.gc ? 'after forced GCs' : 'no forced GC'} | ${m.heapExternalKiB.toFixed(2)} KiB | ${m.rssKiB.toFixed(2)} KiB |`,
      );
    }
    out.push('');
  }
  if (report.url !== undefined) {
    const u = report.url;
    out.push(
      `## ${u.url}`,
      '',
      '| messages | seconds | messages/s | p50 | p99 | max | checks |',
      '|---:|---:|---:|---:|---:|---:|---|',
    );
    out.push(
      `| ${u.messages} | ${u.seconds.toFixed(3)} | ${rate(u.messagesPerSec)} | ${micros(u.p50Micros)} µs | ${micros(u.p99Micros)} µs | ${micros(u.maxMicros)} µs | ${u.checks.agree ? 'ok' : '**FAILED**'} |`,
      '',
    );
  }
  out.push('## conditions', '', ...conditionLines(report.conditions), '');
  for (const note of report.notes) out.push(`- ${note}`);
  for (const failure of report.failures) out.push(`- **FAILED**: ${failure}`);
  return `${out.join('\n').trimEnd()}\n`;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The name of a row in the chart: section, scenario, peer ÷ base. */
export function chartName(row: Row): string {
  const condition = row.condition === undefined ? '' : ` (${row.condition})`;
  return `${row.section}${condition}: ${row.label}: ${row.peer}${row.aa ? ' (A/A)' : ''} ÷ ${row.base}`;
}

/**
 * A horizontal bar chart of every row's median ratio, with its min–max as a whisker and its
 * interquartile range as a thicker band, on a log scale with 1× marked; memory rows follow
 * as plain bars of KiB per connection.
 */
export function renderSvg(report: Report): string {
  const barHeight = 18;
  const labelWidth = 560;
  const plotWidth = 360;
  const top = 40;
  const ratioRows = report.rows;
  const all = ratioRows.flatMap((r) => [r.ratio.min, r.ratio.max]);
  const low = Math.min(0.5, ...all);
  const high = Math.max(2, ...all);
  const x = (value: number) =>
    labelWidth + ((Math.log(value) - Math.log(low)) / (Math.log(high) - Math.log(low))) * plotWidth;
  const parts: string[] = [];
  ratioRows.forEach((row, i) => {
    const y = top + i * barHeight;
    const { median, q1, q3, min, max } = row.ratio;
    const colour = row.aa ? '#999999' : median >= 1 ? '#2b7a3d' : '#b03a2e';
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${escapeXml(chartName(row))}</text>`,
      `<rect x="${x(Math.min(1, median)).toFixed(1)}" y="${y + 3}" width="${Math.abs(x(median) - x(1)).toFixed(1)}" height="${barHeight - 6}" fill="${colour}" opacity="0.55"/>`,
      `<line x1="${x(min).toFixed(1)}" x2="${x(max).toFixed(1)}" y1="${y + 9}" y2="${y + 9}" stroke="#222"/>`,
      `<rect x="${x(q1).toFixed(1)}" y="${y + 6}" width="${Math.max(1, x(q3) - x(q1)).toFixed(1)}" height="6" fill="#222"/>`,
      `<text x="${labelWidth + plotWidth + 8}" y="${y + 13}">${median.toFixed(2)}× (${min.toFixed(2)}–${max.toFixed(2)})</text>`,
    );
  });
  const memoryTop = top + ratioRows.length * barHeight + (report.memory.length > 0 ? 40 : 0);
  const biggest = Math.max(1, ...report.memory.map((m) => m.rssKiB));
  if (report.memory.length > 0) {
    parts.push(
      `<text x="8" y="${memoryTop - 12}" font-weight="bold">memory per idle connection (RSS, KiB)</text>`,
    );
  }
  report.memory.forEach((m, i) => {
    const y = memoryTop + i * barHeight;
    const name = `memory: ${m.label}, ${m.connections} connections, ${m.gc ? 'after forced GCs' : 'no forced GC'}`;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${escapeXml(name)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${((Math.max(0, m.rssKiB) / biggest) * plotWidth).toFixed(1)}" height="${barHeight - 6}" fill="#35609b" opacity="0.6"/>`,
      `<text x="${labelWidth + plotWidth + 8}" y="${y + 13}">${m.rssKiB.toFixed(2)} KiB (heap + external ${m.heapExternalKiB.toFixed(2)})</text>`,
    );
  });
  const height = memoryTop + report.memory.length * barHeight + 30;
  const width = labelWidth + plotWidth + 200;
  const axis =
    ratioRows.length === 0
      ? ''
      : `<line x1="${x(1).toFixed(1)}" x2="${x(1).toFixed(1)}" y1="${top - 6}" y2="${top + ratioRows.length * barHeight}" stroke="#555" stroke-dasharray="3,3"/>` +
        `<text x="${x(1).toFixed(1)}" y="${top - 10}" text-anchor="middle">1×</text>`;
  const title = `wasmws bench ${report.command}: ratio to the base per round (bar: median, band: IQR, whisker: min–max, log scale); ${report.conditions.node}, ${report.conditions.cpu}`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="16" font-weight="bold">${escapeXml(title)}</text>`,
    axis,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** What a scenario's rows share. */
export interface RowMeta {
  section: string;
  scenario: string;
  label: string;
  unit: string;
  condition?: string;
  /** The goal of `peer ÷ base`, if it has one. */
  goal?(peer: string): number | undefined;
}

/** One row per side but the base, from the sides' slices in round order (interleave's output). */
export function compareSides(
  meta: RowMeta,
  slices: ReadonlyMap<string, readonly Slice[]>,
  base: string,
  checks: ReadonlyMap<string, Checks>,
  twins: ReadonlySet<string>,
  wire?: ReadonlyMap<string, number | undefined>,
): Row[] {
  const baseSlices = slices.get(base)!;
  const median = (values: number[]) => (values.length === 0 ? undefined : spreadOf(values).median);
  const cpus = (list: readonly Slice[]) =>
    list.map(cpuPerMessage).filter((v): v is number => v !== undefined);
  const rows: Row[] = [];
  for (const [peer, mine] of slices) {
    if (peer === base) continue;
    const ratios = roundRatios(mine, baseSlices, rateOf);
    if (ratios.length === 0) continue;
    const cpuRatios = roundRatios(mine, baseSlices, cpuPerMessage);
    const seconds = mine.reduce((sum, s) => sum + s.seconds, 0);
    rows.push({
      section: meta.section,
      scenario: meta.scenario,
      label: meta.label,
      peer,
      base,
      aa: twins.has(peer),
      ...(meta.condition === undefined ? {} : { condition: meta.condition }),
      rate: median(mine.map(rateOf)) ?? 0,
      baseRate: median(baseSlices.map(rateOf)) ?? 0,
      unit: meta.unit,
      mbPerSec: seconds > 0 ? mine.reduce((sum, s) => sum + s.bytes, 0) / seconds / 1e6 : undefined,
      ratio: spreadOf(ratios),
      ratios,
      cpuMicros: median(cpus(mine)),
      baseCpuMicros: median(cpus(baseSlices)),
      cpuRatio: cpuRatios.length === ratios.length ? spreadOf(cpuRatios) : undefined,
      wirePerPayload: wire?.get(peer),
      goal: meta.goal?.(peer),
      checks: checks.get(peer)!,
      baseChecks: checks.get(base)!,
    });
  }
  return rows;
}

/** Checks of a side that delivered `got` where `expected` was due (counts and SHA-256 equal, no failure). */
export function checksOf(
  got: { messages: number; bytes: number; sha256?: string },
  expected: { messages: number; bytes: number; sha256?: string },
  failures: string[] = [],
): Checks {
  const agree =
    failures.length === 0 &&
    got.messages === expected.messages &&
    got.bytes === expected.bytes &&
    got.sha256 === expected.sha256;
  return { ...got, expected, agree, failures };
}
