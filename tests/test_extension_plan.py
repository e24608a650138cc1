"""Install plans for compiled extensions beside the torch the resolver chose.

Oracles: real flash-attn release asset names (flash_attn-2.6.3+cu123torch2.4cxx11abiFALSE-cp311-cp311-
linux_x86_64.whl, and flash_attn-2.8.1+cu12torch2.7cxx11abiTRUE-cp311-cp311-linux_x86_64.whl from
https://github.com/Dao-AILab/flash-attention/releases/tag/v2.8.1), the PyG index's page names, xformers'
CHANGELOG.md pins and flash-attention's setup.py rule for MAX_JOBS (about 9 GB a job, at most half the cores).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from packaging.requirements import Requirement

from envdoctor import extension_plan as ep
from envdoctor.extensions import builtin_catalog
from envdoctor.facts import CudaToolkit, Facts, Gpu

CATALOG = builtin_catalog()
GIB = 1024**3


def machine(ccs=("8.6",), nvcc="12.4.131", memory_gib=64, cores=32, limit_gib=None) -> Facts:
    facts = Facts()
    facts.nvidia.gpus = [Gpu("nvidia", index=i, compute_capability=cc) for i, cc in enumerate(ccs)]
    if nvcc:
        facts.cuda.toolkits = [CudaToolkit(nvcc, path="/usr/local/cuda", nvcc_path="/usr/local/cuda/bin/nvcc",
                                           active=True)]
    facts.cpu.memory_total_bytes = memory_gib * GIB if memory_gib else None
    facts.cpu.logical_cores = cores
    facts.limits.memory_limit_bytes = limit_gib * GIB if limit_gib else None
    return facts


def plan(requirement: str, torch: str, variant: str | None, facts: Facts | None = None, python="3.11",
         index_url=None) -> ep.ExtensionPlan:
    req = Requirement(requirement)
    return ep.plan_extension(CATALOG.by_dist(req.name), req, facts or machine(), torch, variant, python,
                             "linux-x86_64", index_url, CATALOG)


@pytest.mark.parametrize(("requirement", "torch", "variant", "asset"), [
    ("flash-attn==2.6.3", "2.4.1", "cu124", "flash_attn-2.6.3+cu123torch2.4cxx11abiFALSE-cp311-cp311-linux_x86_64.whl"),
    ("flash-attn==2.8.1", "2.7.1", "cu126", "flash_attn-2.8.1+cu12torch2.7cxx11abiTRUE-cp311-cp311-linux_x86_64.whl"),
    # assets named in download URLs of projects' install scripts (see recipes/extensions.toml): the cu122 and cu11
    # eras, and torch 2.6 whose cu126 build is C++11 ABI and cu124 build is not
    ("flash-attn==2.5.8", "2.3.1", "cu121", "flash_attn-2.5.8+cu122torch2.3cxx11abiFALSE-cp311-cp311-linux_x86_64.whl"),
    ("flash-attn==2.7.0.post1", "2.5.1", "cu118",
     "flash_attn-2.7.0.post1+cu11torch2.5cxx11abiFALSE-cp311-cp311-linux_x86_64.whl"),
    ("flash-attn==2.7.4.post1", "2.6.0", "cu126",
     "flash_attn-2.7.4.post1+cu12torch2.6cxx11abiTRUE-cp311-cp311-linux_x86_64.whl"),
    ("flash-attn==2.7.4.post1", "2.6.0", "cu124",
     "flash_attn-2.7.4.post1+cu12torch2.6cxx11abiFALSE-cp311-cp311-linux_x86_64.whl"),
])
def test_flash_attn_release_asset_matches_torch_cuda_abi_python(requirement, torch, variant, asset):
    found = plan(requirement, torch, variant)
    version = requirement.split("==")[1]
    assert found.how == "wheel"
    assert found.args == [["--no-deps", f"https://github.com/Dao-AILab/flash-attention/releases/download/v{version}/"
                                        f"{asset}"]]



def test_a_flash_attn_asset_says_what_it_was_built_for_in_the_asset_s_own_words():
    # the ABI as the asset names spell it (cxx11abiTRUE, cxx11abiFALSE), with the build command should there be none
    assert (plan("flash-attn==2.8.1", "2.7.1", "cu126").reasons, plan("flash-attn==2.6.3", "2.4.1", "cu124").reasons) == (
        ["the release asset built for torch 2.7, CUDA 12, cxx11abiTRUE, 3.11, linux-x86_64; where the release has no "
         "such asset, build it: pip install --no-build-isolation flash-attn==2.8.1"],
        ["the release asset built for torch 2.4, CUDA 12, cxx11abiFALSE, 3.11, linux-x86_64; where the release has no "
         "such asset, build it: pip install --no-build-isolation flash-attn==2.6.3"])

def test_flash_attn_without_a_version_builds_with_the_right_toolkit_jobs_and_archs():
    found = plan("flash-attn", "2.7.1", "cu126", machine(ccs=("8.6", "9.0", "8.6"), nvcc="12.4.131"))
    assert found.how == "build"
    assert found.args == [["ninja", "packaging", "psutil", "wheel"],
                          ["--no-build-isolation", "--no-binary", "flash-attn", "flash-attn"]]
    assert found.env == {"TORCH_CUDA_ARCH_LIST": "8.6;9.0", "MAX_JOBS": "7"}  # 64 GiB / 9 GB, under 32 / 2
    assert found.toolkit is not None and found.toolkit.fits  # nvcc 12.4 for a CUDA 12.6 torch: same major
    assert found.warnings == []
    assert found.estimate == "about 14-23 min with MAX_JOBS=7 and ninja (3-5 min on 64 cores)"
    assert found.reasons == [
        "flash-attn's setup.py downloads the release asset matching the installed torch, CUDA major, ABI and Python, "
        "and builds only where there is none",
        "the build compiles against the torch in the environment, so it needs --no-build-isolation and torch installed "
        "first"]


def test_nvcc_of_another_cuda_major_is_told_it_does_not_match():
    found = plan("flash-attn", "2.6.0", "cu126", machine(nvcc="13.0.88"))
    assert found.toolkit == ep.Toolkit("12.6", "13.0.88", "/usr/local/cuda/bin/nvcc", False,
                                       ["conda install -c nvidia cuda-nvcc=12.6",
                                        "pip install 'nvidia-cuda-nvcc-cu12==12.6.*'"])
    assert found.warnings == [
        "nvcc 13.0.88 is installed (/usr/local/cuda/bin/nvcc); torch cu126 needs nvcc of CUDA 12: the build fails "
        "or builds an extension torch cannot load. Install one: conda install -c nvidia cuda-nvcc=12.6 or pip install "
        "'nvidia-cuda-nvcc-cu12==12.6.*'"]


@pytest.mark.parametrize(("memory", "cores", "limit", "jobs"), [(64, 32, None, 7), (256, 8, None, 4), (64, 32, 16, 1),
                                                                (8, 4, None, 1)])
def test_max_jobs_from_memory_and_cores(memory, cores, limit, jobs):
    """flash-attention's setup.py: min(cores // 2, free GB / 9), at least 1; a cgroup limit counts as memory."""
    assert ep.max_jobs(machine(memory_gib=memory, cores=cores, limit_gib=limit), 9) == jobs


