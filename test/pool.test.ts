import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChunkerPool, inProcessChunker } from '../src/engine/chunks/pool';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'chunks');

test('worker-thread chunking gives exactly the in-process chunks, for every fixture, in parallel', async () => {
  const files = readdirSync(FIXTURES).map((name) => ({ name, text: readFileSync(join(FIXTURES, name), 'utf8') }));
  assert.ok(files.length >= 12);
  const local = await inProcessChunker({ maxChunkChars: 600 });
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
