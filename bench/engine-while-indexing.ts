/**
 * The engine process's side of the editor's palette searches while a folder is indexed from
 * nothing, without an editor: `dist/server.js` started as the extension starts it (its V8 flags,
 * `--nice 10` in a session of its own unless `--nice 0`), the folder configured with indexing on
 * open into a new index folder, and every 2 s one search as the palette sends it (top 20, no
 * filters). Each search is timed here from request to answer (the round trip), and by the engine
 * itself (its debug log line: the handler's time). Once the index is complete, 8 more searches give
 * the idle figures. So the editor benchmark's "engine's part" can be split into what the engine
 * process does and what the editor adds.
 *
 *   node out/bench/engine-while-indexing.js --workspace DIR [--runs N] [--nice 0|1–19] [--server FILE]
 *
 * Prints each run's medians and the medians over the runs. The large corpus of `npm run bench --
 * --corpus large` is the workspace the figures in BENCHMARKS.md use.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Configure, FolderStatusChanged, Log, Search, SetLogLevel, Shutdown } from '../src/protocol/protocol';
import { ENGINE_EXEC_ARGV } from '../src/server/launch';
import { PALETTE_QUERIES } from './palette-queries';

const ROOT = join(__dirname, '..', '..');
/** As the editor benchmark types them into the palette. */
const QUERIES = PALETTE_QUERIES;
const EVERY_MS = 2000;
const IDLE_SEARCHES = 8;
const RUN_LIMIT_MS = 15 * 60_000;

const { values: args } = parseArgs({
  options: {
    workspace: { type: 'string' },
    runs: { type: 'string', default: '1' },
    nice: { type: 'string', default: '10' },
    server: { type: 'string', default: join(ROOT, 'dist', 'server.js') },
  },
});

interface Timed {
  indexing: boolean;
  roundTripMs: number;
  engineMs: number | undefined;
}

interface RunFigures {
  searchesIndexing: number;
  roundTripIndexing: number | null;
  engineIndexing: number | null;
  roundTripIdle: number | null;
  engineIdle: number | null;
  indexSeconds: number;
}

function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function run(workspace: string, nice: number, server: string): Promise<RunFigures> {
  const indexLocation = mkdtempSync(join(tmpdir(), 'codescout-bench-while-indexing-'));
  const lowered = nice > 0;
  const child = spawn(process.execPath, [...ENGINE_EXEC_ARGV, server, ...(lowered ? ['--nice', String(nice)] : []), '--restart-above-mb', '0'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: lowered && process.platform === 'linux',
  });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const handlerMs: number[] = [];
  let state = 'opening';
  connection.onNotification(Log, (p) => {
    const timed = /^search: .* in (\d+) ms$/.exec(p.message);
    if (timed) handlerMs.push(Number(timed[1]));
  });
  connection.onNotification(FolderStatusChanged, (s) => void (state = s.state));
  connection.listen();
  const started = performance.now();
  let indexedAt: number | undefined;
  const timed: Timed[] = [];
  try {
    void connection.sendNotification(SetLogLevel, { level: 'debug' });
    const options = { include: [], exclude: [], maxFileBytes: 1024 * 1024, threads: 1, spelling: true, indexLocation };
    await connection.sendRequest(Configure, { folders: [{ root: workspace, name: 'workspace', options }], indexOnOpen: true });
    for (let i = 0; timed.filter((t) => !t.indexing).length < IDLE_SEARCHES; i++) {
      if (performance.now() - started > RUN_LIMIT_MS) throw new Error(`the workspace was not indexed within ${RUN_LIMIT_MS / 60_000} minutes`);
      await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
      const indexing = state !== 'ready';
      if (!indexing) indexedAt ??= performance.now();
      const before = handlerMs.length;
      const sent = performance.now();
      const answer = await connection.sendRequest(Search, { text: QUERIES[i % QUERIES.length], top: 20, languages: [], paths: [] });
      const roundTripMs = performance.now() - sent;
      // the engine's log line comes just before its answer; give it a moment when it does not
      for (let wait = 0; handlerMs.length === before && wait < 20; wait++) await new Promise((resolve) => setTimeout(resolve, 5));
      // a search that found nothing while the index was young is not what a user waits for
      if (answer.hits.length) timed.push({ indexing, roundTripMs, engineMs: handlerMs.length > before ? handlerMs.at(-1) : undefined });
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await connection.sendRequest(Shutdown, undefined).catch(() => undefined);
    child.stdin!.end();
    await exited;
    connection.dispose();
    rmSync(indexLocation, { recursive: true, force: true });
  }
  const of = (indexing: boolean, pick: (t: Timed) => number | undefined) =>
    median(timed.filter((t) => t.indexing === indexing).map(pick).filter((v): v is number => v !== undefined));
  return {
    searchesIndexing: timed.filter((t) => t.indexing).length,
    roundTripIndexing: of(true, (t) => t.roundTripMs),
    engineIndexing: of(true, (t) => t.engineMs),
    roundTripIdle: of(false, (t) => t.roundTripMs),
    engineIdle: of(false, (t) => t.engineMs),
    indexSeconds: ((indexedAt ?? performance.now()) - started) / 1000,
  };
}

async function main(): Promise<void> {
  if (!args.workspace) throw new Error('--workspace DIR is required (the large corpus: npm run bench -- --corpus large)');
  const runs = Number(args.runs);
  const nice = Number(args.nice);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a whole number ≥ 1, not ${args.runs}`);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`--nice needs 0–19, not ${args.nice}`);
  console.log(`[bench:while-indexing] ${args.workspace}; ${runs} run(s); engine ${args.server} at niceness ${nice}`);
  const all: RunFigures[] = [];
  for (let i = 1; i <= runs; i++) {
    const figures = await run(args.workspace, nice, args.server!);
    all.push(figures);
    console.log(`run ${i}: ${JSON.stringify(figures)}`);
  }
  const keys = Object.keys(all[0]) as (keyof RunFigures)[];
  console.log('medians over the runs:');
  for (const key of keys) console.log(`  ${key}: ${median(all.map((f) => f[key]).filter((v): v is number => v !== null))}`);
}

main().catch((err: Error) => {
  console.error(`bench:while-indexing: ${err.message}`);
  process.exit(1);
});
