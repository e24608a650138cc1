"""Lint's judgement of the variant a command asks for and of the kind of build it installs, compared whole.

A variant no release has (``lint.variant-gone``), one only old releases have (``lint.variant-outdated``), a GPU
build where torch can use no GPU (``lint.gpu-build-without-gpu``) and PyPI's CPU default beside a GPU
(``lint.cpu-build-on-gpu``): each finding is written out by hand, every field of it.

Published facts behind the expected values: CUDA 10.0 builds of torch stopped at 1.2.0, long before the first
release the data holds; PyTorch publishes a CPU wheel of every release (its CPU index); PyPI's Windows wheel of
torch is the CPU build; torch 2.5.1 has ROCm 6.2 and XPU wheels on its own index (pytorch.org's previous
versions); 2.7.1 is the last release with CUDA 11.8 wheels (2.8.0 has cu126, cu128 and cu129); an R470 driver
runs CUDA 11.4, so CUDA 11.8 only through minor-version compatibility, and no CUDA 12 build. Versions that
move with each data update (the newest release, its variants) are read from the shipped data
(``refreshed=False``), never from the code under test.
"""

from __future__ import annotations

import dataclasses

from envdoctor.facts import Facts, Finding
from envdoctor.lint import Judged, _judge_variant, lint_installs, wanted_of
from envdoctor.lint_instead import _replacement
from envdoctor.readers.install_commands import Install, Line, parse_command
from envdoctor.recipes import Recipes, Release, load_recipes
from envdoctor.target import describe_target

RECIPES = load_recipes(refreshed=False)
INDEX = "https://download.pytorch.org/whl"
LINUX = dict(target_os="linux", target_arch="x86_64", target_python="3.11")
WINDOWS = dict(target_os="windows", target_arch="x86_64", target_python="3.11")
#: an RTX 3090 with an R535 driver (CUDA 12.2)
RTX3090 = describe_target(Facts(), recipes=RECIPES, gpus=("NVIDIA GeForce RTX 3090",), driver="535.104.05", **LINUX)
NO_GPU = describe_target(Facts(), recipes=RECIPES, no_gpu=True, **LINUX)
WINDOWS_NO_GPU = describe_target(Facts(), recipes=RECIPES, no_gpu=True, **WINDOWS)
#: an RTX 3090 on Windows with an R470 driver (CUDA 11.4)
WINDOWS_R470 = describe_target(Facts(), recipes=RECIPES, gpus=("NVIDIA GeForce RTX 3090",), driver="472.12", **WINDOWS)
NO_GPU_SOURCE = "source: the resolver, for the same request as `envdoctor install`: variant cpu: no GPU to use"
CPU_FIX = "install the CPU build (the command below)"


def newest(recipes: Recipes = RECIPES, having: str | None = None) -> Release:
    """The newest release of the data (with the variant ``having``), by version."""
    return max((r for r in recipes.releases if having is None or having in {v.name for v in r.variants}),
               key=lambda r: r.parsed)


def install_of(command: str) -> Install:
    installs, _, _ = parse_command(Line("run.sh:1", command))
    (install,) = installs
    return install


def judged(command: str, facts: Facts, recipes: Recipes = RECIPES) -> list[Judged]:
    installs, scripts, _ = parse_command(Line("run.sh:1", command))
    return lint_installs(installs, scripts, facts, recipes)


def judge_variant(command: str, facts: Facts, recipes: Recipes = RECIPES) -> tuple[bool, list[Finding]]:
    """``_judge_variant`` as lint calls it: with the plan of the command's replacement."""
    install = install_of(command)
    wanted = wanted_of(install)
    out: list[Finding] = []
    known = _judge_variant(install, wanted, recipes, out, _replacement(install, wanted, facts, recipes)[2])
    return known, out


def pip(torch: str, variant: str, launcher: tuple[str, ...] = ("python",)) -> list[str]:
    return [*launcher, "-m", "pip", "install", f"torch=={torch}", "--index-url", f"{INDEX}/{variant}"]


# ---------------------------------------------------------------------------- the variant asked for


def test_a_variant_no_release_has_is_gone_with_the_range_and_the_current_cuda_builds():
    command = f"pip install torch --index-url {INDEX}/cu100"
    oldest = min(RECIPES.releases, key=lambda r: r.parsed)
    current = [v.name for v in newest().variants if v.kind == "cuda"]
    assert judge_variant(command, RTX3090) == (False, [Finding(
        "lint.variant-gone", "error", "lint",
        f"no torch release from {oldest.version} to {newest().version} has a cu100 build (from {INDEX}/cu100); "
        f"current releases are built for {', '.join(current)}", subject="run.sh:1",
        fix="use a variant your driver runs (the command below picks one)",
        evidence=["source: recipes/torch.toml: the variants of every release since 1.8.0", f"line: {command}"])])


def test_a_legacy_variant_is_outdated_when_the_machine_s_plan_for_its_last_release_is_another_variant():
    """cu128's last release fits an R535 driver with its CUDA 12.6 build (closest to CUDA 12.2): the plan has
    cu128's release but not cu128, so the variant is said to be outdated."""
    last = newest(having="cu128")
    command = f"pip install 'torch<={last.version}' --index-url {INDEX}/cu128"
    instead = pip(last.version, "cu126")
    assert judged(command, RTX3090) == [Judged("run.sh:1", command, [Finding(
        "lint.variant-outdated", "warning", "lint",
        f"cu128 (from {INDEX}/cu128) is not built any more: the newest release with it is torch {last.version}, the "
        f"newest release is {newest().version}", subject="run.sh:1", fix="use a current variant (the command below)",
        commands=[instead],
        evidence=[f"source: recipes/torch.toml: series {last.series} ({last.source})", f"line: {command}"])],
        instead=instead)]


