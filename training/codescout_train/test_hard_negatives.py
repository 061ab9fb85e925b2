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
