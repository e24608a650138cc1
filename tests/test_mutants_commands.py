"""The install commands of a plan compared whole with published ones and hand-checked cases.

Oracles: the pip commands printed on pytorch.org's "Previous PyTorch Versions" page
(pytorch/pytorch.github.io, _get_started/previous-versions.md: v1.9.1 "Linux and Windows" CUDA 11.1, v2.5.1
"Linux and Windows" CUDA 12.1; the conda command of v2.1.0 CUDA 11.8); the SJTU mirror's page (per-variant simple
indexes under ``/pytorch-wheels/<variant>``) and TUNA's (``pip install -i https://pypi.tuna.tsinghua.edu.cn/simple``);
PEP 508 for markers, which allows either quote. The ``mirror`` rows are hand-checked cases of recipes/README.md's
rule: a row rewrites every index URL that starts with its prefix.
"""

from __future__ import annotations

import dataclasses

from packaging.markers import Marker
from test_resolver import PY, RECIPES, T4, conda_env, machine

from envdoctor.facts import Facts, PythonFacts
from envdoctor.mirrors import choose
from envdoctor.recipes import Mirror, Recipes
from envdoctor.resolver import Request, resolve
from envdoctor.resolver.commands import TorchIndex, installer_python, marker_text, torch_index

PIP = [PY, "-m", "pip", "install"]
UV = ["uv", "pip", "install", "--python", PY]


def test_the_find_links_era_is_the_published_command():
    # published: pip install torch==1.9.1+cu111 torchvision==0.10.1+cu111 torchaudio==0.9.1
    #            -f https://download.pytorch.org/whl/torch_stable.html
    family = ["torch==1.9.1", "torchvision==0.10.1", "torchaudio==0.9.1"]
    plan = resolve(machine("535.104.05", [T4], python="3.8.18"), Request(requirements=family), RECIPES)
    published = ("torch==1.9.1+cu111 torchvision==0.10.1+cu111 torchaudio==0.9.1 "
                 "-f https://download.pytorch.org/whl/torch_stable.html").split()
    assert plan.steps["pip"] == [PIP + published]
    assert plan.steps["uv"] == [UV + published]
    assert "pip" not in plan.command_notes and "uv" not in plan.command_notes


def test_the_index_url_era_is_the_published_command():
    # published: pip install torch==2.5.1 torchvision==0.20.1 torchaudio==2.5.1
    #            --index-url https://download.pytorch.org/whl/cu121
    family = ["torch==2.5.1", "torchvision==0.20.1", "torchaudio==2.5.1"]
    plan = resolve(machine("535.104.05", [T4]), Request(requirements=family, variant="cu121"), RECIPES)
    published = "torch==2.5.1 torchvision==0.20.1 torchaudio==2.5.1 --index-url https://download.pytorch.org/whl/cu121"
    assert plan.steps["pip"] == [PIP + published.split()]
    assert plan.steps["uv"] == [UV + published.split()]


def test_a_simple_index_mirror_serves_the_find_links_era_from_the_variant_index():
    family = ["torch==1.9.1", "torchvision==0.10.1", "torchaudio==0.9.1"]
    plan = resolve(machine("535.104.05", [T4], python="3.8.18"),
                   Request(requirements=family, mirrors=choose(["sjtu"], RECIPES)), RECIPES)
    mirrored = "https://mirror.sjtu.edu.cn/pytorch-wheels/cu111"
    assert plan.steps["pip"] == [PIP + ["torch==1.9.1+cu111", "torchvision==0.10.1+cu111", "torchaudio==0.9.1",
                                        "--extra-index-url", mirrored]]
    assert plan.command_notes["pip"] == (
        "torch 1.9.1 was published on a find-links page (https://download.pytorch.org/whl/torch_stable.html); "
        f"--mirror sjtu serves simple indexes, so its cu111 index {mirrored} is used (PyTorch's per-variant "
        "indexes hold the 1.8-1.10 wheels too), with --extra-index-url and +cu111 pins")


def test_other_requirements_and_markers_go_to_a_second_step_with_the_pins_again():
    facts = machine("535.104.05", [T4])
    facts.torch.status, facts.torch.version, facts.torch.installer = "ok", "2.5.1+cu124", "pip"
    wanted = ["torch==2.5.1", 'torchvision[x]==0.20.1; sys_platform == "linux"', "numpy>=1"]
    plan = resolve(facts, Request(requirements=wanted, variant="cu121"), RECIPES)
    vision = "torchvision==0.20.1+cu121; sys_platform == 'linux'"
    assert plan.steps["pip"] == [
        PIP + ["torch==2.5.1+cu121", vision, "--index-url", "https://download.pytorch.org/whl/cu121"],
        PIP + ["torch==2.5.1+cu121", "torchvision[x]==0.20.1+cu121; sys_platform == 'linux'", "numpy>=1"]]
    assert plan.command_notes["pip"] == (
        "the local version +cu121 makes the installer replace the installed build; other requirements come from "
        "your own index in a second step (the PyTorch index does not serve them)")


