"""The command rewritten with other versions (``with_versions``: a fix the user can paste) and a conda spec as pip's
requirement (``pip_requirement``). The commands are assembled, each in a form the readers take; every expected
value is written by hand from the command and conda's match-spec rules (``numpy=1.26`` is 1.26.*)."""

from __future__ import annotations

import copy

import pytest
from test_lint_pairs import RECIPES, RTX3090

from envdoctor.lint import judge
from envdoctor.lint_wanted import pip_requirement, with_versions
from envdoctor.readers.install_commands import Install, Line, parse_command


def install(command: str) -> Install:
    (one,), _, _ = parse_command(Line("run.sh:1", command))
    return one


@pytest.mark.parametrize("command, fixed", [
    ("pip install numpy torch==2.5.1 torchvision==0.19.0", "pip install numpy torch==2.5.1 torchvision==0.20.1"),
    ("pip install torch==2.5.1+cu121 torchvision==0.19.0+cu121 --index-url https://download.pytorch.org/whl/cu121",
     "pip install torch==2.5.1+cu121 torchvision==0.20.1+cu121 --index-url https://download.pytorch.org/whl/cu121"),
    ("mamba install pytorch=2.5.1 torchvision=0.19 -c pytorch", "mamba install pytorch=2.5.1 torchvision=0.20.1 -c pytorch"),
    ("micromamba install pytorch=2.5.1 pytorch::torchvision=0.19 -c pytorch",
     "micromamba install pytorch=2.5.1 pytorch::torchvision=0.20.1 -c pytorch"),
    ("conda install 'blas=*=mkl' pytorch=2.5.1 torchvision=0.19 -c pytorch",
     "conda install 'blas=*=mkl' pytorch=2.5.1 torchvision=0.20.1 -c pytorch"),
    # a spec the reader cannot read, and a local path, are passed over as written
    ("conda install pytorch=2.5.1 '!!' torchvision=0.19 -c pytorch",
     "conda install pytorch=2.5.1 '!!' torchvision=0.20.1 -c pytorch"),
    ("pip install ./pkg torchvision==0.19.0 torch==2.5.1", "pip install ./pkg torchvision==0.20.1 torch==2.5.1"),
])
def test_each_named_requirement_gets_its_version_in_the_tool_s_syntax_and_the_rest_stays(command, fixed):
    assert with_versions(install(command), {"torchvision": "0.20.1"}) == fixed


def test_a_requirement_not_written_as_a_name_leaves_no_command_to_paste():
    wheel = "https://download.pytorch.org/whl/cu121/torchvision-0.19.0%2Bcu121-cp311-cp311-linux_x86_64.whl"
    assert with_versions(install(f"pip install torch==2.5.1 {wheel}"), {"torchvision": "0.20.1"}) is None
    # one named, one not: still no command, as it would fix only half
    assert with_versions(install("pip install torch==2.5.1 torchvision==0.19.0"),
                         {"torchvision": "0.20.1", "torchaudio": "2.5.1"}) is None


@pytest.mark.parametrize("spec, requirement", [
    ("numpy", "numpy"), ("NumPy=1.26", "numpy==1.26.*"), ("numpy=1.26.4", "numpy==1.26.4"),
    ("numpy >= 1.20", "numpy>=1.20"), ("scipy>=1.10,<2", "scipy<2,>=1.10"), ("numpy=1.26=py311h64a7726_0", "numpy==1.26.*"),
    ("conda-forge::ffmpeg", "ffmpeg"), ("!!", None),
])
def test_a_conda_spec_as_pip_s_requirement(spec, requirement):
    assert pip_requirement(spec) == requirement


# The replacement commands for conda's family of tools (the resolver's, with the command's other packages kept).
# Machine: an RTX 3090 with an R535 driver, Linux x86_64, Python 3.11 (as tests/test_lint_pairs.py); torch 2.1.0 on
# the pytorch channel pairs CUDA with pytorch-cuda=12.1 (recipes/torch.toml series 2.1).
CONDA_NOT_HERE = ("conda cannot install it (the target interpreter /v/bin/python is a venv, not a conda environment: "
                  "conda installs only into conda environments (use pip or uv, or --python a conda env's python)): pip")


