// The echo load generator: opens N connections with our client or ws's, keeps `inFlight`
// binary messages outstanding on each (a new one is sent per echo received), and checks
// every echo: binary, the right length, and the sequence number it carries (payloads.ts);
// every `fullCheckEvery`-th echo is compared byte for byte. It runs a warm-up, then a timed
// window, stops sending, waits (bounded) for the outstanding echoes and closes.
//
// With `deflate`, both clients offer permessage-deflate (ws: threshold 1024, its defaults
// otherwise; ours: `deflate: true`), every connection must have negotiated it, and the bytes
// its TCP sockets read (counted through the `net.client.socket` diagnostics channel) must
// be well under the payload echoed: a server that negotiated but did not compress fails.
//
// Each in-flight message has a buffer of its own (a slot), reused only after its echo came
// back: both clients may hold a sent buffer until it is written, so it must not change.
//
// Each client library is imported on first use, so a process loads only the one it drives.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { MIN_SIZE, type PayloadKind, type PayloadSet, payloadSet } from './payloads.js';

/** Which implementation plays a role: wasmws (`ours`) or `ws`. */
export type Side = 'ours' | 'ws';

/** What {@link runLoad} does. */
export interface LoadOptions {
  /** `ws://127.0.0.1:PORT/` of an echo server. */
  url: string;
  client: Side;
  /** Payload bytes per message, at least 8 (`pattern`) or 64 (`json`). */
  size: number;
  /** What messages carry (payloads.ts). Default `pattern`. */
  payload?: PayloadKind;
  /** Offer permessage-deflate and require it negotiated and in use. Default false. */
  deflate?: boolean;
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
  /** Bytes the client sockets read over the whole run (handshakes included) ÷ payload bytes echoed. */
  wireReadPerPayloadByte: number | undefined;
  /** Wrong echoes, errors, unexpected closes, connections that failed; empty when all went well. */
  failures: string[];
}

/** How long opening one batch of connections, and draining at the end, may take. */
const CONNECT_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 3_000;
const CLOSE_TIMEOUT_MS = 2_000;
const MAX_FAILURE_NOTES = 10;
/** ws's and our default threshold: messages from this size up are compressed. */
export const DEFLATE_THRESHOLD = 1024;
/** With deflate, echoes whose wire bytes exceed this share of their payload count as not compressed. */
const MAX_COMPRESSED_WIRE_SHARE = 0.9;

/** A connection as the pipeline sees it, whichever client is underneath. */
interface EchoLink {
  send(payload: Buffer): void;
  /** The negotiated `Sec-WebSocket-Extensions` value, `''` for none. */
  readonly extensions: string;
  /** Runs the closing handshake; resolves when closed or after `timeoutMs` (then drops it). */
  close(timeoutMs: number): Promise<void>;
}

interface LinkEvents {
  echo(data: string | Uint8Array, isBinary: boolean): void;
  /** The connection failed or closed before we closed it. */
  failed(reason: string): void;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function openWsLink(url: string, events: LinkEvents, deflate: boolean): Promise<EchoLink> {
  const { WebSocket: WsClient } = await import('ws');
  // Without deflate, no extension offer (nor from our client): both send plain frames.
  const socket: WebSocket = new WsClient(url, {
    perMessageDeflate: deflate ? { threshold: DEFLATE_THRESHOLD } : false,
  });
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
    extensions: socket.extensions,
    close(timeoutMs) {
      closing = true;
      if (socket.readyState === socket.CLOSED) return Promise.resolve();
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.close(1000);
      return withTimeout(closed, timeoutMs, 'ws close').catch(() => socket.terminate());
    },
  };
}

