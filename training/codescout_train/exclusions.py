"""Projects that training must not read: the source of every repository an evaluation set is built from.

Code Scout is scored on the semble benchmark (14 repositories in ``shared/eval/semble-dev``, the rest
held out; issue 8 names them all) and on CoSQA. A model trained on those repositories' code would score
figures that say nothing about unseen code, so mining drops every file of these projects, under any
packaging, and any copy of them vendored inside another package. CoSQA is kept out function by
function (``dataset.cosqa_fingerprints``); it is listed here for completeness.

A file is excluded when any of the following holds (checked by :class:`Matcher`):

- its path matches an entry's ``paths`` regular expression (a Python distribution under
  ``dist-packages``, a Go module under ``gocode/src``, a crate under ``cargo/registry``, a gem or a
  PHP namespace folder, an npm package under ``/usr/share/nodejs`` or unpacked by ``npm pack``, and
  vendored copies such as ``pip/_vendor/requests``);
- dpkg says the file belongs to one of the entry's Debian ``packages`` (wherever it lies);
- for entries with ``markers``: a C/C++ file whose first 4 KiB contain a marker string (a single-header
  copy such as another package's ``json.hpp`` from nlohmann).

Mining skips excluded files before it samples a language's files, so the training set does not depend
on whether an apt dependency pulled an excluded package in; it mines them separately only to count
what the exclusion drops (``WORK/pairs-excluded/``). Cleaning (``dataset.load_clean_pairs``) checks
every pair's path again, so pairs mined before an entry was added cannot slip through.

Decisions on near-names and bundles (evidence from the installed sources, 2026-12-02):

- ``python3-redis`` is redis-py (github.com/redis/redis-py), a client written in Python; it holds no
  code of the Redis server (redis/redis, C), so it stays. The Redis server is not mined at all (C
  comes only from the Linux kernel); ``redis-server`` / ``redis-tools`` are listed so they never are.
- ``python3-pycurl`` is PycURL (github.com/pycurl/pycurl): a C extension binding libcurl's API plus a
  small Python helper package ``curl``; libcurl's source is not in it, so it stays. libcurl (curl/curl)
  is not mined (its headers are not among the C++ roots); ``libcurl*-dev`` are listed.
- ``@reduxjs/toolkit`` (github.com/reduxjs/redux-toolkit, fetched by ``npm pack``) stays: its
  ``src/`` imports redux as a dependency (``export * from 'redux'``, ``"redux": "^5.0.1"`` in its
  package.json) and defines none of redux's functions (no ``createStore``, ``combineReducers``,
  ``applyMiddleware``, ``compose``, ``bindActionCreators`` in ``src/``).
- serde means the serde-rs/serde repository: the crates ``serde``, ``serde_derive`` and
  ``serde_derive_internals``. ``serde_json`` (serde-rs/json) is another repository and stays.
- tokio means tokio-rs/tokio: ``tokio``, ``tokio-macros``, ``tokio-util``, ``tokio-stream``,
  ``tokio-test``; other crates of the tokio-rs organisation (mio, bytes, tracing, …) stay.
- ripgrep means BurntSushi/ripgrep with its workspace crates ``grep``, ``grep-*``, ``ignore``,
  ``globset``.
- rails means the rails/rails repository: actioncable, actionmailbox, actionmailer, actionpack,
  actiontext, actionview, activejob, activemodel, activerecord, activestorage, activesupport and
  railties. rails-html-sanitizer and rails-dom-testing are separate repositories and stay;
  rails-deprecated_sanitizer (``vendor_ruby/rails/deprecated_sanitizer``) goes with Rails: its
  html-scanner is the code that Rails' actionpack carried until 4.2. rack-test (its own repository,
  ``lib/rack/test*`` and ``lib/rack/mock_session.rb``) stays.
- sinatra means sinatra/sinatra, which also holds rack-protection and sinatra-contrib.
- guzzle means guzzle/guzzle (``GuzzleHttp\\`` minus ``Psr7\\`` and ``Promise\\``, which are the
  repositories guzzle/psr7 and guzzle/promises and stay).
- fmt: spdlog can bundle fmt (``spdlog/fmt/bundled/``); those paths and any file carrying fmt's
  header line are excluded with fmt. spdlog's own code stays.
- Java comes only from OpenJDK's ``src.zip``, C only from the kernel, and no C# is mined, so gson,
  commons-lang, jackson-databind, libuv, curl, redis, Newtonsoft.Json, Dapper and MessagePack-CSharp
  cannot reach training today; they are listed so that a later source list cannot add them unnoticed.

    /usr/bin/python3 -m codescout_train.exclusions                  # the list as a Markdown table
    /usr/bin/python3 -m codescout_train.exclusions --report .work   # what each entry dropped in that run
"""
from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass

