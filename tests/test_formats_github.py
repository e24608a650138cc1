"""--format github: workflow-command annotations and the job summary.

The oracle for escaping is the runner's own parser, written out here from actions/runner
(src/Runner.Common/ActionCommand.cs, ``TryParseV2``, ``UnescapeData``, ``UnescapeProperty``): a line
starting with ``::``, the command and its properties up to the next ``::``, properties split on
``,`` and ``=``, then the message; each unescaped by replacing the escape codes in the runner's order.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from conftest import MACHINES_DIR
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.cli import cli
from envdoctor.facts import Check, Facts, Finding
from envdoctor.render.github import SUMMARY_LIMIT, annotation, annotation_lines, job_summary, render_github
from envdoctor.report import Report

DATA_CODES = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
PROPERTY_CODES = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))


def unescape(text: str, codes) -> str:
    for code, token in codes:
        text = text.replace(code, token)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str] | None:
    """actions/runner's TryParseV2, for the commands envdoctor writes."""
    line = line.lstrip()
    if not line.startswith("::"):
        return None
    end = line.find("::", 2)
    if end < 0:
        return None
    info = line[2:end]
    name, _, props = info.partition(" ")
    properties = {}
    for item in [p for p in props.strip().split(",") if p]:
        key, equals, value = item.partition("=")
        if equals and key and value:
            properties[key] = unescape(value, PROPERTY_CODES)
    return name, properties, unescape(line[end + 2:], DATA_CODES)


HOSTILE = st.lists(st.sampled_from(list("ab:,%\r\n=;]0ADC2F5 ") + ["::", "%25", "%0A", "\u2028"]),
                   max_size=20).map("".join)


@given(title=HOSTILE, message=HOSTILE)
def test_the_runner_reads_back_exactly_what_was_written(title, message):
    line = annotation("error", title, message)
    assert "\n" not in line and "\r" not in line
    assert parse_command(line) == ("error", {"title": title.strip()} if title.strip() else {}, message)


def hostile_report() -> Report:
    finding = Finding("torch.cpu-build-on-gpu", "error", "torch", "bad:: thing, 100%\nsecond line\r\x1b[31m",
                      fix="run: x, y", commands=[["envdoctor", "install", "--dry-run"]])
    warning = Finding("cuda.toolkit-newer-than-driver", "warning", "cuda", "token ghp_abcdefghijklmnopqrstuvwxyz0123 here")
    return Report("check", Facts(), [finding, warning],
                  checks=[Check("cuda:0.matmul.float32", "fail", message="wrong | answer <b>")])


def test_annotations_carry_every_problem_as_one_line_each():
    lines = annotation_lines(hostile_report())
    assert len(lines) == 3
    parsed = [parse_command(line) for line in lines]
    assert [p[0] for p in parsed] == ["error", "warning", "error"]
    assert parsed[0][1]["title"] == "envdoctor torch.cpu-build-on-gpu"
    assert parsed[0][2].splitlines()[:2] == ["bad:: thing, 100%", "second line"]  # the terminal escape is gone
    assert "$ envdoctor install --dry-run" in parsed[0][2]
    assert "ghp_" not in parsed[1][2]  # secrets are masked here too
    assert parsed[2][1]["title"] == "envdoctor verify cuda:0.matmul.float32"


def test_strict_turns_warning_annotations_into_errors():
    report = hostile_report()
    report.strict = True
    assert [parse_command(line)[0] for line in annotation_lines(report)] == ["error", "error", "error"]


def test_job_summary_cells_cannot_break_the_table_or_open_html():
    summary = job_summary(hostile_report())
    tables = [line for line in summary.splitlines() if line.startswith("| ")]
    findings = tables[tables.index("|  | id | message | fix |") + 1:]
    for row in findings[:2]:  # the two findings: 4 cells each, however hostile the text
        assert row.replace("\\|", "").count("|") == 5
    assert "<b>" not in summary and "&lt;b&gt;" in summary
    assert "wrong \\| answer" in summary
    assert "ghp_" not in summary


