// `wasmws bench codec`: the codec rows. A scenario is data (section, payload size, text kind);
// each runs its sides (wasmws, its pure-TS path, ws, ws's A/A twin, any `--peer` codec) in
// the paired runner's rotating slices, after checking that every side delivers the same
// messages, bytes and SHA-256. ws picks bufferutil when first imported, so the rows without
// add-ons come from a child process (WS_NO_BUFFER_UTIL=1, WASMWS_NO_BUFFERUTIL=1).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { wasmAvailable } from '../codec/kernels-entry.js';
import {
  adapterDecoder,
  adapterEncoder,
  type CodecAdapter,
  type DecoderFactory,
  type Delivery,
  decodeDigest,
  decodeRunner,
  type Encoder,
  encodeDigest,
  encodeRunner,
  oursDecoder,
  oursEncoder,
  type Runner,
  unmaskRunners,
  utf8Runners,
  type WsInternals,
  wsDecoder,
  wsEncoder,
} from './codec-runners.js';
import { buildDecodeSet } from './decode-set.js';
import { addonLoaded, builtModule, pressureSince } from './machine.js';
import { binaryPayload, PayloadDigest, textPayload } from './payloads.js';
import { type Checks, checksOf, compareSides, type Report, type Row, sizeLabel } from './report.js';
import { interleave, type Slice } from './stats.js';

/** The codec sections, in the order they run. */
export const CODEC_SECTIONS = ['decode', 'clientEncode', 'serverEncode', 'kernels'] as const;
/** One of {@link CODEC_SECTIONS}. */
export type CodecSection = (typeof CODEC_SECTIONS)[number];

/** A codec run's settings (the command line's). */
export interface CodecSettings {
  sections: CodecSection[];
  sizes: number[];
  texts: ('ascii' | 'mixed')[];
  delivery: Delivery;
  rounds: number;
  sliceMs: number;
  warmupMs: number;
  /** Standard peers to run: `wasmws` (reads in place, as over TCP), `wasmws-push` (chunks copied in, as over TLS), `wasmws-ts`, `ws`. */
  peers: string[];
  /** A/A twin of the base. */
  aa: boolean;
  /** This is the child without add-ons. */
  withoutAddons: boolean;
  /** Also run the rows without add-ons in a child process. */
  addonsChild: boolean;
  /** The command line to hand the child (without add-ons) as it is. */
  childArgs: string[];
}

/** A loaded `--peer` module with a codec. */
export interface NamedCodec {
  name: string;
  codec: CodecAdapter;
}

const require = createRequire(import.meta.url);

/** ws's Receiver and Sender, or undefined when ws is not installed. */
async function loadWs(): Promise<WsInternals | undefined> {
  try {
    return (await import('ws')) as unknown as WsInternals;
  } catch {
    return undefined;
  }
}

/** Decode goals against ws with bufferutil: issue 17's from 1 KiB up, issue 12's below. */
function decodeGoal(size: number): number {
  if (size <= 125) return 5;
  if (size <= 1024) return 3;
  if (size <= 16 * 1024) return 2;
  return 1.5;
}

/** Runs `runner` for at least `ms` of its own time (prepare() untimed). */
function runFor(runner: Runner, ms: number): Slice {
  const count = runner.count;
  const bytes = runner.bytes;
  let timed = 0;
  while (timed < ms) {
    runner.prepare();
    const start = performance.now();
    runner.run();
    timed += performance.now() - start;
  }
  if (runner.failure) throw new Error(`the codec failed: ${String(runner.failure)}`);
  return { count: runner.count - count, bytes: runner.bytes - bytes, seconds: timed / 1000 };
}

/** One scenario: its sides (a fresh runner each, twins included) and each side's check. */
interface Planned {
  section: CodecSection;
  scenario: string;
  label: string;
  unit: string;
  base: string;
  sides: Map<string, () => Runner>;
  check(side: string): Checks;
  goal?(peer: string): number | undefined;
}

function digestChecks(make: () => PayloadDigest, expected: PayloadDigest): Checks {
  const want = { messages: expected.messages, bytes: expected.bytes, sha256: expected.hex() };
  try {
    const got = make();
    return checksOf({ messages: got.messages, bytes: got.bytes, sha256: got.hex() }, want);
  } catch (error) {
    return checksOf({ messages: 0, bytes: 0 }, want, [(error as Error).message]);
  }
}

