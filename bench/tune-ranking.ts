/**
 * Ablations of the ranking stage on the dev sets: each configuration (RankingOptions fields on top
 * of the defaults) is scored on semble-dev (NDCG@10, per category) and CoSQA dev (MRR), hybrid and
 * optionally lexical-only. Dev data only.
 *
 *   npm run pretest && node out/bench/tune-ranking.js [--shared DIR] [--lexical] [--cosqa-top N] '{}' '{"fileDecay":0.5}' …
 *
 * `--cosqa-top N` ranks CoSQA only N deep for speed (MRR then ignores ranks past N, a difference
 * below 1/N per query); the default is the full ranking.
 */
import { parseArgs } from 'node:util';
import type { RankingOptions } from '../src/engine/search/ranker';
import { evalRoot } from './eval-common';
import { evaluate, findEvalData } from './eval-cosqa';
import { evaluateSemble, findSembleData } from './eval-semble';

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { shared: { type: 'string' }, lexical: { type: 'boolean' }, 'cosqa-top': { type: 'string' }, 'no-cosqa': { type: 'boolean' } },
  });
  const semble = findSembleData(evalRoot(values.shared));
  const cosqa = findEvalData(undefined, undefined, values.shared);
  if (!semble || !cosqa) process.exit(2);
  const top = values['cosqa-top'] ? Number(values['cosqa-top']) : undefined;
  const modes: (null | undefined)[] = values.lexical ? [undefined, null] : [undefined];
  for (const text of positionals.length ? positionals : ['{}']) {
    const ranking = JSON.parse(text) as Partial<RankingOptions>;
    for (const model of modes) {
      const s = await evaluateSemble({ dataDir: semble, model, engine: { ranking } });
      const c = values['no-cosqa'] ? undefined : await evaluate({ ...cosqa, model, engine: { ranking }, cache: true, top });
      process.stdout.write(
        `${model === null ? 'lexical' : 'hybrid '} ${text.padEnd(60)} semble ${s.ndcg.toFixed(3)} ` +
          `(sem ${s.byCategory.semantic.toFixed(3)} arch ${s.byCategory.architecture.toFixed(3)} sym ${s.byCategory.symbol.toFixed(3)})` +
          (c ? `  cosqa MRR ${c.mrr.toFixed(3)} R@10 ${c.recallAt10.toFixed(3)}` : '') +
          '\n',
      );
    }
  }
}

main().catch((err) => {
  process.stderr.write(`tune-ranking: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
