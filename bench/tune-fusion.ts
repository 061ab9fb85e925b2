/**
 * Compares ways of fusing the lexical and vector rankings on the CoSQA dev queries, with a
 * given model. Dev data only. Each variant replaces the engine's fusion function for one run.
 *
 *   npx tsc -p tsconfig.test.json && node out/bench/tune-fusion.js --model DIR
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as fusion from '../src/engine/search/fusion';
import type { FusedHit, Scored } from '../src/engine/search/fusion';
import { evaluate, findEvalData } from './eval';

type Fuse = typeof fusion.fuseRankings;

function byScore(hits: Map<number, FusedHit>, top: number): FusedHit[] {
  return [...hits.values()].sort((a, b) => b.score - a.score || a.id - b.id).slice(0, top);
}

function add(hits: Map<number, FusedHit>, id: number, part: number, side: 'lexical' | 'vector') {
  const hit = hits.get(id);
  if (hit) {
    hit.score += part;
    hit.matchedBy = 'both';
  } else hits.set(id, { id, score: part, matchedBy: side });
}

/** Raw cosine on the vector side (no min-max), BM25 divided by the best. */
const rawCosine: Fuse = (lexical, vector, w, top) => {
  const hits = new Map<number, FusedHit>();
  const max = Math.max(0, ...lexical.map((h) => h.score));
  for (const h of lexical) if (h.score > 0) add(hits, h.id, (w * h.score) / max, 'lexical');
  for (const h of vector) add(hits, h.id, (1 - w) * h.score, 'vector');
  return byScore(hits, top);
};

/** Reciprocal rank fusion (k = 60), weighted. */
const rrf: Fuse = (lexical, vector, w, top) => {
  const hits = new Map<number, FusedHit>();
  lexical.filter((h) => h.score > 0).forEach((h, r) => add(hits, h.id, w / (60 + r + 1), 'lexical'));
  vector.forEach((h, r) => add(hits, h.id, (1 - w) / (60 + r + 1), 'vector'));
  return byScore(hits, top);
};

/** z-scores on both sides (over the candidates). */
const zScores: Fuse = (lexical, vector, w, top) => {
  const z = (xs: Scored[]) => {
    const mean = xs.reduce((s, h) => s + h.score, 0) / (xs.length || 1);
    const sd = Math.sqrt(xs.reduce((s, h) => s + (h.score - mean) ** 2, 0) / (xs.length || 1)) || 1;
    return (x: number) => (x - mean) / sd;
  };
  const lz = z(lexical.filter((h) => h.score > 0));
  const vz = z(vector);
  const hits = new Map<number, FusedHit>();
  for (const h of lexical) if (h.score > 0) add(hits, h.id, w * lz(h.score), 'lexical');
  for (const h of vector) add(hits, h.id, (1 - w) * vz(h.score), 'vector');
  return byScore(hits, top);
};

async function main() {
  const { values } = parseArgs({ options: { model: { type: 'string' }, weights: { type: 'string' } } });
  const data = findEvalData();
  if (!data || !values.model) {
    process.stderr.write('usage: tune-fusion --model DIR (and the eval data)\n');
    process.exit(2);
  }
  const original = fusion.fuseRankings;
  const variants: [string, Fuse][] = [['min-max (shipped)', original], ['raw cosine', rawCosine], ['rrf', rrf], ['z-scores', zScores]];
  const weights = (values.weights ?? '0.3,0.5,0.7').split(',').map(Number);
  for (const [name, fuse] of variants) {
    for (const w of weights) {
      (fusion as { fuseRankings: Fuse }).fuseRankings = fuse;
      const r = await evaluate({ ...data, model: resolve(values.model), lexicalWeight: w });
      process.stdout.write(`${name.padEnd(18)} w=${w}  MRR ${r.mrr.toFixed(4)}  R@1 ${r.recallAt1.toFixed(3)}  R@10 ${r.recallAt10.toFixed(3)}\n`);
    }
  }
  (fusion as { fuseRankings: Fuse }).fuseRankings = original;
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
