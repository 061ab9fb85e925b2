"""Writes test/fixtures/tokenizer-parity/: the ids this (training-side) tokenizer
gives for tricky texts, which test/tokenizer-parity.test.ts checks the
TypeScript tokenizer against.

    /usr/bin/python3 -m codescout_train.parity_fixture [--model ../models/codescout-code-v1]

Two sets: ``small/`` with a tiny vocabulary and 97 hash buckets (so that most
pieces take the hashing path), and ``shipped-model.json`` with the shipped
model's own tokenizer.
"""
from __future__ import annotations

import argparse
import json
import os

from .tokenizer import IdentifierTokenizer, pieces

TEXTS = [
    "",
    "   \t\n  ",
    "getHTTPResponseCode",
    "HTMLParser XMLHttpRequest2 IOError",
    "parse_json_file __init__ _private __dunder__",
    "utf8Decode v2beta base64encode x86_64 sha256sum i18n",
    "ALLCAPS_CONSTANT MAX_VALUE kMaxSize mIsOpen",
    "camelCaseWithABBRAndMore ABCdef aB Ab",
    "a b c d e f x y z 1 2 3",
    "123abc456 0x1F 3.14159 1e-9 007bond",
    "def foo(self, bar: int = 1) -> List[str]:\n    return [str(bar)] * 2",
    "if (a->b && c::d || e?.f ?? g) { h[i] = j <=> k; }",
    "$var @attr #hash %mod ^caret &ref *ptr ~tilde `tick` 'single' \"double\"",
    "path/to/file.py:42 C:\\Users\\Name\\dir https://example.com/a?b=c&d=e#frag",
    "ÜberGröße naïve façade Ærøskøbing",
    "ΣΑΣ ΟΔΟΣ naïveΣΑΣ Σ",
    "İstanbul ISTANBUL ıi ǅemal ǈubljana",
    "straße STRASSE ﬁnance ﬀ",
    "日本語テキスト abc中文def 한국어Text",
    "Москва getМосква ПриветМир",
    "مرحبا بالعالم ١٢٣ עברית",
    "हिन्दी नमस्ते தமிழ்",
    "１２３ＡＢＣｄｅｆ Ⅻnumbers ²³ ½value",
    "emoji 😀 face👍thumbs 🇫🇷 flag a😀b",
    "e\u0301te\u0301 cafe\u0301 combining",
    "zero\u200bwidth non\u00a0breaking soft\u00adhyphen",
    "tab\tseparated\nnew\rline\u2028sep\u2029para",
    "snake_case-kebab-case.dot.case/slash\\back",
    "!!!???...,,,;;;:::---___+++===",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐁𝐨𝐥𝐝 mathematical 𝟙𝟚𝟛",
    "how to read a file line by line in python",
    "python check if a variable is iterable",
    "Returns the number of elements in this collection.",
    "func (s *Server) ListenAndServe() error { return s.serve() }",
    "pub fn from_str_radix(src: &str, radix: u32) -> Result<Self, ParseIntError>",
    "public static <T extends Comparable<? super T>> void sort(List<T> list)",
]

LONG_TEXT = " ".join(f"word{i} camelPiece{i} snake_piece_{i}" for i in range(200))

SMALL_VOCAB_TEXTS = [
    "get set parse file read write json html parser http request response code value",
    "return self list str int error the of to in for and or",
]


def cases(tok: IdentifierTokenizer) -> list[dict]:
    out = []
    for text in TEXTS:
        out.append({"text": text, "maxTokens": 512, "pieces": pieces(text, tok.min_piece_length),
                    "ids": tok.encode(text, 512)})
    for max_tokens in (1, 7, 100):
        out.append({"text": LONG_TEXT, "maxTokens": max_tokens,
                    "pieces": pieces(LONG_TEXT, tok.min_piece_length)[:max_tokens],
                    "ids": tok.encode(LONG_TEXT, max_tokens)})
    return out


def write(path: str, payload: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="../models/codescout-code-v1")
    ap.add_argument("--out", default="../test/fixtures/tokenizer-parity")
    args = ap.parse_args()
    os.makedirs(os.path.join(args.out, "small"), exist_ok=True)
    small = IdentifierTokenizer.build(SMALL_VOCAB_TEXTS, vocab_size=40, hash_buckets=97, min_count=1)
    small.save(os.path.join(args.out, "small", "tokenizer.json"))
    write(os.path.join(args.out, "small-cases.json"), {"tokenizer": "small/tokenizer.json", "cases": cases(small)})
    shipped_path = os.path.join(args.model, "tokenizer.json")
    if os.path.exists(shipped_path):
        shipped = IdentifierTokenizer.load(shipped_path)
        write(os.path.join(args.out, "shipped-model-cases.json"),
              {"tokenizer": "models/codescout-code-v1/tokenizer.json", "cases": cases(shipped)})


if __name__ == "__main__":
    main()
