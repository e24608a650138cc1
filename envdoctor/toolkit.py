"""Why a pip or conda torch needs the NVIDIA driver and no CUDA toolkit or cuDNN of the system: the one
explanation that check and lint give, with its sources.

Pure: text only. Old tutorials install the CUDA Toolkit and cuDNN before PyTorch; the wheels and conda
packages have carried their own CUDA runtime and cuDNN for years, so that step only costs gigabytes (and
a toolkit of another major version breaks extension builds).
"""

from __future__ import annotations

from envdoctor import compat
from envdoctor.i18n import Text, _

#: What a pip or conda torch needs of CUDA on the machine.
DRIVER_ONLY = _("pip and conda builds of torch bring their own CUDA runtime and cuDNN and need only the NVIDIA "
                "driver; a CUDA toolkit matters only to compile CUDA extensions, and then its major version must "
                "match torch's CUDA")
#: Where that is written down.
DRIVER_ONLY_SOURCE = _("the METADATA of torch's Linux wheels on PyPI (torch 2.6.0: Requires-Dist nvidia-cuda-runtime-cu12, "
                       "nvidia-cudnn-cu12); torch/utils/cpp_extension.py _check_cuda_version raises when the toolkit's "
                       "CUDA major differs from torch.version.cuda")
#: The same, as the value of check's CUDA toolkit and cuDNN rows when the machine has none of its own.
NONE_NEEDED = _("none: pip and conda torch bring their own CUDA runtime and cuDNN")
#: What to do instead of installing a toolkit or cuDNN for torch.
DRIVER_ONLY_FIX = _("install only the NVIDIA driver (nvidia-smi shows it), then torch with the command below; add a "
                    "CUDA toolkit only to compile extensions, with the major version of torch's CUDA")


def toolkit_for_torch(toolkit: str | None, torch_cuda: str | None) -> Text:
    """What a CUDA toolkit of version ``toolkit`` means next to a torch built with ``torch_cuda`` (None: a
    CPU build, or no torch planned): unused, usable for extensions, or of the wrong major version."""
    if torch_cuda is None:
        return _("the torch planned here is not a CUDA build, so no CUDA toolkit is used at all")
    torch_version = compat.major_minor(torch_cuda)
    own = compat.major_minor(toolkit) if toolkit else None
    if torch_version is None:
        return _("torch here is built with CUDA {cuda}", cuda=torch_cuda)
    if own is None or toolkit is None:
        return _("torch here is built with CUDA {cuda}: a toolkit for extensions would need CUDA {major}",
                 cuda=torch_cuda, major=torch_version[0])
    if own[0] != torch_version[0]:
        return _("CUDA {toolkit} cannot even compile extensions for torch built with CUDA {cuda}: the major versions "
                 "differ", toolkit=toolkit, cuda=torch_cuda)
    return _("CUDA {toolkit} would compile extensions for torch built with CUDA {cuda}; torch itself does not use it",
             toolkit=toolkit, cuda=torch_cuda)