function plan(settings: CodecSettings, ws: WsInternals | undefined, codecs: NamedCodec[]): Planned[] {
  const planned: Planned[] = [];
  const want = (peer: string) => settings.peers.includes(peer);
  const base = ws !== undefined && want('ws') ? 'ws' : 'wasmws';
  const twin = `${base}#2`;
  const ordered = (entries: [string, (() => Runner) | undefined][]) => {
    const sides = new Map<string, () => Runner>();
    for (const [name, make] of entries) if (make !== undefined) sides.set(name, make);
    if (settings.aa && sides.has(base)) sides.set(twin, sides.get(base)!);
    return sides;
  };
  const addonsLabel = settings.withoutAddons ? 'no add-ons' : undefined;
  for (const text of settings.sections.includes('decode') ? settings.texts : []) {
    for (const size of settings.sizes) {
      const set = buildDecodeSet(size, text);
      const decoders: [string, DecoderFactory | undefined][] = [
        [
          'wasmws',
          want('wasmws') || base === 'wasmws' ? oursDecoder(true, settings.delivery, true) : undefined,
        ],
        ['wasmws-push', want('wasmws-push') ? oursDecoder(true, settings.delivery) : undefined],
        [
          'wasmws-ts',
          want('wasmws-ts') && !settings.withoutAddons ? oursDecoder(false, settings.delivery) : undefined,
        ],
        ['ws', base === 'ws' ? wsDecoder(ws!, settings.delivery) : undefined],
        ...codecs.map((c): [string, DecoderFactory] => [c.name, adapterDecoder(c.codec)]),
      ];
      const expected = new PayloadDigest();
      for (let i = 0; i < set.framesPerCycle; i++) expected.add(set.payload);
      const factories = new Map(decoders.filter((d): d is [string, DecoderFactory] => d[1] !== undefined));
      planned.push({
        section: 'decode',
        scenario: `decode-${text}-${size}`,
        label: `${sizeLabel(size)} ${text}${settings.delivery === 'string' ? ', strings' : ''}`,
        unit: 'msg/s',
        base,
        sides: ordered([...factories].map(([name, make]) => [name, () => decodeRunner(set, make)])),
        check: (side) =>
          digestChecks(() => decodeDigest(set, factories.get(side.replace(/#2$/, ''))!), expected),
        goal: (peer) =>
          peer === 'wasmws' && base === 'ws' && !settings.withoutAddons ? decodeGoal(size) : undefined,
      });
    }
  }
  for (const section of ['clientEncode', 'serverEncode'] as const) {
    // Unmasked frames never touch bufferutil: no rows without add-ons.
    if (!settings.sections.includes(section) || (section === 'serverEncode' && settings.withoutAddons))
      continue;
    const mask = section === 'clientEncode';
    for (const size of settings.sizes) {
      const payload = binaryPayload(size);
      const encoders = new Map<string, Encoder>();
      if (want('wasmws') || base === 'wasmws') encoders.set('wasmws', oursEncoder(mask));
      if (base === 'ws') encoders.set('ws', wsEncoder(ws!, mask));
      for (const c of codecs)
        if (c.codec.encode !== undefined) encoders.set(c.name, adapterEncoder(c.codec, mask));
      const expected = new PayloadDigest();
      expected.add(payload);
      planned.push({
        section,
        scenario: `${section}-${size}`,
        label: sizeLabel(size),
        unit: 'frames/s',
        base,
        sides: ordered([...encoders].map(([name, encode]) => [name, () => encodeRunner(payload, encode)])),
        check: (side) =>
          digestChecks(() => encodeDigest(payload, encoders.get(side.replace(/#2$/, ''))!, mask), expected),
        goal: (peer) =>
          mask && peer === 'wasmws' && base === 'ws' && addonsLabel === undefined
            ? size <= 1024
              ? 2
              : 1
            : undefined,
      });
    }
  }
  if (settings.sections.includes('kernels') && !settings.withoutAddons)
    planned.push(...kernelPlans(settings));
  return planned;
}

/** Unmask and UTF-8 validation against the native peers ws uses; the check is that every contender ran. */
function kernelPlans(settings: CodecSettings): Planned[] {
  let bufferutil: { unmask(buffer: Uint8Array, mask: Uint8Array): void } | undefined;
  try {
    bufferutil = require('bufferutil');
  } catch {
    bufferutil = undefined;
  }
  const planned: Planned[] = [];
  const opCheck = (): Checks => checksOf({ messages: 0, bytes: 0 }, { messages: 0, bytes: 0 });
  for (const size of settings.sizes) {
    const unmask = unmaskRunners(size, bufferutil);
    const unmaskBase = bufferutil === undefined ? 'ws JS loop' : 'bufferutil';
    if (settings.aa) unmask[`${unmaskBase}#2`] = unmask[unmaskBase];
    planned.push({
      section: 'kernels',
      scenario: `unmask-${size}`,
      label: `unmask ${sizeLabel(size)}`,
      unit: 'op/s',
      base: unmaskBase,
      sides: new Map(Object.entries(unmask)),
      check: opCheck,
    });
    for (const text of settings.texts) {
      const utf8 = utf8Runners(textPayload(size, text));
      if (settings.aa) utf8['buffer.isUtf8#2'] = utf8['buffer.isUtf8'];
      planned.push({
        section: 'kernels',
        scenario: `utf8-${text}-${size}`,
        label: `UTF-8 ${text} ${sizeLabel(size)}`,
        unit: 'op/s',
        base: 'buffer.isUtf8',
        sides: new Map(Object.entries(utf8)),
        check: opCheck,
      });
    }
  }
  return planned;
}

/** Runs the codec rows of `settings` in this process (and those without add-ons in a child). */
export async function runCodec(
  settings: CodecSettings,
  codecs: NamedCodec[],
  report: Report,
  progress: (line: string) => void,
): Promise<void> {
  const ws = settings.withoutAddons || settings.peers.includes('ws') ? await loadWs() : undefined;
  if (ws === undefined)
    report.notes.push('ws is not installed here: the codec rows compare with wasmws instead.');
  if (!wasmAvailable()) report.notes.push('WebAssembly kernels unavailable: wasmws ran its pure-TS path.');
  if (
    settings.addonsChild &&
    !settings.withoutAddons &&
    settings.sections.some((s) => s !== 'serverEncode')
  ) {
    progress('codec: the rows without add-ons, in a child process…');
    const child = runWithoutAddons(settings.childArgs);
    report.rows.push(...child.rows);
    report.failures.push(...child.failures);
    report.notes.push(...child.notes);
  }
  const planned = plan(settings, ws, codecs);
  let worst = 0;
  for (const [index, p] of planned.entries()) {
    progress(`[${index + 1}/${planned.length}] ${p.section} ${p.label}`);
    const checks = new Map([...p.sides.keys()].map((side) => [side, p.check(side)]));
    const failed = [...checks].filter(([, c]) => !c.agree);
    for (const [side, c] of failed) {
      report.failures.push(
        `${p.section} ${p.label}, ${side}: ${c.failures[0] ?? 'delivered other messages than expected'}`,
      );
    }
    const runners = new Map([...p.sides].map(([side, make]) => [side, make()]));
    for (const runner of runners.values()) runFor(runner, settings.warmupMs);
    const pressure = pressureSince();
    const slices = await interleave([...runners.keys()], settings.rounds, (side) =>
      runFor(runners.get(side)!, settings.sliceMs),
    );
    worst = Math.max(worst, pressure() ?? 0);
    const twins = new Set([...p.sides.keys()].filter((side) => side.endsWith('#2')));
    const rows: Row[] = compareSides(
      {
        section: p.section,
        scenario: p.scenario,
        label: p.label,
        unit: p.unit,
        condition: settings.withoutAddons ? 'no add-ons' : undefined,
        goal: p.goal,
      },
      slices,
      p.base,
      checks,
      twins,
    );
    report.rows.push(...rows);
  }
  if (settings.withoutAddons && addonLoaded('bufferutil')) {
    report.failures.push(
      'the run without add-ons loaded bufferutil (WS_NO_BUFFER_UTIL, WASMWS_NO_BUFFERUTIL ignored)',
    );
  }
  report.conditions.cpuPressureWorst = Math.max(report.conditions.cpuPressureWorst ?? 0, worst);
}

/** This command again in a child without add-ons; its report's rows. */
function runWithoutAddons(args: string[]): Report {
  const child = spawnSync(
    process.execPath,
    [fileURLToPath(builtModule('cli/main.js')), 'bench', 'codec', ...args, '--addons=off', '--json=-'],
    {
      env: { ...process.env, WS_NO_BUFFER_UTIL: '1', WASMWS_NO_BUFFERUTIL: '1' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (child.status !== 0 && child.stdout === '')
    throw new Error(`the child without add-ons exited with ${child.status}`);
  const report = JSON.parse(child.stdout) as Report;
  return report;
}
