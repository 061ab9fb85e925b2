/**
 * `npm run eval` — search quality on every development set, scored through the engine the CLI uses.
 *
 *   npm run eval -- [--set semble|cosqa|code2code|all] [--lexical-only | --model DIR] [--json]
 *                   [--shared DIR] [--repo NAME]… [--rank NAME=VALUE]… [--no-spelling] [--no-cache]
 *                   [--data DIR --queries FILE --ext EXT]   (any CoSQA-shaped set, e.g. training/heldout/<lang>)
 *
 * Sets (each module says how it scores):
 *   semble     semble-dev, NDCG@10 per repository and category, published peers alongside (eval-semble.ts)
 *   cosqa      CoSQA dev, MRR / Recall@1 / Recall@10 over the full ranking (eval-cosqa.ts)
 *   code2code  related code across languages: the Python stdlib's pure-Python modules and their C
 *              accelerators, built from this machine's files (eval-code2code.ts)
 *
 * `--rank NAME=VALUE` sets one RankingOptions field (src/engine/search/ranker.ts) for ablations.
 * Indexes are cached between runs under $TMPDIR/codescout-eval-cache (eval-common.ts);
 * `--no-cache` indexes CoSQA in a throwaway folder instead.
 *
 * The evaluation data lives only in the development workspace (../shared/eval beside the package,
 * or --shared DIR); a user's clone has none, and the script says so and exits with status 2.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RankingOptions } from '../src/engine/search/ranker';
import { evalRoot, type EngineTweaks } from './eval-common';
import { evaluate, findEvalData } from './eval-cosqa';
import { evaluateSemble, findSembleData, formatSemble } from './eval-semble';
import { evaluateCode2Code, findCode2CodeData, formatCode2Code } from './eval-code2code';

export { evaluate, findEvalData, score, dedent, corpusFile } from './eval-cosqa';

const SETS = ['semble', 'cosqa', 'code2code'] as const;

/** `NAME=VALUE` pairs into RankingOptions: numbers, true/false. */
export function rankingArgs(pairs: string[]): Partial<RankingOptions> {
  const out: Record<string, number | boolean> = Object.create(null);
  for (const pair of pairs) {
    const m = /^(\w+)=(.+)$/.exec(pair);
    if (!m) throw new Error(`--rank wants NAME=VALUE, got "${pair}"`);
    const v = m[2] === 'true' ? true : m[2] === 'false' ? false : Number(m[2]);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`--rank ${m[1]}: not a number: "${m[2]}"`);
    out[m[1]] = v;
  }
  return out as Partial<RankingOptions>;
}

async function main() {
  const { values } = parseArgs({
    options: {
      set: { type: 'string', default: 'all' },
      shared: { type: 'string' },
      data: { type: 'string' },
      queries: { type: 'string' },
      ext: { type: 'string' },
      model: { type: 'string' },
      repo: { type: 'string', multiple: true },
      rank: { type: 'string', multiple: true },
      'lexical-only': { type: 'boolean' },
      'no-spelling': { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const set = values.set!;
  if (set !== 'all' && !(SETS as readonly string[]).includes(set)) {
    process.stderr.write(`eval: unknown set "${set}"; one of ${SETS.join(', ')}, all\n`);
    process.exit(2);
  }
  const sets = set === 'all' ? (values.data ? ['cosqa'] : [...SETS]) : [set];
  const model = values['lexical-only'] ? null : values.model ? resolve(values.model) : undefined;
  const engine: EngineTweaks = {
    spelling: values['no-spelling'] ? false : undefined,
    ranking: rankingArgs(values.rank ?? []),
  };
  const root = evalRoot(values.shared);
  const say = (s: string) => process.stdout.write(s + '\n');
  const report: Record<string, unknown> = {};
  let missing = false;

  if (sets.includes('semble')) {
    const dir = findSembleData(root);
    if (!dir) missing = true;
    else {
      const r = await evaluateSemble({ dataDir: dir, model, engine, repos: values.repo, progress: values.json ? undefined : (l) => process.stderr.write(`eval: ${l}\n`) });
      report.semble = r;
      if (!values.json) say(formatSemble(r));
    }
  }
  if (sets.includes('cosqa')) {
    const data = findEvalData(values.data, values.queries, values.shared);
    if (!data) missing = true;
    else {
      const r = await evaluate({ ...data, ext: values.ext, model, engine, cache: !values['no-cache'] });
      report.cosqa = r;
      if (!values.json) {
        for (const m of r.notices) process.stderr.write(`eval: ${m}\n`);
        const name = r.data.endsWith('queries-dev.json') ? 'CoSQA dev' : r.data;
        say(
          `${name}: ${r.queries} queries, ${r.functions} functions (${r.chunks} chunks), ${r.mode}${r.model ? ` (${r.model})` : ''}\n` +
            `MRR ${r.mrr.toFixed(3)}  Recall@1 ${r.recallAt1.toFixed(3)}  Recall@10 ${r.recallAt10.toFixed(3)}\n` +
            `index ${r.indexSeconds} s, ${r.msPerQuery} ms/query (full ranking)`,
        );
      }
    }
  }
  if (sets.includes('code2code')) {
    const data = findCode2CodeData();
    if (!data) missing = true;
    else {
      const r = await evaluateCode2Code({ ...data, model, engine });
      report.code2code = r;
      if (!values.json) say(formatCode2Code(r));
    }
  }
  if (values.json) say(JSON.stringify(set === 'cosqa' || values.data ? report.cosqa : report));
  if (missing) process.exit(2);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`eval: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
