/**
 * semble-dev (../shared/eval/semble-dev, see its README): real developer queries over 14
 * repositories, judged at file level, scored by NDCG@10 exactly as the benchmark computes it.
 *
 *   npm run eval -- --set semble [--lexical-only] [--repo NAME] [--json]
 *
 * Each repository is indexed with the engine the CLI uses (cached between runs, see
 * eval-common.ts); every query is one `Engine.search` with top 10. Reported per repository and
 * per category, the headline being the mean over repositories, beside the peers' published figures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, type SearchHit } from '../src/engine/engine';
import { indexCacheDir, noData, type EngineTweaks } from './eval-common';

export type Category = 'semantic' | 'architecture' | 'symbol';
export const CATEGORIES: readonly Category[] = ['semantic', 'architecture', 'symbol'];

type Target = string | { path: string; start_line: number; end_line: number };

interface SembleQuery {
  repo: string;
  query: string;
  category: Category;
  relevant: Target[];
  secondary: Target[];
}

interface RepoInfo {
  name: string;
  language: string;
  published_ndcg10: Record<string, number>;
  published_ndcg10_by_category: Record<string, Record<Category, number>>;
}

export interface QueryResult {
  repo: string;
  query: string;
  category: Category;
  ndcg: number;
}

export interface SembleReport {
  mode: string;
  /** mean over repositories of the mean over their queries */
  ndcg: number;
  /** per category: mean over repositories (with queries of that category) of their category mean */
  byCategory: Record<Category, number>;
  repos: { name: string; language: string; queries: number; ndcg: number; byCategory: Partial<Record<Category, number>>; indexSeconds: number; chunks: number }[];
  /** the peers' published figures over the same repositories, same averaging */
  peers: Record<string, { ndcg: number; byCategory: Partial<Record<Category, number>> }>;
  /** per repository, the peers' published NDCG@10 */
  published: Record<string, Record<string, number>>;
  queries: QueryResult[];
  msPerQuery: number;
}

/** The semble-dev folder, or undefined (with a plain message) when it is absent. */
export function findSembleData(evalDir: string): string | undefined {
  const dir = join(evalDir, 'semble-dev');
  if (existsSync(join(dir, 'queries.jsonl')) && existsSync(join(dir, 'repos.json'))) return dir;
  noData('semble-dev data', dir);
  return undefined;
}

function targetKey(t: Target): string {
  return typeof t === 'string' ? t : `${t.path}:${t.start_line}-${t.end_line}`;
}

function covers(hit: Pick<SearchHit, 'path' | 'startLine' | 'endLine'>, t: Target): boolean {
  if (typeof t === 'string') return hit.path === t;
  return hit.path === t.path && hit.startLine <= t.end_line && t.start_line <= hit.endLine;
}

/**
 * NDCG@10 of one result list as the benchmark defines it: binary gain per target (relevant and
 * secondary alike, each counted once at the first result that covers it; a rank's gain is 0 or 1,
 * as in the benchmark's code, so one result covering two targets gains once); the ideal is
 * min(10, n) hits at the top, n being the targets whose file is indexed.
 */
export function ndcgAt10(hits: Pick<SearchHit, 'path' | 'startLine' | 'endLine'>[], targets: Target[], indexed: (path: string) => boolean): number {
  const unique = new Map<string, Target>();
  for (const t of targets) unique.set(targetKey(t), t);
  const live = [...unique.values()].filter((t) => indexed(typeof t === 'string' ? t : t.path));
  if (!live.length) return 0;
  const top = hits.slice(0, 10);
  // binary gain per rank: a result that is the first to cover two targets is still one gain
  const gain = new Set<number>();
  for (const t of live) {
    const rank = top.findIndex((h) => covers(h, t)) + 1;
    if (rank > 0) gain.add(rank);
  }
  let dcg = 0;
  for (const rank of gain) dcg += 1 / Math.log2(rank + 1);
  let ideal = 0;
  for (let r = 1; r <= Math.min(10, live.length); r++) ideal += 1 / Math.log2(r + 1);
  return dcg / ideal;
}

