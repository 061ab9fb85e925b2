/**
 * `npm run bench:agent` — Code Scout as coding agents use it, through `codescout mcp` and a real
 * MCP client (the SDK's Client over stdio), on already-indexed folders:
 *
 *  (a) start → first answer: from spawning `codescout mcp <folder>` to the answer of its first
 *      search_code call (initialize and list included), median of repeated runs;
 *  (b) tokens per answer (gpt-tokenizer, o200k_base): the text of search_code and related_code
 *      answers, against reading the files the answers point to (whole files, and only the
 *      line ranges of the results).
 *
 *   npm run bench:agent [-- --shared DIR] [--repos a,b] [--runs N] [--lexical-only | --model DIR] [--json]
 *
 * Corpus: the semble-dev repositories and their queries (../shared/eval/semble-dev, see its
 * README), indexed first with `codescout index` into a scratch cache. Without that data it says
 * so and measures this repository with a few queries of its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { countTokens } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import { evalRoot, indexCacheDir } from './eval-common';
import { findSembleData } from './eval-semble';

/** The package root (this file runs as out/bench/agent.js). */
const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'codescout.js');

/** Queries for this repository, when semble-dev is absent. */
const OWN_QUERIES = [
  'where are ignore rules parsed',
  'merge the rankings of the lexical and vector search',
  'split a file into chunks with tree-sitter',
  'write the index atomically',
  'watch the folder for changes',
];

interface Corpus {
  name: string;
  root: string;
  queries: string[];
}

interface Hit {
  path: string;
  startLine: number;
  endLine: number;
}

interface Measure {
  repo: string;
  tool: 'search_code' | 'related_code';
  answerTokens: number;
  structuredTokens: number;
  fileTokens: number;
  rangeTokens: number;
  results: number;
}

const { values: args } = parseArgs({
  options: {
    shared: { type: 'string' },
    repos: { type: 'string' },
    runs: { type: 'string', default: '3' },
    model: { type: 'string' },
    'lexical-only': { type: 'boolean' },
    json: { type: 'boolean' },
  },
});
const modelArgs = args['lexical-only'] ? ['--lexical-only'] : args.model ? ['--model', args.model] : [];
const runs = Number(args.runs);

