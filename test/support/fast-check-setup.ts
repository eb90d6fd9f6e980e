// Vitest setup: one fast-check configuration for every property, so runs are reproducible.
// The seed is fixed unless FC_SEED overrides it; a failure prints `seed` and `path`, and
// `FC_SEED=<seed> FC_PATH=<path> npx vitest run <file> -t '<test name>'` replays that case
// alone. FC_SEED=random draws a fresh seed (printed on failure) to explore further;
// FC_RUNS_SCALE multiplies every property's run count (see `runs` in arbitraries.ts).
import fc from 'fast-check';

/** The seed every property uses by default. */
export const DEFAULT_SEED = 20_260_707;

function seedFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_SEED;
  if (value === 'random') return (Date.now() ^ (Math.random() * 2 ** 31)) | 0;
  const seed = Number(value);
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", got ${value}`);
  return seed | 0;
}

fc.configureGlobal({
  seed: seedFromEnv(process.env.FC_SEED),
  // A `maxLength` written in a test is the range it means: without this, fast-check's
  // default size caps generated arrays and strings at about 10 elements whatever the bound.
  defaultSizeToMaxWhenMaxSpecified: true,
  ...(process.env.FC_PATH ? { path: process.env.FC_PATH, endOnFailure: true } : {}),
});
