"""The installed-torch probe's readers, each judged on whole values.

They read ``torch/version.py`` as text (the file torch's build writes: ``__version__ = '2.5.1+cu124'``,
``cuda: Optional[str] = '12.4'``, ...), the version's local label (``+cu124``), the distributions the
target interpreter lists (name, version, folder and the ``INSTALLER`` file of each ``.dist-info``) and the
record names in a conda environment's ``conda-meta`` folder (``<name>-<version>-<build>.json``). Real files
are in tests/fixtures/torch/ (sources in its README) or quoted below with their source.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.facts import Distribution
from envdoctor.probes.torch_install import _distribution, local_tag, parse_conda_record_name, parse_torch_version_py

FIXTURES = Path(__file__).parent / "fixtures" / "torch"
SITE = "/usr/lib/python3/site-packages"


# --- torch/version.py ------------------------------------------------------------------------------------------


def test_a_real_version_py_whole():
    # tests/fixtures/torch/version-2.13.0+cpu.py: the file of the 2.13.0+cpu wheel, unchanged
    assert parse_torch_version_py((FIXTURES / "version-2.13.0+cpu.py").read_text()) == {
        "__version__": "2.13.0+cpu",
        "debug": False,
        "cuda": None,
        "git_version": "cf30153c4c131c8164ee7798e5022d810682e2cb",
        "hip": None,
        "rocm": None,
        "xpu": None,
    }


def test_a_value_that_is_not_a_literal_leaves_the_lines_after_it_read():
    # assembled: the 2.13.0+cpu file with its `debug` line overwritten by an expression (a hand-edited file)
    text = (FIXTURES / "version-2.13.0+cpu.py").read_text().replace("debug = False", "debug = bool(0)")
    assert parse_torch_version_py(text) == {
        "__version__": "2.13.0+cpu",
        "cuda": None,
        "git_version": "cf30153c4c131c8164ee7798e5022d810682e2cb",
        "hip": None,
        "rocm": None,
        "xpu": None,
    }


@pytest.mark.parametrize("text", [None, ""], ids=["no-file", "empty-file"])
def test_no_text_is_no_version_py(text):
    assert parse_torch_version_py(text) is None


# --- local_tag ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "local"),
    [
        # NVIDIA's build in its 24.03 containers and for JetPack 6.0 (`PyTorch version: 2.3.0a0+40ec155e58.nv24.03`
        # in a vLLM issue's collect_env, index id 56803685069; the Jetson wheel is
        # torch-2.3.0a0+40ec155e58.nv24.03.13384722-cp310-cp310-linux_aarch64.whl): PEP 440 reads each all-digit
        # part of a local label as a number, so "03" is "3"
        ("2.3.0a0+40ec155e58.nv24.03", "40ec155e58.nv24.3"),
        # `pip show torch` of NVIDIA's JetPack 5.1.1 wheel (Version: 2.0.0.nv23.05, quoted in a robot project's
        # README, index id 13180567323): not a PEP 440 version, and no "+", so no label
        ("2.0.0.nv23.05", None),
        # assembled: two "+" make no PEP 440 version; the label is all that follows the first one
        ("2.1.0+cu121+local", "cu121+local"),
        # assembled: a version that is not PEP 440 and ends at its "+"
        ("not a version+", None),
        (None, None),
    ],
)
def test_local_tag(version, local):
    assert local_tag(version) == local


# --- _distribution: one pyinfo entry --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "distribution"),
    [
        # a torch wheel installed by pip into the system site-packages
        ({"name": "torch", "version": "2.5.1+cu124", "location": SITE, "installer": "pip"},
         Distribution("torch", "2.5.1+cu124", SITE, "pip", source=f"dist-info in {SITE}")),
        # a .dist-info without an INSTALLER file (conda's own copy, or a copy unpacked by hand)
        ({"name": "torch", "version": "2.13.0+cpu", "location": SITE, "installer": None},
         Distribution("torch", "2.13.0+cpu", SITE, None, source=f"dist-info in {SITE}")),
        # the entry as the probe cleans it when the interpreter's JSON lacks a folder and a version
        ({"name": "torch", "version": "", "location": None, "installer": None},
         Distribution("torch", "", None, None, source="dist-info")),
    ],
    ids=["pip", "no-installer", "no-folder-no-version"],
)
def test_distribution(entry, distribution):
    assert _distribution(entry) == distribution


# --- conda-meta record names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "parsed"),
    [
        # the records of `conda install pytorch torchvision torchaudio pytorch-cuda=12.1 -c pytorch -c nvidia`
        # as its plan lists them (pytorch/linux-64::pytorch-2.3.0-py3.10_cuda12.1_cudnn8.9.2_0,
        # pytorch/linux-64::pytorch-cuda-12.1-ha16c6d3_5, pytorch/noarch::pytorch-mutex-1.0-cuda), each
        # stored in conda-meta as <name>-<version>-<build>.json
        ("pytorch-2.3.0-py3.10_cuda12.1_cudnn8.9.2_0.json", ("pytorch", "2.3.0", "py3.10_cuda12.1_cudnn8.9.2_0")),
        ("pytorch-cuda-12.1-ha16c6d3_5.json", ("pytorch-cuda", "12.1", "ha16c6d3_5")),
        ("pytorch-mutex-1.0-cuda.json", ("pytorch-mutex", "1.0", "cuda")),
        ("history", None),  # conda-meta's own log of transactions
        # assembled: names cut short of the three parts
        ("pytorch-2.3.0.json", None),
        ("pytorch.json", None),
        ("pytorch-2.3.0-.json", None),
    ],
)
def test_parse_conda_record_name(file_name, parsed):
    assert parse_conda_record_name(file_name) == parsed
