/**
 * Crash consistency of the `codescout index` process, end to end: it is killed with SIGKILL at
 * random moments while the workspace changes between runs, then a last run finishes. The index
 * must then equal a clean index of the final workspace: the same files and chunks (catalog,
 * lexical documents, vectors, `status --json`) and the same answers to a fixed query set
 * (`search --json`, hybrid with the tiny model and lexical-only). No run may find the index
 * damaged, and the last run parses only the files changed since the last commit.
 * Also: `index` and `search` processes at once on one index folder.
 *
 * `npm test` kills each series a few times; `npm run fuzz` (CODESCOUT_FUZZ_SCALE) many more times,
 * over a larger workspace, with a fresh seed each run. A failure names its seed;
 * CODESCOUT_FUZZ_SEED replays it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { cp, rm, utimes } from 'node:fs/promises';
import * as path from 'node:path';
import { Engine } from '../src/engine/engine';
import { LIMITS } from '../src/cli/args';
import { loadEmbedder } from '../src/engine/vectors/onnx-embedder';
import type { Embedder } from '../src/engine/vectors/embedder';
import { runCli, type Run, type RunOptions } from './helpers/cli-process';
import { FUZZ_SCALE } from './helpers/fuzz';
import { canonical, differingFiles, snapshotIndex, type IndexSnapshot } from './helpers/index-snapshot';
import { seededRandom } from './helpers/random';
import { buildFixtureModel, TempDirs, writeIn } from './helpers/workspace';

const FUZZING = FUZZ_SCALE > 1;
/** Kills per series: at least 20 under `npm run fuzz`. */
const KILLS = FUZZING ? Math.max(20, Math.round(FUZZ_SCALE / 2)) : 4;
/** Files × functions per file: a few thousand functions under `npm run fuzz`, fewer in `npm test` to keep it quick. */
const FILES = FUZZING ? 200 : 20;
const FUNCTIONS_PER_FILE = 15;
/** `npm test` runs the hybrid series (model, vectors and embedding cache included); `npm run fuzz` both. */
const MODES = FUZZING ? (['hybrid', 'lexical-only'] as const) : (['hybrid'] as const);
const SEED = seedFromEnv() ?? (FUZZING ? (Math.random() * 2 ** 32) >>> 0 : 0x0c1a5e);

const QUERIES = ['parse the tokens', 'read the file from disk', 'http request response', 'check the user password', 'retry on error', 'fn_12_3', 'add the numbers for item 42'];
const PHRASES = ['parse the tokens', 'read the file from disk', 'send the http request', 'add the numbers', 'check the user password', 'retry on error', 'render the button'];
/**
 * As many results as the CLI gives (every result in `npm test`'s workspace), so that the answer does
 * not depend on how ties between equal scores are broken (by chunk id); see {@link answers} for a full list.
 */
const ALL = String(LIMITS.top);

