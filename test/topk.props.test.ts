/**
 * TopK against a full sort, on arbitrary scores with many ties: the k best with ties broken by id,
 * and with keepTies every pair tied with the k-th, whatever order the pairs come in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TopK, type ScoredId } from '../src/engine/index/topk';
import { fuzzParams } from './helpers/fuzz';

/** Distinct ids with scores from a small set, so that ties are common. */
const pairs = fc
  .uniqueArray(fc.record({ id: fc.nat(500), score: fc.integer({ min: 0, max: 6 }).map((n) => n / 2) }).map(({ id, score }) => ({ id, score })), { selector: (p) => p.id, maxLength: 60 })
  .chain((list) => fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }));

const byScoreThenId = (a: ScoredId, b: ScoredId) => b.score - a.score || a.id - b.id;

test('TopK keeps the k best, ties by ascending id, best first', () => {
  fc.assert(
    fc.property(pairs, fc.integer({ min: 0, max: 70 }), (list, k) => {
      const top = new TopK(k);
      for (const p of list) top.push(p.id, p.score);
      assert.deepEqual(top.sorted(), [...list].sort(byScoreThenId).slice(0, k));
    }),
    fuzzParams(300),
  );
});

test('TopK with keepTies keeps every pair tied with the k-th best, so the set does not depend on ids or order', () => {
  fc.assert(
    fc.property(pairs, fc.integer({ min: 1, max: 70 }), (list, k) => {
      const top = new TopK(k, true);
      for (const p of list) top.push(p.id, p.score);
      const all = [...list].sort(byScoreThenId);
      const cut = all.length > k ? all[k - 1].score : -Infinity;
      assert.deepEqual(top.sorted(), all.filter((p) => p.score >= cut));
    }),
    fuzzParams(300),
  );
});
