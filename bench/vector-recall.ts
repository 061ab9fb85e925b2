/**
 * Recall@10 of a saved index's HNSW graph against an exact scan of the same vectors, at the
 * search depth (k) the engine's paths ask for and at several search efforts (ef):
 *
 *   npx tsc -p tsconfig.test.json && node out/bench/vector-recall.js --index-dir DIR [--queries 200] [--k 200,10] [--ef 64,400,800]
 *
 * DIR is an index folder with a graph (more than 20,000 vectors), e.g. the one `npm run bench --
 * --corpus large` builds, or `codescout index` of a large folder with `--index-dir`. The queries are
 * stored vectors of chunks picked at random (seeded), each with a little noise: what `related` and
 * hovers ask. The truth is the exact scan of the graph file (`graphLoading: 'on-demand'`).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { VectorIndex } from '../src/engine/index/vector-index';
import { seededRandom } from '../test/helpers/random';

function main(): void {
  const { values } = parseArgs({
    options: {
      'index-dir': { type: 'string' },
      queries: { type: 'string', default: '200' },
      k: { type: 'string', default: '200,10' },
      ef: { type: 'string', default: '64,400,800' },
    },
  });
  const dir = values['index-dir'];
  if (!dir) throw new Error('--index-dir DIR is required');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Record<string, { file: string }>; meta: { dimension: number } };
  if (!manifest.files['graph.hnsw']) throw new Error(`${dir} has no graph (20,000 vectors or fewer): nothing to measure`);
  const files = { vectors: join(dir, manifest.files['vectors.bin'].file), graph: join(dir, manifest.files['graph.hnsw'].file) };
  const dimension = manifest.meta.dimension;
  const exact = VectorIndex.load(files, { dimension, graphLoading: 'on-demand' });
  // every live label: a scan of the file calls the filter once for each, and this one keeps none
  const labels: number[] = [];
  exact.searchExact(new Float32Array(dimension).fill(1), 1, (label) => {
    labels.push(label);
    return false;
  });
  const random = seededRandom(7);
  const queries = Array.from({ length: Number(values.queries) }, () => {
    const stored = exact.getVector(labels[Math.floor(random() * labels.length)])!;
    return stored.map((x) => x + (random() - 0.5) * 0.05);
  });
  const truth = queries.map((q) => new Set(exact.searchExact(q, 10).map((h) => h.label)));
  console.log(`${labels.length} vectors of dimension ${dimension}, ${queries.length} queries; recall@10 against an exact scan`);
  console.log(['ef', 'k', 'recall@10', 'p50 ms', 'p95 ms'].map((c) => c.padStart(10)).join(' '));
  for (const ef of values.ef.split(',').map(Number)) {
    const graph = VectorIndex.load(files, { dimension, efSearch: ef });
    for (const k of values.k.split(',').map(Number)) {
      let found = 0;
      const times: number[] = [];
      queries.forEach((q, i) => {
        const t = performance.now();
        const hits = graph.search(q, k).slice(0, 10);
        times.push(performance.now() - t);
        found += hits.filter((h) => truth[i].has(h.label)).length;
      });
      times.sort((a, b) => a - b);
      const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))].toFixed(2);
      console.log([ef, k, (found / (10 * queries.length)).toFixed(4), at(50), at(95)].map((c) => String(c).padStart(10)).join(' '));
    }
  }
}

main();
