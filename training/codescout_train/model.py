"""Neural bag of words: a shared token embedding, a learned scalar weight per
token, a softmax over the weights of a sequence's tokens (padding masked), the
weighted sum of embeddings, L2-normalised.

With ``context_kernel`` k > 0 a token's weight also depends on its neighbours:
a depthwise convolution of width k over the sequence's embeddings (padding
rows are zero vectors, so a sequence's ends see zeros), tanh, and a learned
projection to one number is added to the token's own weight. With
``context_embedding`` the pooled vector sums ``embedding + convolution`` instead
of the embedding alone. Both cost O(k·D) per token (the pooling costs O(D))."""
from __future__ import annotations

import torch
from torch import nn


class BagOfWords(nn.Module):
    def __init__(self, num_ids: int, dimension: int, context_kernel: int = 0, context_embedding: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(num_ids, dimension, padding_idx=0)
        self.weight = nn.Embedding(num_ids, 1, padding_idx=0)
        nn.init.normal_(self.embedding.weight, std=0.1)
        nn.init.zeros_(self.weight.weight)
        with torch.no_grad():
            self.embedding.weight[0].zero_()
        if context_kernel < 0 or (context_kernel and context_kernel % 2 == 0):
            raise ValueError(f"context_kernel must be 0 or odd, not {context_kernel}")
        if context_embedding and not context_kernel:
            raise ValueError("context_embedding needs context_kernel > 0")
        self.context_kernel = context_kernel
        self.context_embedding = context_embedding
        if context_kernel:
            # depthwise: one k-wide filter per dimension; starts as "no context" so training begins at the bag of words
            self.context = nn.Conv1d(dimension, dimension, context_kernel, padding=context_kernel // 2,
                                     groups=dimension, bias=True)
            nn.init.normal_(self.context.weight, std=0.1)
            nn.init.zeros_(self.context.bias)
            self.context_weight = nn.Parameter(torch.zeros(dimension))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids, mask: [B, T] int64 → [B, D] unit vectors (a row of only padding maps to zeros)."""
        valid = mask != 0
        scores = self.weight(ids).squeeze(-1)
        if not self.context_kernel:
            scores = scores.masked_fill(~valid, -1e4)
            attn = torch.softmax(scores, dim=1)
            # the weighted sum over the real tokens only, without materialising [B, T, D]
            lengths = valid.sum(dim=1)
            offsets = torch.cumsum(lengths, 0) - lengths
            pooled = nn.functional.embedding_bag(ids[valid], self.embedding.weight, offsets, mode="sum",
                                                 per_sample_weights=attn[valid])
            return nn.functional.normalize(pooled, dim=-1, eps=1e-6)
        emb = self.embedding(ids) * valid.unsqueeze(-1)                     # [B, T, D]
        ctx = self.context(emb.transpose(1, 2)).transpose(1, 2)            # [B, T, D]
        scores = scores + torch.tanh(ctx) @ self.context_weight
        scores = scores.masked_fill(~valid, -1e4)
        attn = torch.softmax(scores, dim=1) * valid
        vectors = emb + ctx if self.context_embedding else emb
        pooled = torch.einsum("bt,btd->bd", attn, vectors)
        return nn.functional.normalize(pooled, dim=-1, eps=1e-6)
