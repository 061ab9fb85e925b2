/**
 * Labels that hold the same vector share one graph node (index/shared-vectors.ts): whatever the
 * order of adds, replacements, removals, saves, loads (the graph in memory or left in its file) and
 * rebuilds, the index holds each live label's vector, its searches (filtered or not) agree with an
 * exact scan of what it should hold, and a graph in memory has one live node per distinct vector.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { HierarchicalNSW } from 'hnswlib-node';
import { VectorIndex, type VectorIndexOptions } from '../src/engine/index/vector-index';
import { IndexCorruptError } from '../src/engine/index/errors';
import { TimeSlices } from '../src/engine/time-slice';
import { seededRandom } from './helpers/random';
import { fuzzParams } from './helpers/fuzz';
import { TempDirs } from './helpers/workspace';

const dimension = 8;
/** Exact at this size (see graph-thread.props.test.ts): no sequence holds more than 41 labels. */
const wide = { dimension, m: 48, efConstruction: 128, graphThread: false } satisfies VectorIndexOptions;
const temp = new TempDirs();
after(() => temp.cleanup());
const tempDir = (): Promise<string> => temp.make('shared-vectors');

/** Vector `seed`: seeds 0–4 come up often, so many labels share them. */
function vectorOf(seed: number): number[] {
  const random = seededRandom(seed + 1);
  return Array.from({ length: dimension }, () => random() * 2 - 1);
}

/** A vector as the index stores it. */
function stored(seed: number): Float32Array {
  const reference = new VectorIndex({ dimension });
  reference.add(0, vectorOf(seed));
  return reference.getVector(0)!;
}

type Op =
  | { kind: 'add'; label: number; seed: number }
  | { kind: 'remove'; label: number }
  | { kind: 'reload'; onDemand: boolean }
  | { kind: 'rebuild' };

const seed = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.nat(10_000) });
const ops = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('add' as const), label: fc.integer({ min: 0, max: 40 }), seed }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('remove' as const), label: fc.integer({ min: 0, max: 40 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reload' as const), onDemand: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'rebuild' as const }) },
  ),
  { minLength: 10, maxLength: 120 },
);

