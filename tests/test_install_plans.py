"""Plans that are right about what is already there and say it plainly, run through the real CLI.

The machines are the recordings under tests/machines/ (each folder's README names its source).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MACHINES_DIR
from test_interpreter import make_conda_prefix, needs_pyenv

ROOT = Path(__file__).parents[1]


def envdoctor(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, "-m", "envdoctor", *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env=env)


def plan_of(*args: str) -> dict:
    done = envdoctor("install", "--dry-run", "--json", *args)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["plan"]


def test_the_rocm_build_installed_is_kept_whatever_its_hip_patch_level():
    """version.py says hip 6.2.41133-dd7f95766; the variant is rocm6.2: the same build, nothing to do."""
    plan = plan_of("--machine", str(MACHINES_DIR / "rocm-mi250x"))
    assert (plan["action"], plan["variant"]) == ("nothing_to_do", "rocm6.2")
    assert plan["changes"] == [{"package": "torch", "current": "2.5.1+rocm6.2", "new": "2.5.1", "action": "keep",
                                "detail": ""}]


@needs_pyenv
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX conda layout")
def test_conda_installs_torchaudio_when_it_was_asked_for(tmp_path):
    """The pip line and the conda line install the same family (conda-forge has torchaudio for Linux and macOS).

    Driver 570.86.10 runs CUDA <= 12.8 (NVIDIA's CUDA release notes, Table 3); torch 2.14.1 is built for CUDA 12.6,
    12.9, 13.0 and 13.2 (release/2.14's build matrix), so the conda line asks for CUDA 12.6 as the pip line does."""
    make_conda_prefix(tmp_path / "envs" / "ml")
    done = subprocess.run([sys.executable, "-m", "envdoctor", "install", "--dry-run", "--json", "--gpu", "sm_86",
                           "--driver", "570.86.10", "torch", "torchvision", "torchaudio"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
                               "CONDA_PREFIX": str(tmp_path / "envs" / "ml"),
                               "PYTHONPATH": str(ROOT)})
    plan = json.loads(done.stdout)["plan"]
    torch, vision, audio = (arg for arg in plan["commands"]["pip"] if arg.startswith(("torch==", "torchvision==",
                                                                                        "torchaudio==")))
    assert plan["commands"]["conda"] == ["conda", "install", "-y", "-p", str(tmp_path / "envs" / "ml"), "-c", "conda-forge",
                                         f"pytorch-gpu=={torch[7:]}", vision, audio, "cuda-version=12.6"]


def test_conda_says_why_it_cannot_bring_torchaudio_to_windows_and_what_to_use():
    plan = plan_of("--target-os", "windows", "--target-arch", "x86_64", "--target-python", "3.12", "--gpu", "sm_86",
                   "--driver", "570.86", "--manager", "conda", "torch", "torchaudio")
    assert plan["commands"]["conda"] is None
    assert plan["command_notes"]["conda"] == ("conda-forge has no Windows build of torchaudio: install this plan with "
                                              "pip or uv (--manager pip), or leave torchaudio out")


def test_a_kept_torch_is_not_called_the_newest_release():
    plan = plan_of("--machine", str(MACHINES_DIR / "rocm-mi250x"))
    newer = next(limit["newest"] for limit in plan["limits"] if limit["kind"] == "installed")
    reasons = [reason["decision"] for reason in plan["reasons"]]
    assert f"torch 2.5.1 is installed, fits this machine and is kept: torch {newer} is newer (add --upgrade)" in reasons
    assert not any("newest release" in reason for reason in reasons)


def test_a_cuda_variant_on_a_machine_without_a_driver_says_there_is_none():
    plan = plan_of("--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--variant", "cu126")
    needs = plan["requires"]["nvidia_driver"]
    assert f"there is no NVIDIA driver here: this cu126 build runs on the CPU only until a driver {needs} (Linux) is " \
           "installed; without --variant the plan is the CPU build" in plan["warnings"]
    assert not any("not known" in warning for warning in plan["warnings"])
    assert not any("driver is not known" in reason["decision"] for reason in plan["reasons"])


def test_a_nothing_to_do_plan_prints_no_command_to_run():
    done = envdoctor("install", "--dry-run", "--machine", str(MACHINES_DIR / "rocm-mi250x"))
    plan = done.stdout[done.stdout.index("\nPlan\n"):done.stdout.index("  Why\n")]
    assert "nothing to do: the installed torch already fits" in plan
    assert not any(line.lstrip().startswith(("pip ", "uv ", "index ", "conda ")) for line in plan.splitlines())


def test_quiet_prints_no_heading_over_nothing():
    machine = MACHINES_DIR / "ubuntu2204-rtx3090-535"
    done = envdoctor("check", "-q", "--machine", str(machine), "--require", "python>=3.8")
    assert done.stdout.splitlines()[1:] == [f"target described by: --machine {machine}", "",
                                            "no problems found   (-v for evidence, --json for machines)"]


def test_verbose_shows_each_read_once_under_the_line_it_backs():
    done = envdoctor("check", "-v", "--machine", str(MACHINES_DIR / "docker-a10-shm64-cgroup2"))
    evidence = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("↳")]
    assert len(evidence) == len(set(evidence)), "an evidence line is repeated"
    lines = done.stdout.splitlines()
    shm = next(i for i, line in enumerate(lines) if "Shared memory" in line)
    assert lines[shm + 1].strip().startswith("↳ /dev/shm (statvfs) → ok")
    assert lines[shm + 2].strip().startswith("[")  # the next line of the checklist, not other reads


@pytest.mark.parametrize("name", ["Intel Arc B580", "Intel Arc A770", "Intel Data Center GPU Max 1550"])
def test_an_intel_gpu_described_by_name_is_planned_the_xpu_build(name):
    plan = plan_of("--target-os", "linux", "--target-arch", "x86_64", "--target-python", "3.12", "--gpu", name)
    assert plan["variant"] == "xpu"
    assert "Intel GPU present: XPU build" in [reason["decision"] for reason in plan["reasons"]]


def test_an_intel_gpu_torch_has_no_build_for_is_a_usage_error_saying_which_it_has():
    done = envdoctor("install", "--dry-run", "--gpu", "Intel UHD Graphics 630")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "Error: --gpu 'Intel UHD Graphics 630': torch's XPU build runs on Intel Arc (A- and B-series, Core Ultra's "
        "Arc graphics) and Data Center GPU Max, not on this Intel GPU; leave --gpu out for the CPU build")