def test_no_memory_known_sets_no_max_jobs():
    assert ep.max_jobs(machine(memory_gib=None), 9) is None


def test_flash_attn_needs_a_cuda_torch():
    found = plan("flash-attn", "2.13.0", "cpu")
    assert (found.how, found.args, found.warnings) == (
        "none", [], ["flash-attn needs a CUDA torch; the planned torch is 2.13.0+cpu"])


@pytest.mark.parametrize(("torch", "variant", "page"), [
    ("2.4.1", "cu124", "https://data.pyg.org/whl/torch-2.4.0+cu124.html"),
    ("2.12.0", "cu130", "https://data.pyg.org/whl/torch-2.12.0+cu130.html"),
    ("2.13.0", "cpu", "https://data.pyg.org/whl/torch-2.13.0+cpu.html"),
])
def test_pyg_wheels_come_from_the_page_of_this_torch(torch, variant, page):
    found = plan("torch-scatter", torch, variant)
    assert (found.how, found.args) == ("wheel", [["--only-binary", "torch-scatter", "torch-scatter", "-f", page]])


@pytest.mark.parametrize(("torch", "release"), [("2.4.1", "0.0.28.post1"), ("2.5.1", "0.0.28.post3"),
                                                ("2.2.0", "0.0.24")])
def test_xformers_release_that_pins_this_torch(torch, release):
    found = plan("xformers", torch, "cu124", index_url="https://mirror.example/whl/cu124")
    assert found.args == [[f"xformers=={release}", f"torch=={torch}", "--index-url", "https://mirror.example/whl/cu124"]]


