"""lint of commands whose companion pins pair another torch, of conda replacements with other packages, and of
conda's fuzzy ``cudatoolkit=MAJOR``.

Expected pairings are hand-checked, not read from the code under test: PyTorch's "Previous versions" page
(https://pytorch.org/get-started/previous-versions/) installs torch 2.5.1 with torchvision 0.20.1 and
torchaudio 2.5.1, torch 2.4.0 with torchvision 0.19.0, torch 2.1.0 with torchvision 0.16.0; the same pairs are
written in recipes/torch.toml (series 2.5: "2.5.1" = { torchvision = "0.20.1", torchaudio = "2.5.1" }; series
2.4: "2.4.0" = { torchvision = "0.19.0" }; "2.1.0" = { torchvision = "0.16.0" }). conda's match specifications
("Package search and install specifications" in conda's user guide): ``numpy=1.11`` matches 1.11.0, 1.11.1,
...; ``numpy==1.11`` only 1.11.0; so ``cudatoolkit=11`` is any 11.x. The machine is an RTX 3090 with an R535
driver (CUDA 12.2 at most), Python 3.11 on Linux x86_64: torch 2.5.1's build for it is cu121 (cu124 needs a
newer driver, NVIDIA's CUDA 12.4 release notes: 550.54.14).
"""

from __future__ import annotations

import pytest

from envdoctor.facts import Facts
from envdoctor.lint import judge, wanted_of
from envdoctor.lint_instead import Judged
from envdoctor.readers.install_commands import Line, parse_command
from envdoctor.recipes import load_recipes
from envdoctor.target import describe_target

RECIPES = load_recipes(refreshed=False)
RTX3090 = describe_target(Facts(), recipes=RECIPES, target_os="linux", target_arch="x86_64", target_python="3.11",
                          gpus=("NVIDIA GeForce RTX 3090",), driver="535.104.05")
CU121 = "https://download.pytorch.org/whl/cu121"


def judged(command: str) -> Judged:
    (install,), _, _ = parse_command(Line("run.sh:1", command))
    one = judge(install, RTX3090, RECIPES)
    assert one is not None
    return one


def findings(command: str) -> list[tuple[str, str, str | None]]:
    return [(f.id, f.message, f.fix) for f in judged(command).findings]


TV_2_5_1 = "torchvision==0.19.0 does not pair torch==2.5.1: torch 2.5.1 pairs torchvision 0.20.1"


@pytest.mark.parametrize("command, fixed", [
    ("pip install torch==2.5.1 torchvision==0.19.0", "pip install torch==2.5.1 torchvision==0.20.1"),
    ("uv pip install 'torch==2.5.1' 'torchvision==0.19.0'", "uv pip install 'torch==2.5.1' 'torchvision==0.20.1'"),
])
def test_a_companion_of_another_release_is_named_not_torch(command, fixed):
    # torch 2.5.1 has a build here: the companion pin is what finds nothing, so no "nothing installs"
    assert findings(command) == [(
        "lint.companion-mismatch", TV_2_5_1, f"pin torchvision==0.20.1, or leave it unpinned: {fixed}")]


def test_a_conda_companion_of_another_release_is_named_not_torch():
    command = "conda install pytorch=2.5.1 torchvision=0.19.0 -c pytorch"
    ids = [f[0] for f in findings(command)]
    assert ids == ["lint.pytorch-conda-channel", "lint.companion-mismatch"]
    assert findings(command)[1] == (
        "lint.companion-mismatch", TV_2_5_1,
        "pin torchvision==0.20.1, or leave it unpinned: conda install pytorch=2.5.1 torchvision=0.20.1 -c pytorch")


def test_a_fuzzy_conda_companion_of_another_release_keeps_its_channel_in_the_fix():
    # torchvision=0.19 is conda's 0.19.*, which holds no 0.20.1
    command = "conda install pytorch=2.5.1 pytorch::torchvision=0.19 -c pytorch"
    assert findings(command)[1:] == [(
        "lint.companion-mismatch",
        "torchvision==0.19.* does not pair torch==2.5.1: torch 2.5.1 pairs torchvision 0.20.1",
        "pin torchvision==0.20.1, or leave it unpinned: conda install pytorch=2.5.1 pytorch::torchvision=0.20.1 "
        "-c pytorch")]


def test_two_companions_of_another_release_get_one_command_that_fixes_both():
    command = "pip install torch==2.5.1 torchvision==0.19.0 torchaudio==2.4.0"
    fixed = "pip install torch==2.5.1 torchvision==0.20.1 torchaudio==2.5.1"
    assert findings(command) == [
        ("lint.companion-mismatch", TV_2_5_1, f"pin torchvision==0.20.1, or leave it unpinned: {fixed}"),
        ("lint.companion-mismatch", "torchaudio==2.4.0 does not pair torch==2.5.1: torch 2.5.1 pairs torchaudio 2.5.1",
         f"pin torchaudio==2.5.1, or leave it unpinned: {fixed}")]


