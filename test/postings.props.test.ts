/**
 * The arena that holds a lexical index's postings (index/postings.ts): through any sequence of
 * postings made, grown, read in whole and dropped, every posting reads back the entries it was
 * given, no two postings share an entry, every reserved entry is either a posting's or free, and
 * compaction (into smaller arrays, once half the arena is free) keeps all of it; a posting that
 * grows large moves to arrays of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { inArena, Posting, PostingArena } from '../src/engine/index/postings';
import { fuzzParams } from './helpers/fuzz';

type Op =
  | { kind: 'push'; posting: number; count: number }
  | { kind: 'read'; count: number }
  | { kind: 'release'; posting: number }
  | { kind: 'shrink' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('push' as const), posting: fc.nat(40), count: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), count: fc.oneof(fc.integer({ min: 1, max: 511 }), fc.integer({ min: 512, max: 3000 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), posting: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('shrink' as const) }) },
);

test('postings in one arena keep their entries through growth, reuse of freed regions and compaction', () => {
  let compacted = 0;
  let reused = 0;
  let large = 0;
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const postings: Posting[] = [];
      const arena = new PostingArena(() => postings);
      // what each posting holds: its slots (ascending) and frequencies
      const model = new Map<Posting, { slots: number[]; frequencies: number[] }>();
      let made = 0;
      const check = () => {
        const owned: [number, number][] = [];
        let ownedEntries = 0;
        for (const posting of postings) {
          const expected = model.get(posting)!;
          assert.equal(posting.length, expected.slots.length);
          assert.ok(posting.length <= posting.capacity);
          assert.deepEqual([...arena.slotsOf(posting).subarray(posting.start, posting.start + posting.length)], expected.slots);
          assert.deepEqual([...arena.frequenciesOf(posting).subarray(posting.start, posting.start + posting.length)], expected.frequencies);
          // large postings have arrays of their own, small ones are in the arena
          assert.equal(posting.own !== undefined, !inArena(posting.capacity));
          if (posting.own !== undefined) {
            large++;
            continue;
          }
          for (let i = 0; i < expected.slots.length; i += Math.max(1, expected.slots.length >> 3)) {
            assert.equal(arena.find(posting, expected.slots[i]), posting.start + i);
          }
          assert.equal(arena.find(posting, -1 >>> 0), -1);
          owned.push([posting.start, posting.start + posting.capacity]);
          ownedEntries += posting.capacity;
        }
        owned.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < owned.length; i++) assert.ok(owned[i - 1][1] <= owned[i][0], 'two postings share entries');
        if (owned.length > 0) assert.ok(owned[owned.length - 1][1] <= arena.reservedEntries);
        assert.equal(ownedEntries + arena.garbageEntries, arena.reservedEntries, 'every reserved entry is a posting’s or free');
        assert.ok(arena.reservedEntries <= arena.slots.length && arena.slots.length === arena.frequencies.length);
      };
      for (const o of ops) {
        if (o.kind === 'push') {
          let posting = postings[o.posting];
          if (posting === undefined) {
            posting = new Posting(`t${made++}`);
            postings.push(posting);
            model.set(posting, { slots: [], frequencies: [] });
          }
          const expected = model.get(posting)!;
          for (let i = 0; i < o.count; i++) {
            const slot = (expected.slots.at(-1) ?? -1) + 1 + (i % 3);
            const frequency = Math.fround(1 + ((slot * 7) % 13) / 4);
            const [capacity, end] = [posting.capacity, arena.reservedEntries];
            arena.push(posting, slot, frequency);
            // it moved to a larger region of the arena without the arena growing: a freed one
            if (posting.own === undefined && posting.capacity !== capacity && arena.reservedEntries === end) reused++;
            expected.slots.push(slot);
            expected.frequencies.push(frequency);
          }
        } else if (o.kind === 'read') {
          // as a stored posting is decoded: a region of exactly its size, filled in place
          const posting = new Posting(`t${made++}`);
          const end = arena.reservedEntries;
          arena.reserve(posting, o.count);
          if (inArena(o.count) && arena.reservedEntries === end) reused++;
          const slots = Array.from({ length: o.count }, (_, i) => i * 2);
          const frequencies = slots.map((slot) => Math.fround(0.5 + slot / 8));
          arena.slotsOf(posting).set(slots, posting.start);
          arena.frequenciesOf(posting).set(frequencies, posting.start);
          posting.length = o.count;
          posting.live = o.count;
          postings.push(posting);
          model.set(posting, { slots, frequencies });
        } else if (o.kind === 'release') {
          if (postings.length === 0) continue;
          const at = o.posting % postings.length;
          const posting = postings[at];
          arena.release(posting);
          postings.splice(at, 1);
          model.delete(posting);
        } else {
          const size = arena.slots.length;
          const free = arena.garbageEntries;
          arena.shrinkIfWorth();
          if (arena.garbageEntries === 0 && free > 0) {
            compacted++;
            assert.ok(arena.slots.length <= size || arena.slots.length <= 1024);
          }
        }
        check();
      }
    }),
    fuzzParams(200),
  );
  // the cases reached what they are for: regions used again, and compaction
  assert.ok(reused > 0, 'no freed region was used again');
  assert.ok(compacted > 0, 'no case compacted the arena');
  assert.ok(large > 0, 'no posting was large');
});
