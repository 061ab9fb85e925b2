"""Checks of the exclusion list's matching (run by ``run.sh`` before every run, the CI smoke run included):

    cd training && /usr/bin/python3 -m unittest codescout_train.test_exclusions
"""
from __future__ import annotations

import json
import os
import tempfile
import unittest

from .dataset import load_clean_pairs
from .exclusions import EXCLUSIONS, Matcher, report_table

DP = "/usr/lib/python3/dist-packages"


def project(m: Matcher, path: str) -> str | None:
    e = m.match(path)
    return e.project if e else None


class PathMatching(unittest.TestCase):
    m = Matcher()

    def test_every_entry_names_a_set_and_a_way_to_match(self):
        for e in EXCLUSIONS:
            self.assertTrue(e.eval_set, e.project)
            self.assertTrue(e.paths or e.packages, e.project)

    def test_python_distributions_and_vendored_copies(self):
        self.assertEqual(project(self.m, f"{DP}/flask/app.py"), "pallets/flask")
        self.assertEqual(project(self.m, f"{DP}/pydantic/main.py"), "pydantic/pydantic")
        self.assertEqual(project(self.m, f"{DP}/pip/_vendor/requests/api.py"), "psf/requests")
        self.assertEqual(project(self.m, f"{DP}/botocore/vendored/requests/exceptions.py"), "psf/requests")
        self.assertEqual(project(self.m, f"{DP}/click/core.py"), "pallets/click")

    def test_python_near_names_stay(self):
        for path in (f"{DP}/flask_sqlalchemy/model.py", f"{DP}/click_plugins/core.py",
                     f"{DP}/requests_oauthlib/oauth2_session.py", f"{DP}/redis/client.py",
                     f"{DP}/curl/__init__.py", f"{DP}/pony/flask/__init__.py", f"{DP}/sphinx/util/requests.py"):
            self.assertIsNone(project(self.m, path), path)

    def test_go_modules_and_crates(self):
        self.assertEqual(project(self.m, "/usr/share/gocode/src/github.com/gin-gonic/gin/gin.go"), "gin-gonic/gin")
        self.assertEqual(project(self.m, "/usr/share/gocode/src/github.com/spf13/cobra/command.go"), "spf13/cobra")
        self.assertIsNone(project(self.m, "/usr/share/gocode/src/github.com/spf13/viper/viper.go"))
        self.assertEqual(project(self.m, "/usr/share/cargo/registry/tokio-1.24.2/src/lib.rs"), "tokio-rs/tokio")
        self.assertEqual(project(self.m, "/usr/share/cargo/registry/tokio-util-0.7.3/src/lib.rs"), "tokio-rs/tokio")
        self.assertEqual(project(self.m, "/usr/share/cargo/registry/serde_derive-1.0.152/src/de.rs"), "serde-rs/serde")
        self.assertEqual(project(self.m, "/usr/share/cargo/registry/grep-searcher-0.1.11/src/lib.rs"),
                         "BurntSushi/ripgrep")
        self.assertEqual(project(self.m, "/usr/share/cargo/registry/globset-0.4.9/src/lib.rs"), "BurntSushi/ripgrep")
        for path in ("/usr/share/cargo/registry/serde_json-1.0.87/src/lib.rs",
                     "/usr/share/cargo/registry/tokio-rustls-0.23.4/src/lib.rs",
                     "/usr/share/cargo/registry/serde_urlencoded-0.7.1/src/lib.rs"):
            self.assertIsNone(project(self.m, path), path)

    def test_php_ruby_and_npm(self):
        self.assertEqual(project(self.m, "/usr/share/php/Illuminate/Support/Str.php"), "laravel/framework")
        self.assertEqual(project(self.m, "/usr/share/php/GuzzleHttp/Client.php"), "guzzle/guzzle")
        self.assertIsNone(project(self.m, "/usr/share/php/GuzzleHttp/Psr7/Uri.php"))
        self.assertIsNone(project(self.m, "/usr/share/php/Laravel/SerializableClosure/SerializableClosure.php"))
        gems = "/usr/share/rubygems-integration/all/gems"
        self.assertEqual(project(self.m, f"{gems}/rack-2.2.22/lib/rack/request.rb"), "rack/rack")
        self.assertEqual(project(self.m, f"{gems}/activerecord-6.1.7.10/lib/active_record/base.rb"), "rails/rails")
        self.assertEqual(project(self.m, f"{gems}/rack-protection-3.0.5/lib/rack/protection/base.rb"),
                         "sinatra/sinatra")
        self.assertIsNone(project(self.m, f"{gems}/rack-test-2.0.2/lib/rack/mock_session.rb"))
        self.assertIsNone(project(self.m, f"{gems}/rails-html-sanitizer-1.4.4/lib/rails/html/sanitizer.rb"))
        self.assertEqual(project(self.m, "/usr/share/nodejs/express/lib/router/index.js"), "expressjs/express")
        self.assertIsNone(project(self.m, "/usr/share/nodejs/express-session/index.js"))
        self.assertEqual(project(self.m, "/w/.work/src/typescript/zod-4.6.7/package/src/v4/core/schemas.ts"),
                         "colinhacks/zod")
        self.assertIsNone(project(self.m, "/w/.work/src/typescript/reduxjs-toolkit-2.14.0/package/src/createSlice.ts"))

    def test_cpp_folders(self):
        self.assertEqual(project(self.m, "/usr/include/nlohmann/json.hpp"), "nlohmann/json")
        self.assertEqual(project(self.m, "/usr/include/absl/base/attributes.h"), "abseil/abseil-cpp")
        self.assertEqual(project(self.m, "/usr/include/spdlog/fmt/bundled/core.h"), "fmtlib/fmt")
        self.assertIsNone(project(self.m, "/no/such/dir/spdlog/logger.h"))


