/**
 * What a one-shot command does ahead on a worker thread (one-shot.ts): the scan gives what a scan
 * on the engine's own thread gives and serves the first refresh only; the index files read ahead
 * are used only when they are what the manifest lists; anything that fails falls back to the usual
 * reading and scanning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AheadThread } from '../src/engine/ahead-thread';
import { OneShotAhead } from '../src/engine/one-shot';
import { startAheadThread } from '../src/cli/start';
import { readAndHash, ReadAhead } from '../src/engine/index/read-ahead';
import { Checksummer, compute, kindToCheck } from '../src/engine/index/checksum';
import { LEXICAL_FORMAT_VERSION } from '../src/engine/index/lexical';
import { catalogFormatThree, lexicalFormatTwo } from './helpers/legacy-formats';
import { CATALOG_FORMAT_VERSION, decodeCatalog } from '../src/engine/catalog-file';
import { INDEX_FILES_READ_WHOLE, indexFilesToReadAhead, indexStamp, IndexStorage } from '../src/engine/index/workspace-store';
import { scanWorkspace } from '../src/engine/files/scan';
import { Engine } from '../src/engine/engine';
import { manifestChecksum, type Manifest } from '../src/engine/index/store';
import { ChangeLogWriter } from '../src/engine/index/change-log';
import { ensureBundles, runCli, runNode } from './helpers/cli-process';

function makeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'codescout-one-shot-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

const TREE = {
  '.gitignore': 'build/\n',
  'src/app.py': 'def main():\n    return 1\n',
  'src/util/text.ts': 'export function pad(s: string) { return s; }\n',
  'build/out.js': 'function built() {}\n',
  'notes.bin': '\u0000\u0001',
  'big.py': 'x = 1\n'.repeat(400),
};

/** A folder and its lexical-only index, saved. */
async function indexed(t: { after: (fn: () => void) => void }): Promise<{ root: string; indexDir: string }> {
  const root = makeTree(TREE);
  const indexDir = mkdtempSync(join(tmpdir(), 'codescout-one-shot-index-'));
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(indexDir, { recursive: true, force: true });
  });
  const engine = await Engine.open(root, { indexDir, model: null });
  await engine.refresh();
  await engine.close();
  return { root, indexDir };
}

test('the scan made on the worker gives what the engine thread\'s scan gives, with the same options', async (t) => {
  const root = makeTree(TREE);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const scan of [{}, { maxFileBytes: 1000, exclude: ['src/util/**'] }, { include: ['src/**'] }]) {
    const ahead = new OneShotAhead({ reads: [], root, scan });
    const made = await ahead.scan();
    assert.ok(made, 'the worker scanned');
    assert.deepEqual(made, await scanWorkspace(root, scan), JSON.stringify(scan));
  }
});

