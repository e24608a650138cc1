"""The CUDA toolkit, cuDNN and installer files a command installs (``lint_cuda.py``), compared whole.

The commands are hand-written in the forms their sources publish: NVIDIA's CUDA 12.4.0 downloads page,
"deb (local)" for Ubuntu 22.04 (``sudo dpkg -i cuda-repo-ubuntu2204-12-4-local_12.4.0-550.54.14-1_amd64.deb``),
and conda-forge's ``cudatoolkit`` and ``cudnn`` packages installed with micromamba (which speaks conda's
command line). torch 2.2.2 was the last release with macOS x86_64 wheels, for CPython 3.8 to 3.12 (its
files on PyPI): an Intel Mac's Python 3.13 has no torch to install instead.
"""

from __future__ import annotations

from envdoctor.facts import Facts, Finding
from envdoctor.lint import lint_installs
from envdoctor.lint_cuda import _cuda_parts
from envdoctor.readers.install_commands import Line, parse_command
from envdoctor.recipes import load_recipes
from envdoctor.target import describe_target
from envdoctor.toolkit import DRIVER_ONLY, DRIVER_ONLY_FIX, DRIVER_ONLY_SOURCE

LOCAL_REPO = "cuda-repo-ubuntu2204-12-4-local_12.4.0-550.54.14-1_amd64.deb"


def parts(command: str) -> tuple[list[str], list[str], list[str], str | None]:
    installs, _, _ = parse_command(Line("x", command))
    (install,) = installs
    return _cuda_parts(install, Facts())


def test_nvidia_s_local_repository_package_names_its_cuda_line():
    assert parts(f"sudo dpkg -i {LOCAL_REPO}") == ([], [], [LOCAL_REPO], "12.4")


def test_micromamba_installs_are_read_as_conda_s():
    assert parts("micromamba install -y -c conda-forge cudatoolkit=11.8 cudnn") == (
        ["cudatoolkit=11.8"], ["cudnn"], [], "11.8")


def test_a_toolkit_where_no_torch_installs_names_no_command():
    recipes = load_recipes(refreshed=False)
    intel_mac = describe_target(Facts(), recipes=recipes, target_os="macos", target_arch="x86_64",
                                target_python="3.13", no_gpu=True)
    command = "conda install -c nvidia cuda-toolkit=12.4.1"
    installs, scripts, _ = parse_command(Line("run.sh:1", command))
    (one,) = lint_installs(installs, scripts, intel_mac, recipes)
    assert (one.instead, one.instead_note, one.findings) == (
        None, "torch 2.2.2 needs Python 3.8, 3.9, 3.10, 3.11, 3.12; this is Python 3.13 (torch 2.2.2 has no wheels for "
              "Python 3.13 on macos-x86_64)",
        [Finding("lint.cuda-toolkit-not-needed", "warning", "lint",
                 f"cuda-toolkit=12.4.1: a CUDA toolkit is not needed for torch; {DRIVER_ONLY}", subject="run.sh:1",
                 fix=DRIVER_ONLY_FIX, evidence=[f"source: {DRIVER_ONLY_SOURCE}", f"line: {command}"])])
