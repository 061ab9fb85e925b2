"""Mines (doc comment, code) pairs from source files that Debian packages install.

Python is parsed with ``ast``. Every other language goes through the project's
own tree-sitter chunker (mine-chunks.mjs), so that training sees code exactly as
the index does; its raw pairs are then cleaned here like Python's.

Each pair is one JSON line: ``{"lang", "name", "doc", "code", "full", "path"}``
where ``code`` is the definition without its doc comment and ``full`` the
definition with it (for chunker languages: the chunk text the engine embeds).
"""
from __future__ import annotations

import ast
import inspect
import json
import os
import re
import tarfile
import textwrap
import zipfile
from dataclasses import dataclass
from typing import Iterable, Iterator

from .exclusions import Exclusion, Matcher

MAX_FILE_BYTES = 1_000_000
MAX_BODY_LINES = 150
MIN_DOC_WORDS = 3


@dataclass(frozen=True)
class Pair:
    """One documented function: its cleaned doc, its code without the doc, and both together."""
    lang: str
    name: str
    doc: str
    code: str
    full: str
    path: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


# ---------------------------------------------------------------- doc cleaning

_TRIVIAL_DOC = re.compile(
    r"^\s*(\{@inheritdoc\}|@inheritdoc|inheritdoc|todo|fixme|xxx|deprecated|copyright|spdx|"
    r"see\b|\(non-javadoc\)|-\*-|@)", re.IGNORECASE)
_SECTION_START = re.compile(
    r"^\s*(:param|:return|:raises|:type|:rtype|@param|@return|@throws|@exception|@see|@since|@author|"
    r"@deprecated|@api|@var|@example|args:|arguments:|parameters\s*$|returns?:|raises:|yields:|"
    r"examples?:?\s*$|example usage|note:|notes\s*$|see also|>>>|```|# (examples?|panics|errors|safety)\b|"
    r"[\\@](param|tparam|return|returns|retval|throws?|pre|post|note|see|code|example)\b)",
    re.IGNORECASE)
