"""Whole findings of lint's judges for commands whose expected values are written by hand.

Published facts behind the expected values: pytorch.org's previous-versions page pairs torch 2.5.1 with
torchvision 0.20.1, and gives v1.12.1's conda command for CUDA 11.6 as ``conda install pytorch==1.12.1
torchvision==0.13.1 torchaudio==0.12.1 cudatoolkit=11.6 -c pytorch -c conda-forge`` (the cudatoolkit era,
which pytorch-cuda replaced from 1.13); the pytorch conda channel's last release is 2.5.1 (pytorch#138506);
torch 1.10 shipped wheels for CPython 3.6 to 3.9 only, and 2.4.1 is the newest release below 2.5 (its files
on PyPI); xformers' CHANGELOG says which torch each release's wheels need (0.0.28.post1: 2.4.1,
0.0.28.post3: 2.5.1, and no release in recipes/extensions.toml for torch 2.0.1). The commands are
hand-written; the recipe data is the one shipped (``refreshed=False``).
"""

from __future__ import annotations

import dataclasses

from envdoctor.facts import Facts, Finding
from envdoctor.lint import (
    Judged,
    _judge_companions,
    _judge_conda,
    _judge_extensions,
    _judge_indexes,
    _what_it_installs,
    lint_installs,
    wanted_of,
)
from envdoctor.lint_instead import _replacement
from envdoctor.readers.install_commands import Install, Line, parse_command
from envdoctor.recipes import load_recipes
from envdoctor.target import describe_target

RECIPES = load_recipes(refreshed=False)
RTX3090 = describe_target(Facts(), recipes=RECIPES, target_os="linux", target_arch="x86_64", target_python="3.11",
                          gpus=("NVIDIA GeForce RTX 3090",), driver="535.104.05")
CONDA_CHANNEL_SOURCE = "source: recipes/torch.toml: 2.5 is the last release on the pytorch conda channel (pytorch#138506)"
CONDA_CHANNEL_FIX = "install from conda-forge (or with pip): the command below"
XFORMERS_SOURCE = ("source: https://github.com/facebookresearch/xformers/blob/main/CHANGELOG.md (\"Pre-built binary "
                   "wheels require PyTorch ...\" per release)")


def source_of(version: str) -> str:
    """Where the shipped data says a release's facts come from (data, not the code under test)."""
    release = RECIPES.release(version)
    assert release is not None
    return release.source


def install_of(command: str) -> Install:
    installs, _, _ = parse_command(Line("run.sh:1", command))
    (install,) = installs
    return install


def test_a_companion_from_a_wheel_url_gets_a_fix_without_a_command():
    """A wheel URL cannot be re-pinned in the text, so the fix names the version without a command to paste."""
    wheel = "https://download.pytorch.org/whl/cu121/torchvision-0.19.0%2Bcu121-cp311-cp311-linux_x86_64.whl"
    command = f"pip install torch==2.5.1 {wheel}"
    install = install_of(command)
    out: list[Finding] = []
    assert _judge_companions(install, wanted_of(install), RECIPES, out) == {"torchvision"}
    assert out == [Finding(
        "lint.companion-mismatch", "error", "lint",
        "torchvision==0.19.0 does not pair torch==2.5.1: torch 2.5.1 pairs torchvision 0.20.1", subject="run.sh:1",
        fix="pin torchvision==0.20.1, or leave it unpinned",
        evidence=[f"source: recipes/torch.toml: series 2.5 ({source_of('2.5.1')})",
                  f"line: {command}"])]


def test_a_release_without_a_wheel_for_this_python_is_cited_from_the_platform_data():
    command = "pip install torch==1.10.0"
    install = install_of(command)
    out: list[Finding] = []
    chosen = _what_it_installs(install, wanted_of(install), RTX3090, RECIPES, False, True, set(), out)
    assert (chosen, out) == (None, [Finding(
        "lint.nothing-installs", "error", "lint",
        "no torch release matching ==1.10.0 has a PyPI build for linux-x86_64 for Python 3.11: the installer finds "
        "nothing", subject="run.sh:1", fix="the command below picks a release that installs here",
        evidence=["source: recipes/torch.toml: platforms, Pythons and variants per release", f"line: {command}"])])


def test_the_commands_past_the_limit_are_counted_once():
    """200 different commands are judged; a repeat is not a new one; the rest are counted from the first left out."""
    lines = [f"pip install numpy{n}" for n in range(200)] + ["pip install numpy0", "pip install scipy", "pip install six"]
    installs = [install for number, text in enumerate(lines, 1)
                for install in parse_command(Line(f"requirements.sh:{number}", text))[0]]
    assert lint_installs(installs, [], RTX3090, RECIPES) == [
        Judged("requirements.sh:202", "pip install scipy", [Finding(
            "lint.too-many-commands", "info", "lint",
            "only the first 200 different install commands are judged: 2 more from here on are not",
            subject="requirements.sh:202")])]


