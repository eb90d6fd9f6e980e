// Ratios and markdown tables of the sliced throughput section (sliced.ts). Every ratio is
// per round (the servers' slices of one round ran within seconds of each other), reported
// as the median with its min–max; the `ws#2` column is the A/A check: a second ws server
// process measured exactly like the others.
import { type Spread, spreadOf } from '../support/paired.js';
import { SERVER_LABELS, type ServerKind } from './servers.js';
import type { Loader } from './slice-load.js';
import type { SlicedCell, SlicedWorkload } from './sliced.js';

/** The server every ratio divides by. */
export const BASE_SERVER = 'ws';

/** What the sliced section ran and measured; part of the echo results. */
export interface SlicedResults {
  rounds: number;
  warmupMs: number;
  durationMs: number;
  fullCheckEvery: number;
  servers: { name: string; kind: ServerKind }[];
  workloads: SlicedWorkload[];
  loaders: Loader[];
  cells: SlicedCell[];
}

/** One server against ws in one workload × loader: per-round ratios of rate and of server CPU per message. */
export interface SlicedPair {
  workload: string;
  loader: Loader;
  server: string;
  aa: boolean;
  rate: Spread;
  rateRatios: number[];
  /** Server CPU µs/msg of `server` ÷ ws's, per round; undefined when not sampled. */
  cpu: Spread | undefined;
}

function cellOf(
  results: SlicedResults,
  workload: string,
  loader: Loader,
  server: string,
): SlicedCell | undefined {
  return results.cells.find((c) => c.workload === workload && c.loader === loader && c.server === server);
}

function failed(cell: SlicedCell | undefined): boolean {
  return cell === undefined || cell.slices.some((s) => s.failures.length > 0);
}

/** Every server's pair against ws, for every workload × loader with both cells clean. */
export function slicedPairs(results: SlicedResults): SlicedPair[] {
  const pairs: SlicedPair[] = [];
  for (const workload of results.workloads) {
    for (const loader of results.loaders) {
      const base = cellOf(results, workload.key, loader, BASE_SERVER);
      if (base === undefined || failed(base)) continue;
      for (const server of results.servers) {
        if (server.name === BASE_SERVER) continue;
        const cell = cellOf(results, workload.key, loader, server.name);
        if (cell === undefined || failed(cell)) continue;
        const rounds = Math.min(cell.slices.length, base.slices.length);
        const rateRatios: number[] = [];
        const cpuRatios: number[] = [];
        for (let i = 0; i < rounds; i++) {
          rateRatios.push(cell.slices[i].messagesPerSec / base.slices[i].messagesPerSec);
          const ours = cell.slices[i].serverCpuMicrosPerMessage;
          const theirs = base.slices[i].serverCpuMicrosPerMessage;
          if (ours !== undefined && theirs !== undefined && theirs > 0) cpuRatios.push(ours / theirs);
        }
        if (rateRatios.length === 0) continue;
        pairs.push({
          workload: workload.key,
          loader,
          server: server.name,
          aa: server.kind === 'ws',
          rate: spreadOf(rateRatios),
          rateRatios,
          cpu: cpuRatios.length === rateRatios.length ? spreadOf(cpuRatios) : undefined,
        });
      }
    }
  }
  return pairs;
}

/** One goal of the issue against the raw loader's medians. */
export interface SlicedGoalCheck {
  workload: string;
  what: 'rate' | 'cpu';
  value: number;
  goal: number;
  met: boolean;
}

/** Rate goals (ours ÷ ws ≥ goal) and the CPU goal (ours' server CPU per message ≤ ws's) under the raw loader. */
export function slicedGoalChecks(results: SlicedResults): SlicedGoalCheck[] {
  const checks: SlicedGoalCheck[] = [];
  for (const pair of slicedPairs(results)) {
    if (pair.loader !== 'raw' || pair.server !== 'ours') continue;
    const workload = results.workloads.find((w) => w.key === pair.workload);
    if (workload?.goal !== undefined) {
      const value = pair.rate.median;
      checks.push({
        workload: pair.workload,
        what: 'rate',
        value,
        goal: workload.goal,
        met: value >= workload.goal,
      });
    }
    if (pair.cpu !== undefined) {
      checks.push({
        workload: pair.workload,
        what: 'cpu',
        value: pair.cpu.median,
        goal: 1,
        met: pair.cpu.median <= 1,
      });
    }
  }
  return checks;
}

function rate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M/s`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k/s`;
  return `${value.toFixed(0)}/s`;
}

const spreadText = (spread: Spread | undefined) =>
  spread === undefined
    ? '—'
    : `${spread.median.toFixed(2)}× (${spread.min.toFixed(2)}–${spread.max.toFixed(2)})`;

function median(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : spreadOf(known).median;
}

const LOADER_TITLES: Record<Loader, string> = {
  raw: 'cheap load generator (bench/echo/raw-client.ts: frames masked once in advance, one write per read)',
  ws: 'the ws client (one send per echo)',
};

