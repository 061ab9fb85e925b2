/**
 * The change log (src/engine/index/change-log.ts) and saves that append to it
 * (src/engine/index/workspace-store.ts): the file format's guarantees on its own (a torn or
 * damaged tail is never read, a log of another generation is never applied), then an engine
 * whose refreshes are committed as logged changes, checked after every refresh against a clean
 * index of the same files (catalog records, lexical terms, vectors bit for bit), through torn and
 * damaged records, and through saves that write a new generation in between.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { rm, utimes } from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { changeLogFile, ChangeLogWriter, readChangeLog, type ChangeLogContents } from '../src/engine/index/change-log';
import { Engine, type EngineOptions } from '../src/engine/engine';
import { IndexStorage, type LoadedIndex } from '../src/engine/index/workspace-store';
import type { VectorIndexSettings } from '../src/engine/index/vector-index';
import { loadEmbedder } from '../src/engine/vectors/onnx-embedder';
import type { Embedder } from '../src/engine/vectors/embedder';
import { canonical } from './helpers/index-snapshot';
import { fuzzParams } from './helpers/fuzz';
import { buildFixtureModel, TempDirs, writeIn } from './helpers/workspace';

const temp = new TempDirs();
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
/** The unit tests' logs extend generation 3. */
const G = 3;
const LOG = changeLogFile(G);

/** The log file of the committed generation of an index folder, and that generation's number and checksum. */
function committedLog(indexDir: string): { file: string; generation: number; checksum: string } {
  const { generation, checksum } = JSON.parse(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8')) as { generation: number; checksum: string };
  return { file: path.join(indexDir, changeLogFile(generation)), generation, checksum };
}

after(() => temp.cleanup());

/** The log of the manifest `checksum` in `dir`, which must be readable; undefined when there is none for it. */
function logOf(dir: string, checksum: string): ChangeLogContents | undefined {
  const read = readChangeLog(dir, G, checksum);
  assert.ok(read === undefined || !('damaged' in read), `damaged: ${JSON.stringify(read)}`);
  return read;
}

describe('change log file', () => {
  test('reads back what was appended, in order, and only for its own manifest', async () => {
    const dir = await temp.make('log');
    const log = ChangeLogWriter.start(dir, G, A);
    log.append({ n: 1, text: 'é\u0000"' });
    log.append({ n: 2 });
    const read = logOf(dir, A)!;
    assert.deepEqual(read.payloads, [{ n: 1, text: 'é\u0000"' }, { n: 2 }]);
    assert.equal(read.end, statSync(path.join(dir, LOG)).size);
    assert.equal(read.end, log.bytes);
    assert.deepEqual(readChangeLog(dir, G, B), { damaged: 'it belongs to another generation of the index', foreign: true }, 'a log extends one manifest only');
    assert.equal(readChangeLog(dir, G + 1, A), undefined, 'nor another generation number');
    ChangeLogWriter.start(dir, G, B);
    assert.equal('foreign' in readChangeLog(dir, G, A)!, true, 'starting a log for another manifest replaces it');
    assert.deepEqual(logOf(dir, B)!.payloads, []);
    assert.equal(logOf(await temp.make('none'), A), undefined);
  });

  test('a torn last record is skipped by readers and cut off by the next writer, whose records follow the intact ones', async () => {
    const dir = await temp.make('torn');
    const file = path.join(dir, LOG);
    const log = ChangeLogWriter.start(dir, G, A);
    log.append({ n: 1 });
    const intact = log.bytes;
    log.append({ n: 2, pad: 'x'.repeat(100) });
    for (const cut of [intact + 1, intact + 11, intact + 12, intact + 50, log.bytes - 1]) {
      const copy = await temp.make('torn-copy');
      writeFileSync(path.join(copy, LOG), readFileSync(file).subarray(0, cut));
      const read = logOf(copy, A)!;
      assert.deepEqual(read.payloads, [{ n: 1 }], `cut at ${cut}`);
      assert.deepEqual([read.end, read.bytes], [intact, cut]);
      const resumed = ChangeLogWriter.resume(copy, G, A, read);
      assert.equal(statSync(path.join(copy, LOG)).size, intact, 'the torn tail is cut off');
      resumed.append({ n: 3 });
      assert.equal(statSync(path.join(copy, LOG)).size, resumed.bytes);
      assert.deepEqual(logOf(copy, A)!.payloads, [{ n: 1 }, { n: 3 }]);
    }
  });

  test('no damaged record is ever returned: reading stops before the first one', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 6 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (payloads, at, mask) => {
        const dir = mkdtempSync(path.join(tmpdir(), 'codescout-damaged-log-'));
        const log = ChangeLogWriter.start(dir, G, A);
        const ends: number[] = [log.bytes];
        for (const p of payloads) {
          log.append(p);
          ends.push(log.bytes);
        }
        const file = path.join(dir, LOG);
        const bytes = readFileSync(file);
        const offset = ends[0] + (at % (bytes.length - ends[0]));
        bytes[offset] ^= mask;
        writeFileSync(file, bytes);
        const damagedRecord = ends.findIndex((end) => end > offset) - 1;
        const read = logOf(dir, A)!;
        // every record before the damaged one, as written; nothing from it on
        assert.deepEqual(read.payloads, JSON.parse(JSON.stringify(payloads.slice(0, damagedRecord))));
        assert.equal(read.end, ends[damagedRecord]);
        rmSync(dir, { recursive: true, force: true });
      }),
      fuzzParams(100),
    );
  });

  test('a damaged or cut header is reported as damage, never taken for another manifest\'s log', async () => {
    const dir = await temp.make('header');
    ChangeLogWriter.start(dir, G, A).append({ n: 1 });
    const file = path.join(dir, LOG);
    const intact = readFileSync(file);
    for (let at = 0; at < 80; at++) {
      const bytes = Buffer.from(intact);
      bytes[at] ^= 1 << (at % 8);
      writeFileSync(file, bytes);
      for (const checksum of [A, B]) assert.match(JSON.stringify(readChangeLog(dir, G, checksum)), /"damaged":"its header/, `byte ${at}`);
    }
    writeFileSync(file, intact.subarray(0, 40));
    assert.deepEqual(readChangeLog(dir, G, A), { damaged: 'its header is cut short (40 bytes)' });
  });
});

