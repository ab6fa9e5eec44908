// Pins fast-check's seed for every test file, so a red run is reproducible: the seed comes from
// XEN_MEMSIM_SEED (any 32-bit integer) or defaults to a fixed value; it is printed with every
// failure by fast-check together with the path ("seed: …, path: …").
import fc from 'fast-check';

export const PINNED_SEED_DEFAULT = 20131119;

const raw = process.env.XEN_MEMSIM_SEED;
const seed = raw === undefined ? PINNED_SEED_DEFAULT : Number(raw);
if (!Number.isSafeInteger(seed)) {
  throw new Error(`XEN_MEMSIM_SEED must be an integer, got ${JSON.stringify(raw)}`);
}

fc.configureGlobal({
  seed,
  numRuns: Number(process.env.XEN_MEMSIM_RUNS ?? 100),
  verbose: 1,
  endOnFailure: false,
});

/** The seed every property in this run uses; put it in suite titles. */
export const pinnedSeed = seed;
