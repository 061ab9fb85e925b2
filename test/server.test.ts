/**
 * The engine process driven the way the extension drives it: a child process spoken to over
 * JSON-RPC on stdio, on a copy of the fixture repository, with the tiny model.
 */
import { after, before, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { ENGINE_EXEC_ARGV } from '../src/server/launch';
import { Workspace } from '../src/server/workspace';
import { once } from 'node:events';
import { rm, utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createMessageConnection, ErrorCodes, StreamMessageReader, StreamMessageWriter, type Message, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  Cancel,
  Configure,
  Definitions,
  DefinitionsNamed,
  FilesChanged,
  FolderStatusChanged,
  Log,
  Reindex,
  Related,
  RestartWanted,
  Search,
  SetLogLevel,
  Shutdown,
  Similar,
  Status,
  type FolderOptions,
  type FolderStatus,
} from '../src/protocol/protocol';
import { Coalescer } from '../src/server/coalescer';
import { autogroupNiceness, lowerPriority } from '../src/server/priority';
import { getPriority } from 'node:os';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { Engine } from '../src/engine/engine';
import { IndexLock } from '../src/engine/index/lock';
import { LruCache } from '../src/server/lru-cache';
import { InvalidRequestError, MAX_CODE_CHARS, MAX_QUERY_CHARS, queryParams } from '../src/server/requests';
import { MAX_QUERY_CHARS as ENGINE_MAX_QUERY_CHARS } from '../src/engine/search/query';
import { buildFixtureModel, copyFixtureRepo, lineOf, TempDirs, TOO_LARGE_FILE, writeIn } from './helpers/workspace';
import { asChunkedUnder } from './helpers/index-snapshot';

/** The engine process as compiled by tsc beside this test (out/src/server/main.js). */
const SERVER = path.join(__dirname, '..', 'src', 'server', 'main.js');
/** The shipped model: unlike the tiny one, its tokenizer has a word list, so queries are spelled. */
const SHIPPED_MODEL_DIR = path.join(__dirname, '..', '..', 'models', 'codescout-code-v1');

const temp = new TempDirs();
let model: string;

before(async () => {
  model = (await buildFixtureModel(await temp.make('server-model'))).dir;
});
after(() => temp.cleanup());

/** A running engine process with the notifications it has sent. */
class EngineProcess {
  readonly statuses: FolderStatus[] = [];
  private readonly waiters: { test: (s: FolderStatus) => boolean; resolve: (s: FolderStatus) => void }[] = [];
  readonly connection: MessageConnection;

  constructor(readonly child: ChildProcess) {
    this.connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.connection.onNotification(FolderStatusChanged, (s) => {
      this.statuses.push(s);
      for (const w of this.waiters.filter((w) => w.test(s))) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(s);
      }
    });
    this.connection.listen();
  }

  /**
   * `detached`: in a session of its own, as the extension starts it on Linux with `--nice`
   * (engine-client.ts); `underShell`: in a session of its own led by a shell, its parent (the
   * child here is the shell).
   */
  static start(args: readonly string[] = [], { detached = false, underShell = false } = {}): EngineProcess {
    // with the V8 flags the editor starts it with (server/launch.ts)
    const command = [process.execPath, ...ENGINE_EXEC_ARGV, SERVER, ...args];
    const stdio: ('pipe' | 'inherit')[] = ['pipe', 'pipe', 'inherit'];
    // not a lone command, so that the shell stays and leads the session (no exec of its last command)
    if (underShell) return new EngineProcess(spawn('/bin/sh', ['-c', '"$@"; exit $?', 'sh', ...command], { stdio, detached: true }));
    return new EngineProcess(spawn(command[0], command.slice(1), { stdio, detached }));
  }

  /** The first status notification from now on that satisfies `test`. */
  next(test: (s: FolderStatus) => boolean): Promise<FolderStatus> {
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  async stop(): Promise<void> {
    const exited = once(this.child, 'exit');
    await this.connection.sendRequest(Shutdown, undefined);
    this.child.stdin!.end();
    const [code] = await exited;
    assert.equal(code, 0, 'the engine process exits cleanly after shutdown');
    this.connection.dispose();
  }
}

function options(indexLocation: string, extra: Partial<FolderOptions> = {}): FolderOptions {
  return { include: [], exclude: [], maxFileBytes: 1024 * 1024, threads: 1, spelling: true, indexLocation, model, ...extra };
}

async function fixture(label: string): Promise<{ root: string; indexLocation: string }> {
  const root = await copyFixtureRepo(path.join(await temp.make(label), 'repo'));
  return { root, indexLocation: await temp.make(`${label}-index`) };
}

const ready = (root: string) => (s: FolderStatus) => s.root === root && s.state === 'ready';

test('with --nice, the engine process lowers its scheduling priority as it starts; a bad niceness is refused with a warning', async (t) => {
  if (process.platform === 'win32') return t.skip('Windows maps niceness to priority classes');
  const own = getPriority();
  if (own >= 7) return t.skip(`this test process already runs at niceness ${own}`);
  const engine = EngineProcess.start(['--nice', '7']);
  try {
    await engine.connection.sendRequest(Configure, { folders: [], indexOnOpen: false });
    assert.equal(getPriority(engine.child.pid!), 7);
    if (process.platform === 'linux') {
      // every thread: V8's, started before the flag was read, and those started since
      const tasks = `/proc/${engine.child.pid}/task`;
      const niceness = readdirSync(tasks).flatMap((id) => {
        try {
          return [getPriority(Number(id))];
        } catch {
          return []; // a thread that ended since it was listed
        }
      });
      assert.ok(niceness.length > 1);
      assert.deepEqual(niceness, niceness.map(() => 7));
    }
  } finally {
    await engine.stop();
  }
  for (const bad of [['--nice', '0'], ['--nice', '25'], ['--nice', 'low'], ['--nice']]) {
    assert.match(lowerPriority(bad)!, /--nice needs a niceness from 1 to 19/, bad.join(' '));
  }
  assert.equal(getPriority(), own, 'a refused niceness changed nothing');
  assert.equal(lowerPriority(['--agent-socket', 'x']), undefined, 'without --nice, nothing to do');
});

test("with --nice, an engine that leads its own session lowers that session's scheduling group too, never a group of a session another process leads, and still ends when its stdin closes", async (t) => {
  if (process.platform !== 'linux') return t.skip('autogroups are a Linux scheduler feature');
  let own: number;
  try {
    own = autogroupNiceness();
  } catch {
    return t.skip('this kernel has no autogroups');
  }
  if (own >= 7) return t.skip(`this test's session group already runs at niceness ${own}`);
  const alone = EngineProcess.start(['--nice', '7'], { detached: true });
  // in a session led by its shell rather than this test's: were the guard broken, the group lowered would be that shell's, not this test's
  const shared = EngineProcess.start(['--nice', '7'], { underShell: true });
  try {
    for (const engine of [alone, shared]) await engine.connection.sendRequest(Configure, { folders: [], indexOnOpen: false });
    assert.equal(autogroupNiceness(alone.child.pid!), 7, 'the group of the session the engine leads');
    assert.equal(autogroupNiceness(shared.child.pid!), own, 'the group the engine shares with the shell that leads its session is left alone');
    assert.equal(autogroupNiceness(), own);
    // the extension host going away closes the engine's stdin: a session of its own must not keep it alive
    const exited = once(alone.child, 'exit');
    alone.child.stdin!.end();
    const [code] = await exited;
    assert.equal(code, 0);
  } finally {
    if (alone.child.exitCode === null) alone.child.kill();
    await shared.stop();
  }
});

test('indexes on open, reports progress, then answers search, similar and related', async () => {
  const { root, indexLocation } = await fixture('open');
  const engine = EngineProcess.start();
  try {
    const lines: string[] = [];
    engine.connection.onNotification(Log, (line) => {
      lines.push(line.message);
    });
    await engine.connection.sendNotification(SetLogLevel, { level: 'trace' });
    const indexed = engine.next(ready(root));
    const initial = await engine.connection.sendRequest(Configure, {
      folders: [{ root, name: 'repo', options: options(indexLocation) }],
      indexOnOpen: true,
    });
    assert.deepEqual(initial.map((s) => s.root), [root]);
    const done = await indexed;

    assert.ok(engine.statuses.some((s) => s.state === 'indexing' && s.progress?.reason === 'open'), 'progress was reported');
    assert.equal(done.partial, false);
    assert.equal(done.mode, 'hybrid');
    assert.ok(done.contents.definitions > 10 && done.contents.chunks >= done.contents.definitions);
    assert.ok(done.contents.languages.python > 0 && done.contents.languages.go > 0);

    // idle a moment after the refresh, the engine builds its name index ahead of the searches (Engine.prepareNames)
    for (let waited = 0; !lines.some((l) => /the name index is ready/.test(l)) && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    assert.ok(lines.some((l) => /repo: the name index is ready \(\d+ ms\)/.test(l)), lines.join('\n'));

    const found = await engine.connection.sendRequest(Search, { text: 'parse config', top: 5 });
    assert.equal(found.hits[0].name, 'parse_config');
    assert.equal(found.hits[0].root, root);
    assert.equal(found.partial, false);
    assert.deepEqual(found.failures, []);

    const filtered = await engine.connection.sendRequest(Search, { text: 'retry', top: 5, languages: ['rs'] });
    assert.ok(filtered.hits.length > 0 && filtered.hits.every((h) => h.language === 'rust'));
    const byPath = await engine.connection.sendRequest(Search, { text: 'retry', top: 5, paths: ['src/http/**'] });
    assert.ok(byPath.hits.length > 0 && byPath.hits.every((h) => h.path.startsWith('src/http/')));

    const similar = await engine.connection.sendRequest(Similar, { text: 'def read_file(path):\n    return open(path).read()', top: 3 });
    assert.equal(similar.hits[0].name, 'load_file');
    // the selection compared is indexed code: left out when named (Find Similar), still three answers
    const loadAt = lineOf(root, 'src/storage/file_store.py', 'def load_file');
    const selection = { root, path: 'src/storage/file_store.py', startLine: loadAt, endLine: loadAt + 1 };
    const apart = await engine.connection.sendRequest(Similar, { text: 'def read_file(path):\n    return open(path).read()', top: 3, exclude: selection });
    assert.equal(apart.hits.length, 3);
    assert.ok(apart.hits.every((h) => !(h.path === selection.path && h.startLine <= selection.endLine && selection.startLine <= h.endLine)), JSON.stringify(apart.hits));
    assert.equal(apart.hits[0].name, 'save_file', 'the nearest code but the selection');
    // a span of another folder leaves nothing out here
    const elsewhere = await engine.connection.sendRequest(Similar, { text: 'def read_file(path):\n    return open(path).read()', top: 3, exclude: { ...selection, root: `${root}-other` } });
    assert.deepEqual(elsewhere.hits, similar.hits);

    const line = lineOf(root, 'src/storage/file_store.py', 'def load_file');
    const related = await engine.connection.sendRequest(Related, { root, path: 'src/storage/file_store.py', line, top: 3 });
    assert.ok(related);
    assert.equal(related.source.name, 'load_file');
    assert.ok(related.results.some((h) => h.name === 'save_file'), 'a file-topic neighbour');
    assert.ok(related.results.every((h) => h.name !== 'load_file'));

    const named = await engine.connection.sendRequest(Related, { root, path: 'src/storage/file_store.py', line, top: 3, name: 'load_file' });
    assert.deepEqual(named, related, 'the cached answer is the same');
    const otherName = await engine.connection.sendRequest(Related, { root, path: 'src/storage/file_store.py', line, top: 3, name: 'open' });
    assert.equal(otherName, null, 'a token that is not the definition’s name gets no related code');
    const nowhere = await engine.connection.sendRequest(Related, { root, path: 'README.md', line: 10_000, top: 3 });
    assert.equal(nowhere, null);

    const file = await engine.connection.sendRequest(Definitions, { root, path: 'src/storage/file_store.py', top: 3 });
    assert.equal(file.settled, true, 'no refresh ran: the answer holds for this generation');
    assert.equal(file.generation, done.generation);
    const names = file.definitions.map((d) => d.name);
    assert.ok(names.includes('load_file') && names.includes('save_file'), `definitions: ${names.join(', ')}`);
    assert.deepEqual([...file.definitions].sort((a, b) => a.startLine - b.startLine), file.definitions, 'by start line');
    const loadFile = file.definitions.find((d) => d.name === 'load_file')!;
    assert.equal(loadFile.root, root);
    assert.ok(loadFile.startLine <= line && line <= loadFile.endLine);
    assert.deepEqual(loadFile.related.map((r) => r.name), related.results.map((h) => h.name), 'the same neighbours as Related');
    assert.deepEqual(Object.keys(loadFile.related[0]).sort(), ['endLine', 'kind', 'name', 'path', 'root', 'startLine'], 'links only');
    const none = await engine.connection.sendRequest(Definitions, { root, path: 'no/such/file.py', top: 3 });
    assert.deepEqual(none.definitions, []);

    const byName = await engine.connection.sendRequest(DefinitionsNamed, { name: 'load_file', top: 3 });
    assert.deepEqual(byName.map((d) => [d.path, d.startLine]), [['src/storage/file_store.py', loadFile.startLine]]);
    assert.deepEqual(byName[0].related, loadFile.related);
    assert.deepEqual(await engine.connection.sendRequest(DefinitionsNamed, { name: 'no_such_function', top: 3 }), []);
  } finally {
    await engine.stop();
  }
});

test('similar with a selection in a workspace folder nested in another leaves it out of both folders', async () => {
  const { root, indexLocation } = await fixture('nested');
  const inner = path.join(root, 'src');
  const engine = EngineProcess.start();
  try {
    const both = Promise.all([engine.next(ready(root)), engine.next(ready(inner))]);
    await engine.connection.sendRequest(Configure, {
      folders: [{ root, name: 'repo', options: options(indexLocation) }, { root: inner, name: 'src', options: options(indexLocation) }],
      indexOnOpen: true,
    });
    await both;
    const line = lineOf(root, 'src/storage/file_store.py', 'def load_file');
    const text = 'def read_file(path):\n    return open(path).read()';
    const overlaps = (h: { root: string; path: string; startLine: number; endLine: number }) =>
      path.join(h.root, h.path) === path.join(inner, 'storage', 'file_store.py') && h.startLine <= line + 1 && line <= h.endLine;
    const all = await engine.connection.sendRequest(Similar, { text, top: 6 });
    assert.ok(all.hits.filter(overlaps).length >= 2, `found in both folders: ${JSON.stringify(all.hits.map((h) => [h.root, h.path, h.startLine]))}`);
    const apart = await engine.connection.sendRequest(Similar, { text, top: 6, exclude: { root: inner, path: 'storage/file_store.py', startLine: line, endLine: line + 1 } });
    assert.equal(apart.hits.length, 6);
    assert.deepEqual(apart.hits.filter(overlaps), [], JSON.stringify(apart.hits.map((h) => [h.root, h.path, h.startLine])));
  } finally {
    await engine.stop();
  }
});

test('a corrected search reports the text it searched: the first correcting folder’s; similar never does; spelling off corrects nothing', async () => {
  const knows = await fixture('spelled-knows');
  const plain = await fixture('spelled-plain');
  // "configuraton" is a word of this folder's code, so it is searched as typed here
  await writeIn(knows.root, 'src/typos.py', 'def load_configuraton(path):\n    return open(path).read()\n');
  const spec = (f: { root: string; indexLocation: string }, name: string, spelling = true) => ({
    root: f.root,
    name,
    options: options(f.indexLocation, { model: SHIPPED_MODEL_DIR, spelling }),
  });
  const engine = EngineProcess.start();
  try {
    const indexed = Promise.all([engine.next(ready(knows.root)), engine.next(ready(plain.root))]);
    await engine.connection.sendRequest(Configure, { folders: [spec(knows, 'knows'), spec(plain, 'plain')], indexOnOpen: true });
    await indexed;

    const corrected = await engine.connection.sendRequest(Search, { text: 'parse configuraton', top: 5, root: plain.root });
    assert.equal(corrected.searchedFor, 'parse configuration');
    assert.equal(corrected.hits[0]?.name, 'parse_config');
    const asTyped = await engine.connection.sendRequest(Search, { text: 'parse config', top: 5, root: plain.root });
    assert.ok(asTyped.hits.length > 0);
    assert.equal('searchedFor' in asTyped, false, 'nothing corrected: no searchedFor');
    const known = await engine.connection.sendRequest(Search, { text: 'parse configuraton', top: 5, root: knows.root });
    assert.equal('searchedFor' in known, false, 'a word the folder knows is no typo there');

    const both = await engine.connection.sendRequest(Search, { text: 'parse configuraton', top: 5 });
    assert.equal(both.searchedFor, 'parse configuration', 'the only folder that corrected');
    const disagree = await engine.connection.sendRequest(Search, { text: 'parse configuraton permissons', top: 5 });
    assert.equal(disagree.searchedFor, 'parse configuraton permissions', 'the first folder’s, though the second corrected more');

    const similar = await engine.connection.sendRequest(Similar, { text: 'def parse(text):\n    # the configuraton file\n    return text', top: 3 });
    assert.ok(similar.hits.length > 0);
    assert.equal('searchedFor' in similar, false, 'code is never corrected');

    // turning the setting off reopens the folder with spelling off, in the running process
    const reopened = engine.next(ready(plain.root));
    await engine.connection.sendRequest(Configure, { folders: [spec(plain, 'plain', false)], indexOnOpen: false });
    await reopened;
    const off = await engine.connection.sendRequest(Search, { text: 'parse configuraton', top: 5, root: plain.root });
    assert.equal('searchedFor' in off, false, 'spelling off: searched as typed');
    const offEverywhere = await engine.connection.sendRequest(Search, { text: 'parse configuraton permissons', top: 5 });
    assert.equal('searchedFor' in offEverywhere, false);
  } finally {
    await engine.stop();
  }
});

test('status lists skipped files with their reasons', async () => {
  const { root, indexLocation } = await fixture('status');
  const engine = EngineProcess.start();
  try {
    const indexed = engine.next(ready(root));
    await engine.connection.sendRequest(Configure, { folders: [{ root, name: 'repo', options: options(indexLocation) }], indexOnOpen: true });
    await indexed;
    const report = await engine.connection.sendRequest(Status, { root });
    assert.equal(report.root, root);
    assert.ok(report.indexDir.startsWith(indexLocation), 'the index lives under the chosen location');
    const tooLarge = report.skipped.find((s) => s.path === TOO_LARGE_FILE);
    assert.equal(tooLarge?.reason, 'too-large');
    assert.match(tooLarge?.detail ?? '', /\d+ bytes/);
    assert.ok(report.skipped.some((s) => s.reason === 'excluded-dir'));
  } finally {
    await engine.stop();
  }
});

test('a burst of file changes becomes one incremental refresh that finds the new function', async () => {
  const { root, indexLocation } = await fixture('changes');
  const engine = EngineProcess.start();
  try {
    const indexed = engine.next(ready(root));
    await engine.connection.sendRequest(Configure, { folders: [{ root, name: 'repo', options: options(indexLocation) }], indexOnOpen: true });
    const first = await indexed;

    await writeIn(root, 'src/parser/grammar_tokens.py', 'def tokenize_grammar(text):\n    return text.split()\n');
    await writeIn(root, 'src/parser/unannounced.py', 'def untold_helper(text):\n    return text\n'); // no event names it
    const refreshed = engine.next(ready(root));
    for (let i = 0; i < 20; i++) {
      await engine.connection.sendNotification(FilesChanged, { root, paths: ['src/parser/grammar_tokens.py', `.git/objects/${i}`] });
    }
    const second = await refreshed;
    assert.equal(second.refreshes, first.refreshes + 1, 'twenty notifications, one refresh');
    assert.equal(first.lastRefresh?.reason, 'open');
    assert.ok((first.lastRefresh?.filesParsed ?? 0) > 1, 'the first refresh read the folder');
    assert.equal(second.lastRefresh?.reason, 'changes');
    assert.equal(second.lastRefresh?.filesParsed, 1, 'only the new file was read');
    assert.equal(second.lastRefresh?.filesRemoved, 0);
    assert.equal(second.lastRefresh?.chunksEmbedded, 1, 'only its function was embedded');
    assert.ok(second.generation > first.generation, 'the index changed: a new generation');
    const named = await engine.connection.sendRequest(DefinitionsNamed, { name: 'tokenize_grammar', top: 3 });
    assert.deepEqual(named.map((d) => d.path), ['src/parser/grammar_tokens.py'], 'the new definition is known by name');
    // the refresh looked at the changed paths only (a scan of the folder comes at the latest a minute after the last one)
    assert.deepEqual(await engine.connection.sendRequest(DefinitionsNamed, { name: 'untold_helper', top: 3 }), []);
    const settled = engine.statuses.length;

    // Found by search, through its words (the tiny model's vectors rank the fixture's other tokenizer close to it).
    const found = await engine.connection.sendRequest(Search, { text: 'tokenize grammar', top: 3 });
    const hit = found.hits.find((h) => h.name === 'tokenize_grammar');
    assert.ok(hit, JSON.stringify(found.hits.map((h) => h.name)));
    assert.notEqual(hit.matchedBy, 'vector');

    await engine.connection.sendNotification(FilesChanged, { root, paths: ['.git/HEAD'] });
    await new Promise((r) => setTimeout(r, 500)); // longer than the coalescing delay
    assert.equal(engine.statuses.length, settled, 'changes under .git/ alone start no refresh');
  } finally {
    await engine.stop();
  }
});

test('a refresh after file changes logs the paths it looks at, and that it scans the folder while the index waits to be chunked again', async () => {
  const { root, indexLocation } = await fixture('log-paths');
  /** Starts an engine on the folder, waits for its first refresh, and changes one file: the refresh-started line that follows. */
  const changeOneFile = async (folderOptions: FolderOptions, file: string): Promise<string> => {
    const engine = new RawEngine();
    const messages = () => engine.notifications.filter((n) => n.method === 'codescout/log').map((n) => (n.params as { message: string }).message);
    const readyCount = () => engine.notifications.filter((n) => n.method === FolderStatusChanged.method && (n.params as FolderStatus).state === 'ready').length;
    const until = async (what: string, done: () => boolean) => {
      for (let waited = 0; !done(); waited += 50) {
        if (waited > 60_000) assert.fail(`waited a minute for ${what}:\n${messages().join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      engine.notify('codescout/setLogLevel', { level: 'debug' }); // refreshes after changes log at debug
      const configured = await engine.request(Configure.method, { folders: [{ root, name: 'repo', options: folderOptions }], indexOnOpen: true });
      assert.equal(configured.error, undefined);
      await until('the first refresh', () => readyCount() > 0);
      await writeIn(root, file, 'def %s(text):\n    return text\n'.replace('%s', path.basename(file, '.py')));
      engine.notify(FilesChanged.method, { root, paths: [file] });
      await until('the refresh after the change', () => readyCount() > 1);
      const started = messages().filter((m) => m.startsWith('repo: refresh started (changes)'));
      assert.equal(started.length, 1, messages().join('\n'));
      return started[0];
    } finally {
      await engine.stop();
    }
  };
  assert.equal(await changeOneFile(options(indexLocation), 'src/first_added.py'), 'repo: refresh started (changes): looking at 1 changed path');
  // chunked by older rules, opened words-only: the model's next update chunks every file again,
  // and until then a refresh given a few paths scans the folder, as its line says
  const manifests = readdirSync(indexLocation, { recursive: true, encoding: 'utf8' }).filter((p) => path.basename(p) === 'manifest.json');
  assert.equal(manifests.length, 1, manifests.join(', '));
  asChunkedUnder(path.dirname(path.join(indexLocation, manifests[0])), undefined);
  assert.equal(await changeOneFile(options(indexLocation, { model: null }), 'src/second_added.py'), 'repo: refresh started (changes): scanning the folder');
});

test("a folder opened again in the same process (its options changed) never reuses a generation number: answers cached for the old index's are not taken for the new one's", async () => {
  const { root, indexLocation } = await fixture('generations');
  await writeIn(root, 'vendor/lib.py', 'def vendored_helper():\n    return 1\n');
  const seen = new Map<number, string>();
  let phase = 'first';
  let readyNow: (() => void) | undefined;
  const workspace = new Workspace({
    status: (s: FolderStatus) => {
      if (s.root !== root) return;
      const owner = seen.get(s.generation);
      assert.ok(owner === undefined || owner === phase, `generation ${s.generation} was the ${owner} index's, and now the ${phase}'s`);
      seen.set(s.generation, phase);
      if (s.state === 'ready') readyNow?.();
    },
    log: () => {},
  });
  const ready = () => new Promise<void>((resolve) => (readyNow = resolve));
  try {
    let done = ready();
    await workspace.configure({ folders: [{ root, name: 'repo', options: options(indexLocation, { model: null }) }], indexOnOpen: true });
    await done;
    done = ready();
    await writeIn(root, 'src/parser/grammar_tokens.py', 'def tokenize_grammar(text):\n    return text.split()\n');
    await workspace.reindex(root);
    await done;
    phase = 'second';
    done = ready();
    await workspace.configure({ folders: [{ root, name: 'repo', options: options(indexLocation, { model: null, exclude: ['vendor/**'] }) }], indexOnOpen: true });
    await done;
    assert.ok([...seen.values()].includes('second'), 'the second index reported its generations');
  } finally {
    await workspace.close();
  }
});

/**
 * An engine process serving a copy of the fixture whose index folder this test process holds the
 * lock of, as another process updating it would: the folder's first status once it is ready.
 */
async function heldElsewhere(label: string) {
  const { root, indexLocation } = await fixture(label);
  const indexDir = path.join(indexLocation, 'index');
  mkdirSync(indexDir, { recursive: true });
  const held = IndexLock.acquire(indexDir);
  assert.ok(held instanceof IndexLock, JSON.stringify(held));
  const engine = EngineProcess.start();
  const opened = engine.next((s) => s.root === root && s.state === 'ready');
  await engine.connection.sendRequest(Configure, { folders: [{ root, name: 'repo', options: options(indexLocation, { indexDir }) }], indexOnOpen: true });
  return { root, indexDir, held, engine, waiting: await opened };
}

test('a folder whose index another process holds answers from it, says so, and takes it over once that process is done, with no file change', async () => {
  const { root, indexDir, held, engine, waiting } = await heldElsewhere('other-writer');
  let released = false;
  try {
    assert.equal(waiting.contents.chunks, 0, 'nothing saved yet');
    assert.equal(waiting.otherWriter, true);
    assert.equal(waiting.partial, true, 'answers lack what the other process has not saved yet');
    // the other process saves (a checkpoint): an index of the same folder, made in another folder and put in place, manifest last
    const saved = path.join(await temp.make('other-writer-save'), 'index');
    const other = await Engine.open(root, { indexDir: saved, model });
    try {
      await other.refresh();
    } finally {
      await other.close();
    }
    for (const name of readdirSync(saved).filter((f) => f !== 'manifest.json' && f !== 'index.lock')) copyFileSync(path.join(saved, name), path.join(indexDir, name));
    copyFileSync(path.join(saved, 'manifest.json'), path.join(indexDir, 'manifest.json'));
    const read = await within(30_000, engine.next((s) => s.root === root && s.contents.chunks > 0), 'the save read again');
    assert.equal(read.otherWriter, true, 'still held by the other process');
    assert.equal(read.partial, false, 'answers come from its save');
    const meanwhile = await engine.connection.sendRequest(Search, { text: 'parse config', top: 3 });
    assert.ok(meanwhile.hits.length > 0, 'answers follow what the other process saved');
    held.release();
    released = true;
    // without a file change: the folder looks at the lock every 2 s, then refreshes
    const taken = await within(30_000, engine.next((s) => s.root === root && s.state === 'ready' && s.contents.chunks > 0), 'the index taken over');
    assert.equal(taken.otherWriter, undefined);
    assert.equal(taken.partial, false);
    assert.equal(taken.lastRefresh?.reason, 'changes');
    const found = await engine.connection.sendRequest(Search, { text: 'parse config', top: 3 });
    assert.ok(found.hits.length > 0, 'the index was built once the lock was free');
  } finally {
    if (!released) held.release();
    await engine.stop();
  }
});

test('a folder whose index another process held and never saved builds it once that process is gone, its answers partial meanwhile', async () => {
  const { root, held, engine, waiting } = await heldElsewhere('other-writer-gone');
  let released = false;
  try {
    assert.equal(waiting.otherWriter, true);
    held.release(); // the other process ends (Ctrl-C before its first save, say)
    released = true;
    const taken = await within(30_000, engine.next((s) => s.root === root && s.state === 'ready' && s.contents.chunks > 0), 'the index built here');
    const building = engine.statuses.filter((s) => s.root === root && s.state === 'indexing' && s.version > waiting.version);
    assert.ok(building.length > 0 && building.every((s) => s.partial), `answers are partial while this engine builds the index it took over: ${JSON.stringify(building.map((s) => s.partial))}`);
    assert.equal(taken.partial, false);
  } finally {
    if (!released) held.release();
    await engine.stop();
  }
});

test('Cancel stops the folders that are being indexed; a folder that is up to date goes on following its changes', async () => {
  const { root, indexLocation } = await fixture('cancel-ready');
  const engine = EngineProcess.start();
  try {
    const indexed = engine.next(ready(root));
    await engine.connection.sendRequest(Configure, { folders: [{ root, name: 'repo', options: options(indexLocation) }], indexOnOpen: true });
    const first = await indexed;
    await engine.connection.sendRequest(Cancel, {}); // as the editor sends it: every folder
    await writeIn(root, 'src/parser/after_cancel.py', 'def frobnicate_after_cancel(text):\n    return text\n');
    const refreshed = engine.next((s) => s.root === root && s.state === 'ready' && s.refreshes > first.refreshes);
    await engine.connection.sendNotification(FilesChanged, { root, paths: ['src/parser/after_cancel.py'] });
    const second = await within(30_000, refreshed, 'the refresh after the change');
    assert.equal(second.lastRefresh?.filesParsed, 1, 'the change was indexed');
    const named = await engine.connection.sendRequest(DefinitionsNamed, { name: 'frobnicate_after_cancel', top: 3 });
    assert.deepEqual(named.map((d) => d.path), ['src/parser/after_cancel.py']);
  } finally {
    await engine.stop();
  }
});

test('a Reindex sent while a settings change reopens the folder reindexes the reopened folder', async () => {
  const { root, indexLocation } = await fixture('reindex-configure');
  const engine = EngineProcess.start();
  try {
    await engine.connection.sendRequest(Configure, { folders: [{ root, name: 'repo', options: options(indexLocation) }], indexOnOpen: false });
    // the user changes an exclude and clicks Reindex at once: the folder is being closed to be reopened
    const reindexed = engine.next((s) => s.root === root && s.state === 'ready' && s.lastRefresh?.reason === 'user');
    const configured = engine.connection.sendRequest(Configure, { folders: [{ root, name: 'repo', options: options(indexLocation, { exclude: ['**/render/**'] }) }], indexOnOpen: false });
    await engine.connection.sendRequest(Reindex, {});
    await configured;
    const done = await within(30_000, reindexed, 'the reopened folder reindexed');
    assert.ok(done.contents.files > 0);
    const found = await engine.connection.sendRequest(DefinitionsNamed, { name: 'render', top: 3 });
    assert.deepEqual(found, [], 'with the new exclude');
  } finally {
    await engine.stop();
  }
});

/** `promise`, or a failure naming `what` once `ms` have passed. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`waited ${ms / 1000} s for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** `def frobnicate_widgets` with `above` lines before it, and a modification time `ahead` seconds on (a save that no clock tick can hide). */
async function writeWidgets(root: string, above: number, ahead = 0): Promise<void> {
  const file = path.join(root, 'src', 'widgets.py');
  await writeIn(root, 'src/widgets.py', `${'# a note\n'.repeat(above)}def frobnicate_widgets(count):\n    """Frobnicate the widgets."""\n    return count * 2\n`);
  if (ahead) await utimes(file, new Date(Date.now() + ahead * 1000), new Date(Date.now() + ahead * 1000));
}

test('a query right after a save that no watcher has reported catches the index up first: the hit, its preview and related code are the file as it is now', async () => {
  const { root, indexLocation } = await fixture('catch-up');
  await writeWidgets(root, 0);
  const engine = EngineProcess.start();
  try {
    const indexed = engine.next(ready(root));
    await engine.connection.sendRequest(Configure, { folders: [{ root, name: 'repo', options: options(indexLocation) }], indexOnOpen: true });
    const first = await indexed;
    const before = (await engine.connection.sendRequest(Search, { text: 'frobnicate widgets', top: 3, previewLines: 1 })).hits.find((h) => h.name === 'frobnicate_widgets');
    assert.equal(before?.startLine, 1);

    await writeWidgets(root, 6, 2); // the function moves down six lines; no FilesChanged is sent
    const found = await engine.connection.sendRequest(Search, { text: 'frobnicate widgets', top: 3, previewLines: 1 });
    const hit = found.hits.find((h) => h.name === 'frobnicate_widgets');
    assert.ok(hit, JSON.stringify(found.hits.map((h) => h.name)));
    assert.equal(hit.startLine, 7, 'the definition where the file has it now');
    assert.equal(hit.changed, undefined);
    assert.match(hit.preview?.[0]?.text ?? '', /def frobnicate_widgets/);
    // the refresh's statuses came before the answer, on the same stream
    const status = engine.statuses.find((s) => s.root === root && s.refreshes === first.refreshes + 1 && s.state === 'ready');
    assert.equal(status?.lastRefresh?.reason, 'changes');
    assert.equal(status?.lastRefresh?.filesParsed, 1, 'only the saved file was read again');

    await writeWidgets(root, 2, 4); // and up again: related code from the line the editor has now
    const related = await engine.connection.sendRequest(Related, { root, path: 'src/widgets.py', line: 3, top: 3 });
    assert.equal(related?.source.name, 'frobnicate_widgets');
    assert.equal(related?.source.startLine, 3);

    // a file the index does not hold (an image, an excluded build output, a file that is not there) has nothing to catch up with: no refresh
    const settled = engine.statuses.length;
    for (const path of ['assets/logo.png', 'build/bundle_output.js', 'src/nowhere.py']) {
      assert.equal(await engine.connection.sendRequest(Related, { root, path, line: 1, top: 3 }), null, path);
    }
    await new Promise((r) => setTimeout(r, 500)); // longer than the coalescing delay
    assert.deepEqual(engine.statuses.slice(settled).map((s) => s.state), [], 'no refresh for paths the index does not hold');
  } finally {
    await engine.stop();
  }
});

test('a hit whose file changed since it was indexed, in a folder that does not follow changes, says so and gets no preview from the lines that moved', async () => {
  const { root, indexLocation } = await fixture('changed-hit');
  await writeWidgets(root, 0);
  const first = EngineProcess.start();
  try {
    const indexed = first.next(ready(root));
    await first.connection.sendRequest(Configure, { folders: [{ root, name: 'repo', options: options(indexLocation) }], indexOnOpen: true });
    await indexed;
  } finally {
    await first.stop();
  }
  await writeWidgets(root, 6, 2);
  const engine = EngineProcess.start();
  try {
    const opened = engine.next((s) => s.root === root && s.state === 'stale');
    await engine.connection.sendRequest(Configure, { folders: [{ root, name: 'repo', options: options(indexLocation) }], indexOnOpen: false });
    await opened;
    const found = await engine.connection.sendRequest(Search, { text: 'frobnicate widgets', top: 3, previewLines: 2 });
    const hit = found.hits.find((h) => h.name === 'frobnicate_widgets');
    assert.ok(hit, JSON.stringify(found.hits.map((h) => h.name)));
    assert.equal(hit.startLine, 1, 'the index was not refreshed: nobody asked it to follow the folder');
    assert.equal(hit.changed, true);
    assert.equal(hit.preview, undefined, 'lines 1–2 are notes now, not its code');
    const unchanged = found.hits.filter((h) => h.path !== 'src/widgets.py');
    assert.ok(unchanged.length > 0 && unchanged.every((h) => h.changed === undefined && h.preview !== undefined), 'hits in files that did not change are as before');
  } finally {
    await engine.stop();
  }
});

test('without indexOnOpen the folder waits, stale, for a reindex; cancel stops a refresh', async () => {
  const { root, indexLocation } = await fixture('manual');
  const engine = EngineProcess.start();
  try {
    const opened = engine.next((s) => s.root === root && s.state === 'stale');
    const [initial] = await engine.connection.sendRequest(Configure, {
      folders: [{ root, name: 'repo', options: options(indexLocation) }],
      indexOnOpen: false,
    });
    assert.equal(initial.state, 'opening');
    const waiting = await opened;
    assert.equal(waiting.contents.chunks, 0);
    assert.equal(waiting.neverSaved, true, 'no index was ever saved: the editor says "not indexed"');

    const unindexed = await engine.connection.sendRequest(Search, { text: 'parse config', top: 5 });
    assert.deepEqual(unindexed.hits, []);

    const cancelled = engine.next((s) => s.root === root && s.state !== 'indexing' && s.refreshes === 1);
    const indexing = engine.next((s) => s.root === root && s.state === 'indexing');
    await engine.connection.sendRequest(Reindex, {});
    await indexing;
    await engine.connection.sendRequest(Cancel, { root });
    const end = await cancelled;
    assert.ok(end.state === 'stale' || end.state === 'ready', `a cancelled refresh ends stale (or ready if it had finished): ${end.state}`);

    const indexed = engine.next(ready(root));
    await engine.connection.sendRequest(Reindex, { root });
    const done = await indexed;
    assert.equal(done.partial, false);
    assert.equal(done.neverSaved, undefined, 'saved now');
  } finally {
    await engine.stop();
  }
});

test('indexing on open turned on while the engine runs indexes the folders it opened without it, but not one whose indexing was cancelled', { timeout: 60_000 }, async () => {
  const waits = await fixture('turned-on');
  const cancelled = await fixture('cancelled');
  const engine = EngineProcess.start();
  try {
    const folders = [
      { root: waits.root, name: 'waits', options: options(waits.indexLocation) },
      { root: cancelled.root, name: 'cancelled', options: options(cancelled.indexLocation) },
    ];
    const opened = Promise.all(folders.map((f) => engine.next((s) => s.root === f.root && s.state === 'stale')));
    await engine.connection.sendRequest(Configure, { folders, indexOnOpen: false });
    await opened;
    // the second folder's indexing is asked for, then cancelled at once
    const stopped = engine.next((s) => s.root === cancelled.root && s.state !== 'indexing' && s.refreshes === 1);
    const indexing = engine.next((s) => s.root === cancelled.root && s.state === 'indexing');
    await engine.connection.sendRequest(Reindex, { root: cancelled.root });
    await indexing;
    await engine.connection.sendRequest(Cancel, { root: cancelled.root });
    const afterCancel = await stopped;

    const indexed = engine.next(ready(waits.root));
    const statuses = await engine.connection.sendRequest(Configure, { folders, indexOnOpen: true });
    assert.deepEqual(statuses.map((s) => s.root), [waits.root, cancelled.root], 'the same folders, kept open');
    const done = await indexed;
    assert.equal(done.partial, false);
    assert.ok(done.contents.definitions > 0);
    const hits = await engine.connection.sendRequest(Search, { text: 'parse config', top: 5, root: waits.root });
    assert.ok(hits.hits.length > 0, 'the folder is searchable');
    // nothing more was started for the cancelled folder
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [, last] = await engine.connection.sendRequest(Configure, { folders, indexOnOpen: true });
    assert.equal(last.refreshes, afterCancel.refreshes, 'the cancelled folder stays as the user left it');
    assert.notEqual(last.state, 'indexing');
  } finally {
    await engine.stop();
  }
});

test('after indexing, a process above --restart-above-mb asks once to be replaced, once idle; a limit of 0 or a refresh too small never asks', async () => {
  /** Indexes a new copy of the fixture with these flags, then reindexes it; the RestartWanted reasons, and the folder's state when each came. */
  const run = async (flags: string[]) => {
    const { root, indexLocation } = await fixture('restart');
    const folders = [{ root, name: 'repo', options: options(indexLocation) }];
    const engine = EngineProcess.start(flags);
    const asked: { reason: string; stateThen: FolderStatus['state'] | undefined; refreshesThen: number | undefined }[] = [];
    const warnings: string[] = [];
    engine.connection.onNotification(RestartWanted, (p) => {
      asked.push({ reason: p.reason, stateThen: engine.statuses.at(-1)?.state, refreshesThen: engine.statuses.at(-1)?.refreshes });
    });
    engine.connection.onNotification(Log, (line) => void (line.level === 'warn' && warnings.push(line.message)));
    try {
      const indexed = engine.next(ready(root));
      await engine.connection.sendRequest(Configure, { folders, indexOnOpen: true });
      const first = await indexed;
      const again = engine.next((s) => ready(root)(s) && s.refreshes === 2);
      await engine.connection.sendRequest(Reindex, { root });
      await again;
      // answered after both notifications were sent: a notification the engine sent is here by now
      await engine.connection.sendRequest(Status, { root });
      return { asked, warnings, filesParsed: first.lastRefresh!.filesParsed };
    } finally {
      await engine.stop();
    }
  };
  // the engine's whole process is over 1 MB: once the index is ready (a refresh parsed every file), it asks
  const small = await run(['--restart-above-mb', '1', '--restart-after-files', '1']);
  assert.ok(small.filesParsed > 1, `the fixture has files to parse (${small.filesParsed})`);
  assert.equal(small.asked.length, 1, 'once, not again after the second refresh');
  assert.equal(small.asked[0].stateThen, 'ready', 'asked when the folder is idle, not while it indexes');
  assert.equal(small.asked[0].refreshesThen, 1, 'asked as the first index ended');
  assert.match(small.asked[0].reason, new RegExp(`^it holds \\d+ MB after indexing ${small.filesParsed} files \\(the limit is 1 MB\\)`));
  assert.deepEqual(small.warnings, []);
  // a limit of 0 never asks; nor does a refresh that parsed fewer files than the threshold (the reindex parses none)
  const off = await run(['--restart-above-mb', '0', '--restart-after-files', '1']);
  assert.deepEqual(off.asked, []);
  const few = await run(['--restart-above-mb', '1', '--restart-after-files', String(small.filesParsed + 1)]);
  assert.equal(few.filesParsed, small.filesParsed);
  assert.deepEqual(few.asked, []);
  // a bad value is warned about and the default (400 MB) used: this small index never reaches it
  const bad = await run(['--restart-above-mb', 'lots', '--restart-after-files', '1']);
  assert.equal(bad.filesParsed, small.filesParsed);
  assert.deepEqual(bad.asked, []);
  assert.ok(bad.warnings.some((w) => /--restart-above-mb needs a whole number ≥ 0, not "lots"/.test(w)), bad.warnings.join('\n'));
});

test('changed options reopen the folder and index it again; unknown folders are request errors', async () => {
  const { root, indexLocation } = await fixture('reopen');
  const engine = EngineProcess.start();
  try {
    const indexed = engine.next(ready(root));
    await engine.connection.sendRequest(Configure, { folders: [{ root, name: 'repo', options: options(indexLocation) }], indexOnOpen: true });
    await indexed;

    const reindexed = engine.next(ready(root));
    await engine.connection.sendRequest(Configure, {
      folders: [{ root, name: 'repo', options: options(indexLocation, { exclude: ['src/storage/**'] }) }],
      indexOnOpen: false,
    });
    await reindexed;
    const found = await engine.connection.sendRequest(Search, { text: 'load file', top: 10 });
    assert.ok(found.hits.length > 0);
    assert.ok(found.hits.every((h) => !h.path.startsWith('src/storage/')), 'the new exclude glob applies');

    await assert.rejects(engine.connection.sendRequest(Status, { root: '/no/such/folder' }), /does not serve the folder/);
    const none = await engine.connection.sendRequest(Configure, { folders: [], indexOnOpen: true });
    assert.deepEqual(none, []);
  } finally {
    await engine.stop();
  }
});

test('an index that cannot be opened is an error state, reported by queries, and Reindex opens it again', async () => {
  const { root, indexLocation } = await fixture('unopenable');
  const blocked = path.join(indexLocation, 'blocked');
  await writeFile(blocked, 'a file where the index folder should be');
  const engine = EngineProcess.start();
  try {
    const failed = engine.next((s) => s.root === root && s.state === 'error');
    await engine.connection.sendRequest(Configure, {
      folders: [{ root, name: 'repo', options: options(blocked) }],
      indexOnOpen: true,
    });
    assert.match((await failed).lastError ?? '', /cannot use the index folder/);

    const answer = await engine.connection.sendRequest(Search, { text: 'parse config', top: 5 });
    assert.deepEqual(answer.hits, []);
    assert.equal(answer.failures.length, 1);
    assert.match(answer.failures[0].message, /cannot use the index folder/);

    await rm(blocked);
    const indexed = engine.next(ready(root));
    await engine.connection.sendRequest(Reindex, { root });
    assert.ok((await indexed).contents.definitions > 0);
  } finally {
    await engine.stop();
  }
});

test('coalescer: one action per burst, after a quiet spell or at the latest after the maximum wait', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let runs = 0;
    const coalescer = new Coalescer(() => runs++, 100, 1000);
    for (let i = 0; i < 5; i++) {
      coalescer.trigger();
      mock.timers.tick(50);
    }
    assert.equal(runs, 0, 'still inside the burst');
    mock.timers.tick(100);
    assert.equal(runs, 1, 'the quiet spell ended the burst');
    mock.timers.tick(5000);
    assert.equal(runs, 1, 'no second run without events');

    for (let t = 0; t < 1200; t += 50) {
      coalescer.trigger();
      mock.timers.tick(50);
    }
    assert.equal(runs, 2, 'a steady trickle runs once the maximum wait is reached');
    coalescer.trigger();
    coalescer.dispose();
    mock.timers.tick(5000);
    assert.equal(runs, 2, 'a disposed burst never runs');
  } finally {
    mock.timers.reset();
  }
});

test('search requests: the query limit is the engine’s, in code points, so a longer query is one bad request, not a failure of every folder; similar cuts long code', () => {
  assert.equal(MAX_QUERY_CHARS, ENGINE_MAX_QUERY_CHARS);
  const tooLong = (err: unknown) => err instanceof InvalidRequestError && err.message === `the search query is longer than ${ENGINE_MAX_QUERY_CHARS} characters`;
  for (const text of ['x'.repeat(ENGINE_MAX_QUERY_CHARS + 1), '😀'.repeat(ENGINE_MAX_QUERY_CHARS + 1), 'x'.repeat(1_000_000)]) {
    assert.throws(() => queryParams({ text, top: 5 }, false), tooLong, `${text.length} UTF-16 units`);
  }
  for (const text of ['x'.repeat(ENGINE_MAX_QUERY_CHARS), '😀'.repeat(ENGINE_MAX_QUERY_CHARS)]) {
    assert.equal(queryParams({ text, top: 5 }, false).text, text);
  }
  // code to compare is not a query: a long selection is accepted, and one past MAX_CODE_CHARS is cut, not refused
  const code = 'x'.repeat(ENGINE_MAX_QUERY_CHARS * 10);
  assert.equal(queryParams({ text: code, top: 5 }, true).text, code);
  const huge = `${'x'.repeat(MAX_CODE_CHARS - 1)}😀${'y'.repeat(1000)}`;
  assert.equal(queryParams({ text: huge, top: 5 }, true).text, 'x'.repeat(MAX_CODE_CHARS - 1), 'not half an emoji');
  assert.equal(queryParams({ text: 'z'.repeat(MAX_CODE_CHARS * 3), top: 5 }, true).text, 'z'.repeat(MAX_CODE_CHARS));
});

test('similar requests: the code to leave out is a folder, a relative path and lines in order; a search takes none', () => {
  const root = path.resolve('/work/repo');
  const span = { root, path: 'src/a.py', startLine: 3, endLine: 7 };
  assert.deepEqual(queryParams({ text: 'x', top: 5, exclude: span }, true).exclude, span);
  assert.deepEqual(queryParams({ text: 'x', top: 5, exclude: { ...span, endLine: 3, startLine: 3 } }, true).exclude, { ...span, endLine: 3, startLine: 3 });
  const bad = (exclude: unknown, message: RegExp) =>
    assert.throws(() => queryParams({ text: 'x', top: 5, exclude }, true), (err: unknown) => err instanceof InvalidRequestError && message.test(err.message), JSON.stringify(exclude));
  bad({ ...span, endLine: 2 }, /exclude\.endLine must not come before exclude\.startLine/);
  bad({ ...span, startLine: 0 }, /exclude\.startLine must be a whole number/);
  bad({ ...span, path: '../b.py' }, /exclude\.path must stay inside the folder/);
  bad({ ...span, path: '/etc/passwd' }, /exclude\.path must be relative/);
  bad({ ...span, root: 'relative' }, /exclude\.root must be an absolute folder path/);
  bad('src/a.py', /exclude must be an object/);
  bad({ root, path: 'src/a.py', startLine: 1 }, /exclude\.endLine must be a whole number/);
  assert.throws(() => queryParams({ text: 'x', top: 5, exclude: span }, false), /exclude is for the similar request, not a search/);
});

test('lru cache: keeps the most recently used entries, including null answers', () => {
  const cache = new LruCache<string, number | null>(2);
  cache.set('a', 1);
  cache.set('b', null);
  assert.equal(cache.get('a'), 1); // a is now the most recent
  cache.set('c', 3);
  assert.equal(cache.has('b'), false, 'the least recently used entry went');
  assert.equal(cache.get('a'), 1);
  assert.equal(cache.get('c'), 3);
  cache.set('a', null);
  assert.equal(cache.get('a'), null);
  assert.equal(cache.size, 2);
  cache.clear();
  assert.equal(cache.get('a'), undefined);
});

/**
 * The engine process spoken to in raw JSON-RPC frames, so that a test can send what no typed
 * client would: any params, any method, bodies that are not JSON-RPC or not JSON at all.
 */
class RawEngine {
  readonly child = spawn(process.execPath, [...ENGINE_EXEC_ARGV, SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  readonly notifications: { method: string; params: unknown }[] = [];
  private readonly answers = new Map<number, (m: { result?: unknown; error?: { code: number; message: string } }) => void>();
  private nextId = 1;

  constructor() {
    new StreamMessageReader(this.child.stdout!).listen((m: Message) => {
      const message = m as { id?: number; method?: string; params?: unknown; result?: unknown; error?: { code: number; message: string } };
      if (typeof message.id === 'number' && this.answers.has(message.id)) {
        this.answers.get(message.id)!(message);
        this.answers.delete(message.id);
      } else if (message.method) {
        this.notifications.push({ method: message.method, params: message.params });
      }
    });
  }

  frame(body: string): void {
    const bytes = Buffer.from(body, 'utf8');
    this.child.stdin!.write(`Content-Length: ${bytes.length}\r\n\r\n`);
    this.child.stdin!.write(bytes);
  }

  /** A request with `params` exactly as given (left out when undefined); its answer. */
  request(method: string, params?: unknown): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
    const id = this.nextId++;
    const answer = new Promise<{ result?: unknown; error?: { code: number; message: string } }>((resolve) => this.answers.set(id, resolve));
    this.frame(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    return answer;
  }

  notify(method: string, params?: unknown): void {
    this.frame(JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) }));
  }

  async stop(): Promise<void> {
    const exited = once(this.child, 'exit');
    await this.request(Shutdown.method);
    this.child.stdin!.end();
    const [code, signal] = await exited;
    assert.equal(signal, null, 'the engine process was not killed');
    assert.equal(code, 0, 'the engine process exits cleanly after shutdown');
  }
}

test('malformed requests are answered with InvalidParams errors that say why, and the engine process stays up', async () => {
  const { root, indexLocation } = await fixture('malformed');
  const engine = new RawEngine();
  try {
    const opts = options(indexLocation);
    const folder = { root, name: 'repo', options: opts };
    const configured = await engine.request(Configure.method, { folders: [folder], indexOnOpen: false });
    assert.ok(Array.isArray(configured.result), JSON.stringify(configured));

    const protoNames = Object.getOwnPropertyNames(Object.prototype);
    const bad: [method: string, params: unknown, reason: RegExp][] = [
      [Search.method, null, /must be an object/],
      [Search.method, 42, /must be an object/],
      [Search.method, 'parse config', /must be an object/],
      [Search.method, [], /must be an object|the search query must be text/], // vscode-jsonrpc hands an empty positional list over as no fields
      [Search.method, {}, /the search query must be text/],
      [Search.method, JSON.parse('{"__proto__": {"text": "x", "top": 5}}'), /the search query must be text/],
      [Search.method, { text: 5, top: 5 }, /must be text/],
      [Search.method, { text: 'x', top: 0 }, /top must be a whole number from 1 to 1000/],
      [Search.method, { text: 'x', top: 1.5 }, /top must be a whole number/],
      [Search.method, { text: 'x', top: '5' }, /top must be a whole number/],
      [Search.method, { text: 'x', top: 1e9 }, /top must be a whole number/],
      [Search.method, { text: 'x'.repeat(MAX_QUERY_CHARS + 1), top: 5 }, new RegExp(`longer than ${MAX_QUERY_CHARS} characters`)],
      [Search.method, { text: 'x', top: 5, languages: 'py' }, /languages must be a list/],
      [Search.method, { text: 'x', top: 5, languages: [null] }, /languages\[0\] must be text/],
      [Search.method, { text: 'x', top: 5, paths: [{}] }, /paths\[0\] must be text/],
      [Search.method, { text: 'x', top: 5, root: 5 }, /root must be text/],
      ...protoNames.map((name): [string, unknown, RegExp] => [Search.method, { text: 'x', top: 5, root: name }, /root must be an absolute folder path/]),
      [Search.method, { text: 'x', top: 5, root: '/no/such/folder' }, /does not serve the folder/],
      [Similar.method, { text: ['code'], top: 5 }, /the code to compare must be text/],
      [Related.method, { root, path: '../../etc/passwd', line: 1, top: 3 }, /path must stay inside the folder/],
      [Related.method, { root, path: 'src/../../x.py', line: 1, top: 3 }, /stay inside the folder/],
      [Related.method, { root, path: '/etc/passwd', line: 1, top: 3 }, /path must be relative to the folder/],
      [Related.method, { root, path: '', line: 1, top: 3 }, /path must be a file path/],
      [Related.method, { root, path: 'a\u0000b', line: 1, top: 3 }, /path must be a file path/],
      [Related.method, { root, path: 'src/a.py', line: 0, top: 3 }, /line must be a whole number/],
      [Related.method, { root, path: 'src/a.py', line: 1, top: 3, name: 42 }, /name must be text/],
      [Related.method, { root: 'relative/root', path: 'src/a.py', line: 1, top: 3 }, /root must be an absolute folder path/],
      [Definitions.method, { root, path: ['src/a.py'], top: 3 }, /path must be text/],
      [DefinitionsNamed.method, { name: { toString: 'x' }, top: 3 }, /name must be text/],
      [DefinitionsNamed.method, { name: 'x', top: -3 }, /top must be a whole number/],
      [Status.method, {}, /root must be text/],
      [Status.method, { root: 'constructor' }, /root must be an absolute folder path/],
      [Reindex.method, { root: 5 }, /root must be text/],
      [Cancel.method, { root: [] }, /root must be text/],
      [Configure.method, null, /must be an object/],
      [Configure.method, { folders: 'all', indexOnOpen: true }, /folders must be a list/],
      [Configure.method, { folders: [null], indexOnOpen: true }, /folders\[0\] must be an object/],
      [Configure.method, { folders: [folder] }, /indexOnOpen must be true or false/],
      [Configure.method, { folders: [{ ...folder, root: 'repo' }], indexOnOpen: false }, /folders\[0\]\.root must be an absolute folder path/],
      [Configure.method, { folders: [folder, folder], indexOnOpen: false }, /twice/],
      [Configure.method, { folders: [{ ...folder, options: { ...opts, threads: 0 } }], indexOnOpen: false }, /threads must be a whole number from 1 to 64/],
      [Configure.method, { folders: [{ ...folder, options: { ...opts, maxFileBytes: -1 } }], indexOnOpen: false }, /maxFileBytes/],
      [Configure.method, { folders: [{ ...folder, options: { ...opts, indexLocation: 'relative' } }], indexOnOpen: false }, /indexLocation must be an absolute folder path/],
      [Configure.method, { folders: [{ ...folder, options: { ...opts, exclude: 'x' } }], indexOnOpen: false }, /exclude must be a list/],
      [Configure.method, { folders: [{ ...folder, options: { ...opts, model: 7 } }], indexOnOpen: false }, /model must be text/],
      [Configure.method, { folders: [{ ...folder, options: null }], indexOnOpen: false }, /options must be an object/],
    ];
    for (const [method, params, reason] of bad) {
      const answer = await engine.request(method, params);
      const what = `${method} ${JSON.stringify(params)?.slice(0, 120)}`;
      assert.equal(answer.error?.code, ErrorCodes.InvalidParams, `${what}: ${JSON.stringify(answer)}`);
      assert.match(answer.error.message, reason, what);
      assert.doesNotMatch(answer.error.message, /\n\s+at /, 'no stack trace');
    }
    const unknown = await engine.request('codescout/noSuchMethod', {});
    assert.equal(unknown.error?.code, ErrorCodes.MethodNotFound);
    for (const params of [null, 42, {}, { root: 5, paths: [] }, { root, paths: 'src' }]) engine.notify(FilesChanged.method, params);
    engine.notify(FilesChanged.method, { root, paths: ['../../etc/passwd', '/etc/passwd', 'src/ok.py'] });
    engine.frame('{ this is not JSON');
    engine.frame('null');
    engine.frame('[1, 2, 3]');
    engine.frame(JSON.stringify({ jsonrpc: '2.0', id: 'x', method: Search.method, params: { text: 'x', top: 5, languages: 'py' } }));

    // still serving, with the configuration it had
    const found = await engine.request(Search.method, { text: 'parse config', top: 5 });
    assert.deepEqual(found.error, undefined, JSON.stringify(found.error));
    assert.deepEqual((found.result as { failures: unknown[] }).failures, []);
    const status = await engine.request(Status.method, { root });
    assert.equal((status.result as { root: string }).root, root);
    assert.equal(engine.child.exitCode, null, 'the engine process is running');
    const logged = engine.notifications.filter((n) => n.method === 'codescout/log').map((n) => (n.params as { message: string }).message);
    assert.equal(logged.filter((m) => /ignored an invalid codescout\/filesChanged notification/.test(m)).length, 5, logged.join('\n'));
    assert.ok(logged.some((m) => m.includes(`ignored 2 changed path(s) that are not inside ${root}`)), logged.join('\n'));
  } finally {
    await engine.stop();
  }
});

test('the engine process logs at the level the client sets: the index opened, the refresh and its skips at info; search timings only at debug; a hostile level is ignored', async () => {
  const { root, indexLocation } = await fixture('log');
  const engine = new RawEngine();
  const logged = () => engine.notifications.filter((n) => n.method === 'codescout/log').map((n) => n.params as { level: string; message: string });
  const until = async (what: string, test: () => boolean) => {
    for (let waited = 0; !test(); waited += 50) {
      if (waited > 60_000) assert.fail(`waited a minute for ${what}:\n${JSON.stringify(logged(), null, 1)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const refreshes = () => engine.notifications.filter((n) => n.method === FolderStatusChanged.method && (n.params as FolderStatus).state === 'ready').length;
  try {
    const configured = await engine.request(Configure.method, { folders: [{ root, name: 'repo', options: options(indexLocation) }], indexOnOpen: true });
    assert.equal(configured.error, undefined);
    await until('the first refresh', () => refreshes() > 0 && logged().some((l) => /skipped/.test(l.message)));
    const info = logged().filter((l) => l.level === 'info').map((l) => l.message);
    assert.ok(info.some((m) => /^repo: index opened: \d+ files?, \d+ chunks?; hybrid search with the model /.test(m)), info.join('\n'));
    assert.ok(info.includes('repo: refresh started (open): scanning the folder'), info.join('\n'));
    assert.ok(info.some((m) => /^repo: refresh finished \(open\) in [\d.]+ s: [1-9]\d* files added or changed, 0 removed .*; the index holds \d+ files/.test(m)), info.join('\n'));
    const skips = info.find((m) => m.startsWith('repo: skipped '));
    assert.match(skips ?? '', /^repo: skipped \d+ paths: .*\btoo-large 1\b/, 'the skip summary counts the file that is too large');
    assert.ok(logged().every((l) => l.level !== 'debug' && l.level !== 'trace'), 'nothing below info before the client asks');

    const query = 'parse config';
    const before = logged().length;
    await engine.request(Search.method, { text: query, top: 5 });
    assert.deepEqual(logged().slice(before), [], 'no timing at info');

    engine.notify('codescout/setLogLevel', { level: '__proto__' });
    engine.notify('codescout/setLogLevel', { level: 'constructor' });
    engine.notify('codescout/setLogLevel', null);
    engine.notify('codescout/setLogLevel', { level: 'debug' });
    await engine.request(Search.method, { text: query, top: 5 });
    const after = logged().slice(before);
    assert.equal(after.filter((l) => l.level === 'warn' && /ignored an invalid codescout\/setLogLevel notification: level must be one of/.test(l.message)).length, 2, JSON.stringify(after));
    assert.equal(after.filter((l) => l.level === 'warn' && /ignored an invalid codescout\/setLogLevel notification: the setLogLevel notification must be an object/.test(l.message)).length, 1, JSON.stringify(after));
    const timing = after.filter((l) => l.level === 'debug');
    assert.equal(timing.length, 1, JSON.stringify(after));
    assert.match(timing[0].message, /^search: a query of 12 characters, top 5, 0 filters, every folder: \d+ hits? in \d+ ms$/);
    assert.ok(logged().every((l) => !l.message.includes(query)), 'the query is never logged');

    engine.notify('codescout/setLogLevel', { level: 'error' });
    const quiet = logged().length;
    await engine.request(Reindex.method, { root });
    await until('the reindex', () => refreshes() > 1);
    await engine.request(Search.method, { text: query, top: 5 });
    assert.deepEqual(logged().slice(quiet), [], 'at error: nothing from a refresh that went well, nor timings');
    assert.equal(engine.child.exitCode, null, 'the engine process is running');
  } finally {
    await engine.stop();
  }
});
