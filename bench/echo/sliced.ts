// The sliced throughput section of the echo benchmark: every server under comparison runs
// at once in a process of its own (ws twice: the second one is the A/A check), one load
// process per workload and loader holds connections to all of them, and the servers take
// turns in slices (round r starts with the r-th server, so none always goes first or
// last). Each slice: warm-up, a timed window in which the parent samples the server's
// `process.cpuUsage()` at both edges, then a drain. Ratios are per round, against ws.
import { readFileSync } from 'node:fs';
import type { Child, Envelope } from './ipc.js';
import type { ServerKind } from './servers.js';
import { LOADERS, type Loader, type SliceResult, type SliceWorkload } from './slice-load.js';

/** A throughput workload of the sliced section, with the goal for ours ÷ ws under the raw loader. */
export interface SlicedWorkload extends SliceWorkload {
  key: string;
  label: string;
  /** Minimum messages/s ratio ours ÷ ws; undefined when only the CPU goal applies. */
  goal?: number;
}

/** Issue 12's echo workloads: 64 B text and binary, many connections, 16 KiB, 16 KiB × 500 × 1. */
export const SLICED_WORKLOADS: readonly SlicedWorkload[] = [
  {
    key: 'text64-1x64',
    label: '64 B text, 1 conn × 64',
    size: 64,
    binary: false,
    connections: 1,
    inFlight: 64,
    goal: 5,
  },
  {
    key: 'bin64-1x64',
    label: '64 B binary, 1 conn × 64',
    size: 64,
    binary: true,
    connections: 1,
    inFlight: 64,
  },
  {
    key: 'text64-100x4',
    label: '64 B text, 100 conns × 4',
    size: 64,
    binary: false,
    connections: 100,
    inFlight: 4,
    goal: 3,
  },
  {
    key: 'bin64-100x4',
    label: '64 B binary, 100 conns × 4',
    size: 64,
    binary: true,
    connections: 100,
    inFlight: 4,
    goal: 3,
  },
  {
    key: 'bin16k-1x16',
    label: '16 KiB binary, 1 conn × 16',
    size: 16384,
    binary: true,
    connections: 1,
    inFlight: 16,
    goal: 1.5,
  },
  {
    key: 'text16k-1x16',
    label: '16 KiB text, 1 conn × 16',
    size: 16384,
    binary: false,
    connections: 1,
    inFlight: 16,
    goal: 1.5,
  },
  {
    key: 'bin16k-500x1',
    label: '16 KiB binary, 500 conns × 1',
    size: 16384,
    binary: true,
    connections: 500,
    inFlight: 1,
  },
];

/** A server process of the comparison: `name` is unique (`ws#2` is the A/A twin of `ws`). */
export interface SlicedServer {
  name: string;
  kind: ServerKind;
  child: Child;
  url: string;
}

/** One slice of one server, as measured. */
export interface SliceRecord extends SliceResult {
  round: number;
  /** Server process CPU (user + system) in the window ÷ echoes, µs; undefined if not sampled. */
  serverCpuMicrosPerMessage: number | undefined;
  serverSystemShare: number | undefined;
  /** Share of the slice's time some task waited for a CPU (Linux PSI). */
  cpuPressure: number | undefined;
}

/** Every slice of one workload × loader × server. */
export interface SlicedCell {
  workload: string;
  loader: Loader;
  server: string;
  kind: ServerKind;
  slices: SliceRecord[];
}

/** What the sliced section runs. */
export interface SlicedSettings {
  rounds: number;
  warmupMs: number;
  durationMs: number;
  fullCheckEvery: number;
  workloads: readonly SlicedWorkload[];
  loaders: readonly Loader[];
}

/** How echo.ts starts and stops children (it kills them all if the run overruns). */
export interface ChildControl {
  start(
    script: URL,
    args: string[],
    onEvent: (event: Envelope) => void,
  ): Promise<{ child: Child; ready: Envelope }>;
  stop(child: Child): Promise<void>;
  progress(line: string): void;
}

const SLICE_LOAD_SCRIPT = new URL('./slice-load-process.js', import.meta.url);

