/**
 * The graph file in int8 (index/graph-file.ts): for any graph hnswlib writes over vectors in the
 * index's stored form (int8.ts `toInt8Unit`), of any dimension, size, link count and deletions,
 * the int8 file given back in hnswlib's form is hnswlib's file byte for byte; damage to the int8
 * file's structure is refused before anything reads it as a graph.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { HierarchicalNSW } from 'hnswlib-node';
import { checkGraphFile, expandGraph, writeInt8Graph } from '../src/engine/index/graph-file';
import { IndexCorruptError } from '../src/engine/index/errors';
import { Int8Vectors, toInt8Unit } from '../src/engine/index/int8';
import { runSteps } from '../src/engine/time-slice';
import { seededRandom } from './helpers/random';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codescout-graph-file-'));
  dirs.push(dir);
  return dir;
}

/** A unit vector in the index's stored form, from a seed. */
function storedVector(dimension: number, seed: number): number[] {
  const random = seededRandom(seed + 1);
  const raw = Float32Array.from({ length: dimension }, () => random() * 2 - 1);
  raw[seed % dimension] += 0.01; // never all zeros
  const norm = Math.hypot(...raw);
  return Array.from(toInt8Unit(raw.map((x) => x / norm)));
}

/** hnswlib's file of a graph over `count` stored vectors, some deleted, in `dir`. */
function hnswlibFile(dir: string, dimension: number, count: number, m: number, deleted: number[], seed: number): string {
  const graph = new HierarchicalNSW('ip', dimension);
  graph.initIndex({ maxElements: count + 5, m, efConstruction: 20, randomSeed: seed });
  for (let label = 0; label < count; label++) graph.addPoint(storedVector(dimension, seed * 1000 + label), label * 3 + 1);
  for (const i of new Set(deleted)) if (i < count) graph.markDelete(i * 3 + 1);
  const file = path.join(dir, 'graph.hnsw');
  graph.writeIndexSync(file);
  return file;
}

function expanded(int8File: string, dimension: number, target: string): Buffer {
  const fd = fs.openSync(int8File, 'r');
  try {
    const found = runSteps(checkGraphFile(fd, dimension, 'sha256', 'int8'));
    runSteps(expandGraph(fd, found.layout, dimension, target));
  } finally {
    fs.closeSync(fd);
  }
  return fs.readFileSync(target);
}

test('a graph in int8, given back in hnswlib\'s form, is hnswlib\'s file byte for byte', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 2, max: 16 }),
      fc.array(fc.nat({ max: 299 }), { maxLength: 40 }),
      fc.nat({ max: 1000 }),
      (dimension, count, m, deleted, seed) => {
        const dir = tempDir();
        const original = hnswlibFile(dir, dimension, count, m, deleted, seed);
        const int8 = path.join(dir, 'graph.int8');
        const digest = runSteps(writeInt8Graph(original, int8, dimension));
        const bytes = fs.readFileSync(int8);
        assert.equal(digest.bytes, bytes.length);
        // each vector: 4 × dimension bytes become 4 + dimension
        assert.equal(bytes.length, fs.statSync(original).size + 8 - count * (3 * dimension - 4));
        assert.ok(expanded(int8, dimension, path.join(dir, 'back.hnsw')).equals(fs.readFileSync(original)));
        fs.rmSync(dir, { recursive: true, force: true });
      },
    ),
    { numRuns: 60 },
  );
});

test('an int8 graph file cut short, lengthened, or read at another dimension is refused as damaged', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 24 }), fc.integer({ min: 1, max: 120 }), fc.nat(), fc.integer({ min: 1, max: 64 }), (dimension, count, cutAt, extra) => {
      const dir = tempDir();
      const int8 = path.join(dir, 'graph.int8');
      runSteps(writeInt8Graph(hnswlibFile(dir, dimension, count, 8, [], count), int8, dimension));
      const bytes = fs.readFileSync(int8);
      const check = (content: Buffer, atDimension = dimension): void => {
        fs.writeFileSync(int8, content);
        const fd = fs.openSync(int8, 'r');
        try {
          assert.throws(() => runSteps(checkGraphFile(fd, atDimension, 'sha256', 'int8')), IndexCorruptError);
        } finally {
          fs.closeSync(fd);
        }
      };
      check(bytes.subarray(0, cutAt % bytes.length));
      check(Buffer.concat([bytes, Buffer.alloc(extra)]));
      check(bytes, dimension + 1);
      fs.rmSync(dir, { recursive: true, force: true });
    }),
    { numRuns: 60 },
  );
});

test('a source that hnswlib left short is refused, not converted', () => {
  const dir = tempDir();
  const original = hnswlibFile(dir, 16, 50, 8, [], 3);
  const bytes = fs.readFileSync(original);
  fs.writeFileSync(original, bytes.subarray(0, bytes.length - 10));
  assert.throws(() => runSteps(writeInt8Graph(original, path.join(dir, 'graph.int8'), 16)), IndexCorruptError);
});

test('an array of vectors in int8 holds each unit vector in the stored form, bit for bit, and its dot products are those of the vectors it gives back', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 48 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
      fc.nat(),
      (dimension, seeds, querySeed) => {
        const vectors = new Int8Vectors(dimension, seeds.length);
        const units = seeds.map((seed) => {
          const raw = storedVector(dimension, seed).map((x, j) => x + Math.sin(seed + j) / 7); // not in the stored form
          const norm = Math.hypot(...raw);
          return Float32Array.from(raw, (x) => x / norm);
        });
        units.forEach((unit, slot) => vectors.set(slot, unit));
        const query = Float32Array.from(storedVector(dimension, querySeed));
        units.forEach((unit, slot) => {
          const held = vectors.get(slot);
          assert.deepEqual(held, toInt8Unit(unit.slice()));
          vectors.set(slot, held); // again: the same bits
          assert.deepEqual(vectors.get(slot), held);
          const exact = held.reduce((sum, x, j) => sum + x * query[j], 0);
          assert.ok(Math.abs(vectors.dot(slot, query) - exact) < 1e-6, `${vectors.dot(slot, query)} against ${exact}`);
        });
        const moved = new Int8Vectors(dimension, seeds.length + 1);
        moved.copySlots(vectors, 0, seeds.length);
        moved.move(0, seeds.length);
        assert.deepEqual(moved.get(seeds.length), vectors.get(0));
        assert.deepEqual(moved.floats(0, seeds.length), Float32Array.from(units.flatMap((_, slot) => Array.from(vectors.get(slot)))));
      },
    ),
    { numRuns: 100 },
  );
});
