/**
 * The index folder under faults, with real processes: a reader while another process saves,
 * the user's own files in `--index-dir`, stale and contended locks, special files where index
 * files belong, a read-only folder, a full disk, and one folder shared by two workspaces.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
// the module object itself (not a copy with getters), so that a test can replace one of its functions
import fs = require('node:fs');
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { Engine, IndexNotWritableError, type EngineOptions, type IndexSummary } from '../src/engine/engine';
import { IndexLock, lockHeld } from '../src/engine/index/lock';
import { IndexStorage } from '../src/engine/index/workspace-store';
import { TimeSlices } from '../src/engine/time-slice';
import { manifestChecksum, sha256Hex, type Manifest } from '../src/engine/index/store';
import { ChangeLogWriter } from '../src/engine/index/change-log';
import { catalogFormatThree, lexicalFormatOne, lexicalFormatTwo } from './helpers/legacy-formats';
import { LEXICAL_FORMAT_VERSION } from '../src/engine/index/lexical';
import { Checksummer } from '../src/engine/index/checksum';
import { CATALOG_FORMAT_VERSION, decodeCatalog } from '../src/engine/catalog-file';
import { runCli, startNode, type Run } from './helpers/cli-process';
import { snapshotIndex } from './helpers/index-snapshot';
import { buildFixtureModel, TempDirs } from './helpers/workspace';

const STORE_MODULE = path.join(__dirname, '..', 'src', 'engine', 'index', 'workspace-store.js');
const SUMMARY = /^codescout: (?:stopped early: )?indexed (\d+) files/m;

const temp = new TempDirs();
let model: string;

before(async () => {
  model = (await buildFixtureModel(await temp.make('store-model'))).dir;
});
after(() => temp.cleanup());

/** Runs the CLI; `shell` prefixes it with shell commands (limits), `timeoutMs` kills a hang with SIGKILL. */
function cli(args: string[], opts: { timeoutMs?: number; onStderr?: (text: string) => void; shell?: string } = {}): Promise<Run> {
  return runCli(args, { killAfterMs: opts.timeoutMs ?? 60_000, onStderr: opts.onStderr, shell: opts.shell });
}

/** A small workspace: a few Python and TypeScript files with distinct functions. */
async function workspace(label = 'ws'): Promise<string> {
  const repo = path.join(await temp.make(label), 'repo');
  const files: Record<string, string> = {
    'src/parser.py': 'def parse_config(text):\n    """Parse the configuration file."""\n    return dict(line.split("=") for line in text.splitlines())\n',
    'src/retry.ts': 'export function retryRequest(fn: () => Promise<void>, times: number) {\n  return fn().catch(() => (times > 0 ? retryRequest(fn, times - 1) : undefined));\n}\n',
    'src/files.py': 'def read_file(path):\n    with open(path) as f:\n        return f.read()\n\ndef write_file(path, data):\n    with open(path, "w") as f:\n        f.write(data)\n',
    'src/button.ts': 'export function renderButton(label: string) {\n  return `<button>${label}</button>`;\n}\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    writeFileSync(path.join(repo, rel), text);
  }
  return repo;
}

function summaryFiles(stderr: string): number {
  const m = SUMMARY.exec(stderr);
  assert.ok(m, `expected the index summary, got ${JSON.stringify(stderr)}`);
  return Number(m[1]);
}

/** Every stderr line is one plain `codescout:` line: no stack trace, no raw errno dump. */
function assertPlainLines(stderr: string): void {
  for (const line of stderr.split('\n').filter((l) => l.trim() !== '')) {
    assert.match(line, /^codescout: /, `stderr line ${JSON.stringify(line)}`);
    assert.doesNotMatch(line, /^\s+at /);
  }
}

/** Opens the engine in this process (lexical-only unless `options` say otherwise), collecting its notices. */
async function open(repo: string, indexDir: string, options: EngineOptions = {}): Promise<{ engine: Engine; logs: string[] }> {
  const logs: string[] = [];
  const engine = await Engine.open(repo, { indexDir, model: null, log: (m) => logs.push(m), ...options });
  return { engine, logs };
}

/** Opens, refreshes and closes; returns the summary and the notices. */
async function indexOnce(repo: string, indexDir: string, options: EngineOptions = {}): Promise<{ summary: IndexSummary; logs: string[] }> {
  const { engine, logs } = await open(repo, indexDir, options);
  try {
    return { summary: await engine.refresh({ requireWrite: true }), logs };
  } finally {
    await engine.close();
  }
}

function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Mounts a tmpfs of `size` at a new folder, where the system allows it (root on Linux); undefined otherwise. */
async function tmpfs(size: string): Promise<string | undefined> {
  if (!isRoot() || process.platform !== 'linux') return undefined;
  const dir = await temp.make('tmpfs');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  return mounted.status === 0 ? dir : undefined;
}

function unmount(dir: string): void {
  spawnSync('umount', [dir], { stdio: 'pipe' });
}

/**
 * A writer process: loads the index and commits it again and again, as fast as it can, in turn
 * as a new generation (forced by forgetting the generation it extends) and as a change appended
 * to the change log (a file's modification time, as a touched-but-unchanged file records it).
 */
const WRITER_SCRIPT = `
const [storeModule, repo, indexDir, rounds] = process.argv.slice(1);
const { IndexStorage } = require(storeModule);
(async () => {
  const storage = new IndexStorage(indexDir, repo, undefined);
  const state = await storage.load(() => {});
  if (state.readOnly) throw new Error('the writer did not get the lock');
  const [path, file] = [...state.catalog.files].find(([, f]) => f.chunkIds.length > 0);
  for (let i = 0; i < Number(rounds); i++) {
    if (i % 2 === 0) state.committed = undefined;
    else state.catalog.touchFile(path, file.size, file.mtimeMs + i);
    await storage.save(state);
    if (i === 0) process.stdout.write('saved\\n');
  }
  await state.close();
})().catch((err) => { console.error(err); process.exit(1); });
`;

