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