function corpora(): { source: string; list: Corpus[] } {
  const dir = findSembleData(evalRoot(args.shared));
  if (!dir) {
    process.stderr.write('bench:agent: semble-dev is missing; measuring this repository with its own queries instead\n');
    return { source: 'this repository', list: [{ name: 'code-scout', root: ROOT, queries: OWN_QUERIES }] };
  }
  const wanted = args.repos?.split(',');
  const byRepo = new Map<string, string[]>();
  for (const line of readFileSync(join(dir, 'queries.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const q = JSON.parse(line) as { repo: string; query: string };
    if (wanted && !wanted.includes(q.repo)) continue;
    if (!byRepo.has(q.repo)) byRepo.set(q.repo, []);
    byRepo.get(q.repo)!.push(q.query);
  }
  return { source: 'semble-dev', list: [...byRepo].map(([name, queries]) => ({ name, root: join(dir, 'repos', name), queries })) };
}

function indexDirOf(corpus: Corpus): string {
  return join(indexCacheDir(args['lexical-only'] ? null : args.model), `agent-${corpus.name}`);
}

/** Builds or refreshes the folder's index with the CLI, as a user would before starting an agent. */
function index(corpus: Corpus): void {
  const dir = indexDirOf(corpus);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(process.execPath, [CLI, 'index', corpus.root, '--index-dir', dir, ...modelArgs], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`indexing ${corpus.root} failed: ${r.stderr}`);
}

async function session(corpus: Corpus): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp', corpus.root, '--index-dir', indexDirOf(corpus), ...modelArgs],
    stderr: 'ignore',
  });
  const client = new Client({ name: 'codescout-bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

type ToolAnswer = { content: { type: string; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  return (await client.callTool({ name, arguments: args })) as ToolAnswer;
}

/** Milliseconds from spawning `codescout mcp` to the first search's answer, and whether it said partial. */
async function startToFirstAnswer(corpus: Corpus): Promise<{ ms: number; partial: boolean }> {
  const start = performance.now();
  const client = await session(corpus);
  const answer = await call(client, 'search_code', { query: corpus.queries[0] });
  const ms = performance.now() - start;
  await client.close();
  if (answer.isError) throw new Error(`search_code failed on ${corpus.name}: ${answer.content[0]?.text}`);
  return { ms, partial: answer.structuredContent?.partial === true };
}

function fileTokens(root: string, hits: Hit[], cache: Map<string, string[]>): { files: number; ranges: number } {
  const lines = (path: string) => {
    let l = cache.get(path);
    if (!l) cache.set(path, (l = readFileSync(join(root, path), 'utf8').split('\n')));
    return l;
  };
  const paths = [...new Set(hits.map((h) => h.path))];
  const files = paths.reduce((n, p) => n + countTokens(lines(p).join('\n')), 0);
  const ranges = hits.reduce((n, h) => n + countTokens(lines(h.path).slice(h.startLine - 1, h.endLine).join('\n')), 0);
  return { files, ranges };
}

async function tokens(corpus: Corpus): Promise<Measure[]> {
  const client = await session(corpus);
  const cache = new Map<string, string[]>();
  const measures: Measure[] = [];
  const text = (a: ToolAnswer) => a.content.map((c) => c.text).join('\n');
  /** An answer's tokens against those of reading what it points to (`pointed`). */
  const measure = (tool: Measure['tool'], a: ToolAnswer, pointed: Hit[], results: number): Measure => {
    const read = fileTokens(corpus.root, pointed, cache);
    return {
      repo: corpus.name,
      tool,
      answerTokens: countTokens(text(a)),
      structuredTokens: countTokens(JSON.stringify(a.structuredContent)),
      fileTokens: read.files,
      rangeTokens: read.ranges,
      results,
    };
  };
  try {
    for (const query of corpus.queries) {
      const found = await call(client, 'search_code', { query });
      if (found.isError) continue;
      const hits = (found.structuredContent?.results ?? []) as Hit[];
      if (!hits.length) continue;
      measures.push(measure('search_code', found, hits, hits.length));
      const related = await call(client, 'related_code', { location: `${hits[0].path}:${hits[0].startLine}` });
      if (related.isError) continue;
      const s = related.structuredContent as { source: Hit; results: Hit[] };
      measures.push(measure('related_code', related, [s.source, ...s.results], s.results.length));
    }
  } finally {
    await client.close();
  }
  return measures;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const { source, list } = corpora();
  process.stderr.write(`bench:agent: indexing ${list.length} folder(s) of ${source} (refresh only when cached)…\n`);
  for (const c of list) index(c);

  const starts: { repo: string; ms: number; partial: boolean }[] = [];
  for (let r = 0; r < runs; r++) {
    for (const c of list) starts.push({ repo: c.name, ...(await startToFirstAnswer(c)) });
  }
  const measures: Measure[] = [];
  for (const c of list) measures.push(...(await tokens(c)));

  const startMs = starts.map((s) => s.ms);
  const report = {
    source,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
    mode: args['lexical-only'] ? 'lexical-only' : args.model ? `model ${args.model}` : 'embedded model',
    start: {
      runs: starts.length,
      medianMs: Math.round(median(startMs)),
      maxMs: Math.round(Math.max(...startMs)),
      partialFirstAnswers: starts.filter((s) => s.partial).length,
      perRepoMedianMs: Object.fromEntries(list.map((c) => [c.name, Math.round(median(starts.filter((s) => s.repo === c.name).map((s) => s.ms)))])),
    },
    tokens: Object.fromEntries(
      (['search_code', 'related_code'] as const).map((tool) => {
        const m = measures.filter((x) => x.tool === tool);
        return [
          tool,
          {
            answers: m.length,
            medianAnswerTokens: median(m.map((x) => x.answerTokens)),
            medianStructuredTokens: median(m.map((x) => x.structuredTokens)),
            medianFileTokens: median(m.map((x) => x.fileTokens)),
            medianRangeTokens: median(m.map((x) => x.rangeTokens)),
            filesOverAnswer: Math.round((sum(m.map((x) => x.fileTokens)) / sum(m.map((x) => x.answerTokens))) * 10) / 10,
            rangesOverAnswer: Math.round((sum(m.map((x) => x.rangeTokens)) / sum(m.map((x) => x.answerTokens))) * 10) / 10,
            medianResults: median(m.map((x) => x.results)),
          },
        ];
      }),
    ),
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return;
  }
  const out = [
    `corpus: ${source} (${list.length} folder(s)); ${report.mode}; ${report.machine}`,
    `start → first search answered (already indexed): median ${report.start.medianMs} ms, max ${report.start.maxMs} ms over ${report.start.runs} runs; ${report.start.partialFirstAnswers} first answers partial`,
    `  per folder (median): ${Object.entries(report.start.perRepoMedianMs).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    '',
    '| tool | answers | median results | answer text tokens (median) | structuredContent tokens (median) | whole files pointed to (median) | result line ranges (median) | files ÷ answer (totals) | ranges ÷ answer (totals) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...Object.entries(report.tokens).map(
      ([tool, t]) =>
        `| ${tool} | ${t.answers} | ${t.medianResults} | ${t.medianAnswerTokens} | ${t.medianStructuredTokens} | ${t.medianFileTokens} | ${t.medianRangeTokens} | ${t.filesOverAnswer}× | ${t.rangesOverAnswer}× |`,
    ),
  ];
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((err: Error) => {
  process.stderr.write(`bench:agent: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
