// The one paired runner: the sides of a comparison take turns in slices, the order rotated
// by one each round (A, B, C; B, C, A; …), so every side sees the same minutes of the
// machine and takes every place in the order; each round gives one ratio per side against
// the base, and a comparison is the median of those per-round ratios with their spread.
// An A/A twin (a second instance of the base) shows what noise alone does.

/** A sample's median, quartiles and extremes. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
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

/** What one side did in one slice. */
export interface Slice {
  /** Messages (decode, echo) or frames (encode) in the timed window. */
  count: number;
  /** Payload bytes in the timed window. */
  bytes: number;
  seconds: number;
  /** CPU of the server (process tree) in the window, µs; echo only. */
  serverCpuMicros?: number;
  /** Share of the slice's wall time during which some task waited for a CPU (Linux PSI). */
  pressure?: number;
}

/** `items` in the order of round `round`: rotated by one each round. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Runs `rounds` rounds of one slice per side, in rotating order; each side's slices in round order. */
export async function interleave(
  sides: readonly string[],
  rounds: number,
  slice: (side: string, round: number) => Promise<Slice> | Slice,
): Promise<Map<string, Slice[]>> {
  const slices = new Map(sides.map((side) => [side, [] as Slice[]]));
  for (let round = 0; round < rounds; round++) {
    for (const side of roundOrder(sides, round)) slices.get(side)!.push(await slice(side, round));
  }
  return slices;
}

/** Messages per second of a slice. */
export const rateOf = (slice: Slice): number => (slice.seconds > 0 ? slice.count / slice.seconds : 0);

/** Server µs per message of a slice, when its server CPU was sampled. */
export const cpuPerMessage = (slice: Slice): number | undefined =>
  slice.serverCpuMicros === undefined || slice.count === 0 ? undefined : slice.serverCpuMicros / slice.count;

/** Per-round `f(side) ÷ f(base)`, skipping rounds where either is unknown or the base is 0. */
export function roundRatios(
  side: readonly Slice[],
  base: readonly Slice[],
  f: (slice: Slice) => number | undefined,
): number[] {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(side.length, base.length); i++) {
    const a = f(side[i]);
    const b = f(base[i]);
    if (a !== undefined && b !== undefined && b > 0) ratios.push(a / b);
  }
  return ratios;
}
