import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkerPool, ChunkerStartError, inProcessChunker } from '../src/engine/chunks/pool';
import { PARSE_WORKER_NICENESS } from '../src/engine/thread-priority';
import { execFileSync } from 'node:child_process';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'chunks');

test('worker-thread chunking gives exactly the in-process chunks, for every fixture, in parallel', async () => {
  const files = readdirSync(FIXTURES).map((name) => ({ name, text: readFileSync(join(FIXTURES, name), 'utf8') }));
  assert.ok(files.length >= 12);
  const local = inProcessChunker({ maxChunkChars: 600 });
  const pool = ChunkerPool.create(2, { maxChunkChars: 600 });
  try {
    const expected = await Promise.all(files.map((f) => local.chunkFile(f.name, f.text)));
    // every file at once: the pool queues them over its two workers
    const actual = await Promise.all(files.map((f) => pool.chunkFile(f.name, f.text)));
    assert.deepEqual(actual, expected);
    assert.ok(actual.flat().length > 50);
  } finally {
    await local.dispose();
    await pool.dispose();
  }
});

test('a disposed pool rejects new work instead of hanging', async () => {
  const pool = ChunkerPool.create(1);
  assert.equal((await pool.chunkFile('a.py', 'def f():\n    return 1\n'))[0].name, 'f');
  await pool.dispose();
  await assert.rejects(pool.chunkFile('b.py', 'def g(): pass\n'), /after dispose/);
});

test('work queued or in progress when the pool is disposed is rejected, not left hanging', async () => {
  const pool = ChunkerPool.create(1);
  const big = Array.from({ length: 3000 }, (_, i) => `def f${i}(x):\n    return x + ${i}\n`).join('\n');
  const inProgress = pool.chunkFile('big.py', big);
  const queued = pool.chunkFile('small.py', 'def g():\n    return 2\n');
  const rejected = [assert.rejects(inProgress, /disposed/), assert.rejects(queued, /disposed/)];
  await pool.dispose();
  await Promise.all(rejected);
});

test('a file read where it is chunked (a worker, or in-process) gives the chunks of its text, its hash, or why it is skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'codescout-read-chunk-'));
  const names = readdirSync(FIXTURES);
  const local = inProcessChunker({ maxChunkChars: 600 });
  const pool = ChunkerPool.create(2, { maxChunkChars: 600 });
  try {
    writeFileSync(join(dir, 'data.py'), Buffer.from([0x64, 0x65, 0x66, 0x00, 0x01, 0x02])); // a NUL byte: binary
    writeFileSync(join(dir, 'latin1.py'), Buffer.from([0x23, 0x20, 0xe9, 0x0a])); // not UTF-8
    for (const chunker of [local, pool]) {
      const all = await Promise.all(
        names.map((name) => chunker.readAndChunk({ absPath: join(FIXTURES, name), relPath: `src/${name}` })),
      );
      for (const [i, name] of names.entries()) {
        const text = readFileSync(join(FIXTURES, name), 'utf8');
        const read = all[i];
        assert.ok('chunks' in read, name);
        assert.equal(read.hash, createHash('sha256').update(text).digest('hex'));
        assert.deepEqual(read.chunks, await local.chunkFile(`src/${name}`, text), name);
        // the content the index has already: read and hashed, not chunked again
        assert.deepEqual(await chunker.readAndChunk({ absPath: join(FIXTURES, name), relPath: `src/${name}`, knownHash: read.hash }), { hash: read.hash, unchanged: true });
      }
      assert.deepEqual(await chunker.readAndChunk({ absPath: join(dir, 'data.py'), relPath: 'data.py' }), { skip: 'binary' });
      assert.deepEqual(await chunker.readAndChunk({ absPath: join(dir, 'latin1.py'), relPath: 'latin1.py' }), { skip: 'not-utf8', detail: 'not valid UTF-8' });
      assert.deepEqual(await chunker.readAndChunk({ absPath: join(dir, 'gone.py'), relPath: 'gone.py' }), { skip: 'unreadable', detail: 'ENOENT' });
      assert.deepEqual(await chunker.readAndChunk({ absPath: dir, relPath: 'folder.py' }), { skip: 'special', detail: 'folder' });
    }
  } finally {
    await local.dispose();
    await pool.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the in-process chunker starts its parser only for a text to chunk; one that cannot start fails every chunking, as the run\'s failure', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'codescout-read-chunk-'));
  // a parser that cannot start: one given a setting it refuses (a missing runtime would do too, in a
  // process that has not loaded tree-sitter yet; this one has)
  const broken = inProcessChunker({ maxNestingDepth: 0 });
  try {
    const name = readdirSync(FIXTURES)[0]!;
    const absPath = join(FIXTURES, name);
    const hash = createHash('sha256').update(readFileSync(absPath, 'utf8')).digest('hex');
    // the content the index has, and a file that is skipped, need no parser: these work although it cannot start
    assert.deepEqual(await broken.readAndChunk({ absPath, relPath: name, knownHash: hash }), { hash, unchanged: true });
    writeFileSync(join(dir, 'data.py'), Buffer.from([0x00, 0x01]));
    assert.deepEqual(await broken.readAndChunk({ absPath: join(dir, 'data.py'), relPath: 'data.py' }), { skip: 'binary' });
    // a text to chunk needs it: every one rejects with the start's failure (the indexer fails the run on it, recording nothing)
    await assert.rejects(broken.readAndChunk({ absPath, relPath: name }), (error) => error instanceof ChunkerStartError && /could not start: maxNestingDepth/.test(error.message));
    await assert.rejects(broken.chunkFile('a.py', 'def f():\n    return 1\n'), ChunkerStartError);
  } finally {
    await broken.dispose(); // nothing to free, and no error: the failure was reported when it happened
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pool whose parser cannot start says so for each text (ChunkerStartError), its workers stay up, and what needs no parser still works', async () => {
  const pool = ChunkerPool.create(2, { maxNestingDepth: 0 }); // a setting the parser refuses
  try {
    const name = readdirSync(FIXTURES)[0]!;
    const absPath = join(FIXTURES, name);
    const hash = createHash('sha256').update(readFileSync(absPath, 'utf8')).digest('hex');
    for (let i = 0; i < 5; i++) {
      await assert.rejects(pool.readAndChunk({ absPath, relPath: name }), (error) => error instanceof ChunkerStartError && /could not start: maxNestingDepth/.test(error.message));
      await assert.rejects(pool.chunkFile('a.py', 'def f():\n    return 1\n'), ChunkerStartError);
    }
    // a file whose content the index has needs no parser: read and hashed on the worker as usual
    assert.deepEqual(await pool.readAndChunk({ absPath, relPath: name, knownHash: hash }), { hash, unchanged: true });
  } finally {
    await pool.dispose();
  }
});

