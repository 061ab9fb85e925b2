/**
 * Cancellation means "stop", never "conclude": a refresh cancelled in any phase (scan, parse,
 * embed, write) leaves, once reopened, every file's entry either as it was before the run or as
 * the finished run makes it; a cancelled scan changes nothing, and a folder the scan cannot read
 * keeps its files. Through the engine API, with deterministic cancellation points.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, readdirSync, readFileSync } from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Engine, type IndexSummary } from '../src/engine/engine';
import type { Progress } from '../src/engine/types';
import { WorkspaceFolderError } from '../src/engine/files/scan';
import { CONTENT_RULES_VERSION } from '../src/engine/files/text-files';
import { loadEmbedder } from '../src/engine/vectors/onnx-embedder';
import type { Embedder } from '../src/engine/vectors/embedder';
import { runCli, type Run } from './helpers/cli-process';
import { asChunkedUnder, asWrittenBeforeContentRules, differingFiles, recordedChunking, recordedContentRules, sameEntry, snapshotIndex, type IndexSnapshot } from './helpers/index-snapshot';
import { CHUNKING_VERSION } from '../src/engine/chunks/languages';
import { formatStatus } from '../src/engine/status-text';
import { buildFixtureModel, copyFixtureRepo, TempDirs, writeIn } from './helpers/workspace';

const temp = new TempDirs();
/** Generated files: more than one batch of the indexer (64 files) changes, so a run can stop between batches. */
const GENERATED = 70;
const TOPICS = ['parse the tokens', 'read the file from disk', 'send the http request', 'add the numbers', 'check the user password', 'retry on error'];

let modelDir: string;
let embedder: Embedder;
let repo: string;
/** the index before the changes, and the index the finished refresh makes after them */
let previousDir: string;
let previous: IndexSnapshot;
let complete: IndexSnapshot;
let completeSummary: IndexSummary;

function generated(n: number, version: number): string {
  return (
    `def task_${n}_v${version}(value):\n    """${TOPICS[(n + version) % TOPICS.length]} for item ${n}."""\n    return value + ${n}\n\n\n` +
    `def helper_${n}(value):\n    """${TOPICS[(n + 3) % TOPICS.length]} again."""\n    return value * ${version}\n`
  );
}

const genPath = (n: number) => `gen/g${Math.floor(n / 25)}/mod_${String(n).padStart(3, '0')}.py`;

before(async () => {
  modelDir = (await buildFixtureModel(await temp.make('model'))).dir;
  embedder = await loadEmbedder(modelDir);
  repo = await copyFixtureRepo(path.join(await temp.make('cancel'), 'repo'));
  for (let n = 0; n < GENERATED; n++) await writeIn(repo, genPath(n), generated(n, 1));
  previousDir = await temp.make('cancel-previous');
  const engine = await Engine.open(repo, { indexDir: previousDir, model: modelDir });
  await engine.refresh();
  await engine.close();
  previous = await snapshotIndex(repo, previousDir, embedder);

  // The changes every test's refresh finds: edits, additions and deletions, spread over the folders.
  for (let n = 0; n < GENERATED; n++) await writeIn(repo, genPath(n), generated(n, 2));
  for (let n = GENERATED; n < GENERATED + 10; n++) await writeIn(repo, genPath(n), generated(n, 2));
  await rm(path.join(repo, 'src/net/server.go'));
  await rm(path.join(repo, genPath(7)));

  const completeDir = await copyIndex();
  const finished = await Engine.open(repo, { indexDir: completeDir, model: modelDir });
  completeSummary = await finished.refresh();
  await finished.close();
  complete = await snapshotIndex(repo, completeDir, embedder);
  assert.equal(completeSummary.cancelled, false);
  assert.ok(completeSummary.filesParsed > 64, `more than one batch changes: ${completeSummary.filesParsed}`);
  assert.ok(differingFiles(previous, complete).length > 64);
});

after(async () => {
  await embedder?.dispose();
  await temp.cleanup();
});

/** A copy of the index as it was before the changes. */
async function copyIndex(): Promise<string> {
  const dir = await temp.make('cancel-index');
  await cp(previousDir, dir, { recursive: true });
  return dir;
}

