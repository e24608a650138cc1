"""What a request names (``resolver/plan.py``): the torch family and the request's refusals, compared whole.

torch's Linux wheels pin ``triton`` (``pytorch-triton-rocm`` for ROCm builds) and NVIDIA's CUDA libraries
(``nvidia-cudnn-cu12`` ...) in their Requires-Dist (torch 2.6.0's METADATA on PyPI); ``pytorch`` on PyPI is a stub
for ``torch``. The wheel URL below is the form of PyTorch's index (``torch-2.1.0+cu121-cp311-...``).
"""

from __future__ import annotations

import pytest

from envdoctor.resolver import Request
from envdoctor.resolver.plan import torch_family

WHEEL = "https://download.pytorch.org/whl/cu121/torch-2.1.0%2Bcu121-cp311-cp311-linux_x86_64.whl"


def test_the_torch_family_and_what_torch_s_wheels_pin():
    names = ["torch", "Torch", "torchvision", "torchaudio", "pytorch", "triton", "pytorch-triton-rocm",
             "nvidia-cudnn-cu12", "numpy", "flash-attn", "tritonclient"]
    assert [n for n in names if torch_family(n)] == [
        "torch", "Torch", "torchvision", "torchaudio", "pytorch", "triton", "pytorch-triton-rocm", "nvidia-cudnn-cu12"]


def test_an_empty_variant_is_refused():
    with pytest.raises(ValueError) as caught:
        Request(["torch"], variant=" ")
    assert str(caught.value) == "--variant needs a name such as cpu, cu126 or rocm6.4"


def test_a_direct_reference_named_by_the_stub_names_torch():
    with pytest.raises(ValueError) as caught:
        Request([f"pytorch @ {WHEEL}"])
    assert str(caught.value) == (
        f"'pytorch @ {WHEEL}': a direct reference installs whatever lies at that URL, not the build chosen for this "
        "machine or what it was made with; name a version instead (e.g. torch>=2.4)")


def test_a_direct_reference_to_what_torch_pins_is_refused_with_its_reason():
    text = "triton @ https://download.pytorch.org/whl/triton-3.1.0-cp311-cp311-linux_x86_64.whl"
    with pytest.raises(ValueError) as caught:
        Request(["torch", text])
    assert str(caught.value) == (
        f"{text!r}: a direct reference installs whatever lies at that URL, not the build chosen for this machine or "
        "what it was made with; torch's build pins it: leave it out and name torch's version")


def test_a_file_url_of_another_project_is_refused():
    with pytest.raises(ValueError) as caught:
        Request(["torch", "mypkg @ file:///srv/mypkg-1.0-py3-none-any.whl"])
    assert str(caught.value) == ("'mypkg @ file:///srv/mypkg-1.0-py3-none-any.whl': refused: a file: URL installs "
                                 "whatever lies at that path; install local files with pip directly")
