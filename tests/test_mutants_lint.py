"""What lint reads from an install command, compared whole with values written by hand.

conda's match specifications (conda docs, "Package match specifications"): ``pytorch=1.12`` is a fuzzy
match, any 1.12.x; ``pytorch=2.1.0=py3.10_cuda12.1_cudnn8.9.2_0`` is release 2.1.0 with that build
string; ``channel::name`` names the channel. pip's requirements are PEP 508, its specifiers PEP 440.
"""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet

from envdoctor.lint import Wanted, _conda_specifier, wanted_of
from envdoctor.readers.install_commands import Line, parse_command

CU118 = "https://download.pytorch.org/whl/cu118"


def wanted(command: str) -> Wanted:
    installs, _, _ = parse_command(Line("x", command))
    (install,) = installs
    return wanted_of(install)


@pytest.mark.parametrize(("rest", "spec"), [
    ("=1.12", "==1.12.*"),  # fuzzy: 1.12.0, 1.12.1 ...
    ("==1.12", "==1.12.*"),
    ("=1.12.1", "==1.12.1"),
    ("==1.12.1", "==1.12.1"),
    ("=1.12.1=py3.9_cuda11.6_cudnn8.3.2_0", "==1.12.1"),  # the build string is not a version
    ("=1.*", "==1.*"),
    (">=1.8", ">=1.8"),
    (">=1.8,<2", "<2,>=1.8"),
    ("", ""),
    ("=", ""),
    ("~~1", ""),  # not a specifier: nothing is assumed
])
def test_conda_version_specs_as_pep_440(rest, spec):
    assert _conda_specifier(rest) == SpecifierSet(spec)


def test_a_fuzzy_conda_pin_takes_any_patch_release_and_no_other_minor():
    spec = _conda_specifier("=1.12")
    assert [v for v in ("1.12.0", "1.12.1", "1.13.0", "1.1.2", "11.2") if spec.contains(v)] == ["1.12.0", "1.12.1"]


def test_a_conda_command_whole():
    assert wanted("conda install pytorch=1.12 torchvision==0.13.1 cudatoolkit=11.6 python=3.9 numpy cpuonly "
                  "-c pytorch") == Wanted(
        specs={"torch": SpecifierSet("==1.12.*"), "torchvision": SpecifierSet("==0.13.1")},
        pins={"torchvision": "0.13.1"}, variant="cu116", variant_from="cudatoolkit=11.6", others=["numpy"],
        python="3.9", cudatoolkit="11.6", cpuonly=True)


def test_a_conda_command_with_a_channel_prefix_and_a_build_string():
    installs, _, _ = parse_command(Line("x", "conda install -c conda-forge pytorch-cuda=12.1 "
                                             "pytorch::pytorch=2.1.0=py3.10_cuda12.1_cudnn8.9.2_0 'torchaudio>=2.1'"))
    (install,) = installs
    assert wanted_of(install) == Wanted(
        specs={"torch": SpecifierSet("==2.1.0"), "torchaudio": SpecifierSet(">=2.1")}, pins={"torch": "2.1.0"},
        variant="cu121", variant_from="pytorch-cuda=12.1", pytorch_cuda="12.1")
    assert install.channels == ["conda-forge", "pytorch"]


def test_cpuonly_alone_is_the_cpu_variant():
    assert wanted("conda install pytorch cpuonly") == Wanted(
        specs={"torch": SpecifierSet()}, variant="cpu", variant_from="cpuonly", cpuonly=True)


def test_a_pip_command_whole():
    wheel = f"{CU118}/torchaudio-2.0.2%2Bcu118-cp310-cp310-linux_x86_64.whl"
    assert wanted(f"pip install torch==2.0.1+cu118 'torchvision>=0.15,<0.16' numpy pytorch 'torch-!!' {wheel} "
                  f"--index-url {CU118}") == Wanted(
        specs={"torch": SpecifierSet("==2.0.1"), "torchvision": SpecifierSet(">=0.15,<0.16"),
               "torchaudio": SpecifierSet("==2.0.2")},
        pins={"torch": "2.0.1", "torchaudio": "2.0.2"}, locals={"torch": "cu118", "torchaudio": "cu118"},
        variant="cu118", variant_from="torch==2.0.1+cu118", stub=True, others=["numpy"], unreadable=["torch-!!"],
        wheel_urls=[wheel])


def test_the_index_names_the_variant_when_no_pin_does():
    assert wanted(f"pip install torch==2.0.1 torchvision==0.15.* --index-url {CU118}") == Wanted(
        specs={"torch": SpecifierSet("==2.0.1"), "torchvision": SpecifierSet("==0.15.*")}, pins={"torch": "2.0.1"},
        variant="cu118", variant_from=CU118)