def test_job_summary_is_bounded():
    findings = [Finding(f"x.id-{i}", "error", "torch", "m" * 2000) for i in range(2000)]
    summary = job_summary(Report("check", Facts(), findings))
    assert len(summary.encode("utf-8")) <= SUMMARY_LIMIT


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_format_github_prints_the_text_then_annotations_and_appends_the_summary(tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = invoke("check", "--machine", str(MACHINES_DIR / "wsl2-rtx4070"), "--format", "github",
                    "--require", "gpus>=2", env={"GITHUB_STEP_SUMMARY": str(summary), "FORCE_COLOR": "1"})
    assert result.exit_code == 1
    assert "\x1b[" not in result.stdout  # annotations are read by the runner: no colour codes
    commands = [parse_command(line) for line in result.stdout.splitlines() if line.startswith("::")]
    titles = {c[1]["title"] for c in commands}
    assert titles == {"envdoctor torch.cpu-build-on-gpu", "envdoctor policy.requirement-unmet"}
    text = summary.read_text()
    assert text.startswith("earlier step\n### envdoctor check: failed")
    assert "| ❌ | gpus&gt;=2 | 1 |" in text  # HTML-escaped, as GitHub renders it back


def test_format_github_without_the_summary_variable_writes_no_file(tmp_path):
    result = invoke("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--format", "github",
                    env={"GITHUB_STEP_SUMMARY": ""})
    assert result.exit_code == 0
    assert not any(line.startswith("::") for line in result.stdout.splitlines())


@pytest.mark.parametrize("kind", ["symlink", "directory", "fifo", "missing-folder"])
def test_a_summary_file_that_cannot_take_it_costs_only_the_summary(tmp_path, kind):
    target = tmp_path / "elsewhere.md"
    target.write_text("untouched\n")
    path = tmp_path / "summary.md"
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path = tmp_path / "no" / "such" / "summary.md"
    result = invoke("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--format", "github",
                    env={"GITHUB_STEP_SUMMARY": str(path)})
    assert result.exit_code == 0
    assert "no job summary written" in result.stderr
    assert target.read_text() == "untouched\n"


def test_format_json_is_json_and_contradictions_are_usage_errors():
    machine = str(MACHINES_DIR / "debian12-no-gpu")
    assert json.loads(invoke("check", "--machine", machine, "--format", "json").stdout)["command"] == "check"
    result = invoke("check", "--machine", machine, "--format", "github", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["exit_code"] == 2  # --json still gets its one document
    result = invoke("check", "--machine", machine, "--format=json", "--require", "torch>>2")
    assert result.exit_code == 2 and json.loads(result.stdout)["exit_code"] == 2


#: Every number a verify check carries (README's JSON table names the metrics).
CHECK_METRICS = ("tflops", "peak_tflops", "fraction_of_peak", "gb_per_s", "max_abs_error", "algbw_gb_per_s",
                 "busbw_gb_per_s", "import_s")


@pytest.mark.parametrize("value, shown", [(float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf")])
@pytest.mark.parametrize("status, mark", [("pass", "✅"), ("fail", "❌")])
def test_a_broken_gpus_nan_and_infinities_show_as_they_are(value, shown, status, mark):
    check = Check("matmul", status, message="measured", duration_s=value, details={"elements": value},
                  metrics=dict.fromkeys(CHECK_METRICS, value))
    report = Report("verify", None, checks=[check], duration_s=value)
    summary = job_summary(report)
    assert f"| {mark} | matmul | measured · {shown} TFLOP/s · busbw {shown} GB/s |" in summary.splitlines()
    log = render_github(report, ascii_only=False, verbose=1)
    assert f"{shown} TFLOP/s of {shown} peak ({shown}%)" in log
    assert f"        ↳ elements: {shown}" in log.splitlines()