def replaced(command: str, **python: object) -> tuple[list[str] | None, list[list[str]], str]:
    facts = copy.deepcopy(RTX3090)
    for name, value in python.items():
        setattr(facts.python, name, value)
    judged = judge(install(command), facts, RECIPES)
    assert judged is not None
    return judged.instead, judged.then, judged.instead_note


@pytest.mark.parametrize("tool", ["mamba", "micromamba"])
def test_mamba_and_micromamba_keep_their_own_name_and_the_other_packages(tool):
    assert replaced(f"{tool} install pytorch=2.1.0 numpy -c pytorch") == (
        [tool, "install", "-y", "pytorch==2.1.0", "pytorch-cuda=12.1", "numpy", "-c", "pytorch", "-c", "nvidia"], [], "")


def test_a_conda_environment_s_prefix_stays_before_the_packages():
    assert replaced("conda install pytorch=2.1.0 numpy -c pytorch", status="ok", conda_prefix="/opt/conda/envs/ml",
                    executable="/opt/conda/envs/ml/bin/python") == (
        ["conda", "install", "-y", "-p", "/opt/conda/envs/ml", "pytorch==2.1.0", "pytorch-cuda=12.1", "numpy",
         "-c", "pytorch", "-c", "nvidia"], [], "")


def test_in_a_venv_pip_installs_what_conda_was_asked_for_and_says_why():
    venv = {"status": "ok", "in_venv": True, "executable": "/v/bin/python"}
    assert replaced("conda install pytorch=2.1.0 numpy -c pytorch", **venv) == (
        ["/v/bin/python", "-m", "pip", "install", "torch==2.1.0", "numpy"], [], CONDA_NOT_HERE)
    # torch 1.10.0 has no build for Python 3.11: the newest that fits, from PyTorch's index, then numpy beside it
    instead, then, note = replaced("conda install pytorch=1.10.0 numpy -c pytorch", **venv)
    assert note == "the pinned versions fit no build for this machine: the newest that fits; " + CONDA_NOT_HERE
    assert [instead[:4], then[0][:4], then[0][5:]] == [["/v/bin/python", "-m", "pip", "install"]] * 2 + [["numpy"]]


def test_a_dockerfile_stage_s_replacement_runs_the_image_s_own_python():
    from envdoctor.lint import lint_installs
    from envdoctor.readers.install_commands import read_file_installs

    # assembled: a stage on the official Python image; no interpreter path of this machine may reach it
    installs, scripts, _ = read_file_installs(
        "FROM python:3.11-slim\nRUN pip install torch==2.5.1 torchvision==0.19.0\n", "dockerfile", "Dockerfile")
    (judged,) = lint_installs(installs, scripts, copy.deepcopy(RTX3090), RECIPES)
    # torch 2.5.1 pairs torchvision 0.20.1; for the RTX 3090 with R535 the cu121 build (recipes/torch.toml series 2.5)
    assert [judged.instead, *judged.then] == [["python3", "-m", "pip", "install", "torch==2.5.1", "torchvision==0.20.1",
                                               "--index-url", "https://download.pytorch.org/whl/cu121"]]


def test_pip_s_other_requirements_stay_as_written_extras_included():
    # a pip command's others are pip's own requirements: nothing of conda's reading touches them
    instead, then, _ = replaced(
        "pip install torch==2.5.1 'requests[socks]>=2.31' --index-url https://download.pytorch.org/whl/cu100")
    assert [instead, *then] == [
        ["python", "-m", "pip", "install", "torch==2.5.1", "--index-url", "https://download.pytorch.org/whl/cu121"],
        ["python", "-m", "pip", "install", "torch==2.5.1", "requests[socks]>=2.31"]]
