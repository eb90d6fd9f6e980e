// Paired measurement: two runners take turns in short slices (A,B then B,A, …), each
// round gives one ratio A ÷ B, and what is reported is the median of those ratios with
// their spread. Both sides of a round see the same machine, so a noisy neighbour moves
// the ratio far less than it moves either rate; an A/A pair (a runner against a second
// instance of itself) shows how much noise remains.
import type { Runner } from './runners.js';

/** A sample's median, quartiles and extremes. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

/** One pair's rounds: each side's rate per round and the per-round ratios. */
export interface PairedRounds {
  /** Messages (or frames) per second of A in each round. */
  aRates: number[];
  bRates: number[];
  /** Payload bytes per second of A and B in each round. */
  aBytesPerSec: number[];
  bBytesPerSec: number[];
  /** `aRates[i] / bRates[i]`. */
  ratios: number[];
}

/** How long each side runs. */
export interface SliceSettings {
  rounds: number;
  /** Timed milliseconds of each side in each round. */
  sliceMs: number;
  /** Untimed milliseconds each side runs before the first round. */
  warmupMs: number;
}

/** Quantile by linear interpolation between closest ranks (R's type 7). */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

/** Median, quartiles, min and max of `values` (at least one). */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('no values');
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

/** What one slice of a runner did: its own time only (`prepare()` is outside it). */
interface Slice {
  frames: number;
  bytes: number;
  seconds: number;
}

function runFor(runner: Runner, ms: number): Slice {
  const frames = runner.frames;
  const bytes = runner.bytes;
  let timed = 0;
  while (timed < ms) {
    runner.prepare();
    const start = performance.now();
    runner.run();
    timed += performance.now() - start;
  }
  if (runner.failure) throw new Error(`the codec failed: ${String(runner.failure)}`);
  return { frames: runner.frames - frames, bytes: runner.bytes - bytes, seconds: timed / 1000 };
}

/** Warms both runners up, then runs `settings.rounds` rounds of one slice each, alternating which goes first. */
export function measurePair(a: Runner, b: Runner, settings: SliceSettings): PairedRounds {
  runFor(a, settings.warmupMs);
  runFor(b, settings.warmupMs);
  const result: PairedRounds = { aRates: [], bRates: [], aBytesPerSec: [], bBytesPerSec: [], ratios: [] };
  for (let round = 0; round < settings.rounds; round++) {
    let sliceA: Slice;
    let sliceB: Slice;
    if (round % 2 === 0) {
      sliceA = runFor(a, settings.sliceMs);
      sliceB = runFor(b, settings.sliceMs);
    } else {
      sliceB = runFor(b, settings.sliceMs);
      sliceA = runFor(a, settings.sliceMs);
    }
    const rateA = sliceA.frames / sliceA.seconds;
    const rateB = sliceB.frames / sliceB.seconds;
    result.aRates.push(rateA);
    result.bRates.push(rateB);
    result.aBytesPerSec.push(sliceA.bytes / sliceA.seconds);
    result.bBytesPerSec.push(sliceB.bytes / sliceB.seconds);
    result.ratios.push(rateA / rateB);
  }
  return result;
}
