"""Rendering: colour rules, ASCII fallback, marks follow findings, JSON keeps every key."""

from __future__ import annotations

import json

import pytest

from envdoctor.facts import Check, Facts, Finding, Gpu, NvidiaFacts, PythonFacts, TorchFacts
from envdoctor.render import TOO_DEEP, can_encode, render_json, render_text, strip_controls, use_color
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


def rich_report() -> Report:
    """Every part of the text rendering at once: facts, findings, checks with metrics, a plan."""
    report = report_with_cpu_torch_on_gpu()
    report.checks = [Check("cpu.matmul.float32", "pass", message="matches", duration_s=0.01,
                           metrics={"tflops": 0.2, "peak_tflops": 1.0, "fraction_of_peak": 0.2, "max_abs_error": 1e-6},
                           details={"note": "fine"})]
    report.plan = {"ok": True, "action": "reinstall", "torch": "2.13.0", "variant": "cu124",
                   "index_url": "https://download.pytorch.org/whl/cu124",
                   "commands": {"pip": ["python", "-m", "pip", "install", "torch"], "conda": None},
                   "command_notes": {"conda": "no build"}, "reasons": [{"decision": "d", "evidence": "e"}],
                   "rejected": [{"variant": "cpu", "why": "GPU present"}], "warnings": ["w"], "alternatives": []}
    report.findings_gate = False
    report.duration_s = 0.5
    return report


@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_ascii_only_output_is_pure_ascii(verbose):
    """Oracle independent of the symbol table: with ASCII data in, nothing but ASCII comes out."""
    text = render_text(rich_report(), color=False, ascii_only=True, verbose=verbose)
    assert text.isascii(), sorted({c for c in text if not c.isascii()})
    assert "<= 12.4" in text and "[ok]" in text


def test_can_encode_asks_for_every_symbol():
    import io

    for encoding, expected in (("utf-8", True), ("cp1252", False), ("latin-1", False), ("ascii", False)):
        assert can_encode(io.TextIOWrapper(io.BytesIO(), encoding=encoding)) is expected
    assert can_encode(None) is False


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("plain text", "plain text"),
        ("red\x1b[31mtext\x1b[0m", "redtext"),
        ("title\x1b]0;owned\x07after", "titleafter"),
        ("title\x1b]8;;https://x.example\x1b\\link\x1b]8;;\x1b\\", "titlelink"),
        ("dcs\x1bPq#0;2;0;0;0\x1b\\end", "dcsend"),
        ("c1\x9b31mred", "c131mred"),
        ("bell\x07 cr\r del\x7f nul\x00", "bell cr del nul"),
        ("keep\ttab\nnewline", "keep\ttab\nnewline"),
        ("bidi\u202egnp.exe", "bidignp.exe"),
        ("lone escape at the end\x1b", "lone escape at the end"),
        ("unfinished \x1b[1234", "unfinished 1234"),
    ],
)
def test_strip_controls(raw, shown):
    assert strip_controls(raw) == shown


def test_strip_controls_is_linear():
    """Many unfinished sequences: each alternative stops at the next ESC, so this returns at once
    (a quadratic pattern would take minutes on 200k sequences)."""
    hostile = "\x1b[" + "1" * 10 + "\x1b]" * 100_000 + "\x1bP" * 100_000
    assert strip_controls(hostile) == "1" * 10


def test_every_value_is_stripped_and_masked_in_text_but_the_report_keeps_it():
    report = rich_report()
    secret_url = "https://user:s3cret@mirror.example/whl/cu124"
    report.plan["index_url"] = secret_url
    report.plan["commands"]["pip"] += ["--index-url", secret_url]
    report.facts.nvidia.gpus[0].name = "RTX\x1b]0;owned\x07 4090"
    report.findings[0].message = "bad \x1b[2J thing ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    text = render_text(report, color=True, ascii_only=False, verbose=2)
    assert "s3cret" not in text and "user:****@mirror.example" in text
    assert "owned" not in text and "RTX 4090" in text
    assert "ghp_" not in text and "bad  thing ****" in text
    assert "\x1b[2J" not in text
    assert report.plan["commands"]["pip"][-1] == secret_url  # the argv that runs keeps the real URL
    data = json.loads(render_json(report))
    assert "s3cret" not in json.dumps(data) and "ghp_" not in json.dumps(data)
    assert data["facts"]["nvidia"]["gpus"][0]["name"] == "RTX\x1b]0;owned\x07 4090"  # JSON escapes, keeps