test('a change to the index while a save is paused abandons that save; the committed index stays whole', async () => {
  const repo = await workspace('changed-mid-save');
  const indexDir = path.join(await temp.make('changed-mid-save-index'), 'index');
  await indexOnce(repo, indexDir);
  const manifest = readFileSync(path.join(indexDir, 'manifest.json'), 'utf8');
  const storage = new IndexStorage(indexDir, repo, undefined);
  const state = await storage.load(() => {});
  try {
    const files = state.catalog.files.size;
    const [gone] = [...state.catalog.files].find(([, f]) => f.chunkIds.length > 0)!;
    state.committed = undefined; // a new generation, written in steps
    const saving = storage.save(state, new TimeSlices(0));
    setImmediate(() => state.catalog.removeFile(gone));
    await assert.rejects(saving, /the index changed while it was being saved; the save was abandoned/);
    assert.equal(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8'), manifest, 'the committed generation is still the index');
    assert.equal(files, state.catalog.files.size + 1);
  } finally {
    await state.close();
  }
  const { summary, logs } = await indexOnce(repo, indexDir);
  assert.equal(summary.filesParsed, 0, `the committed index opens whole and up to date: ${logs.join('; ')}`);
});

test('a save writes the bytes prepareSave encoded ahead of it, and encodes again a catalog that changed since', async () => {
  const repo = await workspace('prepared-save');
  const indexDir = path.join(await temp.make('prepared-save-index'), 'index');
  await indexOnce(repo, indexDir);
  const storage = new IndexStorage(indexDir, repo, undefined);
  const state = await storage.load(() => {});
  const committedBytes = (name: string): Buffer => {
    const manifest = JSON.parse(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8')) as Manifest<unknown>;
    return readFileSync(path.join(indexDir, manifest.files[name].file));
  };
  try {
    assert.equal(await storage.prepareSave(state), undefined, 'nothing to encode ahead of a save that appends to the change log');
    state.committed = undefined; // a new generation, not a change appended to the log
    const prepared = (await storage.prepareSave(state))!;
    const catalogBytes = Buffer.concat(prepared.catalog!);
    const lexicalBytes = Buffer.concat(prepared.lexical!);
    // the save must not encode the catalog or the lexical index again: their encoders fail now
    const { catalog, lexical } = state;
    const encodeCatalog = catalog.serializeSteps;
    const encodeLexical = lexical.serializeSteps;
    catalog.serializeSteps = () => { throw new Error('the catalog was encoded again'); };
    lexical.serializeSteps = () => { throw new Error('the lexical index was encoded again'); };
    await storage.save(state, undefined, prepared);
    assert.deepEqual(committedBytes('catalog.bin'), catalogBytes);
    assert.deepEqual(committedBytes('lexical.bin'), lexicalBytes);
    assert.equal(prepared.catalog, undefined, 'the save let the prepared bytes go');
    assert.equal(prepared.lexical, undefined);
    catalog.serializeSteps = encodeCatalog;
    lexical.serializeSteps = encodeLexical;

    // prepared, then a file removed: the save writes the catalog as it is now
    state.committed = undefined;
    const stale = (await storage.prepareSave(state))!;
    const [gone] = [...catalog.files].find(([, f]) => f.chunkIds.length > 0)!;
    for (const id of catalog.removeFile(gone)) lexical.remove(id);
    await storage.save(state, undefined, stale);
    const saved = decodeCatalog(committedBytes('catalog.bin')).data;
    assert.equal(saved.files.has(gone), false, 'the removed file is not in the saved catalog');
    assert.equal(saved.files.size, catalog.files.size);
  } finally {
    await state.close();
  }
  const { summary, logs } = await indexOnce(repo, indexDir);
  assert.equal(summary.filesParsed, 1, `the saved index opens whole, the removed file indexed again: ${logs.join('; ')}`);
});

describe('a reader while another process saves the same index', () => {
  test('always sees a complete index: a whole generation with whole logged changes, older or newer', async () => {
    const repo = await workspace('race');
    const indexDir = path.join(await temp.make('race-index'), 'index');
    await indexOnce(repo, indexDir);

    const writer = startNode('-e', [WRITER_SCRIPT, STORE_MODULE, repo, indexDir, '100']);
    let running = true;
    const exited = writer.done.finally(() => (running = false));
    await new Promise<void>((resolve) => writer.child.stdout.once('data', () => resolve()));

    let opens = 0;
    const problems: string[] = [];
    while (running) {
      const logs: string[] = [];
      try {
        const reader = await Engine.open(repo, { indexDir, model: null, log: (m) => logs.push(m) });
        try {
          const hits = await reader.search('parse config file');
          if (hits[0]?.name !== 'parse_config') problems.push(`answer: ${JSON.stringify(hits.slice(0, 1))}`);
        } finally {
          await reader.close();
        }
      } catch (err) {
        problems.push(`error: ${(err as Error).message}`);
      }
      for (const m of logs) if (!m.includes('is updating this index') && !m.includes('lexical-only')) problems.push(`notice: ${m}`);
      opens++;
      await new Promise((resolve) => setImmediate(resolve)); // let the writer's exit be noticed
    }
    const written = await exited;
    assert.equal(written.code, 0, written.stderr);
    assert.ok(opens >= 10, `only ${opens} reads overlapped the writer`);
    assert.deepEqual(problems.slice(0, 5), [], `${problems.length} of ${opens} reads saw a broken index`);
  });
});

test('the lock files of takers killed part-way are removed by the next holder once a minute old; a live process\'s and a young one are left', async () => {
  const dir = path.join(await temp.make('lock-leftovers'), 'index');
  mkdirSync(dir, { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited by now: its pid no longer runs
  const old = new Date(Date.now() - 5 * 60_000);
  const names = {
    deadNew: `index.lock.${dead}.0123456789abcdef.new`,
    deadBreak: `index.lock.break.${dead}.0123456789abcdef.new`,
    deadAside: `index.lock.break.${dead}.fedcba9876543210.stale`,
    liveNew: `index.lock.${process.pid}.0123456789abcdef.new`,
    young: `index.lock.${dead}.aaaaaaaaaaaaaaaa.new`,
    other: 'index.lock.notes',
  };
  for (const [key, name] of Object.entries(names)) {
    writeFileSync(path.join(dir, name), '{"pid":1}');
    if (key !== 'young') utimesSync(path.join(dir, name), old, old);
  }
  const lock = IndexLock.acquire(dir);
  assert.ok(lock instanceof IndexLock);
  lock.release();
  assert.deepEqual(readdirSync(dir).sort(), [names.young, names.liveNew, names.other].sort());
});

describe('a reader while another process writes the first generation', () => {
  test('finds no index yet, and does not call it damaged', async () => {
    const repo = await workspace('first-write');
    const indexDir = path.join(await temp.make('first-write-index'), 'index');
    // The writer holds the lock and has written a data file of generation 1, not yet its manifest.
    const lock = IndexLock.acquire(indexDir);
    assert.ok(lock instanceof IndexLock);
    try {
      writeFileSync(path.join(indexDir, 'catalog.g1.bin'), '{"nextId":');
      const { engine, logs } = await open(repo, indexDir);
      try {
        assert.equal(engine.contents().files, 0);
        assert.ok(logs.some((m) => m.includes('is updating this index')), logs.join('\n'));
        assert.deepEqual(logs.filter((m) => /damaged|rebuilt/.test(m)), []);
      } finally {
        await engine.close();
      }
    } finally {
      lock.release();
    }
  });
});

describe('--index-dir never deletes what is not the index', () => {
  test('a folder of other files is refused and left as it was', async () => {
    const repo = await workspace();
    const dir = await temp.make('users-folder');
    const mine = ['notes.g1.txt', 'report.g7.pdf', 'data.g2'];
    for (const f of mine) writeFileSync(path.join(dir, f), 'precious');
    const run = await cli(['index', repo, '--index-dir', dir, '--lexical-only']);
    assert.equal(run.code, 1, run.stderr);
    assertPlainLines(run.stderr);
    assert.match(run.stderr, /holds other files/);
    assert.deepEqual(listing(dir), [...mine].sort());
  });

  test("a folder of the user's that holds a manifest.json of its own is refused and left as it was", async () => {
    const repo = await workspace();
    const dir = await temp.make('users-extension');
    const mine = new Map([
      ['manifest.json', '{"manifest_version": 3, "name": "my extension", "version": "1.0"}\n'],
      ['background.js', 'chrome.runtime.onInstalled.addListener(() => {});\n'],
    ]);
    for (const [f, text] of mine) writeFileSync(path.join(dir, f), text);
    const run = await cli(['index', repo, '--index-dir', dir, '--lexical-only']);
    assert.equal(run.code, 1, run.stderr);
    assertPlainLines(run.stderr);
    assert.match(run.stderr, /holds other files/);
    assert.deepEqual(listing(dir), [...mine.keys()].sort());
    for (const [f, text] of mine) assert.equal(readFileSync(path.join(dir, f), 'utf8'), text, f);
  });

  test("files the user adds to an index folder survive every save", async () => {
    const repo = await workspace();
    const dir = path.join(await temp.make('index-with-extras'), 'index');
    await indexOnce(repo, dir);
    const mine = ['notes.g1.txt', 'report.g7.pdf', 'data.g2', 'catalog.g1.txt', 'lexical.g3', 'catalog.json'];
    for (const f of mine) writeFileSync(path.join(dir, f), 'precious');
    for (let i = 0; i < 3; i++) {
      writeFileSync(path.join(repo, 'src', `extra${i}.py`), `def extra_${i}():\n    return ${i}\n`);
      assert.equal((await indexOnce(repo, dir)).summary.filesParsed, 1);
    }
    for (const f of mine) assert.equal(readFileSync(path.join(dir, f), 'utf8'), 'precious', f);
  });
});

/** A commit to the index in `dir` as the process that holds its lock makes one: an index of `repo` made in another folder and put in place, manifest last. */
async function commitAsAnotherProcess(repo: string, dir: string): Promise<void> {
  const elsewhere = path.join(await temp.make('commit-elsewhere'), 'index');
  const other = await open(repo, elsewhere);
  await other.engine.refresh();
  await other.engine.close();
  for (const name of readdirSync(elsewhere).filter((f) => f !== 'manifest.json' && f !== 'index.lock')) fs.copyFileSync(path.join(elsewhere, name), path.join(dir, name));
  fs.copyFileSync(path.join(elsewhere, 'manifest.json'), path.join(dir, 'manifest.json'));
}

test('an engine that only reads an index another process holds reads it again when that process commits (reloadSaved), and takes it over once it is done', async (t) => {
  const repo = await workspace();
  const dir = path.join(await temp.make('reload-saved'), 'index');
  mkdirSync(dir, { recursive: true });
  const held = IndexLock.acquire(dir); // this test process is the other writer
  assert.ok(held instanceof IndexLock);
  let released = false;
  const { engine } = await open(repo, dir);
  try {
    assert.equal(engine.readOnly, true);
    assert.equal(engine.heldByAnotherProcess, true);
    assert.equal(await engine.reloadSaved(), false, 'nothing committed since it was read');
    assert.equal(engine.contents().chunks, 0);
    // the other process commits: an index of the same folder, made elsewhere and put in place, manifest last
    await commitAsAnotherProcess(repo, dir);
    // a search in progress that does not end (a stuck model): the reading gives up after a moment, keeps nothing, and is tried again later
    const foreground = (engine as unknown as { foreground: { run<T>(request: () => Promise<T>): Promise<T> } }).foreground;
    let endSearch!: () => void;
    const searching = foreground.run(() => new Promise<void>((resolve) => (endSearch = resolve)));
    const started = Date.now();
    assert.equal(await engine.reloadSaved(), false, 'not swapped under a search');
    assert.ok(Date.now() - started < 10_000, `gave up after ${Date.now() - started} ms`);
    assert.equal(engine.contents().chunks, 0);
    endSearch();
    await searching;
    assert.equal(await engine.reloadSaved(), false, 'not again within 10 s of the reading it gave up');
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    t.mock.timers.tick(10_001);
    const revision = engine.revision;
    assert.equal(await engine.reloadSaved(), true);
    t.mock.timers.reset();
    assert.ok(engine.revision > revision, 'a new revision: answers made before are not reused');
    assert.ok(engine.contents().chunks > 0);
    assert.equal((await engine.search('parse config', { top: 1 }))[0]?.name, 'parse_config');
    assert.equal(engine.readOnly, true, 'still only reading');
    assert.equal(await engine.reloadSaved(), false, 'read already');
    held.release();
    released = true;
    assert.equal(engine.heldByAnotherProcess, false);
    const summary = await engine.refresh();
    assert.equal(engine.readOnly, false, 'taken over');
    assert.equal(summary.filesParsed, 0, 'what it read is up to date');
    assert.equal(await engine.reloadSaved(), false, 'a writer reads nothing again');
  } finally {
    if (!released) held.release();
    await engine.close();
  }
});

test('an engine closed while it reads another process\'s save again keeps nothing of that reading: the lock it took is released', async () => {
  const repo = await workspace();
  const dir = path.join(await temp.make('reload-close'), 'index');
  mkdirSync(dir, { recursive: true });
  const held = IndexLock.acquire(dir);
  assert.ok(held instanceof IndexLock);
  const { engine } = await open(repo, dir);
  await commitAsAnotherProcess(repo, dir);
  held.release(); // the other process is done: the reading takes the lock
  const reading = engine.reloadSaved();
  await engine.close();
  assert.equal(await reading, false, 'closed meanwhile');
  assert.equal(lockHeld(dir), false, 'no lock left behind');
  const again = await open(repo, dir);
  try {
    assert.equal(again.engine.readOnly, false);
  } finally {
    await again.engine.close();
  }
});

describe('locks', () => {
  test('closing the engine releases the lock even when the model fails to shut down', async () => {
    const repo = await workspace('close-fails');
    const dir = path.join(await temp.make('close-fails'), 'index');
    const engine = await Engine.open(repo, { indexDir: dir, model });
    const embedder = (engine as unknown as { embedder: { dispose(): Promise<void> } }).embedder;
    const dispose = embedder.dispose.bind(embedder);
    embedder.dispose = async () => {
      await dispose();
      throw new Error('the model did not shut down');
    };
    assert.ok(existsSync(path.join(dir, 'index.lock')));
    await assert.rejects(engine.close(), /did not shut down/);
    assert.equal(existsSync(path.join(dir, 'index.lock')), false, 'the lock outlives the engine');
  });

  test('a lock whose pid now belongs to another live process (pid 1) is stale', async () => {
    const repo = await workspace();
    const dir = path.join(await temp.make('stale-lock'), 'index');
    mkdirSync(dir, { recursive: true });
    const lockFile = path.join(dir, 'index.lock');
    writeFileSync(lockFile, JSON.stringify({ pid: 1, host: hostname(), start: '1', token: 'left-by-a-crash' }));
    const run = await cli(['index', repo, '--index-dir', dir, '--lexical-only']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(summaryFiles(run.stderr), 4);

    // an older version's lock (a bare pid), written before that pid's process started
    writeFileSync(lockFile, '1');
    const longAgo = new Date('2001-01-01T00:00:00Z');
    utimesSync(lockFile, longAgo, longAgo);
    writeFileSync(path.join(repo, 'src', 'more.py'), 'def more():\n    return 1\n');
    const again = await indexOnce(repo, dir);
    assert.deepEqual(again.logs.filter((m) => /updating this index/.test(m)), []);
    assert.equal(again.summary.files, 5);
    assert.equal(again.summary.filesParsed, 1);
    assert.equal(existsSync(lockFile), false, 'released at the end');
  });

  test('lockHeld tells a live holder from no lock, a released one and a dead process\'s, without taking it', async () => {
    const dir = path.join(await temp.make('held'), 'index');
    assert.equal(lockHeld(dir), false, 'no folder, no lock');
    const held = IndexLock.acquire(dir);
    assert.ok(held instanceof IndexLock);
    assert.equal(lockHeld(dir), true);
    assert.ok(!(IndexLock.acquire(dir) instanceof IndexLock), 'asking did not take it');
    held.release();
    assert.equal(lockHeld(dir), false);
    // a process that has exited: its pid no longer runs
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(path.join(dir, 'index.lock'), JSON.stringify({ pid: Number(dead.stdout), host: hostname(), token: 'x' }));
    assert.equal(lockHeld(dir), false, 'stale');
    writeFileSync(path.join(dir, 'index.lock'), '{"pid": "__proto__"}');
    assert.equal(lockHeld(dir), false, 'damaged');
  });

  test('a lock whose process has exited but not been collected by its parent (a zombie) is stale, and taken over', async (t) => {
    if (process.platform !== 'linux') return t.skip('process states are read from /proc on Linux');
    // the shell's child exits at once; the shell, now `sleep`, never collects it
    const parent = spawn('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number((await once(parent.stdout!, 'data'))[0].toString().trim());
      /** the fields of /proc/<pid>/stat after the command name: [0] is the state, [19] the start time */
      const fields = () => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      };
      for (let i = 0; i < 200 && fields()[0] !== 'Z'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      const [state, start] = [fields()[0], fields()[19]];
      assert.equal(state, 'Z', 'a zombie');
      const dir = path.join(await temp.make('zombie'), 'index');
      mkdirSync(dir, { recursive: true });
      // as that process would have written it: its pid and start time
      writeFileSync(path.join(dir, 'index.lock'), JSON.stringify({ pid, host: hostname(), start, token: 'killed' }));
      assert.equal(lockHeld(dir), false, 'stale');
      const taken = IndexLock.acquire(dir);
      assert.ok(taken instanceof IndexLock, `taken over: ${JSON.stringify(taken)}`);
      taken.release();
    } finally {
      parent.kill();
    }
  });

  test('a second `index` waits for the process that holds the lock, then indexes', async () => {
    const repo = await workspace();
    const dir = path.join(await temp.make('busy'), 'index');
    const held = IndexLock.acquire(dir);
    assert.ok(held instanceof IndexLock);
    let released = false;
    const run = await cli(['index', repo, '--index-dir', dir, '--lexical-only'], {
      onStderr: (text) => {
        if (!released && /waiting up to \d+ s for pid \d+/.test(text)) {
          released = true;
          held.release();
        }
      },
    });
    held.release();
    assert.ok(released, `expected a waiting notice, got ${JSON.stringify(run.stderr)}`);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(summaryFiles(run.stderr), 4);
    assert.doesNotMatch(run.stderr, /is updating this index/, 'index answers nothing from a saved state: only its wait is said');
  });

  test('search and related on an index another process has saved nothing of yet fail at once, in words, rather than answer "no results"', async () => {
    const repo = await workspace();
    for (const command of [['search', repo, 'parse config'], ['related', repo, 'src/files.py:2']]) {
      const dir = path.join(await temp.make(`busy-first-${command[0]}`), 'index');
      const held = IndexLock.acquire(dir); // a live process (this one) builds the first index, and holds the lock while its index is open
      assert.ok(held instanceof IndexLock);
      try {
        const run = await cli([...command.slice(0, 2), '--index-dir', dir, '--lexical-only', '--json', ...command.slice(2)], { timeoutMs: 60_000 });
        assert.equal(run.signal, null);
        assert.equal(run.code, 1, run.stderr);
        assert.equal(run.stdout, '', 'no answer from an index that has nothing');
        assert.match(run.stderr, /is updating this index; it has saved nothing yet/);
        assert.match(run.stderr, new RegExp(`codescout: another Code Scout process \\(pid ${process.pid}\\) is updating the index at .*; try again when it has finished`));
        assert.doesNotMatch(run.stderr, /waiting up to/, 'an editor holds the lock for as long as its index is open: no wait');
      } finally {
        held.release();
      }
    }
    // with a saved index, a question does not wait: it answers from it
    const dir = path.join(await temp.make('busy-saved'), 'index');
    assert.equal((await cli(['index', repo, '--index-dir', dir, '--lexical-only'])).code, 0);
    const held = IndexLock.acquire(dir);
    assert.ok(held instanceof IndexLock);
    try {
      const run = await cli(['search', repo, '--index-dir', dir, '--lexical-only', '--json', 'parse config'], { timeoutMs: 60_000 });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /answering from its last saved state/);
      assert.doesNotMatch(run.stderr, /waiting up to/);
      assert.equal((JSON.parse(run.stdout) as { results: { name: string }[] }).results[0].name, 'parse_config');
    } finally {
      held.release();
    }
  });

  test('a lock file only seconds old that names no holder: search answers from the saved index, and index waits until it can take it over', async () => {
    const repo = await workspace();
    const dir = path.join(await temp.make('young-damaged-lock'), 'index');
    assert.equal((await cli(['index', repo, '--index-dir', dir, '--lexical-only'])).code, 0);
    writeFileSync(path.join(dir, 'index.lock'), 'not a lock'); // it failed every command with "other processes keep taking it"
    const search = await cli(['search', repo, '--index-dir', dir, '--lexical-only', '--json', 'parse config'], { timeoutMs: 60_000 });
    assert.equal(search.code, 0, search.stderr);
    assert.match(search.stderr, /another Code Scout process \(its lock file, seconds old, names none\) is updating this index; answering from its last saved state/);
    assert.equal((JSON.parse(search.stdout) as { results: { name: string }[] }).results[0].name, 'parse_config');
    writeFileSync(path.join(dir, 'index.lock'), 'not a lock');
    const index = await cli(['index', repo, '--index-dir', dir, '--lexical-only'], { timeoutMs: 60_000 });
    assert.equal(index.code, 0, index.stderr);
    assert.match(index.stderr, /waiting up to \d+ s for the holder of a lock file that names none/);
    assert.doesNotMatch(index.stderr, /answering from/, 'index answers nothing from the saved state');
    assert.equal(existsSync(path.join(dir, 'index.lock')), false, 'taken over, then released');
  });

  test('when the holder does not finish in time, refresh with requireWrite fails plainly; a plain refresh answers from the saved index', async () => {
    const repo = await workspace();
    const dir = path.join(await temp.make('busy-timeout'), 'index');
    const writer = await Engine.open(repo, { indexDir: dir, model: null });
    await writer.refresh();
    try {
      const logs: string[] = [];
      const second = await Engine.open(repo, { indexDir: dir, model: null, lockWaitMs: 300, log: (m) => logs.push(m) });
      try {
        await assert.rejects(second.refresh({ requireWrite: true }), (err: unknown) => {
          assert.ok(err instanceof IndexNotWritableError);
          assert.match(err.message, new RegExp(`another Code Scout process \\(pid ${process.pid}\\) is updating the index at`));
          return true;
        });
        const summary = await second.refresh();
        assert.equal(summary.files, 4);
        assert.equal((await second.search('parse config'))[0].name, 'parse_config');
      } finally {
        await second.close();
      }
    } finally {
      await writer.close();
    }
  });
});

describe('an index file that cannot be read for a moment', () => {
  for (const [what, file] of [
    ['the catalog', /catalog\.g\d+\.bin$/],
    ['the lexical index', /lexical\.g\d+\.bin$/],
  ] as const) {
    test(`${what}: opening fails saying why, and the index is kept (it was discarded and rebuilt when the catalog could not be opened)`, async (t) => {
      const repo = await workspace();
      const dir = path.join(await temp.make('emfile'), 'index');
      const first = await open(repo, dir, { model: null });
      await first.engine.refresh();
      const clean = await first.engine.search('parse config');
      await first.engine.close();
      const before = readdirSync(dir).sort();
      assert.ok(before.some((f) => file.test(f)), before.join(', '));
      const openSync = fs.openSync;
      let failed = 0;
      t.mock.method(fs, 'openSync', (p: fs.PathLike, ...rest: unknown[]) => {
        if (file.test(String(p))) {
          failed++;
          throw Object.assign(new Error(`EMFILE: too many open files, open '${String(p)}'`), { code: 'EMFILE', errno: -24, syscall: 'open', path: String(p) });
        }
        return (openSync as (...args: unknown[]) => number)(p, ...rest);
      });
      const logs: string[] = [];
      await assert.rejects(Engine.open(repo, { indexDir: dir, model: null, log: (m) => logs.push(m) }), /EMFILE/);
      assert.ok(failed > 0, 'the fault was injected');
      assert.ok(!logs.some((m) => /damaged|rebuilt/.test(m)), logs.join('\n'));
      t.mock.restoreAll();
      assert.deepEqual(readdirSync(dir).sort(), before, 'no file of the index changed');
      const again = await open(repo, dir, { model: null });
      try {
        assert.deepEqual(again.logs.filter((m) => /damaged|rebuilt/.test(m)), []);
        assert.equal((await again.engine.refresh()).filesParsed, 0, 'nothing to read again');
        assert.deepEqual(await again.engine.search('parse config'), clean);
      } finally {
        await again.engine.close();
      }
    });
  }
});

test('a refresh stopped by an error after it changed the index in memory (the parser could not start) leaves the next refresh to save those changes, though it finds nothing new', async (t) => {
  const repo = await workspace();
  const dir = path.join(await temp.make('refresh-fails'), 'index');
  const { engine } = await open(repo, dir);
  try {
    await engine.refresh();
    rmSync(path.join(repo, 'src', 'button.ts'));
    writeFileSync(path.join(repo, 'src', 'added.py'), 'def added():\n    return 1\n');
    // tree-sitter cannot be loaded: the new file cannot be chunked, and the run fails (after the removed file left the index in memory)
    const { Chunker } = require('../src/engine/chunks/chunker') as typeof import('../src/engine/chunks/chunker');
    t.mock.method(Chunker, 'create', () => Promise.reject(new Error('no grammar could be loaded')));
    await assert.rejects(engine.refresh(), /no grammar could be loaded/);
    t.mock.restoreAll();
    assert.equal((await snapshotIndex(repo, dir)).files.has('src/button.ts'), true, 'the saved index still holds the removed file');
    rmSync(path.join(repo, 'src', 'added.py'));
    const next = await engine.refresh();
    assert.deepEqual([next.filesParsed, next.filesRemoved], [0, 0], 'nothing new: the file left the index in memory already');
    assert.equal((await snapshotIndex(repo, dir)).files.has('src/button.ts'), false, 'saved now (it stayed on disk until some later change)');
  } finally {
    await engine.close();
  }
});

describe('special files where index files belong', () => {
  test('a named pipe as index.lock is a clear error, not a hang', async () => {
    const repo = await workspace();
    const dir = path.join(await temp.make('fifo-lock'), 'index');
    mkdirSync(dir, { recursive: true });
    execFileSync('mkfifo', [path.join(dir, 'index.lock')]);
    const run = await cli(['search', repo, '--index-dir', dir, '--lexical-only', 'parse'], { timeoutMs: 20_000 });
    assert.equal(run.signal, null, 'it did not hang');
    assert.equal(run.code, 1, run.stderr);
    assertPlainLines(run.stderr);
    assert.match(run.stderr, /index\.lock is a named pipe, not a lock file/);
  });

  test('a named pipe as manifest.json or as the embedding cache is reported and replaced, never read', async () => {
    const repo = await workspace();
    const dir = path.join(await temp.make('fifo-files'), 'index');
    const args = ['search', repo, '--index-dir', dir, '--model', model, '--json', 'parse config'];
    const { engine } = await open(repo, dir, { model });
    await engine.refresh();
    const clean = await engine.search('parse config');
    await engine.close();
    for (const victim of ['manifest.json', readdirSync(dir).find((f) => f.endsWith('.cache'))!]) {
      rmSync(path.join(dir, victim));
      execFileSync('mkfifo', [path.join(dir, victim)]);
    }
    const run = await cli(args, { timeoutMs: 30_000 });
    assert.equal(run.signal, null, 'it did not hang');
    assert.equal(run.code, 0, run.stderr);
    assertPlainLines(run.stderr);
    assert.match(run.stderr, /damaged \(manifest\.json is a named pipe, not a file\); it will be rebuilt/);
    assert.deepEqual(JSON.parse(run.stdout).results, JSON.parse(JSON.stringify(clean)));
    const reopened = await open(repo, dir, { model });
    await reopened.engine.close();
    assert.deepEqual(reopened.logs, [], 'the rebuilt index is sound');
  });

  test('an empty folder as manifest.json or as the embedding cache is reported and replaced', async () => {
    const repo = await workspace();
    const dir = path.join(await temp.make('dir-files'), 'index');
    const first = await open(repo, dir, { model });
    await first.engine.refresh();
    const clean = await first.engine.search('parse config');
    await first.engine.close();
    for (const victim of ['manifest.json', readdirSync(dir).find((f) => f.endsWith('.cache'))!]) {
      rmSync(path.join(dir, victim));
      mkdirSync(path.join(dir, victim));
    }
    const { engine, logs } = await open(repo, dir, { model });
    try {
      assert.ok(logs.some((m) => /damaged \(manifest\.json is a folder, not a file\); it will be rebuilt/.test(m)), JSON.stringify(logs));
      await engine.refresh();
      assert.deepEqual(await engine.search('parse config'), clean);
    } finally {
      await engine.close();
    }
    const reopened = await open(repo, dir, { model });
    await reopened.engine.close();
    assert.deepEqual(reopened.logs, [], 'the rebuilt index is sound');
  });

  test('a folder with content as manifest.json is a clear error', async () => {
    const repo = await workspace();
    const dir = path.join(await temp.make('dir-manifest'), 'index');
    mkdirSync(path.join(dir, 'manifest.json'), { recursive: true });
    writeFileSync(path.join(dir, 'manifest.json', 'keep.txt'), 'mine');
    await assert.rejects(indexOnce(repo, dir), /manifest\.json is a folder where the index keeps a file; remove it or choose another index folder/);
    assert.equal(readFileSync(path.join(dir, 'manifest.json', 'keep.txt'), 'utf8'), 'mine');
  });
});

describe('a folder that cannot be written', () => {
  test('search and status answer from a read-only index; index says it cannot update it', async (t) => {
    const repo = await workspace();
    let dir: string;
    let makeReadOnly: () => void;
    let undo: () => void;
    if (isRoot()) {
      const mount = await tmpfs('4m');
      if (mount === undefined) return t.skip('running as root without permission to mount a read-only file system');
      dir = mount;
      makeReadOnly = () => execFileSync('mount', ['-o', 'remount,ro', dir]);
      undo = () => unmount(dir);
    } else {
      dir = path.join(await temp.make('ro'), 'index');
      makeReadOnly = () => chmodSync(dir, 0o555);
      undo = () => chmodSync(dir, 0o755);
    }
    try {
      const query = ['--index-dir', dir, '--lexical-only'];
      await indexOnce(repo, dir);
      const { engine } = await open(repo, dir);
      const clean = await engine.search('parse config');
      await engine.close();
      makeReadOnly();
      writeFileSync(path.join(repo, 'src', 'later.py'), 'def later():\n    return 2\n');

      const search = await cli(['search', repo, ...query, '--json', 'parse config']);
      assert.equal(search.code, 0, search.stderr);
      assertPlainLines(search.stderr);
      assert.match(search.stderr, /cannot update the index at .*(read-only|permission denied).*answering from the saved index/);
      assert.deepEqual(JSON.parse(search.stdout).results, JSON.parse(JSON.stringify(clean)));

      const status = await open(repo, dir);
      try {
        assert.equal((await status.engine.status()).files, 4);
      } finally {
        await status.engine.close();
      }

      const index = await cli(['index', repo, ...query]);
      assert.equal(index.code, 1, index.stderr);
      assertPlainLines(index.stderr);
      assert.doesNotMatch(index.stderr, SUMMARY);
      assert.match(index.stderr, /cannot update the index at .*\((EROFS|EACCES)\)/);
    } finally {
      undo();
    }
  });

  /** Indexes, then runs `index` again under `fault` after a big file was added, and checks the previous index survived. */
  async function checkFailedSave(dir: string, fault: { shell?: string; before?: () => void }, message: RegExp): Promise<void> {
    const repo = await workspace();
    const args = ['--index-dir', dir, '--lexical-only'];
    await indexOnce(repo, dir);
    const manifest = readFileSync(path.join(dir, 'manifest.json'));
    const files = listing(dir);
    // prose is cheap to index and makes the index files grow past the room left
    const big = Array.from({ length: 4000 }, (_, i) => `Paragraph ${i} mentions word${i} and term${i * 7} once.\n`).join('\n');
    writeFileSync(path.join(repo, 'notes.md'), big);
    fault.before?.();
    const run = await cli(['index', repo, ...args], { shell: fault.shell });
    assert.equal(run.signal, null);
    assert.equal(run.code, 1, run.stderr);
    assertPlainLines(run.stderr);
    assert.equal(run.stderr.split('\n').filter((l) => /cannot save/.test(l)).length, 1, run.stderr);
    assert.doesNotMatch(run.stderr, SUMMARY);
    assert.match(run.stderr, new RegExp(`cannot save the index at ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    assert.match(run.stderr, message);
    assert.match(run.stderr, /the previous index is unchanged/);
    assert.deepEqual(listing(dir).filter((f) => f !== 'filler'), files, 'no lock or partial files are left');
    assert.ok(readFileSync(path.join(dir, 'manifest.json')).equals(manifest));
    // a question still gets its answer, from the index this run updated in memory, the failure said once
    const search = await cli(['search', repo, ...args, '--json', 'word1234 term8638'], { shell: fault.shell });
    assert.equal(search.code, 0, search.stderr);
    assertPlainLines(search.stderr);
    assert.equal(search.stderr.split('\n').filter((l) => /cannot save the index at .*; answering from the index in memory, which this run could not save$/.test(l)).length, 1, search.stderr);
    assert.equal((JSON.parse(search.stdout) as { results: { path: string }[] }).results[0]?.path, 'notes.md', search.stdout);
    assert.deepEqual(listing(dir).filter((f) => f !== 'filler'), files, 'the search left nothing either');
    assert.ok(readFileSync(path.join(dir, 'manifest.json')).equals(manifest));
    const reopened = await open(repo, dir);
    try {
      assert.deepEqual(reopened.logs.filter((m) => /damaged/.test(m)), []);
      assert.equal((await reopened.engine.status()).files, 4, 'the previous index still opens');
    } finally {
      await reopened.engine.close();
    }
  }

  test('a full disk: a clear error naming the folder, no lock left, the previous index intact', async (t) => {
    const mount = await tmpfs('512k');
    if (mount === undefined) return t.skip('no tmpfs can be mounted here (needs root); the file-size-limit test injects the write error instead');
    try {
      const dir = path.join(mount, 'index');
      await checkFailedSave(
        dir,
        {
          before: () => {
            // fill the disk, leaving a few pages: room for the lock, not for the new generation
            const free = Number(statfsSync(mount).bavail) * Number(statfsSync(mount).bsize);
            writeFileSync(path.join(dir, 'filler'), Buffer.alloc(Math.max(0, free - 16 * 1024)));
          },
        },
        /the disk is full \(ENOSPC\)/,
      );
    } finally {
      unmount(mount);
    }
  });

  test('a write that fails (the file-size limit) gives the same clear error and keeps the previous index', async () => {
    const dir = path.join(await temp.make('fsize'), 'index');
    // SIGXFSZ ignored: a write past the limit fails with EFBIG instead of killing the process
    await checkFailedSave(dir, { shell: "trap '' XFSZ; ulimit -f 128" }, /\(EFBIG\)/);
  });
});

describe('one index folder, two workspace folders', () => {
  test('the second folder is refused with a clear message; the first keeps its index', async () => {
    const first = await workspace('first');
    const second = await workspace('second');
    const dir = path.join(await temp.make('shared'), 'index');
    await indexOnce(first, dir);
    const manifest = readFileSync(path.join(dir, 'manifest.json'));
    const run = await cli(['search', second, '--index-dir', dir, '--lexical-only', 'parse']);
    assert.equal(run.code, 1, run.stderr);
    assertPlainLines(run.stderr);
    assert.match(run.stderr, new RegExp(`holds the index of ${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; choose another index folder`));
    assert.ok(readFileSync(path.join(dir, 'manifest.json')).equals(manifest));
    const again = await indexOnce(first, dir);
    assert.equal(again.summary.files, 4);
    assert.equal(again.summary.filesParsed, 0);
  });
});

describe('an index in an older format', () => {
  for (const older of ['lexical.bin', 'lexical.bin (2)', 'catalog.json', 'catalog.bin (3)'] as const) {
    const described = older === 'lexical.bin' ? 'the first lexical format' : older === 'lexical.bin (2)' ? 'the second lexical format' : older === 'catalog.json' ? 'the JSON catalog' : 'the third catalog format';
    test(`(${described}) is read as it is, says so in one line, and is written in the current format by its next update`, async () => {
      const repo = await workspace('old-format');
      const indexDir = path.join(await temp.make('old-format-index'), 'index');
      const first = await Engine.open(repo, { indexDir, model, log: () => {} });
      await first.refresh();
      const answers = JSON.stringify(await first.search('parse the configuration file'));
      await first.close();
      const manifestPath = path.join(indexDir, 'manifest.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest<unknown>;
      if (older === 'lexical.bin') {
        // its lexical file rewritten in format 1, and the manifest made to match it
        const entry = manifest.files['lexical.bin'];
        const old = lexicalFormatOne(readFileSync(path.join(indexDir, entry.file)));
        writeFileSync(path.join(indexDir, entry.file), old);
        Object.assign(entry, { bytes: old.length, sha256: sha256Hex(old) });
        delete entry.crc32; // as the versions of that format wrote manifests: SHA-256s only (checksum.ts)
      } else if (older === 'lexical.bin (2)') {
        // its lexical file rewritten in format 2 (the terms without their hash table), and the manifest made to match it
        const entry = manifest.files['lexical.bin'];
        const old = lexicalFormatTwo(readFileSync(path.join(indexDir, entry.file)));
        writeFileSync(path.join(indexDir, entry.file), old);
        delete entry.crc32;
        Object.assign(entry, { bytes: old.length }, new Checksummer('write').update(old).written()); // the CRC-32 too, where this runtime computes one
      } else if (older === 'catalog.bin (3)') {
        // its catalog rewritten in format 3 (varints, no columns), and the manifest made to match it
        const entry = manifest.files['catalog.bin'];
        const old = catalogFormatThree(decodeCatalog(readFileSync(path.join(indexDir, entry.file))).data);
        writeFileSync(path.join(indexDir, entry.file), old);
        delete entry.crc32;
        Object.assign(entry, { bytes: old.length }, new Checksummer('write').update(old).written());
      } else {
        // its catalog in the JSON of format 1, named catalog.json as it then was
        const catalogEntry = manifest.files['catalog.bin'];
        const { data } = decodeCatalog(readFileSync(path.join(indexDir, catalogEntry.file)));
        const json = Buffer.from(JSON.stringify({ ...data, files: Object.fromEntries(data.files) }));
        const jsonFile = catalogEntry.file.replace(/\.bin$/, '.json');
        writeFileSync(path.join(indexDir, jsonFile), json);
        rmSync(path.join(indexDir, catalogEntry.file));
        delete manifest.files['catalog.bin'];
        manifest.files['catalog.json'] = { file: jsonFile, bytes: json.length, sha256: sha256Hex(json) };
      }
      const checksum = manifestChecksum(manifest);
      writeFileSync(manifestPath, JSON.stringify({ ...manifest, checksum }));
      ChangeLogWriter.start(indexDir, manifest.generation, checksum); // the generation's (empty) log, for the manifest as it is now

      const lines: string[] = [];
      const engine = await Engine.open(repo, { indexDir, model, log: (line) => lines.push(line) });
      assert.deepEqual(lines.filter((l) => /older format/.test(l)), [`the index in ${indexDir} is in an older format; its next update writes it in the current one`]);
      assert.equal(lines.filter((l) => /damaged|rebuilt/.test(l)).length, 0, lines.join('\n'));
      assert.equal(JSON.stringify(await engine.search('parse the configuration file')), answers);
      const summary = await engine.refresh();
      assert.equal(summary.filesParsed, 0, 'nothing was indexed again');
      await engine.close();
      const upgraded = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest<unknown>;
      assert.ok(upgraded.generation > manifest.generation, 'a new generation was written');
      assert.equal(readFileSync(path.join(indexDir, upgraded.files['lexical.bin'].file)).readUInt32LE(4), LEXICAL_FORMAT_VERSION);
      assert.deepEqual(Object.keys(upgraded.files).sort(), ['catalog.bin', 'lexical.bin', 'vectors.bin']);
      assert.equal(decodeCatalog(readFileSync(path.join(indexDir, upgraded.files['catalog.bin'].file))).version, CATALOG_FORMAT_VERSION);

      lines.length = 0;
      const again = await Engine.open(repo, { indexDir, model, log: (line) => lines.push(line) });
      assert.equal(JSON.stringify(await again.search('parse the configuration file')), answers);
      await again.refresh();
      await again.close();
      assert.deepEqual(lines.filter((l) => /older format|damaged/.test(l)), []);
      // the replaced generation's files (an older catalog's among them) went with the upgrade's commit
      assert.deepEqual(readdirSync(indexDir).filter((f) => /^catalog\.g\d+\.json$/.test(f)), []);
    });
  }
});

test('an index whose vector graph is of format 4 (before copies of a vector shared a node) is searched as it is, says so, and its next update builds the graph again with shared nodes', async () => {
  const repo = await workspace('old-graph');
  const copy = path.join(repo, 'src/copy.py');
  const original = readFileSync(path.join(repo, 'src/files.py'), 'utf8');
  // not a copy yet: format 4 gave each vector a node of its own, which this build does only to distinct vectors
  writeFileSync(copy, 'def send_email(address, body):\n    smtp.send(address, body)\n\ndef hash_password(secret):\n    return sha256(secret).hexdigest()\n');
  const indexDir = path.join(await temp.make('old-graph-index'), 'index');
  const vectorIndex = { exactSearchMaxVectors: 0 }; // a graph at any size
  const first = await Engine.open(repo, { indexDir, model, vectorIndex, log: () => {} });
  await first.refresh();
  const answers = JSON.stringify(await first.search('read the file'));
  await first.close();
  const manifestPath = path.join(indexDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest<unknown>;
  assert.ok(manifest.files['graph.hnsw'], 'the index has a graph');
  const entry = manifest.files['vectors.bin'];
  const current = readFileSync(path.join(indexDir, entry.file));
  assert.equal(current.readUInt32LE(4), 5);
  const aliases = (bytes: Buffer): number => bytes.readUInt32LE(60 + 4 * bytes.readUInt32LE(16) + 4); // after the header, the labels and the flags
  assert.equal(aliases(current), 0);
  // the vector file as format 4 wrote it: the header and the labels, nothing after them
  const old = Buffer.from(current.subarray(0, 60 + 4 * current.readUInt32LE(16)));
  old.writeUInt32LE(4, 4);
  writeFileSync(path.join(indexDir, entry.file), old);
  delete entry.crc32;
  Object.assign(entry, { bytes: old.length }, new Checksummer('write').update(old).written());
  const checksum = manifestChecksum(manifest);
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, checksum }));
  ChangeLogWriter.start(indexDir, manifest.generation, checksum);

  const lines: string[] = [];
  const engine = await Engine.open(repo, { indexDir, model, vectorIndex, log: (line) => lines.push(line) });
  assert.deepEqual(lines.filter((l) => /older format|damaged/.test(l)), [`the index in ${indexDir} is in an older format; its next update writes it in the current one, and builds its vector graph again`]);
  assert.equal(JSON.stringify(await engine.search('read the file')), answers);
  // now a copy: its vector is another's, which a graph of format 4 does not know to share until it is built again
  writeFileSync(copy, original);
  const summary = await engine.refresh();
  assert.equal(summary.filesParsed, 1);
  await engine.close();
  const upgraded = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest<unknown>;
  assert.ok(upgraded.generation > manifest.generation, 'a new generation was written');
  const written = readFileSync(path.join(indexDir, upgraded.files['vectors.bin'].file));
  assert.equal(written.readUInt32LE(4), 5);
  assert.equal(aliases(written), 2, "the copy's two functions share the nodes of the original's");
  lines.length = 0;
  const again = await Engine.open(repo, { indexDir, model, vectorIndex, log: (line) => lines.push(line) });
  const hits = await again.search('read the file');
  assert.ok(hits.some((hit) => hit.path === 'src/copy.py') && hits.some((hit) => hit.path === 'src/files.py'), JSON.stringify(hits));
  await again.close();
  assert.deepEqual(lines.filter((l) => /older format|damaged/.test(l)), []);
});

test('a save removes the temporary files of change logs and of embedding caches that dead processes left, and keeps a live one\'s', async () => {
  const repo = await workspace('temp-files');
  const dir = path.join(await temp.make('temp-files'), 'index');
  mkdirSync(dir, { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!; // exited by now
  // a cache compaction killed midway leaves a temporary file as large as the cache
  const removed = [`.embeddings-0123456789ab.cache.${dead}.0a1b2c3d.tmp`, `.changes.g3.log.${dead}.ff00ff00.tmp`];
  const kept = [`.embeddings-0123456789ab.cache.${process.pid}.0a1b2c3d.tmp`]; // a live process's (one compacting the cache now)
  for (const file of [...removed, ...kept]) writeFileSync(path.join(dir, file), 'x');
  const engine = await Engine.open(repo, { indexDir: dir, model: null });
  try {
    await engine.refresh(); // the first save
  } finally {
    await engine.close();
  }
  for (const file of removed) assert.equal(existsSync(path.join(dir, file)), false, file);
  for (const file of kept) assert.equal(existsSync(path.join(dir, file)), true, file);
});