SEMBLE_DEV = "semble-dev"
SEMBLE_HELD_OUT = "semble held-out"
COSQA = "CoSQA dev"


@dataclass(frozen=True)
class Exclusion:
    #: the upstream project (GitHub owner/name)
    project: str
    #: the evaluation set it comes from
    eval_set: str
    #: Debian binary packages that ship its source (never installed for training; dpkg-owned files dropped)
    packages: tuple[str, ...] = ()
    #: regular expressions searched in mined file paths
    paths: tuple[str, ...] = ()
    #: strings whose presence in the first 4 KiB of a C/C++ file marks a copy of the project
    markers: tuple[str, ...] = ()


_PY = r"/(?:dist-packages|site-packages|_vendor|vendored|vendor|_vendored|extern)/"
_GO = r"/gocode/src/"
_CRATE = r"/cargo/registry/"
_PHP = r"/share/php/"
_RUBY = r"/(?:vendor_ruby|site_ruby|\d+\.\d+\.\d+)/"  # library folders of /usr/lib/ruby (gems: by their folder)
_NODE = r"/(?:nodejs|node_modules|javascript)/"
_NPM = r"/src/(?:typescript|javascript)/"


def _py(*names: str) -> tuple[str, ...]:
    """A Python distribution's top-level package (and vendored copies of it)."""
    return tuple(rf"{_PY}{re.escape(n)}(?:/|\.py$)" for n in names)


def _node(*names: str) -> tuple[str, ...]:
    """An npm package under Debian's node folders or node_modules, or unpacked by `npm pack`
    (``<name>-<version>/`` with a scope written ``scope-name``)."""
    out = []
    for n in names:
        out.append(rf"{_NODE}{re.escape(n)}/")
        out.append(rf"{_NPM}{re.escape(n.lstrip('@').replace('/', '-'))}-\d[^/]*/")
    return tuple(out)


def _crate(*names: str) -> tuple[str, ...]:
    """A crate under Debian's cargo registry (``<name>-<version>/``)."""
    return tuple(rf"{_CRATE}{n}-\d[^/]*/" for n in names)


