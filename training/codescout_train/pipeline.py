"""End-to-end pipeline: mine → clean → tokenise → train → export → evaluate.

    /usr/bin/python3 -m codescout_train.pipeline --work .work --out ../models/codescout-code-v1 [--smoke]

Each stage writes under --work and is skipped when its output exists (--fresh redoes all).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

import numpy as np
import torch

from . import mine
from .dataset import EncodedSet, build_tokenizer, encode_pairs, load_clean_pairs
from .evaluate import evaluate
from .exclusions import Matcher
from .export import QuantizedBagOfWords, write_model_folder
from .tokenizer import IdentifierTokenizer
from .train import TrainConfig, train
from .hard_negatives import bm25_neighbours

MODEL_ID = "codescout-code-v1"
DESCRIPTION = ("Code Scout's own code-search embedding: a neural bag of identifier-split words trained on "
               "(doc comment, code) pairs from open-source code that Debian packages ship.")
ENGINE_MAX_TOKENS = 512
#: files read per language (spread evenly over the sorted file list): bounds the mining time
MAX_FILES = {"python": None, "go": 15000, "rust": 12000, "java": 15000, "php": 15000, "javascript": 15000,
             "typescript": 15000, "ruby": 12000, "c": 12000, "cpp": 12000}
SMOKE_FILES = 150


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def stage_mine(work: str, smoke: bool, workers: int) -> None:
    """Mines every language's pairs into WORK/pairs/, leaving out the excluded projects (exclusions.py);
    a full run mines their files into WORK/pairs-excluded/ to count what the exclusion drops
    (WORK/exclusions-report.json)."""
    out_dir, excluded_dir = os.path.join(work, "pairs"), os.path.join(work, "pairs-excluded")
    os.makedirs(out_dir, exist_ok=True)
    os.makedirs(excluded_dir, exist_ok=True)
    report_path = os.path.join(work, "exclusions-mined.json")
    report = {}
    if os.path.exists(report_path):
        with open(report_path) as f:
            report = json.load(f)
    matcher = None
    for lang in mine.ALL_LANGUAGES:
        path = os.path.join(out_dir, f"{lang}.jsonl")
        if os.path.exists(path):
            continue
        matcher = matcher or Matcher.for_machine()
        t = time.time()
        n, files, pairs = mine.mine_language(
            lang, work, path, max_files=SMOKE_FILES if smoke else MAX_FILES[lang], workers=workers, smoke=smoke,
            matcher=matcher, excluded_path=None if smoke else os.path.join(excluded_dir, f"{lang}.jsonl"))
        report[lang] = {"excluded_files": files, "excluded_pairs": pairs}
        with open(report_path, "w") as f:
            json.dump(report, f, indent=2, sort_keys=True)
        log(f"mined {lang}: {n} pairs; excluded {sum(files.values())} files"
            + (f" holding {sum(pairs.values())} pairs" if not smoke else "") + f" ({time.time() - t:.0f}s)")


def stage_dataset(work: str, corpus: str, vocab_size: int, hash_buckets: int, min_piece_length: int) -> None:
    data_path = os.path.join(work, "dataset.npz")
    if os.path.exists(data_path):
        return
    pairs, report = load_clean_pairs(os.path.join(work, "pairs"), corpus, Matcher.for_machine())
    log(f"clean pairs: {report.to_json()}")
    with open(os.path.join(work, "clean-report.json"), "w") as f:
        json.dump(report.to_json(), f, indent=2)
    tok = build_tokenizer(pairs, vocab_size, hash_buckets, min_piece_length)
    tok.save(os.path.join(work, "tokenizer.json"))
    encode_pairs(pairs, tok).save(data_path)
    log(f"dataset: {len(pairs)} pairs, {len(tok.vocab)} vocabulary pieces + {hash_buckets} hash buckets")


def write_onnx_check(q: QuantizedBagOfWords, tok: IdentifierTokenizer, path: str) -> None:
    """Inputs and expected outputs for verify-onnx.mjs (padding, and a row of only padding, included)."""
    texts = ["read a file line by line", "def parse_json(text):\n    return json.loads(text)",
             "HTTPServer listenAndServe", ""]
    rows = [tok.encode(t, ENGINE_MAX_TOKENS) for t in texts]
    ids = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = r
    mask = (ids != 0).astype(np.int64)
    with open(path, "w") as f:
        json.dump({"ids": ids.tolist(), "mask": mask.tolist(), "expected": q.embed(ids, mask).tolist()}, f)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=".work")
    ap.add_argument("--out", default="../models/codescout-code-v1")
    ap.add_argument("--eval-dir", default="../../shared/eval/cosqa")
    ap.add_argument("--smoke", action="store_true", help="a few hundred files per language, 1 epoch")
    ap.add_argument("--fresh", action="store_true", help="redo every stage")
    ap.add_argument("--metrics", default=None, help="where to write the metrics (default: WORK/metrics.json)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--vocab-size", type=int, default=30000)
    ap.add_argument("--hash-buckets", type=int, default=2048)
    ap.add_argument("--min-piece-length", type=int, default=1, help="shorter pieces are dropped")
    for f in dataclasses.fields(TrainConfig):
        if f.type in ("int", "float"):
            ap.add_argument("--" + f.name.replace("_", "-"), type=int if f.type == "int" else float, default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if args.fresh and os.path.isdir(args.work):
        import shutil
        shutil.rmtree(args.work)
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.eval_dir, "corpus.json")
    if not os.path.isfile(corpus):
        print(f"training: no evaluation data at {os.path.abspath(args.eval_dir)}: it is needed to keep the CoSQA "
              "functions out of the training data and to evaluate, and it is part of the development workspace "
              "(../shared/eval/cosqa), not of the project", file=sys.stderr)
        return 2

    stage_mine(args.work, args.smoke, args.workers)
    stage_dataset(args.work, corpus, args.vocab_size, args.hash_buckets, args.min_piece_length)

    tok = IdentifierTokenizer.load(os.path.join(args.work, "tokenizer.json"))
    data = EncodedSet.load(os.path.join(args.work, "dataset.npz"))
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
                 if getattr(args, f.name, None) is not None}
    if args.smoke:
        overrides.setdefault("epochs", 1)
        overrides.setdefault("batch_size", 256)
        overrides.setdefault("warmup_steps", 10)
    cfg = TrainConfig(**overrides)
    log(f"training on {len(data.code)} pairs: {dataclasses.asdict(cfg)}")
    t = time.time()
    neighbours = None
    if cfg.hard_negatives > 0:
        # the BM25 neighbours depend only on the dataset: kept beside it, so reruns skip the few minutes they take
        path = os.path.join(args.work, f"bm25-neighbours-{cfg.hard_negative_depth}.npy")
        if os.path.isfile(path) and os.path.getmtime(path) >= os.path.getmtime(os.path.join(args.work, "dataset.npz")):
            neighbours = np.load(path)
            if neighbours.shape != (len(data.code), cfg.hard_negative_depth):
                neighbours = None  # not this dataset's: computed again
        if neighbours is None:
            neighbours = bm25_neighbours(data, tok.size, cfg.hard_negative_depth, workers=args.workers, log=log)
            np.save(path, neighbours)
    model = train(data, tok, cfg, log=log, neighbours=neighbours)
    log(f"trained in {time.time() - t:.0f}s")

    q = QuantizedBagOfWords.of(model)
    write_model_folder(args.out, q, tok, model_id=MODEL_ID, description=DESCRIPTION, max_tokens=ENGINE_MAX_TOKENS)
    log(f"wrote {args.out} (model.onnx {os.path.getsize(os.path.join(args.out, 'model.onnx')) / 1e6:.1f} MB)")

    write_onnx_check(q, tok, os.path.join(args.work, "onnx-check.json"))

    metrics = evaluate(q, tok, args.eval_dir, ENGINE_MAX_TOKENS)
    result = {"config": dataclasses.asdict(cfg), "smoke": args.smoke, "cosqa_dev": metrics}
    with open(args.metrics or os.path.join(args.work, "metrics.json"), "w") as f:
        json.dump(result, f, indent=2)
    for name, m in metrics.items():
        log(f"CoSQA dev {name:>12}: MRR {m['mrr']:.3f}  R@1 {m['r@1']:.3f}  R@10 {m['r@10']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