def test_json_is_strict_whatever_the_values():
    report = rich_report()
    report.checks[0].metrics.update(tflops=float("nan"), max_abs_error=float("inf"), gb_per_s=float("-inf"))
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    report.checks[0].details["deep"] = deep
    text = render_json(report)
    data = json.loads(text, parse_constant=lambda name: pytest.fail(name))
    assert data["checks"][0]["metrics"]["tflops"] is None and data["checks"][0]["metrics"]["max_abs_error"] is None
    assert TOO_DEEP in text
    rendered = render_text(report, False, False, verbose=1)  # text keeps nan readable and survives the depth
    assert "nan TFLOP/s" in rendered


def test_dry_run_summary_counts_findings_as_context():
    report = rich_report()
    last = render_text(report, False, False).splitlines()[-1]
    assert last.startswith("plan found · the environment as probed has 1 error(s) (context for the plan, see above)")
    assert report.exit_code == ExitCode.OK and report.to_dict()["findings_gate"] is False
    report.plan["ok"] = False
    assert render_text(report, False, False).splitlines()[-1].startswith("no build fits · the environment as probed")
    assert report.exit_code == ExitCode.PROBLEMS
    report.plan = {"ok": True, "action": "nothing_to_do"}
    report.findings, report.checks = [], []
    assert render_text(report, False, False).splitlines()[-1].startswith("nothing to do   (")
    check = report_with_cpu_torch_on_gpu()
    assert render_text(check, False, False).splitlines()[-1].startswith("1 error(s)   (")


#: Every number a verify check carries (README's JSON table names the metrics), each given the same value.
CHECK_METRICS = ("tflops", "peak_tflops", "fraction_of_peak", "gb_per_s", "max_abs_error", "algbw_gb_per_s",
                 "busbw_gb_per_s", "import_s")


def broken_gpu_report(value: float, status: str) -> Report:
    """A verify run on a GPU that measures ``value`` for everything (a broken GPU gives NaN TFLOP/s)."""
    check = Check("matmul", status, "fp32 matmul", "measured", duration_s=value, details={"elements": value},
                  metrics=dict.fromkeys(CHECK_METRICS, value))
    return Report("verify", None, [], checks=[check], duration_s=value)


@pytest.mark.parametrize("value, shown", [(float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf")])
@pytest.mark.parametrize("status", ["pass", "fail"])
def test_text_shows_nan_and_infinities_as_they_are(value, shown, status):
    text = render_text(broken_gpu_report(value, status), False, False, verbose=1)
    mark = "✓" if status == "pass" else "✗"
    assert text.splitlines()[:3] == [
        "Verify",
        f"  [{mark}] matmul  {shown:>8} ms  measured · {shown} TFLOP/s of {shown} peak ({shown}%) · {shown} GB/s"
        f" · max err {shown} · import {shown} s",
        f"        ↳ elements: {shown}",
    ]


@pytest.mark.parametrize("value, shown", [(float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf")])
def test_json_writes_null_and_says_which_values_were_not_finite(value, shown):
    data = json.loads(render_json(broken_gpu_report(value, "fail")), parse_constant=lambda name: pytest.fail(name))
    check = data["checks"][0]
    assert check["metrics"] == dict.fromkeys(CHECK_METRICS, None)
    assert check["duration_s"] is None and check["details"] == {"elements": None} and data["duration_s"] is None
    assert data["non_finite"] == [{"path": "/checks/0/duration_s", "value": shown},
                                  {"path": "/checks/0/details/elements", "value": shown}] + [
        {"path": f"/checks/0/metrics/{name}", "value": shown} for name in CHECK_METRICS] + [
        {"path": "/duration_s", "value": shown}]


def test_json_of_finite_values_lists_nothing_as_non_finite():
    report = broken_gpu_report(2.5, "pass")
    data = json.loads(render_json(report))
    assert data["non_finite"] == [] and data["checks"][0]["metrics"]["tflops"] == 2.5


def test_a_metric_another_rank_sent_as_null_reads_as_unknown():
    report = broken_gpu_report(1.0, "pass")
    report.checks[0].metrics = {"tflops": None, "peak_tflops": 10.0, "fraction_of_peak": None}
    line = render_text(report, False, False).splitlines()[1]
    assert line == "  [✓] matmul    1000.0 ms  measured · ? TFLOP/s of 10 peak (?%)"
