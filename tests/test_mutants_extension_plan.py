"""Extension plans compared whole: every sentence, step and variable of a plan, hand-checked.

Oracles: xformers' CHANGELOG.md pins (0.0.28.post1 requires torch 2.4.1, recipes/extensions.toml), the PyG
install page (``pip install torch_scatter -f https://data.pyg.org/whl/torch-${TORCH}+${CUDA}.html`` with
``cpu`` for a CPU or macOS torch), flash-attention's setup.py rule for MAX_JOBS (at most half the cores, at
least one job) and POSIX shell quoting (``;`` is a separator, so a value holding it is single-quoted).
"""

from __future__ import annotations

import dataclasses

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from test_extension_plan import CATALOG, machine, plan

from envdoctor import extension_plan as ep

BUILD_REASON = ("the build compiles against the torch in the environment, so it needs --no-build-isolation and torch "
                "installed first")


@pytest.mark.parametrize(("variant", "cuda"), [
    ("cu126", Version("12.6")), ("cu118", Version("11.8")), ("cu92", Version("9.2")), ("cu100", Version("10.0")),
    (None, None), ("", None), ("cpu", None), ("xpu", None), ("rocm6.3", None),
    ("cu1", None),  # too short to hold a major and a minor
    ("cuda", None),
    ("cp311", None),  # digits after two letters that are not "cu"
])
def test_cuda_of_a_variant(variant, cuda):
    assert ep._cuda_of(variant) == cuda


def test_an_unreadable_torch_version_is_said_and_nothing_is_planned():
    assert plan("flash-attn", "latest", "cu126") == ep.ExtensionPlan(
        "flash-attn", "none", warnings=["torch latest is not a version"])


def test_xformers_plan_whole():
    assert plan("xformers", "2.4.1", "cu124") == ep.ExtensionPlan(
        "xformers", "wheel", [["xformers==0.0.28.post1", "torch==2.4.1"]],
        reasons=["xformers 0.0.28.post1's prebuilt wheels require torch==2.4.1 (xformers CHANGELOG.md)"])


def test_the_newest_xformers_that_pins_a_torch_is_the_newest_by_version_not_by_text():
    """Assembled from the catalog's own xformers pins: the newest release there with a post-release number of 2 or
    more (0.0.29.post2 when this was written) gains a rebuild ``.post10`` that pins the same torch. PEP 440 orders
    post10 after post2 to post9; as text ``.post10`` sorts before them, so only a comparison of versions takes it."""
    xformers = CATALOG.by_dist("xformers")
    release = max((name for name in xformers.torch_pins if (Version(name).post or 0) >= 2), key=Version)
    rebuild = f"{Version(release).base_version}.post10"
    assert rebuild < release and Version(rebuild) > Version(release)
    pin = xformers.torch_pins[release]
    torch = pin.removeprefix("==")
    assert [name for name, spec in xformers.torch_pins.items() if spec == pin and Version(name) > Version(release)] == []
    assembled = dataclasses.replace(xformers, torch_pins={**xformers.torch_pins, rebuild: pin})
    found = ep.plan_extension(assembled, Requirement("xformers"), machine(), torch, "cu124", "3.11", "linux-x86_64",
                              None, CATALOG)
    assert found == ep.ExtensionPlan("xformers", "wheel", [[f"xformers=={rebuild}", f"torch=={torch}"]], reasons=[
        f"xformers {rebuild}'s prebuilt wheels require torch=={torch} (xformers CHANGELOG.md)"])


def test_the_newest_xformers_a_warning_names_is_the_newest_by_version_not_by_text():
    """Assembled from the catalog's own xformers pins: the newest release gains rebuilds ``.post9`` and ``.post10``
    pinning its torch. PEP 440 orders post10 last; as text post9 sorts last. A torch no release pins is warned about
    with the newest release by version."""
    xformers = CATALOG.by_dist("xformers")
    newest = max(xformers.torch_pins, key=Version)
    pin = xformers.torch_pins[newest]
    base = Version(newest).base_version
    assert max([f"{base}.post9", f"{base}.post10"]) == f"{base}.post9"
    assembled = dataclasses.replace(xformers, torch_pins={**xformers.torch_pins, f"{base}.post9": pin,
                                                          f"{base}.post10": pin})
    torch = "2.14.1"  # a torch no xformers release pins (recipes/extensions.toml)
    assert f"=={torch}" not in xformers.torch_pins.values()
    found = ep.plan_extension(assembled, Requirement("xformers"), machine(), torch, "cu126", "3.11", "linux-x86_64",
                              None, CATALOG)
    assert found.warnings == [f"no xformers release in the data pins torch {torch} (the newest known, {base}.post10, "
                              f"pins torch{pin}): pip would replace torch to satisfy a pin"]