def test_a_current_variant_unpinned_is_not_outdated_where_the_plan_is_another_build():
    """The newest release's CUDA build on a machine without a GPU: only the kind of build is a finding."""
    torch = newest()
    cuda = next(v.name for v in torch.variants if v.kind == "cuda")
    command = f"pip install torch --index-url {INDEX}/{cuda}"
    instead = pip(torch.version, "cpu")
    assert judged(command, NO_GPU) == [Judged("run.sh:1", command, [Finding(
        "lint.gpu-build-without-gpu", "warning", "lint",
        f"this installs torch {torch.version} {cuda}, a CUDA build whose GPU libraries are gigabytes that this "
        "machine cannot use: install plans the CPU build (cpu) for it", subject="run.sh:1", fix=CPU_FIX,
        commands=[instead], evidence=[NO_GPU_SOURCE, f"line: {command}"])], instead=instead)]


def test_the_cpu_index_is_current_even_on_data_whose_newest_release_lists_no_cpu_build():
    """An overlay may list only the builds it adds; PyTorch builds a CPU wheel of every release all the same."""
    top = newest()
    without_cpu = dataclasses.replace(top, variants=tuple(v for v in top.variants if v.name != "cpu"))
    recipes = dataclasses.replace(RECIPES, releases=tuple(without_cpu if r is top else r for r in RECIPES.releases))
    assert judge_variant(f"pip install torch --index-url {INDEX}/cpu", RTX3090, recipes) == (True, [])


# ---------------------------------------------------------------------------- the kind of build it installs


def test_a_rocm_build_from_its_index_on_a_machine_without_a_gpu():
    command = f"pip install torch==2.5.1 --index-url {INDEX}/rocm6.2"
    instead = pip("2.5.1", "cpu")
    assert judged(command, NO_GPU) == [Judged("run.sh:1", command, [Finding(
        "lint.gpu-build-without-gpu", "warning", "lint",
        "this installs torch 2.5.1 rocm6.2, a ROCm build whose GPU libraries are gigabytes that this machine cannot "
        "use: install plans the CPU build (cpu) for it", subject="run.sh:1", fix=CPU_FIX, commands=[instead],
        evidence=[NO_GPU_SOURCE, f"line: {command}"])], instead=instead)]


def test_a_rocm_pypi_default_is_named_rocm():
    """Data whose PyPI default for Linux x86_64 is 2.5.1's ROCm 6.2 build (assembled: PyPI's own is CUDA 12.4):
    the message names the kind of the build the data gives."""
    release = RECIPES.release("2.5.1")
    assert release is not None
    rocm_default = dataclasses.replace(release, pypi={**release.pypi, "linux-x86_64": "rocm6.2"})
    recipes = dataclasses.replace(RECIPES, releases=tuple(rocm_default if r is release else r
                                                          for r in RECIPES.releases))
    command = "pip install torch==2.5.1"
    instead = pip("2.5.1", "cpu")
    assert judged(command, NO_GPU, recipes) == [Judged("run.sh:1", command, [Finding(
        "lint.gpu-build-without-gpu", "warning", "lint",
        "this installs torch 2.5.1 rocm6.2 (the PyPI default here), a ROCm build whose GPU libraries are gigabytes "
        "that this machine cannot use: install plans the CPU build (cpu) for it", subject="run.sh:1", fix=CPU_FIX,
        commands=[instead], evidence=[NO_GPU_SOURCE, f"line: {command}"])], instead=instead)]


def test_an_xpu_build_without_a_gpu_is_not_called_a_cuda_or_rocm_build():
    """The warning is for CUDA and ROCm builds; an XPU build is neither, and fits the release asked for."""
    command = f"pip install torch==2.5.1 --index-url {INDEX}/xpu"
    assert judged(command, NO_GPU) == [Judged("run.sh:1", command, [])]


def test_pypi_s_cpu_default_where_the_plan_is_the_cpu_build_too():
    """PyPI's Windows wheel is the CPU build, and without a GPU that is the plan: nothing to say."""
    assert judged("pip install torch", WINDOWS_NO_GPU) == [Judged("run.sh:1", "pip install torch", [])]


def test_pypi_s_cpu_default_beside_a_gpu_the_plan_serves_from_an_older_release():
    """Below 2.9 PyPI's Windows wheel is 2.8.0's CPU build; an R470 driver runs no CUDA 12 build, so the plan
    is 2.7.1's CUDA 11.8 build: a variant 2.8.0 does not have."""
    command = "pip install 'torch<2.9'"
    release = RECIPES.release("2.7.1")
    assert release is not None
    sass, ptx = release.variant("cu118").kernels_for("windows-x86_64")
    kernels = ", ".join(sass) + (f" + PTX {', '.join(ptx)}" if ptx else "")
    instead = pip("2.7.1", "cu118", ("py", "-3.11"))
    assert judged(command, WINDOWS_R470) == [Judged("run.sh:1", command, [Finding(
        "lint.cpu-build-on-gpu", "warning", "lint",
        "PyPI's default wheel here is torch 2.8.0 cpu, which leaves the GPU unused (torch.cuda.is_available() is "
        "False): install plans cu118 for it", subject="run.sh:1",
        fix="install the GPU build from its index (the command below)", commands=[instead],
        evidence=["source: the resolver, for the same request as `envdoctor install`: variant cu118: CUDA 11.8 runs "
                  f"through minor-version compatibility; kernels {kernels} cover every GPU", f"line: {command}"])],
        instead=instead)]
