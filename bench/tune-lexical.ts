/**
 * Tunes the lexical field weights (src/engine/index/lexical-fields.ts) on the CoSQA dev
 * queries, lexical-only, and prints one line per setting. Dev data only: the held-out set
 * is never used for choices.
 *
 *   npx tsc -p tsconfig.test.json && node out/bench/tune-lexical.js
 */
import { FIELD_WEIGHTS } from '../src/engine/index/lexical-fields';
import { evaluate, findEvalData } from './eval';

const GRID: Partial<typeof FIELD_WEIGHTS>[] = [
  { name: 1, doc: 0, signature: 0, path: 1, body: 1 },
  { name: 1, doc: 0, signature: 1, path: 1, body: 1 },
  { name: 1, doc: 0.5, signature: 0, path: 1, body: 1 },
  { name: 1, doc: 0.5, signature: 1, path: 1, body: 1 },
  { name: 1, doc: 1, signature: 0, path: 1, body: 1 },
  { name: 1, doc: 1, signature: 1, path: 1, body: 1 },
  { name: 2, doc: 0, signature: 0, path: 1, body: 1 },
  { name: 2, doc: 0, signature: 1, path: 1, body: 1 },
  { name: 2, doc: 0.5, signature: 0, path: 1, body: 1 },
  { name: 2, doc: 0.5, signature: 1, path: 1, body: 1 },
  { name: 2, doc: 1, signature: 0, path: 1, body: 1 },
  { name: 2, doc: 1, signature: 1, path: 1, body: 1 },
  { name: 3, doc: 0, signature: 0, path: 1, body: 1 },
  { name: 3, doc: 0, signature: 1, path: 1, body: 1 },
  { name: 3, doc: 0.5, signature: 0, path: 1, body: 1 },
  { name: 3, doc: 0.5, signature: 1, path: 1, body: 1 },
  { name: 3, doc: 1, signature: 0, path: 1, body: 1 },
  { name: 3, doc: 1, signature: 1, path: 1, body: 1 },
];

async function main() {
  const data = findEvalData();
  if (!data) process.exit(2);
  const original = { ...FIELD_WEIGHTS };
  for (const weights of GRID) {
    Object.assign(FIELD_WEIGHTS, original, weights);
    const r = await evaluate({ ...data, model: null });
    process.stdout.write(
      `${JSON.stringify(FIELD_WEIGHTS)}  MRR ${r.mrr.toFixed(4)}  R@1 ${r.recallAt1.toFixed(3)}  R@10 ${r.recallAt10.toFixed(3)}\n`,
    );
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