/** Whether a target's file is in the index: it exists and neither it nor a folder above it was skipped. */
function indexedTest(root: string, skipped: string[]): (path: string) => boolean {
  const skip = new Set(skipped);
  return (path) => {
    if (!existsSync(join(root, path))) return false;
    for (let p = path; p; p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') if (skip.has(p)) return false;
    return true;
  };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export interface SembleOptions {
  dataDir: string;
  model?: string | null;
  engine?: EngineTweaks;
  /** only these repositories */
  repos?: string[];
  cacheDir?: string;
  progress?: (line: string) => void;
}

export async function evaluateSemble(opts: SembleOptions): Promise<SembleReport> {
  const infos = JSON.parse(readFileSync(join(opts.dataDir, 'repos.json'), 'utf8')) as RepoInfo[];
  const queries = readFileSync(join(opts.dataDir, 'queries.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as SembleQuery);
  const cache = indexCacheDir(opts.model, opts.cacheDir);
  const results: QueryResult[] = [];
  const repos: SembleReport['repos'] = [];
  let mode = '';
  let queryMs = 0;
  for (const info of infos) {
    if (opts.repos?.length && !opts.repos.includes(info.name)) continue;
    const root = join(opts.dataDir, 'repos', info.name);
    const engine = await Engine.open(root, { indexDir: join(cache, 'semble', info.name), model: opts.model, ...opts.engine });
    try {
      const started = performance.now();
      const summary = await engine.refresh();
      const indexSeconds = (performance.now() - started) / 1000;
      mode = summary.mode;
      const indexed = indexedTest(root, (await engine.status()).skipped.map((x) => x.path));
      const own: QueryResult[] = [];
      const q0 = performance.now();
      for (const q of queries.filter((x) => x.repo === info.name)) {
        const hits = await engine.search(q.query, { top: 10 });
        own.push({ repo: info.name, query: q.query, category: q.category, ndcg: ndcgAt10(hits, [...q.relevant, ...q.secondary], indexed) });
      }
      queryMs += performance.now() - q0;
      results.push(...own);
      const byCategory: Partial<Record<Category, number>> = {};
      for (const c of CATEGORIES) {
        const xs = own.filter((r) => r.category === c).map((r) => r.ndcg);
        if (xs.length) byCategory[c] = mean(xs);
      }
      repos.push({ name: info.name, language: info.language, queries: own.length, ndcg: mean(own.map((r) => r.ndcg)), byCategory, indexSeconds, chunks: summary.chunks });
      opts.progress?.(`${info.name}: ${own.length} queries, NDCG@10 ${mean(own.map((r) => r.ndcg)).toFixed(3)} (index ${indexSeconds.toFixed(1)} s)`);
    } finally {
      await engine.close();
    }
  }
  const byCategory = Object.fromEntries(
    CATEGORIES.map((c) => [c, mean(repos.filter((r) => r.byCategory[c] !== undefined).map((r) => r.byCategory[c]!))]),
  ) as Record<Category, number>;
  const peers: SembleReport['peers'] = {};
  const used = infos.filter((i) => repos.some((r) => r.name === i.name));
  for (const peer of new Set(used.flatMap((i) => Object.keys(i.published_ndcg10)))) {
    const withIt = used.filter((i) => i.published_ndcg10[peer] !== undefined);
    if (withIt.length !== used.length) continue;
    const cats: Partial<Record<Category, number>> = {};
    if (used.every((i) => i.published_ndcg10_by_category[peer])) {
      for (const c of CATEGORIES) {
        const xs = used.map((i) => i.published_ndcg10_by_category[peer][c]).filter((x) => x !== undefined);
        if (xs.length) cats[c] = mean(xs);
      }
    }
    peers[peer] = { ndcg: mean(used.map((i) => i.published_ndcg10[peer])), byCategory: cats };
  }
  const published: SembleReport['published'] = Object.create(null);
  for (const i of used) published[i.name] = i.published_ndcg10;
  return { mode, ndcg: mean(repos.map((r) => r.ndcg)), byCategory, repos, peers, published, queries: results, msPerQuery: queryMs / Math.max(1, results.length) };
}

export function formatSemble(r: SembleReport): string {
  const f = (x: number | undefined) => (x === undefined ? '   — ' : x.toFixed(3));
  const lines = [`semble-dev: ${r.queries.length} queries over ${r.repos.length} repositories, ${r.mode}; NDCG@10`];
  lines.push(`${'repository'.padEnd(18)} ${'language'.padEnd(11)} all    sem    arch   sym    (published: semble, CodeRankEmbed hybrid)`);
  for (const repo of r.repos) {
    lines.push(
      `${repo.name.padEnd(18)} ${repo.language.padEnd(11)} ${f(repo.ndcg)}  ${f(repo.byCategory.semantic)}  ${f(repo.byCategory.architecture)}  ${f(repo.byCategory.symbol)}    ${f(r.published[repo.name]?.semble)}  ${f(r.published[repo.name]?.['coderankembed-hybrid'])}`,
    );
  }
  lines.push(`${'mean'.padEnd(30)} ${f(r.ndcg)}  ${f(r.byCategory.semantic)}  ${f(r.byCategory.architecture)}  ${f(r.byCategory.symbol)}`);
  for (const [name, p] of Object.entries(r.peers)) {
    lines.push(`${('  published: ' + name).padEnd(30)} ${f(p.ndcg)}  ${f(p.byCategory.semantic)}  ${f(p.byCategory.architecture)}  ${f(p.byCategory.symbol)}`);
  }
  lines.push(`${r.msPerQuery.toFixed(2)} ms/query`);
  return lines.join('\n');
}
