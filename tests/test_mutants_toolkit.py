"""What a system CUDA toolkit means next to a torch build, as whole sentences.

The rule (torch/utils/cpp_extension.py ``_check_cuda_version``): an extension builds when the toolkit's
CUDA major version equals torch.version.cuda's; a pip or conda torch itself never loads the toolkit.
"""

from __future__ import annotations

import pytest

from envdoctor.toolkit import toolkit_for_torch


@pytest.mark.parametrize(("toolkit", "torch_cuda", "text"), [
    ("12.4", None, "the torch planned here is not a CUDA build, so no CUDA toolkit is used at all"),
    (None, None, "the torch planned here is not a CUDA build, so no CUDA toolkit is used at all"),
    ("12.4", "twelve", "torch here is built with CUDA twelve"),
    (None, "12.1", "torch here is built with CUDA 12.1: a toolkit for extensions would need CUDA 12"),
    ("", "12.1", "torch here is built with CUDA 12.1: a toolkit for extensions would need CUDA 12"),
    ("unknown", "11.8", "torch here is built with CUDA 11.8: a toolkit for extensions would need CUDA 11"),
    ("11.8", "12.1", "CUDA 11.8 cannot even compile extensions for torch built with CUDA 12.1: the major versions differ"),
    ("13.0.2", "12.8", "CUDA 13.0.2 cannot even compile extensions for torch built with CUDA 12.8: the major versions "
                       "differ"),
    ("12.4.131", "12.1", "CUDA 12.4.131 would compile extensions for torch built with CUDA 12.1; torch itself does not "
                         "use it"),
    ("12.1", "12.1", "CUDA 12.1 would compile extensions for torch built with CUDA 12.1; torch itself does not use it"),
])
def test_a_toolkit_next_to_a_torch_build(toolkit, torch_cuda, text):
    assert toolkit_for_torch(toolkit, torch_cuda) == text
