/**
 * Calibrates the "no strong match" threshold (RankingOptions.weakMatchSimilarity,
 * src/engine/search/match-strength.ts) on semble-dev:
 *
 *   node out/bench/weak-match.js [--shared DIR]
 *
 * For every repository it asks the dev queries (real developer questions, each with an answer in
 * the repository) and as many made-up queries (seeded random letter strings of one to three
 * words, which no code answers), and prints, for a range of thresholds, the share of each that
 * would be called a weak match. A good threshold calls (almost) no real query weak and most
 * made-up ones weak. The indexes come from the evaluation cache (eval-common.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/engine/engine';
import { seededRandom } from '../test/helpers/random';
import { evalRoot, indexCacheDir, noData } from './eval-common';
import { findSembleData } from './eval-semble';

interface Observation {
  real: boolean;
  /** some query word is in the code (lexical candidates or a named definition) */
  words: boolean;
  similarity: number;
}

const THRESHOLDS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function madeUpQuery(random: () => number): string {
  const words = 1 + Math.floor(random() * 3);
  return Array.from({ length: words }, () => {
    const n = 5 + Math.floor(random() * 8);
    return Array.from({ length: n }, () => LETTERS[Math.floor(random() * LETTERS.length)]).join('');
  }).join(' ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { shared: { type: 'string' } } });
  const root = evalRoot(values.shared);
  const dataDir = findSembleData(root);
  if (!dataDir) {
    noData('semble-dev data', join(root, 'semble-dev'));
    process.exit(2);
  }
  const infos = JSON.parse(readFileSync(join(dataDir, 'repos.json'), 'utf8')) as { name: string }[];
  const queries = readFileSync(join(dataDir, 'queries.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { repo: string; query: string });
  const cache = indexCacheDir(undefined);
  const random = seededRandom(20261202);
  const seen: Observation[] = [];
  for (const info of infos) {
    const engine = await Engine.open(join(dataDir, 'repos', info.name), { indexDir: join(cache, 'semble', info.name), ranking: { weakMatchSimilarity: 1 } });
    try {
      await engine.refresh();
      const own = queries.filter((q) => q.repo === info.name).map((q) => ({ text: q.query, real: true }));
      const madeUp = own.map(() => ({ text: madeUpQuery(random), real: false }));
      for (const q of [...own, ...madeUp]) {
        // the threshold is 1 here, so `weak` says only whether any query word matched
        const answer = await engine.searchAnswer(q.text, { top: 10 });
        if (answer.similarity === undefined) throw new Error('weak-match calibration needs the embedding model (hybrid mode)');
        seen.push({ real: q.real, words: !answer.weak, similarity: answer.similarity });
      }
      process.stderr.write(`${info.name}: ${own.length} real + ${madeUp.length} made-up queries\n`);
    } finally {
      await engine.close();
    }
  }
  const real = seen.filter((o) => o.real);
  const madeUp = seen.filter((o) => !o.real);
  const share = (xs: Observation[], t: number) => xs.filter((o) => !o.words && o.similarity < t).length / xs.length;
  console.log(`weak-match calibration: ${real.length} semble-dev queries, ${madeUp.length} made-up queries`);
  console.log(`queries whose words match no code: real ${real.filter((o) => !o.words).length}, made-up ${madeUp.filter((o) => !o.words).length}`);
  console.log('threshold  real called weak  made-up called weak');
  for (const t of THRESHOLDS) console.log(`${t.toFixed(2).padStart(9)}  ${pct(share(real, t)).padStart(16)}  ${pct(share(madeUp, t)).padStart(19)}`);
  const sims = (xs: Observation[]) => xs.filter((o) => !o.words).map((o) => o.similarity).sort((a, b) => a - b);
  console.log(`best similarity, real queries without a word match: ${sims(real).map((s) => s.toFixed(3)).join(' ') || '—'}`);
  // the real queries all match words; their similarities say how low a real question's can be
  const r = real.map((o) => o.similarity).sort((a, b) => a - b);
  const at = (q: number) => r[Math.min(r.length - 1, Math.floor(q * r.length))]!.toFixed(3);
  console.log(`best similarity, every real query: min ${r[0]!.toFixed(3)}, 1st percentile ${at(0.01)}, 5th ${at(0.05)}, median ${at(0.5)}`);
  const m = sims(madeUp);
  if (m.length) console.log(`best similarity, made-up queries without a word match: min ${m[0]!.toFixed(3)}, median ${m[Math.floor(m.length / 2)]!.toFixed(3)}, max ${m[m.length - 1]!.toFixed(3)}`);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

void main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