/** Refreshes a copy of the previous index with `signal` and `onProgress`, then reopens it. */
async function cancelledRun(
  signal: { readonly cancelled: boolean },
  onProgress?: (p: Progress) => void,
): Promise<{ summary: IndexSummary; reopened: IndexSnapshot; indexDir: string }> {
  const indexDir = await copyIndex();
  const engine = await Engine.open(repo, { indexDir, model: modelDir });
  const summary = await engine.refresh({ signal, onProgress });
  const inMemory = engine.contents();
  await engine.close();
  const reopened = await snapshotIndex(repo, indexDir, embedder);
  assert.deepEqual({ files: inMemory.files, chunks: inMemory.chunks }, { files: summary.files, chunks: summary.chunks });
  assert.equal(reopened.chunks, summary.chunks, 'what was saved is what the run reports');
  return { summary, reopened, indexDir };
}

/** Every file's entry is the previous one or the finished one; returns how many are each. */
function assertEachFilePreviousOrComplete(reopened: IndexSnapshot): { atPrevious: number; atComplete: number } {
  let atPrevious = 0;
  let atComplete = 0;
  const paths = new Set([...previous.files.keys(), ...complete.files.keys(), ...reopened.files.keys()]);
  for (const p of paths) {
    const entry = reopened.files.get(p);
    const wasPrevious = sameEntry(entry, previous.files.get(p));
    const isComplete = sameEntry(entry, complete.files.get(p));
    assert.ok(wasPrevious || isComplete, `${p}: neither its previous entry nor its new one (${entry ? `${entry.chunks.length} chunks` : 'absent'})`);
    if (!isComplete) atPrevious++;
    else if (!wasPrevious) atComplete++;
  }
  assert.equal(reopened.lexicalDocuments, reopened.chunks, 'every chunk is in the lexical index');
  return { atPrevious, atComplete };
}

function assertSame(reopened: IndexSnapshot, expected: IndexSnapshot, label: string): void {
  assert.deepEqual(differingFiles(reopened, expected), [], `files that differ from the ${label} index`);
  assert.deepEqual(reopened.scanSkipped, expected.scanSkipped);
  assert.equal(reopened.chunks, expected.chunks);
  assert.equal(reopened.vectors, expected.vectors);
}

/** A signal that reads as cancelled from its `after`+1-th read on: a cancel arriving at a fixed point. */
function cancelledAfterReads(after: number): { readonly cancelled: boolean; reads: number } {
  return {
    reads: 0,
    get cancelled() {
      return ++this.reads > after;
    },
  };
}

describe('a refresh cancelled in each phase leaves the previous or the finished index, per file', () => {
  test('scan: cancelled before the walk starts, nothing changes', async () => {
    const signal = { cancelled: false };
    const { summary, reopened } = await cancelledRun(signal, (p) => {
      if (p.phase === 'scan') signal.cancelled = true;
    });
    assert.equal(summary.cancelled, true);
    assert.equal(summary.filesRemoved, 0);
    assertSame(reopened, previous, 'previous');
  });

  test('scan: cancelled part-way through the walk, the files it did not reach are not deleted', async () => {
    // The walk reads the signal once per folder: it stops in the fourth of more than ten.
    const { summary, reopened } = await cancelledRun(cancelledAfterReads(3));
    assert.equal(summary.cancelled, true);
    assert.equal(summary.filesRemoved, 0);
    assert.equal(summary.files, previous.files.size - countSkipped(previous));
    assertSame(reopened, previous, 'previous');
  });

  test('parse: stopped after the first batch, which is kept; the next run parses only the rest', async () => {
    const signal = { cancelled: false };
    const { summary, reopened, indexDir } = await cancelledRun(signal, (p) => {
      if (p.phase === 'parse') signal.cancelled = true;
    });
    assert.equal(summary.cancelled, true);
    const { atPrevious, atComplete } = assertEachFilePreviousOrComplete(reopened);
    assert.ok(atComplete > 0 && atPrevious > 0, `stopped part-way: ${atComplete} files new, ${atPrevious} as before`);

    const engine = await Engine.open(repo, { indexDir, model: modelDir });
    const resumed = await engine.refresh();
    await engine.close();
    assert.equal(resumed.cancelled, false);
    assert.equal(resumed.filesParsed, completeSummary.filesParsed - summary.filesParsed, 'files already saved are not parsed again');
    assertSame(await snapshotIndex(repo, indexDir, embedder), complete, 'finished');
  });

  test('embed: the batch being embedded is dropped; every file is as before or as new', async () => {
    const signal = { cancelled: false };
    const { summary, reopened } = await cancelledRun(signal, (p) => {
      if (p.phase === 'embed') signal.cancelled = true;
    });
    assert.equal(summary.cancelled, true);
    assert.equal(summary.filesParsed, 0, 'the batch being embedded is not counted as indexed');
    const { atPrevious } = assertEachFilePreviousOrComplete(reopened);
    assert.ok(atPrevious >= GENERATED, `the changed files stay as they were: ${atPrevious}`);
  });

  test('write: a cancel that arrives while the finished index is written leaves the finished index', async () => {
    const signal = { cancelled: false };
    const { reopened } = await cancelledRun(signal, (p) => {
      if (p.phase === 'write') signal.cancelled = true;
    });
    assertSame(reopened, complete, 'finished');
  });
});