/** The files of a small Python workspace, changed at random between refreshes. */
class Files {
  private readonly versions = new Map<number, number>();
  private next = 0;

  constructor(readonly root: string) {}

  async write(f: number, version: number): Promise<void> {
    this.versions.set(f, version);
    const body = Array.from({ length: 1 + ((f + version) % 4) }, (_, k) =>
      `def fn_${f}_${k}(value):\n    """${['parse the tokens', 'read the file', 'retry on error', 'render the page'][(f + k + version) % 4]} (v${version})."""\n    return value + ${k * version}\n`,
    );
    await writeIn(this.root, `pkg/mod_${f}.py`, body.join('\n\n'));
  }

  async add(): Promise<void> {
    await this.write(this.next++, 1);
  }

  async apply(step: Step): Promise<void> {
    const live = [...this.versions.keys()];
    if (step.kind === 'add' || live.length === 0) return this.add();
    const f = live[step.pick % live.length];
    if (step.kind === 'edit') await this.write(f, this.versions.get(f)! + 1);
    else if (step.kind === 'delete') {
      this.versions.delete(f);
      await rm(path.join(this.root, `pkg/mod_${f}.py`));
    } else {
      const later = new Date(Date.now() + 1000 * (1 + step.pick));
      await utimes(path.join(this.root, `pkg/mod_${f}.py`), later, later);
    }
  }
}

type Step = { kind: 'add' | 'edit' | 'delete' | 'touch'; pick: number };

/**
 * Everything a stored index holds, without chunk ids: per file its record, and per chunk its
 * record, its lexical terms (sorted) and length, and its vector's bits.
 */
