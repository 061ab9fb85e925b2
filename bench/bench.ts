/**
 * `npm run bench` — indexing and query speed on a real corpus, so every machine measures the same bytes:
 * - `--corpus npm` (default): installed npm packages (TypeScript's compiler sources and
 *   declaration files, lodash), 20 MB, about 43k chunks;
 * - `--corpus large`: about 100k definitions in ten languages from Debian 12 packages
 *   (bench/corpus-large.ts); exits with status 2, naming the `apt-get install` to run, when one
 *   is missing.
 *
 *   npm run bench [-- --corpus npm|large] [--lexical-only | --model DIR] [--queries N] [--edits N] [--cli-runs N] [--json]
 *
 * Prints: files/s, functions/s, MB/s for a cold index and where its time went (waiting for the
 * parser, the model, index updates, writes) and how long queries asked meanwhile took; a no-change refresh; loading the index; query latency
 * p50/p95 measured in-process after warm-up; re-indexing one edited function in-process, with a
 * scan of the folder and again told the saved path (as the editor's engine is on a save); a query
 * from a new CLI process (opening included) and its RSS, before and after an edit; peak RSS;
 * index size on disk.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Engine } from '../src/engine/engine';
import { buildLargeCorpus, CorpusUnavailableError, listFiles, type LanguageCorpus } from './corpus-large';

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

/** Queries for the large corpus: plain-language ones across its ten languages, and names. */
const LARGE_QUERIES = [
  'parse a JSON document',
  'read a file line by line',
  'compress data with deflate',
  'encode bytes as base64',
  'sort a slice with a custom comparison',
  'format a date as a string',
  'acquire a mutex lock with a timeout',
  'open a TCP socket connection',
  'insert a key into a hash map',
  'allocate memory for a page',
  'parse command line arguments',
  'render a template with variables',
  'validate an email address',
  'walk the syntax tree and visit every node',
  'compute a checksum of a buffer',
  'HashMap',
  'StringBuilder',
  'kmalloc',
  'OptionParser',
  'EventDispatcher',
];

/** Copies the npm corpus into `dest` (node_modules itself is excluded from indexing by default). */
function buildNpmCorpus(dest: string): { files: number; bytes: number } {
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

/** Bytes per entry of the index folder (a sub-folder summed), largest first. */
function indexFiles(dir: string): { name: string; megabytes: number }[] {
  const size = (p: string): number => {
    const st = statSync(p);
    return st.isDirectory() ? readdirSync(p).reduce((n, e) => n + size(join(p, e)), 0) : st.size;
  };
  return readdirSync(dir)
    .map((name) => ({ name, megabytes: round(size(join(dir, name)) / 1e6, 1) }))
    .sort((a, b) => b.megabytes - a.megabytes || (a.name < b.name ? -1 : 1));
}

/** How often the cold index is asked a query (as an editor's search would arrive while it indexes). */
const PROBE_EVERY_MS = 250;

/**
 * Asks `engine` one of `queries` every {@link PROBE_EVERY_MS} while `work` runs, and watches this
 * thread's event-loop delay. A query's time counts from when it was due, not from when its timer
 * fired, so the wait behind indexing work on this thread is part of it — what a search request
 * arriving then would wait.
 */
async function probeWhile<T>(engine: Engine, queries: readonly string[], work: Promise<T>): Promise<{ result: T; queryMs: number[]; loopDelayMs: { p50: number; p99: number; max: number } }> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let done = false;
  const queryMs: number[] = [];
  const asking = (async () => {
    let due = performance.now() + PROBE_EVERY_MS;
    for (let i = 0; !done; i++) {
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      if (done) break;
      await engine.search(queries[i % queries.length], { top: 10 });
      const end = performance.now();
      queryMs.push(end - due);
      due = Math.max(due + PROBE_EVERY_MS, end);
    }
  })();
  try {
    await work;
  } finally {
    // the query in flight when the work ends is counted too, before the times are sorted
    done = true;
    await asking;
    loop.disable();
  }
  return { result: await work, queryMs: queryMs.sort((a, b) => a - b), loopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

/** Comment syntax for the one-line edit of a definition, by corpus folder (= language); `//` for the others. */
const LINE_COMMENT = new Map([
  ['python', '#'],
  ['ruby', '#'],
]);

/**
 * The definitions to edit: per language folder, the first function or method (by path, then line)
 * spanning at least 3 lines, so that a line inserted after its first line lies inside it.
 */
function pickEdits(engine: Engine, count: number): { path: string; line: number; language: string; name: string }[] {
  const first = new Map<string, { path: string; line: number; language: string; name: string }>();
  const sites = engine
    .definitions()
    .filter((d) => (d.kind === 'function' || d.kind === 'method') && d.endLine - d.startLine >= 2)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.startLine - b.startLine));
  for (const d of sites) {
    const language = d.path.split('/')[0];
    if (!first.has(language)) first.set(language, { path: d.path, line: d.startLine, language, name: d.name });
  }
  return [...first.values()].slice(0, count);
}