test('a thread started before its work is known reads and scans as one started with it; it is taken once, and one not taken is stopped', async (t) => {
  const { root, indexDir } = await indexed(t);
  const expected = await scanWorkspace(root, {});
  const thread = AheadThread.start();
  assert.ok(thread, 'started');
  await new Promise((resolve) => setTimeout(resolve, 50)); // waiting for its work meanwhile
  const files = indexFilesToReadAhead(indexDir, INDEX_FILES_READ_WHOLE);
  const ahead = new OneShotAhead({ reads: files, root, scan: {} }, () => {}, thread);
  for (const { path, fd } of files) {
    const early = await ahead.reads.take(path);
    assert.ok(early, basename(path));
    if (fd === undefined) assert.deepEqual(early.bytes, readFileSync(path));
    else closeSync(early.file!.fd);
  }
  assert.deepEqual(await ahead.scan(), expected);
  // taken: it is the reader's now, and not given again
  assert.equal(thread.take({ reads: [], root, scan: {} }), undefined);
  await thread.dispose(); // nothing to stop: the reader's
  // a thread that stopped before it was taken gives nothing: the reader starts its own
  const stopped = AheadThread.start()!;
  await stopped.dispose();
  const own = new OneShotAhead({ reads: [], root, scan: {} }, () => {}, stopped);
  assert.deepEqual(await own.scan(), expected);
  // a thread whose worker ended on its own before it was taken gives nothing either
  const ended = AheadThread.start()!;
  const endedWorker = (ended as unknown as { worker: { terminate(): Promise<number>; once(e: 'exit', f: () => void): void } }).worker;
  const gone = new Promise<void>((resolve) => endedWorker.once('exit', resolve));
  await endedWorker.terminate();
  await gone;
  assert.equal(ended.take({ reads: [], root, scan: {} }), undefined, 'an ended thread is not handed over');
  // an engine that fails to open stops a thread it was given and did not take
  const given = AheadThread.start()!;
  const givenWorker = (given as unknown as { worker: { once(e: 'exit', f: (code: number) => void): void } }).worker;
  const givenExit = new Promise<number>((resolve) => givenWorker.once('exit', resolve));
  await assert.rejects(Engine.open(root, { indexDir, model: null, oneShot: true, aheadThread: given, ranking: { definitionBoost: -1 } as never }));
  assert.equal(typeof (await givenExit), 'number');
  // one never taken does not keep the process alive (it is not referenced) and is stopped by dispose
  const idle = AheadThread.start()!;
  const exited = new Promise<number>((resolve) => (idle as unknown as { worker: { once(e: 'exit', f: (code: number) => void): void } }).worker.once('exit', resolve));
  await idle.dispose();
  assert.equal(typeof (await exited), 'number');
});

test('a CLI command that fails before its engine opens exits at once, its read-ahead thread stopped', async (t) => {
  const root = makeTree(TREE);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  ensureBundles('cli.js', 'cli-start.js', 'one-shot-worker.js');
  // a thread left waiting for work would hold the process open until the guard's kill
  const run = await runCli(['search', root, '--lang', 'klingon', 'pad'], { killAfterMs: 20_000 });
  assert.equal(run.signal, null, 'not held open by the thread');
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /unknown language 'klingon'/);
});

