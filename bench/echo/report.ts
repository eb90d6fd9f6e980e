// The echo benchmark's workloads, goals, results and their markdown rendering. Throughput
// cells form a matrix (server × client × workload); the server and client comparisons are
// two views of it. Memory is measured per server at N idle connections. The deflate
// sections repeat both with permessage-deflate negotiated, on compressible JSON.
import type { PeerInfo } from '../support/ws-peer.js';
import type { Side } from './load.js';
import type { PayloadKind } from './payloads.js';
import { renderSliced, type SlicedResults } from './sliced-report.js';

/** One throughput workload and the goal ours ÷ ws is held to. */
export interface Workload {
  key: string;
  label: string;
  size: number;
  connections: number;
  inFlight: number;
  /** What the messages carry (payloads.ts). */
  payload: PayloadKind;
  /** Both sides negotiate permessage-deflate (the `deflate` section). */
  deflate: boolean;
  /** Minimum ours ÷ ws in messages per second. */
  goal: number;
}

/** The issue's workloads: 64 B and 16 KiB, one pipelined connection and 100 connections. */
export const WORKLOADS: readonly Workload[] = [
  {
    key: '64B-1x64',
    label: '64 B, 1 conn × 64 in flight',
    size: 64,
    connections: 1,
    inFlight: 64,
    payload: 'pattern',
    deflate: false,
    goal: 1.5,
  },
  {
    key: '16KiB-1x64',
    label: '16 KiB, 1 conn × 64 in flight',
    size: 16 * 1024,
    connections: 1,
    inFlight: 64,
    payload: 'pattern',
    deflate: false,
    goal: 1.0,
  },
  {
    key: '64B-100x4',
    label: '64 B, 100 conns × 4 in flight',
    size: 64,
    connections: 100,
    inFlight: 4,
    payload: 'pattern',
    deflate: false,
    goal: 1.3,
  },
  {
    key: '16KiB-100x4',
    label: '16 KiB, 100 conns × 4 in flight',
    size: 16 * 1024,
    connections: 100,
    inFlight: 4,
    payload: 'pattern',
    deflate: false,
    goal: 1.0,
  },
];

/**
 * Issue 9's deflate workloads: compressible JSON of 1 KiB (at the 1 KiB threshold, so every
 * message is compressed) and 64 KiB, on one pipelined connection and on 100; ws with
 * `perMessageDeflate: { threshold: 1024 }` on both ends, ours with `deflate: true`.
 */
export const DEFLATE_WORKLOADS: readonly Workload[] = [
  {
    key: 'json1KiB-1x64',
    label: '1 KiB JSON, deflate, 1 conn × 64 in flight',
    size: 1024,
    connections: 1,
    inFlight: 64,
    payload: 'json',
    deflate: true,
    goal: 1.0,
  },
  {
    key: 'json64KiB-1x16',
    label: '64 KiB JSON, deflate, 1 conn × 16 in flight',
    size: 64 * 1024,
    connections: 1,
    inFlight: 16,
    payload: 'json',
    deflate: true,
    goal: 1.0,
  },
  {
    key: 'json1KiB-100x4',
    label: '1 KiB JSON, deflate, 100 conns × 4 in flight',
    size: 1024,
    connections: 100,
    inFlight: 4,
    payload: 'json',
    deflate: true,
    goal: 1.0,
  },
];

/** Every workload either throughput section can run. */
export const ALL_WORKLOADS: readonly Workload[] = [...WORKLOADS, ...DEFLATE_WORKLOADS];

/** Goal for RSS per idle connection of our server, in KiB. */
export const RSS_GOAL_KIB = 6;

/** Goal for RSS per idle connection with deflate negotiated: at most this share of ws's. */
export const DEFLATE_RSS_GOAL_OF_WS = 0.5;