async function contents(root: string, indexDir: string, embedder: Embedder, vectorSettings?: VectorIndexSettings): Promise<{ text: string; state: Pick<LoadedIndex, 'saved'> }> {
  const state = await new IndexStorage(indexDir, root, embedder, vectorSettings).load(() => {});
  try {
    const files = [...state.catalog.files.keys()].sort().map((p) => {
      const { chunkIds, ...record } = state.catalog.files.get(p)!;
      const chunks = chunkIds.map((id) => {
        const { id: _id, ...chunk } = state.catalog.chunks.get(id)!;
        const terms = state.lexical.documentTerms(id);
        const vector = state.vectors?.getVector(id);
        return { ...chunk, terms: terms && { length: terms.length, terms: [...terms.terms].sort(([a], [b]) => (a < b ? -1 : 1)) }, vector: vector && Buffer.from(vector.buffer).toString('base64') };
      });
      return { path: p, ...record, chunks };
    });
    return { text: canonical({ files, scanSkipped: state.catalog.scanSkipped, chunks: state.catalog.chunks.size, vectors: state.vectors?.size }), state };
  } finally {
    await state.close();
  }
}

describe('saves committed as logged changes', () => {
  let modelDir: string;
  let embedder: Embedder;
  before(async () => {
    modelDir = (await buildFixtureModel(await temp.make('log-model'))).dir;
    embedder = await loadEmbedder(modelDir);
  });
  after(() => embedder?.dispose());

  /** A workspace of `count` files and its engine (the tiny model), indexed once; the caller closes the engine. */
  async function indexedFiles(label: string, count: number): Promise<{ root: string; indexDir: string; files: Files; engine: Engine }> {
    const root = await temp.make(label);
    const indexDir = path.join(await temp.make(`${label}-index`), 'index');
    const files = new Files(root);
    for (let i = 0; i < count; i++) await files.add();
    const engine = await Engine.open(root, { indexDir, model: modelDir, log: () => {} });
    await engine.refresh();
    return { root, indexDir, files, engine };
  }

  /** A clean index of `root` in a new folder, which it returns. */
  async function cleanIndex(root: string, options: Partial<EngineOptions> = {}): Promise<string> {
    const cleanDir = path.join(await temp.make('log-clean'), 'index');
    const clean = await Engine.open(root, { indexDir: cleanDir, model: modelDir, log: () => {}, ...options });
    await clean.refresh();
    await clean.close();
    return cleanDir;
  }

  const step = fc.record({ kind: fc.constantFrom('add', 'edit', 'delete', 'touch'), pick: fc.nat(50) }) as fc.Arbitrary<Step>;

  /** After every refresh of random changes, the stored index (generation + log) equals a clean index of the same files. */
  async function storedEqualsClean(options: Partial<EngineOptions>, runs: number): Promise<void> {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(step, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), async (rounds) => {
        const root = await temp.make('log-ws');
        const indexDir = path.join(await temp.make('log-index'), 'index');
        const files = new Files(root);
        for (let i = 0; i < 3; i++) await files.add();
        const engine = await Engine.open(root, { indexDir, model: modelDir, log: () => {}, ...options });
        // whether some refresh changed the index: steps can cancel out (a file added, then deleted)
        let changed = false;
        try {
          await engine.refresh();
          for (const round of rounds) {
            for (const s of round) await files.apply(s);
            const summary = await engine.refresh();
            changed ||= summary.filesParsed > 0 || summary.filesRemoved > 0;
            const cleanDir = await cleanIndex(root, options);
            // loaded with the engine's settings: with a graph, the log is replayed into the graph
            const [stored, expected] = [await contents(root, indexDir, embedder, options.vectorIndex), await contents(root, cleanDir, embedder, options.vectorIndex)];
            assert.equal(stored.text, expected.text);
            // ids are never reused: the loaded catalog's next id is the writer's, deletions included
            const loaded = await new IndexStorage(indexDir, root, embedder).load(() => {});
            assert.equal(loaded.catalog.nextChunkId, (engine as unknown as { state: LoadedIndex }).state.catalog.nextChunkId);
            await loaded.close();
          }
          const { generation, checksum } = committedLog(indexDir);
          const log = readChangeLog(indexDir, generation, checksum);
          assert.ok(log && 'payloads' in log && (log.payloads.length > 0 || !changed), 'the refreshes were committed as logged changes');
          assert.equal(readdirSync(indexDir).filter((f) => /^catalog\.g\d+\.bin$/.test(f)).length <= 2, true);
        } finally {
          await engine.close();
        }
      }),
      fuzzParams(runs),
    );
  }

  test('after every refresh, the stored index (generation + log) equals a clean index of the same files', async () => {
    await storedEqualsClean({}, 8);
  });

  test('the same with an HNSW graph, which alone stores the vectors (read back, logged and restored)', async () => {
    // deletions never rebuild the graph here: a rebuilt graph is committed as a new generation, not logged
    await storedEqualsClean({ vectorIndex: { exactSearchMaxVectors: 0, rebuildDeletedRatio: 1 } }, 4);
  });

  test('the same with the graph used from its file (changes kept beside it, applied when it is written)', async () => {
    await storedEqualsClean({ vectorIndex: { exactSearchMaxVectors: 0, rebuildDeletedRatio: 1, graphLoading: 'on-demand' } }, 4);
  });

  test('a log deleted while the engine runs: the next save writes a new generation instead', async () => {
    const { root, indexDir, files, engine } = await indexedFiles('log-deleted', 3);
    try {
      const first = committedLog(indexDir);
      rmSync(first.file);
      await files.apply({ kind: 'edit', pick: 0 });
      await engine.refresh();
      assert.equal(committedLog(indexDir).generation, first.generation + 1);
      assert.equal((await contents(root, indexDir, embedder)).text, (await contents(root, await cleanIndex(root), embedder)).text);
    } finally {
      await engine.close();
    }
  });

  test('a file touched but unchanged is logged as its new time only, and replayed as such', async () => {
    const { root, indexDir, files, engine } = await indexedFiles('log-touch', 3);
    try {
      await files.apply({ kind: 'touch', pick: 1 });
      const summary = await engine.refresh();
      assert.equal(summary.filesParsed, 0);
      const { generation, checksum } = committedLog(indexDir);
      const log = readChangeLog(indexDir, generation, checksum);
      assert.ok(log && 'payloads' in log);
      assert.deepEqual((log.payloads.at(-1) as { files: unknown[] }).files, [{ path: 'pkg/mod_1.py', touched: { size: statSync(path.join(root, 'pkg/mod_1.py')).size, mtimeMs: statSync(path.join(root, 'pkg/mod_1.py')).mtimeMs } }]);
      const cleanDir = await cleanIndex(root);
      assert.equal((await contents(root, indexDir, embedder)).text, (await contents(root, cleanDir, embedder)).text);
    } finally {
      await engine.close();
    }
  });

  test("the previous generation's log is deleted with its files, also when a crashed commit left a generation number unused", async () => {
    const { root, indexDir, files, engine } = await indexedFiles('log-gap', 3);
    try {
      await files.apply({ kind: 'edit', pick: 0 });
      await engine.refresh(); // logged
      const first = committedLog(indexDir);
      assert.notEqual(readChangeLog(indexDir, first.generation, first.checksum), undefined);
      // a commit killed after writing its data files: the next commit skips its number
      writeFileSync(path.join(indexDir, `catalog.g${first.generation + 1}.bin`), '{}');
      (engine as unknown as { state: LoadedIndex }).state.committed = undefined; // the next save writes a generation
      await files.apply({ kind: 'edit', pick: 1 });
      await engine.refresh();
      const second = committedLog(indexDir);
      assert.equal(second.generation, first.generation + 2);
      assert.equal(readChangeLog(indexDir, first.generation, first.checksum), undefined, "the replaced generation's log is gone");
      const left = readdirSync(indexDir).filter((f) => /\.g\d+\./.test(f) && !f.includes(`.g${second.generation}.`));
      assert.deepEqual(left, [], 'and so are its files and the crashed commit\'s');
      await engine.close();
      const again = await Engine.open(root, { indexDir, model: modelDir });
      try {
        assert.equal((await again.refresh()).filesParsed, 0, 'the index is whole');
      } finally {
        await again.close();
      }
    } finally {
      await engine.close();
    }
  });

  test('a torn or damaged last change loses that change only: the next refresh indexes its files again', async () => {
    for (const damage of ['torn', 'flipped'] as const) {
      const root = await temp.make(`log-${damage}`);
      const indexDir = path.join(await temp.make(`log-${damage}-index`), 'index');
      const files = new Files(root);
      for (let i = 0; i < 4; i++) await files.add();
      const engine = await Engine.open(root, { indexDir, model: modelDir, log: () => {} });
      await engine.refresh();
      await files.apply({ kind: 'edit', pick: 1 });
      await engine.refresh(); // logged
      const first = readFileSync(committedLog(indexDir).file).length;
      await files.apply({ kind: 'edit', pick: 2 });
      await files.apply({ kind: 'add', pick: 0 });
      await engine.refresh(); // logged: the change that will be damaged
      await engine.close();
      const logFile = committedLog(indexDir).file;
      const size = statSync(logFile).size;
      assert.ok(size > first);
      if (damage === 'torn') truncateSync(logFile, first + Math.floor((size - first) / 2));
      else {
        const bytes = readFileSync(logFile);
        bytes[first + 20] ^= 0x40;
        writeFileSync(logFile, bytes);
      }

      const notices: string[] = [];
      const reopened = await Engine.open(root, { indexDir, model: modelDir, log: (m) => notices.push(m) });
      try {
        assert.ok(notices.some((m) => /last change saved to the index is incomplete or damaged/.test(m)), notices.join('\n'));
        assert.equal(notices.length, 1, 'one line, and no rebuild: ' + notices.join('\n'));
        const summary = await reopened.refresh();
        assert.equal(summary.filesParsed, 2, 'the two files of the lost change, and only they, are parsed again');
      } finally {
        await reopened.close();
      }
      assert.equal(statSync(logFile).size > first, true, 'the log was cut back and appended to');
      const cleanDir = path.join(await temp.make(`log-${damage}-clean`), 'index');
      const clean = await Engine.open(root, { indexDir: cleanDir, model: modelDir, log: () => {} });
      await clean.refresh();
      await clean.close();
      assert.equal((await contents(root, indexDir, embedder)).text, (await contents(root, cleanDir, embedder)).text);
    }
  });

  test('a missing, foreign or damaged log is reported, and only its changes are indexed again; garbage after a header is a torn tail', async () => {
    const { root, indexDir, files, engine } = await indexedFiles('log-stale', 3);
    await files.apply({ kind: 'edit', pick: 0 });
    await engine.refresh(); // logged
    await engine.close();
    const { file, generation, checksum } = committedLog(indexDir);
    const logged = readFileSync(file);
    const cleanDir = await cleanIndex(root);
    const expected = (await contents(root, cleanDir, embedder)).text;
    const cases: [string, () => void, RegExp | undefined][] = [
      ['missing', () => rmSync(file), /is damaged \(it is missing\); the files it recorded will be indexed again/],
      ['foreign', () => ChangeLogWriter.start(indexDir, generation, B).append({ at: 'x', nextId: 0, files: [{ path: 'pkg/mod_1.py' }] }), /is damaged \(it belongs to another generation of the index\)/],
      ['garbage after the header', () => {
        ChangeLogWriter.start(indexDir, generation, checksum);
        appendFileSync(file, Buffer.from('ffffffff00000000deadbeef', 'hex'));
      }, /last change saved to the index is incomplete or damaged/],
    ];
    for (const [what, spoil, notice] of cases) {
      writeFileSync(file, logged);
      spoil();
      const notices: string[] = [];
      const reopened = await Engine.open(root, { indexDir, model: modelDir, log: (m) => notices.push(m) });
      try {
        assert.equal(notices.length, 1, `${what}: ${notices.join('\n')}`);
        assert.match(notices[0], notice!, what);
        const summary = await reopened.refresh();
        assert.equal(summary.filesParsed, 1, `${what}: the edited file, recorded by the lost change, is parsed again`);
      } finally {
        await reopened.close();
      }
      assert.equal((await contents(root, indexDir, embedder)).text, expected, what);
    }
  });
});