EXCLUSIONS: tuple[Exclusion, ...] = (
    # ---- semble-dev (shared/eval/semble-dev/repos.json)
    Exclusion("fastapi/fastapi", SEMBLE_DEV, ("python3-fastapi",), _py("fastapi")),
    Exclusion("pallets/flask", SEMBLE_DEV, ("python3-flask",), _py("flask")),
    Exclusion("encode/httpx", SEMBLE_DEV, ("python3-httpx",), _py("httpx")),
    Exclusion("pydantic/pydantic", SEMBLE_DEV, ("python3-pydantic",), _py("pydantic")),
    Exclusion("expressjs/express", SEMBLE_DEV, ("node-express",), _node("express")),
    Exclusion("gin-gonic/gin", SEMBLE_DEV, ("golang-github-gin-gonic-gin-dev",),
              (rf"{_GO}github\.com/gin-gonic/gin/",)),
    Exclusion("google/gson", SEMBLE_DEV, ("libgoogle-gson-java",), (r"/com/google/gson/",)),
    Exclusion("Seldaek/monolog", SEMBLE_DEV, ("php-monolog",), (rf"{_PHP}Monolog/",)),
    Exclusion("rack/rack", SEMBLE_DEV, ("ruby-rack",),
              (rf"{_RUBY}rack(?:\.rb$|/(?!protection(?:/|\.rb$)|test(?:/|\.rb$)|mock_session\.rb$))", r"/gems/rack-\d[^/]*/")),
    Exclusion("serde-rs/serde", SEMBLE_DEV, ("librust-serde-dev", "librust-serde-derive-dev",
                                             "librust-serde-derive-internals-dev"),
              _crate("serde", "serde_derive", "serde_derive_internals", "serde-derive", "serde-derive-internals")),
    Exclusion("colinhacks/zod", SEMBLE_DEV, ("node-zod",), _node("zod")),
    Exclusion("JamesNK/Newtonsoft.Json", SEMBLE_DEV, ("libnewtonsoft-json-cil-dev", "libnewtonsoft-json5.0-cil"),
              (r"/Newtonsoft\.Json/",)),
    Exclusion("fmtlib/fmt", SEMBLE_DEV, ("libfmt-dev",),
              (r"/include/fmt/", r"/fmt/bundled/", r"/fmt-\d[^/]*/include/fmt/"),
              ("Formatting library for C++",)),
    Exclusion("libuv/libuv", SEMBLE_DEV, ("libuv1-dev",), (r"/include/uv(?:/|\.h$)", r"/libuv[^/]*/src/")),
    # ---- the benchmark's other repositories (held out; named in issue 8)
    Exclusion("psf/requests", SEMBLE_HELD_OUT, ("python3-requests",), _py("requests")),
    Exclusion("aio-libs/aiohttp", SEMBLE_HELD_OUT, ("python3-aiohttp",), _py("aiohttp")),
    Exclusion("pallets/click", SEMBLE_HELD_OUT, ("python3-click",), _py("click")),
    Exclusion("encode/starlette", SEMBLE_HELD_OUT, ("python3-starlette",), _py("starlette")),
    Exclusion("MinishLab/model2vec", SEMBLE_HELD_OUT, (), _py("model2vec")),
    Exclusion("axios/axios", SEMBLE_HELD_OUT, ("node-axios",), _node("axios")),
    Exclusion("reduxjs/redux", SEMBLE_HELD_OUT, ("node-redux",), _node("redux")),
    Exclusion("date-fns/date-fns", SEMBLE_HELD_OUT, ("node-date-fns",), _node("date-fns")),
    Exclusion("trpc/trpc", SEMBLE_HELD_OUT, (), _node("@trpc/server", "@trpc/client", "@trpc/react-query",
                                                     "@trpc/next", "@trpc/tanstack-react-query")),
    Exclusion("vitest-dev/vitest", SEMBLE_HELD_OUT, (), _node("vitest", "@vitest/runner", "@vitest/expect",
                                                             "@vitest/spy", "@vitest/utils", "@vitest/snapshot")),
    Exclusion("spf13/cobra", SEMBLE_HELD_OUT, ("golang-github-spf13-cobra-dev",),
              (rf"{_GO}github\.com/spf13/cobra/",)),
    Exclusion("go-chi/chi", SEMBLE_HELD_OUT, ("golang-github-go-chi-chi-dev",), (rf"{_GO}github\.com/go-chi/chi/",)),
    Exclusion("apache/commons-lang", SEMBLE_HELD_OUT, ("libcommons-lang3-java", "libcommons-lang-java"),
              (r"/org/apache/commons/lang3?/",)),
    Exclusion("FasterXML/jackson-databind", SEMBLE_HELD_OUT, ("libjackson2-databind-java",),
              (r"/com/fasterxml/jackson/databind/",)),
    Exclusion("guzzle/guzzle", SEMBLE_HELD_OUT, ("php-guzzlehttp-guzzle",),
              (rf"{_PHP}GuzzleHttp/(?!Psr7/|Promise/)",)),
    Exclusion("laravel/framework", SEMBLE_HELD_OUT, ("php-laravel-framework",), (rf"{_PHP}Illuminate/",)),
    Exclusion("sinatra/sinatra", SEMBLE_HELD_OUT, ("ruby-sinatra", "ruby-rack-protection", "ruby-sinatra-contrib"),
              (rf"{_RUBY}sinatra(?:\.rb$|/)", rf"{_RUBY}rack/protection(?:\.rb$|/)",
               r"/gems/(?:sinatra|sinatra-contrib|rack-protection)-\d[^/]*/")),
    Exclusion("rails/rails", SEMBLE_HELD_OUT,
              ("ruby-actioncable", "ruby-actionmailbox", "ruby-actionmailer", "ruby-actionpack", "ruby-actiontext",
               "ruby-actionview", "ruby-activejob", "ruby-activemodel", "ruby-activerecord", "ruby-activestorage",
               "ruby-activesupport", "ruby-railties", "rails"),
              (rf"{_RUBY}(?:action_cable|action_mailbox|action_mailer|action_controller|action_dispatch|"
               r"abstract_controller|action_pack|action_text|action_view|active_job|active_model|active_record|"
               r"active_storage|active_support|arel|rails(?!/html/|/dom/))(?:\.rb$|/)",
               r"/gems/(?:actioncable|actionmailbox|actionmailer|actionpack|actiontext|actionview|activejob|"
               r"activemodel|activerecord|activestorage|activesupport|railties|rails)-\d[^/]*/")),
    Exclusion("tokio-rs/tokio", SEMBLE_HELD_OUT, ("librust-tokio-dev", "librust-tokio-macros-dev",
                                                 "librust-tokio-util-dev", "librust-tokio-stream-dev",
                                                 "librust-tokio-test-dev"),
              _crate("tokio", "tokio-macros", "tokio-util", "tokio-stream", "tokio-test")),
    Exclusion("tokio-rs/axum", SEMBLE_HELD_OUT, ("librust-axum-dev", "librust-axum-core-dev"),
              _crate("axum", "axum-core", "axum-macros", "axum-extra")),
    Exclusion("BurntSushi/ripgrep", SEMBLE_HELD_OUT,
              ("ripgrep", "librust-grep-dev", "librust-grep-cli-dev", "librust-grep-matcher-dev",
               "librust-grep-pcre2-dev", "librust-grep-printer-dev", "librust-grep-regex-dev",
               "librust-grep-searcher-dev", "librust-ignore-dev", "librust-globset-dev"),
              _crate("ripgrep", "grep", r"grep-[a-z0-9]+", "ignore", "globset")),
    Exclusion("DapperLib/Dapper", SEMBLE_HELD_OUT, (), (r"/Dapper(?:\.\w+)?/",)),
    Exclusion("MessagePack-CSharp/MessagePack-CSharp", SEMBLE_HELD_OUT, (), (r"/MessagePack(?:\.\w+)?/",)),
    Exclusion("nlohmann/json", SEMBLE_HELD_OUT, ("nlohmann-json3-dev", "nlohmann-json-dev"),
              (r"/include/nlohmann/", r"/nlohmann/json(?:_fwd)?\.hpp$"),
              ("JSON for Modern C++",)),
    Exclusion("abseil/abseil-cpp", SEMBLE_HELD_OUT, ("libabsl-dev",), (r"/include/absl/", r"/abseil[^/]*/absl/"),
              ("The Abseil Authors",)),
    Exclusion("curl/curl", SEMBLE_HELD_OUT, ("libcurl4-openssl-dev", "libcurl4-gnutls-dev", "libcurl4-nss-dev"),
              (r"/include/curl/", r"/curl-\d[^/]*/lib/")),
    Exclusion("redis/redis", SEMBLE_HELD_OUT, ("redis-server", "redis-tools", "redis-sentinel"),
              (r"/redis-\d[^/]*/src/",)),
)