test('the codescout command starts the read-ahead thread before its bundle loads when an argument names a command that opens an index, and the CLI stops one the command does not use', async (t) => {
  assert.equal(startAheadThread(['status', '.']), undefined);
  assert.equal(startAheadThread(['mcp', '--attach', '/tmp/s.sock']), undefined);
  assert.equal(startAheadThread([]), undefined);
  for (const argv of [['search', '.', 'parse'], ['--json', 'related', '.', 'a.ts:3'], ['index', '.']]) {
    const thread = startAheadThread(argv);
    assert.ok(thread, argv.join(' '));
    await thread.dispose();
  }
  const parent = mkdtempSync(join(tmpdir(), 'codescout-start-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const folder = join(parent, 'search'); // a folder named like a command: for 'status' the guess is wrong
  mkdirSync(folder);
  writeFileSync(join(folder, 'a.py'), 'def parse():\n    return 1\n');
  ensureBundles('cli.js', 'cli-start.js', 'one-shot-worker.js');
  const indexDir = join(parent, 'index');
  const dist = join(__dirname, '..', '..', 'dist');
  // what bin/codescout.js does, with the thread's hand-over and stop recorded (an untaken thread is
  // unreferenced, so the process would end even if it were left waiting)
  const script = `
    const argv = JSON.parse(process.argv[1]);
    const started = require(${JSON.stringify(join(dist, 'cli-start.js'))}).startAheadThread(argv);
    const seen = { taken: false, stopped: false };
    const take = started.take.bind(started), dispose = started.dispose.bind(started);
    started.take = (work) => { const worker = take(work); seen.taken ||= worker !== undefined; return worker; };
    started.dispose = () => { seen.stopped ||= !seen.taken; return dispose(); };
    process.on('exit', () => process.stderr.write('\\n' + JSON.stringify(seen) + '\\n'));
    require(${JSON.stringify(join(dist, 'cli.js'))}).runCli(argv, started);
  `;
  const cases: [string[], number, RegExp, { taken: boolean; stopped: boolean }][] = [
    [['--help', 'search'], 0, /usage:/, { taken: false, stopped: true }],
    [['search'], 2, /needs a <folder>/, { taken: false, stopped: true }],
    // run in the parent folder: the folder argument is the word 'search'
    [['status', 'search', '--index-dir', indexDir, '--json'], 0, /"files"/, { taken: false, stopped: true }],
    [['search', 'search', '--index-dir', indexDir, 'parse'], 0, /a\.py/, { taken: true, stopped: false }],
    [['search', 'search', '--index-dir', indexDir, '--lang', 'klingon', 'parse'], 2, /unknown language/, { taken: false, stopped: true }],
  ];
  for (const [args, code, output, expected] of cases) {
    const run = await runNode('-e', [script, JSON.stringify(args)], { killAfterMs: 20_000, cwd: parent });
    assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stdout + run.stderr, output, args.join(' '));
    assert.deepEqual(JSON.parse(run.stderr.trim().split('\n').at(-1)!), expected, args.join(' '));
  }
  // the bundle run as a script (as the editor runs its MCP relay) runs its command line itself
  const direct = execFileSync(process.execPath, [join(dist, 'cli.js'), '--help'], { encoding: 'utf8' });
  assert.match(direct, /usage:/);
});

const zlibHasCrc32 = typeof (zlib as { crc32?: unknown }).crc32 === 'function';

test('the index files are read ahead whole (the lexical index\'s head alone, its file left open), with their checksums, as the manifest names them', async (t) => {
  const { root, indexDir } = await indexed(t);
  const files = indexFilesToReadAhead(indexDir, INDEX_FILES_READ_WHOLE);
  const manifestPath = join(indexDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest<unknown>;
  assert.deepEqual(files.map((f) => basename(f.path)).sort(), ['catalog.bin', 'lexical.bin'].map((n) => manifest.files[n]!.file).sort(), 'a lexical-only index: no vectors');
  // the CRC-32 where this runtime computes one (the manifest records it then), else the SHA-256
  assert.deepEqual(files.map((f) => f.checksum), files.map(() => (zlibHasCrc32 ? 'crc32' : 'sha256')));
  const ahead = new OneShotAhead({ reads: files, root, scan: {} });
  // the lexical index opened on this thread, for its head alone to be read ahead: the read-ahead owns it
  assert.deepEqual(files.map((f) => f.fd !== undefined), files.map((f) => basename(f.path) === manifest.files['lexical.bin']!.file));
  for (const { path, fd } of files) {
    const head = fd !== undefined;
    const early = await ahead.reads.take(path);
    assert.ok(early);
    const whole = readFileSync(path);
    if (head) {
      // the part before the postings, as the file's last four bytes give it; the file open, the taker's to close
      assert.deepEqual(early.bytes, whole.subarray(0, whole.readUInt32LE(whole.length - 4)));
      assert.ok(early.file && early.file.size === whole.length && early.file.fd === fd);
      assert.equal(fstatSync(early.file.fd).size, whole.length, 'open after the worker ended');
      closeSync(early.file.fd);
    } else {
      assert.deepEqual(early.bytes, whole);
      assert.equal(early.file, undefined);
    }
    const expected = zlibHasCrc32
      ? { kind: 'crc32', crc32: (zlib as unknown as { crc32(b: Uint8Array): number }).crc32(readFileSync(path)) }
      : { kind: 'sha256', sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
    assert.deepEqual(early.checksum, expected);
    assert.equal(await ahead.reads.take(path), undefined, 'once');
  }
  await ahead.scan();
  assert.deepEqual(indexFilesToReadAhead(join(indexDir, 'no-such-folder'), INDEX_FILES_READ_WHOLE), []);

  // a manifest without CRC-32s (an earlier version's): the worker computes the SHA-256 its reader checks
  const { checksum: _, ...body } = manifest;
  for (const entry of Object.values(body.files)) delete entry.crc32;
  const rewritten = { ...body, checksum: manifestChecksum(body) };
  writeFileSync(manifestPath, JSON.stringify(rewritten));
  ChangeLogWriter.start(indexDir, rewritten.generation, rewritten.checksum); // the generation's (empty) log, for the manifest as it is now
  const old = indexFilesToReadAhead(indexDir, INDEX_FILES_READ_WHOLE);
  assert.deepEqual(old.map((f) => f.checksum), ['sha256', 'sha256']);
  const oldAhead = new OneShotAhead({ reads: old, root, scan: undefined });
  const early = await oldAhead.reads.take(old[0]!.path);
  assert.deepEqual(early?.checksum, { kind: 'sha256', sha256: createHash('sha256').update(readFileSync(old[0]!.path)).digest('hex') });
  await oldAhead.scan();
});

test('a reading is taken once, whether it arrives before or after it is asked for, and what arrived stays when the reader stops', async () => {
  const early = (text: string) => ({ bytes: Buffer.from(text), checksum: compute(Buffer.from(text), 'sha256') });
  const ahead = new ReadAhead(['/i/a', '/i/b', '/i/c', '/i/d']);
  ahead.deliver('/i/a', early('a'));
  const b = ahead.take('/i/b'); // asked for before it arrives
  ahead.deliver('/i/b', early('b'));
  ahead.deliver('/i/x', early('x')); // never asked to be read: ignored
  ahead.deliver('/i/c', early('c'));
  ahead.abandon(); // the reader stopped: d never arrives, a and c arrived
  assert.equal((await ahead.take('/i/a'))?.bytes.toString(), 'a');
  assert.equal((await b)?.bytes.toString(), 'b');
  assert.equal((await ahead.take('/i/c'))?.bytes.toString(), 'c');
  assert.equal(await ahead.take('/i/d'), undefined);
  assert.equal(await ahead.take('/i/x'), undefined);
  for (const file of ['/i/a', '/i/b', '/i/c', '/i/d']) assert.equal(await ahead.take(file), undefined, `${file} once`);
  // released once the index is loaded: what arrived and was not taken is let go, what arrives later ignored
  const released = new ReadAhead(['/i/e', '/i/f']);
  released.deliver('/i/e', early('e'));
  released.release();
  released.deliver('/i/f', early('f'));
  assert.equal(await released.take('/i/e'), undefined);
  assert.equal(await released.take('/i/f'), undefined);
  // a file left open that nobody took is closed on release; one taken is the taker's
  const dir = mkdtempSync(join(tmpdir(), 'codescout-ahead-'));
  try {
    writeFileSync(join(dir, 'f'), 'x');
    const [untaken, taken, whole] = [openSync(join(dir, 'f'), 'r'), openSync(join(dir, 'f'), 'r'), openSync(join(dir, 'f'), 'r')];
    const open = new ReadAhead([
      { path: '/i/g', checksum: 'sha256', fd: untaken },
      { path: '/i/h', checksum: 'sha256', fd: taken },
      { path: '/i/k', checksum: 'sha256', fd: whole },
    ]);
    open.deliver('/i/g', { ...early('g'), size: 1 });
    open.deliver('/i/h', { ...early('h'), size: 1 });
    open.deliver('/i/k', early('k')); // read whole (no head to keep): of no use to the taker
    assert.deepEqual((await open.take('/i/h'))?.file, { fd: taken, size: 1 });
    assert.equal((await open.take('/i/k'))?.file, undefined);
    assert.throws(() => fstatSync(whole), /EBADF/, 'closed as it was taken without a head');
    open.release();
    assert.throws(() => fstatSync(untaken), /EBADF/, 'not taken: closed on release');
    assert.equal(fstatSync(taken).size, 1, 'taken: the taker\'s');
    closeSync(taken);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file read ahead for its head keeps the part its last four bytes give and stays open; one too short to say, or saying more than it holds, is read whole', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'codescout-head-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const withEnd = (body: string, end: number) => {
    const bytes = Buffer.concat([Buffer.from(body), Buffer.alloc(4)]);
    bytes.writeUInt32LE(end, bytes.length - 4);
    return bytes;
  };
  for (const [what, bytes, head] of [
    ['a head of 5', withEnd('head+postings', 5), 5],
    ['a head of 0', withEnd('postings', 0), 0],
    ['all but the end', withEnd('all', 3), 3],
    ['an end past the file', withEnd('short', 6), undefined],
    ['too short for an end', Buffer.from('abc'), undefined],
  ] as const) {
    const file = join(dir, 'f.bin');
    writeFileSync(file, bytes);
    const fd = openSync(file, 'r');
    const early = readAndHash(file, 'sha256', fd);
    assert.equal(fstatSync(fd).size, bytes.length, `${what}: left open`);
    closeSync(fd);
    assert.ok(early, what);
    assert.deepEqual(early.checksum, compute(bytes, 'sha256'), `${what}: the whole file's checksum`);
    if (head === undefined) {
      assert.deepEqual(early.bytes, bytes, `${what}: read whole`);
      assert.equal(early.size, undefined, what);
    } else {
      assert.deepEqual(early.bytes, bytes.subarray(0, head), what);
      assert.equal(early.size, bytes.length, what);
    }
  }
});

test('asked for no scan, the worker makes none (it would scan with defaults otherwise); a one-shot engine beside a writer opens read-only, keeping no scan', async (t) => {
  const { root, indexDir } = await indexed(t);
  const writer = await Engine.open(root, { indexDir, model: null });
  try {
    await writer.refresh(); // takes the lock
    const files = indexFilesToReadAhead(indexDir, INDEX_FILES_READ_WHOLE);
    const ahead = new OneShotAhead({ reads: files, root, scan: undefined });
    assert.ok(await ahead.reads.take(files[0]!.path), 'the worker ran: it read ahead');
    assert.equal(await ahead.scan(), undefined, 'no scan asked, none made');
    const oneShot = await Engine.open(root, { indexDir, model: null, oneShot: true });
    assert.ok(oneShot.readOnly);
    assert.equal(await scanOf(oneShot), undefined);
    await oneShot.close();
  } finally {
    await writer.close();
  }
});

test('bytes read ahead are used when they are what the manifest lists, and never otherwise', async (t) => {
  const { root, indexDir } = await indexed(t);
  const manifest = JSON.parse(readFileSync(join(indexDir, 'manifest.json'), 'utf8')) as { files: Record<string, { file: string }> };
  const catalogFile = join(indexDir, manifest.files['catalog.bin']!.file);
  const good = readAndHash(catalogFile)!;
  const chunks = async (ahead: ReadAhead) => {
    const said: string[] = [];
    const state = await new IndexStorage(indexDir, root, undefined).load((m) => said.push(m), ahead);
    try {
      return { chunks: state.catalog.chunks.size, said };
    } finally {
      await state.close();
    }
  };
  // other bytes than the manifest's: not used, the file on disk is
  const wrong = new ReadAhead([catalogFile]);
  const zeros = Buffer.alloc(good.bytes.length);
  wrong.deliver(catalogFile, { bytes: zeros, checksum: compute(zeros, kindToCheck(undefined)) });
  const fromDisk = await chunks(wrong);
  assert.deepEqual(fromDisk.said, []);
  assert.ok(fromDisk.chunks >= 2);
  // the manifest's bytes are used: the file on disk, changed since (same size), is then not read
  const copy = Buffer.from(good.bytes);
  writeFileSync(catalogFile, Buffer.alloc(good.bytes.length, 7));
  const right = new ReadAhead([catalogFile]);
  right.deliver(catalogFile, { bytes: copy, checksum: good.checksum });
  assert.deepEqual(await chunks(right), fromDisk);
  // and without them, the damage is found
  const none = await chunks(new ReadAhead([]));
  assert.equal(none.chunks, 0);
  assert.match(none.said.join('\n'), /checksum mismatch/);
});

test('a named pipe in a file\'s place is not read ahead, and nothing waits on it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'codescout-one-shot-fifo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'catalog.g1.bin');
  execFileSync('mkfifo', [fifo]);
  assert.equal(readAndHash(fifo), undefined);
  assert.equal(readAndHash(join(dir, 'missing.bin')), undefined);
  const ahead = new OneShotAhead({ reads: [fifo, join(dir, 'missing.bin')].map((path) => ({ path, checksum: 'sha256' as const })), root: dir, scan: {} });
  assert.equal(await ahead.reads.take(fifo), undefined);
  assert.equal(await ahead.reads.take(join(dir, 'missing.bin')), undefined);
  assert.ok(await ahead.scan());
});

test('a folder the worker cannot scan gives no scan, and the refresh reports it as its own scan does', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'codescout-one-shot-gone-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const missing = join(base, 'no-such-folder');
  assert.equal(await new OneShotAhead({ reads: [], root: missing, scan: {} }).scan(), undefined);
  const engine = await Engine.open(missing, { indexDir: join(base, 'index'), model: null, oneShot: true });
  try {
    await assert.rejects(engine.refresh(), /cannot scan the folder .*no-such-folder: it no longer exists/);
  } finally {
    await engine.close();
  }
});

/** The scan an engine opened with `oneShot` is making, once it is done (reached inside: the engine keeps it private). */
async function scanOf(engine: Engine): Promise<unknown> {
  return (engine as unknown as { ahead?: OneShotAhead }).ahead?.scan();
}

test('the scan made ahead serves the first refresh only; a later one scans afresh', async (t) => {
  const { root, indexDir } = await indexed(t);
  const engine = await Engine.open(root, { indexDir, model: null, oneShot: true });
  try {
    assert.ok(await scanOf(engine), 'scanned while the engine opened');
    // a file written after that scan: the first refresh, which uses it, does not see it
    writeFileSync(join(root, 'src/later.py'), 'def later_added():\n    return 2\n');
    const first = await engine.refresh();
    assert.equal(first.files, 3);
    assert.equal(first.filesParsed, 0, 'nothing changed');
    const second = await engine.refresh();
    assert.equal(second.files, 4);
    assert.equal((await engine.search('later_added', { top: 1 }))[0]?.path, 'src/later.py');
  } finally {
    await engine.close();
  }
});

test('work stopped before it is done gives nothing, and an engine closed before its first refresh stops it', async (t) => {
  const { root, indexDir } = await indexed(t);
  const ahead = new OneShotAhead({ reads: indexFilesToReadAhead(indexDir, INDEX_FILES_READ_WHOLE), root, scan: {} });
  await ahead.dispose();
  assert.equal(await ahead.scan(), undefined, 'stopped before it answered');
  const engine = await Engine.open(root, { indexDir, model: null, oneShot: true });
  await engine.close(); // resolves: nothing left waiting on the worker
});

test('a scan made ahead is not used when another process changed the index meanwhile', async (t) => {
  const { root, indexDir } = await indexed(t);
  // another process (the editor, say) holds the index: the one-shot engine opens it read-only
  const writer = await Engine.open(root, { indexDir, model: null });
  const oneShot = await Engine.open(root, { indexDir, model: null, oneShot: true, lockWaitMs: 20_000 });
  try {
    assert.ok(oneShot.readOnly);
    assert.equal(await scanOf(oneShot), undefined, 'its scan is dropped: the index may change before it takes over');
    const refreshing = oneShot.refresh({ requireWrite: true });
    // the writer indexes a file the early scan never saw, then lets go
    writeFileSync(join(root, 'src/beta.py'), 'def beta_added():\n    return 3\n');
    await writer.refresh();
    await writer.close();
    const summary = await refreshing;
    assert.equal(summary.filesRemoved, 0, 'nothing the writer indexed is taken for gone');
    assert.equal((await oneShot.search('beta_added', { top: 1 }))[0]?.path, 'src/beta.py');
  } finally {
    await writer.close();
    await oneShot.close();
  }
});

test('the index stamp changes with a commit and with a logged change, not with reading', async (t) => {
  const { root, indexDir } = await indexed(t);
  const before = indexStamp(indexDir);
  const reader = await Engine.open(root, { indexDir, model: null });
  await reader.search('main');
  await reader.close();
  assert.equal(indexStamp(indexDir), before, 'opening and searching change nothing');
  writeFileSync(join(root, 'src/gamma.py'), 'def gamma():\n    return 4\n');
  const editor = await Engine.open(root, { indexDir, model: null });
  await editor.refresh({ paths: ['src/gamma.py'] });
  const logged = indexStamp(indexDir);
  assert.notEqual(logged, before, 'a change logged or committed');
  await editor.close();
  assert.equal(indexStamp(join(indexDir, 'none')), '-|?');
});

/** The descriptors this process has open (Linux: /proc/self/fd). */
const openDescriptors = (): number => readdirSync('/proc/self/fd').length;
const ON_LINUX = process.platform === 'linux' ? {} : { skip: 'counts descriptors in /proc/self/fd (Linux)' };

/** Until the read-ahead worker has ended and let go of what it read through: a few turns of the loop. */
const settled = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

test('a one-shot engine lets go of the lexical file it opened for its head: when it closes, and when opening fails', ON_LINUX, async (t) => {
  const { root, indexDir } = await indexed(t);
  await settled();
  const before = openDescriptors();
  const engine = await Engine.open(root, { indexDir, model: null, oneShot: true });
  assert.equal((await engine.search('pad string', { top: 1 }))[0]?.path, 'src/util/text.ts');
  await engine.refresh();
  await engine.close();
  await settled();
  assert.equal(openDescriptors(), before, 'closed with the engine');
  // opening fails after the file was opened (no model where one is named)
  await assert.rejects(Engine.open(root, { indexDir, model: join(root, 'no-such-model'), oneShot: true }));
  await settled();
  assert.equal(openDescriptors(), before, 'closed when opening failed');
});

for (const older of ['lexical.bin', 'catalog.bin'] as const) {
  const described = older === 'lexical.bin' ? 'a lexical index in format 2 (whole, through the file it opened)' : 'a catalog in format 3 (every record decoded)';
  test(`a one-shot engine reads ${described} and its refresh writes the current format`, async (t) => {
    const { root, indexDir } = await indexed(t);
    const reference = await Engine.open(root, { indexDir, model: null });
    const answers = JSON.stringify(await reference.search('pad string main'));
    await reference.close();
    const manifestPath = join(indexDir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest<unknown>;
    const entry = manifest.files[older]!;
    const current = readFileSync(join(indexDir, entry.file));
    const old = older === 'lexical.bin' ? lexicalFormatTwo(current) : catalogFormatThree(decodeCatalog(current).data);
    writeFileSync(join(indexDir, entry.file), old);
    delete entry.crc32;
    Object.assign(entry, { bytes: old.length }, new Checksummer('write').update(old).written());
    const { checksum: _, ...body } = manifest;
    const rewritten = { ...body, checksum: manifestChecksum(body) };
    writeFileSync(manifestPath, JSON.stringify(rewritten));
    ChangeLogWriter.start(indexDir, rewritten.generation, rewritten.checksum);

    const lines: string[] = [];
    const engine = await Engine.open(root, { indexDir, model: null, oneShot: true, log: (line) => lines.push(line) });
    assert.deepEqual(lines.filter((l) => /older format|damaged|rebuilt/.test(l)).length, 1, lines.join('\n'));
    assert.ok(lines.some((l) => /older format/.test(l)));
    assert.equal(JSON.stringify(await engine.search('pad string main')), answers);
    await engine.refresh();
    await engine.close();
    const upgraded = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest<unknown>;
    assert.equal(readFileSync(join(indexDir, upgraded.files[older]!.file)).readUInt32LE(4), older === 'lexical.bin' ? LEXICAL_FORMAT_VERSION : CATALOG_FORMAT_VERSION);
  });
}
