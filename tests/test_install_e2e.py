"""`envdoctor install` for real: plan, confirm, run, re-check, with real pip into real venvs.

Two loopback indexes serve real wheels from disk (see tests/install_servers.py): one plays the PyTorch
index (the torch 2.13.0 CPU wheel and its dependencies, under ``/whl/cpu/``), the other plays PyPI
(``PIP_INDEX_URL``: six, opt-einsum and torch's dependencies, but no torch). Which index served which
file is read from the servers' request logs. One install (about a minute on 2 cores) is shared by the
tests that look at its result; the others refuse before anything is installed, or use a spy ``uv``.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from install_servers import EXTRA_DEPENDENCIES, TORCH_DEPENDENCIES, Index, clean_env, local_wheels, torch_wheel

from envdoctor.recipes import load_recipes
from envdoctor.report import ExitCode

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX venv layout, a pty and shell-script spies")
ROOT = Path(__file__).resolve().parents[1]
ENTRY = [sys.executable, "-c", "from envdoctor.entry import main; main()"]
WHEEL = torch_wheel()
#: The newest release in the data, which an unconstrained plan names (read here, so a data update moves it).
NEWEST = load_recipes().releases[0].version
needs_wheel = pytest.mark.skipif(WHEEL is None, reason="no torch-2.13.0+cpu wheel for this Python on disk "
                                                       "(set ENVDOCTOR_TEST_WHEELS)")


@pytest.fixture(scope="module")
def pytorch_index():
    """The loopback PyTorch index: torch 2.13.0+cpu and its dependencies (as the real one serves them)."""
    if WHEEL is None:
        pytest.skip("no torch wheel on disk")
    with Index([WHEEL, *local_wheels(TORCH_DEPENDENCIES + EXTRA_DEPENDENCIES)], root="whl") as index:
        yield index


@pytest.fixture(scope="module")
def pypi_index():
    """The loopback index playing PyPI: everything but torch."""
    with Index(local_wheels(("six", *TORCH_DEPENDENCIES, *EXTRA_DEPENDENCIES)), root="simple") as index:
        yield index


def run(*args: str, stdin=subprocess.DEVNULL, env: dict | None = None, timeout: float = 900):
    return subprocess.run([*ENTRY, *args], stdin=stdin, capture_output=True, text=True, cwd=ROOT,
                          env=env or clean_env(), timeout=timeout)


def make_venv(folder: Path, with_pip: bool) -> str:
    subprocess.run([sys.executable, "-m", "venv", *([] if with_pip else ["--without-pip"]), str(folder)], check=True,
                   timeout=300, capture_output=True)
    return str(folder / "bin" / "python")


def imports(python: str, code: str) -> str:
    return subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=300).stdout.strip()


# ---------------------------------------------------------------------------- the install, once


@pytest.fixture(scope="module")
def installed(tmp_path_factory, pytorch_index, pypi_index):
    """`envdoctor install 'torch[opt-einsum]==2.13.0' six --yes` into a fresh venv: (python, JSON report).

    pip runs with ``PIP_NO_COMPILE`` (a setting users have too): bytecode for torch's thousands of modules
    is a large part of pip's time on a small machine and no test reads it; what is imported later is
    compiled on import as usual.
    """
    python = make_venv(tmp_path_factory.mktemp("e2e") / "venv", with_pip=True)
    pytorch_index.requests.clear()
    pypi_index.requests.clear()
    done = run("install", "torch[opt-einsum]==2.13.0", "six", "--no-gpu", "--python", python,
               "--mirror", pytorch_index.url, "--yes", "--json",
               env=clean_env(PIP_INDEX_URL=pypi_index.url, PIP_NO_COMPILE="1"))
    assert done.returncode == ExitCode.OK, done.stderr[-4000:]
    return python, json.loads(done.stdout), done.stderr


#: The tests that read the one real install go to one worker together.
INSTALLED = pytest.mark.xdist_group("install-e2e")


@INSTALLED
@needs_wheel
def test_yes_installs_and_the_report_shows_the_new_state(installed):
    python, data, stderr = installed
    assert data["ok"] is True and data["exit_code"] == 0 and data["error"] is None
    assert data["facts"]["torch"]["version"] == "2.13.0+cpu"  # probed again after the install
    run_record = data["plan"]["run"]
    assert run_record["succeeded"] and run_record["applied"] and run_record["confirmed"] == "--yes"
    assert run_record["before"]["torch"] is None and run_record["after"]["torch"] == "2.13.0+cpu"
    assert [step["returncode"] for step in run_record["steps"]] == [0, 0]
    assert run_record["index_checks"][0]["ok"] is True
    assert data["checks"] and not [c for c in data["checks"] if c["status"] == "fail"]
    assert data["summary"]["fail"] == 0 and data["findings_gate"] is True
    assert "running pip, step 1/2" in stderr and "Successfully installed" in stderr  # the installer's own output streamed
    assert imports(python, "import torch, six, opt_einsum; print(torch.__version__)") == "2.13.0+cpu"


@INSTALLED
@needs_wheel
def test_each_requirement_came_from_the_right_index(installed, pytorch_index, pypi_index):
    """torch only from the PyTorch index; six and the extra's dependency only from the user's index."""
    assert "torch" in pytorch_index.fetched()
    assert {"six", "opt-einsum"} <= pypi_index.fetched()
    assert "torch" not in pypi_index.fetched()
    assert not {"six", "opt-einsum"} & pytorch_index.fetched()
    steps = installed[1]["plan"]["run"]["steps"]
    assert steps[0]["argv"][-2:] == ["--index-url", f"{pytorch_index.url}/cpu"]
    assert "--index-url" not in steps[1]["argv"] and "torch[opt-einsum]==2.13.0" in steps[1]["argv"]


@INSTALLED
@needs_wheel
def test_an_older_healthy_install_is_kept_and_the_newer_one_named(installed):
    python, _, _ = installed
    done = run("install", "--no-gpu", "--python", python)
    assert done.returncode == ExitCode.OK, done.stderr[-3000:]
    assert "nothing to do" in done.stdout.splitlines()[-1]
    assert f"torch 2.13.0+cpu is installed and runs here; torch {NEWEST} (cpu) is newer: add --upgrade" in done.stdout


@INSTALLED
@needs_wheel
def test_a_failed_installer_run_is_exit_4_and_never_reads_no_problems(installed, pytorch_index, tmp_path):
    python, _, _ = installed
    with Index([], root="simple") as empty:  # the user's index has nothing: the second step fails
        env = clean_env(PIP_INDEX_URL=empty.url)
        args = ("install", "torch==2.13.0", "no-such-project-here", "--no-gpu", "--python", python, "--mirror",
                pytorch_index.url, "--yes", "--no-verify")
        done = run(*args, "--json", env=env)
        text = run(*args, env=env)
    assert done.returncode == text.returncode == ExitCode.INSTALLER, done.stderr[-3000:]
    data = json.loads(done.stdout)
    assert data["ok"] is False and data["exit_code"] == 4 and data["error"].startswith("pip failed: exit code")
    assert data["plan"]["run"]["succeeded"] is False
    assert data["facts"]["torch"]["version"] == "2.13.0+cpu"  # the state the failed run left, probed again
    last = text.stdout.strip().splitlines()[-1]
    assert "no problems found" not in last and last.startswith("pip failed (exit code")


# ---------------------------------------------------------------------------- refusals before anything runs


@needs_wheel
def test_without_a_terminal_and_without_yes_nothing_is_installed(tmp_path, pytorch_index):
    python = make_venv(tmp_path / "venv", with_pip=False)
    pytorch_index.requests.clear()
    done = run("install", "torch==2.13.0", "--no-gpu", "--python", python, "--mirror", pytorch_index.url, "--json")
    assert done.returncode == ExitCode.PROBLEMS, done.stderr[-3000:]
    data = json.loads(done.stdout)
    assert data["ok"] is False and "no terminal" in data["error"] and "nothing was installed" in data["error"]
    refusal = [f for f in data["findings"] if f["id"] == "install.refused"][-1]
    again, installer = refusal["commands"][0], refusal["commands"][1]
    assert again[0] == "envdoctor" and again[-1] == "--yes" and "--mirror" in again
    assert installer[:4] == [python, "-m", "pip", "install"]
    assert pytorch_index.fetched() == set()  # only the index page was asked for, no wheel
    assert "It runs (pip):" in done.stderr  # the plan was shown before refusing


@needs_wheel
@pytest.mark.parametrize("answer", [404, None])
def test_an_index_that_does_not_answer_is_said_before_the_installer_runs(tmp_path, answer):
    python = make_venv(tmp_path / "venv", with_pip=False)
    if answer is None:  # nothing listens on a port just freed
        with Index([], root="whl") as gone:
            url = gone.url
        expected = "does not answer"
    else:
        index = Index([], root="whl", answer=answer)
        index.__enter__()
        url, expected = index.url, "(404)"
    try:
        done = run("install", "torch==2.13.0", "--no-gpu", "--python", python, "--mirror", url, "--yes", "--json")
    finally:
        if answer is not None:
            index.__exit__()
    assert done.returncode == ExitCode.PROBLEMS, done.stderr[-3000:]
    data = json.loads(done.stdout)
    assert expected in data["error"]
    refusal = [f for f in data["findings"] if f["id"] == "install.refused"][-1]
    assert "--mirror" in refusal["fix"] and "sjtu" in refusal["fix"] and "--no-index-check" in refusal["fix"]
    assert data["plan"]["run"] is None  # no installer started


# ---------------------------------------------------------------------------- confirmation on a terminal


def spy_uv(bin_dir: Path, log: Path) -> None:
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "uv"
    script.write_text(f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "uv 0.5.0"; exit 0; fi\n'
                      f'echo "uv $*" >> "{log}"\nexit 0\n')
    script.chmod(0o755)


@needs_wheel
@pytest.mark.parametrize("answer", ["n", "y"])
def test_a_terminal_is_asked_and_the_answer_is_kept(tmp_path, pytorch_index, answer):
    python = make_venv(tmp_path / "venv", with_pip=False)
    log = tmp_path / "uv.log"
    spy_uv(tmp_path / "bin", log)
    env = clean_env(PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    controller, terminal = pty.openpty()
    try:
        os.write(controller, f"{answer}\n".encode())
        done = run("install", "torch==2.13.0", "--no-gpu", "--python", python, "--manager", "uv", "--mirror",
                   pytorch_index.url, "--no-verify", "--json", stdin=terminal, env=env)
    finally:
        os.close(terminal)
        os.close(controller)
    data = json.loads(done.stdout)
    assert "Proceed?" in done.stderr
    if answer == "n":
        assert done.returncode == ExitCode.PROBLEMS and "not confirmed" in data["error"]
        assert not log.exists()
    else:
        # the spy "succeeds" but installs nothing: the re-check sees it, and the run is not called a success
        assert "uv pip install" in log.read_text()
        assert data["plan"]["run"]["confirmed"] == "terminal" and data["plan"]["run"]["succeeded"] is True
        assert data["plan"]["run"]["applied"] is False and data["ok"] is False
        assert done.returncode == ExitCode.PROBLEMS and "not the planned 2.13.0" in data["error"]


# ---------------------------------------------------------------------------- the right environment


def conda_prefix(folder: Path, torch_by_pip: bool) -> str:
    """A conda-style prefix: bin/python (a copy of this CPython), lib/pythonX.Y linked to its standard library,
    an empty site-packages of its own and conda-meta/. With ``torch_by_pip`` a synthesised torch 2.13.0+cpu
    dist-info (INSTALLER: pip) and torch/version.py, as pip leaves them, and no conda-meta record for it."""
    base = Path(sys.base_prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (folder / "bin").mkdir(parents=True)
    (folder / "conda-meta").mkdir()
    (folder / "conda-meta" / "history").write_text("")
    shutil.copy2(Path(sys._base_executable if hasattr(sys, "_base_executable") else sys.executable).resolve(),
                 folder / "bin" / "python")
    lib = folder / "lib" / version
    (lib / "site-packages").mkdir(parents=True)
    for entry in (base / "lib" / version).iterdir():
        if entry.name != "site-packages":
            (lib / entry.name).symlink_to(entry)
    if torch_by_pip:
        info = lib / "site-packages" / "torch-2.13.0+cpu.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.13.0+cpu\n")
        (info / "INSTALLER").write_text("pip\n")
        (lib / "site-packages" / "torch").mkdir()
        (lib / "site-packages" / "torch" / "version.py").write_text(
            "__version__ = '2.13.0+cpu'\ndebug = False\ncuda = None\ngit_version = 'x'\nhip = None\nxpu = None\n")
    python = str(folder / "bin" / "python")
    assert imports(python, "import sys; print(sys.prefix)") == str(folder), "the copied interpreter did not take the prefix"
    return python


def test_a_conda_plan_names_its_environment(tmp_path):
    python = conda_prefix(tmp_path / "env", torch_by_pip=False)
    data = json.loads(run("install", "--dry-run", "--no-gpu", "--python", python, "--json").stdout)
    plan = data["plan"]
    assert data["facts"]["python"]["conda_prefix"] == str(tmp_path / "env")
    assert plan["manager"] == "conda" and plan["environment"]["kind"] == "conda"
    conda = plan["commands"]["conda"]
    assert conda[:5] == ["conda", "install", "-y", "-p", str(tmp_path / "env")]
    assert "belongs to the conda environment" in plan["environment"]["manager_reason"]


def test_a_pip_torch_in_a_conda_environment_stays_with_pip(tmp_path):
    python = conda_prefix(tmp_path / "env", torch_by_pip=True)
    done = run("install", "--dry-run", "--no-gpu", "--upgrade", "--python", python, "--json")
    plan = json.loads(done.stdout)["plan"]
    assert plan["manager"] == "pip" and plan["commands"]["pip"][:4] == [python, "-m", "pip", "install"]
    assert any("installed with pip" in note and "never by conda" in note for note in plan["notes"])
    assert plan["commands"]["conda"] is None and "two copies" in plan["command_notes"]["conda"]
    text = run("install", "--dry-run", "--no-gpu", "--upgrade", "--python", python).stdout
    assert "never by conda over it" in text


def test_a_venv_is_refused_for_conda_with_the_reason(tmp_path):
    python = make_venv(tmp_path / "venv", with_pip=False)
    plan = json.loads(run("install", "--dry-run", "--no-gpu", "--python", python, "--manager", "conda",
                          "--json").stdout)["plan"]
    assert plan["commands"]["conda"] is None
    assert "is a venv, not a conda environment" in plan["command_notes"]["conda"]
    done = run("install", "--no-gpu", "--python", python, "--manager", "conda", "--yes", "--json")
    assert done.returncode == ExitCode.PROBLEMS
    assert "cannot install this plan" in json.loads(done.stdout)["error"]
