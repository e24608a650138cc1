"""An extension build's MAX_JOBS and TORCH_CUDA_ARCH_LIST: set for its step only, shown the way each shell sets them.

Oracles: the shells' own syntax written out by hand (POSIX ``NAME=value cmd`` sets a variable for one command;
PowerShell ``$env:NAME='value'``; cmd ``set "NAME=value"``), Docker's ARG (a build argument RUN sees), and a
spy ``uv`` on PATH that writes down the variables each step really ran with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envdoctor import extension_plan as ep
from envdoctor.shells import join_with_env

ROOT = Path(__file__).resolve().parents[1]
ARGV = ["python", "-m", "pip", "install", "--no-build-isolation", "--no-binary", "flash-attn", "flash-attn"]
ENV = {"MAX_JOBS": "4", "TORCH_CUDA_ARCH_LIST": "8.6;9.0"}
BUILD = {"package": "flash-attn", "how": "build", "env": ENV,
         "args": [["ninja", "packaging", "psutil", "wheel"],
                  ["--no-build-isolation", "--no-binary", "flash-attn", "flash-attn"]]}


@pytest.mark.parametrize(("shell", "line"), [
    ("posix", "MAX_JOBS=4 TORCH_CUDA_ARCH_LIST='8.6;9.0' python -m pip install --no-build-isolation --no-binary "
              "flash-attn flash-attn"),
    ("powershell", "$env:MAX_JOBS='4'; $env:TORCH_CUDA_ARCH_LIST='8.6;9.0'; python -m pip install "
                   "--no-build-isolation --no-binary flash-attn flash-attn"),
    ("cmd", 'set "MAX_JOBS=4" && set "TORCH_CUDA_ARCH_LIST=8.6;9.0" && python -m pip install --no-build-isolation '
            "--no-binary flash-attn flash-attn"),
])
def test_each_shell_sets_the_variables_its_own_way(shell, line):
    assert join_with_env(ARGV, shell, ENV) == line


def test_no_variables_is_the_plain_line():
    assert join_with_env(ARGV, "posix", {}) == "python -m pip install --no-build-isolation --no-binary flash-attn flash-attn"


@pytest.mark.parametrize(("shell", "env"), [("posix", {"MAX JOBS": "4"}), ("posix", {"MAX_JOBS": "4\nrm"}),
                                            ("cmd", {"TORCH_CUDA_ARCH_LIST": "%PATH%"})])
def test_a_variable_a_shell_cannot_be_given_gets_no_line(shell, env):
    assert join_with_env(ARGV, shell, env) is None


def test_only_the_build_step_gets_the_variables():
    head = ["/v/bin/python", "-m", "pip", "install"]
    assert ep.step_env([BUILD], [*head, "torch==2.6.0"]) == {}
    assert ep.step_env([BUILD], [*head, "ninja", "packaging", "psutil", "wheel"]) == {}
    assert ep.step_env([BUILD], [*head, *BUILD["args"][1]]) == ENV
    # a flag added after the plan's arguments (--break-system-packages) keeps the step a build step
    assert ep.step_env([BUILD], [*head, *BUILD["args"][1], "--break-system-packages"]) == ENV
    assert ep.step_env([{**BUILD, "env": {}}], [*head, *BUILD["args"][1]]) == {}


def test_command_line_carries_the_build_variables():
    argv = ["uv", "pip", "install", "--python", "/v/bin/python", *BUILD["args"][1]]
    assert ep.command_line(argv, "posix", [BUILD]) == (
        "MAX_JOBS=4 TORCH_CUDA_ARCH_LIST='8.6;9.0' uv pip install --python /v/bin/python --no-build-isolation "
        "--no-binary flash-attn flash-attn")


def _envdoctor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "envdoctor", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)


DESCRIBED = ("torch==2.6.0", "flash-attn", "--gpu", "RTX 4090", "--gpu", "RTX 3090", "--driver", "570.86")


@pytest.mark.skipif(os.name != "posix", reason="a shell-script spy")
def test_install_runs_the_build_step_with_its_variables_and_no_other(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    log = tmp_path / "uv.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "uv").write_text(
        '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "uv 0.5.0"; exit 0; fi\n'
        f'echo "MAX_JOBS=${{MAX_JOBS-unset}} TORCH_CUDA_ARCH_LIST=${{TORCH_CUDA_ARCH_LIST-unset}} $*" >> "{log}"\n')
    (bin_dir / "uv").chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key not in ("MAX_JOBS", "TORCH_CUDA_ARCH_LIST")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", NO_COLOR="1")
    python = str(venv / "bin" / "python")
    done = _envdoctor("install", *DESCRIBED, "--manager", "uv", "--python", python, "--yes", "--no-index-check",
                      "--no-verify", "--json", env=env)
    plan = json.loads(done.stdout)["plan"]
    [flash] = plan["extensions"]
    jobs = flash["env"]["MAX_JOBS"]  # from this machine's memory and cores (their rule: test_extension_plan.py)
    assert flash["env"] == {"TORCH_CUDA_ARCH_LIST": "8.6;8.9", "MAX_JOBS": jobs}
    head = f"pip install --python {python}"
    assert log.read_text().splitlines() == [
        f"MAX_JOBS=unset TORCH_CUDA_ARCH_LIST=unset {head} torch==2.6.0 --index-url https://download.pytorch.org/whl/cu126",
        f"MAX_JOBS=unset TORCH_CUDA_ARCH_LIST=unset {head} ninja packaging psutil wheel",
        f"MAX_JOBS={jobs} TORCH_CUDA_ARCH_LIST=8.6;8.9 {head} --no-build-isolation --no-binary flash-attn flash-attn",
    ]
    line = f"TORCH_CUDA_ARCH_LIST='8.6;8.9' MAX_JOBS={jobs} uv {head} --no-build-isolation --no-binary flash-attn flash-attn"
    assert f"envdoctor: running uv, step 3/3: {line}\n" in done.stderr
    assert plan["command_lines"]["uv"]["posix"][2] == line


def test_the_dockerfile_passes_the_variables_as_build_arguments_before_the_build(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    env = {**os.environ, "NO_COLOR": "1"}
    done = _envdoctor("install", "--dry-run", *DESCRIBED, "--python", str(venv / "bin" / "python"), "--json", env=env)
    jobs = json.loads(done.stdout)["plan"]["extensions"][0]["env"]["MAX_JOBS"]
    text = _envdoctor("install", "--dry-run", *DESCRIBED, "--python", str(venv / "bin" / "python"), "--emit",
                      "dockerfile", env=env).stdout
    assert text.splitlines()[-6:] == [
        '# exec-form RUN: no shell parses these arguments; the image\'s python3 is the target',
        'RUN ["python3", "-m", "pip", "install", "--no-cache-dir", "torch==2.6.0", "--index-url", '
        '"https://download.pytorch.org/whl/cu126"]',
        'RUN ["python3", "-m", "pip", "install", "--no-cache-dir", "ninja", "packaging", "psutil", "wheel"]',
        'ARG TORCH_CUDA_ARCH_LIST="8.6;8.9"',
        f'ARG MAX_JOBS="{jobs}"',
        'RUN ["python3", "-m", "pip", "install", "--no-cache-dir", "--no-build-isolation", "--no-binary", '
        '"flash-attn", "flash-attn"]',
    ]
