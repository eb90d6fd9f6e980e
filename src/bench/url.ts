// `wasmws bench echo --url ws://host:port/`: the cheap load generator pointed at any running
// echo server, ours or not, for a fixed count of messages (bounded in time): messages/s over
// the whole run and the round-trip latency of every message (send to echo), as percentiles.
import { patternPayload, textPayload } from './payloads.js';
import { checksOf, type UrlRow } from './report.js';
import { EchoGroup, RawConnection } from './wire.js';

/** What a `--url` run sends. */
export interface UrlSettings {
  url: string;
  count: number;
  connections: number;
  inFlight: number;
  size: number;
  binary: boolean;
  timeoutMs: number;
  fullCheckEvery: number;
}

/** The p-th percentile (0-100) of `sorted` by nearest rank. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Sends `count` messages over `connections` × `inFlight`, waits for every echo (or the time limit), reports. */
export async function runUrl(settings: UrlSettings, failures: string[]): Promise<UrlRow> {
  const payload = settings.binary ? patternPayload(settings.size) : textPayload(settings.size, 'ascii');
  const group = new EchoGroup(settings.binary ? 2 : 1, payload, settings.inFlight, settings.fullCheckEvery);
  group.budget = settings.count;
  group.latencies = [];
  const connections: RawConnection[] = [];
  const deadline = performance.now() + settings.timeoutMs;
  try {
    for (let i = 0; i < settings.connections; i++)
      connections.push(await RawConnection.open(settings.url, group));
  } catch (error) {
    failures.push(`cannot connect to ${settings.url}: ${(error as Error).message}`);
  }
  const start = performance.now();
  for (const connection of connections) connection.start();
  while (
    performance.now() < deadline &&
    (group.echoes < group.sent || group.budget > 0) &&
    group.failures.length === 0
  ) {
    if (connections.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const seconds = (performance.now() - start) / 1000;
  for (const connection of connections) connection.close();
  failures.push(...group.failures);
  if (group.echoes < settings.count && group.failures.length === 0 && connections.length > 0) {
    failures.push(`${group.echoes} of ${settings.count} echoes within ${settings.timeoutMs} ms`);
  }
  const sorted = Float64Array.from(group.latencies).sort();
  return {
    url: settings.url,
    messages: group.echoes,
    sent: group.sent,
    seconds,
    messagesPerSec: seconds > 0 ? group.echoes / seconds : 0,
    p50Micros: percentile(sorted, 50),
    p99Micros: percentile(sorted, 99),
    maxMicros: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1],
    checks: checksOf(
      { messages: group.echoes, bytes: group.echoes * settings.size, sha256: group.received.hex() },
      { messages: settings.count, bytes: settings.count * settings.size, sha256: group.expected.hex() },
      [...failures],
    ),
  };
}
