/**
 * What rebuilding the HNSW graph after many removals (a branch switch) costs the engine's
 * thread: the rebuild at once (one stall) against the rebuild in slices that a refresh runs
 * (`VectorIndex.rebuildGraphSliced`), with the event loop's delay meanwhile:
 *
 *   npx tsc -p tsconfig.test.json && node out/bench/graph-rebuild.js [--vectors 40000] [--dimension 256] [--removed 0.25] [--runs 2]
 *
 * The vectors are random (seeded), a fraction of them removed; each run times both ways, in turn.
 */

import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { VectorIndex } from '../src/engine/index/vector-index';
import { TimeSlices } from '../src/engine/time-slice';
import { seededRandom } from '../test/helpers/random';

/** The slice length the indexer uses (indexer.ts INDEX_SLICE_MS). */
const SLICE_MS = 20;

function indexWithRemovals(count: number, dimension: number, removed: number, seed: number): VectorIndex {
  const random = seededRandom(seed);
  const index = new VectorIndex({ dimension, rebuildDeletedRatio: Math.min(0.2, removed / 2) });
  for (let label = 0; label < count; label++) index.add(label, Float32Array.from({ length: dimension }, () => random() - 0.5));
  for (let label = 0; label < count; label++) if (random() < removed) index.remove(label);
  if (!index.needsGraphRebuild) throw new Error(`removing ${removed} of the vectors does not call for a rebuild`);
  return index;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      vectors: { type: 'string', default: '40000' },
      dimension: { type: 'string', default: '256' },
      removed: { type: 'string', default: '0.25' },
      runs: { type: 'string', default: '2' },
    },
  });
  const [count, dimension, removed, runs] = [Number(values.vectors), Number(values.dimension), Number(values.removed), Number(values.runs)];
  console.log(`${count} vectors of ${dimension} dimensions, ${removed} of them removed; slices of ${SLICE_MS} ms`);
  for (let run = 1; run <= runs; run++) {
    const atOnce = indexWithRemovals(count, dimension, removed, run);
    let started = performance.now();
    atOnce.rebuildGraph();
    const atOnceS = (performance.now() - started) / 1000;
    atOnce.close();

    const sliced = indexWithRemovals(count, dimension, removed, run);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    started = performance.now();
    await sliced.rebuildGraphSliced(new TimeSlices(SLICE_MS));
    const slicedS = (performance.now() - started) / 1000;
    delay.disable();
    sliced.close();
    console.log(
      `run ${run}: at once ${atOnceS.toFixed(2)} s (one stall); sliced ${slicedS.toFixed(2)} s, ` +
        `event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`,
    );
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
