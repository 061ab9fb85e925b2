"""Contrastive training of the bag-of-words model on (query, code) pairs:
in-batch softmax in both directions, with query augmentations."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from .dataset import EncodedSet
from .model import BagOfWords
from .tokenizer import IdentifierTokenizer

STOPWORDS = ("the a an of to in for on and or is are be by with from this that it its as at "
             "if into which will can given returns return get gets set sets".split())
LANGUAGE_WORDS = {"python": "python", "java": "java", "go": "golang", "rust": "rust", "php": "php",
                  "javascript": "javascript", "typescript": "typescript", "ruby": "ruby", "cpp": "cpp"}


@dataclass
class TrainConfig:
    epochs: int = 8
    batch_size: int = 1024
    dimension: int = 256
    temperature: float = 0.1
    lr: float = 2e-3
    warmup_steps: int = 200
    #: share of documents given with their doc comment (the rest: code only)
    p_full: float = 0.25
    p_language: float = 0.5
    p_how_to: float = 0.25
    p_stopword_drop: float = 0.5
    p_token_drop: float = 0.1
    query_mix: tuple[float, float, float] = (0.45, 0.3, 0.25)  # sentence, paragraph, name
    #: harder in-batch negatives: 0 draws each batch at random; g > 0 builds it from runs of g pairs that are
    #: neighbours in mining order (same file or package), so a batch holds functions of a few packages
    group_size: int = 0
    #: share of batches drawn from a single language (0: none)
    p_mono_language: float = 0.0
    #: width of the depthwise convolution that makes token weights depend on neighbours (0: none; odd)
    context_kernel: int = 0
    #: 1: pool embedding + convolution instead of the embedding (needs context_kernel)
    context_embedding: int = 0
    #: BM25 hard negatives: 1 adds, for each query of a batch, the code of a pair that words alone rank
    #: near the top for it (one of its first ``hard_negative_depth`` BM25 neighbours, drawn at random, unless
    #: it is in the batch already) to the documents of the query→code softmax, where every query of the
    #: batch has it as a negative; 0: in-batch negatives only
    hard_negatives: int = 0
    #: how many of a query's BM25 nearest pairs the hard negative is drawn from (best first)
    hard_negative_depth: int = 10
    seed: int = 13


class Augmenter:
    def __init__(self, data: EncodedSet, tok: IdentifierTokenizer, cfg: TrainConfig, rng: np.random.Generator):
        self.data, self.cfg, self.rng = data, cfg, rng
        self.stop_ids = np.array(sorted({tok.piece_id(w) for w in STOPWORDS if len(w) >= 2}), dtype=np.int32)
        self.lang_ids = [tok.encode(LANGUAGE_WORDS.get(l, "")) for l in data.langs]
        self.how_to = tok.encode("how to")
        self.variants = [data.queries["sentence"], data.queries["paragraph"], data.queries["name"]]

    def query(self, i: int) -> list[int]:
        cfg, rng = self.cfg, self.rng
        v = rng.choice(3, p=cfg.query_mix)
        ids = self.variants[v].get(i)
        if len(ids) == 0:
            ids = self.variants[0].get(i)
        if len(ids) > 1:
            drop = np.zeros(len(ids), dtype=bool)
            stop = np.isin(ids, self.stop_ids)
            drop |= stop & (rng.random(len(ids)) < cfg.p_stopword_drop)
            drop |= rng.random(len(ids)) < cfg.p_token_drop
            if drop.all():
                drop[rng.integers(len(ids))] = False
            ids = ids[~drop]
        out = ids.tolist()
        if rng.random() < cfg.p_how_to:
            out = self.how_to + out
        if rng.random() < cfg.p_language:
            out = self.lang_ids[self.data.lang_ids[i]] + out
        return out

    def document(self, i: int) -> np.ndarray:
        source = self.data.full if self.rng.random() < self.cfg.p_full else self.data.code
        return source.get(i)


def pad(rows: list, max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    length = max(1, max(len(r) for r in rows))
    if max_len is not None:
        length = min(length, max_len)
    ids = np.zeros((len(rows), length), dtype=np.int64)
    for r, row in enumerate(rows):
        row = row[:length]
        ids[r, :len(row)] = row
    ids_t = torch.from_numpy(ids)
    return ids_t, (ids_t != 0).long()


def epoch_batches(n: int, lang_ids: np.ndarray, cfg: TrainConfig, rng: np.random.Generator) -> list[np.ndarray]:
    """The batches of one epoch: every pair once, in batches of cfg.batch_size (a last partial batch dropped)."""
    size = cfg.batch_size
    if cfg.group_size <= 0 and cfg.p_mono_language <= 0:
        order = rng.permutation(n)
        return [order[b * size:(b + 1) * size] for b in range(max(1, n // size))]
    if cfg.group_size > 0:
        # runs of neighbours in mining order, with a random phase so runs differ between epochs
        phase = int(rng.integers(cfg.group_size))
        starts = np.arange(-phase, n, cfg.group_size)
        runs = [np.arange(max(0, s), min(n, s + cfg.group_size)) for s in starts]
        runs = [runs[i] for i in rng.permutation(len(runs))]
    else:
        runs = [np.array([i]) for i in rng.permutation(n)]
    batches: list[np.ndarray] = []
    if cfg.p_mono_language > 0:
        mono = rng.random(len(runs)) < cfg.p_mono_language
        by_lang: dict[int, list[np.ndarray]] = {}
        for run, m in zip(runs, mono):
            if m:
                by_lang.setdefault(int(lang_ids[run[0]]), []).append(run)
        for lang in sorted(by_lang):
            flat = np.concatenate(by_lang[lang])
            batches += [flat[b * size:(b + 1) * size] for b in range(len(flat) // size)]
        runs = [run for run, m in zip(runs, mono) if not m]
    if runs:
        flat = np.concatenate(runs)
        batches += [flat[b * size:(b + 1) * size] for b in range(len(flat) // size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def train(data: EncodedSet, tok: IdentifierTokenizer, cfg: TrainConfig, log=print,
          device: str = "cpu", neighbours: np.ndarray | None = None) -> BagOfWords:
    """Trains on ``device`` (the shipped model: "cpu"; a GPU gives different floating-point sums, so not
    the same bytes) and returns the model on the CPU. ``neighbours`` (``hard_negatives.bm25_neighbours``)
    is computed here when hard negatives are on and none is given."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    if cfg.hard_negatives > 0 and neighbours is None:
        from .hard_negatives import bm25_neighbours
        neighbours = bm25_neighbours(data, tok.size, cfg.hard_negative_depth, log=log)
    if cfg.hard_negatives > 0:
        neighbours = neighbours[:, :cfg.hard_negative_depth]
        found = (neighbours >= 0).sum(axis=1)
    model = BagOfWords(tok.size, cfg.dimension, cfg.context_kernel, bool(cfg.context_embedding)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    n = len(data.code)
    steps_per_epoch = max(1, n // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / cfg.warmup_steps)
                                              * 0.5 * (1 + math.cos(math.pi * min(1.0, s / total))))
    aug = Augmenter(data, tok, cfg, rng)
    step = 0
    for epoch in range(cfg.epochs):
        t0, loss_sum = time.time(), 0.0
        batches = epoch_batches(n, data.lang_ids, cfg, rng)
        for idx in batches:
            q_ids, q_mask = pad([aug.query(i) for i in idx])
            docs = [aug.document(i) for i in idx]
            if cfg.hard_negatives > 0:
                with_any = idx[found[idx] > 0]
                picks = neighbours[with_any, (rng.random(len(with_any)) * found[with_any]).astype(np.int64)]
                # a pick that is in the batch is some query's own code: as an extra column it would be that query's negative
                picks = picks[~np.isin(picks, idx)]
                docs += [aug.document(int(j)) for j in picks]
            d_ids, d_mask = pad(docs)
            q = model(q_ids.to(device), q_mask.to(device))
            d = model(d_ids.to(device), d_mask.to(device))
            logits = q @ d.T / cfg.temperature
            target = torch.arange(len(idx), device=device)
            # query→code over every document (the batch's own and the hard negatives); code→query over the batch's
            loss = (torch.nn.functional.cross_entropy(logits, target)
                    + torch.nn.functional.cross_entropy(logits[:, :len(idx)].T, target)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item()
            step += 1
        log(f"epoch {epoch + 1}/{cfg.epochs}: loss {loss_sum / len(batches):.4f} ({time.time() - t0:.0f}s)")
    return model.cpu()
