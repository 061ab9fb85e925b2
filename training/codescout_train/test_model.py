"""The exported arithmetic (``QuantizedBagOfWords.embed``, which ``verify-onnx.mjs`` holds the ONNX graph to)
computes what ``BagOfWords.forward`` trains, with and without the context stage.

    /usr/bin/python3 -m unittest codescout_train.test_model
"""
from __future__ import annotations

import unittest

import numpy as np
import torch

from .export import QuantizedBagOfWords
from .model import BagOfWords


def _batch(rng: np.random.Generator, num_ids: int) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = [1, 2, 7, 19, 0]   # the last row is only padding
    ids = np.zeros((len(lengths), max(lengths)), dtype=np.int64)
    for r, n in enumerate(lengths):
        ids[r, :n] = rng.integers(1, num_ids, size=n)
    t = torch.from_numpy(ids)
    return t, (t != 0).long()


class ExportMatchesTraining(unittest.TestCase):
    def check(self, **kwargs) -> None:
        torch.manual_seed(3)
        rng = np.random.default_rng(3)
        model = BagOfWords(50, 16, **kwargs)
        with torch.no_grad():
            model.weight.weight.normal_(std=1.0)
            model.weight.weight[0].zero_()
            if model.context_kernel:
                model.context.bias.normal_(std=0.1)
                model.context_weight.normal_(std=1.0)
        q = QuantizedBagOfWords.of(model)
        with torch.no_grad():  # train-side weights set to what the int8 table holds, so only the graph may differ
            model.embedding.weight.copy_(torch.from_numpy(q.table.astype(np.float32) * q.scale))
        ids, mask = _batch(rng, 50)
        with torch.no_grad():
            expected = model(ids, mask).numpy()
        got = q.embed(ids.numpy(), mask.numpy())
        np.testing.assert_allclose(got, expected, atol=2e-5)
        self.assertTrue(np.all(got[-1] == 0), "a row of only padding embeds to zeros")
        # a sequence's vector does not depend on how much padding follows it
        alone = q.embed(ids.numpy()[2:3, :7], mask.numpy()[2:3, :7])
        np.testing.assert_allclose(alone[0], got[2], atol=2e-6)

    def test_bag_of_words(self) -> None:
        self.check()

    def test_context_weights(self) -> None:
        self.check(context_kernel=3)

    def test_context_weights_and_embeddings(self) -> None:
        self.check(context_kernel=5, context_embedding=True)

    def test_context_changes_the_vector(self) -> None:
        """With the context stage, word order can matter (it could not in a bag of words)."""
        torch.manual_seed(5)
        model = BagOfWords(50, 16, context_kernel=3, context_embedding=True)
        with torch.no_grad():
            model.context_weight.normal_(std=1.0)
        q = QuantizedBagOfWords.of(model)
        a = q.embed(np.array([[4, 9, 17, 23]]), np.ones((1, 4), dtype=np.int64))
        b = q.embed(np.array([[23, 4, 17, 9]]), np.ones((1, 4), dtype=np.int64))
        self.assertGreater(np.abs(a - b).max(), 1e-4)

    def test_saved_arrays_give_the_same_model(self) -> None:
        import io
        torch.manual_seed(7)
        for kwargs in ({}, {"context_kernel": 3, "context_embedding": True}):
            q = QuantizedBagOfWords.of(BagOfWords(40, 8, **kwargs))
            buffer = io.BytesIO()
            np.savez_compressed(buffer, **q.arrays())
            buffer.seek(0)
            back = QuantizedBagOfWords.from_arrays(np.load(buffer))
            ids = np.array([[3, 9, 27, 0], [5, 0, 0, 0]])
            np.testing.assert_array_equal(back.embed(ids, (ids != 0).astype(np.int64)), q.embed(ids, (ids != 0).astype(np.int64)))
            self.assertEqual(back.context is None, not kwargs)

    def test_rejects_even_kernels(self) -> None:
        with self.assertRaises(ValueError):
            BagOfWords(10, 4, context_kernel=2)
        with self.assertRaises(ValueError):
            BagOfWords(10, 4, context_embedding=True)


if __name__ == "__main__":
    unittest.main()
