/**
 * Recall@10 of a saved index's HNSW graph against an exact scan of the same vectors, at the
 * search depth (k) the engine's paths ask for and at several search efforts (ef):
 *
 *   npx tsc -p tsconfig.test.json && node out/bench/vector-recall.js --index-dir DIR [--queries 200] [--k 200,10] [--ef 64,400,800] [--filters 2,10,100]
 *
 * DIR is an index folder with a graph (more than 20,000 vectors), e.g. the one `npm run bench --
 * --corpus large` builds, or `codescout index` of a large folder with `--index-dir`. The queries are
 * stored vectors of chunks picked at random (seeded), each with a little noise: what `related` and
 * hovers ask. The truth is the exact scan of the graph file (`graphLoading: 'on-demand'`).
 *
 * First it prints how many of the graph's nodes no link at the bottom layer leads to, and how many
 * a walk of the bottom layer from the entry point does not reach: a search through the graph
 * cannot find those (HNSW prunes links as it builds, and can cut a node off).
 *
 * With `--filters`, the path of a search with a filter (a language, a folder) too, at the default
 * efSearch and efFilteredSearch: for each N, a filter that passes one label in N (label % N === 0),
 * against the exact scan with the same filter.
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { VectorIndex, type VectorHit } from '../src/engine/index/vector-index';
import { checkLayoutOf, HNSW_HEADER_BYTES } from '../src/engine/index/graph-file';
import { seededRandom } from '../test/helpers/random';
import { liveLabels, savedGraph } from './saved-graph';

function main(): void {
  const { values } = parseArgs({
    options: {
      'index-dir': { type: 'string' },
      queries: { type: 'string', default: '200' },
      k: { type: 'string', default: '200,10' },
      ef: { type: 'string', default: '64,400,800' },
      filters: { type: 'string' },
    },
  });
  const { files, dimension } = savedGraph(values['index-dir']);
  const reach = bottomLayerReach(files.graph, dimension);
  console.log(
    `${reach.nodes} nodes in the graph; ${reach.noIncomingLink} (${percent(reach.noIncomingLink, reach.nodes)}) with no link to them at the bottom layer; ` +
      `${reach.nodes - reach.reached} (${percent(reach.nodes - reach.reached, reach.nodes)}) not reached from the entry point at the bottom layer`,
  );
  const exact = VectorIndex.load(files, { dimension, graphLoading: 'on-demand' });
  const labels = liveLabels(exact, dimension);
  const random = seededRandom(7);
  const queries = Array.from({ length: Number(values.queries) }, () => {
    const stored = exact.getVector(labels[Math.floor(random() * labels.length)])!;
    return stored.map((x) => x + (random() - 0.5) * 0.05);
  });
  const exactHits = queries.map((q) => exact.searchExact(q, 10));
  console.log(`${labels.length} vectors of dimension ${dimension}, ${queries.length} queries; recall@10 against an exact scan`);
  const header = (first: string) => console.log([first, 'k', 'recall@10', 'with ties', 'p50 ms', 'p95 ms'].map((c) => c.padStart(10)).join(' '));
  header('ef');
  for (const ef of values.ef.split(',').map(Number)) {
    const graph = VectorIndex.load(files, { dimension, efSearch: ef });
    for (const k of values.k.split(',').map(Number)) printRow(ef, k, recallOf(queries, exactHits, (q) => graph.search(q, k)));
  }
  if (values.filters === undefined) return;
  console.log('with a filter (default efSearch and efFilteredSearch)');
  header('passes');
  const graph = VectorIndex.load(files, { dimension });
  for (const every of values.filters.split(',').map(Number)) {
    const filter = (label: number): boolean => label % every === 0;
    const filteredHits = queries.map((q) => exact.searchExact(q, 10, filter));
    for (const k of values.k.split(',').map(Number)) printRow(`1/${every}`, k, recallOf(queries, filteredHits, (q) => graph.search(q, k, filter)));
  }
}

interface Recall {
  /** of the exact top 10s' labels, the share the search's first 10 hold */
  recall: number;
  /** the same, where a hit that ties with the exact scan's last (the same vector under another label: copies of a chunk) counts as found */
  withTies: number;
  p50: number;
  p95: number;
}

/** How much of each query's exact top 10 (`exactHits`) `search`'s first 10 hits find, and how long it takes. */
function recallOf(queries: Float32Array[], exactHits: VectorHit[][], search: (query: Float32Array) => VectorHit[]): Recall {
  let found = 0;
  let foundWithTies = 0;
  let wanted = 0;
  const times: number[] = [];
  queries.forEach((q, i) => {
    const t = performance.now();
    const hits = search(q).slice(0, 10);
    times.push(performance.now() - t);
    const truth = new Set(exactHits[i].map((h) => h.label));
    const last = exactHits[i][exactHits[i].length - 1]?.score ?? -Infinity;
    found += hits.filter((h) => truth.has(h.label)).length;
    foundWithTies += hits.filter((h) => truth.has(h.label) || h.score >= last - 1e-6).length;
    wanted += Math.min(10, exactHits[i].length);
  });
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
  return { recall: found / wanted, withTies: foundWithTies / wanted, p50: at(50), p95: at(95) };
}

function printRow(first: number | string, k: number, r: Recall): void {
  console.log([first, k, r.recall.toFixed(4), r.withTies.toFixed(4), r.p50.toFixed(2), r.p95.toFixed(2)].map((c) => String(c).padStart(10)).join(' '));
}

function percent(n: number, of: number): string {
  return `${((100 * n) / of).toFixed(2)} %`;
}

/**
 * The bottom layer's links of a saved graph file (int8 form, graph-file.ts): each node's list is a
 * 16-bit count and then that many 32-bit node numbers, at the start of the node (hnswalg.h); the
 * entry point is in hnswlib's header, after six 64-bit fields and the top level.
 */
function bottomLayerReach(graphFile: string, dimension: number): { nodes: number; noIncomingLink: number; reached: number } {
  const fd = openSync(graphFile, 'r');
  try {
    const layout = checkLayoutOf(fd, fstatSync(fd).size, dimension, 'int8');
    const header = Buffer.alloc(HNSW_HEADER_BYTES);
    readSync(fd, header, 0, header.length, layout.nodesStart - HNSW_HEADER_BYTES);
    const entry = header.readUInt32LE(52);
    const nodes = Buffer.alloc(layout.count * layout.bytesPerNode);
    readSync(fd, nodes, 0, nodes.length, layout.nodesStart);
    const linksOf = (node: number): number[] => {
      const at = node * layout.bytesPerNode;
      return Array.from({ length: nodes.readUInt16LE(at) }, (_, i) => nodes.readUInt32LE(at + 4 + 4 * i));
    };
    const incoming = new Uint32Array(layout.count);
    for (let node = 0; node < layout.count; node++) for (const to of linksOf(node)) incoming[to]++;
    let noIncomingLink = 0;
    for (let node = 0; node < layout.count; node++) if (incoming[node] === 0 && node !== entry) noIncomingLink++;
    const seen = new Uint8Array(layout.count);
    const stack = [entry];
    seen[entry] = 1;
    let reached = 1;
    while (stack.length > 0) {
      for (const to of linksOf(stack.pop()!)) {
        if (seen[to]) continue;
        seen[to] = 1;
        reached++;
        stack.push(to);
      }
    }
    return { nodes: layout.count, noIncomingLink, reached };
  } finally {
    closeSync(fd);
  }
}

main();
