// The permessage-deflate engines side by side in one process, without sockets: ours with its
// defaults (`deflate: true`) against ws's PerMessageDeflate with its own, and a second ws
// instance as the A/A check. One operation is what an echo server does per message: inflate a
// client-compressed document, then deflate a distinct one, with context takeover. Seven
// interleaved rounds, the order turned each round; medians of the per-round ratios, with their range.
// Run: `npm run build && node dist/bench/deflate-engines.js [SIZE]` (default 1024 bytes).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { messagePool } from '../src/bench/payloads.js';
import { createZlibCompressor } from '../src/extensions/deflate-zlib.js';
import { resolveDeflateOptions } from '../src/extensions/permessage-deflate.js';

/** Distinct JSON documents of about `size` bytes, taken in turn (the harness's pool of them). */
function jsonDocuments(size: number): { document(index: number): Buffer } {
  const pool = messagePool('json', size);
  return { document: (index) => pool[index % pool.length]! };
}

interface Engine {
  prepare(): Promise<void>;
  operate(n: number): Promise<void>;
}

const size = Number(process.argv[2] ?? 1024);
const set = jsonDocuments(size);
const documents = Array.from({ length: 256 }, (_, i) => set.document(i));
const perRound = size > 8192 ? 150 : 1500;

function ours(): Engine {
  const lean = resolveDeflateOptions(true);
  const agreed = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: lean.serverMaxWindowBits,
    clientMaxWindowBits: lean.clientMaxWindowBits,
    memLevel: lean.memLevel,
  };
  const server = createZlibCompressor({ ...agreed, role: 'server' });
  const client = createZlibCompressor({ ...agreed, role: 'client' });
  const deflate = (engine: typeof server, data: Uint8Array) =>
    new Promise<Uint8Array>((resolve) =>
      engine.deflate(data, (r) => resolve(r.ok ? r.data : new Uint8Array(0))),
    );
  const inputs: Uint8Array[] = [];
  return {
    async prepare() {
      for (const document of documents) inputs.push(await deflate(client, document));
    },
    async operate(n) {
      await new Promise((resolve) => server.inflate(inputs[n % 256], 1 << 26, resolve));
      await deflate(server, documents[n % 256]);
    },
  };
}

type Callback = (error: Error | null, data: Buffer) => void;
interface WsDeflate {
  accept(offers: object[]): void;
  compress(data: Buffer, fin: boolean, callback: Callback): void;
  decompress(data: Buffer, fin: boolean, callback: Callback): void;
}

function ws(): Engine {
  const require = createRequire(import.meta.url);
  const PerMessageDeflate = require(join(dirname(require.resolve('ws')), 'lib/permessage-deflate.js'));
  const server: WsDeflate = new PerMessageDeflate({}, true, 1 << 26);
  const client: WsDeflate = new PerMessageDeflate({}, false, 1 << 26);
  server.accept([{}]);
  client.accept([{}]);
  const inputs: Buffer[] = [];
  return {
    async prepare() {
      for (const document of documents)
        inputs.push(
          await new Promise((resolve) => client.compress(document, true, (_e, data) => resolve(data))),
        );
    },
    async operate(n) {
      await new Promise((resolve) => server.decompress(inputs[n % 256], true, resolve));
      await new Promise((resolve) => server.compress(documents[n % 256], true, resolve));
    },
  };
}

const engines: Record<string, Engine> = { ours: ours(), ws: ws(), 'ws#2': ws() };
for (const engine of Object.values(engines)) await engine.prepare();
const rounds: Record<string, Array<{ rate: number; cpu: number }>> = { ours: [], ws: [], 'ws#2': [] };
let n = 0;
for (let round = 0; round < 7; round++) {
  for (const name of round % 2 ? ['ws#2', 'ws', 'ours'] : ['ours', 'ws', 'ws#2']) {
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < perRound; i++) await engines[name].operate(n++);
    const wall = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    rounds[name].push({ rate: (perRound / wall) * 1000, cpu: (cpu.user + cpu.system) / perRound });
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
const spread = (values: number[]) =>
  `${median(values).toFixed(2)}× (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
console.log(
  `permessage-deflate engines, ${size} B distinct JSON, context takeover; peer: ws PerMessageDeflate, defaults`,
);
for (const [label, pick] of [
  ['operations/s', (r: { rate: number }) => r.rate],
  ['CPU µs/operation', (r: { cpu: number }) => r.cpu],
] as const) {
  const ratio = rounds.ours.map((r, i) => pick(r) / pick(rounds.ws[i]));
  const aa = rounds['ws#2'].map((r, i) => pick(r) / pick(rounds.ws[i]));
  console.log(
    `${label}: ours ${median(rounds.ours.map(pick)).toFixed(1)}, ws ${median(rounds.ws.map(pick)).toFixed(1)}, ours ÷ ws ${spread(ratio)}, A/A ${spread(aa)}`,
  );
}