#: CoSQA's functions are excluded one by one, not by project (see dataset.cosqa_fingerprints)
COSQA_NOTE = (COSQA, "every function of shared/eval/cosqa/corpus.json, exact match after whitespace "
                     "normalisation, with and without its docstring")

_C_FAMILY = (".c", ".h", ".cc", ".cpp", ".hpp", ".hh", ".ipp", ".cxx", ".hxx", ".inl")


class Matcher:
    """Says which exclusion, if any, a mined file belongs to."""

    def __init__(self, exclusions: tuple[Exclusion, ...] = EXCLUSIONS, owners: dict[str, str] | None = None):
        self.exclusions = exclusions
        self._paths = [(re.compile(p), e) for e in exclusions for p in e.paths]
        self._markers = [(m, e) for e in exclusions for m in e.markers]
        by_package = {pkg: e for e in exclusions for pkg in e.packages}
        self._owned = {path: by_package[pkg] for path, pkg in (owners or {}).items() if pkg in by_package}

    @classmethod
    def for_machine(cls, root: str = "/") -> "Matcher":
        return cls(owners=dpkg_owners(root))

    def by_path(self, path: str) -> Exclusion | None:
        """The exclusion a path belongs to by its location or its dpkg owner (no file is read)."""
        for rx, e in self._paths:
            if rx.search(path):
                return e
        return self._owned.get(path)

    def match(self, path: str) -> Exclusion | None:
        """``by_path``, then for C and C++ files the content markers."""
        e = self.by_path(path)
        if e is not None or not self._markers or not path.endswith(_C_FAMILY):
            return e
        try:
            with open(path, "rb") as f:
                head = f.read(4096).decode("utf-8", "replace")
        except OSError:
            return None
        for marker, ex in self._markers:
            if marker in head:
                return ex
        return None


