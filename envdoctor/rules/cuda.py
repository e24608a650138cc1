"""Rules about CUDA beside torch: the toolkit (nvcc) against the driver and torch, a system cuDNN, and CUDA
libraries on LD_LIBRARY_PATH that shadow the ones torch's wheels bring."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from envdoctor import compat
from envdoctor.facts import Distribution, Facts, Finding
from envdoctor.i18n import _
from envdoctor.rules.builds import _driver_fit
from envdoctor.toolkit import DRIVER_ONLY, DRIVER_ONLY_SOURCE, toolkit_for_torch

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes


def cuda_toolkit_vs_driver(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """Programs built with the active nvcc against the driver: the same minor-version model as torch's."""
    active = facts.cuda.active()
    fit = _driver_fit(facts, recipes, active.version if active else None, active.version if active else None)
    if active is None or fit is None or fit.level == "full":
        return
    if fit.level == "minor":
        message = _("CUDA toolkit {toolkit} is newer than the driver's CUDA {driver_cuda}: programs built with it run "
                    "through minor-version compatibility, code JIT-compiled from PTX at run time will fail (torch wheels "
                    "bring their own CUDA, so this matters only when building extensions)",
                    toolkit=active.version, driver_cuda=fit.driver_cuda)
    else:
        message = _("CUDA toolkit {toolkit} needs a newer driver than this one (CUDA <= {driver_cuda}): programs built "
                    "with it will not run here (torch wheels bring their own CUDA, so this matters only when building "
                    "extensions)", toolkit=active.version, driver_cuda=fit.driver_cuda)
    yield Finding(
        "cuda.toolkit-newer-than-driver", "warning", "cuda",
        message,
        fix=_("upgrade the driver to >= {driver}, or use a toolkit <= the driver's CUDA", driver=fit.full_driver)
        if fit.full_driver else _("upgrade the driver, or use a toolkit <= the driver's CUDA"),
        subject="cuda.toolkit",
    )


def cuda_toolkit_vs_torch(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    active = facts.cuda.active()
    toolkit = compat.major_minor(active.version if active else None)
    built = compat.major_minor(facts.torch.cuda)
    if active and toolkit and built and toolkit[0] != built[0]:
        yield Finding(
            "cuda.toolkit-torch-major-differs",
            "warning",
            "cuda",
            _("nvcc {toolkit} and torch's CUDA {cuda} differ in major version: building CUDA extensions "
              "(torch.utils.cpp_extension) will fail", toolkit=active.version, cuda=facts.torch.cuda),
            fix=_("point CUDA_HOME at a CUDA {major}.x toolkit when building extensions", major=built[0]),
            subject="cuda.toolkit",
        )


def cuda_toolkit_not_needed_by_torch(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A toolkit is no prerequisite of torch (the explanation and its sources: envdoctor.toolkit); with a CUDA
    torch installed, say whether the toolkit could compile its extensions."""
    active = facts.cuda.active()
    if active is None:
        return
    built = compat.major_minor(facts.torch.cuda) if facts.torch.status == "ok" else None
    toolkit = compat.major_minor(active.version)
    if built and toolkit and built[0] == toolkit[0]:
        fix = _("nothing to do: keep it for extension builds")
    elif built and toolkit:
        fix = _("for extension builds, point CUDA_HOME at a CUDA {major}.x toolkit", major=built[0])
    else:
        fix = _("installing torch needs no toolkit: envdoctor install")
    message = (_("CUDA toolkit {toolkit}: a CUDA toolkit is not needed for torch; {driver_only}; {for_torch}",
                 toolkit=active.version, driver_only=DRIVER_ONLY,
                 for_torch=toolkit_for_torch(active.version, facts.torch.cuda)) if built else
               _("CUDA toolkit {toolkit}: a CUDA toolkit is not needed for torch; {driver_only}",
                 toolkit=active.version, driver_only=DRIVER_ONLY))
    yield Finding(
        "cuda.toolkit-not-needed-by-torch", "info", "cuda",
        message,
        fix=fix, subject="cuda.toolkit",
        evidence=[" ← ".join(p for p in (active.path or active.nvcc_path or "nvcc", active.source) if p),
                  _("source: {source}", source=DRIVER_ONLY_SOURCE)],
    )


def cudnn_system_not_used_by_torch(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A system cuDNN is not the one torch loads (the explanation and its sources: envdoctor.toolkit)."""
    system = [install for install in facts.cudnn.installs if install.kind != "pip"]
    if not system:
        return
    found = ", ".join(f"cuDNN {install.version}" if install.version else "cuDNN" for install in system)
    yield Finding(
        "cudnn.system-not-used-by-torch", "info", "cudnn",
        _("{found}: torch does not load the system's cuDNN; {driver_only}", found=found, driver_only=DRIVER_ONLY),
        fix=_("nothing to do for torch"), subject="cudnn",
        evidence=[" ← ".join(p for p in (install.path or install.package or "cudnn", install.source) if p)
                  for install in system] + [_("source: {source}", source=DRIVER_ONLY_SOURCE)],
    )


def cuda_library_path_shadows_wheel(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A CUDA library on LD_LIBRARY_PATH older than the nvidia-* package torch was built with: the loader takes it first."""
    torch = facts.torch
    libraries = facts.cuda.ld_library_path_libs or []
    if torch.status != "ok" or not torch.cuda or not libraries:
        return
    wheel: dict[str, Distribution] = {}
    for distribution in torch.nvidia_packages:
        for stem, carrier in _WHEEL_LIBRARIES:
            if distribution.name == carrier or distribution.name.startswith(carrier + "-cu"):
                wheel.setdefault(stem, distribution)
    for library in libraries:
        package = wheel.get(library.name)
        found = compat.parse_version(library.version)
        theirs = compat.parse_version(package.version) if package else None
        if package is None or found is None or theirs is None:
            continue
        if found.release[:1] != theirs.release[:1]:
            severity = "error"
        elif library.name != "libcudnn" and found.release[:2] < theirs.release[:2]:
            severity = "warning"  # an older minor of the same CUDA major; cuDNN is judged by its major alone
        else:
            continue
        yield Finding(
            "cuda.library-path-shadows-wheel", severity, "cuda",
            _("LD_LIBRARY_PATH puts {path} ({library} {version}) ahead of torch's own {package} {package_version}: the "
              "loader takes the system copy first, and torch fails to load or to find symbols", path=library.path,
              library=library.name, version=library.version, package=package.name, package_version=package.version),
            fix=_("remove {folder} from LD_LIBRARY_PATH when running torch (its wheels find their own CUDA libraries)",
                  folder=library.path.rsplit('/', 1)[0]),
            evidence=[library.source, package.source or package.name], subject="cuda.toolkit")


#: (library file stem, the distribution that carries it for a torch wheel)
_WHEEL_LIBRARIES = (
    ("libcudnn", "nvidia-cudnn"),
    ("libcudart", "nvidia-cuda-runtime"),
    ("libcudart", "cuda-toolkit"),
    ("libcublas", "nvidia-cublas"),
    ("libcublasLt", "nvidia-cublas"),
    ("libnccl", "nvidia-nccl"),
    ("libcusparse", "nvidia-cusparse"),
    ("libcufft", "nvidia-cufft"),
)
