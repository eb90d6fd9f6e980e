// The echo load generator: opens N connections with our client or ws's, keeps `inFlight`
// binary messages outstanding on each (a new one is sent per echo received), and checks
// every echo: binary, the right length, and the sequence number in its first 4 bytes;
// every `fullCheckEvery`-th echo is compared byte for byte. It runs a warm-up, then a timed
// window, stops sending, waits (bounded) for the outstanding echoes and closes.
//
// Each in-flight message has a buffer of its own (a slot), reused only after its echo came
// back: both clients may hold a sent buffer until it is written, so it must not change.
//
// Each client library is imported on first use, so a process loads only the one it drives.
import type WebSocket from 'ws';

/** Which implementation plays a role: wasmws (`ours`) or `ws`. */
export type Side = 'ours' | 'ws';

/** What {@link runLoad} does. */
export interface LoadOptions {
  /** `ws://127.0.0.1:PORT/` of an echo server. */
  url: string;
  client: Side;
  /** Payload bytes per message, at least 8 (the first 4 carry the sequence number). */
  size: number;
  connections: number;
  /** Messages outstanding per connection. */
  inFlight: number;
  /** Run this long before the timed window opens. */
  warmupMs: number;
  /** Length of the timed window; the run ends earlier only when `messageLimit` is reached. */
  durationMs: number;
  /** Stop sending after this many messages in total (the smoke test). Default: no limit. */
  messageLimit?: number;
  /** Compare every n-th echo with what was sent, byte for byte. Default 64. */
  fullCheckEvery?: number;
  /** How long to wait for outstanding echoes after the window before failing the run. Default 3000 ms. */
  drainTimeoutMs?: number;
  /** Connections opened at once. Default 100. */
  connectBatch?: number;
  /** Called as the timed window opens and closes (the parent samples the server's CPU then). */
  onWindow?: (edge: 'start' | 'end') => void;
}

/** What a run measured and checked. */
export interface LoadResult {
  client: Side;
  size: number;
  connections: number;
  inFlight: number;
  /** Echoes received in the timed window. */
  messages: number;
  /** Length of the timed window. */
  seconds: number;
  messagesPerSec: number;
  /** Every echo received and checked, warm-up and drain included. */
  echoes: number;
  /** Echoes compared byte for byte. */
  fullChecks: number;
  sent: number;
  /** This process's CPU time (user + system) in the window per echo, in µs. */
  clientCpuMicrosPerMessage: number;
  /** Wrong echoes, errors, unexpected closes, connections that failed; empty when all went well. */
  failures: string[];
}

/** How long opening one batch of connections, and draining at the end, may take. */
const CONNECT_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 3_000;
const CLOSE_TIMEOUT_MS = 2_000;
const MAX_FAILURE_NOTES = 10;

/** A connection as the pipeline sees it, whichever client is underneath. */
interface EchoLink {
  send(payload: Buffer): void;
  /** Runs the closing handshake; resolves when closed or after `timeoutMs` (then drops it). */
  close(timeoutMs: number): Promise<void>;
}

interface LinkEvents {
  echo(data: string | Uint8Array, isBinary: boolean): void;
  /** The connection failed or closed before we closed it. */
  failed(reason: string): void;
}

/** The payload every message carries after its 4-byte sequence number. */
export function payloadTemplate(size: number): Buffer {
  const template = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) template[i] = (i * 31 + 7) & 0xff;
  return template;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function openWsLink(url: string, events: LinkEvents): Promise<EchoLink> {
  const { WebSocket: WsClient } = await import('ws');
  // No extension offer, as our client makes none: both send plain frames.
  const socket: WebSocket = new WsClient(url, { perMessageDeflate: false });
  let closing = false;
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.on('error', (error) => events.failed(`ws client error: ${error.message}`));
  socket.on('close', (code) => {
    if (!closing) events.failed(`closed by the server (${code})`);
  });
  // binaryType 'nodebuffer' (the default): a binary message is one Buffer.
  socket.on('message', (data, isBinary) => events.echo(data as Buffer, isBinary));
  return {
    send: (payload) => socket.send(payload),
    close(timeoutMs) {
      closing = true;
      if (socket.readyState === socket.CLOSED) return Promise.resolve();
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.close(1000);
      return withTimeout(closed, timeoutMs, 'ws close').catch(() => socket.terminate());
    },
  };
}