def test_xformers_for_a_torch_no_release_pins_is_a_build_with_a_warning():
    found = plan("xformers", "2.14.1", "cu126")
    assert found.how == "build"
    assert found.warnings[0] == ("no xformers release in the data pins torch 2.14.1 (the newest known, 0.0.33, pins "
                                 "torch==2.9.0): pip would replace torch to satisfy a pin")


def test_only_checked_extensions_are_planned():
    extensions, rest = ep.split([Requirement(r) for r in ("flash-attn", "six", "bitsandbytes", "torch_scatter")],
                                CATALOG)
    assert [r.name for _, r in extensions] == ["flash-attn", "torch_scatter"]
    assert [r.name for r in rest] == ["six", "bitsandbytes"]


def test_extension_steps_follow_with_the_same_head():
    steps = [["uv", "pip", "install", "--python", "/v/bin/python", "torch==2.4.1"]]
    planned = [ep.ExtensionPlan("torch-scatter", "wheel", [["torch-scatter", "-f", "https://x/torch-2.4.0+cpu.html"]]
                                ).to_dict()]
    assert ep.with_extension_steps(steps, planned) == [
        steps[0], ["uv", "pip", "install", "--python", "/v/bin/python", "torch-scatter", "-f",
                   "https://x/torch-2.4.0+cpu.html"]]


def _nvcc_major() -> int | None:
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        return None
    out = subprocess.run([nvcc, "--version"], capture_output=True, text=True, timeout=60).stdout
    match = re.search(r"release (\d+)\.", out)
    return int(match.group(1)) if match else None


@pytest.mark.skipif(_nvcc_major() != 13, reason="needs the CUDA 13 nvcc of the development machine")
def test_install_dry_run_tells_a_cu126_torch_that_nvcc_13_does_not_match(tmp_path):
    """The real nvcc 13.0 on PATH, a described RTX 4090 and torch 2.6.0 (cu126): the plan says so."""
    done = subprocess.run([sys.executable, "-m", "envdoctor", "install", "--dry-run", "--json", "--gpu", "RTX 4090",
                           "--driver", "570.86", "torch==2.6.0", "flash-attn"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    report = json.loads(done.stdout)
    planned = report.get("plan", report)
    assert (planned["torch"], planned["variant"]) == ("2.6.0", "cu126")
    [flash] = planned["extensions"]
    assert flash["toolkit"]["needs"] == "12.6" and flash["toolkit"]["fits"] is False
    assert flash["toolkit"]["installed"].startswith("13.")
    assert flash["env"]["TORCH_CUDA_ARCH_LIST"] == "8.9"
    assert planned["steps"]["pip"][-1][-4:] == ["--no-build-isolation", "--no-binary", "flash-attn", "flash-attn"]
