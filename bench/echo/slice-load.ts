// The load side of the sliced echo benchmark: one process holds a group of connections to
// every server being compared, all opened up front, and drives one group at a time for a
// slice (warm-up, timed window, drain) while the others sit idle. The parent alternates
// the groups, so every server is measured in the same minutes as the others.
//
// Two loaders: `raw` (raw-client.ts: frames masked once in advance, one write per read, the
// cheapest client we can write) and `ws` (ws's WebSocket client, one send per echo, the
// client most deployments meet). Both check every echo's type and length and compare
// every `fullCheckEvery`-th one byte for byte.
import type WebSocket from 'ws';
import { RawConnection, type RawCounters, rawMessages } from './raw-client.js';

/** Which load generator drives the servers. */
export type Loader = 'raw' | 'ws';
/** Every loader, in the order the tables show them. */
export const LOADERS: readonly Loader[] = ['raw', 'ws'];

/** What one slice's connections carry. */
export interface SliceWorkload {
  /** Payload bytes per message. */
  size: number;
  /** Binary messages; text (ASCII) otherwise. */
  binary: boolean;
  /** Connections per server. */
  connections: number;
  /** Messages outstanding per connection. */
  inFlight: number;
}

/** What one slice measured. */
export interface SliceResult {
  /** Echoes in the timed window. */
  messages: number;
  seconds: number;
  messagesPerSec: number;
  /** This process's CPU (user + system) in the window per echo, µs. */
  clientCpuMicrosPerMessage: number;
  /** Every echo of the slice (warm-up and drain included), and those compared byte for byte. */
  echoes: number;
  fullChecks: number;
  failures: string[];
}

const CONNECT_BATCH = 100;
const DRAIN_TIMEOUT_MS = 5000;
const MAX_FAILURE_NOTES = 10;

/** The payload of every message of a workload: ASCII text or a byte pattern, `size` bytes. */
export function slicePayload(workload: SliceWorkload): Buffer {
  const out = Buffer.allocUnsafe(workload.size);
  if (workload.binary) {
    for (let i = 0; i < out.length; i++) out[i] = (i * 31 + 7) & 0xff;
  } else {
    const text = Buffer.from('{"type":"chat","text":"The quick brown fox jumps over the lazy dog."} ');
    for (let i = 0; i < out.length; i++) out[i] = text[i % text.length];
  }
  return out;
}

interface Driven {
  start(): void;
  stop(): void;
  close(): void;
}

