"""Which package every training pair came from, and that package's licence.

For each training pair that cleaning keeps (``.work/pairs/*.jsonl`` through ``dataset.load_clean_pairs``,
which also drops the excluded projects of ``exclusions.py``), finds the Debian package that
installed the file (dpkg's file lists), or the archive / npm package it was unpacked from, and reads
the package's licence from its Debian copyright file: the ``License:`` of the ``Files: *`` stanza of a
machine-readable (DEP-5) file, else the licence names the file mentions. Writes a Markdown table,
one row per package, with the training pairs taken from it.

    /usr/bin/python3 -m codescout_train.licences [--root /] [--work .work] [--out data-licences.md]
                                                 [--corpus ../../shared/eval/cosqa/corpus.json]

``--root`` is the machine (or debootstrap root) whose packages training read; pair paths are
resolved inside it.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
from collections import Counter, defaultdict

from .dataset import load_clean_pairs
from .exclusions import Matcher, dpkg_owners
from .mine import CHUNKER_SOURCES

#: licence names looked for in copyright files that are not machine-readable
_KNOWN = ("Apache-2.0", "Apache", "MIT", "Expat", "BSD-3-clause", "BSD-2-clause", "BSD", "PSF", "ISC", "MPL-2.0",
          "LGPL-2.1", "LGPL-3", "LGPL", "GPL-2", "GPL-3", "GPL", "BSL-1.0", "Boost", "Ruby", "Zlib", "Unlicense",
          "public-domain", "CC0")


def licence_of(root: str, package: str) -> str:
    path = os.path.join(root, "usr/share/doc", package, "copyright")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return "(no copyright file)"
    if text.startswith("Format:"):
        for stanza in re.split(r"\n\s*\n", text):
            if re.search(r"^Files:\s*\*\s*$", stanza, re.M):
                m = re.search(r"^License:\s*(.+)$", stanza, re.M)
                if m:
                    return m.group(1).strip()
        names = Counter(m.group(1).strip() for m in re.finditer(r"^License:\s*(.+)$", text, re.M))
        if names:
            return " / ".join(n for n, _ in names.most_common(3))
    found = [name for name in _KNOWN if re.search(rf"\b{re.escape(name)}\b", text, re.I)]
    return ("mentions " + ", ".join(found[:4])) if found else "(see copyright file)"


def source_of(path: str, owners: dict[str, str], root: str, work: str) -> str:
    """The package a mined file came from: its dpkg owner, or for a file unpacked from an archive
    (``WORK/src/<lang>/…``) the archive's owner, or for a file from `npm pack` ``npm:<tarball>``."""
    if path in owners:
        return owners[path]
    unpacked = os.path.join(os.path.abspath(work), "src") + os.sep
    # pair paths are as seen inside ROOT; WORK is given as seen from here
    inside = os.path.join("/", os.path.relpath(unpacked, root)) + os.sep if root != "/" else unpacked
    if path.startswith(inside):
        lang, _, rest = path[len(inside):].partition("/")
        src = CHUNKER_SOURCES.get(lang)
        if src is not None and src.npm_packages:
            return "npm:" + rest.split("/", 1)[0]
        if src is not None and src.archive:
            matches = sorted(glob.glob(os.path.join(root, src.archive.lstrip("/"))))
            if matches:
                return owners.get("/" + os.path.relpath(resolve_in(root, matches[-1]), root), "(unknown)")
    # a file inside a directory that dpkg lists (unpacked by a postinst, say): the nearest listed parent
    parent = os.path.dirname(path)
    while parent not in ("", "/"):
        if parent in owners:
            return owners[parent]
        parent = os.path.dirname(parent)
    return "(unknown)"


def resolve_in(root: str, path: str) -> str:
    """``path`` with its symbolic links followed inside ``root`` (JDK's src.zip is a chain of links
    into the -source package's file)."""
    for _ in range(16):
        if not os.path.islink(path):
            break
        target = os.readlink(path)
        path = os.path.join(root, target.lstrip("/")) if target.startswith("/") else \
            os.path.normpath(os.path.join(os.path.dirname(path), target))
    return path


def npm_licence(name: str) -> str:
    """The licence the npm registry gives for a package that mining fetched with `npm pack`
    (``name`` is the tarball's name, e.g. ``reduxjs-toolkit-2.14.0``)."""
    import subprocess
    specs = [spec for src in CHUNKER_SOURCES.values() for spec in src.npm_packages]
    for spec in specs:
        if spec.lstrip("@").replace("/", "-").replace("@", "-") == name:
            try:
                out = subprocess.run(["npm", "view", spec, "license"], capture_output=True, text=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                return "(npm view failed)"
            return out.stdout.strip() or "(npm view failed)"
    return "(not a mined npm package)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default="/")
    ap.add_argument("--work", default=".work")
    ap.add_argument("--out", default="data-licences.md")
    ap.add_argument("--corpus", default="../../shared/eval/cosqa/corpus.json",
                    help="the CoSQA corpus, which cleaning keeps out of the training pairs")
    args = ap.parse_args(argv)
    owners = dpkg_owners(args.root)
    pairs: dict[str, Counter[str]] = defaultdict(Counter)
    kept, _ = load_clean_pairs(os.path.join(args.work, "pairs"), args.corpus, Matcher(owners=owners))
    for p in kept:
        pairs[source_of(p["path"], owners, args.root, args.work)][p["lang"]] += 1
    rows = []
    for package, by_lang in pairs.items():
        if package.startswith("npm:"):
            licence = npm_licence(package[4:])
        elif package == "(unknown)":
            licence = "—"
        else:
            licence = licence_of(args.root, package)
        rows.append((sum(by_lang.values()), package, licence, by_lang))
    rows.sort(key=lambda r: (-r[0], r[1]))
    by_licence: Counter[str] = Counter()
    for n, _, licence, _ in rows:
        by_licence[licence] += n
    total = sum(r[0] for r in rows)
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("# Licences of the training data\n\n"
                  "Written by `python3 -m codescout_train.licences` (see its docstring) from the mined pairs of the run "
                  "that built the shipped model: the training pairs (after cleaning and the per-package cap) per source package. "
                  "The licence is the `Files: *` licence of the package's Debian copyright file (or, for a file that is "
                  "not machine-readable, the licence names it mentions); individual files of a package may carry "
                  "other licences, which the copyright file lists. The model stores no source text: only identifier "
                  "pieces and numbers learned per piece. The projects that evaluation sets are built from "
                  "(`codescout_train/exclusions.py`) are not among the sources: mining and cleaning leave them out, "
                  "whichever package ships them.\n\n")
        out.write(f"{total:,} training pairs from {len(rows)} packages.\n\n## By licence\n\n| licence | pairs | share |\n"
                  "| --- | ---: | ---: |\n")
        for licence, n in by_licence.most_common():
            out.write(f"| {licence} | {n:,} | {100 * n / total:.1f} % |\n")
        out.write("\n## By package\n\n| package | licence | pairs | languages |\n| --- | --- | ---: | --- |\n")
        for n, package, licence, by_lang in rows:
            langs = ", ".join(f"{lang} {k:,}" for lang, k in by_lang.most_common())
            out.write(f"| {package} | {licence} | {n:,} | {langs} |\n")
    print(f"licences: {len(rows)} packages, {total} pairs → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
