"""`envdoctor install --dry-run --command`: the one line a script runs, and nothing else on stdout.

The real command runs against a real venv (no torch) and the interpreter running the tests (torch 2.13.0
CPU). The POSIX lines are checked by splitting them the way a POSIX shell does (:func:`shlex.split`); the
PowerShell line is written out by hand.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from install_servers import clean_env

from envdoctor.report import ExitCode

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX venv layout")
ROOT = Path(__file__).resolve().parents[1]
ENTRY = [sys.executable, "-c", "from envdoctor.entry import main; main()"]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # the PyTorch index of the CPU builds, as published


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("command") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=300,
                   capture_output=True)
    return str(folder / "bin" / "python")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ENTRY, "install", "--dry-run", "--no-gpu", *args], capture_output=True, text=True, cwd=ROOT,
                          env=clean_env(), timeout=300, stdin=subprocess.DEVNULL)


def test_the_posix_line_chains_every_step_and_is_all_of_stdout(venv):
    done = run("torch==2.13.0", "six", "--python", venv, "--command")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.endswith("\n") and done.stdout.count("\n") == 1
    assert shlex.split(done.stdout) == [venv, "-m", "pip", "install", "torch==2.13.0", "--index-url", CPU_INDEX, "&&",
                                        venv, "-m", "pip", "install", "torch==2.13.0", "six"]


def test_the_line_for_powershell_runs_the_next_step_only_after_success(venv):
    done = run("torch==2.13.0", "six", "--python", venv, "--command", "--shell", "powershell")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (f"{venv} -m pip install torch==2.13.0 --index-url {CPU_INDEX}; "
                           f"if ($?) {{ {venv} -m pip install torch==2.13.0 six }}\n")


def test_uv_gives_its_own_line(venv):
    done = run("torch==2.13.0", "--python", venv, "--manager", "uv", "--command")
    assert (done.returncode, done.stderr) == (0, "")
    assert shlex.split(done.stdout) == ["uv", "pip", "install", "--python", venv, "torch==2.13.0", "--index-url",
                                        CPU_INDEX]


@pytest.mark.parametrize("args, code, reason", [
    (["torch==1.0"], ExitCode.PROBLEMS, "no torch build fits this machine: "),
    (["--manager", "conda"], ExitCode.PROBLEMS, "conda cannot install this plan: "),
    (["--mirror", "https://user:s3cret@mirror.example/whl"], ExitCode.PROBLEMS,
     "the command holds a credential or a control character, which envdoctor does not print"),
])
def test_no_line_means_nothing_on_stdout_and_the_reason_on_stderr(venv, args, code, reason):
    done = run("--python", venv, "--command", *args)
    assert (done.returncode, done.stdout) == (code, "")
    assert done.stderr.startswith(f"envdoctor: {reason}") and done.stderr.count("\n") == 1
    assert "s3cret" not in done.stderr


@pytest.mark.needs_torch
def test_nothing_to_do_prints_nothing_and_succeeds():
    done = run("torch==2.13.0", "--python", sys.executable, "--command")  # this interpreter has torch 2.13.0+cpu
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "envdoctor: nothing to do: the installed torch "
                                                                  "already fits\n")


@pytest.mark.parametrize("args, message", [
    (["--command"], "--command prints the plan's command line: add --dry-run"),
    (["--dry-run", "--command", "--json"], "--command prints a command line, --json a report: pick one"),
    (["--dry-run", "--command", "--emit", "uv"], "--command prints a command line, --emit a file: pick one"),
    (["--dry-run", "--shell", "cmd"], "--shell only applies to --command"),
])
def test_contradictions_are_usage_errors(args, message):
    done = subprocess.run([*ENTRY, "install", "--no-gpu", *args], capture_output=True, text=True, cwd=ROOT,
                          env=clean_env(), timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == ExitCode.USAGE and f"Error: {message}\n" in done.stderr
    assert done.stdout == "" or "--json" in args  # with --json the error is the one JSON document, as always
