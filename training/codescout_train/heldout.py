"""Held-out docstring→code evaluation sets, in CoSQA's shape, from Debian packages training never saw.

For each language: the source files of a few Debian packages that are not in ``debian-packages.txt``
(and whose files no training run mined) go through the same chunker path (``mine-chunks.mjs``) and
doc filters (``mine.clean_chunk_pair``) as training. Pairs whose code or doc also occurs in the
training pairs are dropped, as are code duplicates and repeated docs; a fixed-seed sample is kept.
Writes ``training/heldout/<lang>/corpus.json`` ({code: id}) and ``queries.json``
([{doc, retrieval_idx}]), which ``bench/eval.ts --data training/heldout/<lang> --ext <ext>`` scores.

The query is the doc's first sentence (see ``query_of``); the corpus holds the code without its doc comment.

    /usr/bin/python3 -m codescout_train.heldout          # from training/, packages installed
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import subprocess
import tempfile

from .dataset import first_sentence, ws_norm
from .mine import CHUNKER_SOURCES, clean_chunk_pair

#: Debian packages per language: not in debian-packages.txt, not installed when training mined
HELDOUT_PACKAGES: dict[str, tuple[str, ...]] = {
    "go": ("golang-github-emirpasic-gods-dev", "golang-github-shopspring-decimal-dev",
           "golang-github-tidwall-gjson-dev", "golang-github-bits-and-blooms-bitset-dev",
           "golang-github-cenkalti-backoff-dev", "golang-github-robfig-cron-dev",
           "golang-github-patrickmn-go-cache-dev"),
    "rust": ("librust-semver-dev", "librust-walkdir-dev", "librust-toml-dev", "librust-bstr-dev",
             "librust-arrayvec-dev", "librust-lru-dev", "librust-bit-vec-dev", "librust-hex-dev"),
}

MAX_PAIRS = 400
SEED = 20261122


def query_of(doc: str) -> str:
    """The doc's first sentence, on one line."""
    return " ".join(first_sentence(doc).split())


def package_files(package: str, extensions: tuple[str, ...]) -> list[str]:
    """The installed source files of ``package`` (``dpkg -L``), resolved, sorted."""
    listing = subprocess.run(["dpkg", "-L", package], check=True, capture_output=True, text=True).stdout
    return sorted({os.path.realpath(p) for p in listing.splitlines()
                   if p.endswith(extensions) and os.path.isfile(p)})


def training_keys(pairs_dir: str) -> tuple[set[str], set[str], set[str]]:
    """Whitespace-normalised codes, lower-cased docs, and resolved file paths of every training pair."""
    codes: set[str] = set()
    docs: set[str] = set()
    files: set[str] = set()
    for path in glob.glob(os.path.join(pairs_dir, "*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                p = json.loads(line)
                codes.add(ws_norm(p["code"]))
                codes.add(ws_norm(p["full"]))
                docs.add(ws_norm(p["doc"]).lower())
        if os.path.exists(path + ".files"):
            with open(path + ".files", encoding="utf-8") as f:
                files.update(os.path.realpath(l.strip()) for l in f if l.strip())
    return codes, docs, files


def mine_files(files: list[str]) -> list[dict]:
    """Raw chunk pairs of ``files`` from mine-chunks.mjs, cleaned as training cleans them."""
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mine-chunks.mjs")
    with tempfile.TemporaryDirectory() as tmp:
        list_path, raw_path = os.path.join(tmp, "files"), os.path.join(tmp, "raw.jsonl")
        with open(list_path, "w", encoding="utf-8") as f:
            f.writelines(p + "\n" for p in files)
        subprocess.run(["node", script, list_path, raw_path], check=True)
        with open(raw_path, encoding="utf-8") as f:
            pairs = [clean_chunk_pair(json.loads(line)) for line in f]
    return [p.__dict__ for p in pairs if p is not None]


def build_language(lang: str, packages: tuple[str, ...], train: tuple[set[str], set[str], set[str]],
                   max_pairs: int, seed: int) -> tuple[dict, dict]:
    """The CoSQA-shaped set for ``lang`` and its counts."""
    train_codes, train_docs, train_files = train
    src = CHUNKER_SOURCES[lang]
    counts: dict = {"packages": {}, "mined": 0, "training_overlap": 0, "duplicate": 0}
    files: list[str] = []
    for package in packages:
        found = [p for p in package_files(package, src.extensions) if not src.skip.search(p)]
        if any(p in train_files for p in found):
            raise SystemExit(f"heldout: {package} has files that training mined; pick another package")
        files += found
        counts["packages"][package] = len(found)
    seen_codes: set[str] = set()
    seen_docs: set[str] = set()
    kept: list[dict] = []
    for p in mine_files(files):
        counts["mined"] += 1
        code_key, doc_key = ws_norm(p["code"]), ws_norm(p["doc"]).lower()
        if code_key in train_codes or ws_norm(p["full"]) in train_codes or doc_key in train_docs:
            counts["training_overlap"] += 1
            continue
        if code_key in seen_codes or doc_key in seen_docs:
            counts["duplicate"] += 1
            continue
        seen_codes.add(code_key)
        seen_docs.add(doc_key)
        kept.append(p)
    counts["eligible"] = len(kept)
    sample = random.Random(seed).sample(kept, min(max_pairs, len(kept)))
    corpus = {p["code"]: i for i, p in enumerate(sample)}
    queries = [{"doc": query_of(p["doc"]), "retrieval_idx": i} for i, p in enumerate(sample)]
    counts["kept"] = len(sample)
    return {"corpus": corpus, "queries": queries}, counts


def main() -> None:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", default=os.path.join(here, ".work", "pairs"), help="training pairs folder")
    ap.add_argument("--out", default=os.path.join(here, "heldout"), help="output folder")
    ap.add_argument("--max-pairs", type=int, default=MAX_PAIRS)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    train = training_keys(args.pairs)
    report = {}
    for lang, packages in HELDOUT_PACKAGES.items():
        data, counts = build_language(lang, packages, train, args.max_pairs, args.seed)
        folder = os.path.join(args.out, lang)
        os.makedirs(folder, exist_ok=True)
        for name, value in (("corpus.json", data["corpus"]), ("queries.json", data["queries"])):
            with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
                json.dump(value, f, ensure_ascii=False, indent=0)
        report[lang] = counts
        print(f"{lang}: {json.dumps(counts)}")
    with open(os.path.join(args.out, "counts.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
