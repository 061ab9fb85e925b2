"""Hard negatives mined with BM25: for each training pair, the code of other pairs that words alone
rank highest for its query.

The engine ranks by BM25 and by the model's vectors together; what the vectors can add is telling
apart the functions that share a query's words. A document that BM25 ranks near the top for a query
but that is not the query's function is such a case, so training shows it to the query as an extra
negative (``TrainConfig.hard_negatives``).

Queries are the doc's first sentence, documents the code without its doc comment (the ids that
training reads). Terms in more than ``max_df`` of the documents are left out of the query: they
barely move BM25 and they make the score lists long. A neighbour whose first sentence is the query's
own (the same doc on another function, in another language) is dropped: it is likely an answer too.
"""
from __future__ import annotations

import multiprocessing as mp
import time

import numpy as np

from .dataset import EncodedSet, Ragged

K1, B = 1.2, 0.75

# set before the workers fork, read by them (fork shares the arrays without copying)
_STATE: dict = {}


def _index(code: Ragged, num_ids: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Term postings of the documents: (offsets per term, doc ids, BM25 weights, document frequency)."""
    n = len(code)
    lengths = np.diff(code.offsets)
    docs = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keys, tf = np.unique(docs * num_ids + code.flat.astype(np.int64), return_counts=True)
    doc, term = keys // num_ids, keys % num_ids
    keep = term != 0
    doc, term, tf = doc[keep], term[keep], tf[keep].astype(np.float64)
    df = np.bincount(term, minlength=num_ids)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    dl = lengths[doc].astype(np.float64)
    avgdl = max(1.0, float(lengths.mean()))
    weight = idf[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))
    order = np.argsort(term, kind="stable")
    offsets = np.zeros(num_ids + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(term, minlength=num_ids))
    return offsets, doc[order].astype(np.int32), weight[order].astype(np.float32), df


def _neighbours_of(rows: range) -> np.ndarray:
    s = _STATE
    offsets, post_doc, post_w, df = s["offsets"], s["doc"], s["weight"], s["df"]
    queries: Ragged = s["queries"]
    depth, cap = s["depth"], s["cap"]
    out = np.full((len(rows), depth), -1, dtype=np.int32)
    for r, i in enumerate(rows):
        terms = np.unique(queries.get(i))
        terms = terms[(terms != 0) & (df[terms] > 0) & (df[terms] <= cap)]
        if len(terms) == 0:
            continue
        spans = [(offsets[t], offsets[t + 1]) for t in terms]
        cand = np.concatenate([post_doc[a:b] for a, b in spans])
        w = np.concatenate([post_w[a:b] for a, b in spans])
        uniq, inv = np.unique(cand, return_inverse=True)
        scores = np.bincount(inv, weights=w)
        own = queries.get(i)
        take = depth + 4
        while True:
            # the best `take`, best first; more when the pair itself and same-sentence pairs leave fewer than `depth`
            take = min(len(uniq), take)
            top = np.argpartition(-scores, take - 1)[:take] if take < len(uniq) else np.arange(len(uniq))
            top = top[np.argsort(-scores[top], kind="stable")]
            found = [int(j) for j in uniq[top] if j != i and not np.array_equal(queries.get(int(j)), own)][:depth]
            if len(found) == depth or take == len(uniq):
                break
            take *= 4
        out[r, :len(found)] = found
    return out


def bm25_neighbours(data: EncodedSet, num_ids: int, depth: int = 10, max_df: float = 0.02,
                    workers: int = 2, log=print) -> np.ndarray:
    """[n, depth] int32: for pair i, the pairs whose code BM25 ranks highest for i's first sentence,
    best first, i itself and same-sentence pairs left out; -1 where there are fewer."""
    t0 = time.time()
    n = len(data.code)
    offsets, doc, weight, df = _index(data.code, num_ids)
    _STATE.update(offsets=offsets, doc=doc, weight=weight, df=df, queries=data.queries["sentence"],
                  depth=depth, cap=max(1, int(max_df * n)))
    step = 4096
    chunks = [range(a, min(n, a + step)) for a in range(0, n, step)]
    try:
        if workers > 1:
            with mp.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_neighbours_of, chunks)
        else:
            parts = [_neighbours_of(c) for c in chunks]
    finally:
        _STATE.clear()
    out = np.concatenate(parts) if parts else np.zeros((0, depth), dtype=np.int32)
    found = (out >= 0).sum(axis=1)
    log(f"BM25 neighbours: {n} pairs, depth {depth}, {np.mean(found):.1f} found on average "
        f"({np.mean(found == 0) * 100:.1f} % none) in {time.time() - t0:.0f}s")
    return out