def emitted(form: str, *args: str) -> list[str]:
    done = envdoctor("install", "--dry-run", "--emit", form, *args)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if not line.startswith("#")]


def test_an_emitted_file_pins_the_family_alike_whatever_this_machine_has_installed():
    """wsl2-rtx4070 has torch 2.13.0+cpu (a reinstall plan); the same machine described has nothing installed."""
    recorded = emitted("requirements", "--machine", str(MACHINES_DIR / "wsl2-rtx4070"))
    described = emitted("requirements", "--target-os", "linux", "--target-arch", "x86_64", "--target-python", "3.10",
                        "--gpu", "sm_89", "--driver", "537.13")
    assert recorded[0] == described[0] == "--extra-index-url https://download.pytorch.org/whl/cu126"
    assert recorded == described
    assert not any("+" in line for line in recorded[1:])


def test_an_emitted_dockerfile_starts_from_an_image_with_the_plan_s_python():
    lines = emitted("dockerfile", "--machine", str(MACHINES_DIR / "wsl2-rtx4070"))
    assert lines[:2] == ["ARG BASE_IMAGE=python:3.10-slim", "FROM ${BASE_IMAGE}"]
    assert all(line.startswith("RUN [") for line in lines[2:]) and lines[2:]
    unknown = emitted("dockerfile", "--target-os", "linux", "--target-arch", "x86_64", "--no-gpu")
    assert unknown[:2] == ["ARG BASE_IMAGE", "FROM ${BASE_IMAGE}"]


def test_fix_commands_of_a_replayed_machine_name_that_machine():
    """Facts from a recorded folder: the fix plans for that machine (--machine DIR), not for this host's Python."""
    machine = MACHINES_DIR / "wsl2-rtx4070"
    done = envdoctor("check", "--json", "--machine", str(machine))
    finding = next(f for f in json.loads(done.stdout)["findings"] if f["id"] == "torch.cpu-build-on-gpu")
    assert finding["commands"] == [["envdoctor", "install", "--dry-run", "--machine", str(machine)]]
