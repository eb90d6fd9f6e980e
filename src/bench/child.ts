// The one process model: every server and every load generator runs in a process of its
// own, this script, forked by the driver and told what to be over its IPC channel. The
// parent numbers its requests and waits for each answer within a time limit; a child exits
// when the channel closes or its lifetime is up, so no benchmark process outlives the run.
//
// Requests: `serve` (start an echo server), `usage` (its CPU, self and descendants, and what it
// echoed), `memory` (after forced GCs or not); `open` (a load group per server), `slice` (drive
// one group: warm-up, timed window marked by `window` events, drain), `idle-open`, `idle-drop`.
import { type ChildProcess, fork } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { type LinkKind, type LinkOptions, openLink } from './links.js';
import { builtModule, descendantsCpuMicros } from './machine.js';
import { messagePool, type PayloadKind } from './payloads.js';
import { type EchoServer, type ServerSpec, startServer } from './servers.js';
import { type Driven, EchoGroup, type IdleConnections, openIdle, RawConnection } from './wire.js';

/** A message on the channel: requests carry `id`, answers echo it with `ok`. */
export interface Envelope {
  id?: number;
  type: string;
  ok?: boolean;
  error?: string;
  [field: string]: unknown;
}

/** Rejects with "`what` took over `ms` ms" unless `promise` settles first. */
export function raceTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Every child still running, so the driver can kill them all if the run overruns or is interrupted. */
export const running = new Set<BenchChild>();