function seedFromEnv(): number | undefined {
  const text = process.env.CODESCOUT_FUZZ_SEED;
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Runs `codescout args…`, without a time limit: the kills are the test's. */
function run(args: string[], opts: Pick<RunOptions, 'input' | 'killAfterMs' | 'killWhen'> = {}): Promise<Run> {
  return runCli(args, opts);
}

/** A workspace that changes: files are edited, added, deleted and touched, deterministically from a seed. */
class Workspace {
  /** file number → version (absent: deleted) */
  private readonly versions = new Map<number, number>();
  private nextFile: number;

  constructor(
    readonly root: string,
    private readonly random: () => number,
  ) {
    this.nextFile = FILES;
  }

  async create(): Promise<void> {
    for (let f = 0; f < FILES; f++) await this.write(f, 1);
  }

  /** A few random edits, additions, deletions and touches. */
  async mutate(): Promise<void> {
    const live = () => [...this.versions.keys()];
    const pick = () => live()[Math.floor(this.random() * live().length)];
    const edits = 1 + Math.floor(this.random() * 0.4 * this.versions.size); // enough for a run to have real work
    for (let i = 0; i < edits; i++) {
      const f = pick();
      await this.write(f, this.versions.get(f)! + 1);
    }
    if (this.random() < 0.5) await this.write(this.nextFile++, 1);
    if (this.random() < 0.5 && this.versions.size > 1) {
      const f = pick();
      this.versions.delete(f);
      await rm(path.join(this.root, fileOf(f)));
    }
    if (this.random() < 0.5) {
      const later = new Date(Date.now() + Math.floor(this.random() * 1e6));
      await utimes(path.join(this.root, fileOf(pick())), later, later);
    }
  }

  private async write(f: number, version: number): Promise<void> {
    this.versions.set(f, version);
    const functions: string[] = [];
    for (let k = 0; k < FUNCTIONS_PER_FILE; k++) {
      const n = f * FUNCTIONS_PER_FILE + k;
      const phrase = PHRASES[(n + version) % PHRASES.length];
      const second = PHRASES[(Math.floor(n / PHRASES.length) + version) % PHRASES.length];
      functions.push(`def fn_${f}_${k}(value):\n    """${phrase}, then ${second}, for item ${n} (v${version})."""\n    return value + ${n * version}\n`);
    }
    await writeIn(this.root, fileOf(f), functions.join('\n\n'));
  }
}

const fileOf = (f: number) => `pkg${Math.floor(f / 20)}/mod_${f}.py`;

const temp = new TempDirs();
let modelDir: string;
let embedder: Embedder;

before(async () => {
  modelDir = (await buildFixtureModel(await temp.make('crash-model'))).dir;
  embedder = await loadEmbedder(modelDir);
});
after(async () => {
  await embedder?.dispose();
  await temp.cleanup();
});

/**
 * `stderr` without the line a run prints when the previous one was killed while appending a change
 * to the change log: that change is dropped and its files indexed again, as documented (docs/cli.md,
 * "A small change is appended"). A kill can land in that append; it is not damage.
 */
function withoutTornChange(stderr: string): string {
  return stderr.replace(/^codescout: the last change saved to the index is incomplete or damaged \(a process stopped while saving it, or the file was damaged\); its files are indexed again$/m, '');
}

/** Parsed counts from the summary line of `index`. */
function summaryCounts(stderr: string): { files: number; parsed: number; removed: number; chunks: number } {
  const m = /indexed (\d+) files \((\d+) parsed, (\d+) removed\), (\d+) chunks/.exec(stderr);
  assert.ok(m, `a summary line:\n${stderr}`);
  return { files: Number(m[1]), parsed: Number(m[2]), removed: Number(m[3]), chunks: Number(m[4]) };
}

/** The parts of `status --json` that describe the index's contents. */
function contentStatus(stdout: string): unknown {
  const { files, chunks, languages, stale, skippedByReason, skipped, mode, model } = JSON.parse(stdout);
  return { files, chunks, languages, stale, skippedByReason, skipped, mode, model };
}

/** The answers to {@link QUERIES}, every result of each, in a canonical order. */
function answers(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const { query, searchedFor, results } = JSON.parse(l) as { query: string; searchedFor?: string; results: { path: string; startLine: number; score: number }[] };
      const sorted = [...results].sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.startLine - b.startLine));
      // A full list was cut inside the group of equal scores at its end, by chunk id: which of them made it is not part of the answer.
      if (sorted.length === LIMITS.top) {
        const last = sorted[sorted.length - 1].score;
        while (sorted.length && sorted[sorted.length - 1].score === last) sorted.pop();
      }
      return { query, searchedFor, results: sorted };
    });
}

/** Files whose indexed content differs between two snapshots: what a resumed run must parse. */
function changedContent(committed: IndexSnapshot, clean: IndexSnapshot): number {
  let n = 0;
  for (const [p, f] of clean.files) {
    const before = committed.files.get(p);
    if (!f.skip && (!before || before.hash !== f.hash || before.skip)) n++;
  }
  return n;
}