async function openOurLink(url: string, events: LinkEvents): Promise<EchoLink> {
  const { connect } = await import('../../src/client/index.js');
  let closing = false;
  let onClosed = () => {};
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const session = await connect(url, {
    message: (_session, data, isBinary) => events.echo(data, isBinary),
    error: (_session, error) => events.failed(`wasmws client error: ${error.message}`),
    close: (_session, code) => {
      if (!closing) events.failed(`closed by the server (${code})`);
      onClosed();
    },
  });
  return {
    // Above the high-water mark `send` still queues the message; `inFlight` bounds the queue.
    send: (payload) => void session.send(payload),
    close(timeoutMs) {
      closing = true;
      if (session.state === 'closed') return Promise.resolve();
      session.close(1000);
      return withTimeout(closed, timeoutMs, 'wasmws close').catch(() => session.terminate());
    },
  };
}

/** The run's shared counters and the end-of-run condition. */
class Run {
  echoes = 0;
  sent = 0;
  fullChecks = 0;
  outstanding = 0;
  sending = true;
  readonly failures: string[] = [];
  private failureCount = 0;
  private idleWaiter: (() => void) | null = null;

  /** @param live connections that can still send (a failed one cannot). */
  constructor(
    readonly limit: number,
    private live: number,
  ) {}

  mayFill(): boolean {
    return this.sending && this.live > 0 && this.sent < this.limit;
  }

  /** A connection failed: once none is left, the run can end early. */
  lose(): void {
    this.live--;
  }

  fail(note: string): void {
    this.failureCount++;
    if (this.failures.length < MAX_FAILURE_NOTES) this.failures.push(note);
    else if (this.failures.length === MAX_FAILURE_NOTES) this.failures.push('(more failures not listed)');
  }

  get failed(): number {
    return this.failureCount;
  }

  /** Nothing is outstanding and nothing more will be sent: the run can end early. */
  checkIdle(): void {
    if (this.outstanding === 0 && !this.mayFill() && this.idleWaiter !== null) this.idleWaiter();
  }

  /** Waits `ms`, or less if the run went idle. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiter = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.idleWaiter = done;
      this.checkIdle();
    });
  }
}

/** One connection's pipeline: its slots, the next sequence number to send and to expect. */
class Pipeline {
  link: EchoLink | null = null;
  private readonly slots: Buffer[];
  private nextSeq = 0;
  private expectedSeq = 0;
  private outstanding = 0;
  private dead = false;

  constructor(
    private readonly run: Run,
    private readonly template: Buffer,
    private readonly inFlight: number,
    private readonly fullCheckEvery: number,
    private readonly name: string,
  ) {
    this.slots = Array.from({ length: inFlight }, () => Buffer.from(template));
  }

  readonly events: LinkEvents = {
    echo: (data, isBinary) => this.onEcho(data, isBinary),
    failed: (reason) => this.die(reason),
  };

  fill(): void {
    const run = this.run;
    while (!this.dead && this.outstanding < this.inFlight && run.mayFill()) {
      const seq = this.nextSeq++;
      const slot = this.slots[seq % this.inFlight];
      slot.writeUInt32LE(seq >>> 0, 0);
      this.outstanding++;
      run.outstanding++;
      run.sent++;
      this.link!.send(slot);
    }
  }

  private onEcho(data: string | Uint8Array, isBinary: boolean): void {
    if (this.dead) return;
    const problem = this.checkEcho(data, isBinary);
    if (problem !== undefined) {
      this.die(problem);
      return;
    }
    const run = this.run;
    this.outstanding--;
    run.outstanding--;
    run.echoes++;
    this.fill();
    if (this.outstanding === 0) run.checkIdle();
  }