function table(results: SlicedResults, loader: Loader): string | undefined {
  const others = results.servers.filter((s) => s.name !== BASE_SERVER);
  const title = (name: string) => (name === `${BASE_SERVER}#2` ? 'A/A ws#2' : name);
  const head = [
    'workload',
    ...results.servers.map((s) => `${title(s.name)} msg/s`),
    ...others.map((s) => `${title(s.name)} ÷ ws`),
    ...results.servers.map((s) => `server µs/msg ${title(s.name)}`),
    ...others.filter((s) => s.kind !== 'ws').map((s) => `${s.name} CPU ÷ ws`),
    'A/A CPU ÷ ws',
    'loader µs/msg',
    'goal',
    'met',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  const pairs = slicedPairs(results);
  let any = false;
  for (const workload of results.workloads) {
    const cells = results.servers.map((s) => cellOf(results, workload.key, loader, s.name));
    if (cells.every((c) => c === undefined)) continue;
    any = true;
    const pairOf = (server: string) =>
      pairs.find((p) => p.workload === workload.key && p.loader === loader && p.server === server);
    const ours = pairOf('ours');
    const goal = workload.goal;
    lines.push(
      `| ${[
        workload.label,
        ...cells.map((c) =>
          c === undefined
            ? '—'
            : failed(c)
              ? '**FAILED**'
              : rate(median(c.slices.map((s) => s.messagesPerSec)) ?? 0),
        ),
        ...others.map((s) => spreadText(pairOf(s.name)?.rate)),
        ...cells.map(
          (c) => median(c?.slices.map((s) => s.serverCpuMicrosPerMessage) ?? [])?.toFixed(1) ?? '—',
        ),
        ...others.filter((s) => s.kind !== 'ws').map((s) => spreadText(pairOf(s.name)?.cpu)),
        spreadText(pairs.find((p) => p.workload === workload.key && p.loader === loader && p.aa)?.cpu),
        median(
          cellOf(results, workload.key, loader, BASE_SERVER)?.slices.map(
            (s) => s.clientCpuMicrosPerMessage,
          ) ?? [],
        )?.toFixed(2) ?? '—',
        goal === undefined ? 'CPU ≤ ws' : `≥ ${goal}×, CPU ≤ ws`,
        ours === undefined
          ? '—'
          : [
              goal === undefined ? '' : ours.rate.median >= goal ? 'rate yes' : 'rate **no**',
              ours.cpu === undefined ? '' : ours.cpu.median <= 1 ? 'CPU yes' : 'CPU **no**',
            ]
              .filter((t) => t !== '')
              .join(', '),
      ].join(' | ')} |`,
    );
  }
  return any ? lines.join('\n') : undefined;
}

/** The sliced section in markdown: how it was measured, one table per loader, the failures. */
export function renderSliced(results: SlicedResults): string {
  const out: string[] = [
    '## Throughput: servers in interleaved slices',
    '',
    `Servers: ${results.servers.map((s) => `${s.name} = ${SERVER_LABELS[s.kind]}`).join('; ')}; each in a process of its own, all up at once. ` +
      'One load process per workload and loader holds its connections to every server (opened before the first slice) and drives one server at a time: ' +
      `${results.rounds} rounds, each a slice per server (round r starts with the r-th server), a slice being ${results.warmupMs} ms of warm-up, ` +
      `${results.durationMs} ms timed, then a drain. Every echo is checked for type and length, every ${results.fullCheckEvery}th byte for byte. ` +
      'msg/s and server µs/msg (the server process’s `process.cpuUsage()` user + system over the timed window ÷ echoes in it) are medians over the rounds; ' +
      'ratios are medians of per-round ratios with (min–max). ws#2 is a second ws server measured like the others: its column is the noise (A/A). ' +
      'loader µs/msg: the load process’s CPU per echo against ws (a loader near 100% of a core sets the rate for every server).',
  ];
  for (const loader of results.loaders) {
    const rendered = table(results, loader);
    if (rendered !== undefined) out.push('', `### Load from ${LOADER_TITLES[loader]}`, '', rendered);
  }
  const failures = results.cells.filter((c) => failed(c));
  if (failures.length > 0) {
    out.push('', '### Failed cells');
    for (const c of failures) {
      const notes = c.slices.flatMap((s) => s.failures);
      out.push(`- ${c.workload}, ${c.loader} load, ${c.server}: ${notes.slice(0, 3).join('; ')}`);
    }
  }
  const checks = slicedGoalChecks(results);
  if (checks.length > 0) {
    const missed = checks.filter((c) => !c.met);
    out.push(
      '',
      missed.length === 0
        ? `Goals (raw loader): all ${checks.length} met.`
        : `Goals (raw loader): ${checks.length - missed.length} of ${checks.length} met; missed: ` +
            missed
              .map((c) =>
                c.what === 'rate'
                  ? `${c.workload} rate ${c.value.toFixed(2)}× < ${c.goal}×`
                  : `${c.workload} server CPU ${c.value.toFixed(2)}× ws's`,
              )
              .join(', '),
    );
  }
  return out.join('\n');
}