_INLINE_TAG = re.compile(r"\{@(?:code|link|linkplain|literal|value)\s+([^}]*)\}")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def clean_doc(lines: list[str]) -> str:
    """Keeps a doc's prose: up to the first tag/section/example, markup removed."""
    kept: list[str] = []
    for line in lines:
        if _SECTION_START.match(line):
            break
        kept.append(line.rstrip())
    text = "\n".join(kept).strip()
    text = _INLINE_TAG.sub(r"\1", text)
    text = re.sub(r"[\\@](brief|short|details)\s+", "", text)
    text = _HTML_TAG.sub("", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("&nbsp;", " ")
    return re.sub(r"[ \t]+", " ", text).strip()


def is_useful_doc(doc: str) -> bool:
    """At least a few words, and not a placeholder (TODO, inheritDoc, a bare tag, …)."""
    return len(doc.split()) >= MIN_DOC_WORDS and not _TRIVIAL_DOC.match(doc)


# ---------------------------------------------------------------- Python (ast)

_PY_SKIP_DIR = re.compile(r"/(tests?|testing|test_\w+)/|/test_[^/]*\.py$|_test\.py$")


def mine_python_source(text: str, path: str) -> Iterator[Pair]:
    """Pairs of every function or method of a Python file that has a useful docstring and more code."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    lines = text.splitlines()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)) or len(body) < 2:
            continue
        raw_doc = body[0].value.value
        doc = clean_doc(inspect.cleandoc(raw_doc).splitlines())
        if not is_useful_doc(doc):
            continue
        start, end = node.lineno - 1, node.end_lineno
        if end - start > MAX_BODY_LINES:
            continue
        ds, de = body[0].lineno - 1, body[0].end_lineno
        if ds == start:  # docstring on the def line: cannot cut it out by lines
            continue
        full_lines = lines[start:end]
        code_lines = lines[start:ds] + lines[de:end]
        yield Pair("python", node.name, doc, textwrap.dedent("\n".join(code_lines)),
                   textwrap.dedent("\n".join(full_lines)), path)


# ---------------------------------------------------------------- files

def _read(path: str) -> str | None:
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return None
        with open(path, "rb") as f:
            return f.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def walk_files(roots: Iterable[str], extensions: tuple[str, ...]) -> Iterator[str]:
    """Files under ``roots`` ending with one of ``extensions``, each real file once, in a stable order."""
    seen_real: set[str] = set()
    for root in roots:
        if not os.path.isdir(root):
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for fn in sorted(filenames):
                if fn.endswith(extensions):
                    p = os.path.join(dirpath, fn)
                    real = os.path.realpath(p)
                    if real not in seen_real:
                        seen_real.add(real)
                        yield p


# ---------------------------------------------------------------- chunker languages

_DIRECTIVE = re.compile(r"^\s*(go:\w+|\+build|nolint|lint:|#\[|#!|eslint|jshint|istanbul|prettier-ignore|"
                        r"@ts-|tslint|rubocop|frozen_string_literal|:nodoc:|-\*-|SPDX|Copyright)", re.IGNORECASE)


def clean_chunk_pair(raw: dict) -> Pair | None:
    """Applies the doc and size filters to one pair that mine-chunks.mjs wrote."""
    lines = [l for l in raw["doc"].split("\n") if not _DIRECTIVE.match(l)]
    doc = clean_doc(lines)
    if not is_useful_doc(doc) or raw["code"].count("\n") > MAX_BODY_LINES:
        return None
    return Pair(raw["lang"], raw["name"], doc, raw["code"], raw["full"], raw["path"])


@dataclass(frozen=True)
class SourceSet:
    """Where one language's files are: folders to walk, or an archive to unpack first."""
    roots: tuple[str, ...]
    extensions: tuple[str, ...]
    skip: re.Pattern[str]
    archive: str | None = None
    archive_dirs: tuple[str, ...] = ()
    #: npm packages (name@version) whose tarballs carry sources, fetched with `npm pack`
    npm_packages: tuple[str, ...] = ()


_COMMON_SKIP = r"/(tests?|testdata|__tests__|spec|specs|examples?|benches|fixtures|vendor)/|[._-](test|spec|min)\.\w+$"
_NODE_ROOTS = ("/usr/share/nodejs", "/usr/lib/nodejs", "/usr/share/javascript")

CHUNKER_SOURCES: dict[str, SourceSet] = {
    "go": SourceSet(("/usr/share/go-1.19/src", "/usr/share/gocode/src"), (".go",),
                    re.compile(_COMMON_SKIP + r"|_test\.go$|/internal/syscall/|/zz?_\w+\.go$")),
    "rust": SourceSet(("/usr/lib/rustlib/src/rust/library", "/usr/share/cargo/registry"), (".rs",),
                      re.compile(_COMMON_SKIP)),
    "java": SourceSet((), (".java",), re.compile(_COMMON_SKIP),
                      archive="/usr/lib/jvm/java-17-openjdk-*/lib/src.zip"),
    "php": SourceSet(("/usr/share/php",), (".php",), re.compile(_COMMON_SKIP + r"|/(Tests?|Fixtures)/")),
    "javascript": SourceSet(_NODE_ROOTS, (".js", ".mjs", ".cjs"), re.compile(_COMMON_SKIP + r"|/dist/|\.bundle\.")),
    "typescript": SourceSet(_NODE_ROOTS, (".ts", ".tsx"), re.compile(_COMMON_SKIP + r"|\.d\.ts$"),
                            npm_packages=("rxjs@7.8.2", "immer@11.2.10", "mobx@7.1.3", "effect@4.1.0",
                                          "@reduxjs/toolkit@2.14.0")),
    "ruby": SourceSet(("/usr/lib/ruby", "/usr/share/rubygems-integration", "/usr/share/ruby"), (".rb",),
                      re.compile(_COMMON_SKIP)),
    "c": SourceSet((), (".c",), re.compile(_COMMON_SKIP),
                   archive="/usr/src/linux-source-*.tar.*",
                   archive_dirs=("lib/", "kernel/", "mm/", "fs/", "net/core/", "net/ipv4/", "crypto/", "block/",
                                 "security/", "drivers/base/", "ipc/", "init/")),
    # nlohmann, fmt and absl are excluded projects (exclusions.py): their folders stay listed only so that a
    # run on a machine that has them (libspdlog-dev pulls in libfmt-dev) counts what the exclusion drops
    "cpp": SourceSet(tuple(f"/usr/include/{d}" for d in ("boost", "eigen3", "nlohmann", "fmt", "spdlog", "absl",
                                                          "glm", "range", "catch2", "gtest", "cereal")),
                     (".hpp", ".hh", ".cc", ".cpp", ".ipp", ".h"), re.compile(_COMMON_SKIP + r"|/detail/preprocessed/")),
}

ALL_LANGUAGES = ("python",) + tuple(CHUNKER_SOURCES)


def _glob_last(pattern: str) -> str | None:
    import glob
    # os.path.exists follows links: a link left dangling (openjdk's lib/src.zip without its -source package) is no archive
    hits = sorted(h for h in glob.glob(pattern) if os.path.exists(h))
    return hits[-1] if hits else None


def unpack_archive(src: SourceSet, dest: str, limit: int | None) -> str | None:
    """Unpacks the wanted files of ``src.archive`` (at most ``limit``) into ``dest`` once;
    returns ``dest`` (None without the archive)."""
    archive = _glob_last(src.archive or "")
    if archive is None:
        return None
    done = os.path.join(dest, ".unpacked")
    if os.path.exists(done):
        return dest
    os.makedirs(dest, exist_ok=True)
    count = 0
    if archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                if info.filename.endswith(src.extensions) and info.file_size <= MAX_FILE_BYTES:
                    z.extract(info, dest)
                    count += 1
                    if count == limit:
                        break
    else:
        with tarfile.open(archive, "r|*") as t:
            for member in t:
                rel = member.name.split("/", 1)[-1]
                if (member.isfile() and member.name.endswith(src.extensions) and member.size <= MAX_FILE_BYTES
                        and rel.startswith(src.archive_dirs)):
                    member.name = rel
                    t.extract(member, dest)
                    count += 1
                    if count == limit:
                        break
    open(done, "w").close()
    return dest


def unpack_npm_packages(src: SourceSet, dest: str) -> str:
    """Fetches ``src.npm_packages`` with `npm pack` and unpacks their sources into ``dest`` once."""
    import subprocess
    done = os.path.join(dest, ".unpacked")
    if os.path.exists(done):
        return dest
    os.makedirs(dest, exist_ok=True)
    subprocess.run(["npm", "pack", "--silent", "--pack-destination", dest, *src.npm_packages],
                   check=True, stdout=subprocess.DEVNULL)
    for tgz in sorted(f for f in os.listdir(dest) if f.endswith(".tgz")):
        with tarfile.open(os.path.join(dest, tgz)) as t:
            members = [m for m in t.getmembers() if m.isfile() and m.name.endswith(src.extensions)]
            for m in members:
                m.name = os.path.join(tgz[:-4], m.name)
            t.extractall(dest, members=members)
        os.remove(os.path.join(dest, tgz))
    open(done, "w").close()
    return dest


def _spread(paths: list[str], limit: int | None) -> list[str]:
    """At most ``limit`` paths, picked evenly over the sorted list so every package is represented."""
    if limit is None or len(paths) <= limit:
        return paths
    step = len(paths) / limit
    return [paths[int(i * step)] for i in range(limit)]


def source_files(lang: str, work: str, limit: int | None, smoke: bool = False,
                 matcher: "Matcher | None" = None) -> tuple[list[str], list[tuple[str, "Exclusion"]]]:
    """The files of ``lang`` to mine, at most ``limit``, and the files left out because they belong to an
    excluded project (``exclusions.py``; all of them, not sampled). Excluded files are removed before the
    sample is drawn, so the sample does not depend on whether an excluded package is installed.
    ``smoke`` reads only what is quick to reach (the Python standard library, the first ``limit`` files
    of an archive)."""
    if lang == "python":
        roots = ["/usr/lib/python3.11"] + ([] if smoke else ["/usr/lib/python3/dist-packages"])
        paths = [p for p in walk_files(roots, (".py",)) if not _PY_SKIP_DIR.search(p)]
    else:
        src = CHUNKER_SOURCES[lang]
        roots = list(src.roots)
        if src.archive:
            unpacked = unpack_archive(src, os.path.join(work, "src", lang), limit if smoke else None)
            roots += [unpacked] if unpacked else []
        if src.npm_packages:
            roots.append(unpack_npm_packages(src, os.path.join(work, "src", lang)))
        roots = [os.path.realpath(r) for r in roots]
        paths = [p for p in walk_files(roots, src.extensions) if not src.skip.search(p)]
    kept: list[str] = []
    excluded: list[tuple[str, Exclusion]] = []
    for p in paths:
        e = matcher.match(p) if matcher is not None else None
        if e is None:
            kept.append(p)
        else:
            excluded.append((p, e))
    return _spread(kept, limit), excluded


def _mine_python_file(path: str) -> list[str]:
    text = _read(path)
    return [] if text is None else [p.to_json() for p in mine_python_source(text, path)]


def _mine_files(lang: str, files: list[str], out_path: str, workers: int,
                extra: dict[str, str] | None = None) -> int:
    """Mines ``files`` of ``lang`` into ``out_path`` (JSON lines; ``extra`` maps a file to a value stored
    as the pair's ``exclusion``); returns how many pairs."""
    import multiprocessing as mp
    import subprocess
    tmp = out_path + ".tmp"
    count = 0

    def line_of(pair: Pair) -> str:
        if extra is None:
            return pair.to_json() + "\n"
        return json.dumps({**pair.__dict__, "exclusion": extra.get(pair.path)}, ensure_ascii=False) + "\n"

    with open(tmp, "w", encoding="utf-8") as out:
        if lang == "python":
            with mp.Pool(workers) as pool:
                for lines in pool.imap(_mine_python_file, files, chunksize=32):
                    for line in lines:
                        out.write(line + "\n" if extra is None else line_of(Pair(**json.loads(line))))
                    count += len(lines)
        elif files:
            list_path, raw_path = out_path + ".files", out_path + ".raw"
            with open(list_path, "w", encoding="utf-8") as f:
                f.writelines(p + "\n" for p in files)
            script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mine-chunks.mjs")
            subprocess.run(["node", script, list_path, raw_path], check=True)
            with open(raw_path, encoding="utf-8") as raw:
                for line in raw:
                    pair = clean_chunk_pair(json.loads(line))
                    if pair is not None:
                        out.write(line_of(pair))
                        count += 1
            os.remove(raw_path)
    os.replace(tmp, out_path)
    return count


def mine_language(lang: str, work: str, out_path: str, max_files: int | None, workers: int,
                  smoke: bool = False, matcher: "Matcher | None" = None,
                  excluded_path: str | None = None) -> tuple[int, dict[str, int], dict[str, int]]:
    """Writes the cleaned pairs of ``lang`` to ``out_path`` (JSON lines). With ``excluded_path``, also
    mines every excluded file into it, each pair marked with its project (``exclusion``), to count what
    the exclusion drops. Returns the pairs kept, and per excluded project its files and its pairs."""
    files, excluded = source_files(lang, work, max_files, smoke, matcher)
    count = _mine_files(lang, files, out_path, workers)
    files_by_project: dict[str, int] = {}
    for _, e in excluded:
        files_by_project[e.project] = files_by_project.get(e.project, 0) + 1
    pairs_by_project: dict[str, int] = {}
    if excluded_path is not None:
        _mine_files(lang, [p for p, _ in excluded], excluded_path, workers, {p: e.project for p, e in excluded})
        with open(excluded_path, encoding="utf-8") as f:
            for line in f:
                project = json.loads(line)["exclusion"]
                pairs_by_project[project] = pairs_by_project.get(project, 0) + 1
    return count, files_by_project, pairs_by_project
