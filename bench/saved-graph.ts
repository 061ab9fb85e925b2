/**
 * A saved index's vector and graph files, as the vector benchmarks (vector-recall.ts,
 * vector-duplicates.ts) read them: the index folder's manifest names them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VectorIndex } from '../src/engine/index/vector-index';

export interface SavedGraph {
  files: { vectors: string; graph: string };
  dimension: number;
}

/** The files of the index in `dir`; an error when it has no graph (20,000 vectors or fewer). */
export function savedGraph(dir: string | undefined): SavedGraph {
  if (!dir) throw new Error('--index-dir DIR is required');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Record<string, { file: string }>; meta: { dimension: number } };
  if (!manifest.files['graph.hnsw']) throw new Error(`${dir} has no graph (20,000 vectors or fewer): nothing to measure`);
  return { files: { vectors: join(dir, manifest.files['vectors.bin'].file), graph: join(dir, manifest.files['graph.hnsw'].file) }, dimension: manifest.meta.dimension };
}

/** Every live label of an index, in the order its exact scan visits them. */
export function liveLabels(index: VectorIndex, dimension: number): number[] {
  const labels: number[] = [];
  // a scan of the file calls the filter once for each, and this one keeps none
  index.searchExact(new Float32Array(dimension).fill(1), 1, (label) => {
    labels.push(label);
    return false;
  });
  return labels;
}