def test_a_release_past_the_pytorch_channel_with_its_cuda_pairing_is_an_error():
    command = "conda install pytorch=2.6.0 pytorch-cuda=12.4 -c pytorch -c nvidia"
    install = install_of(command)
    out: list[Finding] = []
    _judge_conda(install, wanted_of(install), RECIPES, out)
    assert out == [Finding(
        "lint.pytorch-conda-channel", "error", "lint",
        "the pytorch conda channel got no builds after torch 2.5.1: this installs 2.5.1 at the newest, and pytorch "
        "2.6.0 is not there at all. pytorch-cuda=12.4 is that channel's CUDA pairing (with -c nvidia). conda-forge "
        "builds current releases", subject="run.sh:1", fix=CONDA_CHANNEL_FIX,
        evidence=[CONDA_CHANNEL_SOURCE, f"line: {command}"])]


def test_the_published_cudatoolkit_command_of_its_own_era_draws_no_cudatoolkit_finding():
    command = ("conda install pytorch==1.12.1 torchvision==0.13.1 torchaudio==0.12.1 cudatoolkit=11.6 -c pytorch "
               "-c conda-forge")
    install = install_of(command)
    out: list[Finding] = []
    _judge_conda(install, wanted_of(install), RECIPES, out)
    assert out == [Finding(
        "lint.pytorch-conda-channel", "warning", "lint",
        "the pytorch conda channel got no builds after torch 2.5.1: this installs 2.5.1 at the newest. conda-forge "
        "builds current releases", subject="run.sh:1", fix=CONDA_CHANNEL_FIX,
        evidence=[CONDA_CHANNEL_SOURCE, f"line: {command}"])]


def test_an_xformers_pin_for_a_torch_no_listed_release_was_built_for():
    command = "pip install torch==2.0.1 xformers==0.0.28.post3"
    install = install_of(command)
    assert _judge_extensions(install, wanted_of(install), None, RTX3090, RECIPES) == [Finding(
        "lint.extension-moves-torch", "error", "lint",
        "xformers==0.0.28.post3's wheels require torch==2.5.1, but the command pins torch 2.0.1: pip replaces that "
        "torch with torch==2.5.1 (from PyPI's default build) to satisfy the pin", subject="run.sh:1",
        fix="pin the xformers release built for torch 2.0.1, or install torch==2.5.1 on purpose, from the same index "
            "as torch; or add --no-deps to keep torch as it is",
        evidence=[XFORMERS_SOURCE, f"line: {command}"])]


def test_an_xformers_pin_against_the_torch_the_command_s_plan_installs():
    command = "pip install 'torch<2.5' xformers==0.0.28.post3"
    install = install_of(command)
    wanted = wanted_of(install)
    plan = _replacement(install, wanted, RTX3090, RECIPES)[2]
    assert _judge_extensions(install, wanted, plan, RTX3090, RECIPES) == [Finding(
        "lint.extension-moves-torch", "error", "lint",
        "xformers==0.0.28.post3's wheels require torch==2.5.1, but the command, planned for this machine, installs torch "
        "2.4.1: pip replaces "
        "that torch with torch==2.5.1 (from PyPI's default build) to satisfy the pin", subject="run.sh:1",
        fix="pin xformers==0.0.28.post1, the release built for torch 2.4.1, from the same index as torch; or add "
            "--no-deps to keep torch as it is",
        evidence=[XFORMERS_SOURCE, f"line: {command}"])]


def test_a_find_links_era_of_one_release():
    """Data whose find-links era is 1.10.2 alone (assembled from the shipped data): the same era and successor."""
    recipes = dataclasses.replace(RECIPES, releases=tuple(
        r for r in RECIPES.releases if r.index_style != "find-links" or r.version == "1.10.2"))
    command = "pip install torch==1.10.2 -f https://download.pytorch.org/whl/torch_stable.html"
    install = install_of(command)
    out: list[Finding] = []
    _judge_indexes(install, wanted_of(install), recipes, out)
    assert out == [Finding(
        "lint.find-links-page", "warning", "lint",
        "-f https://download.pytorch.org/whl/torch_stable.html is the find-links page of the torch 1.x era: the "
        "newest release installed that way is 1.10.2; since 1.11.0 wheels come from a per-variant index "
        "(--index-url https://download.pytorch.org/whl/cu126), and +cuXYZ pins are no longer needed",
        subject="run.sh:1", fix="use the variant's index URL (the command below)",
        evidence=[f"source: recipes/torch.toml: index_style 'find-links' up to 1.10.2 "
                  f"({source_of('1.10.2')})", f"line: {command}"])]
