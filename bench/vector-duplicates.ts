/**
 * What copies of one vector (identical chunks, such as generated or vendored code, embed alike)
 * do to the HNSW graph's recall: two graphs are built here from a saved index's vectors with the
 * engine's settings (m 12, efConstruction 64), one over every label (as the engine built its
 * graph before vector format 5) and one over one label per distinct vector (as it has since:
 * shared-vectors.ts), and searched with the same queries at ef 1000 (the engine's efSearch):
 *
 *   npx tsc -p tsconfig.test.json && node out/bench/vector-duplicates.js --index-dir DIR [--queries 400]
 *
 * DIR is an index folder with a graph (more than 20,000 vectors). The queries are stored vectors
 * picked at random (seeded), each with a little noise, as in vector-recall.ts. A hit counts when
 * its score reaches the exact 10th best score over the distinct vectors (so a copy of a vector in
 * the top 10 counts as that vector).
 */

import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { HierarchicalNSW } from 'hnswlib-node';
import { VectorIndex } from '../src/engine/index/vector-index';
import { seededRandom } from '../test/helpers/random';
import { liveLabels, savedGraph } from './saved-graph';

function main(): void {
  const { values } = parseArgs({ options: { 'index-dir': { type: 'string' }, queries: { type: 'string', default: '400' } } });
  const { files, dimension } = savedGraph(values['index-dir']);
  const index = VectorIndex.load(files, { dimension, graphLoading: 'on-demand' });
  const labels = liveLabels(index, dimension);
  const vectors = new Map(labels.map((label) => [label, index.getVector(label)!]));
  const seen = new Set<string>();
  const distinct = labels.filter((label) => {
    const key = Buffer.from(vectors.get(label)!.buffer).toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const random = seededRandom(7);
  const queries = Array.from({ length: Number(values.queries) }, () => {
    const noisy = vectors.get(labels[Math.floor(random() * labels.length)])!.map((x) => x + (random() - 0.5) * 0.05);
    const norm = Math.hypot(...noisy);
    return Array.from(noisy, (x) => x / norm);
  });
  const tenth = queries.map((q) => {
    const scores = distinct.map((label) => vectors.get(label)!.reduce((sum, x, i) => sum + x * q[i], 0));
    return scores.sort((a, b) => b - a)[9];
  });
  console.log(`${labels.length} labels, ${distinct.length} distinct vectors (${labels.length - distinct.length} copies); ${queries.length} queries; recall@10 at ef 1000`);
  for (const [name, which] of [
    ['every label', labels],
    ['one label per distinct vector', distinct],
  ] as const) {
    const started = performance.now();
    const graph = new HierarchicalNSW('ip', dimension);
    graph.initIndex({ maxElements: which.length, m: 12, efConstruction: 64, randomSeed: 100 });
    for (const label of which) graph.addPoint(Array.from(vectors.get(label)!), label);
    const seconds = (performance.now() - started) / 1000;
    graph.setEf(1000);
    let found = 0;
    queries.forEach((q, i) => {
      found += graph.searchKnn(q, 10).distances.filter((d) => 1 - d >= tenth[i] - 1e-5).length;
    });
    console.log(`  ${name}: ${which.length} nodes, built in ${seconds.toFixed(1)} s, recall@10 ${(found / (10 * queries.length)).toFixed(4)}`);
  }
}

main();
