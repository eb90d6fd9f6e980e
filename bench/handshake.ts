// Connections opened per second by `connect()`: the raw handshake (our own request on a
// net.Socket) against the node:http one (`http.request` + `upgrade`, taken when `agent`,
// `createConnection`, `socketPath` or `request` is given), both to one `createServer` in a child
// process. Rounds are paired and interleaved (raw, http, raw again for the A/A row, the order
// turned each round); each opens as many connections as it can in a slice, `inflight` at a time,
// each closed at once with terminate(). Prints connections/s and the client's CPU per
// connection per round, then the median and range of the ratios.
//
//   node dist/bench/handshake.js [--inflight=8] [--rounds=7] [--slice-ms=1500]
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { conditionsNow } from '../src/bench/machine.js';
import { spreadOf } from '../src/bench/stats.js';
import { type ConnectOptions, connect } from '../src/client/connect.js';
import { createServer } from '../src/server/index.js';
import type { Handler } from '../src/session/types.js';

const SELF = fileURLToPath(import.meta.url);
const idle: Handler = { message() {} };

async function runServer(): Promise<void> {
  const server = createServer({ handler: idle, deflate: false });
  const { url } = await server.listen();
  process.on('message', async () => {
    await server.close();
    process.exit(0);
  });
  process.send!({ url });
}

type Mode = 'raw' | 'http' | 'raw (A/A)';
const OPTIONS: Record<Mode, ConnectOptions> = {
  raw: { deflate: false },
  http: { deflate: false, request: {} },
  'raw (A/A)': { deflate: false },
};

/** Opens connections `inflight` at a time for `ms`; returns connections/s and client CPU µs per connection. */
async function slice(url: string, mode: Mode, inflight: number, ms: number) {
  let opened = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  const lane = async () => {
    while (performance.now() < end) {
      const session = await connect(url, idle, OPTIONS[mode]);
      session.terminate();
      opened++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: opened / seconds, cpuPerConnection: (used.user + used.system) / opened };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      inflight: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '7' },
      'slice-ms': { type: 'string', default: '1500' },
    },
  });
  const inflight = Number(values.inflight);
  const rounds = Number(values.rounds);
  const sliceMs = Number(values['slice-ms']);
  const child: ChildProcess = fork(SELF, ['--server'], { stdio: 'inherit' });
  const url = await new Promise<string>((resolve) =>
    child.once('message', (m: { url: string }) => resolve(m.url)),
  );
  const version = conditionsNow().source;
  console.log(
    `connect() handshakes to createServer (child process) at ${url}, ${inflight} in flight, ` +
      `${rounds} rounds of ${sliceMs} ms per side; node ${process.version}; ` +
      `commit ${version?.commit ?? '?'}${version?.modified ? ' (modified)' : ''}`,
  );
  const modes: Mode[] = ['raw', 'http', 'raw (A/A)'];
  for (const mode of modes) await slice(url, mode, inflight, 300); // warm-up
  const rates: Record<Mode, number[]> = { raw: [], http: [], 'raw (A/A)': [] };
  const cpus: Record<Mode, number[]> = { raw: [], http: [], 'raw (A/A)': [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) {
      const { rate, cpuPerConnection } = await slice(url, mode, inflight, sliceMs);
      rates[mode].push(rate);
      cpus[mode].push(cpuPerConnection);
    }
    console.log(
      `round ${round + 1}: ${modes.map((m) => `${m} ${rates[m][round]!.toFixed(0)}/s ${cpus[m][round]!.toFixed(0)} µs`).join(', ')}`,
    );
  }
  const row = (label: string, a: Mode, b: Mode) => {
    const ratios = rates[a].map((rate, i) => rate / rates[b][i]!);
    const spread = spreadOf(ratios);
    const cpu = spreadOf(cpus[a].map((c, i) => c / cpus[b][i]!));
    console.log(
      `${label}: connections/s ratio median ${spread.median.toFixed(3)} (range ${spread.min.toFixed(3)}-${spread.max.toFixed(3)}); ` +
        `client CPU per connection ratio median ${cpu.median.toFixed(3)} (range ${cpu.min.toFixed(3)}-${cpu.max.toFixed(3)})`,
    );
  };
  for (const mode of modes) {
    const r = spreadOf(rates[mode]);
    console.log(
      `${mode}: median ${r.median.toFixed(0)} connections/s (range ${r.min.toFixed(0)}-${r.max.toFixed(0)})`,
    );
  }
  row('http ÷ raw', 'http', 'raw');
  row('raw (A/A) ÷ raw', 'raw (A/A)', 'raw');
  child.send('stop');
}

if (process.argv.includes('--server')) await runServer();
else await main();