/** Inserts a comment line after line `line` (1-based) of `file`: a saved edit inside one function. */
function editInside(file: string, line: number, language: string, tag: string): void {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  lines.splice(line, 0, `${LINE_COMMENT.get(language) ?? '//'} codescout bench edit ${tag}`);
  writeFileSync(file, lines.join('\n'));
}

/**
 * This process's peak resident memory in KiB: VmHWM on Linux, where `resourceUsage().maxRSS` of a
 * process started by fork and exec also counts its parent's resident memory at the fork (a child
 * of this 1 GB benchmark would report at least that); maxRSS elsewhere. Self-contained: the CLI's
 * preload runs its source.
 */
function peakRssKB(): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

/** Runs the CLI once; its wall time (spawn to exit) and its own peak RSS, reported by a preloaded exit hook. */
function cliSearch(args: string[], preload: string): { ms: number; rssMB: number } {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--require', preload, resolve('bin/codescout.js'), ...args], { encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`codescout ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  const rss = /codescout-bench-maxrss (\d+)/.exec(r.stderr);
  return { ms, rssMB: rss ? Math.round(Number(rss[1]) / 1024) : NaN };
}

async function main() {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string', default: 'npm' },
      model: { type: 'string' },
      'lexical-only': { type: 'boolean' },
      queries: { type: 'string' },
      edits: { type: 'string' },
      'cli-runs': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const large = values.corpus === 'large';
  if (!large && values.corpus !== 'npm') throw new UsageError(`--corpus is npm or large, not ${JSON.stringify(values.corpus)}`);
  const count = (name: 'queries' | 'edits' | 'cli-runs', fallback: number): number => {
    const given = values[name];
    if (given === undefined) return fallback;
    const n = Number(given);
    if (!/^\d+$/.test(given) || !Number.isSafeInteger(n)) throw new UsageError(`--${name} takes a whole number ≥ 0, not ${JSON.stringify(given)}`);
    return n;
  };
  const rounds = count('queries', 200);
  if (rounds < 1) throw new UsageError('--queries takes a whole number ≥ 1: the query latency is the point of the run');
  const editCount = count('edits', large ? 10 : 2);
  const cliRuns = count('cli-runs', 3);
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'codescout-bench-'));
  // the corpus and its index can be most of a gigabyte: removed however the run ends (an error, Ctrl-C)
  const removeWork = () => rmSync(work, { recursive: true, force: true });
  process.once('exit', removeWork);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.once(signal, () => process.exit(code));
  const folder = join(work, 'corpus');
  const indexDir = join(work, 'index');
  let corpus: { files: number; bytes: number };
  let languages: LanguageCorpus[] = [];
  const tb = performance.now();
  try {
    if (large) {
      languages = buildLargeCorpus(folder, work);
      corpus = { files: languages.reduce((n, l) => n + l.files, 0), bytes: languages.reduce((n, l) => n + l.bytes, 0) };
    } else {
      corpus = buildNpmCorpus(folder);
    }
  } catch (err) {
    removeWork();
    throw err;
  }
  const buildSeconds = (performance.now() - tb) / 1000;
  const notices: string[] = [];
  const lexicalOnly = values['lexical-only'] === true;
  const modelDir = values.model ? resolve(values.model) : undefined;
  const open = () =>
    Engine.open(folder, {
      indexDir,
      model: lexicalOnly ? null : modelDir,
      // typescript.js is ~9 MB: a stress test for the parser; the large corpus keeps the default cap
      maxFileBytes: large ? undefined : 16 * 1024 * 1024,
      log: (m) => notices.push(m),
    });

  let engine = await open();
  const queries = large ? LARGE_QUERIES : QUERIES;
  const t0 = performance.now();
  const { result: cold, queryMs: whileIndexing, loopDelayMs } = await probeWhile(engine, queries, engine.refresh());
  const coldSeconds = (performance.now() - t0) / 1000;
  const peakRssColdMB = Math.round(peakRssKB() / 1024);
  await engine.close();
  const coldIndexFiles = indexFiles(indexDir);

  // A fresh process would load the index from disk: measure that, then a no-change refresh.
  const t1 = performance.now();
  engine = await open();
  const loadSeconds = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  await engine.refresh();
  const noopSeconds = (performance.now() - t2) / 1000;

  const contents = engine.contents();
  const definitionsByFolder = new Map<string, number>();
  // a long definition is indexed as several windows, each a definition chunk: these are the definitions
  // themselves (the windows of one share path, kind, container, name and signature)
  const distinctDefinitions = new Set(engine.definitions().map((d) => `${d.path}\0${d.kind}\0${d.container ?? ''}\0${d.name}\0${d.signature}`)).size;
  for (const d of engine.definitions()) {
    const top = d.path.split('/')[0];
    definitionsByFolder.set(top, (definitionsByFolder.get(top) ?? 0) + 1);
  }

  for (const q of queries) await engine.search(q, { top: 10 }); // warm-up
  const latencies: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const q = queries[i % queries.length];
    const s = performance.now();
    await engine.search(q, { top: 10 });
    latencies.push(performance.now() - s);
  }
  latencies.sort((a, b) => a - b);
  const rssAfterQueriesMB = Math.round(process.memoryUsage().rss / 1048576);

  // One saved function, re-indexed in-process: insert a line inside a function, refresh, time it.
  const edits: { language: string; path: string; name: string; ms: number; filesParsed: number; chunksEmbedded: number }[] = [];
  // Then the same function edited again, the refresh told the saved path, as the editor's engine is on a save.
  const toldEdits: typeof edits = [];
  const sites = pickEdits(engine, editCount);
  for (const e of sites) {
    for (const [list, paths] of [[edits, undefined], [toldEdits, [e.path]]] as const) {
      editInside(join(folder, ...e.path.split('/')), e.line, e.language, paths ? 'in-process, told' : 'in-process');
      const s = performance.now();
      const r = await engine.refresh({ paths });
      list.push({ language: e.language, path: e.path, name: e.name, ms: performance.now() - s, filesParsed: r.filesParsed, chunksEmbedded: r.chunksEmbedded });
      if (r.filesParsed !== 1) notices.push(`the edit of ${e.path} re-parsed ${r.filesParsed} files, not 1: its time is not one file's`);
    }
  }
  const status = await engine.status();
  await engine.close();
  const editedIndexFiles = indexFiles(indexDir);

  // A query from a new CLI process (open, no-change refresh, one search), then after one edited function.
  const preload = join(work, 'maxrss.js');
  // the process's own peak: on Linux VmHWM, since maxRSS after fork and exec also counts the
  // parent's (this benchmark's) resident memory at the fork
  writeFileSync(preload, `const peak = ${peakRssKB.toString()};\nprocess.on('exit', () => process.stderr.write(\`codescout-bench-maxrss \${peak()}\\n\`));\n`);
  const cliArgs = (q: string) => ['search', folder, '--index-dir', indexDir, '--top', '10', '--json', ...(lexicalOnly ? ['--lexical-only'] : modelDir ? ['--model', modelDir] : []), ...(large ? [] : ['--max-file-bytes', String(16 * 1024 * 1024)]), q];
  const cliPlain: { ms: number; rssMB: number }[] = [];
  const cliAfterEdit: { ms: number; rssMB: number }[] = [];
  // the same functions again: their first line has not moved, and a line inserted after it is still inside them
  const afterEdits = Array.from({ length: sites.length ? cliRuns : 0 }, (_, i) => sites[i % sites.length]);
  for (let i = 0; i < cliRuns; i++) cliPlain.push(cliSearch(cliArgs(queries[i % queries.length]), preload));
  for (let i = 0; i < afterEdits.length; i++) {
    const e = afterEdits[i];
    const file = join(folder, ...e.path.split('/'));
    editInside(file, e.line, e.language, `cli ${i}`);
    cliAfterEdit.push(cliSearch(cliArgs(queries[i % queries.length]), preload));
  }
  removeWork();

  const functions = contents.definitions;
  const report = {
    /** when the run started (UTC) */
    date: started.toISOString().slice(0, 16) + 'Z',
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
    corpusName: large ? 'large' : 'npm',
    mode: cold.mode,
    model: cold.model ?? null,
    corpus: { files: corpus.files, megabytes: round(corpus.bytes / 1e6, 1), buildSeconds: round(buildSeconds, 1) },
    languages: large
      ? languages.map((l) => ({
          language: l.language,
          packages: l.packages,
          files: l.files,
          megabytes: round(l.bytes / 1e6, 2),
          chunks: Object.hasOwn(contents.languages, l.language) ? contents.languages[l.language] : 0,
          definitions: definitionsByFolder.get(l.language) ?? 0,
        }))
      : undefined,
    /** definitions: definition chunks ("functions" in the figures below); distinctDefinitions: a long one split into windows counted once */
    indexed: { files: cold.files, chunks: cold.chunks, definitions: functions, distinctDefinitions, skipped: cold.skipped },
    coldIndexSeconds: round(coldSeconds, 2),
    filesPerSecond: Math.round(cold.files / coldSeconds),
    /** chunks (definitions and line windows) per second, as this benchmark has always reported */
    chunksPerSecond: Math.round(cold.chunks / coldSeconds),
    /** definition chunks (functions, methods, classes, …) per second */
    functionsPerSecond: Math.round(functions / coldSeconds),
    megabytesPerSecond: round(corpus.bytes / 1e6 / coldSeconds, 2),
    /** where the cold index's time went on the indexing thread (IndexSummary.time), seconds */
    coldIndexTime: Object.fromEntries(Object.entries(cold.time).map(([k, v]) => [k, round(v, 2)])),
    /** chunks embedded per second of model time: the model's own throughput inside indexing */
    embeddedPerModelSecond: cold.chunksEmbedded && cold.time.embed ? Math.round(cold.chunksEmbedded / cold.time.embed) : null,
    /** queries asked every PROBE_EVERY_MS during the cold index, timed from when each was due (in-process) */
    whileIndexingMs: {
      p50: round(percentile(whileIndexing, 50), 1),
      p95: round(percentile(whileIndexing, 95), 1),
      max: round(whileIndexing[whileIndexing.length - 1] ?? NaN, 1),
      n: whileIndexing.length,
      /** this thread's event-loop delay over the cold index (perf_hooks.monitorEventLoopDelay) */
      eventLoopDelay: { p50: round(loopDelayMs.p50, 1), p99: round(loopDelayMs.p99, 1), max: round(loopDelayMs.max, 1) },
    },
    loadSeconds: round(loadSeconds, 3),
    noChangeRefreshSeconds: round(noopSeconds, 3),
    queryMs: { p50: round(percentile(latencies, 50), 2), p95: round(percentile(latencies, 95), 2), max: round(latencies[latencies.length - 1], 2), n: rounds },
    editOneFunctionMs: {
      median: round(median(edits.map((e) => e.ms)), 1),
      max: round(Math.max(...edits.map((e) => e.ms)), 1),
      runs: edits.map((e) => ({ ...e, ms: round(e.ms, 1) })),
      /** the same functions edited again, the refresh told the path (`refresh({ paths })`, as the editor's engine on a save) */
      toldPath: {
        median: round(median(toldEdits.map((e) => e.ms)), 1),
        max: round(Math.max(...toldEdits.map((e) => e.ms)), 1),
        runs: toldEdits.map((e) => ({ ...e, ms: round(e.ms, 1) })),
      },
    },
    cliSearch: {
      ms: round(median(cliPlain.map((c) => c.ms)), 0),
      afterEditMs: round(median(cliAfterEdit.map((c) => c.ms)), 0),
      rssMB: round(median(cliPlain.map((c) => c.rssMB)), 0),
      runs: cliRuns,
    },
    /** peak RSS of this process when the cold index was done (corpus copy and cold index) */
    peakRssColdMB,
    /** peak RSS over the whole run */
    peakRssMB: Math.round(peakRssKB() / 1024),
    rssAfterQueriesMB,
    /** the index folder after the cold index, by file */
    coldIndexFiles,
    /** the whole index folder after the cold index (a commit deletes the generation before it) */
    coldIndexMB: round(coldIndexFiles.reduce((n, f) => n + f.megabytes, 0), 1),
    /** the index's size as `status` reports it, after the edits */
    indexMB: round(status.indexBytes / 1e6, 1),
    editedIndexFiles,
    indexMBPer1kFunctions: 0,
    indexMBPer1kChunks: 0,
  };
  report.indexMBPer1kFunctions = round(report.coldIndexMB / (functions / 1000), 2);
  report.indexMBPer1kChunks = round(report.coldIndexMB / (cold.chunks / 1000), 2);
  if (values.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return;
  }
  for (const n of new Set(notices)) process.stderr.write(`bench: ${n}\n`);
  const rows: [string, string][] = [
    ['date', report.date],
    ['machine', report.machine],
    ['mode', `${report.mode}${report.model ? ` (${report.model})` : ''}`],
    [
      'corpus',
      `${report.corpus.files} files, ${report.corpus.megabytes} MB (${large ? 'large: Debian packages' : 'npm: typescript, lodash from node_modules'}; built in ${report.corpus.buildSeconds} s)`,
    ],
    ...(report.languages ?? []).map(
      (l) => [`  ${l.language}`, `${l.files} files, ${l.megabytes} MB, ${l.chunks} chunks, ${l.definitions} definitions (${l.packages.join(', ')})`] as [string, string],
    ),
    ['indexed', `${report.indexed.files} files, ${report.indexed.chunks} chunks, ${report.indexed.definitions} definition chunks (${report.indexed.distinctDefinitions} definitions, a long one cut into windows counted once)`],
    ['cold index', `${report.coldIndexSeconds} s`],
    ['files/s', String(report.filesPerSecond)],
    ['chunks/s', String(report.chunksPerSecond)],
    ['functions/s', `${report.functionsPerSecond} (definition chunks)`],
    ['MB/s', String(report.megabytesPerSecond)],
    [
      'cold index time',
      Object.entries(report.coldIndexTime).map(([k, v]) => `${k} ${v} s`).join(', ') + ' (indexing thread; parsing runs on workers)',
    ],
    ...(report.embeddedPerModelSecond ? [['model throughput', `${report.embeddedPerModelSecond} chunks per second of model time`] as [string, string]] : []),
    [
      'while indexing',
      `queries p50 / p95 ${report.whileIndexingMs.p50} / ${report.whileIndexingMs.p95} ms, max ${report.whileIndexingMs.max} ms (${report.whileIndexingMs.n} asked during the cold index, one every ${PROBE_EVERY_MS} ms, timed from when due); ` +
        `event-loop delay p50 / p99 ${report.whileIndexingMs.eventLoopDelay.p50} / ${report.whileIndexingMs.eventLoopDelay.p99} ms, max ${report.whileIndexingMs.eventLoopDelay.max} ms`,
    ],
    ['load index', `${report.loadSeconds} s`],
    ['no-change refresh', `${report.noChangeRefreshSeconds} s`],
    ['query p50 / p95', `${report.queryMs.p50} / ${report.queryMs.p95} ms, max ${report.queryMs.max} ms (${rounds} queries, top 10, in-process)`],
    [
      'edit one function',
      edits.length
        ? `median ${report.editOneFunctionMs.median} ms, max ${report.editOneFunctionMs.max} ms (${edits.length} edits, in-process refresh: ${edits.map((e) => `${e.language} ${Math.round(e.ms)}`).join(', ')})`
        : 'not measured (--edits 0)',
    ],
    [
      'edit, path told',
      toldEdits.length
        ? `median ${report.editOneFunctionMs.toldPath.median} ms, max ${report.editOneFunctionMs.toldPath.max} ms (the same functions again, refresh({ paths }) as on an editor save: ${toldEdits.map((e) => `${e.language} ${Math.round(e.ms)}`).join(', ')})`
        : 'not measured (--edits 0)',
    ],
    [
      'CLI search',
      cliRuns
        ? `${report.cliSearch.ms} ms, ${report.cliSearch.rssMB} MB RSS; after one edited function ${report.cliSearch.afterEditMs} ms (median of ${cliRuns}, new process each)`
        : 'not measured (--cli-runs 0)',
    ],
    ['peak RSS', `${report.peakRssColdMB} MB at the end of the cold index, ${report.peakRssMB} MB over the run; ${report.rssAfterQueriesMB} MB after load and queries`],
    [
      'index on disk',
      `${report.coldIndexMB} MB, the whole folder after the cold index; ${report.indexMBPer1kFunctions} MB per 1k functions (${report.indexMBPer1kChunks} per 1k chunks): ` +
        report.coldIndexFiles.map((f) => `${f.name} ${f.megabytes}`).join(', '),
    ],
    ['after the edits', `${report.indexMB} MB: ${report.editedIndexFiles.map((f) => `${f.name} ${f.megabytes}`).join(', ')}`],
  ];
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(18)} ${v}\n`);
}

class UsageError extends Error {}

main().catch((err) => {
  if (err instanceof CorpusUnavailableError || err instanceof UsageError) {
    process.stderr.write(`bench: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
