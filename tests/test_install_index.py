"""Mirrors and "does the chosen index answer": --mirror values, the preset data, the door's bounded HTTP
request (loopback servers only), and the verdicts the install shows before any installer runs."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from envdoctor.door import HttpResult, LiveDoor, http_get
from envdoctor.install import index_pages, judge_index
from envdoctor.mirrors import choose, preset_names
from envdoctor.recipes import LAYOUTS, load_recipes, validate
from envdoctor.urls import index_url_problem

ROOT = Path(__file__).resolve().parents[1]
RECIPES = load_recipes()


# ---------------------------------------------------------------------------- presets and --mirror


def test_every_preset_cites_its_own_page_and_says_its_layout():
    assert {"sjtu", "tuna", "ustc"} <= set(preset_names(RECIPES))
    for preset in RECIPES.mirror_presets:
        assert preset.layout in LAYOUTS and preset.serves in ("pytorch", "pypi")
        assert preset.source.startswith("https://") and index_url_problem(preset.source) is None
        assert index_url_problem(preset.url) is None and preset.note
    sjtu = RECIPES.presets("SJTU")[0]
    assert (sjtu.serves, sjtu.url, sjtu.layout) == ("pytorch", "https://mirror.sjtu.edu.cn/pytorch-wheels", "simple")


def test_mirror_values_name_presets_urls_or_a_pypi_index():
    both = choose(["sjtu", "tuna"], RECIPES)
    assert both.pytorch is not None and both.pytorch.replacement == "https://mirror.sjtu.edu.cn/pytorch-wheels"
    assert both.pytorch.prefix == RECIPES.index_base and both.pypi == "https://pypi.tuna.tsinghua.edu.cn/simple"
    assert (both.pytorch_from, both.pypi_from) == ("--mirror sjtu", "--mirror tuna")
    url = choose(["http://127.0.0.1:8080/whl/"], RECIPES)
    assert url.pytorch is not None and url.pytorch.replacement == "http://127.0.0.1:8080/whl" and url.pypi is None
    assert choose(["pypi=https://pypi.example/simple"], RECIPES).pypi == "https://pypi.example/simple"


@pytest.mark.parametrize("values, message", [
    (["nosuch"], "no such preset (known: sjtu, tuna, ustc)"),
    (["http://mirror.example/whl"], "plain http is allowed only to"),
    (["pypi=https://a.example\\@b/simple"], "backslash"),
    (["sjtu", "https://other.example/whl"], "already names the PyTorch index mirror"),
    (["tuna", "ustc"], "already names the PyPI mirror"),
])
def test_bad_mirror_values_are_usage_errors(values, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        choose(values, RECIPES)
    args = [a for value in values for a in ("--mirror", value)]
    done = subprocess.run([sys.executable, "-m", "envdoctor", "install", "--dry-run", "--no-gpu", *args, "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2 and json.loads(done.stdout)["exit_code"] == 2


@pytest.mark.parametrize("row, problem", [
    ('{ name = "x", serves = "pytorch", url = "https://m.example/whl", layout = "simple" }', "documentation page"),
    ('{ name = "x", serves = "pytorch", url = "https://m.example/whl", source = "https://m.example/help" }', "'layout'"),
    ('{ name = "x", serves = "conda", url = "https://m.example/whl", layout = "simple", source = "https://m.example/h" }',
     "'serves'"),
    ('{ name = "x", serves = "pypi", url = "http://m.example/simple", layout = "simple", source = "https://m.example/h" }',
     "plain http"),
    ('{ name = "X Y", serves = "pypi", url = "https://m.example/simple", layout = "simple", source = "https://m.example/h" }',
     "'name'"),
])
def test_a_preset_without_a_source_or_a_layout_is_a_recipe_problem(tmp_path, row, problem):
    (tmp_path / "mirrors.toml").write_text(f'schema = "envdoctor.recipes.mirrors/1"\npreset = [{row}]\n')
    problems = validate(tmp_path)
    assert len(problems) == 1 and problem in problems[0] and "mirrors.toml" in problems[0]


def test_an_overlay_preset_replaces_the_built_in_one_of_its_name(tmp_path):
    (tmp_path / "mirrors.toml").write_text(
        'schema = "envdoctor.recipes.mirrors/1"\npreset = [{ name = "sjtu", serves = "pytorch", '
        'url = "https://inside.example/whl", layout = "find-links", source = "https://inside.example/help" }]\n')
    recipes = load_recipes([tmp_path])
    assert [p.url for p in recipes.presets("sjtu")] == ["https://inside.example/whl"]
    assert choose(["sjtu"], recipes).pytorch.layout == "find-links"


# ---------------------------------------------------------------------------- the door's HTTP request


class Server:
    """A loopback server whose answer per path is set by the test; it records what it was asked."""

    def __init__(self, routes):
        self.routes, self.requests = routes, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                status, headers, body = server.routes.get(self.path, (404, {}, b""))
                if status == "hang":
                    threading.Event().wait(30)
                    return
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value.replace("PORT", str(server.port)))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    made = []

    def make(routes):
        made.append(Server(routes))
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_an_answer_is_read_bounded(server):
    s = server({"/simple/torch/": (200, {}, b"x" * 5000), "/missing/": (404, {}, b"nope")})
    ok = LiveDoor().http_get(s.url("/simple/torch/"), 5, limit=1000)
    assert (ok.status, ok.code, len(ok.body)) == ("answered", 200, 1000)
    missing = http_get(s.url("/missing/"), 5)
    assert (missing.status, missing.code) == ("answered", 404)


def test_redirects_are_followed_only_where_the_guard_allows(server):
    s = server({"/a": (302, {"Location": "http://127.0.0.1:PORT/b"}, b""), "/b": (200, {}, b"ok"),
                "/out": (302, {"Location": "http://mirror.example/whl"}, b""),
                "/loop": (302, {"Location": "http://127.0.0.1:PORT/loop"}, b"")})
    followed = http_get(s.url("/a"), 5)
    assert followed.status == "answered" and followed.code == 200 and followed.final_url.endswith("/b")
    refused = http_get(s.url("/out"), 5)
    assert refused.status == "refused" and "mirror.example" in refused.error
    loop = http_get(s.url("/loop"), 5)
    assert loop.status == "answered" and loop.code == 302  # urllib stops the loop; no verdict says it answered
    assert not judge_index("the index", loop).ok


def test_no_answer_is_said_as_such(server):
    s = server({"/slow": ("hang", {}, b"")})
    assert http_get(s.url("/slow"), 0.5).status == "timed_out"
    closed = Server({})
    closed.close()
    assert http_get(closed.url("/x"), 5).status == "unreachable"
    assert http_get("http://mirror.example/simple/", 5).status == "refused"  # never fetched


# ---------------------------------------------------------------------------- which pages, which verdicts


def test_the_pages_asked_for_follow_the_layout():
    plan = {"indexes": {"torch": {"url": "https://m.example/whl/cu126", "layout": "simple", "mirror": "--mirror m"},
                        "others": {"url": "https://p.example/simple", "from": "--mirror p"}},
            "changes": [{"package": "torch"}, {"package": "transformers"}]}
    assert index_pages(plan) == [("the PyTorch index (--mirror m)", "https://m.example/whl/cu126/torch/"),
                                 ("the PyPI mirror (--mirror p)", "https://p.example/simple/transformers/")]
    plan["indexes"]["torch"]["layout"] = "find-links"
    assert index_pages(plan)[0][1] == "https://m.example/whl/cu126"
    assert index_pages({"indexes": {"torch": None, "others": {"url": None}}}) == []


@pytest.mark.parametrize("result, ok, words", [
    (HttpResult("u", "answered", 200), True, "answers (200)"),
    (HttpResult("u", "answered", 401), True, "credentials"),
    (HttpResult("u", "answered", 404), False, "(404)"),
    (HttpResult("u", "answered", 503), False, "answers 503"),
    (HttpResult("u", "tls", error="certificate verify failed"), True, "certificate"),
    (HttpResult("u", "unreachable", error="Connection refused"), False, "does not answer"),
    (HttpResult("u", "timed_out", error="no answer within 8.0 s"), False, "no answer in time"),
])
def test_verdicts(result, ok, words):
    check = judge_index("the PyTorch index", result)
    assert check.ok is ok and words in check.message
