// `wasmws bench codec|echo|deflate|h2`: the benchmark harness (src/bench/) against what is
// installed beside wasmws (ws and bufferutil when present), a `--peer` adapter, or a running
// server (`echo --url`). Prints a table with ratios, the A/A row and the run's conditions;
// writes `--json FILE` and `--svg FILE`.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { running } from '../bench/child.js';
import { CODEC_SECTIONS, type CodecSection, type NamedCodec, runCodec } from '../bench/codec.js';
import type { CodecAdapter } from '../bench/codec-runners.js';
import {
  DEFLATE_SCENARIOS,
  ECHO_SCENARIOS,
  type EchoPeer,
  type EchoScenario,
  type EchoSettings,
  H2_SCENARIOS,
  runEcho,
} from '../bench/echo.js';
import { conditionsNow, installedVersion, pressureSince } from '../bench/machine.js';
import { type Report, renderMarkdown, renderSvg } from '../bench/report.js';
import type { ServerSpec } from '../bench/servers.js';
import { selfSignedCertificate } from '../bench/tls.js';
import { runUrl } from '../bench/url.js';
import { type Command, type CommandIO, EXIT_FAILURE, EXIT_USAGE, UsageError } from './command.js';

const USAGE = `Usage: wasmws bench codec|echo|deflate|h2 [options]

Measures wasmws against the peers installed beside it (ws, with bufferutil when present), in
paired rounds: the sides take turns in slices, the order rotated each round, each round gives
one ratio to the base (ws when installed), and a row is the median of those ratios with its
spread. An A/A row (a second instance of the base) shows the noise. Every side is checked to
do the same work (counts, bytes and SHA-256 of what it delivered or echoed).

  codec    decode (masked text, as ws's Receiver), client and server encode, with and
           without add-ons (a child with WS_NO_BUFFER_UTIL=1 WASMWS_NO_BUFFERUTIL=1);
           --sections=kernels adds unmask and UTF-8 validation against the native peers
  echo     echo servers in processes of their own over 127.0.0.1: messages/s and server
           CPU µs per message (process tree), with the cheap raw load generator and the ws
           client; memory per idle connection (heap + external, RSS; no forced GC, and
           after forced GCs, labelled)
  deflate  echo of distinct JSON documents with permessage-deflate and context takeover
           (msgs/s, server CPU, wire bytes per payload byte), memory per idle deflate
           connection after one message each way
  h2       echo over TLS: WebSockets as HTTP/2 streams of one session (RFC 8441) against
           wss:// HTTP/1.1 connections to the same wasmws server (wasmws's client as load)

Options:
  --peers LIST         peers to compare (comma-separated). codec: wasmws (decode reads
                       in place, as over TCP), wasmws-push (chunks copied in, as over TLS),
                       wasmws-ts, ws (default all); echo, deflate: wasmws, ws, wasmws/ws (default),
                       serve-workers1, serve-workers2, and for deflate memory
                       wasmws:lean (window bits 12, memLevel 4) and wasmws:no-takeover
  --peer FILE          also compare the adapter module FILE (repeatable; see the README):
                       its codec (codec) or its echo server (echo, deflate)
  --url URL            echo: drive the server at URL (ws://) with the cheap load generator
                       for --count messages and report messages/s and p50/p99 latency
  --count N            --url: messages to send (default 100000; --quick 2000)
  --timeout S          --url: give up after S seconds (default 60)
  --connections N      --url: connections (default 1); echo memory: idle connections
                       (default 10000; deflate 1000)
  --in-flight N        --url: messages outstanding per connection (default 16)
  --size BYTES         --url: payload bytes (default 64)
  --binary             --url: send binary messages (default text)
  --quick              a short run (seconds): fewer sizes, scenarios and rounds
  --json FILE          write the results as JSON to FILE (- for stdout, then no table)
  --svg FILE           write a bar chart of every row's ratio with its range to FILE
  --rounds N           rounds (default codec 11, echo one per server)
  --time MS            timed milliseconds per side and round (default codec 100, echo 1000)
  --warmup MS          untimed milliseconds per side first (default codec 100, echo 300)
  --no-aa              no A/A twin
  --sections LIST      codec: decode,clientEncode,serverEncode,kernels (default the first
                       three); echo, deflate, h2: throughput,memory (default both)
  --sizes LIST         codec: payload sizes in bytes (default 16,125,1024,16384,1048576)
  --text LIST          codec: ascii,mixed (default both)
  --deliver MODE       codec: view (default) or string (both sides decode text to strings)
  --no-addons-child    codec: skip the rows without add-ons
  --addons MODE        codec: on, or off in the child that runs without add-ons (internal)
  --workloads LIST     echo, deflate, h2: scenario keys (default all; see --help-workloads)
  --loaders LIST       raw, ws, wasmws (default echo raw,ws; deflate ws,wasmws; h2 wasmws)
  --idle-message BYTES deflate memory: the JSON message exchanged each way (default 1024)
  --full-check-every N compare every N-th echo byte for byte (default 64; --quick 1)
  --help-workloads     list the scenario keys
  -h, --help           show this help

Exit status: 0 when every check agreed, 1 when a check failed or a peer could not run,
2 for bad usage.
`;

