"""check corrects the toolkit-first myth on its CUDA toolkit and cuDNN rows.

pip and conda builds of torch bring their own CUDA runtime and cuDNN and need only the driver (PyTorch's
"Get Started" page asks for nothing else); a toolkit matters to compile extensions, and
torch.utils.cpp_extension refuses one whose major version differs from torch's CUDA.

The end-to-end test runs the real CLI against this machine's real nvcc and a venv holding the
``torch/version.py`` of the PyPI wheel torch-2.7.1 cu126 (the line in
tests/fixtures/torch/torch-version-py-from-pypi-wheels.txt) with its dist-info.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envdoctor.facts import CudaToolkit, CudnnInstall, Facts, PythonFacts, TorchFacts
from envdoctor.rules import evaluate

FIXTURE = Path(__file__).parent / "fixtures" / "torch" / "torch-version-py-from-pypi-wheels.txt"
WHEEL = "torch-2.7.1-cp312-cp312-manylinux_2_28_x86_64.whl"
PYENV_312 = next(iter(sorted((Path.home() / ".pyenv" / "versions").glob("3.12.*/bin/python3.12"))), None)
#: Written out by hand, not taken from envdoctor.toolkit, so a change to the explanation shows here.
DRIVER_ONLY = ("pip and conda builds of torch bring their own CUDA runtime and cuDNN and need only the NVIDIA driver; "
               "a CUDA toolkit matters only to compile CUDA extensions, and then its major version must match "
               "torch's CUDA")
MYTH = "CUDA toolkit {kit}: a CUDA toolkit is not needed for torch; " + DRIVER_ONLY


def machine(torch_cuda: str | None, toolkit: str = "12.4.131") -> Facts:
    facts = Facts()
    facts.os.system, facts.os.arch = "Linux", "x86_64"
    facts.python = PythonFacts(status="ok", executable="/usr/bin/python3", version="3.12.1")
    facts.cuda.toolkits = [CudaToolkit(toolkit, f"/usr/local/cuda-{toolkit[:4]}", active=True, source="nvcc --version")]
    if torch_cuda is not None:
        facts.torch = TorchFacts(status="ok", version=f"2.7.1+cu{torch_cuda.replace('.', '')}", cuda=torch_cuda,
                                 installer="pip", location="/site", source="torch/version.py")
    return facts


def by_id(facts: Facts) -> dict:
    return {finding.id: finding for finding in evaluate(facts)}


def test_a_toolkit_is_told_it_is_not_needed_and_whether_it_fits_extension_builds():
    fits = by_id(machine("12.6"))["cuda.toolkit-not-needed-by-torch"]
    assert (fits.severity, fits.subject) == ("info", "cuda.toolkit")
    assert fits.message == MYTH.format(kit="12.4.131") + (
        "; CUDA 12.4.131 would compile extensions for torch built with CUDA 12.6; torch itself does not use it")
    assert fits.fix == "nothing to do: keep it for extension builds"
    assert fits.evidence[0] == "/usr/local/cuda-12.4 ← nvcc --version"
    assert fits.evidence[1] == ("source: the METADATA of torch's Linux wheels on PyPI (torch 2.6.0: Requires-Dist "
                                "nvidia-cuda-runtime-cu12, nvidia-cudnn-cu12); torch/utils/cpp_extension.py "
                                "_check_cuda_version raises when the toolkit's CUDA major differs from torch.version.cuda")
    found = by_id(machine("12.6", "13.0.88"))
    assert found["cuda.toolkit-not-needed-by-torch"].message == MYTH.format(kit="13.0.88") + (
        "; CUDA 13.0.88 cannot even compile extensions for torch built with CUDA 12.6: the major versions differ")
    assert found["cuda.toolkit-not-needed-by-torch"].fix == "for extension builds, point CUDA_HOME at a CUDA 12.x toolkit"
    assert found["cuda.toolkit-torch-major-differs"].fix == "point CUDA_HOME at a CUDA 12.x toolkit when building extensions"
    no_torch = by_id(machine(None))["cuda.toolkit-not-needed-by-torch"]
    assert (no_torch.message, no_torch.fix) == (MYTH.format(kit="12.4.131"),
                                                "installing torch needs no toolkit: envdoctor install")


def test_no_toolkit_no_note_and_a_system_cudnn_is_told_torch_does_not_load_it():
    facts = machine("12.6")
    facts.cuda.toolkits = []
    assert "cuda.toolkit-not-needed-by-torch" not in by_id(facts)
    facts.cudnn.installs = [CudnnInstall("9.1.0", "pip", package="nvidia-cudnn-cu12", source="pyinfo distributions")]
    assert "cudnn.system-not-used-by-torch" not in by_id(facts)
    facts.cudnn.installs.append(CudnnInstall("8.9.7", "header", path="/usr/include/cudnn_version.h", source="header"))
    note = by_id(facts)["cudnn.system-not-used-by-torch"]
    assert (note.severity, note.subject, note.evidence[0]) == ("info", "cudnn", "/usr/include/cudnn_version.h ← header")
    assert note.message == "cuDNN 8.9.7: torch does not load the system's cuDNN; " + DRIVER_ONLY


def nvcc_major() -> int | None:
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        return None
    match = re.search(r"release ([0-9]+)\.", subprocess.run([nvcc, "--version"], capture_output=True, text=True,
                                                           timeout=60).stdout)
    return int(match.group(1)) if match else None


@pytest.mark.skipif(PYENV_312 is None or sys.platform == "win32", reason="needs a CPython 3.12 from pyenv")
@pytest.mark.skipif(nvcc_major() in (None, 12), reason="needs an nvcc whose major version is not 12")
def test_check_tells_a_cu126_torch_that_this_machine_s_nvcc_does_not_fit(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([str(PYENV_312), "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = venv / "lib" / "python3.12" / "site-packages"
    line = next(line for line in FIXTURE.read_text().splitlines() if line.startswith(WHEEL + ":"))
    (site / "torch").mkdir()
    (site / "torch" / "__init__.py").write_text("")
    (site / "torch" / "version.py").write_text("from typing import Optional\n\n"
                                               + "\n".join(line.split(": ", 1)[1].split(" | ")) + "\n")
    (site / "torch-2.7.1+cu126.dist-info").mkdir()
    (site / "torch-2.7.1+cu126.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\n"
                                                                   "Version: 2.7.1+cu126\n")
    env = {**os.environ, "VIRTUAL_ENV": str(venv), "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-m", "envdoctor", "check", "--json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    assert report["facts"]["torch"]["cuda"] == "12.6"
    found = {finding["id"]: finding for finding in report["findings"]}
    assert found["cuda.toolkit-torch-major-differs"]["severity"] == "warning"
    assert found["cuda.toolkit-not-needed-by-torch"]["message"].endswith(
        " cannot even compile extensions for torch built with CUDA 12.6: the major versions differ")
