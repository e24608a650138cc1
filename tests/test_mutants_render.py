"""The renderings' shared steps and lint's text, compared whole with hand-written output."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from envdoctor.facts import Finding
from envdoctor.lint import Judged
from envdoctor.render.lint import render_lint_text
from envdoctor.render.printable import (
    MAX_DEPTH,
    TOO_DEEP,
    _pointer_token,
    format_number,
    printable,
    scrub,
    strip_controls,
)

SECRET_URL = "https://user:s3cret@mirror.example/simple"


def judged() -> list[Judged]:
    wrong = Finding("lint.cuda-too-new", "error", "torch", "cu128 needs driver 570; this machine has 535", subject="x",
                    evidence=["source: the NVIDIA CUDA release notes, table 3", "driver 535.104.05 (nvidia-smi)"])
    note = Finding("lint.unpinned", "warning", "torch", "torch is not pinned")
    return [
        Judged("Dockerfile:3", "pip install torch", [note, wrong], ["pip", "install", "torch==2.5.1", "--index-url",
                                                                   SECRET_URL], "the same release, cu121"),
        Judged("Dockerfile:5", "pip install numpy"),
        Judged("setup.sh:1", "pip install torch==9.9", [note], None, "torch 9.9 does not exist"),
        Judged("setup.sh:2", "pip install torch", [Finding("lint.info", "info", "torch", "fine")]),
    ]


def test_lint_text_whole_unicode():
    assert render_lint_text(judged(), "lint \x1b[31mfor\x1b[0m this machine", "1 error, 2 warnings", color=False,
                            ascii_only=False) == "\n".join([
        "lint for this machine",
        "[✗] Dockerfile:3  pip install torch",
        "    [!] torch is not pinned  (lint.unpinned)",
        "    [✗] cu128 needs driver 570; this machine has 535  (lint.cuda-too-new)",
        "        ↳ source: the NVIDIA CUDA release notes, table 3",
        "    → instead (the same release, cu121)",
        "        $ pip install torch==2.5.1 --index-url https://user:****@mirror.example/simple",
        "[✓] Dockerfile:5  pip install numpy",
        "[!] setup.sh:1  pip install torch==9.9",
        "    [!] torch is not pinned  (lint.unpinned)",
        "    → no command fits: torch 9.9 does not exist",
        "[i] setup.sh:2  pip install torch",
        "    [i] fine  (lint.info)",
        "",
        "1 error, 2 warnings",
    ])


def test_lint_text_whole_ascii_verbose_quiet():
    assert render_lint_text(judged(), "lint", "done ✓", color=False, ascii_only=True, verbose=1,
                            quiet=True) == "\n".join([
        "lint",
        "[FAIL] Dockerfile:3  pip install torch",
        "    [warn] torch is not pinned  (lint.unpinned)",
        "    [FAIL] cu128 needs driver 570; this machine has 535  (lint.cuda-too-new)",
        "        why: source: the NVIDIA CUDA release notes, table 3",
        "        why: driver 535.104.05 (nvidia-smi)",
        "    -> instead (the same release, cu121)",
        "        $ pip install torch==2.5.1 --index-url https://user:****@mirror.example/simple",
        "[warn] setup.sh:1  pip install torch==9.9",
        "    [warn] torch is not pinned  (lint.unpinned)",
        "    -> no command fits: torch 9.9 does not exist",
        "[info] setup.sh:2  pip install torch",
        "    [info] fine  (lint.info)",
        "",
        "done ok",
    ])


def test_an_instead_without_a_note_and_colour():
    item = Judged("f:1", "pip install torch", [Finding("a.b", "error", "torch", "m")], ["pip", "install", "torch"])
    assert render_lint_text([item], "h", "s", color=True, ascii_only=False) == (
        "h\n\x1b[31m\x1b[1m[✗]\x1b[0m f:1  pip install torch\n    \x1b[31m\x1b[1m[✗]\x1b[0m m  (a.b)\n    → instead\n"
        "        $ pip install torch\n\ns")


@pytest.mark.parametrize(("text", "stripped"), [
    ("a\x1b[1;31mb\x1b[0mc", "abc"),
    ("a\x1b]8;;https://x.example\x07link\x1b]8;;\x07", "alink"),
    ("a\x1b]0;title\x1b\\b", "ab"),
    ("a\x1bP1$r\x1b\\b", "ab"),
    ("a\x1b(Bb", "ab"),
    ("tab\tnew\nline\r\x00\x07\x7f\x85end", "tab\tnew\nlineend"),
    ("\u202eevil\u2066x\u2069", "evilx"),
    ("plain ✓ text", "plain ✓ text"),
])
def test_terminal_controls_are_stripped(text, stripped):
    assert strip_controls(text) == stripped


def test_printable_strips_then_masks():
    assert printable(f"\x1b[2J{SECRET_URL}\x1b[0m") == "https://user:****@mirror.example/simple"


@dataclass
class Node:
    name: str
    value: float
    children: list[object] = field(default_factory=list)
    tags: tuple[str, ...] = ()


def test_scrub_whole_with_non_finite_recorded():
    found: list[tuple[str, str]] = []
    value = Node("a\x1b[0m", float("nan"), [{"k/~\x1b[1m": float("inf"), 3: -float("inf")}, True, None, 2, 1.5],
                 ("t\x07",))
    assert scrub(value, strip_controls, found) == Node("a", None, [{"k/~": None, 3: None}, True, None, 2, 1.5],  # type: ignore[arg-type]
                                                       ("t",))
    assert found == [("/value", "nan"), ("/children/0/k~1~0", "inf"), ("/children/0/3", "-inf")]


def test_scrub_keeps_non_finite_without_a_list_and_strings_other_objects():
    value = scrub({"x": float("inf"), "y": object.__new__(type("Odd", (), {"__str__": lambda self: "odd\x1b[0m"}))},
                  strip_controls)
    assert value == {"x": float("inf"), "y": "odd"}


@dataclass
class Box:
    inner: object


@pytest.mark.parametrize("wrap", [lambda v: [v], lambda v: {"k": v}, Box], ids=["list", "dict", "dataclass"])
def test_nesting_is_cut_at_max_depth_in_every_container(wrap):
    deep: object = "leaf"
    for _ in range(MAX_DEPTH):
        deep = wrap(deep)
    assert scrub(deep, str) == deep
    assert scrub(wrap(deep), str) != wrap(deep)
    cut: object = scrub(wrap(deep), str)
    for _ in range(MAX_DEPTH):
        cut = cut[0] if isinstance(cut, list) else cut["k"] if isinstance(cut, dict) else cut.inner  # type: ignore[attr-defined]
    assert cut == TOO_DEEP


def test_a_printable_report_is_the_report_stripped_and_masked():
    from envdoctor.render.printable import printable_report
    from envdoctor.report import Report

    report = Report(command="check", findings=[Finding("x.y", "warning", "torch", f"\x1b[31mvia {SECRET_URL}",
                                                       evidence=["nan", "\u202eok"])], duration_s=float("nan"))
    out = printable_report(report)
    assert out.findings == [Finding("x.y", "warning", "torch", "via https://user:****@mirror.example/simple",
                                    evidence=["nan", "ok"])]
    assert (out.command, out.duration_s != out.duration_s) == ("check", True)  # NaN kept for format_number
    assert report.findings[0].message.startswith("\x1b[31m")


def test_nesting_is_cut_at_max_depth():
    deep: object = "leaf"
    for _ in range(MAX_DEPTH):
        deep = [deep]
    kept = scrub(deep, str)
    assert kept == deep
    cut = scrub([deep], str)
    inner = cut
    for _ in range(MAX_DEPTH):
        inner = inner[0]
    assert inner == TOO_DEEP


@pytest.mark.parametrize(("key", "token"), [("a/b~c", "a~1b~0c"), ("~/", "~0~1"), (7, "7"), ("\x1b[1mk", "k")])
def test_pointer_tokens_follow_rfc_6901(key, token):
    assert _pointer_token(key) == token


@pytest.mark.parametrize(("value", "spec", "text"), [
    (1.23456, ".2f", "1.23"), (3, "d", "3"), (float("nan"), ".1f", "nan"), (float("-inf"), ".1f", "-inf"),
    (True, ".1f", "?"), (None, ".1f", "?"), ("1.0", ".1f", "?"),
])
def test_numbers_are_formatted_and_anything_else_reads_a_question_mark(value, spec, text):
    assert format_number(value, spec) == text


def test_json_is_strict_and_names_each_non_finite_value():
    from envdoctor.render.json import render_json
    from envdoctor.report import Report

    report = Report(command="check", findings=[Finding("x.y", "info", "torch", f"via {SECRET_URL}")])
    document = json.loads(render_json(report))
    assert document["findings"][0]["message"] == "via https://user:****@mirror.example/simple"
    assert document["non_finite"] == []
    text = render_json(Report(command="check", duration_s=float("-inf")))
    assert text == json.dumps(json.loads(text), indent=2)
    assert json.loads(text)["non_finite"] == [{"path": "/duration_s", "value": "-inf"}]
