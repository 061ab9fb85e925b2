/**
 * Shared settings for the property-based and fuzz tests (fast-check).
 *
 * `npm test` runs every property with its default number of cases, small enough to keep the
 * suite quick. `npm run fuzz` sets CODESCOUT_FUZZ_SCALE (default there: 50) and runs the same
 * properties with that many times more cases, and with a fresh random seed each run.
 * A failing property prints its seed and counterexample; CODESCOUT_FUZZ_SEED replays it.
 */
import type { Parameters } from 'fast-check';

function positiveNumber(raw: string | undefined, fallback: number): number {
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** How many times more cases than the default each property runs (1 under `npm test`). */
export const FUZZ_SCALE = positiveNumber(process.env.CODESCOUT_FUZZ_SCALE, 1);

/** fast-check parameters for a property whose default run has `defaultRuns` cases. */
export function fuzzParams<T>(defaultRuns: number): Parameters<T> {
  const seedText = process.env.CODESCOUT_FUZZ_SEED;
  const params: Parameters<T> = { numRuns: Math.max(1, Math.round(defaultRuns * FUZZ_SCALE)) };
  if (seedText !== undefined && seedText !== '' && Number.isInteger(Number(seedText))) {
    params.seed = Number(seedText);
  }
  return params;
}