def dpkg_owners(root: str = "/") -> dict[str, str]:
    """Installed path → Debian package, from dpkg's file lists."""
    owners: dict[str, str] = {}
    for lst in glob.glob(os.path.join(root, "var/lib/dpkg/info/*.list")):
        package = os.path.basename(lst)[:-len(".list")].split(":")[0]
        with open(lst, encoding="utf-8", errors="replace") as f:
            for line in f:
                owners[line.rstrip("\n")] = package
    return owners


def markdown_table() -> str:
    rows = ["| project | evaluation set | Debian packages | matched by |", "| --- | --- | --- | --- |"]
    for e in EXCLUSIONS:
        how = ", ".join(f"`{p}`" for p in e.paths) + ("; file header: " + ", ".join(f"“{m}”" for m in e.markers)
                                                       if e.markers else "")
        how = how.replace("|", "\\|")
        rows.append(f"| {e.project} | {e.eval_set} | {', '.join(e.packages) or '—'} | {how} |")
    rows.append(f"| CoSQA | {COSQA_NOTE[0]} | — | {COSQA_NOTE[1]} |")
    return "\n".join(rows)


def report_table(work: str) -> str:
    """Per entry, the files and the (doc, code) pairs that mining left out in the run under ``work``
    (``WORK/exclusions-mined.json``, written by the pipeline's mining stage)."""
    import json
    with open(os.path.join(work, "exclusions-mined.json")) as f:
        mined = json.load(f)
    files: dict[str, dict[str, int]] = {}
    pairs: dict[str, dict[str, int]] = {}
    for lang, r in mined.items():
        for project, n in r["excluded_files"].items():
            files.setdefault(project, {})[lang] = n
        for project, n in r["excluded_pairs"].items():
            pairs.setdefault(project, {})[lang] = n
    rows = ["| project | evaluation set | files left out | pairs dropped | by language |",
            "| --- | --- | ---: | ---: | --- |"]
    total_files = total_pairs = 0
    order = sorted(EXCLUSIONS, key=lambda e: (-sum(pairs.get(e.project, {}).values()),
                                              -sum(files.get(e.project, {}).values()), e.project))
    for e in order:
        nf, np_ = sum(files.get(e.project, {}).values()), sum(pairs.get(e.project, {}).values())
        total_files += nf
        total_pairs += np_
        langs = ", ".join(f"{lang} {n:,}" for lang, n in sorted(pairs.get(e.project, {}).items(), key=lambda x: -x[1]))
        rows.append(f"| {e.project} | {e.eval_set} | {nf:,} | {np_:,} | {langs or '—'} |")
    rows.append(f"| **all** | | **{total_files:,}** | **{total_pairs:,}** | |")
    return "\n".join(rows)


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--report":
        print(report_table(sys.argv[2]))
    elif len(sys.argv) == 1:
        print(markdown_table())
    else:
        print("usage: python3 -m codescout_train.exclusions [--report WORK]", file=sys.stderr)
        sys.exit(2)