def test_xformers_without_a_pinning_release_builds_against_torch_s_cuda():
    """No build time or memory per job is known for xformers: no MAX_JOBS, the estimate says so."""
    assert plan("xformers", "2.14.1", "cu126") == ep.ExtensionPlan(
        "xformers", "build", [["ninja", "packaging", "psutil", "wheel"],
                              ["--no-build-isolation", "--no-binary", "xformers", "xformers"]],
        {"TORCH_CUDA_ARCH_LIST": "8.6"},
        ep.Toolkit("12.6", "12.4.131", "/usr/local/cuda/bin/nvcc", True,
                   ["conda install -c nvidia cuda-nvcc=12.6", "pip install 'nvidia-cuda-nvcc-cu12==12.6.*'"]),
        "unknown: the data has no build time for it", [BUILD_REASON],
        ["no xformers release in the data pins torch 2.14.1 (the newest known, 0.0.33, pins torch==2.9.0): pip "
         "would replace torch to satisfy a pin"])


def test_a_source_build_with_no_gpu_and_no_nvcc():
    found = plan("apex", "2.5.1", "cu121", machine(ccs=(), nvcc=None))
    assert (found.how, found.env, found.reasons, found.warnings) == ("build", {}, [BUILD_REASON], [
        "no nvcc is installed; torch cu121 needs nvcc of CUDA 12: the build fails or builds an extension torch "
        "cannot load. Install one: conda install -c nvidia cuda-nvcc=12.1 or pip install "
        "'nvidia-cuda-nvcc-cu12==12.1.*'",
        "no NVIDIA GPU seen: the build compiles for every architecture torch lists (slower)"])


def test_pyg_for_a_torch_without_a_variant_is_the_cpu_page():
    assert plan("torch-scatter", "2.4.1", None) == ep.ExtensionPlan(
        "torch-scatter", "wheel", [["--only-binary", "torch-scatter", "torch-scatter", "-f",
                                    "https://data.pyg.org/whl/torch-2.4.0+cpu.html"]],
        reasons=["the PyG page for torch 2.4 + cpu has the wheels built for it (+pt24cpu); --only-binary keeps pip "
                 "from building the PyPI source release against no torch"])


@pytest.mark.parametrize(("cores", "jobs"), [(2, 1), (3, 1), (4, 2), (1, 1)])
def test_max_jobs_is_half_the_cores_and_at_least_one(cores, jobs):
    assert ep.max_jobs(machine(memory_gib=256, cores=cores), 9) == jobs


def test_plan_all_plans_the_checked_extensions_and_leaves_the_rest():
    plans, rest = ep.plan_all(machine(), [Requirement("six"), Requirement("xformers")], "2.5.1", "cu124", "3.11",
                              "linux-x86_64", None)
    assert plans == [ep.ExtensionPlan("xformers", "wheel", [["xformers==0.0.28.post3", "torch==2.5.1"]], reasons=[
        "xformers 0.0.28.post3's prebuilt wheels require torch==2.5.1 (xformers CHANGELOG.md)"])]
    assert rest == [Requirement("six")]


BUILD = {"package": "flash-attn", "args": [["ninja", "packaging", "psutil", "wheel"],
                                           ["--no-build-isolation", "--no-binary", "flash-attn", "flash-attn"]],
         "env": {"TORCH_CUDA_ARCH_LIST": "8.6;9.0", "MAX_JOBS": "7"}}
WHEEL = {"package": "torch-scatter", "args": [["torch-scatter", "-f", "https://data.pyg.org/whl/torch-2.4.0+cpu.html"]],
         "env": {}}


@pytest.mark.parametrize(("argv", "line"), [
    (["pip", "install", "--no-build-isolation", "--no-binary", "flash-attn", "flash-attn"],
     "TORCH_CUDA_ARCH_LIST='8.6;9.0' MAX_JOBS=7 pip install --no-build-isolation --no-binary flash-attn flash-attn"),
    (["--no-build-isolation", "--no-binary", "flash-attn", "flash-attn"],
     "TORCH_CUDA_ARCH_LIST='8.6;9.0' MAX_JOBS=7 --no-build-isolation --no-binary flash-attn flash-attn"),
    (["pip", "install", "--no-build-isolation", "--no-binary", "flash-attn", "flash-attn", "--quiet"],
     "TORCH_CUDA_ARCH_LIST='8.6;9.0' MAX_JOBS=7 pip install --no-build-isolation --no-binary flash-attn flash-attn "
     "--quiet"),
    (["pip", "install", "ninja", "packaging", "psutil", "wheel"], "pip install ninja packaging psutil wheel"),
    (["pip", "install", "torch-scatter", "-f", "https://data.pyg.org/whl/torch-2.4.0+cpu.html"],
     "pip install torch-scatter -f https://data.pyg.org/whl/torch-2.4.0+cpu.html"),
    (["pip", "install", "flash-attn"], "pip install flash-attn"),
])
def test_only_the_build_step_runs_with_the_build_s_variables(argv, line):
    assert ep.command_line(argv, "posix", [WHEEL, BUILD]) == line


def test_step_env_of_a_build_step_and_of_no_extension():
    build = ["pip", "install", "--no-build-isolation", "--no-binary", "flash-attn", "flash-attn"]
    assert ep.step_env([WHEEL, BUILD], build) == {"TORCH_CUDA_ARCH_LIST": "8.6;9.0", "MAX_JOBS": "7"}
    assert ep.step_env([{"package": "apex", "env": None, "args": None}], build) == {}
    assert ep.step_env([], build) == {}
