"""BM25 hard negatives (``hard_negatives.bm25_neighbours``) on a hand-made set, and one training step
with them on.

    /usr/bin/python3 -m unittest codescout_train.test_hard_negatives
"""
from __future__ import annotations

import unittest

import numpy as np

from .dataset import EncodedSet, Ragged
from .hard_negatives import bm25_neighbours


def _set(queries: list[list[int]], code: list[list[int]]) -> EncodedSet:
    q = Ragged.of(queries)
    return EncodedSet(["python"], np.zeros(len(code), dtype=np.int32),
                      {"sentence": q, "paragraph": q, "name": q}, Ragged.of(code), Ragged.of(code))


class Bm25Neighbours(unittest.TestCase):
    # ids: 1 = a word in every document (left out by max_df), 2..9 rarer words
    QUERIES = [[2, 3], [2, 3], [4], [5, 6], [7], [9]]
    CODE = [[1, 2, 3], [1, 2, 3, 3], [1, 2, 4], [1, 5], [1, 3, 6], [1, 8]]

    def test_ranks_by_shared_rare_words_and_leaves_out_self_and_same_sentence(self) -> None:
        data = _set(self.QUERIES, self.CODE)
        out = bm25_neighbours(data, 10, depth=3, max_df=0.9, workers=1, log=lambda m: None)
        self.assertEqual(out.shape, (6, 3))
        # pair 0's query [2, 3]: pair 1 has the same sentence (left out); 2 holds word 2, 4 holds word 3
        self.assertEqual(sorted(out[0][out[0] >= 0].tolist()), [2, 4])
        self.assertNotIn(0, out[0].tolist())
        self.assertNotIn(1, out[0].tolist())
        # pair 2's query [4]: only its own code holds word 4, so no neighbour
        self.assertEqual(out[2].tolist(), [-1, -1, -1])
        # pair 3's query [5, 6]: pair 4 holds word 6
        self.assertEqual(out[3].tolist(), [4, -1, -1])
        # a query word in no document finds nothing
        self.assertEqual(out[5].tolist(), [-1, -1, -1])

    def test_order_is_bm25_computed_directly(self) -> None:
        rng = np.random.default_rng(7)
        n, num_ids = 120, 30
        queries = [sorted(set(rng.integers(2, num_ids, size=rng.integers(1, 5)).tolist())) for _ in range(n)]
        code = [rng.integers(1, num_ids, size=rng.integers(1, 25)).tolist() for _ in range(n)]
        data = _set(queries, code)
        out = bm25_neighbours(data, num_ids, depth=5, max_df=1.0, workers=1, log=lambda m: None)
        # BM25 written out term by term (k1 1.2, b 0.75)
        df = np.zeros(num_ids)
        for c in code:
            for t in set(c):
                df[t] += 1
        avgdl = np.mean([len(c) for c in code])
        def score(q: list[int], c: list[int]) -> float:
            total = 0.0
            for t in set(q):
                tf = c.count(t)
                if tf == 0 or t == 0:
                    continue
                idf = np.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                total += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(c) / avgdl))
            return total
        for i in range(n):
            expected = sorted(((score(queries[i], code[j]), j) for j in range(n)
                               if j != i and queries[j] != queries[i] and score(queries[i], code[j]) > 0),
                              key=lambda x: -x[0])
            got = [j for j in out[i].tolist() if j >= 0]
            self.assertEqual(len(got), min(5, len(expected)), i)
            got_scores = [score(queries[i], code[j]) for j in got]
            # best first, and as good as the best that exist (ties may come in any order)
            self.assertEqual(got_scores, sorted(got_scores, reverse=True), i)
            np.testing.assert_allclose(got_scores, [s for s, _ in expected[:len(got)]], rtol=1e-5)

    def test_many_pairs_of_the_same_sentence_do_not_hide_the_other_neighbours(self) -> None:
        # 20 pairs share pair 0's sentence (and its code's words); pair 21 shares one of its words
        queries = [[2, 3]] * 21 + [[9]]
        code = [[2, 3, 3]] * 21 + [[2, 9]]
        out = bm25_neighbours(_set(queries, code), 12, depth=3, max_df=1.0, workers=1, log=lambda m: None)
        self.assertEqual(out[0].tolist(), [21, -1, -1])

    def test_two_workers_agree_with_one(self) -> None:
        rng = np.random.default_rng(5)
        queries = [rng.integers(2, 40, size=rng.integers(1, 6)).tolist() for _ in range(300)]
        code = [rng.integers(1, 40, size=rng.integers(1, 30)).tolist() for _ in range(300)]
        data = _set(queries, code)
        one = bm25_neighbours(data, 40, depth=5, max_df=0.5, workers=1, log=lambda m: None)
        two = bm25_neighbours(data, 40, depth=5, max_df=0.5, workers=2, log=lambda m: None)
        np.testing.assert_array_equal(one, two)
        for i, row in enumerate(one):
            self.assertNotIn(i, row.tolist())


class TrainingWithHardNegatives(unittest.TestCase):
    def test_two_epochs_run_with_finite_loss(self) -> None:
        from .tokenizer import IdentifierTokenizer
        from .train import TrainConfig, train
        texts = [f"parse value{i} from text{i} and store item{i}" for i in range(64)]
        tok = IdentifierTokenizer.build(texts + texts, 500, 16, 1)
        data = _set([tok.encode(t, 48) for t in texts], [tok.encode(t + " code", 256) for t in texts])
        cfg = TrainConfig(epochs=2, batch_size=32, warmup_steps=1, hard_negatives=1, hard_negative_depth=4)
        losses: list[str] = []
        train(data, tok, cfg, log=losses.append)
        self.assertTrue(any(m.startswith("BM25 neighbours") for m in losses), losses)
        epochs = [float(m.split("loss ")[1].split(" ")[0]) for m in losses if m.startswith("epoch")]
        self.assertEqual(len(epochs), 2)
        self.assertTrue(all(np.isfinite(epochs)), epochs)


if __name__ == "__main__":
    unittest.main()
