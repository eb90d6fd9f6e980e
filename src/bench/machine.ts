// The run's conditions, printed beside every table: Node, CPU, the checkout's commit, which
// peers are installed (ws, bufferutil), and how much CPU pressure the run saw (Linux PSI);
// and the CPU time of a process tree from /proc, for servers that fork (serve --workers).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** What a run was measured on. */
export interface Conditions {
  node: string;
  platform: string;
  /** e.g. `2 × AMD EPYC 9R14`. */
  cpu: string;
  /** `ws x.y.z`, or undefined when ws is not installed. */
  ws: string | undefined;
  /** bufferutil is installed here (ws and wasmws use it when present). */
  bufferutil: boolean;
  /** The checkout's commit and whether src/ or assembly/ differ from it; undefined outside a git checkout. */
  source?: { commit: string; modified: boolean };
  /** Share of the run's wall time during which some task waited for a CPU, from /proc/pressure/cpu. */
  cpuPressure?: number;
  /** The worst share over one slice or row. */
  cpuPressureWorst?: number;
  startedAt: string;
  seconds?: number;
}

/** The version of an installed package, or undefined when it cannot be resolved from here. */
export function installedVersion(name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string })
      .version;
  } catch {
    return undefined;
  }
}

/** Whether a native add-on of `name` is loaded in this process (what ws and wasmws picked at run time). */
export function addonLoaded(name: string): boolean {
  const marker = `/node_modules/${name}/`;
  return Object.keys(require.cache).some((path) => path.replaceAll('\\', '/').includes(marker));
}

/** The checkout's commit and whether src/ or assembly/ differ from it; undefined without git. */
function sourceVersion(): { commit: string; modified: boolean } | undefined {
  const cwd = fileURLToPath(new URL('../../..', import.meta.url));
  const git = (...args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8', timeout: 10_000 });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return undefined;
  const status = git('status', '--porcelain', '--', 'src', 'assembly');
  return { commit: head.stdout.trim(), modified: status.status !== 0 || status.stdout.trim() !== '' };
}

/** The conditions of a run starting now. */
export function conditionsNow(): Conditions {
  const ws = installedVersion('ws');
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
    ws: ws === undefined ? undefined : `ws ${ws}`,
    bufferutil: installedVersion('bufferutil') !== undefined,
    source: sourceVersion(),
    startedAt: new Date().toISOString(),
  };
}

/** Microseconds some task has waited for a CPU since boot (Linux PSI), or undefined elsewhere. */
export function cpuStallMicros(): number | undefined {
  try {
    const total = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1];
    return total === undefined ? undefined : Number(total);
  } catch {
    return undefined;
  }
}

/** A PSI stopwatch: `share()` is the wall-time share since `start` during which some task waited. */
export function pressureSince(): () => number | undefined {
  const stall = cpuStallMicros();
  const wall = performance.now();
  return () => {
    const now = cpuStallMicros();
    const elapsed = (performance.now() - wall) * 1000;
    return stall === undefined || now === undefined || elapsed <= 0 ? undefined : (now - stall) / elapsed;
  };
}

/** USER_HZ on Linux: /proc/PID/stat counts CPU time in 1/100 s. */
const CLOCK_TICK_MICROS = 10_000;

/**
 * User + system CPU of every descendant of `pid` (cluster workers, an adapter's own server
 * processes), µs in 10 ms steps; 0 where there is no /proc. Exited descendants are not counted.
 */
export function descendantsCpuMicros(pid: number): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  const parents = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the parenthesised command: state ppid … utime (12th) stime (13th).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MICROS);
    } catch {
      // exited meanwhile
    }
  }
  const descends = (p: number): boolean => {
    for (
      let parent = parents.get(p), hops = 0;
      parent !== undefined && hops < 64;
      parent = parents.get(parent), hops++
    ) {
      if (parent === pid) return true;
    }
    return false;
  };
  let micros = 0;
  for (const [p, used] of cpu) if (descends(p)) micros += used;
  return micros;
}

/**
 * A built module of src/ as a URL: beside this file once built (dist/src/bench/), or in
 * dist/ when this file runs as TypeScript (the tests): child processes run built code.
 */
export function builtModule(path: string): URL {
  const here = new URL(import.meta.url);
  if (!here.pathname.endsWith('.ts')) return new URL(`../${path}`, here);
  return new URL(`../../dist/src/${path}`, here);
}
