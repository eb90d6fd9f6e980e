// `wasmws serve --workers N`: the echo server on several cores with node:cluster. The primary
// forks N workers that run the same command line; each builds the same server and listens,
// and cluster gives every worker the one listening socket the primary bound (round-robin on
// Linux). With `--port 0` every worker's listen(0) maps to the same cluster handle (it is
// keyed by the address as given), so all of them serve the one port picked the first time.
//
// The primary's states: starting (workers forked, waiting until every one listens; a worker
// that exits then fails the start) → serving (a worker that exits is replaced) → stopping
// (SIGINT/SIGTERM: every worker gets SIGTERM, closes its sessions with 1001 and exits; the
// primary exits 0 once all have).
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { WebSocketServer } from '../server/create-server.js';
import { type CommandIO, EXIT_FAILURE } from './command.js';

/** Most workers `--workers` accepts: more than this is a typo, not a machine. */
export const MAX_WORKERS = 256;

/** Marks a process the primary forked, so only those take the worker's part. */
const WORKER_ENV = 'WASMWS_SERVE_WORKER';

/** A replacement that exits before it listens is retried after this long, not in a tight loop. */
const RETRY_DELAY_MS = 1000;

/** Stopping workers are killed after this long: a session's close timeout (5 s) plus a margin. */
const STOP_GRACE_MS = 10_000;

/** What a worker tells the primary once it listens. */
interface ListeningMessage {
  wasmws: 'listening';
  url: string;
  port: number;
}

/**
 * `--workers` given with no value (last, or followed by another flag) becomes `--workers=auto`,
 * so util.parseArgs, whose string options always take a value, reads it.
 */
export function withWorkersValue(args: readonly string[]): string[] {
  return args.map((arg, index) => {
    if (arg !== '--workers') return arg;
    const next = args[index + 1];
    // `-1` is a (bad) value, not a flag: parseArgs then reports it.
    return next === undefined || /^-(?![0-9])/.test(next) ? '--workers=auto' : arg;
  });
}

/** The worker count of `--workers VALUE` (`auto`: one per core), or `null` if VALUE is not one. */
export function parseWorkerCount(value: string): number | null {
  if (value === 'auto') return availableParallelism();
  if (!/^[0-9]+$/.test(value)) return null;
  const count = Number(value);
  return count >= 1 && count <= MAX_WORKERS ? count : null;
}

/** What {@link serveOnWorkers} needs from `serve`. */
export interface WorkersJob {
  /** The server this process would run; only a worker listens on it. */
  server: WebSocketServer;
  /** How many workers the primary keeps running. */
  count: number;
  /** `serve`'s arguments, which every worker is started with. */
  args: readonly string[];
  io: CommandIO;
}

/** Runs `serve --workers`: the primary's part in the process started by hand, a worker's in a fork. */
export function serveOnWorkers(job: WorkersJob): Promise<number> {
  if (cluster.isWorker && process.env[WORKER_ENV] === '1') return runWorker(job.server, job.io);
  return new Primary(job.count, job.args, job.io).run();
}

/** A worker: listen, say so, and on SIGINT/SIGTERM close every session with 1001. */
async function runWorker(server: WebSocketServer, io: CommandIO): Promise<number> {
  const stopped = new Promise<void>((resolve) => io.onStop(() => resolve()));
  const worker = cluster.worker!;
  let listening: { url: string; port: number };
  try {
    listening = await server.listen();
  } catch (error) {
    io.err(`wasmws serve: worker ${process.pid} cannot listen: ${(error as Error).message}\n`);
    worker.disconnect();
    return EXIT_FAILURE;
  }
  io.err(`wasmws serve: worker ${process.pid} listening on ${listening.url}\n`);
  const message: ListeningMessage = { wasmws: 'listening', url: listening.url, port: listening.port };
  worker.send(message);
  await stopped;
  // RFC 6455 §7.4.1: 1001, going away; the reason names the worker that served the session.
  await server.close(1001, `worker ${process.pid} shutting down`);
  // The IPC channel would keep the process alive; disconnecting lets it exit with our status.
  worker.disconnect();
  return 0;
}