test("a lowered engine's parse workers lower themselves to the lowest priority, and the main thread keeps its own; an engine at normal priority leaves them at it", async (t) => {
  if (process.platform !== 'linux') return t.skip('niceness belongs to a thread only on Linux');
  // a child process: the niceness it takes is its own, never this test runner's
  const script = (niceness: number) => `
    const { getPriority, setPriority } = require('node:os');
    const { readdirSync } = require('node:fs');
    const { ChunkerPool } = require(${JSON.stringify(require.resolve('../src/engine/chunks/pool'))});
    const { lowerParseWorker } = require(${JSON.stringify(require.resolve('../src/engine/thread-priority'))});
    if (${niceness} > 0) setPriority(${niceness});
    // elsewhere niceness is the process's: there a worker's call must not touch it (here, the main thread's)
    lowerParseWorker('darwin');
    const afterDarwin = getPriority();
    (async () => {
      const pool = ChunkerPool.create(2);
      await Promise.all([pool.chunkFile('a.py', 'def f():\\n    return 1\\n'), pool.chunkFile('b.py', 'def g():\\n    return 2\\n')]);
      const threads = readdirSync('/proc/self/task').flatMap((id) => { try { return [getPriority(Number(id))]; } catch { return []; } });
      console.log(JSON.stringify({ main: getPriority(process.pid), afterDarwin, threads }));
      await pool.dispose();
    })();
  `;
  const run = (niceness: number) => JSON.parse(execFileSync(process.execPath, ['-e', script(niceness)], { encoding: 'utf8' })) as { main: number; afterDarwin: number; threads: number[] };
  const { getPriority } = await import('node:os');
  if (getPriority() > 0) return t.skip(`this test process already runs at niceness ${getPriority()}`);
  const lowered = run(5);
  assert.equal(lowered.afterDarwin, 5, 'not lowered where niceness is the whole process\'s');
  assert.equal(lowered.main, 5, 'the main thread keeps the process niceness');
  // each parse worker, and the threads it starts (V8's threads started before the child lowered itself stay at 0)
  assert.ok(lowered.threads.filter((n) => n === PARSE_WORKER_NICENESS).length >= 2, `the two parse workers: ${lowered.threads}`);
  assert.ok(lowered.threads.every((n) => n === 0 || n === 5 || n === PARSE_WORKER_NICENESS), `${lowered.threads}`);
  const normal = run(0);
  assert.ok(normal.threads.every((n) => n === 0), `at normal priority every thread stays there: ${normal.threads}`);
});
