// Facts about this checkout and this machine that every benchmark prints beside its figures.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The checkout's commit and whether src/ or assembly/ differ from it; undefined without git. */
export function sourceVersion(): { commit: string; modified: boolean } | undefined {
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const git = (...args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8', timeout: 10_000 });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return undefined;
  const status = git('status', '--porcelain', '--', 'src', 'assembly');
  return { commit: head.stdout.trim(), modified: status.status !== 0 || status.stdout.trim() !== '' };
}

/** USER_HZ on Linux: /proc/PID/stat counts CPU time in 1/100 s. */
const CLOCK_TICK_MICROS = 10_000;

/** User and system CPU of `pid` and its children (cluster workers) from /proc, µs (10 ms steps). */
export function processTreeCpu(pid: number): NodeJS.CpuUsage {
  let user = 0;
  let system = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // After the parenthesised command: state ppid … utime (12th) stime (13th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) !== pid && Number(fields[1]) !== pid) continue;
    user += Number(fields[11]) * CLOCK_TICK_MICROS;
    system += Number(fields[12]) * CLOCK_TICK_MICROS;
  }
  return { user, system };
}