for (const mode of MODES) {
  describe(`the index survives SIGKILL at random moments (${mode}, ${KILLS} kills, seed ${SEED})`, () => {
    test('after the last run finishes, it equals a clean index of the same files, and answers the same', async (t) => {
      const random = seededRandom(SEED ^ (mode === 'hybrid' ? 0 : 0x9e3779b9));
      const modelArgs = mode === 'hybrid' ? ['--model', modelDir] : ['--lexical-only'];
      const ws = new Workspace(path.join(await temp.make('crash-ws'), 'ws'), random);
      await ws.create();
      const indexDir = await temp.make('crash-index');
      const index = (dir: string, kill: { killAfterMs?: number; killWhen?: () => boolean } = {}) =>
        run(['index', ws.root, '--index-dir', dir, ...modelArgs], kill);
      const useEmbedder = mode === 'hybrid' ? embedder : undefined;

      // The first run indexes everything, uninterrupted, and says how long a run takes here, to spread the kills over one.
      const first = await index(indexDir);
      assert.equal(first.code, 0, first.stderr);
      /** how long the last run that was not killed took */
      let runMs = first.ms;

      const outcomes: string[] = [];
      for (let i = 0; i < KILLS; i++) {
        await ws.mutate();
        // Kills anywhere in a run, near its end, and while it writes the new generation's files.
        const kind = i % 3;
        const at = Math.round((kind === 0 ? random() * 1.1 : 0.75 + random() * 0.3) * runMs);
        const generation = committedGeneration(indexDir);
        const killed = await index(indexDir, kind === 2 ? { killWhen: () => writingGeneration(indexDir, generation) } : { killAfterMs: at });
        const label = kind === 2 ? 'while writing' : `at ${at} ms`;
        const where = `seed ${SEED}, kill ${i + 1} ${label}`;
        // the one repair a kill may call for: a change it was appending, cut short, is dropped (docs/cli.md); nothing else
        assert.doesNotMatch(withoutTornChange(killed.stderr), /damaged|rebuilt|Error/, `${where}: ${killed.stderr}`);
        if (killed.signal === 'SIGKILL') outcomes.push(`killed ${label}${committedGeneration(indexDir) > generation ? ' (after it committed)' : ''}`);
        else {
          assert.equal(killed.code, 0, `${where}: ${killed.stderr}`);
          outcomes.push(`finished in ${Math.round(killed.ms)} ms`);
          runMs = killed.ms;
        }
      }
      t.diagnostic(`first run ${Math.round(first.ms)} ms; then ${outcomes.join(', ')}`);
      assert.ok(outcomes.some((o) => o.startsWith('killed')), `some runs were killed: ${outcomes.join(', ')}`);

      // What the last commit holds, then the run that finishes.
      await ws.mutate();
      // (read from a copy: opening the index itself would already repair what the kills left)
      const copy = await temp.make('crash-committed');
      await cp(indexDir, copy, { recursive: true });
      const committed = await snapshotIndex(ws.root, copy, useEmbedder).catch(() => undefined);
      const last = await index(indexDir);
      assert.equal(last.code, 0, `seed ${SEED}: ${last.stderr}`);
      assert.doesNotMatch(withoutTornChange(last.stderr), /damaged|rebuilt/, `seed ${SEED}: the killed runs left a state the next run resumes from`);

      // The reference: a clean index of the same files, made and asked in this process.
      const cleanDir = await temp.make('crash-clean');
      const reference = await Engine.open(ws.root, { indexDir: cleanDir, model: mode === 'hybrid' ? modelDir : null });
      let wantStatus: unknown;
      const wantAnswers: unknown[] = [];
      try {
        assert.equal((await reference.refresh()).cancelled, false);
        wantStatus = contentStatus(JSON.stringify(await reference.status()));
        for (const query of QUERIES) {
          const { hits: results, searchedFor } = await reference.searchAnswer(query, { top: Number(ALL) });
          wantAnswers.push(...answers(JSON.stringify({ query, ...(searchedFor && { searchedFor }), results })));
        }
      } finally {
        await reference.close();
      }

      const [got, want] = [await snapshotIndex(ws.root, indexDir, useEmbedder), await snapshotIndex(ws.root, cleanDir, useEmbedder)];
      assert.deepEqual(differingFiles(got, want), [], `seed ${SEED}: files whose entries differ from a clean index`);
      assert.equal(canonical(got.scanSkipped), canonical(want.scanSkipped));
      assert.deepEqual([got.chunks, got.lexicalDocuments, got.vectors], [want.chunks, want.lexicalDocuments, want.vectors]);
      if (committed) {
        assert.equal(summaryCounts(last.stderr).parsed, changedContent(committed, want), `seed ${SEED}: the last run parses only what changed since the last commit`);
      }

      const status = await run(['status', ws.root, '--index-dir', indexDir, '--json', ...modelArgs]);
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(contentStatus(status.stdout), wantStatus, `seed ${SEED}: status --json`);

      const search = await run(['search', ws.root, '--index-dir', indexDir, '--json', '--top', ALL, ...modelArgs], { input: QUERIES.join('\n') + '\n' });
      assert.equal(search.code, 0, search.stderr);
      const got1 = answers(search.stdout);
      assert.equal(got1.length, QUERIES.length);
      assert.ok((wantAnswers as { results: unknown[] }[]).every((a) => a.results.length > 0), 'every query finds something');
      assert.deepEqual(got1, wantAnswers, `seed ${SEED}: the same answers as a clean index`);
    });
  });
}