/** One server × client × workload, summed over its rounds. */
export interface Cell {
  workload: string;
  server: Side;
  client: Side;
  /** Echoes counted in the timed windows of all rounds. */
  messages: number;
  seconds: number;
  messagesPerSec: number;
  /** Messages per second of each round, in the order run. */
  rounds: number[];
  /** Server process CPU (user + system) during the windows per echo, µs; undefined if not sampled. */
  serverCpuMicrosPerMessage: number | undefined;
  /** Share of that server CPU time spent in the kernel (system calls, loopback TCP). */
  serverSystemShare: number | undefined;
  /** Load-generator process CPU during the windows per echo, µs. */
  clientCpuMicrosPerMessage: number;
  /** Bytes the client read off TCP ÷ payload bytes echoed, mean of the rounds (deflate: the ratio). */
  wireReadPerPayloadByte: number | undefined;
  /** All echoes checked (sequence and length), and those compared byte for byte. */
  echoes: number;
  fullChecks: number;
  /** Share of the cell's wall time some task waited for a CPU (Linux PSI); undefined elsewhere. */
  cpuPressure: number | undefined;
  failures: string[];
}

/** Memory of one server process before and after N idle connections, after forced GCs. */
export interface MemoryResult {
  server: Side;
  /** permessage-deflate negotiated and one compressed message exchanged each way per connection. */
  deflate: boolean;
  requested: number;
  connections: number;
  failed: number;
  firstError?: string;
  rssBefore: number;
  rssAfter: number;
  /** (RSS after − before) ÷ connections, KiB. */
  rssKibPerConnection: number;
  /** (heapUsed + external after − before) ÷ connections, KiB: the JS-visible part. */
  jsKibPerConnection: number;
}

/** What a run measures, from the command line. */
export interface EchoSettings {
  quick: boolean;
  rounds: number;
  warmupMs: number;
  durationMs: number;
  fullCheckEvery: number;
  idleConnections: number;
  /** Idle connections of the deflate-memory section. */
  deflateIdleConnections: number;
  workloads: string[];
  sections: string[];
}

/** Everything a run measured; what `--json` prints. */
export interface EchoResults {
  node: string;
  platform: string;
  cpu: string;
  cpus: number;
  /** ws as the ws server process and the ws client process loaded it. */
  peer: { server?: PeerInfo; client?: PeerInfo };
  settings: EchoSettings;
  /** `ulimit -n` (soft) of this process, inherited by the children. */
  fdLimit: number | undefined;
  /** The wasmws tree measured: git commit, and whether src/ or assembly/ differ from it. */
  source: { commit: string; modified: boolean } | undefined;
  notes: string[];
  cells: Cell[];
  memory: MemoryResult[];
  /** The throughput section (servers in interleaved slices), when it ran. */
  sliced?: SlicedResults;
}

function rate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M/s`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k/s`;
  return `${value.toFixed(0)}/s`;
}

