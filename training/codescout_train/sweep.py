"""Trains several configurations side by side on one prepared dataset and scores each on CoSQA dev:
the tool for training experiments on a machine with a GPU (the shipped model is trained on the CPU by
``pipeline.py``; a winner found here is reproduced there with the same settings).

    python3 -m codescout_train.sweep --work .work --eval-dir ../../shared/eval/cosqa \\
        --configs sweep.json --out sweep-out [--device cuda] [--jobs 8] [--keep 3]

``--work`` holds ``dataset.npz`` and ``tokenizer.json`` (the pipeline's stages 1–5). ``sweep.json`` is a
list of ``{"name": ..., <TrainConfig field>: value, ...}``. Each configuration's CoSQA dev metrics
(``evaluate.py``, on the int8 weights, as the pipeline measures) go to ``OUT/summary.json``, best hybrid
first; the ``--keep`` best are saved as ``OUT/NAME.npz``, which ``--export NAME.npz --model-out DIR`` turns
into an engine model folder.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
import os
import sys
import time

import numpy as np

from .dataset import EncodedSet
from .evaluate import bm25_scores, evaluate, load_cosqa
from .export import QuantizedBagOfWords, write_model_folder
from .tokenizer import IdentifierTokenizer
from .train import TrainConfig

#: the figure configurations are ranked by: the fusion the engine's ranking stage comes closest to
RANK_BY = "interp_0.5"


def _run_one(job: dict) -> dict:
    """One configuration's result; a configuration that fails answers its error instead of ending the sweep."""
    try:
        return _train_and_score(job)
    except Exception as err:  # noqa: BLE001 - reported in the summary
        return {"name": job["name"], "error": f"{type(err).__name__}: {err}"}


def _train_and_score(job: dict) -> dict:
    import torch
    from .train import train
    torch.set_num_threads(1)
    name, overrides = job["name"], job["overrides"]
    tok = IdentifierTokenizer.load(os.path.join(job["work"], "tokenizer.json"))
    data = EncodedSet.load(os.path.join(job["work"], "dataset.npz"))
    cfg = TrainConfig(**overrides)
    lines: list[str] = []
    t = time.time()
    model = train(data, tok, cfg, log=lambda m: lines.append(m), device=job["device"])
    seconds = time.time() - t
    q = QuantizedBagOfWords.of(model)
    metrics = evaluate(q, tok, job["eval_dir"], job["max_tokens"], bm25=np.load(job["bm25"]))
    np.savez_compressed(os.path.join(job["out"], f"{name}.npz"), **q.arrays())
    return {"name": name, "config": dataclasses.asdict(cfg), "seconds": round(seconds), "log": lines,
            "cosqa_dev": metrics}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=".work")
    ap.add_argument("--eval-dir", default="../../shared/eval/cosqa")
    ap.add_argument("--configs")
    ap.add_argument("--out", default="sweep-out")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", type=int, default=3, help="how many of the best configurations' weights to keep")
    ap.add_argument("--also-keep", default="", help="comma-separated names whose weights are kept too")
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--export", help="an OUT/NAME.npz to write as an engine model folder (with --model-out)")
    ap.add_argument("--model-out")
    args = ap.parse_args(argv)

    if args.export:
        if not args.model_out:
            ap.error("--export needs --model-out DIR")
        from .pipeline import DESCRIPTION, ENGINE_MAX_TOKENS, MODEL_ID
        tok = IdentifierTokenizer.load(os.path.join(args.work, "tokenizer.json"))
        q = QuantizedBagOfWords.from_arrays(np.load(args.export))
        write_model_folder(args.model_out, q, tok, model_id=MODEL_ID, description=DESCRIPTION,
                           max_tokens=ENGINE_MAX_TOKENS)
        print(f"wrote {args.model_out}")
        return 0

    if not os.path.isfile(os.path.join(args.eval_dir, "corpus.json")):
        print(f"sweep: no CoSQA dev set at {os.path.abspath(args.eval_dir)}", file=sys.stderr)
        return 2
    with open(args.configs) as f:
        configs = json.load(f)
    names = [c["name"] for c in configs]
    if len(set(names)) != len(names):
        print("sweep: configuration names must be unique", file=sys.stderr)
        return 2
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    for c in configs:
        unknown = set(c) - fields - {"name"}
        if unknown:
            print(f"sweep: {c['name']}: not TrainConfig fields: {sorted(unknown)}", file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)
    bm25_path = os.path.join(args.out, "bm25-cosqa.npy")
    t = time.time()
    codes, queries, _ = load_cosqa(args.eval_dir)
    np.save(bm25_path, bm25_scores(codes, queries))
    print(f"BM25 over CoSQA dev: {time.time() - t:.0f}s", flush=True)

    jobs = [{"name": c["name"], "overrides": {k: v for k, v in c.items() if k != "name"}, "work": args.work,
             "eval_dir": args.eval_dir, "device": args.device, "out": args.out, "bm25": bm25_path,
             "max_tokens": args.max_tokens} for c in configs]
    results, failed = [], []
    with mp.get_context("spawn").Pool(args.jobs) as pool:
        for r in pool.imap_unordered(_run_one, jobs):
            if "error" in r:
                print(f"{r['name']:>24}: failed: {r['error']}", flush=True)
                failed.append(r)
                continue
            m = r["cosqa_dev"]
            print(f"{r['name']:>24}: model {m['model']['mrr']:.3f}  {RANK_BY} {m[RANK_BY]['mrr']:.3f}  "
                  f"interp_0.4 {m['interp_0.4']['mrr']:.3f}  ({r['seconds']}s)", flush=True)
            results.append(r)
            with open(os.path.join(args.out, "summary.json"), "w") as f:   # so far, in case the run is cut short
                json.dump(results + failed, f, indent=1)
    results.sort(key=lambda r: -r["cosqa_dev"][RANK_BY]["mrr"])
    also = set(filter(None, args.also_keep.split(",")))
    for r in results[args.keep:]:
        if r["name"] in also:
            continue
        os.remove(os.path.join(args.out, f"{r['name']}.npz"))
    os.remove(bm25_path)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(results + failed, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
