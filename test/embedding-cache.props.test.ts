/**
 * The embedding cache keeps vectors in int8 with a scale each (index/embedding-cache.ts): what it
 * gives back stays within half a step of every component and points the same way; what `put`
 * returns is what every later lookup gives, before and after reopening; a cache written in the
 * float32 format of earlier versions is read, keeps its vectors, and is rewritten in the new one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { cachedForm, EmbeddingCache, embeddingKey, EMBEDDING_KEY_BYTES } from '../src/engine/index/embedding-cache';
import { embeddingCacheFormatOne } from './helpers/legacy-formats';

const tempDirs: string[] = [];
test.after(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function cacheFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codescout-cache-props-'));
  tempDirs.push(dir);
  return path.join(dir, 'embeddings.cache');
}

const float32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e30), max: Math.fround(1e30) });
// (float32's largest values, whose quantised form would round to infinity, are refused: tested below)
const vectors = (dimension: number) => fc.array(float32, { minLength: dimension, maxLength: dimension }).map((v) => Float32Array.from(v));

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);

test('the cached form is within half a step (largest magnitude / 254) of each component, and as near in direction as that allows', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }).chain(vectors), (v) => {
      const back = cachedForm(v);
      assert.equal(back.length, v.length);
      const max = Math.max(...Array.from(v, Math.abs));
      // below float32's normal range (2^-126) a scale has too few bits: such a vector comes back as zero
      if (max / 127 < 2 ** -126) return assert.ok(back.every((x) => x === 0), `${max}: zero`);
      const halfStep = max / 254;
      for (let i = 0; i < v.length; i++) {
        // half a step, plus rounding code × scale to float32 (half an ulp of the result)
        assert.ok(Math.abs(back[i] - v[i]) <= halfStep * (1 + 1e-6) + Math.abs(back[i]) * 2 ** -24, `component ${i}: ${v[i]} came back as ${back[i]}`);
        if (v[i] !== 0 && back[i] !== 0) assert.equal(Math.sign(back[i]), Math.sign(v[i]));
      }
      // the error vector is at most sqrt(d) half steps long, and v at least `max`
      const bound = Math.sqrt(v.length) / 254;
      const cosine = dot(v, back) / (norm(v) * norm(back));
      assert.ok(cosine >= 1 - (bound * bound) / 2 - 1e-9, `cosine ${cosine}`);
    }),
  );
});

test('put returns what every later lookup gives, in one process and after reopening', () => {
  const dimension = 24;
  fc.assert(
    fc.property(fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 12 }), fc.array(vectors(dimension), { minLength: 12, maxLength: 12 }), fc.boolean(), (texts, vs, searchFirst) => {
      const file = cacheFile();
      const cache = EmbeddingCache.open(file, dimension);
      const keys = texts.map((t) => embeddingKey('model', t));
      if (searchFirst) assert.deepEqual(cache.getMany(keys), keys.map(() => undefined)); // puts then go aside, unread
      const returned = keys.map((key, i) => cache.put(key, vs[i]));
      returned.forEach((r, i) => assert.deepEqual(r, cachedForm(vs[i])));
      assert.deepEqual(keys.map((key) => cache.put(key, vs[0])), returned, 'a key cached already keeps its vector');
      assert.deepEqual(cache.getMany(keys), returned);
      cache.close();
      const reopened = EmbeddingCache.open(file, dimension);
      assert.deepEqual(reopened.getMany(keys), returned, 'searched in the file');
      assert.deepEqual(keys.map((key) => reopened.get(key)), returned, 'read from the file');
      assert.equal(fs.statSync(file).size, 16 + keys.length * (EMBEDDING_KEY_BYTES + 4 + dimension + 4));
      reopened.close();
    }),
    { numRuns: 40 },
  );
});

test('a float32 cache of an earlier version keeps every intact vector, in int8, and is rewritten in the new format', () => {
  const dimension = 8;
  const records = Array.from({ length: 6 }, (_, i) => ({
    key: embeddingKey('model', `chunk ${i}`),
    vector: Float32Array.from({ length: dimension }, (_, j) => Math.sin(i * 7 + j)),
  }));
  const oldRecord = EMBEDDING_KEY_BYTES + dimension * 4 + 4;
  const bytes = embeddingCacheFormatOne(dimension, [...records, records[1]]); // a key twice: the first is kept
  bytes[16 + 2 * oldRecord + 40] ^= 0xff; // record 2's vector: damaged, skipped
  const file = cacheFile();
  fs.writeFileSync(file, Buffer.concat([bytes, Buffer.alloc(oldRecord - 5, 0xab)])); // and a torn tail
  const cache = EmbeddingCache.open(file, dimension);
  assert.deepEqual(cache.recovery, { truncatedBytes: oldRecord - 5, corruptRecords: 1, reset: false });
  assert.equal(cache.size, 5);
  records.forEach(({ key, vector }, i) => assert.deepEqual(cache.get(key), i === 2 ? undefined : cachedForm(vector), `record ${i}`));
  assert.equal(fs.statSync(file).size, 16 + 5 * (EMBEDDING_KEY_BYTES + 4 + dimension + 4), 'rewritten in int8');
  cache.put(records[2].key, records[2].vector);
  cache.close();
  const reopened = EmbeddingCache.open(file, dimension);
  assert.deepEqual(reopened.recovery, { truncatedBytes: 0, corruptRecords: 0, reset: false });
  records.forEach(({ key, vector }) => assert.deepEqual(reopened.get(key), cachedForm(vector)));
  reopened.close();
  // a float32 cache of another dimension is started afresh, as any other format is
  fs.writeFileSync(file, embeddingCacheFormatOne(dimension * 2, []));
  const other = EmbeddingCache.open(file, dimension);
  assert.equal(other.recovery.reset, true);
  other.close();
});

test('vectors the float32 format cannot hold are refused', () => {
  const cache = EmbeddingCache.open(cacheFile(), 2);
  for (const bad of [[1e39, 0], [Number.NaN, 1], [0, Number.NEGATIVE_INFINITY], [3.4028234663852886e38, 1]]) {
    assert.throws(() => cache.put(embeddingKey('m', String(bad)), bad), /non-finite/);
  }
  assert.equal(cache.size, 0);
  cache.close();
});

test('a record whose checksum holds but whose scale no quantiser gives is taken for damaged', () => {
  const dimension = 4;
  const file = cacheFile();
  const cache = EmbeddingCache.open(file, dimension);
  const keys = [0, 1, 2].map((i) => embeddingKey('model', `chunk ${i}`));
  keys.forEach((key, i) => cache.put(key, [i + 1, -1, 0.5, 0]));
  cache.close();
  const bytes = fs.readFileSync(file);
  const record = EMBEDDING_KEY_BYTES + 4 + dimension + 4;
  // record 1's scale made NaN, its checksum made to match
  const start = 16 + record;
  bytes.writeFloatLE(Number.NaN, start + EMBEDDING_KEY_BYTES);
  const payload = bytes.subarray(start, start + record - 4);
  bytes.writeUInt32LE(createHash('sha256').update(payload).digest().readUInt32LE(0), start + record - 4);
  fs.writeFileSync(file, bytes);
  const searched = EmbeddingCache.open(file, dimension);
  assert.deepEqual(searched.getMany(keys).map((v) => v && Array.from(v)), [cachedForm([1, -1, 0.5, 0]), undefined, cachedForm([3, -1, 0.5, 0])].map((v) => v && Array.from(v)));
  searched.close();
  const read = EmbeddingCache.open(file, dimension);
  assert.equal(read.get(keys[1]), undefined);
  assert.deepEqual(read.recovery, { truncatedBytes: 0, corruptRecords: 1, reset: false });
  read.close();
});
