/**
 * The hash table of shared vectors (index/vector-hashes.ts) behaves as a `Map` from hash to label
 * through any sets, deletes and compactions, from pairs read in any order; a compaction keeps the
 * labels it is told to keep, sorted by hash, each hash once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VectorHashes } from '../src/engine/index/vector-hashes';
import { SharedVectors } from '../src/engine/index/shared-vectors';
import { ByteReader } from '../src/engine/index/bytes';
import { fuzzParams } from './helpers/fuzz';

/** Few distinct hashes, so that sets, deletes and saved pairs meet; 0 and 2^32 − 1 included. */
const hash = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constantFrom(0xffffffff, 0x80000000, 0x7fffffff));
const label = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(0xffffffff)); // the largest label, never taken for a forgotten hash

type Op = { op: 'set'; hash: number; label: number } | { op: 'delete'; hash: number } | { op: 'compact'; drop: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), hash, label }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), hash }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('compact' as const), drop: fc.integer({ min: 0, max: 4 }) }) },
);

/** Every hash the test can draw, to compare lookups of absent ones too. */
const ALL_HASHES = [...Array.from({ length: 13 }, (_, i) => i), 0xffffffff, 0x80000000, 0x7fffffff];

function check(table: VectorHashes, model: Map<number, number>): void {
  for (const h of ALL_HASHES) assert.equal(table.get(h), model.get(h), `hash ${h}`);
  assert.equal(table.size, model.size);
}

test('a VectorHashes answers as a Map of the same pairs through sets, deletes and compactions, from saved pairs in any order', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(hash, label), { maxLength: 12 }), fc.array(op, { maxLength: 40 }), fc.boolean(), (saved, ops, lookFirst) => {
      const model = new Map<number, number>();
      for (const [h, l] of saved) model.set(h, l); // a hash listed twice keeps its last label, as a Map filled in order
      const table = new VectorHashes(Uint32Array.from(saved.flat()));
      // the saved pairs are sorted when first needed: by a lookup, or else by the first change or compaction
      if (lookFirst) check(table, model);
      for (const o of ops) {
        if (o.op === 'set') {
          table.set(o.hash, o.label);
          model.set(o.hash, o.label);
        } else if (o.op === 'delete') {
          table.delete(o.hash);
          model.delete(o.hash);
        } else {
          // labels divisible by drop + 1 (none when drop is 0) are no longer kept
          const keep = (l: number) => o.drop === 0 || l % (o.drop + 1) !== 0;
          const pairs = table.compact(keep);
          for (const [h, l] of [...model]) if (!keep(l)) model.delete(h);
          const expected = [...model].sort((a, b) => a[0] - b[0]).flat();
          assert.deepEqual([...pairs], expected, 'the pairs kept, sorted by hash');
        }
        check(table, model);
      }
      // what a save writes reads back as the same table
      const again = new VectorHashes(table.compact(() => true).slice());
      check(again, model);
    }),
    fuzzParams(300),
  );
});

test('pairs saved unsorted (a file of an earlier build) come out sorted, a hash listed twice once; sorted pairs answer as they are', () => {
  const unsorted = Uint32Array.from([9, 1, 3, 2, 0xffffffff, 3, 3, 4, 0, 5]);
  const table = new VectorHashes(unsorted);
  assert.deepEqual([...table.compact(() => true)], [0, 5, 3, 4, 9, 1, 0xffffffff, 3]);
  const sorted = Uint32Array.from([1, 7, 2, 8]);
  const kept = new VectorHashes(sorted);
  assert.equal(kept.get(2), 8);
  assert.equal(kept.get(3), undefined);
  assert.equal(kept.size, 2);
});

test('a vector file section of an earlier build (hashes in the order recorded, one listed twice) reads through SharedVectors, and is written back sorted', () => {
  // flags 0, no aliases, then 4 (hash, owner) pairs out of order; hash 7 twice: its last owner counts
  const words = Uint32Array.from([0, 0, 4, 9, 1, 7, 2, 0xffffffff, 3, 7, 4]);
  const { shared } = SharedVectors.decode(new ByteReader(Buffer.from(words.buffer), 'vectors.bin'), () => true, 'vectors.bin');
  assert.equal(shared.candidate(9), 1);
  assert.equal(shared.candidate(7), 4);
  assert.equal(shared.candidate(0xffffffff), 3);
  assert.equal(shared.candidate(8), undefined);
  assert.equal(shared.hashCount, 3);
  const written = new Uint32Array(shared.encode((label) => label !== 1, false).slice().buffer);
  assert.deepEqual([...written], [0, 0, 2, 7, 4, 0xffffffff, 3], 'label 1 is no owner now: its hash is let go; the rest sorted');
  assert.equal(shared.candidate(9), undefined);
});