describe('chunking every file again for a new chunking version, stopped part-way', () => {
  /** The re-chunk the manifest of the index in `indexDir` records as begun (absent: none). */
  const recordedRechunk = (indexDir: string): unknown => (JSON.parse(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8')) as { meta: { rechunk?: unknown } }).meta.rechunk;

  test('the files it did are kept, and the next run chunks only the others, then records the version', async () => {
    const indexDir = await temp.make('rechunk-stopped');
    const first = await Engine.open(repo, { indexDir, model: modelDir });
    const total = (await first.refresh()).files;
    await first.close();
    const clean = await snapshotIndex(repo, indexDir, embedder);
    assert.ok(total > 64, `more than one batch of files: ${total}`);
    asChunkedUnder(indexDir, undefined);
    assert.equal(recordedRechunk(indexDir), undefined);

    // stopped after the first batch (the signal is read before each batch)
    const signal = { cancelled: false };
    const stopped = await Engine.open(repo, { indexDir, model: modelDir });
    const part = await stopped.refresh({ signal, onProgress: (p) => p.phase === 'parse' && (signal.cancelled = true) });
    await stopped.close();
    assert.equal(part.cancelled, true);
    assert.ok(part.filesParsed > 0 && part.filesParsed < total, `part of the files chunked again: ${part.filesParsed} of ${total}`);
    assert.equal(recordedChunking(indexDir), 1, 'not done: the old version stays recorded');
    assert.deepEqual(differingFiles(await snapshotIndex(repo, indexDir, embedder), clean), [], 'every file as before, its chunks cut again or not');
    const rechunk = recordedRechunk(indexDir) as { to: number; from: number };
    assert.equal(rechunk.to, CHUNKING_VERSION);

    const logs: string[] = [];
    const resumed = await Engine.open(repo, { indexDir, model: modelDir, log: (m) => logs.push(m) });
    try {
      assert.ok(logs.some((m) => /were cut into chunks by older rules .*; its next update chunks the files an earlier update did not again/.test(m)), logs.join('\n'));
      const report = await resumed.status();
      assert.deepEqual(report.redo, { read: false, chunk: true, chunkWaitsForModel: false, chunkResumes: true });
      assert.match(formatStatus(report, false), /^rules: +the files were cut into chunks under other rules: its next update chunks the files an earlier update did not again/m);
      const rest = await resumed.refresh();
      assert.equal(rest.cancelled, false);
      assert.equal(rest.filesParsed, total - part.filesParsed, 'the files chunked before the stop are not chunked again');
      assert.equal(rest.chunksEmbedded, 0, 'every vector from the embedding cache');
      assert.deepEqual((await resumed.status()).redo, { read: false, chunk: false, chunkWaitsForModel: false });
    } finally {
      await resumed.close();
    }
    assert.equal(recordedChunking(indexDir), CHUNKING_VERSION, 'done: recorded');
    assert.equal(recordedRechunk(indexDir), undefined, 'and the re-chunk is no longer recorded');
    assert.deepEqual(differingFiles(await snapshotIndex(repo, indexDir, embedder), clean), []);

    const settled = await Engine.open(repo, { indexDir, model: modelDir });
    try {
      assert.equal((await settled.refresh()).filesParsed, 0, 'nothing is chunked again after');
    } finally {
      await settled.close();
    }
  });

  test("a re-chunk recorded toward another version from this one's first id: a run stopped part-way records its own, never adds its chunks under the other's", async () => {
    const indexDir = await temp.make('rechunk-other-same-id');
    const first = await Engine.open(repo, { indexDir, model: modelDir });
    const chunks = (await first.refresh()).chunks;
    await first.close();
    // a later build stopped before it cut any chunk: its marker begins where this build's would
    asChunkedUnder(indexDir, undefined, { to: CHUNKING_VERSION + 1, from: chunks });
    const signal = { cancelled: false };
    const stopped = await Engine.open(repo, { indexDir, model: modelDir });
    const part = await stopped.refresh({ signal, onProgress: (p) => p.phase === 'parse' && (signal.cancelled = true) });
    await stopped.close();
    assert.ok(part.cancelled && part.filesParsed > 0, `stopped part-way: ${part.filesParsed}`);
    assert.deepEqual(recordedRechunk(indexDir), { to: CHUNKING_VERSION, from: chunks }, "this build's re-chunk is what the manifest records");
  });

  test('a re-chunk recorded toward another version is not taken for this one: every file is chunked again', async () => {
    const indexDir = await temp.make('rechunk-other');
    const first = await Engine.open(repo, { indexDir, model: modelDir });
    const total = (await first.refresh()).files;
    await first.close();
    // as a later build would leave it, stopped: every chunk id from 0 on "cut under" its version
    asChunkedUnder(indexDir, undefined, { to: CHUNKING_VERSION + 1, from: 0 });
    const engine = await Engine.open(repo, { indexDir, model: modelDir });
    try {
      assert.equal((await engine.refresh()).filesParsed, total);
    } finally {
      await engine.close();
    }
    assert.equal(recordedChunking(indexDir), CHUNKING_VERSION);
    assert.equal(recordedRechunk(indexDir), undefined);
  });
});

function countSkipped(snapshot: IndexSnapshot): number {
  let n = 0;
  for (const f of snapshot.files.values()) if (f.skip) n++;
  return n;
}

describe('a folder the scan cannot read', () => {
  /** Root reads every folder whatever its mode: the runs then go as the unprivileged user. */
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

  /** Gives what this process wrote in the index folder to the user the runs go as. */
  function handBack(dir: string): void {
    const { uid, gid } = asUser as { uid?: number; gid?: number };
    if (uid === undefined || gid === undefined) return;
    for (const name of ['', ...readdirSync(dir, { recursive: true, encoding: 'utf8' })]) chownSync(path.join(dir, name), uid, gid);
  }

  function cli(command: string, root: string, indexDir: string, ...more: string[]): Promise<Run> {
    return runCli([command, root, '--index-dir', indexDir, '--lexical-only', ...more], { ...asUser, keepStdinOpen: true });
  }
  const index = (root: string, indexDir: string) => cli('index', root, indexDir);
  /** The index folder's files (but its lock) with their sizes and contents' hashes. */
  const indexFiles = (indexDir: string): Map<string, string> =>
    new Map(readdirSync(indexDir).filter((name) => name !== 'index.lock').sort().map((name) => [name, createHash('sha256').update(readFileSync(path.join(indexDir, name))).digest('hex')]));

  /** A copy of the fixture and an index folder the unprivileged user may write. */
  async function userWorkspace(name: string): Promise<{ root: string; indexDir: string }> {
    const parent = await temp.make(name);
    chmodSync(parent, 0o755);
    const root = await copyFixtureRepo(path.join(parent, 'repo'));
    chmodSync(parent, 0o777);
    return { root, indexDir: path.join(parent, 'index') };
  }

  test('a changed file that cannot be read then is tried again by each update, and indexed once it can be, though its size and time stay the same', async () => {
    const { root, indexDir } = await userWorkspace('unreadable-file');
    const file = 'src/render/button.rs';
    assert.equal((await index(root, indexDir)).code, 0);
    // changed, and locked before the update reads it: as a save that another program holds a moment
    await writeFile(path.join(root, file), 'pub fn paint_the_button_sky_blue() -> u32 {\n    42\n}\n');
    chmodSync(path.join(root, file), 0o000);
    try {
      const locked = await index(root, indexDir);
      assert.equal(locked.code, 0, locked.stderr);
      assert.equal((await snapshotIndex(root, indexDir)).files.get(file)?.skip, 'unreadable');
      const written = indexFiles(indexDir);
      const still = await index(root, indexDir);
      assert.equal(still.code, 0, still.stderr);
      assert.doesNotMatch(still.stderr, /indexing/, `tried again quietly: no new or changed file to show: ${still.stderr}`);
      assert.deepEqual(indexFiles(indexDir), written, 'the same skip again is no change: nothing is written');
    } finally {
      chmodSync(path.join(root, file), 0o644);
    }
    const readable = await index(root, indexDir);
    assert.equal(readable.code, 0, readable.stderr);
    assert.match(readable.stderr, /\(1 parsed, 0 removed\)/, readable.stderr);
    const found = await cli('search', root, indexDir, '--json', 'paint the button sky blue');
    assert.equal(found.code, 0, found.stderr);
    assert.equal(JSON.parse(found.stdout).results[0]?.path, file);
  });

  test('keeps the files it held (EACCES is not deletion), and finds them again once it is readable', async () => {
    const { root, indexDir } = await userWorkspace('unreadable');
    const first = await index(root, indexDir);
    assert.equal(first.code, 0, first.stderr);
    const before = await snapshotIndex(root, indexDir);
    assert.ok([...before.files.keys()].some((p) => p.startsWith('src/parser/')));

    const locked = path.join(root, 'src/parser');
    chmodSync(locked, 0o000);
    try {
      const second = await index(root, indexDir);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /\(0 parsed, 0 removed\)/, second.stderr);
      const during = await snapshotIndex(root, indexDir);
      assert.deepEqual(differingFiles(during, before), [], 'no file changed or went missing');
      assert.ok(
        (during.scanSkipped as { path: string; reason: string }[]).some((s) => s.path === 'src/parser' && s.reason === 'unreadable'),
        'the folder is reported unreadable',
      );
      const status = await cli('status', root, indexDir, '--json');
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(JSON.parse(status.stdout).stale, { added: 0, changed: 0, removed: 0 }, 'status does not count its files as removed');
    } finally {
      chmodSync(locked, 0o755);
    }
    await writeFile(path.join(locked, 'extra_parser.py'), 'def parse_extra(text):\n    return text\n');
    const third = await index(root, indexDir);
    assert.match(third.stderr, /\(1 parsed, 0 removed\)/, third.stderr);
  });

  test('a re-read for new content rules that cannot read a folder does not record the rules: the next update reads every file again', async () => {
    const { root, indexDir } = await userWorkspace('reread');
    assert.equal((await index(root, indexDir)).code, 0);
    const rules = () => recordedContentRules(indexDir);
    assert.equal(rules(), CONTENT_RULES_VERSION);
    asWrittenBeforeContentRules(indexDir);
    handBack(indexDir);

    const locked = path.join(root, 'src/parser');
    chmodSync(locked, 0o000);
    try {
      const second = await index(root, indexDir);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /was built with other rules for which files to skip/, second.stderr);
      assert.equal(rules(), 1, 'the rules were recorded though src/parser was not read again');
    } finally {
      chmodSync(locked, 0o755);
    }
    const third = await index(root, indexDir);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /was built with other rules/, 'the next update reads every file again');
    assert.equal(rules(), CONTENT_RULES_VERSION, 'read in full: the rules are recorded');
    const fourth = await index(root, indexDir);
    assert.doesNotMatch(fourth.stderr, /other rules/, fourth.stderr);

    // the same with one file that cannot be read during the re-read: it keeps its chunks, and the rules wait
    asWrittenBeforeContentRules(indexDir);
    const file = 'src/parser/config_parser.py';
    const before = (await snapshotIndex(root, indexDir)).files.get(file);
    assert.ok(before && !before.skip, `${file} is indexed`);
    handBack(indexDir); // the snapshot and the edit ran as this process's user
    chmodSync(path.join(root, file), 0o000);
    try {
      const fifth = await index(root, indexDir);
      assert.equal(fifth.code, 0, fifth.stderr);
      const after = (await snapshotIndex(root, indexDir)).files.get(file);
      assert.ok(after && !after.skip && sameEntry(after, before), `${file} lost its chunks to a passing read error: ${JSON.stringify(after)}`);
      assert.equal(rules(), 1, 'the rules were recorded though a file was not read again');
    } finally {
      chmodSync(path.join(root, file), 0o644);
    }
  });

  test('chunking every file again for a new chunking version is recorded though a folder and a file cannot be read: they keep their chunks, and the next update chunks nothing again', async () => {
    const { root, indexDir } = await userWorkspace('rechunk');
    assert.equal((await index(root, indexDir)).code, 0);
    const before = await snapshotIndex(root, indexDir);
    const file = 'src/render/button.rs';
    assert.ok(before.files.get(file) && !before.files.get(file)!.skip, `${file} is indexed`);
    const parserFiles = [...before.files.keys()].filter((p) => p.startsWith('src/parser/'));
    assert.ok(parserFiles.length > 0);
    asChunkedUnder(indexDir, undefined);
    handBack(indexDir);

    const locked = path.join(root, 'src/parser');
    chmodSync(locked, 0o000);
    chmodSync(path.join(root, file), 0o000);
    try {
      const second = await index(root, indexDir);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /cut into chunks by older rules/, second.stderr);
      // the indexed files (not those recorded as skipped) outside the locked folder, but the locked file
      const readable = [...before.files].filter(([p, f]) => !f.skip && !p.startsWith('src/parser/') && p !== file).length;
      assert.match(second.stderr, new RegExp(`\\(${readable} parsed, 0 removed\\)`), second.stderr);
      assert.equal(recordedChunking(indexDir), CHUNKING_VERSION, 'recorded though a folder and a file could not be read');
      const during = await snapshotIndex(root, indexDir);
      for (const kept of [file, ...parserFiles]) assert.ok(sameEntry(during.files.get(kept)!, before.files.get(kept)!), `${kept} keeps its chunks`);
    } finally {
      chmodSync(locked, 0o755);
      chmodSync(path.join(root, file), 0o644);
    }
    const third = await index(root, indexDir);
    assert.equal(third.code, 0, third.stderr);
    assert.doesNotMatch(third.stderr, /cut into chunks/, third.stderr);
    assert.match(third.stderr, /\(0 parsed, 0 removed\)/, third.stderr);
  });
});