function isListeningMessage(message: unknown): message is ListeningMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as ListeningMessage).wasmws === 'listening' &&
    typeof (message as ListeningMessage).url === 'string' &&
    typeof (message as ListeningMessage).port === 'number'
  );
}

/** The primary process of `serve --workers`: forks, watches, replaces and stops the workers. */
class Primary {
  private state: 'starting' | 'serving' | 'stopping' = 'starting';
  /** Live workers, and whether each listens yet. */
  private readonly workers = new Map<Worker, { listening: boolean }>();
  /** The URL and port the first worker reported; every worker shares them. */
  private url: string | undefined;
  private port: number | undefined;
  /** `--port P` for workers forked once the port-0 cluster handle may be gone (see fork, onListening). */
  private portArgs: string[] = [];
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();
  private status = 0;
  private finished: (status: number) => void = () => {};

  constructor(
    private readonly count: number,
    private readonly args: readonly string[],
    private readonly io: CommandIO,
  ) {}

  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finished = resolve));
    this.io.onStop(() => this.stop(0));
    for (let started = 0; started < this.count; started++) this.fork();
    return done;
  }

  private fork(): void {
    if (this.workers.size === 0 && this.port !== undefined) this.portArgs = ['--port', String(this.port)];
    cluster.setupPrimary({
      exec: fileURLToPath(new URL('./main.js', import.meta.url)),
      // A later --port wins in parseArgs.
      args: ['serve', ...this.args, ...this.portArgs],
    });
    const worker = cluster.fork({ [WORKER_ENV]: '1' });
    this.workers.set(worker, { listening: false });
    worker.on('message', (message: unknown) => {
      if (isListeningMessage(message)) this.onListening(worker, message);
    });
    worker.on('exit', (code, signal) => this.onExit(worker, code, signal));
  }

  private onListening(worker: Worker, message: ListeningMessage): void {
    const entry = this.workers.get(worker);
    if (entry === undefined) return;
    entry.listening = true;
    if (this.port !== undefined && message.port !== this.port) {
      // Every worker on the port-0 handle was gone (say, all killed at once) by the time this
      // one listened, so cluster bound a new port. From now on workers ask for ours by number.
      this.portArgs = ['--port', String(this.port)];
      this.io.err(
        `wasmws serve: worker ${worker.process.pid} got port ${message.port}, not ${this.port}; replacing it\n`,
      );
      worker.process.kill('SIGTERM');
      return;
    }
    this.url ??= message.url;
    this.port ??= message.port;
    if (this.state !== 'starting') return;
    for (const other of this.workers.values()) if (!other.listening) return;
    this.state = 'serving';
    this.io.out(`wasmws listening on ${this.url}\n`);
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const entry = this.workers.get(worker);
    this.workers.delete(worker);
    const how = signal === null ? `with status ${code}` : `on ${signal}`;
    const pid = worker.process.pid;
    if (this.state === 'starting') {
      const when = entry?.listening === true ? 'while the others started' : 'before listening';
      this.io.err(`wasmws serve: worker ${pid} exited ${how} ${when}\n`);
      this.stop(EXIT_FAILURE);
    } else if (this.state === 'serving') {
      this.io.err(`wasmws serve: worker ${pid} exited ${how}; starting another\n`);
      if (entry?.listening === true) this.fork();
      else this.retryLater();
    }
    if (this.state === 'stopping' && this.workers.size === 0) this.finished(this.status);
  }

  private retryLater(): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.state === 'serving') this.fork();
    }, RETRY_DELAY_MS);
    this.retryTimers.add(timer);
  }

  /** Every worker closes its sessions with 1001 and exits; `status` is what the primary returns. */
  private stop(status: number): void {
    if (this.state === 'stopping') return;
    this.state = 'stopping';
    this.status = status;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    if (this.workers.size === 0) {
      this.finished(status);
      return;
    }
    for (const worker of this.workers.keys()) worker.process.kill('SIGTERM');
    const grace = setTimeout(() => {
      for (const worker of this.workers.keys()) worker.process.kill('SIGKILL');
    }, STOP_GRACE_MS);
    grace.unref();
  }
}
