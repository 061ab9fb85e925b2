import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ndcgAt10 } from '../bench/eval-semble';

// NDCG@10 as semble-dev's README and the benchmark's code define it, on lists small enough to work out by hand.
const hit = (path: string, startLine = 1, endLine = 10) => ({ path, startLine, endLine });
const all = () => true;
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

test('binary gains at the ranks that cover targets, ideal from the targets whose file is indexed', () => {
  // targets a.py (found at rank 1), b.py (rank 3), c.py (not found): DCG = 1 + 1/log2(4) = 1.5;
  // ideal = 1 + 1/log2(3) + 1/log2(4)
  const hits = [hit('a.py'), hit('x.py'), hit('b.py')];
  close(ndcgAt10(hits, ['a.py', 'b.py', 'c.py'], all), 1.5 / (1 + 1 / Math.log2(3) + 0.5));
  // c.py not in the index: n = 2
  close(ndcgAt10(hits, ['a.py', 'b.py', 'c.py'], (p) => p !== 'c.py'), 1.5 / (1 + 1 / Math.log2(3)));
  // nothing indexed: 0
  assert.equal(ndcgAt10(hits, ['c.py'], () => false), 0);
});

test('a target with a line span is found only by a result whose lines overlap it; each target counts once', () => {
  const span = { path: 'a.py', start_line: 20, end_line: 30 };
  close(ndcgAt10([hit('a.py', 1, 19), hit('a.py', 30, 40)], [span], all), 1 / Math.log2(3));
  assert.equal(ndcgAt10([hit('a.py', 1, 19), hit('a.py', 31, 40)], [span], all), 0);
  // listed twice (relevant and secondary): one target
  close(ndcgAt10([hit('x.py'), hit('a.py')], ['a.py', 'a.py'], all), 1 / Math.log2(3));
  // only the top 10 count
  const eleven = [...Array.from({ length: 10 }, (_, i) => hit(`x${i}.py`)), hit('a.py')];
  assert.equal(ndcgAt10(eleven, ['a.py'], all), 0);
});

test('one result covering two targets is one gain at its rank: the score never exceeds 1', () => {
  // a whole-file target and a span in the same file, both covered by the result at rank 1 only:
  // relevances [1, 0, …] → DCG = 1; ideal for n = 2 is 1 + 1/log2(3)
  const targets = ['a.py', { path: 'a.py', start_line: 5, end_line: 8 }];
  close(ndcgAt10([hit('a.py', 1, 10), hit('x.py')], targets, all), 1 / (1 + 1 / Math.log2(3)));
  // both covered, at ranks 1 and 2: perfect
  close(ndcgAt10([hit('a.py', 20, 30), hit('a.py', 1, 10)], targets, all), 1);
});
