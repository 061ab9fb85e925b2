/**
 * CoSQA dev (../shared/eval/cosqa, see its README): `npm run eval -- --set cosqa`.
 *
 * Writes every corpus function into its own file of a scratch folder, indexes that folder
 * with the engine the CLI uses, runs every dev query through the same search, and scores
 * the rank of the gold function's file over the full ranking: MRR, Recall@1, Recall@10.
 *
 *   npm run eval -- --set cosqa [--lexical-only | --model DIR] [--queries FILE] [--no-spelling] [--json]
 *
 * Any CoSQA-shaped folder (corpus.json {code: id} plus a queries file [{doc, retrieval_idx}]) can be
 * scored with `--data DIR`; `--ext go` writes its functions as `.go` files (default `py`), with the
 * minimal header the chunker needs to parse that language (see FILE_HEADERS), e.g. the held-out
 * sets of training/heldout/.
 *
 * The evaluation data lives only in the development workspace (../shared/); a user's clone
 * has none, and the script says so and exits with status 2.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Engine } from '../src/engine/engine';
import { evalRoot, indexCacheDir, noData, type EngineTweaks } from './eval-common';

interface Query {
  doc: string;
  retrieval_idx: number;
}

export interface Scores {
  queries: number;
  mrr: number;
  recallAt1: number;
  recallAt10: number;
}

/** Scores 1-based ranks (0 = not found). */
export function score(ranks: number[]): Scores {
  const n = ranks.length;
  const found = ranks.filter((r) => r > 0);
  return {
    queries: n,
    mrr: found.reduce((s, r) => s + 1 / r, 0) / n,
    recallAt1: found.filter((r) => r <= 1).length / n,
    recallAt10: found.filter((r) => r <= 10).length / n,
  };
}

/** Removes the indentation common to every non-blank line (methods keep theirs in the corpus). */
export function dedent(code: string): string {
  const lines = code.split('\n');
  const indents = lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length);
  const common = Math.min(...indents);
  return common > 0 && Number.isFinite(common) ? lines.map((l) => l.slice(common)).join('\n') : code;
}

/** What a lone function needs before it to parse as its language (Go: a package clause). */
const FILE_HEADERS: Readonly<Record<string, string>> = { go: 'package heldout\n\n', php: '<?php\n\n' };

/** The file a corpus function is written to: its text, with the header its language needs. */
export function corpusFile(code: string, id: number, ext: string): { name: string; text: string } {
  return { name: `f${id}.${ext}`, text: (FILE_HEADERS[ext] ?? '') + dedent(code) + '\n' };
}

export interface EvalOptions {
  dataDir: string;
  queriesFile: string;
  /** file extension the corpus functions are written with (the chunker's language); default 'py' */
  ext?: string;
  /** as EngineOptions.model: a folder, null for lexical-only, undefined for the default */
  model?: string | null;
  /** further engine options (ranking, spelling, …) */
  engine?: EngineTweaks;
  /** rank only this deep (default: the full ranking, as the set defines MRR); for quick tuning runs */
  top?: number;
  /** keep the written corpus and its index in the eval cache (indexCacheDir) for the next run */
  cache?: boolean;
}

export interface EvalReport extends Scores {
  data: string;
  mode: string;
  model: string | null;
  functions: number;
  chunks: number;
  indexSeconds: number;
  msPerQuery: number;
  notices: string[];
}

/** The evaluation data folder, or undefined (with a plain message on stderr) when it is absent. */
export function findEvalData(dataArg?: string, queriesArg?: string, sharedArg?: string): { dataDir: string; queriesFile: string } | undefined {
  const dataDir = resolve(dataArg ?? join(evalRoot(sharedArg), 'cosqa'));
  const queriesFile = resolve(queriesArg ?? join(dataDir, 'queries-dev.json'));
  if (existsSync(join(dataDir, 'corpus.json')) && existsSync(queriesFile)) return { dataDir, queriesFile };
  noData('CoSQA-shaped data (corpus.json and a queries file)', dataDir);
  return undefined;
}

/** Indexes the CoSQA corpus in a scratch folder and scores every query over the full ranking. */
export async function evaluate(opts: EvalOptions): Promise<EvalReport> {
  const corpus = JSON.parse(readFileSync(join(opts.dataDir, 'corpus.json'), 'utf8')) as Record<string, number>;
  const queries = JSON.parse(readFileSync(opts.queriesFile, 'utf8')) as Query[];

  const ext = opts.ext ?? 'py';
  const key = createHash('sha256').update(resolve(opts.dataDir)).update(ext).digest('hex').slice(0, 12);
  const work = opts.cache ? join(indexCacheDir(opts.model), `cosqa-${key}`) : mkdtempSync(join(tmpdir(), 'codescout-eval-'));
  try {
    const folder = join(work, 'corpus');
    const written = join(work, 'corpus-written');
    if (!existsSync(written)) {
      mkdirSync(folder, { recursive: true });
      for (const [code, id] of Object.entries(corpus)) {
        const file = corpusFile(code, id, ext);
        writeFileSync(join(folder, file.name), file.text);
      }
      writeFileSync(written, '');
    }

    const notices: string[] = [];
    const engine = await Engine.open(folder, {
      indexDir: join(work, 'index'),
      model: opts.model,
      log: (m) => notices.push(m),
      ...opts.engine,
    });
    const started = performance.now();
    const summary = await engine.refresh();
    const indexSeconds = (performance.now() - started) / 1000;

    const top = opts.top ?? summary.chunks; // the full ranking
    const ranks: number[] = [];
    const queryStarted = performance.now();
    for (const q of queries) {
      const results = await engine.search(q.doc, { top });
      const gold = `f${q.retrieval_idx}.${ext}`;
      const seen = new Set<string>();
      let rank = 0;
      for (const r of results) {
        if (seen.has(r.path)) continue; // several chunks of one file count once, at the best
        seen.add(r.path);
        if (r.path === gold) {
          rank = seen.size;
          break;
        }
      }
      ranks.push(rank);
    }
    const msPerQuery = (performance.now() - queryStarted) / queries.length;
    await engine.close();
    return {
      data: opts.queriesFile,
      mode: summary.mode,
      model: summary.model ?? null,
      functions: Object.keys(corpus).length,
      chunks: summary.chunks,
      ...score(ranks),
      indexSeconds: Number(indexSeconds.toFixed(1)),
      msPerQuery: Number(msPerQuery.toFixed(2)),
      notices,
    };
  } finally {
    if (!opts.cache) rmSync(work, { recursive: true, force: true });
  }
}