/** Microseconds some task has waited for a CPU since boot (Linux PSI), or undefined. */
function cpuStallMicros(): number | undefined {
  try {
    const total = /total=(\d+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0])?.[1];
    return total === undefined ? undefined : Number(total);
  } catch {
    return undefined;
  }
}

function cpuOf(answer: Envelope): { total: number; system: number } {
  const cpu = answer.cpu as NodeJS.CpuUsage;
  return { total: cpu.user + cpu.system, system: cpu.system };
}

/** Servers in the order of round `round`: rotated by one each round. */
export function roundOrder<T>(servers: readonly T[], round: number): T[] {
  const shift = round % servers.length;
  return [...servers.slice(shift), ...servers.slice(0, shift)];
}

/** Runs every workload × loader over all `servers`, slice by slice; returns one cell per server of each. */
export async function measureSliced(
  settings: SlicedSettings,
  servers: readonly SlicedServer[],
  control: ChildControl,
): Promise<{ cells: SlicedCell[]; peer?: unknown }> {
  const cells: SlicedCell[] = [];
  let peer: unknown;
  for (const workload of settings.workloads) {
    for (const loader of LOADERS.filter((l) => settings.loaders.includes(l))) {
      let current: SlicedServer | undefined;
      let samples: Promise<Envelope>[] = [];
      const onEvent = (event: Envelope) => {
        if (event.type === 'window' && current !== undefined) {
          samples.push(current.child.request({ type: 'usage' }, 10_000));
        }
      };
      const { child } = await control.start(SLICE_LOAD_SCRIPT, [], onEvent);
      try {
        const opened = await child.request(
          {
            type: 'open',
            loader,
            workload,
            fullCheckEvery: settings.fullCheckEvery,
            servers: Object.fromEntries(servers.map((s) => [s.name, s.url])),
          },
          120_000,
        );
        peer ??= opened.peer;
        const mine = new Map(
          servers.map((s) => {
            const cell: SlicedCell = {
              workload: workload.key,
              loader,
              server: s.name,
              kind: s.kind,
              slices: [],
            };
            cells.push(cell);
            return [s.name, cell];
          }),
        );
        for (let round = 0; round < settings.rounds; round++) {
          for (const server of roundOrder(servers, round)) {
            current = server;
            samples = [];
            const stallBefore = cpuStallMicros();
            const wallBefore = performance.now();
            const answer = await child.request(
              {
                type: 'slice',
                server: server.name,
                warmupMs: settings.warmupMs,
                durationMs: settings.durationMs,
              },
              settings.warmupMs + settings.durationMs + 30_000,
            );
            const stallAfter = cpuStallMicros();
            const wall = (performance.now() - wallBefore) * 1000;
            const result = answer.result as SliceResult;
            let serverCpuMicrosPerMessage: number | undefined;
            let serverSystemShare: number | undefined;
            if (samples.length === 2 && result.messages > 0) {
              const [start, end] = (await Promise.all(samples)).map(cpuOf);
              serverCpuMicrosPerMessage = (end.total - start.total) / result.messages;
              serverSystemShare = (end.system - start.system) / (end.total - start.total);
            }
            mine.get(server.name)!.slices.push({
              ...result,
              round,
              serverCpuMicrosPerMessage,
              serverSystemShare,
              cpuPressure:
                stallBefore === undefined || stallAfter === undefined
                  ? undefined
                  : (stallAfter - stallBefore) / wall,
            });
            control.progress(
              `${workload.label}, ${loader} load, ${server.name}, round ${round + 1}: ` +
                `${(result.messagesPerSec / 1000).toFixed(1)} k msg/s, server ` +
                `${serverCpuMicrosPerMessage?.toFixed(1) ?? '?'} µs/msg` +
                (result.failures.length > 0 ? ` FAILED: ${result.failures[0]}` : ''),
            );
          }
        }
        current = undefined;
        await child.request({ type: 'close' }, 10_000);
      } finally {
        await control.stop(child);
      }
    }
  }
  return { cells, peer };
}
