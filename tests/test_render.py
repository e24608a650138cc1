"""Rendering: colour rules, ASCII fallback, marks follow findings, JSON keeps every key."""

from __future__ import annotations

import json

import pytest

from envdoctor.facts import Check, Facts, Finding, Gpu, NvidiaFacts, PythonFacts, TorchFacts
from envdoctor.render import render_json, render_text, use_color
from envdoctor.report import SCHEMA, ExitCode, Report


@pytest.mark.parametrize(
    "choice, env, tty, expected",
    [
        ("auto", {}, True, True),
        ("auto", {}, False, False),
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"NO_COLOR": ""}, True, True),
        ("auto", {"FORCE_COLOR": "1"}, False, True),
        ("auto", {"TERM": "dumb"}, True, False),
        ("always", {"NO_COLOR": "1"}, False, True),
        ("never", {"FORCE_COLOR": "1"}, True, False),
    ],
)
def test_color_rules(choice, env, tty, expected):
    assert use_color(choice, env, tty) is expected


def report_with_cpu_torch_on_gpu() -> Report:
    facts = Facts()
    facts.os.system, facts.os.arch, facts.os.distro_name = "Linux", "x86_64", "Ubuntu 22.04.4 LTS"
    facts.python = PythonFacts(status="ok", executable="/usr/bin/python3", version="3.10.12", implementation="cpython")
    facts.nvidia = NvidiaFacts(status="ok", driver_version="550.54.15", driver_max_cuda="12.4", source="nvidia-smi",
                               gpus=[Gpu("nvidia", 0, "NVIDIA GeForce RTX 4090", compute_capability="8.9",
                                         memory_total_mib=24564)])
    facts.torch = TorchFacts(status="ok", version="2.13.0+cpu", local="cpu", installer="pip", location="/site")
    finding = Finding("torch.cpu-build-on-gpu", "error", "torch", "CPU build on a GPU box", fix="reinstall",
                      commands=[["envdoctor", "install"]], evidence=["torch/version.py cuda = None"],
                      subject="torch")
    return Report("check", facts, [finding])


def test_text_marks_the_torch_line_with_its_finding():
    text = render_text(report_with_cpu_torch_on_gpu(), color=False, ascii_only=False)
    torch_line = next(line for line in text.splitlines() if line.strip().startswith("[✗] torch"))
    assert "2.13.0+cpu" in torch_line
    assert "[✓] NVIDIA driver" in text and "supports CUDA ≤ 12.4" in text
    assert "$ envdoctor install" in text
    assert "\x1b[" not in text
    assert "1 error(s)" in text.splitlines()[-1]
    assert "torch/version.py cuda = None" not in text  # evidence only with -v
    assert "torch/version.py cuda = None" in render_text(report_with_cpu_torch_on_gpu(), False, False, verbose=1)


def test_ascii_marks_and_colour_codes():
    report = report_with_cpu_torch_on_gpu()
    plain = render_text(report, color=False, ascii_only=True)
    assert "[FAIL] torch" in plain and "✓" not in plain and "→" not in plain
    coloured = render_text(report, color=True, ascii_only=False)
    assert "\x1b[" in coloured


def test_quiet_keeps_only_problems():
    text = render_text(report_with_cpu_torch_on_gpu(), color=False, ascii_only=False, quiet=True)
    assert "NVIDIA driver" not in text
    assert "[✗] torch" in text


def test_json_has_every_key_and_the_exit_code():
    report = report_with_cpu_torch_on_gpu()
    data = json.loads(render_json(report))
    assert data["schema"] == SCHEMA
    assert set(data) >= {"schema", "schema_version", "envdoctor_version", "command", "ok", "exit_code",
                         "facts", "findings", "checks", "plan", "summary", "error"}
    assert data["exit_code"] == ExitCode.PROBLEMS and data["ok"] is False
    assert data["findings"][0]["id"] == "torch.cpu-build-on-gpu"
    assert data["facts"]["nvidia"]["gpus"][0]["compute_capability"] == "8.9"
    assert data["plan"] is None and data["checks"] == []


def test_warnings_fail_only_under_strict_and_failed_checks_fail():
    report = Report("check", Facts(), [Finding("x.y", "warning", "system", "w")])
    assert report.exit_code == ExitCode.OK
    report.strict = True
    assert report.exit_code == ExitCode.PROBLEMS
    verify = Report("verify", None, checks=[Check("cpu.matmul.float32", "pass"), Check("cpu.autograd", "fail")])
    assert verify.exit_code == ExitCode.PROBLEMS
    assert "1 failed" in render_text(verify, False, False)
