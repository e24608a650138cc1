"""What an installed build is: a source build, the variant a version or conda build string names, conda's
record of it, its row in the recipes, and how code built with a CUDA fits this machine's driver."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envdoctor import compat
from envdoctor.facts import Distribution, Facts

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes, VariantRecipe

_SOURCE_LOCAL = re.compile(r"^(?:git)?[0-9a-f]{7,40}$")
# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
_CONDA_CUDA = r"cuda([0-9]+)\.([0-9]+)"
_CONDA_CU = r"(?:^|_)cu([0-9]{3,4})(?:_|$)"


def is_source_build(version: str | None) -> bool:
    """A torch built from a git checkout: ``2.1.0a0+git32f93b1`` or ``1.7.0a0+9ddd3df`` (no release wheel says that)."""
    parsed = compat.parse_version(version)
    return parsed is not None and parsed.local is not None and bool(_SOURCE_LOCAL.match(parsed.local))


def variant_tag(version: str | None, build: str | None = None) -> str | None:
    """The build variant a distribution names: its local label (``+cu118``), else what a conda build string says
    (``py3.7_cuda10.2_cudnn7.6.5_0`` -> ``cu102``, ``py37_cu102`` -> ``cu102``, ``cpu_py310h...`` -> ``cpu``)."""
    parsed = compat.parse_version(version)
    if parsed is not None and parsed.local and compat.VARIANT_RE.match(parsed.local):
        return parsed.local
    text = (build or "").lower()
    match = re.search(_CONDA_CUDA, text)
    if match:
        return compat.cuda_variant(f"{match.group(1)}.{match.group(2)}")
    match = re.search(_CONDA_CU, text)
    if match:
        return f"cu{match.group(1)}"
    return "cpu" if text.startswith("cpu") or "_cpu" in text else None


def _conda_record(facts: Facts) -> Distribution | None:
    """conda's record of the pytorch that is imported (same public version), if conda has one."""
    version = compat.parse_version(facts.torch.version)
    for install in facts.torch.installs:
        if install.installer == "conda" and install.name == "pytorch":
            other = compat.parse_version(install.version)
            if version is not None and other is not None and other.public == version.public:
                return install
    return None


def _variant_kind(variant: str | None) -> tuple[str, int] | None:
    """What matters of a variant for two builds to work together: its kind and, for CUDA and ROCm, the major."""
    if not variant:
        return None
    cuda = compat.major_minor(compat.variant_cuda(variant))
    if cuda:
        return "cuda", cuda[0]
    rocm = compat.major_minor(compat.variant_rocm(variant))
    if rocm:
        return "rocm", rocm[0]
    return ("cpu", 0) if variant in ("cpu", "mps") else (variant, 0)


def _installed_build(facts: Facts, recipes: Recipes | None) -> VariantRecipe | None:
    if recipes is None or not facts.torch.version:
        return None
    name = compat.installed_variant_name(facts, recipes)
    return recipes.find_variant(facts.torch.version.split("+")[0], name) if name else None


def _driver_fit(facts: Facts, recipes: Recipes | None, cuda: str | None,
                toolkit: str | None) -> compat.CudaFit | None:
    """compat.cuda_fit for code built with this CUDA on this machine's driver; None when undecidable."""
    nvidia = facts.nvidia
    if recipes is None or not cuda or nvidia.status not in ("ok", "gpus_unknown", "no_gpu") or not nvidia.driver_version:
        return None
    fit = compat.cuda_fit(cuda, toolkit, nvidia.driver_version, nvidia.driver_max_cuda,
                          compat.driver_table_os(facts.os.system, facts.os.wsl), recipes.toolkits, recipes.families)
    return fit if fit is not None and fit.level != "unknown" else None