/** One ws client connection keeping `inFlight` messages outstanding. */
async function openWsConnection(
  url: string,
  workload: SliceWorkload,
  payload: Buffer,
  counters: RawCounters,
  fullCheckEvery: number,
  onFailure: (reason: string) => void,
): Promise<Driven> {
  const { WebSocket: WsClient } = await import('ws');
  const socket: WebSocket = new WsClient(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  // What ws's send does with a string (text) or a Buffer (binary): its own conversion.
  const message: string | Buffer = workload.binary ? payload : payload.toString('latin1');
  let sending = false;
  let outstanding = 0;
  let sinceCheck = 0;
  let failed = false;
  let closing = false;
  const fail = (reason: string) => {
    if (failed) return;
    failed = true;
    sending = false;
    counters.outstanding -= outstanding;
    outstanding = 0;
    onFailure(reason);
  };
  const send = () => {
    outstanding++;
    counters.outstanding++;
    socket.send(message);
  };
  socket.on('error', (error) => fail(`ws client error: ${error.message}`));
  socket.on('close', (code) => {
    if (!closing) fail(`closed by the server (${code})`);
  });
  socket.on('message', (data: Buffer, isBinary) => {
    if (failed) return;
    if (isBinary !== workload.binary) return fail(`echo is ${isBinary ? 'binary' : 'text'}`);
    if (data.length !== payload.length)
      return fail(`echo of ${data.length} bytes, expected ${payload.length}`);
    if (outstanding === 0) return fail('echo of a message that was not sent');
    if (++sinceCheck >= fullCheckEvery) {
      sinceCheck = 0;
      if (!data.equals(payload)) return fail('echo differs from what was sent');
      counters.fullChecks++;
    }
    outstanding--;
    counters.outstanding--;
    counters.echoes++;
    if (sending) send();
  });
  return {
    start() {
      if (failed) return;
      sending = true;
      while (outstanding < workload.inFlight) send();
    },
    stop() {
      sending = false;
    },
    close() {
      closing = true;
      socket.terminate();
    },
  };
}

/** One server's connections and their counters. */
interface Group {
  connections: Driven[];
  counters: RawCounters;
  failures: string[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Connection groups to several servers, driven one at a time. */
export class SliceLoad {
  private constructor(private readonly groups: Map<string, Group>) {}

  /** Opens `workload.connections` connections to each server (`name` → `ws://` URL). */
  static async open(
    loader: Loader,
    servers: Record<string, string>,
    workload: SliceWorkload,
    fullCheckEvery: number,
  ): Promise<SliceLoad> {
    const payload = slicePayload(workload);
    const messages = rawMessages(workload.binary ? 2 : 1, payload, workload.inFlight);
    const groups = new Map<string, Group>();
    for (const [name, url] of Object.entries(servers)) {
      const group: Group = {
        connections: [],
        counters: { echoes: 0, fullChecks: 0, outstanding: 0 },
        failures: [],
      };
      const onFailure = (reason: string) => {
        if (group.failures.length < MAX_FAILURE_NOTES) group.failures.push(`${name}: ${reason}`);
      };
      for (let first = 0; first < workload.connections; first += CONNECT_BATCH) {
        const count = Math.min(CONNECT_BATCH, workload.connections - first);
        const opened = await Promise.all(
          Array.from({ length: count }, () =>
            loader === 'raw'
              ? RawConnection.open(url, messages, group.counters, fullCheckEvery, onFailure)
              : openWsConnection(url, workload, payload, group.counters, fullCheckEvery, onFailure),
          ),
        );
        group.connections.push(...opened);
      }
      groups.set(name, group);
    }
    return new SliceLoad(groups);
  }

  /**
   * Drives `server`'s connections for `warmupMs`, then counts echoes for `durationMs`
   * (calling `onWindow` as the window opens and closes), then stops sending and waits for
   * what is outstanding.
   */
  async slice(
    server: string,
    warmupMs: number,
    durationMs: number,
    onWindow: (edge: 'start' | 'end') => void = () => {},
  ): Promise<SliceResult> {
    const group = this.groups.get(server);
    if (group === undefined) throw new Error(`no connections to ${server}`);
    const { counters } = group;
    const echoesAtStart = counters.echoes;
    const checksAtStart = counters.fullChecks;
    for (const connection of group.connections) connection.start();
    await sleep(warmupMs);
    const before = counters.echoes;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    onWindow('start');
    await sleep(durationMs);
    const messages = counters.echoes - before;
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    onWindow('end');
    for (const connection of group.connections) connection.stop();
    const drainStart = performance.now();
    while (counters.outstanding > 0 && performance.now() - drainStart < DRAIN_TIMEOUT_MS) await sleep(5);
    const failures = [...group.failures];
    if (counters.outstanding > 0) {
      failures.push(
        `${server}: ${counters.outstanding} echoes missing ${DRAIN_TIMEOUT_MS} ms after the window`,
      );
    }
    if (messages === 0 && failures.length === 0) failures.push(`${server}: no echo in the timed window`);
    return {
      messages,
      seconds,
      messagesPerSec: messages / seconds,
      clientCpuMicrosPerMessage: messages > 0 ? (cpu.user + cpu.system) / messages : 0,
      echoes: counters.echoes - echoesAtStart,
      fullChecks: counters.fullChecks - checksAtStart,
      failures,
    };
  }

  close(): void {
    for (const group of this.groups.values()) for (const connection of group.connections) connection.close();
  }
}