/** A benchmark child process seen from the parent. */
export class BenchChild {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve(answer: Envelope): void; reject(error: Error): void }
  >();
  private readonly exited: Promise<void>;
  private exitNote = '';
  onEvent: (event: Envelope) => void = () => {};

  private constructor(readonly process: ChildProcess) {
    running.add(this);
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        this.exitNote = `exited (${signal ?? code})`;
        for (const { reject } of this.waiting.values()) reject(new Error(`child ${this.exitNote}`));
        this.waiting.clear();
        running.delete(this);
        resolve();
      });
    });
    process.on('message', (message: Envelope) => {
      const waiter = message.id === undefined ? undefined : this.waiting.get(message.id);
      if (waiter === undefined) return this.onEvent(message);
      this.waiting.delete(message.id!);
      if (message.ok) waiter.resolve(message);
      else waiter.reject(new Error(message.error ?? 'child request failed'));
    });
  }

  /** Forks this script (with `execArgv`, e.g. --expose-gc) and waits until it is ready. */
  static async start(execArgv: string[] = [], env?: NodeJS.ProcessEnv): Promise<BenchChild> {
    const forked = fork(builtModule('bench/child.js'), [], {
      execArgv,
      env: env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child = new BenchChild(forked);
    try {
      await child.request({ type: 'ping' }, 15_000);
      return child;
    } catch (error) {
      await child.stop();
      throw error;
    }
  }

  /** Sends a request and resolves with the answer; rejects on the child's error, its exit or the time limit. */
  request(message: Envelope, timeoutMs: number): Promise<Envelope> {
    if (this.process.exitCode !== null || !this.process.connected) {
      return Promise.reject(new Error(`child ${this.exitNote || 'is gone'}`));
    }
    const id = this.nextId++;
    const answer = new Promise<Envelope>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.process.send({ ...message, id });
    return raceTimeout(answer, timeoutMs, `child request ${message.type}`).finally(() =>
      this.waiting.delete(id),
    );
  }

  /** Closes the channel (the child exits on that) and kills it if it has not exited within `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    if (this.process.connected) this.process.disconnect();
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A load group's connections to one server. */
export interface GroupSpec {
  name: string;
  url: string;
  link?: LinkOptions;
}

/** What an echo scenario sends (the data of a row). */
export interface LoadScenario {
  size: number;
  payload: PayloadKind;
  binary: boolean;
  connections: number;
  inFlight: number;
}

/** What one slice of one group measured and checked. */
export interface SliceResult {
  /** Echoes in the timed window. */
  messages: number;
  seconds: number;
  clientCpuMicrosPerMessage: number;
  /** Every echo and send of the slice, warm-up and drain included. */
  echoes: number;
  sent: number;
  fullChecks: number;
  /** The group's SHA-256 so far over the echoes compared byte for byte, and over what was sent for them. */
  receivedSha256: string;
  expectedSha256: string;
  /** Bytes the group's sockets read so far ÷ payload bytes echoed so far (undefined: sockets not seen). */
  wirePerPayload: number | undefined;
  failures: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CONNECT_BATCH = 100;
const DRAIN_TIMEOUT_MS = 5000;

/** One server's connections in a load process. */
export interface OpenGroup {
  group: EchoGroup;
  connections: Driven[];
  wireRead(): number | undefined;
  payloadEchoed: number;
}

/** Opens `scenario.connections` connections per group with `loader` (`raw`, `ws` or `wasmws`). */
export async function openGroups(
  loader: string,
  groups: GroupSpec[],
  scenario: LoadScenario,
  fullCheckEvery: number,
) {
  const pool = messagePool(scenario.payload, scenario.size);
  const opened = new Map<string, OpenGroup>();
  for (const spec of groups) {
    const group = new EchoGroup(scenario.binary ? 2 : 1, pool[0], scenario.inFlight, fullCheckEvery);
    const sockets: Socket[] = [];
    const onSocket = (message: unknown) => sockets.push((message as { socket: Socket }).socket);
    subscribe('net.client.socket', onSocket);
    const connections: Driven[] = [];
    try {
      for (let first = 0; first < scenario.connections; first += CONNECT_BATCH) {
        const batch = Math.min(CONNECT_BATCH, scenario.connections - first);
        connections.push(
          ...(await Promise.all(
            Array.from({ length: batch }, () =>
              loader === 'raw'
                ? RawConnection.open(spec.url, group)
                : openLink(
                    loader as LinkKind,
                    spec.url,
                    spec.link ?? { deflate: false },
                    group,
                    pool,
                    scenario.binary,
                  ),
            ),
          )),
        );
      }
    } finally {
      unsubscribe('net.client.socket', onSocket);
    }
    const raw = connections.filter((c): c is RawConnection => c instanceof RawConnection);
    const wireRead = () =>
      raw.length > 0
        ? raw.reduce((sum, c) => sum + c.bytesRead, 0)
        : sockets.length > 0
          ? sockets.reduce((sum, s) => sum + s.bytesRead, 0)
          : undefined;
    opened.set(spec.name, { group, connections, wireRead, payloadEchoed: 0 });
  }
  return { opened, size: scenario.size };
}

/** Drives one group for warm-up + window (`onWindow` marks its edges), then stops and drains. */
export async function slice(
  open: OpenGroup,
  size: number,
  warmupMs: number,
  durationMs: number,
  onWindow: (edge: 'start' | 'end') => void = () => {},
  drainMs = DRAIN_TIMEOUT_MS,
): Promise<SliceResult> {
  const { group } = open;
  const echoesAtStart = group.echoes;
  const sentAtStart = group.sent;
  const checksAtStart = group.fullChecks;
  for (const connection of open.connections) connection.start();
  await sleep(warmupMs);
  const before = group.echoes;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  onWindow('start');
  await sleep(durationMs);
  const messages = group.echoes - before;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  onWindow('end');
  for (const connection of open.connections) connection.stop();
  for (
    const drainStart = performance.now();
    group.outstanding > 0 && performance.now() - drainStart < drainMs;
  ) {
    await sleep(2);
  }
  const failures = group.failures.splice(0);
  if (group.outstanding > 0)
    failures.push(`${group.outstanding} echoes missing ${drainMs} ms after the window`);
  if (messages === 0 && failures.length === 0) failures.push('no echo in the timed window');
  open.payloadEchoed += (group.echoes - echoesAtStart) * size;
  const wire = open.wireRead();
  return {
    messages,
    seconds,
    clientCpuMicrosPerMessage: messages > 0 ? (cpu.user + cpu.system) / messages : 0,
    echoes: group.echoes - echoesAtStart,
    sent: group.sent - sentAtStart,
    fullChecks: group.fullChecks - checksAtStart,
    receivedSha256: group.received.hex(),
    expectedSha256: group.expected.hex(),
    wirePerPayload: wire === undefined || open.payloadEchoed === 0 ? undefined : wire / open.payloadEchoed,
    failures,
  };
}

/** Idle wasmws client sessions (HTTP/2 streams or `wss://` connections), for memory over TLS. */
async function openIdleSessions(url: string, count: number, link: LinkOptions): Promise<IdleConnections> {
  const { connect } = await import('../client/index.js');
  const result: IdleConnections = { sockets: [], failed: 0, firstError: undefined };
  for (let i = 0; i < count; i++) {
    try {
      const session = await connect(
        url,
        { message() {} },
        { deflate: false, http2: link.http2 ?? false, ca: link.ca },
      );
      result.sockets.push({ destroy: () => session.terminate() } as unknown as Socket);
    } catch (error) {
      result.failed++;
      result.firstError ??= (error as Error).message;
      if (result.failed > 10) break;
    }
  }
  return result;
}

/** The child's end: answers requests until the parent closes the channel. */
async function serveRequests(): Promise<void> {
  let server: EchoServer | undefined;
  let load: Awaited<ReturnType<typeof openGroups>> | undefined;
  let idle: IdleConnections | undefined;
  const collect = (globalThis as { gc?: () => void }).gc;
  const dropIdle = () => {
    for (const socket of idle?.sockets ?? []) (socket as { destroy(): void }).destroy();
    idle = undefined;
  };
  const handle = async (request: Envelope): Promise<Record<string, unknown>> => {
    switch (request.type) {
      case 'ping':
        return {};
      case 'serve':
        server = await startServer(request.spec as ServerSpec);
        return { url: server.url };
      case 'usage': {
        const self = process.cpuUsage();
        return {
          cpuMicros: self.user + self.system + descendantsCpuMicros(process.pid),
          echoed: server?.echoed(),
          connections: server?.connections(),
        };
      }
      case 'memory':
        if (request.gc === true) {
          if (collect === undefined) throw new Error('memory after GC needs node --expose-gc');
          // Several passes a turn apart: one pass can leave finalizers for the next.
          for (let i = 0; i < 3; i++) {
            collect();
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        return { memory: process.memoryUsage(), connections: server?.connections() };
      case 'open':
        load = await openGroups(
          request.loader as string,
          request.groups as GroupSpec[],
          request.scenario as LoadScenario,
          request.fullCheckEvery as number,
        );
        return {};
      case 'slice': {
        const open = load?.opened.get(request.name as string);
        if (load === undefined || open === undefined) throw new Error(`no group ${String(request.name)}`);
        const onWindow = (edge: string) => process.send?.({ type: 'window', edge });
        const { warmupMs, durationMs } = request as unknown as { warmupMs: number; durationMs: number };
        return { result: await slice(open, load.size, warmupMs, durationMs, onWindow) };
      }
      case 'idle-open': {
        dropIdle();
        if (request.link !== undefined) {
          idle = await openIdleSessions(
            request.url as string,
            request.count as number,
            request.link as LinkOptions,
          );
          return { opened: idle.sockets.length, failed: idle.failed, firstError: idle.firstError };
        }
        const size = request.deflateMessage as number | undefined;
        const message = size === undefined ? undefined : messagePool('json', size)[0];
        idle = await openIdle(request.url as string, request.count as number, 250, message);
        return { opened: idle.sockets.length, failed: idle.failed, firstError: idle.firstError };
      }
      case 'idle-drop':
        dropIdle();
        return {};
      default:
        throw new Error(`unknown request ${request.type}`);
    }
  };
  process.on('message', (request: Envelope) => {
    handle(request).then(
      (answer) => process.send?.({ ...answer, type: request.type, id: request.id, ok: true }),
      (error: Error) =>
        process.send?.({ type: request.type, id: request.id, ok: false, error: error.message }),
    );
  });
  process.on('disconnect', () => {
    for (const group of load?.opened.values() ?? []) for (const c of group.connections) c.close();
    dropIdle();
    void (server?.close() ?? Promise.resolve()).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
  // The most a child may live, whatever the parent does.
  setTimeout(() => process.exit(2), 30 * 60 * 1000).unref();
}

if (process.send !== undefined && process.argv[1] === new URL(import.meta.url).pathname)
  await serveRequests();