def test_a_conda_plan_installs_the_rest_with_pip_and_says_so():
    plan = resolve(conda_env(machine("550.54.15", ["NVIDIA A100-SXM4-80GB"])),
                   Request(requirements=["torch==2.1.0", "numpy"], variant="cu118"), RECIPES)
    assert plan.steps["conda"] == [
        ["conda", "install", "-y", "-p", "/opt/conda/envs/ml", "pytorch==2.1.0", "pytorch-cuda=11.8", "-c", "pytorch",
         "-c", "nvidia"],
        PIP + ["torch==2.1.0", "numpy"]]
    assert plan.command_notes["conda"] == "other requirements are PyPI names: pip installs them into the same environment"


def test_conda_forge_has_no_windows_torchaudio():
    # anaconda.org/conda-forge/torchaudio/files: linux-64, linux-aarch64, osx-64, osx-arm64, no win-64
    facts = conda_env(machine(system="Windows", arch="AMD64", glibc=None))
    plan = resolve(facts, Request(requirements=["torch==2.8.0", "torchaudio"], variant="cpu"), RECIPES)
    assert plan.steps["conda"] is None
    assert plan.command_notes["conda"] == ("conda-forge has no Windows build of torchaudio: install this plan with pip "
                                           "or uv (--manager pip), or leave torchaudio out")


def test_a_system_python_is_refused_by_conda_with_its_name():
    plan = resolve(machine("535.104.05", [T4]), Request(requirements=["torch==2.5.1"]), RECIPES)
    assert plan.steps["conda"] is None
    assert plan.command_notes["conda"] == (
        f"the target interpreter {PY} is a system Python, not a conda environment: conda installs only into conda "
        "environments (use pip or uv, or --python a conda env's python)")


def test_a_described_interpreter_is_named_as_its_os_runs_one():
    described = Facts()
    described.python = PythonFacts(status="unknown")
    assert installer_python(described, "windows", "3.12") == ["py", "-3.12"]
    assert installer_python(described, "windows", None) == ["py"]
    assert installer_python(described, "linux", "3.12") == ["python"]
    probed = Facts()
    probed.python = PythonFacts(executable="/usr/bin/python3")
    assert installer_python(probed, "linux", "3.12") == ["/usr/bin/python3"]
    assert installer_python(Facts(), "linux", "3.12") is None


def test_markers_are_single_quoted_unless_a_value_holds_a_single_quote():
    assert marker_text(Marker('sys_platform == "linux"')) == "sys_platform == 'linux'"
    assert marker_text(Marker("platform_release == \"5.15'x\"")) == 'platform_release == "5.15\'x"'


def test_a_conda_plans_pip_step_uses_the_pypi_mirror():
    # published (v2.1.0, conda, CUDA 11.8): conda install pytorch==2.1.0 ... pytorch-cuda=11.8 -c pytorch -c nvidia;
    # the TUNA preset's page: pip install -i https://pypi.tuna.tsinghua.edu.cn/simple
    plan = resolve(conda_env(machine("550.54.15", ["NVIDIA A100-SXM4-80GB"])),
                   Request(requirements=["torch==2.1.0", "numpy"], variant="cu118", mirrors=choose(["tuna"], RECIPES)),
                   RECIPES)
    assert plan.steps["conda"] == [
        ["conda", "install", "-y", "-p", "/opt/conda/envs/ml", "pytorch==2.1.0", "pytorch-cuda=11.8", "-c", "pytorch",
         "-c", "nvidia"],
        PIP + ["torch==2.1.0", "numpy", "--index-url", "https://pypi.tuna.tsinghua.edu.cn/simple"]]


def with_mirror(row: Mirror) -> Recipes:
    """The built-in data with one ``mirror`` row, as an overlay's mirrors.toml adds it."""
    return dataclasses.replace(RECIPES, mirrors=(row,))


def test_an_overlay_mirror_row_without_a_source_rewrites_a_variant_index():
    recipes = with_mirror(Mirror("https://download.pytorch.org/whl", "https://pypi.internal.example/pytorch-whl"))
    release = recipes.release("2.5.1")
    index = torch_index(release, release.variant("cu121"), False, None, recipes)
    assert index == TorchIndex("https://pypi.internal.example/pytorch-whl/cu121", "--index-url", "simple",
                               "mirror row https://download.pytorch.org/whl (recipes overlay)")


def test_a_mirror_row_of_the_find_links_page_alone_is_passed_with_find_links():
    # the row rewrites torch_stable.html only, not the variant folders beside it
    page = "https://download.pytorch.org/whl/torch_stable.html"
    recipes = with_mirror(Mirror(page, "https://pypi.internal.example/torch_stable.html",
                                 "https://pypi.internal.example/README"))
    release = recipes.release("1.9.1")
    index = torch_index(release, release.variant("cu111"), False, None, recipes)
    assert index == TorchIndex("https://pypi.internal.example/torch_stable.html", "-f", "find-links",
                               f"mirror row {page} (https://pypi.internal.example/README)")
