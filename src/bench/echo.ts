// `wasmws bench echo|deflate|h2`: echo over 127.0.0.1 (or a `--url`). A scenario is data (what
// is sent, connections, in flight, size, text or binary, deflate, HTTP/1.1 or HTTP/2); the
// driver starts every peer's server in a process of its own (and the A/A twin of the base),
// opens one load process per scenario × loader holding connections to all of them, then
// drives one server at a time in slices, the order rotated each round. Per slice: messages/s,
// the server's CPU per message (its process tree, sampled at the window's edges), and after
// the drain the load's echo count against what the server says it echoed.
import { readFileSync } from 'node:fs';
import { BenchChild, type Envelope, type GroupSpec, type LoadScenario, type SliceResult } from './child.js';
import { pressureSince } from './machine.js';
import type { PayloadKind } from './payloads.js';
import { checksOf, compareSides, type MemoryRow, type Report, sizeLabel } from './report.js';
import type { ServerSpec } from './servers.js';
import { interleave, type Slice } from './stats.js';

/** One echo row's workload. */
export interface EchoScenario extends LoadScenario {
  key: string;
  deflate: boolean;
  /** Minimum wasmws ÷ ws messages/s, when a goal is set (issues 13, 17 and 18). */
  goal?: number;
  /** Run only when named in --workloads. */
  optional?: boolean;
}

const scenario = (
  key: string,
  size: number,
  payload: PayloadKind,
  binary: boolean,
  connections: number,
  inFlight: number,
  deflate = false,
  goal?: number,
): EchoScenario => ({ key, size, payload, binary, connections, inFlight, deflate, goal });

/** `wasmws bench echo`'s scenarios. */
export const ECHO_SCENARIOS: readonly EchoScenario[] = [
  scenario('text64-1x64', 64, 'ascii', false, 1, 64, false, 5),
  scenario('bin64-1x64', 64, 'pattern', true, 1, 64),
  scenario('text64-1x16', 64, 'ascii', false, 1, 16),
  scenario('bin64-1x16', 64, 'pattern', true, 1, 16),
  scenario('text64-100x4', 64, 'ascii', false, 100, 4, false, 3),
  scenario('bin64-100x4', 64, 'pattern', true, 100, 4, false, 3),
  scenario('bin16k-1x16', 16384, 'pattern', true, 1, 16, false, 1.5),
  scenario('text16k-1x16', 16384, 'ascii', false, 1, 16, false, 1.5),
  scenario('bin16k-500x1', 16384, 'pattern', true, 500, 1, false, 1.2),
  // What serve --workers was measured with: enough in flight to keep two workers busy.
  { ...scenario('bin64-16x128', 64, 'pattern', true, 16, 128), optional: true },
];

/** `wasmws bench deflate`'s scenarios: distinct JSON documents, compressed with context takeover. */
export const DEFLATE_SCENARIOS: readonly EchoScenario[] = [
  scenario('json1k-1x64', 1024, 'json', false, 1, 64, true, 3),
  scenario('json64k-1x16', 65536, 'json', false, 1, 16, true, 1.2),
  scenario('json1k-100x4', 1024, 'json', false, 100, 4, true, 3),
];

/** `wasmws bench h2`'s scenarios: binary, no deflate, over TLS. */
export const H2_SCENARIOS: readonly EchoScenario[] = [
  scenario('bin64-100x4', 64, 'pattern', true, 100, 4),
  scenario('bin16k-100x4', 16384, 'pattern', true, 100, 4),
];

/** A scenario's row label: `64 B text, 1 conn × 64`. */
export function scenarioLabel(s: EchoScenario): string {
  const what = s.payload === 'json' ? 'JSON' : s.binary ? 'binary' : 'text';
  return `${sizeLabel(s.size)} ${what}, ${s.connections} conn${s.connections === 1 ? '' : 's'} × ${s.inFlight}`;
}

/** A side of an echo comparison: a name, the server it drives (shared by name), how its clients connect. */
export interface EchoPeer {
  name: string;
  /** Peers with the same server key share one server process (h2 and h1 to one port). */
  serverKey: string;
  spec: ServerSpec;
  link?: GroupSpec['link'];
  /** Only these loaders can drive it (h2: wasmws's client). */
  loaders?: string[];
}

/** What an echo run does. */
export interface EchoSettings {
  scenarios: EchoScenario[];
  peers: EchoPeer[];
  base: string;
  loaders: string[];
  rounds: number;
  warmupMs: number;
  durationMs: number;
  fullCheckEvery: number;
  sections: ('throughput' | 'memory')[];
  idleConnections: number;
  /** With deflate: each idle connection exchanges one JSON message of this size each way. */
  idleDeflateMessage?: number;
  /** Memory after forced GCs too (labelled), beside the figure as the process stood. */
  memoryWithGc: boolean;
  section: string;
}

