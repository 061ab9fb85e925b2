"""CoSQA dev evaluation (../shared/eval/cosqa): the model alone, BM25 alone, and
two fusions of the two (score interpolation and reciprocal-rank fusion)."""
from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np

from .export import QuantizedBagOfWords
from .tokenizer import IdentifierTokenizer, pieces


def load_cosqa(eval_dir: str) -> tuple[list[str], list[str], np.ndarray]:
    with open(f"{eval_dir}/corpus.json", encoding="utf-8") as f:
        corpus = json.load(f)
    with open(f"{eval_dir}/queries-dev.json", encoding="utf-8") as f:
        queries = json.load(f)
    codes = [""] * len(corpus)
    for code, idx in corpus.items():
        codes[idx] = code
    return codes, [q["doc"] for q in queries], np.array([q["retrieval_idx"] for q in queries])


def bm25_scores(docs: list[str], queries: list[str], k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    doc_terms = [Counter(pieces(d)) for d in docs]
    lengths = np.array([sum(c.values()) for c in doc_terms], dtype=np.float64)
    avg = lengths.mean()
    df = Counter(t for c in doc_terms for t in c)
    n = len(docs)
    postings: dict[str, list[tuple[int, int]]] = {}
    for i, c in enumerate(doc_terms):
        for t, tf in c.items():
            postings.setdefault(t, []).append((i, tf))
    out = np.zeros((len(queries), n))
    for qi, q in enumerate(queries):
        for t in set(pieces(q)):
            if t not in df:
                continue
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            for i, tf in postings[t]:
                out[qi, i] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[i] / avg))
    return out


def embed_texts(model: QuantizedBagOfWords, tok: IdentifierTokenizer, texts: list[str], max_tokens: int,
                batch: int = 256) -> np.ndarray:
    out = []
    for s in range(0, len(texts), batch):
        rows = [tok.encode(t, max_tokens) for t in texts[s:s + batch]]
        length = max(1, max(len(r) for r in rows))
        ids = np.zeros((len(rows), length), dtype=np.int64)
        for r, row in enumerate(rows):
            ids[r, :len(row)] = row
        out.append(model.embed(ids, (ids != 0).astype(np.int64)))
    return np.concatenate(out)


def rank_metrics(scores: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    gold_scores = scores[np.arange(len(gold)), gold]
    # ties count against the gold function (a query that matches nothing ranks it last)
    ranks = (scores >= gold_scores[:, None]).sum(axis=1)
    return {"mrr": float(np.mean(1.0 / ranks)), "r@1": float(np.mean(ranks <= 1)),
            "r@10": float(np.mean(ranks <= 10))}


def _minmax(s: np.ndarray) -> np.ndarray:
    lo, hi = s.min(axis=1, keepdims=True), s.max(axis=1, keepdims=True)
    return (s - lo) / np.maximum(hi - lo, 1e-9)


def _rrf(s: np.ndarray, k: float = 60.0) -> np.ndarray:
    ranks = np.empty_like(s)
    order = np.argsort(-s, axis=1)
    rows = np.arange(s.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, s.shape[1] + 1)
    return 1.0 / (k + ranks)


def evaluate(model: QuantizedBagOfWords, tok: IdentifierTokenizer, eval_dir: str, max_tokens: int,
             bm25: np.ndarray | None = None) -> dict:
    codes, queries, gold = load_cosqa(eval_dir)
    docs = embed_texts(model, tok, codes, max_tokens)
    qs = embed_texts(model, tok, queries, max_tokens)
    dense = qs @ docs.T
    if bm25 is None:
        bm25 = bm25_scores(codes, queries)
    result = {"model": rank_metrics(dense, gold), "bm25": rank_metrics(bm25, gold)}
    for w in (0.4, 0.5, 0.6, 0.7):
        result[f"interp_{w}"] = rank_metrics(w * _minmax(dense) + (1 - w) * _minmax(bm25), gold)
    result["rrf_60"] = rank_metrics(_rrf(dense) + _rrf(bm25), gold)
    return result
