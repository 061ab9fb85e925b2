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

test('through any puts, flushes, lookups, compactions and reopenings (read or searched first), every lookup gives what was put for its key, and the file holds each once after compaction', () => {
  const dimension = 8;
  const step = fc.oneof(
    fc.record({ kind: fc.constant('put' as const), key: fc.nat(15) }),
    fc.record({ kind: fc.constant('flush' as const) }),
    fc.record({ kind: fc.constant('get' as const), keys: fc.array(fc.nat(15), { maxLength: 6 }), search: fc.boolean() }),
    fc.record({ kind: fc.constant('compact' as const), keys: fc.array(fc.nat(15), { maxLength: 10 }) }),
    fc.record({ kind: fc.constant('reopen' as const), search: fc.boolean() }),
  );
  const keyOf = (k: number) => embeddingKey('model', `text ${k}`);
  fc.assert(
    // a key fixes the vector (the model and the text): a cache searched without reading its records
    // takes a second put of a key it holds without looking (embedding-cache.ts), as the indexer never makes it
    fc.property(fc.array(vectors(dimension), { minLength: 16, maxLength: 16 }), fc.array(step, { maxLength: 40 }), (vectorOf, steps) => {
      const file = cacheFile();
      let cache = EmbeddingCache.open(file, dimension);
      const model = new Map<number, Float32Array>();
      for (const s of steps) {
        if (s.kind === 'put') {
          const returned = cache.put(keyOf(s.key), vectorOf[s.key]);
          if (!model.has(s.key)) model.set(s.key, cachedForm(vectorOf[s.key]));
          assert.deepEqual(returned, model.get(s.key));
        } else if (s.kind === 'flush') cache.flush();
        else if (s.kind === 'get') {
          assert.deepEqual(cache.getMany(s.keys.map(keyOf), { search: s.search }), s.keys.map((k) => model.get(k)));
        } else if (s.kind === 'compact') {
          cache.compact(s.keys.map(keyOf));
          for (const k of [...model.keys()]) if (!s.keys.includes(k)) model.delete(k);
          assert.equal(cache.size, model.size);
          assert.equal(fs.statSync(file).size, 16 + model.size * (EMBEDDING_KEY_BYTES + 4 + dimension + 4));
        } else {
          cache.close();
          cache = EmbeddingCache.open(file, dimension);
          if (s.search) assert.deepEqual(cache.getMany([keyOf(0)]), [model.get(0)]);
        }
      }
      for (let k = 0; k < 16; k++) assert.deepEqual(cache.get(keyOf(k)), model.get(k), `key ${k}`);
      assert.equal(cache.size, model.size);
      cache.close();
    }),
    { numRuns: 150 },
  );
});

test('a vector is read from the file when looked up: a record damaged after the cache read it is a miss, and putting its key again appends a record that later lookups and a reopened cache give', () => {
  const dimension = 16;
  const file = cacheFile();
  const cache = EmbeddingCache.open(file, dimension);
  const keys = [0, 1, 2].map((k) => embeddingKey('model', `text ${k}`));
  const vs = [1, 2, 3].map((k) => Float32Array.from({ length: dimension }, (_, i) => Math.sin(k * 10 + i)));
  keys.forEach((key, i) => cache.put(key, vs[i]));
  cache.flush();
  assert.deepEqual(cache.get(keys[1]), cachedForm(vs[1]));
  // flip one code of the second record's vector, under the open cache
  const recordBytes = EMBEDDING_KEY_BYTES + 4 + dimension + 4;
  const at = 16 + recordBytes + EMBEDDING_KEY_BYTES + 4 + 3;
  const fd = fs.openSync(file, 'r+');
  const byte = Buffer.alloc(1);
  fs.readSync(fd, byte, 0, 1, at);
  byte[0] ^= 0x40;
  fs.writeSync(fd, byte, 0, 1, at);
  fs.closeSync(fd);
  assert.equal(cache.get(keys[1]), undefined, 'the damaged record is no answer');
  assert.deepEqual(cache.getMany(keys, { search: false }), [cachedForm(vs[0]), undefined, cachedForm(vs[2])]);
  const other = Float32Array.from({ length: dimension }, (_, i) => Math.cos(i));
  assert.deepEqual(cache.put(keys[1], other), cachedForm(other), 'put again');
  assert.deepEqual(cache.get(keys[1]), cachedForm(other), 'before it is flushed');
  cache.flush();
  assert.deepEqual(cache.getMany(keys), [cachedForm(vs[0]), cachedForm(other), cachedForm(vs[2])], 'after');
  assert.equal(fs.statSync(file).size, 16 + 4 * recordBytes);
  cache.close();
  const reopened = EmbeddingCache.open(file, dimension);
  assert.deepEqual(keys.map((key) => reopened.get(key)), [cachedForm(vs[0]), cachedForm(other), cachedForm(vs[2])]);
  assert.equal(reopened.recovery.corruptRecords, 1);
  reopened.close();
});

test('vectors put while the records were unread, and flushed, are written again when reading the records starts the file afresh', () => {
  const dimension = 8;
  const file = cacheFile();
  const keys = [0, 1, 2].map((k) => embeddingKey('model', `text ${k}`));
  const vs = [1, 2, 3].map((k) => Float32Array.from({ length: dimension }, (_, i) => Math.sin(k * 10 + i)));
  const first = EmbeddingCache.open(file, dimension);
  first.put(keys[0], vs[0]);
  first.close();
  const cache = EmbeddingCache.open(file, dimension);
  assert.deepEqual(cache.getMany([keys[0]]), [cachedForm(vs[0])], 'searched: the records stay unread');
  cache.put(keys[1], vs[1]);
  cache.flush();
  cache.put(keys[2], vs[2]); // pending
  // the file's header damaged under the cache: reading the records starts it afresh
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from('XXXX'), 0, 4, 0);
  fs.closeSync(fd);
  assert.deepEqual(cache.getMany(keys, { search: false }), [undefined, cachedForm(vs[1]), cachedForm(vs[2])]);
  assert.equal(cache.recovery.reset, true);
  cache.close();
  const reopened = EmbeddingCache.open(file, dimension);
  assert.deepEqual(keys.map((key) => reopened.get(key)), [undefined, cachedForm(vs[1]), cachedForm(vs[2])]);
  reopened.close();
});