describe('a workspace folder that vanishes while the engine has it open', () => {
  test('refresh and status fail in words, and the saved index is kept for when the folder returns', async () => {
    const parent = await temp.make('vanish');
    const root = await copyFixtureRepo(path.join(parent, 'repo'));
    const indexDir = path.join(parent, 'index');
    const engine = await Engine.open(root, { indexDir, model: null });
    try {
      await engine.refresh();
      const chunks = engine.contents().chunks;
      assert.ok(chunks > 0);
      const moved = path.join(parent, 'moved');
      await cp(root, moved, { recursive: true });
      await rm(root, { recursive: true, force: true });
      const worded = (err: unknown) => {
        assert.ok(err instanceof WorkspaceFolderError, String(err));
        assert.match(err.message, /^cannot scan the folder \S+repo: it no longer exists; the index is kept as it was$/);
        return true;
      };
      await assert.rejects(engine.refresh(), worded);
      await assert.rejects(engine.status(), worded);
      assert.equal(engine.contents().chunks, chunks, 'nothing was concluded from the failed scan');
      await cp(moved, root, { recursive: true });
      const back = await engine.refresh();
      assert.equal(engine.contents().chunks, chunks);
      assert.equal(back.filesRemoved, 0);
    } finally {
      await engine.close();
    }
  });
});
