"""What one install command asks of the torch family (``lint_wanted.py``), compared whole with values written by hand.

The commands are hand-written in the forms their sources publish: conda's match specifications (conda docs,
"Package match specifications": ``name`` alone is any version, ``11.*`` any 11.x), pytorch.org's conda commands
(``pytorch-cuda=12.1 -c pytorch -c nvidia``, `tests/fixtures/lint/tutorial-commands.sh`) and detectron2's
INSTALL.md (``python -m pip install 'git+https://github.com/facebookresearch/detectron2.git'``).
"""

from __future__ import annotations

from packaging.specifiers import SpecifierSet

from envdoctor.lint_wanted import Wanted, wanted_of
from envdoctor.readers.install_commands import Line, parse_command


def wanted(command: str) -> Wanted:
    installs, _, _ = parse_command(Line("x", command))
    (install,) = installs
    return wanted_of(install)


def test_pytorch_cuda_without_a_version_is_any_and_names_no_variant():
    assert wanted("conda install pytorch pytorch-cuda -c pytorch -c nvidia") == Wanted(
        specs={"torch": SpecifierSet()}, pytorch_cuda="any")


def test_a_toolkit_pin_that_is_no_cuda_line_names_no_variant():
    """``11.*`` is any CUDA 11 toolkit: no one variant follows from it."""
    assert wanted("conda install pytorch cudatoolkit=11.* -c pytorch") == Wanted(
        specs={"torch": SpecifierSet()}, cudatoolkit="11.*")


def test_a_git_reference_is_neither_read_nor_unreadable():
    assert wanted("pip install git+https://github.com/facebookresearch/detectron2.git torch==2.1.0") == Wanted(
        specs={"torch": SpecifierSet("==2.1.0")}, pins={"torch": "2.1.0"})
