"""An install that is refused says so with the plan it refused, never on the Python row.

Each case runs the real command on a real venv: uv absent from PATH with --manager uv, a loopback index
answering 404, and --manager conda for a venv. The Python row must read as it does for `check`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from install_servers import Index, clean_env

from envdoctor.report import ExitCode

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX venv layout")
ROOT = Path(__file__).resolve().parents[1]
ENTRY = [sys.executable, "-c", "from envdoctor.entry import main; main()"]


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("refusal") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=300,
                   capture_output=True)
    return str(folder / "bin" / "python")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # PATH holds the system's programs only: no uv, no conda
    env = clean_env(PATH=os.pathsep.join(p for p in ("/usr/bin", "/bin") if os.path.isdir(p)))
    return subprocess.run([*ENTRY, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
                          stdin=subprocess.DEVNULL)


def refused_both_ways(venv: str, *args: str) -> tuple[str, dict]:
    common = ["install", "torch==2.13.0", "--no-gpu", "--python", venv, "--yes", "--no-verify", *args]
    text, as_json = run(*common), run(*common, "--json")
    assert text.returncode == as_json.returncode == ExitCode.PROBLEMS, text.stderr[-2000:]
    return text.stdout, json.loads(as_json.stdout)


def python_row(text: str) -> str:
    return next(line for line in text.splitlines() if line.lstrip().startswith(("[✓] Python ", "[✗] Python ")))


def not_run_block(text: str) -> list[str]:
    """The lines between the plan's "Not run" heading and its "Why"."""
    lines = text.splitlines()
    start = lines.index("  Not run")
    return lines[start + 1: lines.index("  Why", start)]


def check_placement(text: str, data: dict, venv: str, message: str, advice: str) -> None:
    assert python_row(text) == f"  [✓] Python           {data['facts']['python']['version']} (cpython) · venv · {venv}"
    assert not_run_block(text) == [f"      [✗] {message}  (install.refused)", f"          → {advice}"]
    refusal = [f for f in data["findings"] if f["id"] == "install.refused"]
    assert [(f["area"], f["subject"], f["message"], f["fix"]) for f in refusal] == [("install", "install", message, advice)]
    assert data["error"] == message and data["plan"]["run"] is None  # the schema's keys, as before


def test_a_missing_uv_is_said_with_the_plan(venv):
    text, data = refused_both_ways(venv, "--manager", "uv")
    check_placement(text, data, venv, "uv is not installed (not found on PATH)",
                    "install uv, or pick another manager with --manager")


def test_a_conda_plan_for_a_venv_is_said_with_the_plan(venv):
    text, data = refused_both_ways(venv, "--manager", "conda")
    note = data["plan"]["command_notes"]["conda"]
    check_placement(text, data, venv, f"conda cannot install this plan: {note}", "pick another with --manager")


def test_an_index_that_answers_404_is_said_with_the_plan(venv):
    with Index([], root="whl", answer=404) as index:
        text, data = refused_both_ways(venv, "--mirror", index.url)
    message = next(f["message"] for f in data["findings"] if f["id"] == "install.refused")
    assert message.startswith("the PyTorch index (") and message.endswith(
        "(404): it does not serve this there; is the mirror's path or layout right?")
    advice = next(f["fix"] for f in data["findings"] if f["id"] == "install.refused")
    check_placement(text, data, venv, message, advice)
