"""What ``readers/__init__.py`` records of a reading: its attempt and its one-line description, compared whole.

The collect_env report is a real one (tests/fixtures/collect_env/README.md names its source); the envdoctor
report is made here from empty facts; the pasted line is torch's own message for a build without kernels
for the GPU (``RuntimeError: CUDA error: no kernel image is available for execution on the device``).
"""

from __future__ import annotations

import json
from pathlib import Path

from envdoctor.facts import Attempt, Facts
from envdoctor.readers import Reading, read_text
from envdoctor.report import Report

REPORT = Path(__file__).parent / "fixtures" / "collect_env" / "1.10.2-conda-cuda10.2-libraries-only.txt"
NO_KERNEL = "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"


def test_a_paste_with_a_message_and_one_without():
    assert read_text(NO_KERNEL, "p.txt").facts.os.attempts[0] == Attempt("p.txt", "ok", "pasted text")
    assert read_text("hello\n", "p.txt").facts.os.attempts[0] == Attempt("p.txt", "empty", "pasted text")


def test_a_report_records_its_reading():
    text = json.dumps(Report("check", Facts()).to_dict())
    assert read_text(text, "r.json").facts.os.attempts[-1] == Attempt("r.json", "ok", "an envdoctor --json report")
    collect_env = read_text(REPORT.read_text(encoding="utf-8"), "r.txt")
    assert collect_env.facts.os.attempts[0] == Attempt("r.txt", "ok", "a torch.utils.collect_env report")


def test_a_reading_described_in_one_line():
    assert Reading("paste", Facts(), lines=3, unread=["line 2: x (not a field)"]).describe() == (
        "pasted text, 3 lines, 1 not read, 0 message(s) recognised")
    assert Reading("collect_env", Facts(), lines=1).describe() == "a torch.utils.collect_env report, 1 line"
