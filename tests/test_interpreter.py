"""The interpreter check and install judge: what the user activated, as uv picks it, not envdoctor's own.

The end-to-end tests make real environments: venvs with ``python -m venv`` from pyenv's interpreters,
and a conda-style prefix (``conda-meta/``, ``bin/python``, ``lib/pythonX.Y``) around a copy of one,
then run the real CLI as a child with ``VIRTUAL_ENV``, ``CONDA_PREFIX`` and its working directory set.
The oracle is the environment the test made: its path and the pyenv version it was made from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envdoctor.interpreter import choose_interpreter

PYENV = Path.home() / ".pyenv" / "versions"
OTHER_PYTHON = next((p for p in sorted(PYENV.glob("3.12.*/bin/python3.12"))), None) if PYENV.is_dir() else None
needs_pyenv = pytest.mark.skipif(OTHER_PYTHON is None, reason="needs a CPython 3.12 installed by pyenv")
OWN = "/opt/envdoctor/bin/python"


def exists_in(*paths: str):
    return set(paths).__contains__


def test_virtual_env_comes_first():
    exists = exists_in("/v/bin/python", "/c/bin/python", "/w/.venv/pyvenv.cfg", "/w/.venv/bin/python")
    choice = choose_interpreter({"VIRTUAL_ENV": "/v", "CONDA_PREFIX": "/c"}, "/w", OWN, exists)
    assert choice.executable == "/v/bin/python"
    assert choice.reason == "VIRTUAL_ENV is set: the activated environment"


def test_conda_prefix_then_a_dot_venv_in_the_working_directory_or_above():
    exists = exists_in("/c/bin/python", "/w/.venv/pyvenv.cfg", "/w/.venv/bin/python")
    assert choose_interpreter({"CONDA_PREFIX": "/c"}, "/w/src", OWN, exists).executable == "/c/bin/python"
    choice = choose_interpreter({}, "/w/src/pkg", OWN, exists)
    assert (choice.executable, choice.reason) == ("/w/.venv/bin/python", "a .venv in a parent of the working directory")
    assert choose_interpreter({}, "/w", OWN, exists).reason == "a .venv in the working directory"


def test_windows_layouts():
    exists = exists_in("C:\\v\\Scripts\\python.exe", "C:\\c\\python.exe")
    assert choose_interpreter({"VIRTUAL_ENV": "C:\\v"}, "C:\\w", OWN, exists).executable == "C:\\v\\Scripts\\python.exe"
    assert choose_interpreter({"CONDA_PREFIX": "C:\\c"}, "C:\\w", OWN, exists).executable == "C:\\c\\python.exe"


def test_nothing_active_is_envdoctor_s_own_and_an_empty_activation_is_named():
    choice = choose_interpreter({}, "/", OWN, exists_in())
    assert choice == choose_interpreter({"VIRTUAL_ENV": ""}, "/", OWN, exists_in())
    assert (choice.executable, choice.reason) == (
        OWN, "the interpreter envdoctor runs on: no venv or conda env is active and no .venv was found")
    # a .venv folder that is not a venv (no pyvenv.cfg) is not one
    assert choose_interpreter({}, "/w", OWN, exists_in("/w/.venv/bin/python")).executable == OWN
    gone = choose_interpreter({"VIRTUAL_ENV": "/gone"}, "/", OWN, exists_in())
    assert gone.reason == ("the interpreter envdoctor runs on: VIRTUAL_ENV=/gone holds no interpreter "
                           "and no .venv was found")


# ---------------------------------------------------------------- the real CLI, real environments


def cli(args: list[str], cwd: Path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    env.update(env_vars)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).parents[1]), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-m", "envdoctor", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def make_venv(folder: Path) -> Path:
    subprocess.run([str(OTHER_PYTHON), "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    return folder / "bin" / "python"


def make_conda_prefix(folder: Path) -> Path:
    """A conda env's layout: the interpreter in bin/, its standard library in lib/pythonX.Y, a conda-meta record."""
    assert OTHER_PYTHON is not None
    (folder / "bin").mkdir(parents=True)
    (folder / "lib").mkdir()
    (folder / "conda-meta").mkdir()
    (folder / "conda-meta" / "python-3.12.1-h0_0.json").write_text("{}")
    shutil.copy2(OTHER_PYTHON, folder / "bin" / "python")
    (folder / "lib" / "python3.12").symlink_to(OTHER_PYTHON.parents[1] / "lib" / "python3.12")
    return folder / "bin" / "python"


def judged(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["facts"]["python"]


@needs_pyenv
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")
def test_check_and_install_judge_the_activated_venv(tmp_path):
    python = make_venv(tmp_path / "work-env")
    version = OTHER_PYTHON.parts[-3]
    facts = judged(cli(["check", "--json"], tmp_path, VIRTUAL_ENV=str(tmp_path / "work-env")))
    assert (facts["executable"], facts["version"], facts["in_venv"]) == (str(python), version, True)
    assert facts["chosen_because"] == "VIRTUAL_ENV is set: the activated environment"
    done = cli(["install", "--dry-run", "--no-gpu"], tmp_path, VIRTUAL_ENV=str(tmp_path / "work-env"))
    assert f"judging {python}: VIRTUAL_ENV is set: the activated environment" in done.stdout.splitlines()
    assert f"python {version}" in done.stdout.splitlines()[0]


@needs_pyenv
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX conda layout")
def test_check_judges_the_activated_conda_env(tmp_path):
    python = make_conda_prefix(tmp_path / "envs" / "work")
    facts = judged(cli(["check", "--json"], tmp_path, CONDA_PREFIX=str(tmp_path / "envs" / "work")))
    assert (facts["executable"], facts["version"]) == (str(python), OTHER_PYTHON.parts[-3])
    assert (facts["conda_prefix"], facts["conda_env_name"]) == (str(tmp_path / "envs" / "work"), "work")
    assert facts["chosen_because"] == "CONDA_PREFIX is set: the activated environment"


@needs_pyenv
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")
def test_a_dot_venv_above_the_working_directory_and_python_overrides_it(tmp_path):
    python = make_venv(tmp_path / "project" / ".venv")
    inner = tmp_path / "project" / "src"
    inner.mkdir()
    facts = judged(cli(["check", "--json"], inner))
    assert (facts["executable"], facts["chosen_because"]) == (str(python),
                                                             "a .venv in a parent of the working directory")
    facts = judged(cli(["check", "--json", "--python", sys.executable], inner, VIRTUAL_ENV=str(tmp_path)))
    assert facts["chosen_because"] == "given with --python"
    assert facts["version"] == ".".join(str(part) for part in sys.version_info[:3])


@needs_pyenv
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")
def test_verify_in_an_activated_venv_without_torch_points_to_install(tmp_path):
    python = make_venv(tmp_path / "work-env")
    done = cli(["verify", "--json", "--level", "quick"], tmp_path, VIRTUAL_ENV=str(tmp_path / "work-env"))
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["facts"]["python"]["executable"] == str(python)
    imported = next(check for check in report["checks"] if check["id"] == "import")
    assert (imported["status"], imported["message"]) == (
        "fail", f"torch is not installed in {python}: envdoctor install --python {python} installs the build for "
                "this machine (ModuleNotFoundError: No module named 'torch')")