/** File descriptors each process keeps beyond its connections. */
const FD_MARGIN = 256;

/** `ulimit -n` (soft) of this process, from /proc; undefined where there is none. */
function fdLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return undefined;
  }
}

async function startServer(
  spec: ServerSpec,
  execArgv: string[] = [],
): Promise<{ child: BenchChild; url: string }> {
  const child = await BenchChild.start(execArgv);
  try {
    const answer = await child.request({ type: 'serve', spec }, 30_000);
    return { child, url: answer.url as string };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

const usage = async (server: BenchChild) => {
  const answer = await server.request({ type: 'usage' }, 10_000);
  return { cpu: answer.cpuMicros as number, echoed: answer.echoed as number | undefined };
};

/** The throughput rows of every scenario × loader. */
async function throughput(
  settings: EchoSettings,
  report: Report,
  progress: (line: string) => void,
): Promise<void> {
  const servers = new Map<string, { child: BenchChild; url: string }>();
  try {
    for (const peer of settings.peers) {
      if (!servers.has(peer.serverKey)) servers.set(peer.serverKey, await startServer(peer.spec));
    }
    for (const s of settings.scenarios) {
      for (const loader of settings.loaders) {
        const peers = settings.peers.filter((p) => p.loaders === undefined || p.loaders.includes(loader));
        if (!peers.some((p) => p.name === settings.base)) continue;
        await measureScenario(s, loader, peers, servers, settings, report, progress);
      }
    }
  } finally {
    for (const { child } of servers.values()) await child.stop();
  }
}

async function measureScenario(
  s: EchoScenario,
  loader: string,
  peers: EchoPeer[],
  servers: Map<string, { child: BenchChild; url: string }>,
  settings: EchoSettings,
  report: Report,
  progress: (line: string) => void,
): Promise<void> {
  const load = await BenchChild.start();
  try {
    const groups: GroupSpec[] = peers.map((p) => ({
      name: p.name,
      url: servers.get(p.serverKey)!.url,
      link: { deflate: s.deflate, ...p.link },
    }));
    await load.request(
      { type: 'open', loader, groups, scenario: s, fullCheckEvery: settings.fullCheckEvery },
      120_000,
    );
    const totals = new Map(
      peers.map((p) => [
        p.name,
        {
          echoes: 0,
          sent: 0,
          echoed: 0 as number | undefined,
          last: undefined as SliceResult | undefined,
          failures: [] as string[],
        },
      ]),
    );
    const byName = new Map(peers.map((p) => [p.name, p]));
    const slices = await interleave(
      peers.map((p) => p.name),
      settings.rounds,
      async (name, round): Promise<Slice> => {
        const server = servers.get(byName.get(name)!.serverKey)!.child;
        const window: Promise<{ cpu: number }>[] = [];
        load.onEvent = (event: Envelope) => {
          if (event.type === 'window') window.push(usage(server));
        };
        const before = await usage(server);
        const pressure = pressureSince();
        const answer = await load.request(
          { type: 'slice', name, warmupMs: settings.warmupMs, durationMs: settings.durationMs },
          settings.warmupMs + settings.durationMs + 30_000,
        );
        const share = pressure();
        const after = await usage(server);
        const result = answer.result as SliceResult;
        const total = totals.get(name)!;
        total.echoes += result.echoes;
        total.sent += result.sent;
        total.echoed =
          total.echoed === undefined || before.echoed === undefined || after.echoed === undefined
            ? undefined
            : total.echoed + after.echoed - before.echoed;
        total.last = result;
        total.failures.push(...result.failures.map((f) => `${name}: ${f}`));
        const [start, end] = window.length === 2 ? await Promise.all(window) : [undefined, undefined];
        const cpu = start === undefined || end === undefined ? undefined : end.cpu - start.cpu;
        report.conditions.cpuPressureWorst = Math.max(report.conditions.cpuPressureWorst ?? 0, share ?? 0);
        progress(
          `${scenarioLabel(s)}, ${loader} load, ${name}, round ${round + 1}: ${(result.messages / result.seconds / 1000).toFixed(1)} k msg/s, ` +
            `server ${cpu === undefined ? '?' : (cpu / Math.max(1, result.messages)).toFixed(1)} µs/msg` +
            (result.failures.length > 0 ? ` FAILED: ${result.failures[0]}` : ''),
        );
        return {
          count: result.messages,
          bytes: result.messages * s.size,
          seconds: result.seconds,
          serverCpuMicros: cpu,
          pressure: share,
        };
      },
    );
    const checks = new Map(
      [...totals].map(([name, t]) => {
        const expectedCount = t.echoed ?? t.sent;
        const checked = t.last?.receivedSha256;
        return [
          name,
          checksOf(
            { messages: t.echoes, bytes: t.echoes * s.size, sha256: checked },
            { messages: expectedCount, bytes: expectedCount * s.size, sha256: t.last?.expectedSha256 },
            t.failures,
          ),
        ];
      }),
    );
    for (const [name, c] of checks)
      if (!c.agree)
        report.failures.push(
          `${scenarioLabel(s)}, ${loader} load, ${name}: ${c.failures[0] ?? `${c.messages} echoes, server echoed ${c.expected.messages}`}`,
        );
    const wire = new Map(
      [...totals].map(([name, t]) => [name, s.deflate ? t.last?.wirePerPayload : undefined]),
    );
    report.rows.push(
      ...compareSides(
        {
          section: `${settings.section}, ${loader === 'raw' ? 'cheap load generator' : `${loader} client`}`,
          scenario: s.key,
          label: scenarioLabel(s),
          unit: 'msg/s',
          goal: (peer) => (peer === 'wasmws' && settings.base === 'ws' ? s.goal : undefined),
        },
        slices,
        settings.base,
        checks,
        new Set(peers.filter((p) => p.name.endsWith('#2')).map((p) => p.name)),
        wire,
      ),
    );
  } finally {
    await load.stop();
  }
}

/** Polls the server until it holds `count` connections (at most `limitMs`). */
async function awaitConnections(server: BenchChild, count: number, limitMs: number): Promise<number> {
  let held = -1;
  for (const start = performance.now(); performance.now() - start < limitMs; ) {
    held = (await server.request({ type: 'usage' }, 10_000)).connections as number;
    if (held === count || held === -1) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return held;
}

/** Memory per idle connection of each peer's server, in a fresh process each, without a forced GC and after. */
async function memory(
  settings: EchoSettings,
  report: Report,
  progress: (line: string) => void,
): Promise<void> {
  let count = settings.idleConnections;
  const limit = fdLimit();
  if (limit !== undefined && limit < count + FD_MARGIN) {
    count = Math.max(100, Math.floor((limit - FD_MARGIN) / 100) * 100);
    report.notes.push(
      `ulimit -n is ${limit}: measured ${count} idle connections instead of ${settings.idleConnections}.`,
    );
  }
  const deflateMessage = settings.idleDeflateMessage;
  for (const peer of settings.peers.filter((p) => !p.name.endsWith('#2'))) {
    progress(`memory: ${peer.name}, ${count} idle connections…`);
    const server = await startServer(peer.spec, ['--expose-gc']);
    const clients = await BenchChild.start();
    try {
      // Code loaded and caches filled on first use belong to "before", not to the connections.
      const link = peer.link?.ca === undefined ? undefined : peer.link;
      await clients.request({ type: 'idle-open', url: server.url, count: 100, deflateMessage, link }, 60_000);
      await clients.request({ type: 'idle-drop' }, 10_000);
      await awaitConnections(server.child, 0, 10_000);
      const before = (await server.child.request({ type: 'memory', gc: true }, 30_000))
        .memory as NodeJS.MemoryUsage;
      const opened = await clients.request(
        { type: 'idle-open', url: server.url, count, deflateMessage, link },
        300_000,
      );
      const connections = opened.opened as number;
      const held = await awaitConnections(server.child, connections, 20_000);
      const failures: string[] = [];
      if (opened.firstError !== undefined) failures.push(String(opened.firstError));
      if (held !== connections && held !== -1)
        failures.push(`the server holds ${held} of ${connections} connections`);
      for (const gc of settings.memoryWithGc ? [false, true] : [false]) {
        const after = (await server.child.request({ type: 'memory', gc }, 30_000))
          .memory as NodeJS.MemoryUsage;
        const per = (bytes: number) => (connections > 0 ? bytes / connections / 1024 : 0);
        const row: MemoryRow = {
          section: settings.section,
          server: peer.name,
          label: `${peer.name}${deflateMessage === undefined ? '' : `, deflate, one ${sizeLabel(deflateMessage)} message each way`}`,
          requested: settings.idleConnections,
          connections,
          gc,
          heapExternalKiB: per(after.heapUsed + after.external - before.heapUsed - before.external),
          rssKiB: per(after.rss - before.rss),
          failures,
        };
        report.memory.push(row);
      }
      for (const failure of failures) report.failures.push(`memory, ${peer.name}: ${failure}`);
    } finally {
      await clients.stop();
      await server.child.stop();
    }
  }
}

/** Runs the sections of `settings`. */
export async function runEcho(
  settings: EchoSettings,
  report: Report,
  progress: (line: string) => void,
): Promise<void> {
  if (settings.sections.includes('throughput')) await throughput(settings, report, progress);
  if (settings.sections.includes('memory')) await memory(settings, report, progress);
}
