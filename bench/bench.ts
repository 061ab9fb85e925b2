/**
 * `npm run bench` — indexing and query speed on a real corpus taken from installed npm
 * packages (TypeScript's compiler sources and declaration files, lodash), so every machine
 * measures the same bytes.
 *
 *   npm run bench [-- --lexical-only | --model DIR] [--queries N] [--json]
 *
 * Prints: files/s, functions/s, MB/s for a cold index and where its time went (waiting for the
 * parser, the model, index updates, writes); a no-change refresh; query latency
 * p50/p95 measured in-process after warm-up; peak RSS; index size on disk.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/engine/engine';

/** npm package → files (relative to the package folder) that form the corpus. */
const CORPUS: Record<string, (name: string) => boolean> = {
  typescript: (f) => /^lib\/(typescript\.js|_tsc\.js|lib\.[\w.]+\.d\.ts|typescript\.d\.ts)$/.test(f),
  lodash: (f) => /^[\w.]+\.js$/.test(f) && !f.endsWith('.min.js'),
};

const QUERIES = [
  'parse a JSON configuration file',
  'deep clone an object',
  'debounce a function call',
  'resolve module name from node_modules',
  'check whether a value is a plain object',
  'emit declaration files',
  'format diagnostics with colors and context',
  'walk the syntax tree and visit every node',
  'merge two sorted arrays',
  'compute the edit distance between two strings',
  'get the type of a symbol at a location',
  'convert a string to camel case',
  'throttle calls to at most once per interval',
  'read a file from disk and cache it',
  'create a source file from text',
  'flatten a nested array',
];

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(join(dir, entry.name), rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** Copies the corpus into `dest` (node_modules itself is excluded from indexing by default). */
function buildCorpus(dest: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const [pkg, keep] of Object.entries(CORPUS)) {
    const pkgDir = dirname(require.resolve(`${pkg}/package.json`));
    for (const rel of listFiles(pkgDir).filter(keep)) {
      const target = join(dest, pkg, rel);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(pkgDir, rel), target);
      files++;
      bytes += statSync(target).size;
    }
  }
  return { files, bytes };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      'lexical-only': { type: 'boolean' },
      queries: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const work = mkdtempSync(join(tmpdir(), 'codescout-bench-'));
  const folder = join(work, 'corpus');
  const corpus = buildCorpus(folder);
  const notices: string[] = [];
  const open = () =>
    Engine.open(folder, {
      indexDir: join(work, 'index'),
      model: values['lexical-only'] ? null : values.model ? resolve(values.model) : undefined,
      maxFileBytes: 16 * 1024 * 1024, // typescript.js is ~9 MB: a stress test for the parser
      log: (m) => notices.push(m),
    });

  let engine = await open();
  const t0 = performance.now();
  const cold = await engine.refresh();
  const coldSeconds = (performance.now() - t0) / 1000;
  await engine.close();

  // A fresh process would load the index from disk: measure that, then a no-change refresh.
  const t1 = performance.now();
  engine = await open();
  const loadSeconds = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  await engine.refresh();
  const noopSeconds = (performance.now() - t2) / 1000;

  for (const q of QUERIES) await engine.search(q, { top: 10 }); // warm-up
  const rounds = Number(values.queries ?? 200);
  const latencies: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const q = QUERIES[i % QUERIES.length];
    const s = performance.now();
    await engine.search(q, { top: 10 });
    latencies.push(performance.now() - s);
  }
  latencies.sort((a, b) => a - b);
  const status = await engine.status();
  await engine.close();
  rmSync(work, { recursive: true, force: true });

  const report = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}`,
    mode: cold.mode,
    model: cold.model ?? null,
    corpus: { files: corpus.files, megabytes: Number((corpus.bytes / 1e6).toFixed(1)) },
    indexed: { files: cold.files, chunks: cold.chunks, skipped: cold.skipped },
    coldIndexSeconds: Number(coldSeconds.toFixed(2)),
    filesPerSecond: Math.round(cold.files / coldSeconds),
    functionsPerSecond: Math.round(cold.chunks / coldSeconds),
    megabytesPerSecond: Number((corpus.bytes / 1e6 / coldSeconds).toFixed(2)),
    /** where the cold index's time went on the indexing thread (IndexSummary.time), seconds */
    coldIndexTime: Object.fromEntries(Object.entries(cold.time).map(([k, v]) => [k, Number(v.toFixed(2))])),
    /** chunks embedded per second of model time: the model's own throughput inside indexing */
    embeddedPerModelSecond: cold.chunksEmbedded && cold.time.embed ? Math.round(cold.chunksEmbedded / cold.time.embed) : null,
    loadSeconds: Number(loadSeconds.toFixed(3)),
    noChangeRefreshSeconds: Number(noopSeconds.toFixed(3)),
    queryMs: { p50: Number(percentile(latencies, 50).toFixed(2)), p95: Number(percentile(latencies, 95).toFixed(2)), n: rounds },
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    indexMB: Number((status.indexBytes / 1e6).toFixed(1)),
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return;
  }
  for (const n of notices) process.stderr.write(`bench: ${n}\n`);
  const rows: [string, string][] = [
    ['machine', report.machine],
    ['mode', `${report.mode}${report.model ? ` (${report.model})` : ''}`],
    ['corpus', `${report.corpus.files} files, ${report.corpus.megabytes} MB (typescript, lodash from node_modules)`],
    ['indexed', `${report.indexed.files} files, ${report.indexed.chunks} chunks`],
    ['cold index', `${report.coldIndexSeconds} s`],
    ['files/s', String(report.filesPerSecond)],
    ['functions/s', String(report.functionsPerSecond)],
    ['MB/s', String(report.megabytesPerSecond)],
    [
      'cold index time',
      Object.entries(report.coldIndexTime).map(([k, v]) => `${k} ${v} s`).join(', ') + ' (indexing thread; parsing runs on workers)',
    ],
    ...(report.embeddedPerModelSecond ? [['model throughput', `${report.embeddedPerModelSecond} chunks per second of model time`] as [string, string]] : []),
    ['load index', `${report.loadSeconds} s`],
    ['no-change refresh', `${report.noChangeRefreshSeconds} s`],
    ['query p50 / p95', `${report.queryMs.p50} / ${report.queryMs.p95} ms (${rounds} queries, top 10)`],
    ['peak RSS', `${report.peakRssMB} MB`],
    ['index on disk', `${report.indexMB} MB`],
  ];
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(18)} ${v}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