function dot(a: Float32Array, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** The graph's live nodes, when it is in memory (undefined otherwise). */
function liveNodes(index: VectorIndex): number | undefined {
  const inside = index as unknown as { graph?: HierarchicalNSW; deletedInGraph: Set<number> };
  return inside.graph === undefined ? undefined : inside.graph.getCurrentCount() - inside.deletedInGraph.size;
}

function checkHolds(index: VectorIndex, model: Map<number, { seed: number; vector: Float32Array }>, what: string): void {
  assert.equal(index.size, model.size, `${what}: size`);
  for (const [label, { vector }] of model) assert.deepEqual(index.getVector(label), vector, `${what}: vector of ${label}`);
  const nodes = liveNodes(index);
  if (nodes !== undefined) assert.equal(nodes, new Set([...model.values()].map((v) => v.seed)).size, `${what}: one node per distinct vector`);
  const filters: (((label: number) => boolean) | undefined)[] = [undefined, (label) => label % 3 !== 0, (label) => label % 7 === 1];
  for (let q = 0; q < 3; q++) {
    const query = Array.from(stored(50_000 + q)); // of unit length, as the index makes it: the scores are cosines
    const filter = filters[q];
    // what an exact scan of the model finds: every label that ties with the fifth best is kept
    const scores = [...model].filter(([label]) => filter === undefined || filter(label)).map(([label, { vector }]) => ({ label, score: dot(vector, query) }));
    scores.sort((a, b) => b.score - a.score || a.label - b.label);
    const fifth = scores[Math.min(5, scores.length) - 1]?.score;
    const expected = fifth === undefined ? [] : scores.filter((hit) => hit.score >= fifth - 1e-6);
    const exact = index.searchExact(query, 5, filter);
    assert.deepEqual(new Set(exact.map((hit) => hit.label)), new Set(expected.map((hit) => hit.label)), `${what}: exact scan ${q}`);
    const found = index.search(query, 5, filter);
    // k, or more where the exact scan answers (ties at the cut are kept)
    assert.ok(found.length >= Math.min(5, scores.length) && found.length <= expected.length, `${what}: search ${q} finds ${found.length}`);
    found.forEach((hit, i) => {
      assert.ok(Math.abs(hit.score - expected[i].score) < 1e-5, `${what}: search ${q} hit ${i} scores ${hit.score}, the exact scan's ${expected[i].score}`);
      assert.ok(model.has(hit.label) && (filter === undefined || filter(hit.label)), `${what}: search ${q} hit ${hit.label} is live and passes`);
      assert.ok(Math.abs(dot(model.get(hit.label)!.vector, query) - hit.score) < 1e-5, `${what}: search ${q} hit ${hit.label} has its own score`);
    });
  }
}

async function run(sequence: Op[], exactSearchMaxVectors: number): Promise<void> {
  const options = { ...wide, exactSearchMaxVectors };
  let index = new VectorIndex(options);
  const model = new Map<number, { seed: number; vector: Float32Array }>();
  for (const op of sequence) {
    if (op.kind === 'add') {
      index.add(op.label, vectorOf(op.seed));
      model.set(op.label, { seed: op.seed, vector: stored(op.seed) });
    } else if (op.kind === 'remove') {
      assert.equal(index.remove(op.label), model.delete(op.label));
    } else if (op.kind === 'reload') {
      const dir = await tempDir();
      const files = { vectors: path.join(dir, 'vectors.bin'), graph: path.join(dir, 'graph.hnsw') };
      index.save(files);
      index.close();
      index = VectorIndex.load(files, { ...options, graphLoading: op.onDemand ? 'on-demand' : 'eager' });
    } else {
      index.rebuildGraph();
    }
    checkHolds(index, model, `after ${JSON.stringify(op)}`);
  }
  index.close();
}

test('labels that share a vector share a graph node, through adds, replacements, removals, saves, loads and rebuilds', async () => {
  for (const exactSearchMaxVectors of [0, 6]) {
    await fc.assert(
      fc.asyncProperty(ops, (sequence) => run(sequence, exactSearchMaxVectors)),
      { ...fuzzParams(40), includeErrorInReport: true },
    );
  }
});

test('a graph holds one node for many copies of a vector, and finds every copy', () => {
  const index = new VectorIndex({ ...wide, exactSearchMaxVectors: 0 });
  for (let label = 0; label < 30; label++) index.add(label, vectorOf(label % 3));
  assert.equal(liveNodes(index), 3);
  const hits = index.search(vectorOf(0), 10);
  assert.equal(hits.length, 10);
  assert.ok(hits.every((hit) => hit.label % 3 === 0 && Math.abs(hit.score - 1) < 1e-5), JSON.stringify(hits));
  // the first label's node goes, and its copies keep the vector
  index.remove(0);
  assert.equal(liveNodes(index), 3);
  assert.deepEqual(index.getVector(3), stored(0));
  assert.equal(index.search(vectorOf(0), 10).filter((hit) => hit.label % 3 === 0).length, 9);
});

test('a vector file that lists a label as sharing another\'s vector when it cannot, or has unknown flags, is refused', async () => {
  for (const withGraph of [true, false]) {
    const dir = await tempDir();
    const files = { vectors: path.join(dir, 'vectors.bin'), graph: path.join(dir, 'graph.hnsw') };
    const options = { ...wide, exactSearchMaxVectors: withGraph ? 0 : 100 };
    const index = new VectorIndex(options);
    for (let label = 0; label < 6; label++) index.add(label, vectorOf(label % 2));
    index.save(files);
    const good = fs.readFileSync(files.vectors);
    // the flags follow the header (60 bytes), the 6 labels and, without a graph, their vectors (a scale and the codes each); then 4 aliases, (alias, owner) each
    const flags = 60 + 6 * 4 + (withGraph ? 0 : 6 * (4 + dimension));
    const section = flags + 4;
    assert.equal(good.readUInt32LE(flags), 0);
    assert.equal(good.readUInt32LE(section), 4);
    const damaged: [string, (bytes: Buffer) => void][] = [
      ['unknown flags', (bytes) => bytes.writeUInt32LE(2, flags)],
      ['an owner that is no label', (bytes) => bytes.writeUInt32LE(99, section + 8)],
      ['an alias that is its own owner', (bytes) => bytes.writeUInt32LE(bytes.readUInt32LE(section + 4), section + 8)],
      ['an alias listed twice', (bytes) => bytes.writeUInt32LE(bytes.readUInt32LE(section + 4), section + 12)],
      ['an owner that is an alias', (bytes) => bytes.writeUInt32LE(bytes.readUInt32LE(section + 4), section + 16)],
      ['a count past the end', (bytes) => bytes.writeUInt32LE(1_000_000, section)],
    ];
    if (!withGraph) {
      // the file holds the vectors: an alias is checked to have its owner's
      const owner = good.readUInt32LE(section + 8);
      const other = [0, 1].find((label) => label % 2 !== owner % 2)!;
      damaged.push(['an alias whose vector is not its owner\'s', (bytes) => bytes.writeUInt32LE(other, section + 8)]);
    }
    for (const [what, damage] of damaged) {
      const bytes = Buffer.from(good);
      damage(bytes);
      fs.writeFileSync(files.vectors, bytes);
      assert.throws(() => VectorIndex.load(files, options), (error: unknown) => error instanceof IndexCorruptError, `${what}, ${withGraph ? 'with' : 'without'} a graph`);
    }
    fs.writeFileSync(files.vectors, good);
    assert.equal(VectorIndex.load(files, options).size, 6);
  }
});

test('the hashes of labels removed, or given other vectors, are let go: an index whose labels keep changing holds about as many hashes as vectors', () => {
  const index = new VectorIndex({ dimension, exactSearchMaxVectors: 100 });
  for (let label = 0; label < 50; label++) index.add(label, vectorOf(label));
  for (let label = 50; label < 5_050; label++) {
    index.remove(label - 50);
    index.add(label, vectorOf(label));
  }
  const shared = (index as unknown as { shared: { hashCount: number } }).shared;
  assert.ok(shared.hashCount <= 2 * 50 + 1024, `${shared.hashCount} hashes for 50 vectors`);
  assert.equal(index.size, 50);
  // the same labels given new vectors, again and again
  for (let round = 0; round < 5_000; round++) index.add(5_000 + (round % 50), vectorOf(100_000 + round));
  assert.ok(shared.hashCount <= 2 * 50 + 1024, `${shared.hashCount} hashes for 50 vectors, after replacements`);
  for (let label = 5_000; label < 5_050; label++) assert.deepEqual(index.getVector(label), stored(100_000 + 4_950 + (label - 5_000)));
});

test('an index of format 4, before vectors were shared, is upgraded: copies in its array share a node once a graph is built, and its graph is rebuilt', async () => {
  const dir = await tempDir();
  const files = { vectors: path.join(dir, 'vectors.bin'), graph: path.join(dir, 'graph.hnsw') };
  /** The file `index` saves, as format 4 wrote it: version 4, and nothing after the labels and vectors. */
  const asFormat4 = (index: VectorIndex, vectorsStored: boolean): void => {
    index.save(files);
    const bytes = fs.readFileSync(files.vectors);
    assert.equal(bytes.readUInt32LE(4), 5);
    bytes.writeUInt32LE(4, 4);
    fs.writeFileSync(files.vectors, bytes.subarray(0, 60 + index.size * 4 + (vectorsStored ? index.size * (4 + dimension) : 0)));
  };
  // without a graph: 12 labels, 3 vectors
  const small = new VectorIndex({ ...wide, exactSearchMaxVectors: 100 });
  for (let label = 0; label < 12; label++) small.add(label, vectorOf(label % 3));
  asFormat4(small, true);
  const grown = VectorIndex.load(files, { ...wide, exactSearchMaxVectors: 0 });
  assert.equal(grown.formatRead, 4);
  assert.equal(liveNodes(grown), 3, 'the graph built on loading shares nodes');
  assert.equal(grown.needsGraphRebuild, false);
  for (let label = 0; label < 12; label++) assert.deepEqual(grown.getVector(label), stored(label % 3));
  // with a graph, in memory or left in its file: rebuilt, as one whose nodes may be copies
  const large = new VectorIndex({ ...wide, exactSearchMaxVectors: 0 });
  for (let label = 0; label < 12; label++) large.add(label, vectorOf(label));
  asFormat4(large, false);
  for (const graphLoading of ['eager', 'on-demand'] as const) {
    const format4 = fs.readFileSync(files.vectors);
    const loaded = VectorIndex.load(files, { ...wide, exactSearchMaxVectors: 0, graphLoading });
    assert.equal(loaded.needsGraphRebuild, true, graphLoading);
    // saved before the rebuild (a checkpoint), it is still to be rebuilt when read back
    const again = path.join(dir, `again-${graphLoading}`);
    fs.mkdirSync(again);
    const saved = { vectors: path.join(again, 'vectors.bin'), graph: path.join(again, 'graph.hnsw') };
    loaded.save(saved);
    const reread = VectorIndex.load(saved, { ...wide, exactSearchMaxVectors: 0, graphLoading });
    assert.equal(reread.formatRead, 5);
    assert.equal(reread.needsGraphRebuild, true, `${graphLoading}, saved before the rebuild`);
    reread.close();
    fs.writeFileSync(files.vectors, format4);
    loaded.rebuildGraph();
    assert.equal(loaded.needsGraphRebuild, false, graphLoading);
    assert.equal(liveNodes(loaded), 12, graphLoading);
    for (let label = 0; label < 12; label++) assert.deepEqual(loaded.getVector(label), stored(label), graphLoading);
    loaded.close();
  }
});

test('a graph of format 4 dropped by a rebuild (the index shrank) leaves nothing to rebuild in the graph built when it grows again', async () => {
  const dir = await tempDir();
  const files = { vectors: path.join(dir, 'vectors.bin'), graph: path.join(dir, 'graph.hnsw') };
  const large = new VectorIndex({ ...wide, exactSearchMaxVectors: 0 });
  for (let label = 0; label < 12; label++) large.add(label, vectorOf(label));
  large.save(files);
  const bytes = fs.readFileSync(files.vectors);
  bytes.writeUInt32LE(4, 4);
  fs.writeFileSync(files.vectors, bytes.subarray(0, 60 + 12 * 4));
  for (const graphLoading of ['eager', 'on-demand'] as const) {
    // the graph built again on a worker thread, as a refresh builds it
    const index = VectorIndex.load(files, { ...wide, exactSearchMaxVectors: 8, graphLoading, graphThread: true });
    assert.equal(index.needsGraphRebuild, true);
    for (let label = 0; label < 6; label++) index.remove(label);
    index.rebuildGraph(); // 6 vectors: no graph
    assert.equal(index.hasGraph, false);
    const slices = new TimeSlices(0);
    for (let label = 20; label < 26; label++) {
      await index.buildGraphBefore(label, slices);
      index.add(label, vectorOf(label));
    }
    assert.equal(index.graphOnThread, true, graphLoading);
    await index.finishGraphThread(slices);
    assert.equal(index.graphInMemory, true);
    assert.equal(index.needsGraphRebuild, false, graphLoading);
    index.close();
  }
});

test('copies removed in the order they were added hand their node on once, not once per removal', () => {
  const index = new VectorIndex({ ...wide, exactSearchMaxVectors: 0 });
  for (let label = 0; label < 100; label++) index.add(label, vectorOf(0));
  index.add(100, vectorOf(1));
  const graph = (index as unknown as { graph: HierarchicalNSW }).graph;
  assert.equal(graph.getCurrentCount(), 2);
  for (let label = 0; label < 99; label++) index.remove(label); // as a refresh removes a file's chunks
  // the first removal gave the group to one heir (a node), the others were aliases leaving
  assert.equal(graph.getCurrentCount(), 3);
  assert.equal(liveNodes(index), 2);
  assert.deepEqual(index.getVector(99), stored(0));
  assert.deepEqual(index.search(vectorOf(0), 1).map((hit) => hit.label), [99]);
});
