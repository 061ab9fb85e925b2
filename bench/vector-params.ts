/**
 * Measures the vector index to choose `exactSearchMaxVectors` and the HNSW parameters:
 * graph build time, save/load time and file size, query latency of the exact scan and of the
 * graph, and the graph's recall@10 against the exact scan, at several index sizes.
 *
 *   npx tsc -p tsconfig.test.json && node out/bench/vector-params.js [--dim 256] [--sizes 5000,20000,50000]
 *     [--queries 200] [--m 16] [--ef-construction 200] [--ef 32,64,128] [--data low-rank,uniform] [--rank 32]
 *
 * Data is synthetic and seeded (see `dataSource`): `low-rank` resembles real embeddings,
 * `uniform` is the worst case for HNSW.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { VectorIndex, type VectorIndexOptions } from '../src/engine/index/vector-index';
import { seededRandom } from '../test/helpers/random';

interface Settings {
  dimension: number;
  sizes: number[];
  queries: number;
  m: number;
  efConstruction: number;
  efs: number[];
  data: string[];
  rank: number;
}

const K = 10;

function parseSettings(argv: string[]): Settings {
  const value = (flag: string, fallback: string): string => {
    const at = argv.indexOf(flag);
    return at >= 0 && at + 1 < argv.length ? argv[at + 1] : fallback;
  };
  const numbers = (flag: string, fallback: string): number[] => value(flag, fallback).split(',').map(Number);
  return {
    dimension: Number(value('--dim', '256')),
    sizes: numbers('--sizes', '5000,20000,50000').sort((a, b) => a - b),
    queries: Number(value('--queries', '200')),
    m: Number(value('--m', '16')),
    efConstruction: Number(value('--ef-construction', '200')),
    efs: numbers('--ef', '32,64,128'),
    data: value('--data', 'low-rank,uniform').split(','),
    rank: Number(value('--rank', '32')),
  };
}

/** Normally distributed numbers (Box–Muller). */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * A generator of vectors of the named kind: `uniform` draws random directions in the full space;
 * `low-rank` draws points around 300 centres in a random `rank`-dimensional subspace plus a
 * little noise in every dimension, closer to the low intrinsic dimension of real text embeddings.
 */
function dataSource(kind: string, dimension: number, rank: number, seed: number): () => Float32Array {
  const normal = gaussian(seededRandom(seed));
  if (kind === 'uniform') return () => Float32Array.from({ length: dimension }, normal);
  if (kind !== 'low-rank') throw new Error(`unknown data kind ${kind}`);
  const structure = gaussian(seededRandom(12345));
  const basis = Array.from({ length: rank }, () => Float32Array.from({ length: dimension }, structure));
  const centres = Array.from({ length: 300 }, () => Array.from({ length: rank }, structure));
  const pick = seededRandom(seed + 1);
  return () => {
    const centre = centres[Math.floor(pick() * centres.length)];
    const vector = Float32Array.from({ length: dimension }, () => 0.3 * normal());
    centre.forEach((c, i) => {
      const weight = c + 0.5 * normal();
      basis[i].forEach((b, j) => (vector[j] += weight * b));
    });
    return vector;
  };
}

function milliseconds(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

/** Mean milliseconds per query and the results of each query. */
function timeQueries<T>(queries: Float32Array[], search: (query: Float32Array) => T): { ms: number; results: T[] } {
  const results: T[] = [];
  const ms = milliseconds(() => {
    for (const query of queries) results.push(search(query));
  });
  return { ms: ms / queries.length, results };
}

function recall(found: { label: number }[][], truth: { label: number }[][]): number {
  let hits = 0;
  found.forEach((result, i) => {
    const expected = new Set(truth[i].map((h) => h.label));
    hits += result.filter((h) => expected.has(h.label)).length;
  });
  return hits / (truth.length * K);
}

function row(cells: (string | number)[]): string {
  return cells.map((cell, i) => String(cell).padStart(i === 0 ? 10 : 12)).join(' ');
}

function main(): void {
  const settings = parseSettings(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codescout-bench-'));
  const files = { vectors: path.join(dir, 'vectors.bin'), graph: path.join(dir, 'graph.hnsw') };
  console.log(`vector index: dim ${settings.dimension}, M ${settings.m}, efConstruction ${settings.efConstruction}, ${settings.queries} queries, k ${K}`);
  try {
    for (const kind of settings.data) {
      const next = dataSource(kind, settings.dimension, settings.rank, 1);
      const queries = Array.from({ length: settings.queries }, dataSource(kind, settings.dimension, settings.rank, 2));
      const options: VectorIndexOptions = {
        dimension: settings.dimension,
        exactSearchMaxVectors: 0,
        m: settings.m,
        efConstruction: settings.efConstruction,
      };
      const index = new VectorIndex(options);
      // the same vectors without a graph: the exact scan that the graph's recall is measured against
      const exactIndex = new VectorIndex({ dimension: settings.dimension, exactSearchMaxVectors: Number.POSITIVE_INFINITY });
      console.log(`\n${kind === 'low-rank' ? `low-rank (rank ${settings.rank})` : kind} data`);
      console.log(row(['vectors', 'build s', 'save ms', 'load ms', 'file MB', 'exact ms/q', 'ef', 'hnsw ms/q', 'recall@10']));
      let buildMs = 0;
      for (const size of settings.sizes) {
        const added = Array.from({ length: size - index.size }, next);
        const from = index.size;
        buildMs += milliseconds(() => added.forEach((vector, i) => index.add(from + i, vector)));
        added.forEach((vector, i) => exactIndex.add(from + i, vector));
        const saveMs = milliseconds(() => index.save(files));
        const megabytes = (fs.statSync(files.vectors).size + fs.statSync(files.graph).size) / 2 ** 20;
        const exact = timeQueries(queries, (q) => exactIndex.searchExact(q, K));
        settings.efs.forEach((efSearch, i) => {
          let loaded: VectorIndex | undefined;
          const loadMs = milliseconds(() => {
            loaded = VectorIndex.load(files, { ...options, efSearch });
          });
          const graph = timeQueries(queries, (q) => loaded!.search(q, K));
          const first = i === 0;
          console.log(
            row([
              first ? size : '',
              first ? (buildMs / 1000).toFixed(1) : '',
              first ? saveMs.toFixed(0) : '',
              loadMs.toFixed(0),
              first ? megabytes.toFixed(1) : '',
              first ? exact.ms.toFixed(2) : '',
              efSearch,
              graph.ms.toFixed(3),
              recall(graph.results, exact.results).toFixed(3),
            ]),
          );
        });
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
