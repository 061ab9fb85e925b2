"""The "identifier" tokenizer: the one the model is trained with and that
src/engine/vectors/identifier-tokenizer.ts re-implements for the engine.

Both sides must produce identical ids (test/tokenizer-parity.test.ts checks
fixtures written by ``write_parity_fixture``). The rules, in order:

1. Words are maximal runs of Unicode letters (category L*), combining marks
   (M*) and digits (N*); everything else separates words.
2. Each word is split further at letter/digit boundaries, at lower→upper
   boundaries (``fooBar`` → ``foo|Bar``) and before the last capital of an
   acronym that is followed by a lower-case letter (``HTMLParser`` →
   ``HTML|Parser``). "Upper" means category Lu or Lt; marks count as
   lower-case letters.
3. Pieces are lower-cased (full Unicode lower-casing) and pieces shorter than
   ``min_piece_length`` code points are dropped.
4. A piece in the vocabulary maps to its index; any other piece maps to
   ``len(vocab) + fnv1a32(utf8(piece)) % hash_buckets``.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from typing import Iterable, Iterator

PAD = "<pad>"
FORMAT_VERSION = 1

_UPPER, _LOWER, _DIGIT, _OTHER = 0, 1, 2, 3


def _char_class(ch: str) -> int:
    cat = unicodedata.category(ch)
    if cat in ("Lu", "Lt"):
        return _UPPER
    if cat[0] in "LM":
        return _LOWER
    if cat[0] == "N":
        return _DIGIT
    return _OTHER


def _split_word(word: str, classes: list[int]) -> Iterator[str]:
    """Splits one run of letters/digits at case and digit boundaries."""
    start = 0
    n = len(word)
    for i in range(1, n):
        prev, cur = classes[i - 1], classes[i]
        boundary = (
            (prev == _DIGIT) != (cur == _DIGIT)
            or (prev == _LOWER and cur == _UPPER)
            or (prev == _UPPER and cur == _UPPER and i + 1 < n and classes[i + 1] == _LOWER)
        )
        if boundary:
            yield word[start:i]
            start = i
    yield word[start:]


#: rules 1-2 for ASCII text, where they reduce to one regular expression
_ASCII_PIECE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def pieces(text: str, min_piece_length: int = 2) -> list[str]:
    """The lower-cased word pieces of ``text`` (rules 1-3 of the module doc)."""
    if text.isascii():
        return [p.lower() for p in _ASCII_PIECE.findall(text) if len(p) >= min_piece_length]
    out: list[str] = []
    word_chars: list[str] = []
    word_classes: list[int] = []

    def flush() -> None:
        if word_chars:
            for piece in _split_word("".join(word_chars), word_classes):
                lowered = piece.lower()
                if len(lowered) >= min_piece_length:
                    out.append(lowered)
            word_chars.clear()
            word_classes.clear()

    for ch in text:
        cls = _char_class(ch)
        if cls == _OTHER:
            flush()
        else:
            word_chars.append(ch)
            word_classes.append(cls)
    flush()
    return out


def fnv1a32(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


class IdentifierTokenizer:
    """Maps text to ids with a fixed vocabulary plus hashed buckets for unknown pieces."""

    def __init__(self, vocab: list[str], hash_buckets: int = 2048, min_piece_length: int = 2):
        if not vocab or vocab[0] != PAD:
            raise ValueError(f"vocabulary must start with {PAD!r}")
        self.vocab = vocab
        self.hash_buckets = hash_buckets
        self.min_piece_length = min_piece_length
        self.index = {w: i for i, w in enumerate(vocab)}
        self._cache: dict[str, int] = {}

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def size(self) -> int:
        """Number of distinct ids (vocabulary plus hash buckets)."""
        return len(self.vocab) + self.hash_buckets

    def piece_id(self, piece: str) -> int:
        i = self.index.get(piece)
        if i is not None:
            return i
        i = self._cache.get(piece)
        if i is None:
            i = len(self.vocab) + fnv1a32(piece.encode("utf-8")) % self.hash_buckets
            self._cache[piece] = i
        return i

    def encode(self, text: str, max_tokens: int | None = None) -> list[int]:
        ids = [self.piece_id(p) for p in pieces(text, self.min_piece_length)]
        return ids if max_tokens is None else ids[:max_tokens]

    def to_json(self) -> dict:
        return {
            "kind": "identifier",
            "version": FORMAT_VERSION,
            "minPieceLength": self.min_piece_length,
            "hashBuckets": self.hash_buckets,
            "hash": "fnv1a32-utf8",
            "padId": self.pad_id,
            "vocab": self.vocab,
        }

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def load(cls, path: str) -> "IdentifierTokenizer":
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        if spec.get("kind") != "identifier" or spec.get("version") != FORMAT_VERSION:
            raise ValueError(f"{path}: not an identifier tokenizer of version {FORMAT_VERSION}")
        return cls(spec["vocab"], spec["hashBuckets"], spec["minPieceLength"])

    @classmethod
    def build(cls, texts: Iterable[str], vocab_size: int, hash_buckets: int = 2048,
              min_piece_length: int = 2, min_count: int = 2) -> "IdentifierTokenizer":
        """Keeps the ``vocab_size - 1`` most frequent pieces (ties broken alphabetically)."""
        counts: Counter[str] = Counter()
        for t in texts:
            counts.update(pieces(t, min_piece_length))
        ranked = sorted((c for c in counts.items() if c[1] >= min_count), key=lambda kv: (-kv[1], kv[0]))
        return cls([PAD] + [w for w, _ in ranked[: vocab_size - 1]], hash_buckets, min_piece_length)
