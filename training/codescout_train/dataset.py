"""Turns mined pairs into a training set: deduplication, CoSQA decontamination,
the vocabulary, and pre-tokenised query/document variants."""
from __future__ import annotations

import glob
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .exclusions import Matcher
from .mine import mine_python_source
from .tokenizer import IdentifierTokenizer

MAX_DOC_TOKENS = 256
MAX_QUERY_TOKENS = 48


def ws_norm(text: str) -> str:
    return " ".join(text.split())


def cosqa_fingerprints(corpus_path: str) -> set[str]:
    """Whitespace-normalised CoSQA functions, both as given and with their docstring cut out."""
    with open(corpus_path, encoding="utf-8") as f:
        corpus = json.load(f)
    prints: set[str] = set()
    for code in corpus:
        prints.add(ws_norm(code))
        for pair in mine_python_source(code, "cosqa"):
            prints.add(ws_norm(pair.code))
    return prints


@dataclass
class CleanReport:
    mined: Counter = field(default_factory=Counter)
    #: pairs of an excluded project that reached WORK/pairs (mining leaves them out; this is the safety net)
    excluded: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)
    duplicate_code: Counter = field(default_factory=Counter)
    duplicate_doc: Counter = field(default_factory=Counter)
    cosqa_overlap: Counter = field(default_factory=Counter)
    package_cap: Counter = field(default_factory=Counter)

    def to_json(self) -> dict:
        return {k: dict(sorted(v.items())) for k, v in self.__dict__.items()}


#: most pairs taken from one package: a few (generated cloud SDKs, say) would otherwise dominate
MAX_PAIRS_PER_PACKAGE = 4000

#: path segments that sources sit under, with how many following segments name a package
_PACKAGE_ROOTS = (("/dist-packages/", 1), ("/python3.11/", 1), ("/gocode/src/", 3), ("/go-1.19/src/", 1),
                  ("/cargo/registry/", 1), ("/library/", 1), ("/share/php/", 1), ("/nodejs/", 1),
                  ("/javascript/", 1), ("/rubygems-integration/", 4), ("/ruby/", 2), ("/include/", 2),
                  ("/src/java/", 3), ("/src/c/", 2), ("/src/typescript/", 1))


def package_of(path: str) -> str:
    """The package a mined file belongs to, e.g. ``/dist-packages/numpy`` or ``/gocode/src/github.com/x/y``."""
    for root, depth in _PACKAGE_ROOTS:
        if root in path:
            rest = path.split(root, 1)[1].split("/")
            return root + "/".join(rest[:min(depth, len(rest) - 1) or 1])
    return path


def load_clean_pairs(pairs_dir: str, corpus_path: str,
                     matcher: Matcher | None = None) -> tuple[list[dict], CleanReport]:
    """Every mined pair, minus pairs of excluded projects (``exclusions.py``; by path, and by dpkg owner
    when ``matcher`` knows the owners), CoSQA functions, exact code duplicates, repeated docs (per
    language), and pairs past a package's cap."""
    matcher = matcher or Matcher()
    cosqa = cosqa_fingerprints(corpus_path)
    report = CleanReport()
    seen_code: set[str] = set()
    seen_doc: set[tuple[str, str]] = set()
    per_package: Counter[str] = Counter()
    pairs: list[dict] = []
    for path in sorted(glob.glob(os.path.join(pairs_dir, "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                p = json.loads(line)
                lang = p["lang"]
                report.mined[lang] += 1
                if matcher.match(p["path"]) is not None:
                    report.excluded[lang] += 1
                    continue
                code_key = ws_norm(p["code"])
                if code_key in cosqa or ws_norm(p["full"]) in cosqa:
                    report.cosqa_overlap[lang] += 1
                    continue
                if code_key in seen_code:
                    report.duplicate_code[lang] += 1
                    continue
                doc_key = (lang, ws_norm(p["doc"]).lower())
                if doc_key in seen_doc:
                    report.duplicate_doc[lang] += 1
                    continue
                package = package_of(p["path"])
                if per_package[package] >= MAX_PAIRS_PER_PACKAGE:
                    report.package_cap[lang] += 1
                    continue
                per_package[package] += 1
                seen_code.add(code_key)
                seen_doc.add(doc_key)
                report.kept[lang] += 1
                pairs.append(p)
    return pairs, report


# ---------------------------------------------------------------- query variants

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`'\"(])|\n\s*\n")


def first_sentence(doc: str) -> str:
    return _SENTENCE_END.split(doc.strip(), maxsplit=1)[0]


def first_paragraph(doc: str) -> str:
    return re.split(r"\n\s*\n", doc.strip(), maxsplit=1)[0]


QUERY_VARIANTS = ("sentence", "paragraph", "name")


@dataclass
class Ragged:
    """Variable-length id lists stored flat."""
    flat: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, lists: list[list[int]]) -> "Ragged":
        offsets = np.zeros(len(lists) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(x) for x in lists])
        flat = np.fromiter((i for x in lists for i in x), dtype=np.int32, count=int(offsets[-1]))
        return cls(flat, offsets)

    def get(self, i: int) -> np.ndarray:
        return self.flat[self.offsets[i]:self.offsets[i + 1]]

    def __len__(self) -> int:
        return len(self.offsets) - 1


@dataclass
class EncodedSet:
    langs: list[str]
    lang_ids: np.ndarray
    queries: dict[str, Ragged]
    code: Ragged
    full: Ragged

    def save(self, path: str) -> None:
        arrays = {"lang_ids": self.lang_ids, "code_flat": self.code.flat, "code_off": self.code.offsets,
                  "full_flat": self.full.flat, "full_off": self.full.offsets}
        for k, r in self.queries.items():
            arrays[f"q_{k}_flat"], arrays[f"q_{k}_off"] = r.flat, r.offsets
        np.savez(path, langs=np.array(self.langs), **arrays)

    @classmethod
    def load(cls, path: str) -> "EncodedSet":
        z = np.load(path)
        queries = {k: Ragged(z[f"q_{k}_flat"], z[f"q_{k}_off"]) for k in QUERY_VARIANTS}
        return cls(list(z["langs"]), z["lang_ids"], queries, Ragged(z["code_flat"], z["code_off"]),
                   Ragged(z["full_flat"], z["full_off"]))


def encode_pairs(pairs: list[dict], tok: IdentifierTokenizer) -> EncodedSet:
    langs = sorted({p["lang"] for p in pairs})
    lang_index = {l: i for i, l in enumerate(langs)}
    enc = lambda text, n: tok.encode(text, n)
    queries = {
        "sentence": Ragged.of([enc(first_sentence(p["doc"]), MAX_QUERY_TOKENS) for p in pairs]),
        "paragraph": Ragged.of([enc(first_paragraph(p["doc"]), MAX_QUERY_TOKENS) for p in pairs]),
        "name": Ragged.of([enc(p["name"], MAX_QUERY_TOKENS) for p in pairs]),
    }
    return EncodedSet(
        langs,
        np.array([lang_index[p["lang"]] for p in pairs], dtype=np.int32),
        queries,
        Ragged.of([enc(p["code"], MAX_DOC_TOKENS) for p in pairs]),
        Ragged.of([enc(p["full"], MAX_DOC_TOKENS) for p in pairs]),
    )


def build_tokenizer(pairs: list[dict], vocab_size: int, hash_buckets: int, min_piece_length: int) -> IdentifierTokenizer:
    texts = (t for p in pairs for t in (p["doc"], p["code"]))
    return IdentifierTokenizer.build(texts, vocab_size, hash_buckets, min_piece_length)
