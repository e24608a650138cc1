"""envdoctor diagnose: someone else's report in, the checklist and findings check would give out."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import FIXTURES_DIR, MACHINES_DIR
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import machines

from envdoctor.cli import cli
from envdoctor.diagnose import diagnose
from envdoctor.facts import TorchFacts
from envdoctor.readers import read_text
from envdoctor.recipes import load_recipes
from envdoctor.report import SCHEMA, Report
from envdoctor.rules import evaluate

REPORTS = FIXTURES_DIR / "collect_env"


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def run(*args, input=None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout


def run_json(*args, input=None):
    code, out = run(*args, "--json", input=input)
    return code, json.loads(out)


def ids(data):
    return {f["id"] for f in data["findings"]}


def test_a_report_is_judged_with_the_same_schema_as_check():
    code, data = run_json("diagnose", str(REPORTS / "2.6.0-ubuntu24.10-rtx5090d-cu126.md"))
    assert code == 1 == data["exit_code"]
    assert data["schema"] == SCHEMA and data["command"] == "diagnose"
    assert {"torch.no-kernels-for-gpu", "diagnose.incomplete"} <= ids(data)
    assert data["facts"]["nvidia"]["gpus"][0]["source"].startswith("report line 26: GPU 0: NVIDIA GeForce RTX 5090 D")


def test_the_fix_is_the_resolvers_command_for_that_machine():
    _, data = run_json("diagnose", str(REPORTS / "2.6.0-ubuntu24.10-rtx5090d-cu126.md"))
    finding = next(f for f in data["findings"] if f["id"] == "torch.no-kernels-for-gpu")
    (argv,) = finding["commands"]
    assert argv[:4] == ["python", "-m", "pip", "install"]
    variant = argv[argv.index("--index-url") + 1].rsplit("/", 1)[1]
    # an independent check against the report: an RTX 5090 D (sm_120) needs a CUDA 12.8+ build; the report's
    # driver 570.124.04 (R570) runs CUDA 12.8 fully and 12.x through minor-version compatibility (>= 525.60.13):
    # the newest torch with a CUDA 12 build carrying sm_120 SASS is 2.13.0 cu129 (2.12 dropped cu128; whl/cu129 ends at 2.13.0)
    assert variant == "cu129"


def test_a_report_without_the_driver_asks_for_the_flags_it_lacks():
    text = (REPORTS / "2.6.0-ubuntu24.10-rtx5090d-cu126.md").read_text(encoding="utf-8")
    text = text.replace("Nvidia driver version: 570.124.04", "Nvidia driver version: Could not collect")
    _, data = run_json("diagnose", "-", input=text)
    finding = next(f for f in data["findings"] if f["id"] == "torch.no-kernels-for-gpu")
    assert "--driver" in finding["fix"]
    code, data = run_json("diagnose", "-", "--driver", "575.51.03", input=text)
    finding = next(f for f in data["findings"] if f["id"] == "torch.no-kernels-for-gpu")
    assert "--driver VERSION" not in (finding["fix"] or "") and finding["commands"][0][:3] == ["python", "-m", "pip"]
    assert data["facts"]["overrides"] == ["--driver 575.51.03"]


def test_a_cut_report_with_no_gpu_lines_says_what_to_add():
    _, data = run_json("diagnose", str(REPORTS / "2.3.0-rocm6.0-wget-preamble.txt"))
    assert data["facts"]["nvidia"]["status"] == "unknown"
    assert "diagnose.incomplete" in ids(data) and data["exit_code"] == 0


def test_healthy_reports_get_no_error():
    for name in ("generated-2.13.0-cpu-linux.txt", "2.4.0-wsl2-rtx4070-laptop.txt", "2.10.0-macos13-arm64-nightly.md",
                 "2.7.0-rocm6.3-gentoo-details.md", "1.7.0-colab-t4-unfenced.txt"):
        code, data = run_json("diagnose", str(REPORTS / name))
        assert [f["id"] for f in data["findings"] if f["severity"] == "error"] == [], name
        assert code == 0


@pytest.mark.parametrize("name, finding", [
    ("2.6.0-ubuntu24.10-rtx5090d-cu126.md", "torch.no-kernels-for-gpu"),
    ("2.0.1-windows11-gtx1050ti.txt", "torch.companion-mismatch"),
    ("1.13.0-macos12.2-arm64-mps-unavailable.txt", "apple.mps-unavailable"),
    ("2.6.0a0-macos15-x86_64-python-on-apple-m2.md", "python.rosetta"),
    ("1.5.0-windows-server-quoted.md", "diagnose.unread"),
])
def test_real_reports_reach_their_cause(name, finding):
    _, data = run_json("diagnose", str(REPORTS / name))
    assert finding in ids(data)


def test_text_output_says_what_was_read_then_the_checklist():
    code, out = run("diagnose", str(REPORTS / "2.0.1-windows11-gtx1050ti.txt"), "--color", "never")
    first, second = out.split("\n")[:2]
    assert first.startswith("read a torch.utils.collect_env report, 49 lines from ")
    assert second.startswith("envdoctor ") and "windows-x86_64 · python 3.9.16" in second
    assert "torchvision 0.15.2 is the cpu build" in out and code == 1
    assert "· None" not in out


def test_text_in_which_nothing_is_recognised_says_so_and_what_to_paste():
    code, data = run_json("diagnose", "-", input="Hello, my torch does not work, please help\n")
    assert code == 0 == data["exit_code"]
    (finding,) = [f for f in data["findings"] if f["id"] == "diagnose.nothing-recognised"]
    assert finding["severity"] == "warning" and finding["commands"] == [["python", "-m", "torch.utils.collect_env"]]
    strict_code, _ = run_json("diagnose", "-", "--strict", input="Hello, my torch does not work, please help\n")
    assert strict_code == 1


def test_binary_input_is_a_usage_error(tmp_path):
    path = tmp_path / "core"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    code, data = run_json("diagnose", str(path))
    assert code == 2 and "binary data, not text" in data["error"]


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"PyTorch version: \xff\xfe", "not UTF-8"),
    (b"x" * (8 * 1024 * 1024 + 1), "larger than"),
])
def test_bad_files_are_usage_errors(tmp_path, content, message):
    path = tmp_path / "report.txt"
    if content is not None:
        path.write_bytes(content)
    code, data = run_json("diagnose", str(path))
    assert code == 2 and message in data["error"] and str(path) in data["error"]


def test_a_symlinked_report_is_refused(tmp_path):
    (tmp_path / "real.txt").write_text((REPORTS / "generated-2.13.0-cpu-linux.txt").read_text(encoding="utf-8"))
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    code, data = run_json("diagnose", str(tmp_path / "link.txt"))
    assert code == 2 and "symbolic link" in data["error"]


def test_standard_input_is_bounded():
    code, data = run_json("diagnose", "-", input="x" * (8 * 1024 * 1024 + 10))
    assert code == 2 and "larger than" in data["error"]


def test_a_recorded_folder_is_diagnosed_like_check_machine():
    code, data = run_json("diagnose", str(MACHINES_DIR / "wsl2-rtx4070"))
    _, checked = run_json("check", "--machine", str(MACHINES_DIR / "wsl2-rtx4070"))
    assert code == 1 and ids(data) == ids(checked)


def comparable(findings):
    return [(f["id"], f["severity"], f["subject"], f["message"]) for f in findings]


@pytest.mark.parametrize("machine", sorted(p.name for p in MACHINES_DIR.iterdir() if p.is_dir()))
def test_a_check_json_report_diagnoses_to_the_same_findings_as_check(machine, tmp_path):
    code, checked = run_json("check", "--machine", str(MACHINES_DIR / machine))
    report = tmp_path / "report.json"
    report.write_text(json.dumps(checked), encoding="utf-8")
    diagnosed_code, diagnosed = run_json("diagnose", str(report))
    assert comparable(diagnosed["findings"]) == comparable(checked["findings"])
    assert diagnosed_code == code


TORCHES = st.sampled_from([None, ("2.5.1+cu124", "12.4"), ("2.13.0+cpu", None), ("2.7.1+cu128", "12.8"),
                           ("1.13.1+cu117", "11.7"), ("2.0.1", "11.7")])


@given(machine=machines(), torch=TORCHES)
@settings(max_examples=60)
def test_property_check_json_in_same_findings_out(machine, torch):
    recipes = load_recipes()
    facts = machine.facts()
    if torch:
        facts.torch = TorchFacts(status="ok", version=torch[0], cuda=torch[1], installer="pip", copies=["/site"],
                                 location="/site", source="dist-info + /site/torch/version.py")
    checked = Report("check", facts, evaluate(facts, recipes))
    reading = read_text(json.dumps(checked.to_dict()), "report.json")
    diagnosed = diagnose(reading, recipes, "report.json")
    assert [(f.id, f.severity, f.message) for f in diagnosed.findings] == [
        (f.id, f.severity, f.message) for f in checked.findings]


def test_diagnose_starts_no_process(tmp_path):
    """A report from someone else is only read: no tool of this machine runs (a spy nvidia-smi would say)."""
    marker = tmp_path / "ran"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("nvidia-smi", "nvcc", "rocminfo", "python3", "sysctl"):
        spy = bin_dir / tool
        spy.write_text(f"#!/bin/sh\necho {tool} >> {marker}\n")
        spy.chmod(0o755)
    done = subprocess.run([sys.executable, "-m", "envdoctor", "diagnose", str(REPORTS / "2.4.0-wsl2-rtx4070-laptop.txt")],
                          env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
