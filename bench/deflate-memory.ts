// Memory figures for the permessage-deflate engines (src/extensions/deflate-zlib.ts), each
// measured in a fresh child process run with --expose-gc:
// - RSS per idle connection after one 1 KiB JSON message each way, ours at several window
//   bits / memLevel / context-takeover settings and both engines against ws's
//   PerMessageDeflate at its defaults (the peer, same run); for the native engine also after
//   three messages each way (it keeps its own deflater while messages come) and once the idle
//   sweep took it back; and the compressed size of a stream of distinct JSON messages with
//   context takeover against ws's (zlib at 15/8, what ws sends);
// - the peak RSS growth while a 1 GiB decompression bomb (~1 MiB of compressed zeros) is
//   refused with maxBytes 16 MiB and 64 MiB;
// - the cost of a fresh zlib stream per message against reset(), for no context takeover.
// Run: `npm run bench:deflate` (after `npm run build`).
// Options: --connections=N (default 2000).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { messagePool } from '../src/bench/payloads.js';
import { IDLE_RELEASE_MS } from '../src/extensions/deflate-native.js';
import { createZlibCompressor } from '../src/extensions/deflate-zlib.js';

/** Distinct JSON documents of about `size` bytes, taken in turn (the harness's pool of them). */
function jsonDocuments(size: number): { document(index: number): Buffer } {
  const pool = messagePool('json', size);
  return { document: (index) => pool[index % pool.length]! };
}

const gc = (globalThis as { gc?: () => void }).gc;
const KiB = 1024;
const MiB = 1024 * KiB;

const smallJson = Buffer.from(
  JSON.stringify(
    Array.from({ length: 12 }, (_, i) => ({ id: i, name: `user-${i}`, active: i % 2 === 0, score: i * 7.5 })),
  ).slice(0, 1024),
);

function settle(): number {
  for (let i = 0; i < 4; i++) gc?.();
  return process.memoryUsage().rss;
}

/** 64 KiB of JSON-like text: enough to touch every page of a 32 KiB window. */
const bigJson = Buffer.from(
  Array.from(
    { length: 1200 },
    (_, i) => `{"id":${i},"name":"user-${(i * 7919) % 10007}","ok":${i % 3 === 0}},`,
  )
    .join('')
    .slice(0, 64 * 1024),
);

type Phase = 'one' | 'hot' | 'swept';

async function idleOurs(
  n: number,
  bits: number,
  memLevel: number,
  noTakeover: boolean,
  warm: boolean,
  engineKind: 'native' | 'streams',
  phase: Phase,
): Promise<number> {
  const json = warm ? bigJson : smallJson;
  const peerPayload = zlib
    .deflateRawSync(json, { windowBits: bits, finishFlush: zlib.constants.Z_SYNC_FLUSH })
    .subarray(0, -4);
  const before = settle();
  const engines = [];
  for (let i = 0; i < n; i++) {
    const engine = createZlibCompressor({
      role: 'server',
      serverNoContextTakeover: noTakeover,
      clientNoContextTakeover: noTakeover,
      serverMaxWindowBits: bits,
      clientMaxWindowBits: bits,
      memLevel,
      engine: engineKind,
    });
    await new Promise((resolve) => engine.inflate(peerPayload, 1 << 20, resolve));
    for (let m = phase === 'one' ? 1 : 3; m > 0; m--)
      await new Promise((resolve) => engine.deflate(json, resolve));
    engines.push(engine);
  }
  if (phase === 'swept') await new Promise((resolve) => setTimeout(resolve, 2.5 * IDLE_RELEASE_MS));
  const after = settle();
  for (const engine of engines) engine.close();
  return (after - before) / n;
}

/** Bytes on the wire per payload byte for a stream of distinct JSON messages, with context takeover. */
async function ratioOurs(size: number, bits: number, memLevel: number): Promise<number> {
  const set = jsonDocuments(size);
  const engine = createZlibCompressor({
    role: 'server',
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: bits,
    clientMaxWindowBits: bits,
    memLevel,
  });
  const count = size > 8192 ? 60 : 600;
  let wire = 0;
  for (let i = 0; i < count; i++) {
    wire += await new Promise<number>((resolve) =>
      engine.deflate(set.document(i), (result) => resolve(result.ok ? result.data.length : Number.NaN)),
    );
  }
  engine.close();
  return wire / (count * size);
}