const OPTIONS = {
  peers: { type: 'string' },
  peer: { type: 'string', multiple: true },
  url: { type: 'string' },
  count: { type: 'string' },
  timeout: { type: 'string' },
  connections: { type: 'string' },
  'in-flight': { type: 'string' },
  size: { type: 'string' },
  binary: { type: 'boolean' },
  quick: { type: 'boolean' },
  json: { type: 'string' },
  svg: { type: 'string' },
  rounds: { type: 'string' },
  time: { type: 'string' },
  warmup: { type: 'string' },
  'no-aa': { type: 'boolean' },
  sections: { type: 'string' },
  sizes: { type: 'string' },
  text: { type: 'string' },
  deliver: { type: 'string' },
  'no-addons-child': { type: 'boolean' },
  addons: { type: 'string' },
  workloads: { type: 'string' },
  loaders: { type: 'string' },
  'idle-message': { type: 'string' },
  'full-check-every': { type: 'string' },
  'help-workloads': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function count(values: Values, name: keyof Values, fallback: number, min = 1): number {
  const text = values[name] as string | undefined;
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, got ${text}`);
  return value;
}

function list<T extends string>(
  values: Values,
  name: keyof Values,
  fallback: readonly T[],
  allowed: readonly string[],
): T[] {
  const text = values[name] as string | undefined;
  const items = (text?.split(',') ?? fallback) as T[];
  for (const item of items)
    if (!allowed.includes(item)) throw new UsageError(`--${name} takes ${allowed.join(', ')}; got ${item}`);
  return items;
}

function sizesOf(text: string | undefined, fallback: number[]): number[] {
  if (text === undefined) return fallback;
  const sizes = text.split(',').map(Number);
  if (sizes.some((size) => !Number.isSafeInteger(size) || size < 0))
    throw new UsageError(`bad --sizes ${text}`);
  return sizes;
}

/** The codec peers of --peers; wasmws/ws is wasmws's codec behind ws's API, so it has no codec row of its own. */
function codecPeers(values: Values, report: Report): string[] {
  const peers = list<string>(
    values,
    'peers',
    ['wasmws', 'wasmws-push', 'wasmws-ts', 'ws'],
    ['wasmws', 'wasmws-push', 'wasmws-ts', 'ws', 'wasmws/ws'],
  );
  if (peers.includes('wasmws/ws'))
    report.notes.push('wasmws/ws runs the wasmws codec: its rows are the wasmws rows.');
  return peers.filter((peer) => peer !== 'wasmws/ws');
}

/** An adapter module's default export (see the README's adapter shape). */
interface Adapter {
  name: string;
  codec?: CodecAdapter;
  echoServer?: unknown;
  path: string;
}

async function loadAdapters(paths: readonly string[]): Promise<Adapter[]> {
  const adapters: Adapter[] = [];
  for (const path of paths) {
    const full = resolve(path);
    let module: { default?: Partial<Adapter> };
    try {
      module = await import(pathToFileURL(full).href);
    } catch (error) {
      throw new UsageError(`--peer ${path}: ${(error as Error).message}`);
    }
    const adapter = module.default;
    if (
      typeof adapter?.name !== 'string' ||
      (adapter.codec === undefined && adapter.echoServer === undefined)
    ) {
      throw new UsageError(`--peer ${path}: the default export needs a name and a codec or an echoServer`);
    }
    adapters.push({ ...adapter, name: adapter.name, path: full } as Adapter);
  }
  return adapters;
}

const STANDARD_ECHO_PEERS = [
  'wasmws',
  'ws',
  'wasmws/ws',
  'serve-workers1',
  'serve-workers2',
  'wasmws:lean',
  'wasmws:no-takeover',
];

/** The server a standard echo peer runs. */
function echoSpec(peer: string, deflate: boolean): ServerSpec {
  if (peer.startsWith('serve-workers'))
    return { kind: 'serve-workers', workers: Number(peer.slice(13)), deflate };
  if (peer === 'wasmws:lean')
    return { kind: 'wasmws', deflate: { serverMaxWindowBits: 12, clientMaxWindowBits: 12, memLevel: 4 } };
  if (peer === 'wasmws:no-takeover')
    return { kind: 'wasmws', deflate: { serverNoContextTakeover: true, clientNoContextTakeover: true } };
  return { kind: peer, deflate };
}

function scenariosOf(
  values: Values,
  catalogue: readonly EchoScenario[],
  quick: EchoScenario[],
): EchoScenario[] {
  if (values.workloads === undefined) return values.quick ? quick : catalogue.filter((s) => !s.optional);
  const keys = catalogue.map((s) => s.key);
  return list(values, 'workloads', [], keys).map((key) => catalogue.find((s) => s.key === key)!);
}

function echoSettings(command: string, values: Values, adapters: Adapter[], report: Report): EchoSettings {
  const quick = values.quick === true;
  const aa = values['no-aa'] !== true;
  const deflate = command === 'deflate';
  const sections = list(values, 'sections', quick ? ['throughput'] : ['throughput', 'memory'], [
    'throughput',
    'memory',
  ]);
  const peers: EchoPeer[] = [];
  let base: string;
  let loaders: string[];
  let scenarios: EchoScenario[];
  if (command === 'h2') {
    const tls = selfSignedCertificate();
    const spec: ServerSpec = { kind: 'wasmws', deflate: false, tls };
    const link = (http2: boolean) => ({ deflate: false, http2, ca: tls.cert });
    peers.push(
      { name: 'h2', serverKey: 'tls', spec, link: link(true) },
      { name: 'h1', serverKey: 'tls', spec, link: link(false) },
    );
    if (aa) peers.push({ name: 'h1#2', serverKey: 'tls', spec, link: link(false) });
    base = 'h1';
    loaders = list(values, 'loaders', ['wasmws'], ['wasmws']);
    scenarios = scenariosOf(values, H2_SCENARIOS, [H2_SCENARIOS[0]]);
    report.notes.push(
      'h2: one wasmws createServer({ http2: true, tls }) serves both; h1 is wss:// HTTP/1.1 to the same port; the A/A row is a second h1 group.',
    );
  } else {
    const wsInstalled = installedVersion('ws') !== undefined;
    const defaults =
      deflate && sections.includes('memory') && !sections.includes('throughput')
        ? ['wasmws', 'ws', 'wasmws:lean', 'wasmws:no-takeover']
        : ['wasmws', 'ws', 'wasmws/ws'];
    for (const name of list(values, 'peers', defaults, STANDARD_ECHO_PEERS)) {
      if (name === 'ws' && !wsInstalled) {
        report.notes.push('ws is not installed here: no ws rows; ratios are to wasmws.');
        continue;
      }
      peers.push({ name, serverKey: name, spec: echoSpec(name, deflate) });
    }
    for (const adapter of adapters.filter((a) => a.echoServer !== undefined)) {
      peers.push({
        name: adapter.name,
        serverKey: `adapter:${adapter.path}`,
        spec: { kind: 'adapter', adapter: adapter.path, deflate },
      });
    }
    base = peers.some((p) => p.name === 'ws') ? 'ws' : 'wasmws';
    if (!peers.some((p) => p.name === base))
      peers.unshift({ name: base, serverKey: base, spec: echoSpec(base, deflate) });
    const twin = peers.find((p) => p.name === base)!;
    if (aa) peers.push({ ...twin, name: `${base}#2`, serverKey: `${base}#2` });
    loaders = list(values, 'loaders', deflate ? ['ws', 'wasmws'] : quick ? ['raw'] : ['raw', 'ws'], [
      'raw',
      'ws',
      'wasmws',
    ]);
    if (deflate && loaders.includes('raw'))
      throw new UsageError('--loaders: the raw load generator does not compress; use ws or wasmws');
    if (!wsInstalled) loaders = loaders.filter((l) => l !== 'ws');
    scenarios = deflate
      ? scenariosOf(values, DEFLATE_SCENARIOS, [DEFLATE_SCENARIOS[0]])
      : scenariosOf(values, ECHO_SCENARIOS, [ECHO_SCENARIOS[2]]);
  }
  const rounds = count(values, 'rounds', quick ? 2 : new Set(peers.map((p) => p.name)).size);
  return {
    scenarios,
    peers,
    base,
    loaders,
    rounds,
    warmupMs: count(values, 'warmup', quick ? 30 : 300, 0),
    durationMs: count(values, 'time', quick ? 80 : 1000),
    fullCheckEvery: count(values, 'full-check-every', quick ? 1 : 64),
    sections,
    idleConnections: count(values, 'connections', quick ? 200 : deflate || command === 'h2' ? 1000 : 10_000),
    idleDeflateMessage: deflate ? count(values, 'idle-message', 1024, 64) : undefined,
    memoryWithGc: true,
    section: command,
  };
}

