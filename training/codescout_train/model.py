"""Neural bag of words: a shared token embedding, a learned scalar weight per
token, a softmax over the weights of a sequence's tokens (padding masked), the
weighted sum of embeddings, L2-normalised."""
from __future__ import annotations

import torch
from torch import nn


class BagOfWords(nn.Module):
    def __init__(self, num_ids: int, dimension: int):
        super().__init__()
        self.embedding = nn.Embedding(num_ids, dimension, padding_idx=0)
        self.weight = nn.Embedding(num_ids, 1, padding_idx=0)
        nn.init.normal_(self.embedding.weight, std=0.1)
        nn.init.zeros_(self.weight.weight)
        with torch.no_grad():
            self.embedding.weight[0].zero_()

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids, mask: [B, T] int64 → [B, D] unit vectors (a row of only padding maps to zeros)."""
        valid = mask != 0
        scores = self.weight(ids).squeeze(-1).masked_fill(~valid, -1e4)
        attn = torch.softmax(scores, dim=1)
        # the weighted sum over the real tokens only, without materialising [B, T, D]
        lengths = valid.sum(dim=1)
        offsets = torch.cumsum(lengths, 0) - lengths
        pooled = nn.functional.embedding_bag(ids[valid], self.embedding.weight, offsets, mode="sum",
                                             per_sample_weights=attn[valid])
        return nn.functional.normalize(pooled, dim=-1, eps=1e-6)
