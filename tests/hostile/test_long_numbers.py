"""A number longer than Python reads as an int (4,300 digits) is a usage error or an unreadable fact.

Every entry point that reads a version, a driver or a count from untrusted text gets one 5,000-digit
number through the real CLI: a recorded machine (nvidia-smi's driver, the interpreter's Python and
torch versions), --facts and diagnose on a report, a requirement, --require, --policy, lint and the
--expect-* flags. The machine is a copy of the recorded ``ubuntu2204-gtx1080-rtx4090-535`` with its
numbers replaced; the collect_env report is the recorded ``2.4.0-wsl2-rtx4070-laptop.txt`` likewise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envdoctor import compat

REPO = Path(__file__).resolve().parents[2]
LONG = "9" * 5000
MACHINE = REPO / "tests" / "machines" / "ubuntu2204-gtx1080-rtx4090-535"
REPORT = REPO / "tests" / "fixtures" / "collect_env" / "2.4.0-wsl2-rtx4070-laptop.txt"


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "envdoctor", *args], capture_output=True, text=True, env=env,
                          input=stdin, timeout=300, check=False)


def _assert_clean(done: subprocess.CompletedProcess[str], codes: tuple[int, ...]) -> None:
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode in codes, (done.returncode, done.stderr[-2000:])


@pytest.fixture(scope="module")
def long_machine(tmp_path_factory) -> Path:
    """The recorded machine with a 5,000-digit driver, Python version and torch version."""
    folder = tmp_path_factory.mktemp("long") / "machine"
    shutil.copytree(MACHINE, folder)
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "README.md":
            text = path.read_text(encoding="utf-8", errors="replace")
            text = text.replace("535.183.01", f"{LONG}.183.01").replace("3.10.12", f"3.{LONG}")
            path.write_text(text.replace("2.1.2+cu121", f"2.{LONG}+cu121"), encoding="utf-8")
    assert LONG in (folder / "commands" / "01-nvidia-smi.stdout").read_text()
    return folder


@pytest.mark.parametrize("command", [["check"], ["check", "--json"], ["install", "--dry-run", "torch"]])
def test_a_machine_with_long_numbers_is_read_as_unknown(long_machine, command):
    _assert_clean(_cli(*command, "--machine", str(long_machine)), (0, 1))


def test_a_report_of_that_machine_is_read_by_facts_and_diagnose(long_machine, tmp_path):
    report = tmp_path / "report.json"
    report.write_text(_cli("check", "--json", "--machine", str(long_machine)).stdout)
    assert LONG in report.read_text()
    _assert_clean(_cli("install", "--dry-run", "--facts", str(report), "torch"), (0, 1))
    _assert_clean(_cli("diagnose", str(report)), (0, 1))


def test_a_collect_env_report_with_long_numbers_is_read(tmp_path):
    text = REPORT.read_text(encoding="utf-8")
    text = re.sub(r"[0-9]{2,}", LONG, text)
    text = re.sub(r"(CPU\(s\):\s*|GPU )[0-9]+", lambda m: m.group(1) + LONG, text)
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    _assert_clean(_cli("diagnose", str(path)), (0, 1))


@pytest.mark.parametrize("args", [
    ["install", "--dry-run", f"torch=={LONG}"],
    ["install", "--dry-run", f"numpy>={LONG}", "torch"],
    ["install", "--dry-run", "--driver", LONG, "torch"],
    ["install", "--dry-run", "--target-python", f"3.{LONG}", "torch"],
    ["check", "--require", f"driver>={LONG}"],
    ["check", "--require", f"torch>={LONG}"],
    ["check", "--require", f"gpus>={LONG}"],
    ["check", "--require", f"tflops.bf16>={LONG}"],
    ["verify", "--expect-gpus", LONG],
    ["verify", "--expect-cuda", f"{LONG}.0"],
    ["verify", "--expect-torch", f"=={LONG}"],
], ids=lambda args: " ".join(a[:24] for a in args))
def test_a_long_number_on_the_command_line_is_a_usage_error(args):
    _assert_clean(_cli(*args), (2,))


def test_a_long_number_in_a_policy_file_is_a_usage_error(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(f'require = ["driver>={LONG}"]\n')
    _assert_clean(_cli("check", "--policy", str(policy)), (2,))


@pytest.mark.parametrize("command", [f"pip install torch=={LONG}", f"conda install pytorch={LONG}",
                                     f"pip install 'numpy<{LONG}' torch"])
def test_lint_reads_a_long_version_as_no_version(command, tmp_path):
    _assert_clean(_cli("lint", command), (0, 1))
    script = tmp_path / "install.sh"
    script.write_text(command + "\n")
    _assert_clean(_cli("lint", "--file", str(script)), (0, 1))


def test_a_deeply_nested_policy_is_a_usage_error(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("require = " + "[" * 100_000 + "]" * 100_000 + "\n")
    done = _cli("check", "--policy", str(policy))
    _assert_clean(done, (2,))
    assert "nested too deeply" in done.stderr


@pytest.mark.parametrize("text, expected", [("0", 0), (" 12 ", 12), ("9" * 32, int("9" * 32)), ("9" * 33, None),
                                            ("²", None), ("١", None), ("1_0", None), ("-1", None), ("", None),
                                            (7, 7), (-7, None), (True, None), (None, None)])
def test_parse_count_reads_ascii_digits_only(text, expected):
    assert compat.parse_count(text) == expected


def test_the_version_parsers_refuse_long_runs():
    assert compat.parse_version("2." + "1" * 32) is not None
    assert compat.parse_version("2." + "1" * 33) is None
    assert compat.parse_driver(LONG) is None
    with pytest.raises(ValueError, match="longer than 32 digits"):
        compat.parse_requirement(f"torch=={LONG}")
    with pytest.raises(ValueError, match="longer than 32 digits"):
        compat.parse_specifier(f">={LONG}")
