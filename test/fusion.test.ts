import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuseRankings } from '../src/engine/search/fusion';

test('scores are interpolated after normalising each side; both sides count most', () => {
  const lexical = [
    { id: 1, score: 10 },
    { id: 2, score: 5 },
  ];
  const vector = [
    { id: 2, score: 0.9 },
    { id: 3, score: 0.7 },
    { id: 4, score: 0.5 },
  ];
  const fused = fuseRankings(lexical, vector, 0.6, 10);
  // id 2: 0.6 * 5/10 + 0.4 * (0.9-0.5)/0.4 = 0.3 + 0.4 = 0.7
  // id 1: 0.6 * 1 = 0.6;  id 3: 0.4 * 0.5 = 0.2;  id 4: 0.4 * 0 = 0
  assert.deepEqual(
    fused.map((h) => [h.id, Number(h.score.toFixed(6)), h.matchedBy]),
    [
      [2, 0.7, 'both'],
      [1, 0.6, 'lexical'],
      [3, 0.2, 'vector'],
      [4, 0, 'vector'],
    ],
  );
  assert.equal(fused[0].lexicalScore, 5);
  assert.equal(fused[0].vectorScore, 0.9);
});

test('lexical-only: weight 1 keeps the BM25 order, normalised to the best; zero scores are dropped', () => {
  const fused = fuseRankings(
    [
      { id: 7, score: 2 },
      { id: 8, score: 4 },
      { id: 9, score: 0 },
    ],
    [],
    1,
    10,
  );
  assert.deepEqual(fused.map((h) => [h.id, h.score]), [
    [8, 1],
    [7, 0.5],
  ]);
});

test('ties break by id and the list is cut at top', () => {
  const fused = fuseRankings([], [3, 1, 2].map((id) => ({ id, score: 0.5 })), 0.6, 2);
  assert.deepEqual(fused.map((h) => h.id), [1, 2]);
});

test('the vector floor at a fixed rank: a deeper list orders its top as a shallow one does', () => {
  const lexical = [
    { id: 1, score: 10 },
    { id: 2, score: 6 },
  ];
  const vector = [0.9, 0.8, 0.7, 0.6, 0.5, 0.1].map((score, i) => ({ id: 10 + i, score }));
  vector.push({ id: 2, score: 0.85 });
  const shallow = fuseRankings(lexical, vector.filter((h) => h.score >= 0.6), 0.5, 3, 4);
  const deep = fuseRankings(lexical, vector, 0.5, 3, 4);
  assert.deepEqual(deep, shallow);
  // the 4th best cosine (0.9, 0.85, 0.8, 0.7) is the floor; id 2: 0.5 × 6/10 + 0.5 × (0.85 − 0.7) / (0.9 − 0.7) = 0.675
  assert.equal(deep[0].id, 2);
  assert.equal(Number(deep[0].score.toFixed(6)), 0.675);
  const all = fuseRankings(lexical, vector, 0.5, 10, 4);
  assert.equal(all.find((h) => h.id === 14)!.score, 0);
  // without a floor rank, the last candidate is the floor (the earlier behaviour): the deep list differs
  assert.notDeepEqual(fuseRankings(lexical, vector, 0.5, 3), fuseRankings(lexical, vector.filter((h) => h.score >= 0.6), 0.5, 3));
});
