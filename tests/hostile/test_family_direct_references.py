"""One rule for the torch family as a direct reference (``name @ URL``): torch, its companions, the alias
``pytorch`` and the projects torch's wheels pin (Triton, NVIDIA's CUDA libraries) are refused, so none
installs as its own package or slips into the second step over the pins of the chosen build.
Other projects keep their direct references."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from envdoctor.resolver import Request, torch_family

REPO = Path(__file__).resolve().parents[2]
WHEEL = "https://wheels.example/{}-1.0-py3-none-any.whl"


@pytest.mark.parametrize("name", ["torch", "TorchVision", "torchaudio", "pytorch", "PyTorch", "pytorch-triton",
                                  "pytorch_triton_rocm", "pytorch-triton-xpu", "triton", "nvidia-cudnn-cu12",
                                  "nvidia.nccl.cu12", "nvidia-cuda-runtime-cu12"])
def test_the_family_cannot_be_a_direct_reference(name):
    assert torch_family(name)
    with pytest.raises(ValueError, match="a direct reference installs whatever lies at that URL"):
        Request([f"{name} @ {WHEEL.format(name)}"])


@pytest.mark.parametrize("name", ["numpy", "tritonclient", "nvidiautils", "torchmetrics", "pytorch-lightning"])
def test_other_projects_keep_their_direct_references(name):
    assert not torch_family(name)
    assert [str(r) for r in Request([f"{name} @ {WHEEL.format(name)}"]).parsed()] == [f"{name} @ {WHEEL.format(name)}"]


def test_pytorch_by_name_still_reads_as_torch():
    request = Request(["pytorch>=2.4"])
    assert [str(r) for r in request.parsed()] == ["torch>=2.4"]


@pytest.mark.parametrize("requirement", ["pytorch @ https://wheels.example/torch-2.6.0-cp311-cp311-linux_x86_64.whl",
                                         "pytorch-triton @ https://wheels.example/pytorch_triton-3.2.0-py3-none-any.whl",
                                         "nvidia-cudnn-cu12 @ https://wheels.example/nvidia_cudnn_cu12-9.1-py3-none-any.whl"])
def test_install_refuses_them_as_a_usage_error(requirement):
    done = subprocess.run([sys.executable, "-m", "envdoctor", "install", "--dry-run", "torch", requirement],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)},
                          check=False)
    assert done.returncode == 2
    assert "a direct reference installs whatever lies at that URL" in done.stderr