@pytest.mark.parametrize("command", [
    "pip install torch==2.5.1 torchvision==0.20.1 torchaudio==2.5.1",
    "pip install torch==2.4.0 'torchvision>=0.19,<0.20'",
    "uv pip install torch==2.5.1 torchvision==0.20.1",
])
def test_companions_that_pair_are_no_finding(command):
    assert findings(command) == []


def test_a_conda_replacement_keeps_the_other_packages_as_written():
    one = judged("conda install pytorch=2.1.0 numpy 'scipy>=1.10' conda-forge::ffmpeg -c pytorch")
    # torch 2.1.0 on the pytorch channel pairs CUDA with pytorch-cuda=12.1 (recipes/torch.toml series 2.1)
    assert (one.instead, one.then) == (
        ["conda", "install", "-y", "pytorch==2.1.0", "pytorch-cuda=12.1", "numpy", "scipy>=1.10", "conda-forge::ffmpeg",
         "-c", "pytorch", "-c", "nvidia"], [])


def test_a_pip_replacement_keeps_the_other_packages_in_a_second_step():
    one = judged(f"pip install torch==2.5.1 numpy --index-url {CU121.replace('cu121', 'cu100')}")
    assert (one.instead, one.then) == (
        ["python", "-m", "pip", "install", "torch==2.5.1", "--index-url", CU121],
        [["python", "-m", "pip", "install", "torch==2.5.1", "numpy"]])
    assert one.findings[0].commands == [one.instead, *one.then]


def test_cudatoolkit_major_alone_is_any_of_that_line():
    install_of = parse_command(Line("run.sh:1", "conda install pytorch cudatoolkit=11 -c pytorch"))[0][0]
    wanted = wanted_of(install_of)
    assert (wanted.cudatoolkit, wanted.variant, wanted.variant_from) == ("11.*", None, "")
    cudatoolkit = next(f for f in judged("conda install pytorch cudatoolkit=11 -c pytorch").findings
                       if f.id == "lint.cudatoolkit")
    assert cudatoolkit.message == (
        "cudatoolkit=11.* is how the pytorch channel paired a CUDA line up to torch 1.12.1; later releases used "
        "pytorch-cuda, and current ones are not on that channel")
    # torch 1.12.1 had cudatoolkit 11.3 and 11.6 builds: nothing claims a CUDA 11.0 build was asked for
    one = judged("conda install pytorch=1.12.1 cudatoolkit=11 -c pytorch")
    assert not any("cu110" in f.message or "11.0" in f.message for f in one.findings)


@pytest.mark.parametrize("spec", ["cudatoolkit=11.3", "cudatoolkit==11.3", "cudatoolkit=11.3.1"])
def test_cudatoolkit_with_a_minor_names_that_variant(spec):
    wanted = wanted_of(parse_command(Line("run.sh:1", f"conda install pytorch {spec} -c pytorch"))[0][0])
    assert (wanted.cudatoolkit, wanted.variant, wanted.variant_from) == ("11.3", "cu113", "cudatoolkit=11.3")


def test_a_conda_command_for_a_venv_gets_its_other_packages_from_pip_by_their_pypi_names():
    # a venv is no conda environment: pip installs torch there, and the command's numpy=1.26 (conda's fuzzy
    # match, 1.26.*) and scipy>=1.10 go to pip with torch; no conda command is left to run
    venv = describe_target(Facts(), recipes=RECIPES, target_os="linux", target_arch="x86_64", target_python="3.11",
                           gpus=("NVIDIA GeForce RTX 3090",), driver="535.104.05")
    venv.python.status, venv.python.in_venv, venv.python.executable = "ok", True, "/home/me/venv/bin/python"
    (install,), _, _ = parse_command(Line("run.sh:1", "conda install pytorch=2.1.0 numpy=1.26 'scipy>=1.10' -c pytorch"))
    one = judge(install, venv, RECIPES)
    assert one is not None
    python = "/home/me/venv/bin/python"
    # PyPI's own torch 2.1.0 wheel for linux-x86_64 is the CUDA 12.1 build (recipes/torch.toml series 2.1), which
    # the R535 driver runs: one pip command from PyPI, torch and the rest together
    assert [one.instead, *one.then] == [[python, "-m", "pip", "install", "torch==2.1.0", "numpy==1.26.*", "scipy>=1.10"]]