  /** What is wrong with this echo, or undefined when it is the one expected next. */
  private checkEcho(data: string | Uint8Array, isBinary: boolean): string | undefined {
    if (typeof data === 'string' || !isBinary) return 'echo is not a binary message';
    if (this.outstanding === 0) return 'echo of a message that was not sent';
    if (data.length !== this.template.length) {
      return `echo of ${data.length} bytes, expected ${this.template.length}`;
    }
    const seq = (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0;
    if (seq !== this.expectedSeq >>> 0) return `echo #${seq}, expected #${this.expectedSeq}`;
    this.expectedSeq++;
    if (this.expectedSeq % this.fullCheckEvery === 0) {
      const got = Buffer.from(data.buffer, data.byteOffset + 4, data.length - 4);
      if (!got.equals(this.template.subarray(4))) return `echo #${seq}: payload differs`;
      this.run.fullChecks++;
    }
    return undefined;
  }

  private die(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.run.fail(`${this.name}: ${reason}`);
    this.run.lose();
    this.run.outstanding -= this.outstanding;
    this.outstanding = 0;
    this.run.checkIdle();
  }

  close(): Promise<void> {
    this.dead = true;
    return this.link === null ? Promise.resolve() : this.link.close(CLOSE_TIMEOUT_MS);
  }
}

function checkOptions(options: LoadOptions): void {
  const { size, connections, inFlight, warmupMs, durationMs } = options;
  if (!Number.isSafeInteger(size) || size < 8)
    throw new RangeError(`size must be an integer >= 8, got ${size}`);
  for (const [name, value] of [
    ['connections', connections],
    ['inFlight', inFlight],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be >= 1, got ${value}`);
  }
  if (!(warmupMs >= 0) || !(durationMs > 0)) throw new RangeError('warmupMs >= 0 and durationMs > 0');
  if (options.client !== 'ours' && options.client !== 'ws') throw new TypeError('client is ours or ws');
}

function cpuMicros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

/** Drives the echo server at `url` as {@link LoadOptions} says; never throws for what the server does. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  checkOptions(options);
  const template = payloadTemplate(options.size);
  const run = new Run(options.messageLimit ?? Number.POSITIVE_INFINITY, options.connections);
  const fullCheckEvery = Math.max(1, options.fullCheckEvery ?? 64);
  const open = options.client === 'ours' ? openOurLink : openWsLink;
  const batch = Math.max(1, options.connectBatch ?? 100);
  const pipelines: Pipeline[] = [];
  for (let i = 0; i < options.connections; i++) {
    pipelines.push(new Pipeline(run, template, options.inFlight, fullCheckEvery, `connection ${i}`));
  }

  for (let first = 0; first < pipelines.length && run.failed === 0; first += batch) {
    const group = pipelines.slice(first, first + batch);
    await Promise.all(
      group.map(async (pipeline) => {
        try {
          pipeline.link = await withTimeout(
            open(options.url, pipeline.events),
            CONNECT_TIMEOUT_MS,
            'connect',
          );
        } catch (error) {
          pipeline.events.failed(`cannot connect: ${(error as Error).message}`);
        }
      }),
    );
  }

  let messages = 0;
  let seconds = 0;
  let cpu = 0;
  if (run.failed === 0) {
    for (const pipeline of pipelines) pipeline.fill();
    await run.wait(options.warmupMs);
    const echoesBefore = run.echoes;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    options.onWindow?.('start');
    await run.wait(options.durationMs);
    seconds = (performance.now() - start) / 1000;
    messages = run.echoes - echoesBefore;
    cpu = cpuMicros(process.cpuUsage(cpuBefore));
    options.onWindow?.('end');
    run.sending = false;
    const drainMs = options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS;
    await run.wait(drainMs);
    if (run.outstanding > 0) run.fail(`${run.outstanding} echoes missing ${drainMs} ms after the window`);
  }
  run.sending = false;
  await Promise.all(pipelines.map((pipeline) => pipeline.close()));
  return {
    client: options.client,
    size: options.size,
    connections: options.connections,
    inFlight: options.inFlight,
    messages,
    seconds,
    messagesPerSec: seconds > 0 ? messages / seconds : 0,
    echoes: run.echoes,
    fullChecks: run.fullChecks,
    sent: run.sent,
    clientCpuMicrosPerMessage: messages > 0 ? cpu / messages : 0,
    failures: run.failures,
  };
}