/** The same stream as ws sends it: one zlib raw deflate stream at its defaults (15, memLevel 8), sync-flushed. */
function ratioWs(size: number): number {
  const set = jsonDocuments(size);
  const stream = zlib.createDeflateRaw({ windowBits: 15, memLevel: 8 });
  const handle = (stream as unknown as { _handle: { writeSync: (...a: unknown[]) => void } })._handle;
  const state = (stream as unknown as { _writeState: Uint32Array })._writeState;
  const out = Buffer.alloc(4 * size + 1024);
  const count = size > 8192 ? 60 : 600;
  let wire = 0;
  for (let i = 0; i < count; i++) {
    const doc = set.document(i);
    handle.writeSync(zlib.constants.Z_SYNC_FLUSH, doc, 0, doc.length, out, 0, out.length);
    wire += out.length - state[0] - 4;
  }
  stream.close();
  return wire / (count * size);
}

async function idleWs(n: number, warm: boolean): Promise<number> {
  const json = warm ? bigJson : smallJson;
  // ws is a devDependency of this repo: the peer we compare with.
  const require = createRequire(import.meta.url);
  const PerMessageDeflate = require(join(dirname(require.resolve('ws')), 'lib/permessage-deflate.js'));
  const peerPayload = zlib.deflateRawSync(json, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
  const before = settle();
  const engines = [];
  for (let i = 0; i < n; i++) {
    const pmd = new PerMessageDeflate({}, true, 64 * MiB);
    pmd.accept([{}]);
    await new Promise((resolve) => pmd.decompress(peerPayload, true, resolve));
    await new Promise((resolve) => pmd.compress(json, true, resolve));
    engines.push(pmd);
  }
  const after = settle();
  for (const pmd of engines) pmd.cleanup();
  return (after - before) / n;
}

async function bombPeak(maxBytes: number): Promise<{ peakGrowth: number; produced: number; result: string }> {
  const segment = zlib.deflateRawSync(Buffer.alloc(MiB), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const payload = Buffer.concat(Array.from({ length: 1024 }, () => segment)).subarray(0, -4);
  const engine = createZlibCompressor({
    role: 'server',
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  });
  settle();
  const peakBefore = process.resourceUsage().maxRSS * KiB;
  const result = await new Promise<{ ok: boolean; reason?: string }>((resolve) =>
    engine.inflate(payload, maxBytes, resolve),
  );
  const peakAfter = process.resourceUsage().maxRSS * KiB;
  engine.close();
  return {
    peakGrowth: peakAfter - peakBefore,
    produced: engine.lastInflateOutput,
    result: result.ok ? 'ok' : String(result.reason),
  };
}

async function streamCost(messages: number, mode: 'reset' | 'recreate'): Promise<number> {
  const run = (stream: zlib.DeflateRaw) =>
    new Promise<void>((resolve) => {
      stream.on('data', () => {});
      stream.write(smallJson, () => resolve());
    });
  let stream = zlib.createDeflateRaw({ flush: zlib.constants.Z_SYNC_FLUSH });
  const start = process.hrtime.bigint();
  for (let i = 0; i < messages; i++) {
    await run(stream);
    if (mode === 'reset') {
      stream.removeAllListeners('data');
      stream.reset();
    } else {
      stream.close();
      stream = zlib.createDeflateRaw({ flush: zlib.constants.Z_SYNC_FLUSH });
    }
  }
  stream.close();
  return Number(process.hrtime.bigint() - start) / messages / 1000;
}

async function child(task: string[]): Promise<unknown> {
  const [kind, ...args] = task;
  if (kind === 'ours')
    return idleOurs(
      Number(args[0]),
      Number(args[1]),
      Number(args[2]),
      args[3] === 'true',
      args[4] === 'warm',
      args[5] as 'native' | 'streams',
      args[6] as Phase,
    );
  if (kind === 'ratio') return ratioOurs(Number(args[0]), Number(args[1]), Number(args[2]));
  if (kind === 'ratio-ws') return ratioWs(Number(args[0]));
  if (kind === 'ws') return idleWs(Number(args[0]), args[1] === 'warm');
  if (kind === 'bomb') return bombPeak(Number(args[0]));
  if (kind === 'cost') return streamCost(Number(args[0]), args[1] as 'reset' | 'recreate');
  throw new Error(`unknown task ${kind}`);
}

function runChild(task: string[]): unknown {
  const out = spawnSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), '--child', ...task],
    {
      encoding: 'utf8',
    },
  );
  if (out.status !== 0) throw new Error(`child ${task.join(' ')} failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { child: { type: 'boolean' }, connections: { type: 'string', default: '2000' } },
    allowPositionals: true,
  });
  if (values.child) {
    process.stdout.write(JSON.stringify(await child(positionals)));
    return;
  }
  if (!gc) throw new Error('run with --expose-gc');
  const n = values.connections;
  const require = createRequire(import.meta.url);
  const wsVersion = require(join(dirname(require.resolve('ws')), 'package.json')).version;
  console.log(`peer: ws ${wsVersion} PerMessageDeflate, defaults`);
  console.log(`node ${process.version}, zlib ${process.versions.zlib}, ${n} connections per row\n`);
  for (const warm of ['1KiB', 'warm']) {
    console.log(`\nafter one ${warm === 'warm' ? '64 KiB' : '1 KiB'} JSON message each way`);
    console.log(
      '| engine | window bits | memLevel | context takeover | messages sent | KiB per idle connection | vs ws |',
    );
    console.log('|---|---|---|---|---|---|---|');
    const ws = runChild(['ws', n, warm]) as number;
    console.log(`| ws | 15 | 8 | yes | 1 | ${(ws / KiB).toFixed(0)} | 1.00 |`);
    const rows: Array<[number, number, boolean, 'native' | 'streams', Phase]> = [
      [15, 8, false, 'streams', 'one'],
      [15, 8, false, 'native', 'one'],
      [13, 5, false, 'streams', 'one'],
      [13, 5, false, 'native', 'one'],
      [13, 5, false, 'native', 'hot'],
      [13, 5, false, 'native', 'swept'],
      [12, 5, false, 'native', 'one'],
      [13, 5, true, 'native', 'one'],
    ];
    const phases = {
      one: '1',
      hot: '3, just now',
      swept: `3, then ${(2.5 * IDLE_RELEASE_MS) / 1000} s idle`,
    };
    for (const [bits, memLevel, noTakeover, engine, phase] of rows) {
      const ours = runChild([
        'ours',
        n,
        String(bits),
        String(memLevel),
        String(noTakeover),
        warm,
        engine,
        phase,
      ]) as number;
      console.log(
        `| ours, ${engine} | ${bits} | ${memLevel} | ${noTakeover ? 'no' : 'yes'} | ${phases[phase]} | ${(ours / KiB).toFixed(0)} | ${(ours / ws).toFixed(2)} |`,
      );
    }
  }
  console.log('\n| distinct JSON, context takeover | window bits | memLevel | wire ÷ payload | ÷ ws |');
  console.log('|---|---|---|---|---|');
  for (const size of [1024, 64 * KiB]) {
    const ws = runChild(['ratio-ws', String(size)]) as number;
    console.log(`| ${size / KiB} KiB, ws | 15 | 8 | ${(ws * 100).toFixed(1)} % | 1.00 |`);
    for (const [bits, memLevel] of [
      [15, 8],
      [13, 5],
      [12, 5],
    ]) {
      const ours = runChild(['ratio', String(size), String(bits), String(memLevel)]) as number;
      console.log(
        `| ${size / KiB} KiB, ours | ${bits} | ${memLevel} | ${(ours * 100).toFixed(1)} % | ${(ours / ws).toFixed(3)} |`,
      );
    }
  }
  console.log('\n| 1 GiB bomb, maxBytes | result | bytes produced | peak RSS growth |');
  console.log('|---|---|---|---|');
  for (const max of [16 * MiB, 64 * MiB]) {
    const bomb = runChild(['bomb', String(max)]) as { peakGrowth: number; produced: number; result: string };
    console.log(
      `| ${max / MiB} MiB | ${bomb.result} | ${bomb.produced} | ${(bomb.peakGrowth / MiB).toFixed(1)} MiB |`,
    );
  }
  console.log('\n| no context takeover, 1 KiB JSON deflate | µs per message |');
  console.log('|---|---|');
  for (const mode of ['reset', 'recreate']) {
    const cost = runChild(['cost', '5000', mode]) as number;
    console.log(`| ${mode} | ${cost.toFixed(1)} |`);
  }
}

await main();