class OwnerAndMarkerMatching(unittest.TestCase):
    def test_a_file_of_an_excluded_debian_package_goes_wherever_it_lies(self):
        m = Matcher(owners={"/opt/odd/place/app.py": "python3-flask", "/opt/odd/other.py": "python3-numpy"})
        self.assertEqual(project(m, "/opt/odd/place/app.py"), "pallets/flask")
        self.assertIsNone(project(m, "/opt/odd/other.py"))

    def test_a_copied_single_header_is_found_by_its_header_line(self):
        with tempfile.TemporaryDirectory() as d:
            copy = os.path.join(d, "thirdparty", "json.hpp")
            os.makedirs(os.path.dirname(copy))
            with open(copy, "w") as f:
                f.write("/*\n    __ _____ _____ _____\n |  |   __|     |   | |  JSON for Modern C++\n*/\n")
            own = os.path.join(d, "thirdparty", "mine.hpp")
            with open(own, "w") as f:
                f.write("// a header of the package's own\n")
            script = os.path.join(d, "notes.py")
            with open(script, "w") as f:
                f.write("# JSON for Modern C++ is a library\n")
            m = Matcher()
            self.assertEqual(project(m, copy), "nlohmann/json")
            self.assertIsNone(project(m, own))
            self.assertIsNone(project(m, script))  # markers are read in C and C++ files only


class Cleaning(unittest.TestCase):
    def test_cleaning_drops_excluded_pairs_that_reached_the_mined_pairs(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "pairs"))
            corpus = os.path.join(d, "corpus.json")
            with open(corpus, "w") as f:
                json.dump({"def unrelated():\n    return 1\n": 0}, f)
            rows = [("add", f"{DP}/flask/helpers.py", "Adds two numbers together here."),
                    ("mul", f"{DP}/numpy/core/x.py", "Multiplies two numbers together here.")]
            with open(os.path.join(d, "pairs", "python.jsonl"), "w") as f:
                for name, path, doc in rows:
                    code = f"def {name}(a, b):\n    return a + b if '{name}' == 'add' else a * b"
                    f.write(json.dumps({"lang": "python", "name": name, "doc": doc, "code": code,
                                        "full": code, "path": path}) + "\n")
            pairs, report = load_clean_pairs(os.path.join(d, "pairs"), corpus)
            self.assertEqual([p["name"] for p in pairs], ["mul"])
            self.assertEqual(report.excluded["python"], 1)
            self.assertEqual(report.kept["python"], 1)


class Report(unittest.TestCase):
    def test_the_report_sums_files_and_pairs_per_entry(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "exclusions-mined.json"), "w") as f:
                json.dump({"python": {"excluded_files": {"pallets/flask": 3}, "excluded_pairs": {"pallets/flask": 7}},
                           "go": {"excluded_files": {"gin-gonic/gin": 2}, "excluded_pairs": {"gin-gonic/gin": 5}}}, f)
            table = report_table(d)
        self.assertIn("| pallets/flask | semble-dev | 3 | 7 | python 7 |", table)
        self.assertIn("| gin-gonic/gin | semble-dev | 2 | 5 | go 5 |", table)
        self.assertIn("| **all** | | **5** | **12** | |", table)


if __name__ == "__main__":
    unittest.main()
