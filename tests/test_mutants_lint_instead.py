"""The command lint offers instead (``lint_instead.py``), compared whole with values written by hand.

Published facts behind the expected values: pytorch.org's previous-versions page pairs torch 2.1.0 with
torchvision 0.16.0 (``pip install torch==2.1.0 torchvision==0.16.0 torchaudio==2.1.0``) and gives v2.1.0's
conda command for CUDA 12.1 as ``conda install pytorch==2.1.0 torchvision==0.16.0 torchaudio==2.1.0
pytorch-cuda=12.1 -c pytorch -c nvidia``; torch 2.1.0 has wheels for CPython 3.8 to 3.11 (its files on PyPI),
and PyPI's Linux x86_64 wheel of 2.1.0 is the CUDA 12.1 build; an R535 driver runs CUDA 12.2. conda-forge
builds torch as ``pytorch-gpu`` with ``cuda-version`` pinning the CUDA line; micromamba speaks mamba's
command line. The commands linted are hand-written.
"""

from __future__ import annotations

import copy

from envdoctor.facts import Facts
from envdoctor.lint import lint_installs
from envdoctor.lint_instead import _alternatives, _in_image, _replacement
from envdoctor.lint_wanted import wanted_of
from envdoctor.readers.install_commands import Line, parse_command
from envdoctor.recipes import load_recipes
from envdoctor.target import describe_target

RECIPES = load_recipes(refreshed=False)
RTX3090 = describe_target(Facts(), recipes=RECIPES, target_os="linux", target_arch="x86_64", target_python="3.11",
                          gpus=("NVIDIA GeForce RTX 3090",), driver="535.104.05")


def replacement(command: str, facts: Facts) -> tuple[list[list[str]] | None, str]:
    installs, _, _ = parse_command(Line("run.sh:1", command))
    (install,) = installs
    steps, note, _plan = _replacement(install, wanted_of(install), facts, RECIPES)
    return steps, note


def test_a_companion_pin_of_another_torch_gives_the_companion_that_pairs():
    assert replacement("pip install torch==2.1.0 torchvision==0.17.0", RTX3090) == (
        [["python", "-m", "pip", "install", "torch==2.1.0", "torchvision==0.16.0"]],
        "the companions' pins do not pair that torch: the companions that do")


def test_micromamba_runs_mamba_s_command():
    assert replacement("micromamba install -y -c conda-forge pytorch", RTX3090) == (
        [["micromamba", "install", "-y", "-c", "conda-forge", "pytorch-gpu==2.14.1", "cuda-version=12.6"]], "")


def test_a_conda_python_pin_is_planned_for_that_python_on_a_probed_machine():
    """The running interpreter is Python 3.11 (probed); the command creates Python 3.8, which torch 2.1.0 has."""
    probed = copy.deepcopy(RTX3090)
    probed.python.status, probed.python.executable, probed.python.version = "ok", "/usr/bin/python3", "3.11.9"
    command = "conda install pytorch==2.1.0 torchvision python=3.8 -c pytorch"
    installs, scripts, _ = parse_command(Line("run.sh:1", command))
    (one,) = lint_installs(installs, scripts, probed, RECIPES)
    instead = ["conda", "install", "-y", "pytorch==2.1.0", "torchvision==0.16.0", "pytorch-cuda=12.1", "-c", "pytorch",
               "-c", "nvidia"]
    assert (one.instead, one.instead_note, [(f.id, f.commands) for f in one.findings]) == (
        instead, "", [("lint.pytorch-conda-channel", [instead])])


def test_the_first_two_alternatives_in_one_sentence():
    assert _alternatives([{"message": "torch 2.2.2 needs Python 3.12"}, {"message": 3}, {"message": "c"}]) == (
        "torch 2.2.2 needs Python 3.12; 3")


def test_inside_an_image_python_is_python3():
    assert _in_image(["python", "-m", "pip", "install", "torch"]) == ["python3", "-m", "pip", "install", "torch"]
    assert _in_image(["conda", "install", "-y", "pytorch"]) == ["conda", "install", "-y", "pytorch"]


def test_micromamba_into_a_venv_is_pip_s_command_as_written_and_named_by_its_own_name():
    venv = copy.deepcopy(RTX3090)
    venv.python.status, venv.python.executable, venv.python.in_venv = "ok", "/home/u/venv/bin/python", True
    assert replacement("micromamba install -y -c conda-forge pytorch", venv) == (
        [["/home/u/venv/bin/python", "-m", "pip", "install", "torch==2.14.1", "--index-url",
          "https://download.pytorch.org/whl/cu126"]],
        "micromamba cannot install it (the target interpreter /home/u/venv/bin/python is a venv, not a conda "
        "environment: conda installs only into conda environments (use pip or uv, or --python a conda env's python)): "
        "pip")