describe(`index and search processes at once on one index folder (seed ${SEED})`, () => {
  const ROUNDS = FUZZING ? 10 : 1;
  const SEARCHES = FUZZING ? 3 : 2;

  test('every search answers from a whole saved index, the old one or the new one; the index ends intact', async (t) => {
    const random = seededRandom(SEED ^ 0x5bd1e995);
    const ws = new Workspace(path.join(await temp.make('concurrent-ws'), 'ws'), random);
    await ws.create();
    const indexDir = await temp.make('concurrent-index');
    const modelArgs = ['--model', modelDir];
    const index = () => run(['index', ws.root, '--index-dir', indexDir, ...modelArgs]);
    const search = () => run(['search', ws.root, '--index-dir', indexDir, '--json', '--top', ALL, ...modelArgs], { input: QUERIES.join('\n') + '\n' });
    await indexInProcess(ws.root, indexDir);
    const seen: string[] = [];
    let before = await search();
    assert.equal(before.code, 0, before.stderr);
    for (let round = 0; round < ROUNDS; round++) {
      await ws.mutate();
      // The index run and the searches start together, the searches a little apart; under
      // `npm run fuzz` each search is followed by another until the index run has ended.
      let indexing = true;
      const indexRun = index().finally(() => (indexing = false));
      const searchLoop = async (i: number): Promise<Run[]> => {
        await delay(Math.round(random() * 100 * i));
        const done: Run[] = [await search()];
        while (FUZZING && indexing) done.push(await search());
        return done;
      };
      const [indexed, searched] = await Promise.all([indexRun, Promise.all(Array.from({ length: SEARCHES }, (_, i) => searchLoop(i))).then((r) => r.flat())]);
      const where = `seed ${SEED}, round ${round + 1}`;
      assert.equal(indexed.code, 0, `${where}: ${indexed.stderr}`);
      const after = await search();
      assert.equal(after.code, 0, after.stderr);
      const [old, now] = [canonical(answers(before.stdout)), canonical(answers(after.stdout))];
      assert.notEqual(old, now, `${where}: the changes show in the answers`);
      for (const r of searched) {
        assert.equal(r.code, 0, `${where}: a search alongside the index run failed:\n${r.stderr}`);
        assert.doesNotMatch(r.stderr, /damaged|rebuilt/, `${where}: ${r.stderr}`);
        const got = canonical(answers(r.stdout));
        assert.ok(got === old || got === now, `${where}: a search answered from neither the old index nor the new one:\n${r.stderr}`);
        seen.push(got === old ? 'old' : 'new');
      }
      before = after;
    }
    t.diagnostic(`searches answered from: ${seen.join(', ')}`);

    // The index ends intact: the same as a clean index of the same files.
    const last = await index();
    assert.equal(last.code, 0, last.stderr);
    assert.doesNotMatch(last.stderr, /damaged|rebuilt/);
    assert.equal(summaryCounts(last.stderr).parsed, 0, 'the index run saved everything');
    const cleanDir = await temp.make('concurrent-clean');
    await indexInProcess(ws.root, cleanDir);
    const [got, want] = [await snapshotIndex(ws.root, indexDir, embedder), await snapshotIndex(ws.root, cleanDir, embedder)];
    assert.deepEqual(differingFiles(got, want), []);
    assert.deepEqual([got.chunks, got.lexicalDocuments, got.vectors], [want.chunks, want.lexicalDocuments, want.vectors]);
  });
});

/** The generation manifest.json names (0 when there is none or it cannot be read). */
function committedGeneration(indexDir: string): number {
  try {
    return Number(JSON.parse(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8')).generation) || 0;
  } catch {
    return 0;
  }
}

/** Whether a file of a generation after `committed` has appeared: a commit is being written. */
function writingGeneration(indexDir: string, committed: number): boolean {
  try {
    return readdirSync(indexDir).some((f) => {
      const m = /\.g(\d+)(\.|$)/.exec(f);
      return m !== null && Number(m[1]) > committed;
    });
  } catch {
    return false;
  }
}

async function indexInProcess(root: string, indexDir: string): Promise<void> {
  const engine = await Engine.open(root, { indexDir, model: modelDir });
  await engine.refresh();
  await engine.close();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