async function run(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (values['help-workloads']) {
    for (const [name, list] of [
      ['echo', ECHO_SCENARIOS],
      ['deflate', DEFLATE_SCENARIOS],
      ['h2', H2_SCENARIOS],
    ] as const) {
      io.out(`${name}: ${list.map((s) => s.key).join(', ')}\n`);
    }
    return 0;
  }
  const [command, ...extra] = positionals;
  if (command === undefined || !['codec', 'echo', 'deflate', 'h2'].includes(command) || extra.length > 0) {
    throw new UsageError(
      command === undefined
        ? 'say what to measure: codec, echo, deflate or h2'
        : `unknown benchmark ${[command, ...extra].join(' ')}`,
    );
  }
  const adapters = await loadAdapters(values.peer ?? []);
  const report: Report = {
    command,
    conditions: conditionsNow(),
    settings: {},
    rows: [],
    memory: [],
    notes: [],
    failures: [],
  };
  const quiet = values.json === '-';
  const progress = (line: string) => io.err(`${line}\n`);
  const pressure = pressureSince();
  const started = performance.now();
  if (values.url !== undefined) {
    if (command !== 'echo') throw new UsageError('--url goes with wasmws bench echo');
    const settings = {
      url: values.url,
      count: count(values, 'count', values.quick ? 2000 : 100_000),
      connections: count(values, 'connections', 1),
      inFlight: count(values, 'in-flight', 16),
      size: count(values, 'size', 64, 0),
      binary: values.binary === true,
      timeoutMs: count(values, 'timeout', 60) * 1000,
      fullCheckEvery: count(values, 'full-check-every', 64),
    };
    report.settings = settings;
    report.url = await runUrl(settings, report.failures);
  } else if (command === 'codec') {
    const quick = values.quick === true;
    const settings = {
      sections: list<CodecSection>(
        values,
        'sections',
        ['decode', 'clientEncode', 'serverEncode'],
        CODEC_SECTIONS,
      ),
      sizes: sizesOf(values.sizes, quick ? [1024] : [16, 125, 1024, 16384, 1 << 20]),
      texts: list<'ascii' | 'mixed'>(values, 'text', quick ? ['ascii'] : ['ascii', 'mixed'], [
        'ascii',
        'mixed',
      ]),
      delivery: list<'view' | 'string'>(values, 'deliver', ['view'], ['view', 'string'])[0] ?? 'view',
      rounds: count(values, 'rounds', quick ? 3 : 11),
      sliceMs: count(values, 'time', quick ? 10 : 100),
      warmupMs: count(values, 'warmup', quick ? 10 : 100, 0),
      peers: codecPeers(values, report),
      aa: values['no-aa'] !== true,
      withoutAddons: list<string>(values, 'addons', ['on'], ['on', 'off'])[0] === 'off',
      addonsChild: values['no-addons-child'] !== true,
      childArgs: [] as string[],
    };
    settings.childArgs = [
      `--sections=${settings.sections.join(',')}`,
      `--sizes=${settings.sizes.join(',')}`,
      `--text=${settings.texts.join(',')}`,
      `--deliver=${settings.delivery}`,
      `--rounds=${settings.rounds}`,
      `--time=${settings.sliceMs}`,
      `--warmup=${settings.warmupMs}`,
      `--peers=${settings.peers.join(',')}`,
      ...(settings.aa ? [] : ['--no-aa']),
      ...adapters.map((a) => `--peer=${a.path}`),
    ];
    report.settings = settings;
    const codecs: NamedCodec[] = adapters
      .filter((a) => a.codec !== undefined)
      .map((a) => ({ name: a.name, codec: a.codec! }));
    await runCodec(settings, codecs, report, progress);
  } else {
    const settings = echoSettings(command, values, adapters, report);
    report.settings = { ...settings, peers: settings.peers.map((p) => p.name) };
    await runEcho(settings, report, progress);
  }
  report.conditions.cpuPressure = pressure();
  report.conditions.seconds = (performance.now() - started) / 1000;
  if (values.json !== undefined) {
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (values.json === '-') io.out(json);
    else writeFileSync(values.json, json);
  }
  if (values.svg !== undefined) writeFileSync(values.svg, renderSvg(report));
  if (!quiet) io.out(renderMarkdown(report));
  return report.failures.length > 0 ? EXIT_FAILURE : 0;
}

/** `wasmws bench`. */
export const benchCommand: Command = {
  summary: 'measure wasmws against ws (or your own codec or server): codec, echo, deflate, h2',
  usage: USAGE,
  async run(args, io) {
    const stopAll = () => {
      for (const child of running) child.process.kill('SIGKILL');
    };
    io.onStop(() => {
      stopAll();
      process.exit(130);
    });
    try {
      return await run(args, io);
    } catch (error) {
      stopAll();
      if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        io.err(`wasmws bench: ${(error as Error).message}\nRun "wasmws bench --help" for the options.\n`);
        return EXIT_USAGE;
      }
      io.err(`wasmws bench: ${(error as Error).stack ?? String(error)}\n`);
      return EXIT_FAILURE;
    }
  },
};