async function openOurLink(url: string, events: LinkEvents, deflate: boolean): Promise<EchoLink> {
  const { connect } = await import('../../src/client/index.js');
  let closing = false;
  let onClosed = () => {};
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const session = await connect(
    url,
    {
      message: (_session, data, isBinary) => events.echo(data, isBinary),
      error: (_session, error) => events.failed(`wasmws client error: ${error.message}`),
      close: (_session, code) => {
        if (!closing) events.failed(`closed by the server (${code})`);
        onClosed();
      },
    },
    // Our client offers deflate unless told not to; say which explicitly.
    { deflate },
  );
  return {
    extensions: session.extensions,
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
    private readonly payloads: PayloadSet,
    private readonly inFlight: number,
    private readonly fullCheckEvery: number,
    private readonly name: string,
  ) {
    this.slots = Array.from({ length: inFlight }, () => Buffer.from(payloads.document(0)));
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
      // JSON messages differ from one to the next; the pattern never changes.
      if (this.payloads.kind === 'json') this.payloads.document(seq).copy(slot);
      this.payloads.stamp(slot, seq);
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
    const { payloads } = this;
    if (data.length !== payloads.size) {
      return `echo of ${data.length} bytes, expected ${payloads.size}`;
    }
    const seq = payloads.read(data);
    if (seq !== this.expectedSeq >>> 0) return `echo #${seq ?? '?'}, expected #${this.expectedSeq}`;
    this.expectedSeq++;
    if (this.expectedSeq % this.fullCheckEvery === 0) {
      // Everything but the stamped number, which the check above compared.
      const got = Buffer.from(data.buffer, data.byteOffset, data.length);
      const sent = payloads.document(seq);
      const end = payloads.stampOffset + payloads.stampLength;
      const same =
        got.subarray(0, payloads.stampOffset).equals(sent.subarray(0, payloads.stampOffset)) &&
        got.subarray(end).equals(sent.subarray(end));
      if (!same) return `echo #${seq}: payload differs`;
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
  const min = MIN_SIZE[options.payload ?? 'pattern'];
  if (min === undefined) throw new TypeError('payload is pattern or json');
  if (!Number.isSafeInteger(size) || size < min)
    throw new RangeError(`size must be an integer >= ${min}, got ${size}`);
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
  const payloads = payloadSet(options.payload ?? 'pattern', options.size);
  const deflate = options.deflate ?? false;
  const run = new Run(options.messageLimit ?? Number.POSITIVE_INFINITY, options.connections);
  const fullCheckEvery = Math.max(1, options.fullCheckEvery ?? 64);
  const open = options.client === 'ours' ? openOurLink : openWsLink;
  const batch = Math.max(1, options.connectBatch ?? 100);
  const pipelines: Pipeline[] = [];
  for (let i = 0; i < options.connections; i++) {
    pipelines.push(new Pipeline(run, payloads, options.inFlight, fullCheckEvery, `connection ${i}`));
  }
  // Every TCP socket this run's clients open, whichever library opens it.
  const sockets: Socket[] = [];
  const onSocket = (message: unknown) => sockets.push((message as { socket: Socket }).socket);
  subscribe('net.client.socket', onSocket);

  for (let first = 0; first < pipelines.length && run.failed === 0; first += batch) {
    const group = pipelines.slice(first, first + batch);
    await Promise.all(
      group.map(async (pipeline) => {
        try {
          pipeline.link = await withTimeout(
            open(options.url, pipeline.events, deflate),
            CONNECT_TIMEOUT_MS,
            'connect',
          );
          // RFC 7692 §5: a server may decline; then this run would measure plain frames.
          const negotiated = pipeline.link.extensions.includes('permessage-deflate');
          if (negotiated !== deflate) {
            pipeline.events.failed(
              deflate
                ? 'permessage-deflate not negotiated'
                : `extensions negotiated: ${pipeline.link.extensions}`,
            );
          }
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
  unsubscribe('net.client.socket', onSocket);
  const wireRead = sockets.reduce((sum, socket) => sum + socket.bytesRead, 0);
  const payloadRead = run.echoes * options.size;
  const wireReadPerPayloadByte = payloadRead > 0 && sockets.length > 0 ? wireRead / payloadRead : undefined;
  if (deflate && wireReadPerPayloadByte !== undefined && wireReadPerPayloadByte > MAX_COMPRESSED_WIRE_SHARE) {
    run.fail(
      `deflate negotiated but echoes not compressed: wire bytes ${(wireReadPerPayloadByte * 100).toFixed(0)}% of payload`,
    );
  }
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
    wireReadPerPayloadByte,
    failures: run.failures,
  };
}