function micros(value: number | undefined): string {
  return value === undefined ? '—' : value.toFixed(1);
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function ratioText(value: number | undefined): string {
  return value === undefined ? '—' : `${value.toFixed(2)}×`;
}

/** The cell for `server` × `client` × `workload`, if it ran. */
export function findCell(
  results: EchoResults,
  workload: string,
  server: Side,
  client: Side,
): Cell | undefined {
  return results.cells.find((c) => c.workload === workload && c.server === server && c.client === client);
}

function cellRate(cell: Cell | undefined): string {
  if (cell === undefined) return '—';
  return cell.failures.length > 0 ? '**FAILED**' : rate(cell.messagesPerSec);
}

function ratioOf(ours: Cell | undefined, theirs: Cell | undefined): number | undefined {
  if (ours === undefined || theirs === undefined) return undefined;
  if (ours.failures.length > 0 || theirs.failures.length > 0 || theirs.messagesPerSec === 0) return undefined;
  return ours.messagesPerSec / theirs.messagesPerSec;
}

/** One comparison: what varies (server or client) and what is held fixed. */
export interface Comparison {
  key: string;
  title: string;
  /** The side that is compared: `server` or `client`. */
  varies: 'server' | 'client';
  /** The implementation of the other side, the same for both columns. */
  fixed: Side;
}

/** The four comparison tables, in print order. The first is the one the goals are set for. */
export const COMPARISONS: readonly Comparison[] = [
  {
    key: 'server-wsClient',
    title: 'Server: ours vs ws, load from the ws client',
    varies: 'server',
    fixed: 'ws',
  },
  {
    key: 'server-ourClient',
    title: 'Server: ours vs ws, load from our client',
    varies: 'server',
    fixed: 'ours',
  },
  {
    key: 'client-wsServer',
    title: 'Client: ours vs ws, against the ws server',
    varies: 'client',
    fixed: 'ws',
  },
  {
    key: 'client-ourServer',
    title: 'Client: ours vs ws, against our server',
    varies: 'client',
    fixed: 'ours',
  },
];

function pair(
  results: EchoResults,
  comparison: Comparison,
  workload: string,
): [Cell | undefined, Cell | undefined] {
  const pick = (side: Side) =>
    comparison.varies === 'server'
      ? findCell(results, workload, side, comparison.fixed)
      : findCell(results, workload, comparison.fixed, side);
  return [pick('ours'), pick('ws')];
}

/** One goal held against one measured ratio. */
export interface GoalCheck {
  comparison: string;
  workload: string;
  ratio: number | undefined;
  goal: number;
  met: boolean;
}

/** Every throughput goal of every comparison that ran. */
export function goalChecks(results: EchoResults): GoalCheck[] {
  const checks: GoalCheck[] = [];
  for (const comparison of COMPARISONS) {
    for (const workload of ALL_WORKLOADS) {
      const [ours, theirs] = pair(results, comparison, workload.key);
      if (ours === undefined && theirs === undefined) continue;
      const ratio = ratioOf(ours, theirs);
      checks.push({
        comparison: comparison.key,
        workload: workload.key,
        ratio,
        goal: workload.goal,
        met: ratio !== undefined && ratio >= workload.goal,
      });
    }
  }
  return checks;
}

/** ours ÷ ws of each round pair (round i of one against round i of the other): min–max. */
function roundRatioSpread(ours: Cell | undefined, theirs: Cell | undefined): string {
  if (ours === undefined || theirs === undefined) return '—';
  const ratios = ours.rounds
    .map((rate, i) => rate / theirs.rounds[i])
    .filter((ratio) => Number.isFinite(ratio) && ratio > 0);
  if (ratios.length === 0) return '—';
  return `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
}

function wireShare(cell: Cell | undefined): string {
  const share = cell?.wireReadPerPayloadByte;
  return share === undefined ? '—' : `${(share * 100).toFixed(0)}%`;
}

function comparisonTable(
  results: EchoResults,
  comparison: Comparison,
  workloads: readonly Workload[],
): string | undefined {
  const cpuLabel = comparison.varies === 'server' ? 'server' : 'client';
  const withWire = workloads.some((w) => w.deflate);
  const head = [
    'workload',
    `ours ${cpuLabel}`,
    `ws ${cpuLabel}`,
    'ours ÷ ws',
    'per round pair',
    'goal',
    'met',
    `${cpuLabel} CPU µs/msg: ours`,
    'ws',
    `${comparison.varies === 'server' ? 'load generator' : 'server'} core use: ours / ws`,
    'CPU wait: ours / ws',
    'rounds, k msg/s: ours / ws',
    ...(withWire ? ['wire ÷ payload read by client: ours / ws'] : []),
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  let any = false;
  for (const workload of workloads) {
    const [ours, theirs] = pair(results, comparison, workload.key);
    if (ours === undefined && theirs === undefined) continue;
    any = true;
    const ratio = ratioOf(ours, theirs);
    const cpu = (cell: Cell | undefined) => {
      if (cell === undefined) return '—';
      if (comparison.varies === 'client') return micros(cell.clientCpuMicrosPerMessage);
      const share = cell.serverSystemShare;
      return share === undefined
        ? micros(cell.serverCpuMicrosPerMessage)
        : `${micros(cell.serverCpuMicrosPerMessage)} (${(share * 100).toFixed(0)}% sys)`;
    };
    // How busy the other side's process was: near 100% of a core, it, not the side compared, set the rate.
    const otherCore = (cell: Cell | undefined) => {
      const perMessage =
        comparison.varies === 'server' ? cell?.clientCpuMicrosPerMessage : cell?.serverCpuMicrosPerMessage;
      if (cell === undefined || perMessage === undefined) return '—';
      return `${((perMessage * cell.messagesPerSec) / 1e4).toFixed(0)}%`;
    };
    const wait = (cell: Cell | undefined) =>
      cell?.cpuPressure === undefined ? '—' : `${(cell.cpuPressure * 100).toFixed(0)}%`;
    const rounds = (cell: Cell | undefined) =>
      cell === undefined ? '—' : cell.rounds.map((r) => (r / 1000).toFixed(1)).join(', ');
    lines.push(
      `| ${[
        workload.label,
        cellRate(ours),
        cellRate(theirs),
        ratioText(ratio),
        roundRatioSpread(ours, theirs),
        `≥ ${workload.goal}×`,
        ratio === undefined ? '—' : ratio >= workload.goal ? 'yes' : '**no**',
        cpu(ours),
        cpu(theirs),
        `${otherCore(ours)} / ${otherCore(theirs)}`,
        `${wait(ours)} / ${wait(theirs)}`,
        `${rounds(ours)} / ${rounds(theirs)}`,
        ...(withWire ? [`${wireShare(ours)} / ${wireShare(theirs)}`] : []),
      ].join(' | ')} |`,
    );
  }
  return any ? lines.join('\n') : undefined;
}

function memoryTable(results: EchoResults, deflate: boolean): string {
  const measured = results.memory.filter((m) => m.deflate === deflate);
  const head = [
    'server',
    'idle connections',
    'RSS before',
    'RSS after',
    'RSS KiB / connection',
    'JS heap + external KiB / connection',
    'goal',
    'met',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  const theirsKib = measured.find((m) => m.server === 'ws')?.rssKibPerConnection;
  const goalKib = deflate
    ? theirsKib === undefined
      ? undefined
      : theirsKib * DEFLATE_RSS_GOAL_OF_WS
    : RSS_GOAL_KIB;
  for (const m of measured) {
    const ours = m.server === 'ours';
    lines.push(
      `| ${[
        ours ? 'ours (createServer)' : 'ws (WebSocketServer)',
        m.failed > 0 ? `${m.connections} (${m.failed} failed)` : String(m.connections),
        mib(m.rssBefore),
        mib(m.rssAfter),
        m.rssKibPerConnection.toFixed(2),
        m.jsKibPerConnection.toFixed(2),
        ours
          ? goalKib === undefined
            ? `≤ ${DEFLATE_RSS_GOAL_OF_WS} × ws`
            : `≤ ${goalKib.toFixed(2)}${deflate ? ` (${DEFLATE_RSS_GOAL_OF_WS} × ws)` : ''}`
          : deflate
            ? 'reference (ws defaults)'
            : 'reference (≈ 6.2)',
        ours && goalKib !== undefined ? (m.rssKibPerConnection <= goalKib ? 'yes' : '**no**') : '',
      ].join(' | ')} |`,
    );
  }
  const ours = measured.find((m) => m.server === 'ours');
  const theirs = measured.find((m) => m.server === 'ws');
  if (ours !== undefined && theirs !== undefined && theirs.rssKibPerConnection > 0) {
    lines.push(
      '',
      `ours ÷ ws (RSS per connection): ${ratioText(ours.rssKibPerConnection / theirs.rssKibPerConnection)}`,
    );
  }
  return lines.join('\n');
}

function peerLine(label: string, peer: PeerInfo | undefined): string {
  if (peer === undefined) return `${label}: did not run`;
  return `${label}: ${peer.name}, bufferutil ${peer.bufferutil ? 'yes (native addon loaded)' : '**NO**'}`;
}

/** The whole report in markdown. */
export function render(results: EchoResults): string {
  const { settings } = results;
  const out: string[] = ['# wasmws end-to-end echo benchmark vs ws', ''];
  out.push(
    `Peer: ${peerLine('ws server process', results.peer.server)}; ${peerLine('ws client process', results.peer.client)}.`,
    `Node ${results.node}, ${results.platform}, ${results.cpu} × ${results.cpus}; wasmws ` +
      (results.source === undefined
        ? '(git commit unknown)'
        : `at ${results.source.commit}${results.source.modified ? ' with uncommitted changes in src/ or assembly/' : ''}`) +
      ' (as built in dist/).',
    'Loopback 127.0.0.1 only; servers and load generators in processes of their own.',
  );
  if (results.cells.length > 0) {
    out.push(
      'Clients and deflate sections: ' +
        'the server and the load generator run in separate processes (a fresh load ' +
        'process per round; both servers stay up for the throughput section). Binary messages; every echo ' +
        `is checked for type, length and sequence number, every ${settings.fullCheckEvery}th byte for byte. ` +
        `Each cell: ${settings.rounds} round(s) of ${settings.durationMs} ms after ${settings.warmupMs} ms of warm-up, ` +
        'ours and ws alternating (ours first in odd rounds, ws first in even ones); rate = echoes in the timed ' +
        'windows ÷ their length. CPU µs/msg = that process’s user + system time in the windows ÷ echoes ' +
        '(a process at 100% of one core for the rate shown is the bottleneck; "core use" shows it for the ' +
        'side held fixed). CPU wait = share of the ' +
        'cell’s time some task on the machine waited for a CPU (Linux PSI): high values mean other work ' +
        'competed for the 2 cores and the cell is noisy.',
    );
  }
  const pressures = [
    ...results.cells.map((c) => c.cpuPressure),
    ...(results.sliced?.cells.flatMap((c) => c.slices.map((s) => s.cpuPressure)) ?? []),
  ].filter((p): p is number => p !== undefined);
  if (pressures.length > 0) {
    const mean = pressures.reduce((a, b) => a + b, 0) / pressures.length;
    out.push(
      `CPU contention (Linux PSI, some task waiting for a CPU): mean ${(mean * 100).toFixed(0)}%, ` +
        `worst cell ${(Math.max(...pressures) * 100).toFixed(0)}% of the time.`,
    );
  }
  for (const note of results.notes) out.push(`Note: ${note}`);
  if (results.sliced !== undefined) out.push('', renderSliced(results.sliced));
  if (results.cells.some((c) => WORKLOADS.some((w) => w.key === c.workload))) {
    out.push(
      '',
      '## Clients section: our client and ws’s against both servers (one load process per round, servers one after the other)',
    );
    for (const comparison of COMPARISONS) {
      if (comparison.key === 'client-wsServer') out.push('', '## Client comparison');
      const table = comparisonTable(results, comparison, WORKLOADS);
      if (table !== undefined) out.push('', `### ${comparison.title}`, '', table);
    }
  }
  if (results.cells.some((c) => DEFLATE_WORKLOADS.some((w) => w.key === c.workload))) {
    out.push(
      '',
      '## With permessage-deflate: server comparison (goals are set for the first table)',
      '',
      'Both servers accept permessage-deflate (ours: `deflate: true`; ws: `perMessageDeflate: ' +
        '{ threshold: 1024 }`, its defaults otherwise: context takeover, 15-bit windows, memLevel 8, ' +
        '10 concurrent zlib jobs); both clients negotiate it (ws: `perMessageDeflate: { threshold: 1024 }`; ' +
        'ours: `deflate: true`), so every message and echo is compressed. Binary messages of JSON text: ' +
        '64 distinct documents of records per size, each carrying its sequence number. "wire ÷ payload" = ' +
        'bytes the client read off TCP ÷ payload bytes echoed (a run above 90% fails as not compressed).',
    );
    for (const comparison of COMPARISONS) {
      if (comparison.key === 'client-wsServer') out.push('', '## With permessage-deflate: client comparison');
      const table = comparisonTable(results, comparison, DEFLATE_WORKLOADS);
      if (table !== undefined) out.push('', `### ${comparison.title} (deflate)`, '', table);
    }
  }
  if (results.memory.some((m) => !m.deflate)) {
    out.push(
      '',
      '## Memory: RSS per idle connection',
      '',
      'Each server in a fresh process (node --expose-gc); the idle clients in another (bare sockets that ' +
        'complete the opening handshake, then send nothing), opened 250 at a time. 100 connections are ' +
        'opened and dropped first, so code loaded on first use is in "before". Both figures are taken after ' +
        `forced GCs. ulimit -n (soft, inherited by both processes): ${results.fdLimit ?? 'unknown'}.`,
      '',
      memoryTable(results, false),
    );
  }
  if (results.memory.some((m) => m.deflate)) {
    out.push(
      '',
      '## Memory with permessage-deflate: RSS per idle connection',
      '',
      'As above, but each idle client offers `permessage-deflate; client_max_window_bits` (as browsers ' +
        'and ws do), and after the 101 sends one compressed 1 KiB JSON message and waits for its echo, ' +
        'which must come back compressed and inflate to the same bytes: the server holds both zlib ' +
        'contexts (inflater and deflater, context takeover) of every connection. The 100 warm-up ' +
        'connections do the same. Goal: ours at most half of ws at its defaults.',
      '',
      memoryTable(results, true),
    );
  }
  const failures = results.cells.filter((c) => c.failures.length > 0);
  if (failures.length > 0) {
    out.push('', '## Failed cells (echo check or connection failures)');
    for (const c of failures) {
      out.push(`- ${c.workload}, server ${c.server}, client ${c.client}: ${c.failures.join('; ')}`);
    }
  }
  if (results.cells.length > 0 || results.memory.length > 0)
    out.push('', '## Goals of the other sections', '');
  const checks = goalChecks(results);
  for (const comparison of COMPARISONS) {
    const mine = checks.filter((c) => c.comparison === comparison.key);
    if (mine.length === 0) continue;
    const missed = mine
      .filter((c) => !c.met)
      .map((c) => `${c.workload} (${ratioText(c.ratio)} < ${c.goal}×)`);
    out.push(`- ${comparison.title}: ${missed.length === 0 ? 'all met' : `missed at ${missed.join(', ')}`}`);
  }
  const ours = results.memory.find((m) => m.server === 'ours' && !m.deflate);
  if (ours !== undefined) {
    out.push(
      `- RSS per idle connection at ${ours.connections}: ${ours.rssKibPerConnection.toFixed(2)} KiB ` +
        `${ours.rssKibPerConnection <= RSS_GOAL_KIB ? '≤' : '>'} ${RSS_GOAL_KIB} KiB: ` +
        (ours.rssKibPerConnection <= RSS_GOAL_KIB ? 'met' : '**missed**'),
    );
  }
  const oursDeflate = results.memory.find((m) => m.server === 'ours' && m.deflate);
  const wsDeflate = results.memory.find((m) => m.server === 'ws' && m.deflate);
  if (oursDeflate !== undefined && wsDeflate !== undefined) {
    const limit = wsDeflate.rssKibPerConnection * DEFLATE_RSS_GOAL_OF_WS;
    const met = oursDeflate.rssKibPerConnection <= limit;
    out.push(
      `- RSS per idle connection with deflate at ${oursDeflate.connections}: ` +
        `${oursDeflate.rssKibPerConnection.toFixed(2)} KiB ${met ? '≤' : '>'} ${limit.toFixed(2)} KiB ` +
        `(half of ws's ${wsDeflate.rssKibPerConnection.toFixed(2)}): ${met ? 'met' : '**missed**'}`,
    );
  }
  return out.join('\n');
}
