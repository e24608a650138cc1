"""A CUDA toolkit, cuDNN or NVIDIA's CUDA installer in a copied command: the step old tutorials put before
PyTorch, which pip and conda builds of torch do not need (apt, dnf, conda, pip and installer files alike).

Pure: facts, recipes and a read command in, a judgement out.
"""

from __future__ import annotations

import posixpath
import re

from envdoctor import compat
from envdoctor.facts import Facts
from envdoctor.i18n import _, joined, listed
from envdoctor.lint_instead import Judged, _alternatives, _command_of, _finding, _with_instead
from envdoctor.lint_wanted import _CONDA_SPEC
from envdoctor.readers.images import DISTRO_CUDA_TOOLKIT
from envdoctor.readers.install_commands import Install
from envdoctor.recipes import Recipes
from envdoctor.resolver import Request, resolve
from envdoctor.toolkit import DRIVER_ONLY, DRIVER_ONLY_FIX, DRIVER_ONLY_SOURCE, toolkit_for_torch

#: Installs of system packages and installer files: read for a CUDA toolkit or cuDNN only.
SYSTEM_TOOLS = ("apt", "dnf", "installer")
_APT_TOOLKIT = re.compile(r"^(?:nvidia-cuda-toolkit|cuda|cuda-toolkit|cuda-toolkit-([0-9]+)-([0-9]+)|cuda-([0-9]+)-([0-9]+)"
                          r"|cuda-(?:runtime|libraries|libraries-dev|nvcc|cudart|compiler)-([0-9]+)-([0-9]+))$")
_APT_CUDNN = re.compile(r"^(?:lib)?cudnn[0-9]*(?:-(?:dev|samples|headers))?(?:-cuda-([0-9]+))?$|^nvidia-cudnn$")
_RUNFILE = re.compile(r"^cuda_([0-9]+\.[0-9]+)\.[0-9]+_[0-9.]+_(?:linux|windows)(?:_[a-z0-9]+)?\.(?:run|exe)$")
_LOCAL_REPO = re.compile(r"^cuda-repo-[a-z0-9]+-([0-9]+)-([0-9]+)-local")
_CONDA_TOOLKIT = frozenset({"cudatoolkit", "cuda-toolkit", "cuda-nvcc", "cuda", "cuda-runtime", "cuda-cudart"})
_PIP_CUDA_WHEEL = re.compile(r"^nvidia-[a-z0-9-]+-cu[0-9]{2}$")


def _cuda_parts(install: Install, facts: Facts) -> tuple[list[str], list[str], list[str], str | None]:
    """(toolkit packages, cuDNN packages, installer files, the toolkit's CUDA version) of a command."""
    toolkit: list[str] = []
    cudnn: list[str] = []
    files: list[str] = []
    version: str | None = None
    conda = install.tool in ("conda", "mamba", "micromamba")
    for text in install.requirements:
        if install.tool == "installer":
            base = posixpath.basename(text.replace("\\", "/")).lower()
            runfile, repo = _RUNFILE.match(base), _LOCAL_REPO.match(base)
            if runfile or repo:
                files.append(text)
                version = version or (runfile.group(1) if runfile else f"{repo.group(1)}.{repo.group(2)}" if repo else None)
            elif base.startswith("cudnn"):
                files.append(text)
        elif conda:
            match = _CONDA_SPEC.match(text.strip())
            name = match.group(2).lower() if match else ""
            if name in _CONDA_TOOLKIT:
                toolkit.append(text)
                pinned = match.group(3).strip().lstrip("=").split("=")[0] if match else ""
                version = version or (".".join(pinned.split(".")[:2]) if compat.major_minor(pinned) else None)
            elif name == "cudnn":
                cudnn.append(text)
        elif install.tool in ("pip", "uv"):
            name = re.split(r"[<>=!~\[; ]", text, maxsplit=1)[0].lower()
            if _PIP_CUDA_WHEEL.match(name):
                (cudnn if "cudnn" in name else toolkit).append(text)
        else:
            name = text.lower().split("=", 1)[0].split(":", 1)[0]
            found = _APT_TOOLKIT.match(name)
            if found:
                toolkit.append(text)
                numbers = [g for g in found.groups() if g]
                if numbers:
                    version = version or f"{numbers[0]}.{numbers[1]}"
                elif name == "nvidia-cuda-toolkit":
                    distro = (facts.os.distro_id or "", facts.os.distro_version or "")
                    version = version or (DISTRO_CUDA_TOOLKIT[distro][0] if distro in DISTRO_CUDA_TOOLKIT else None)
            elif _APT_CUDNN.match(name):
                cudnn.append(text)
    return toolkit, cudnn, files, version


def _judge_cuda_install(install: Install, facts: Facts, recipes: Recipes) -> Judged | None:
    """A CUDA toolkit, cuDNN or NVIDIA's CUDA libraries installed for torch on their own: the step old
    tutorials put before PyTorch, which pip and conda builds of torch do not need. None when there is none."""
    toolkit, cudnn, files, version = _cuda_parts(install, facts)
    if not (toolkit or cudnn or files):
        return None
    manager = install.manager if install.tool in ("pip", "uv", "conda", "mamba") else None
    plan = resolve(facts, Request(["torch"], manager=manager), recipes)
    release = recipes.release(plan.torch) if plan.ok and plan.torch else None
    planned = release.variant(plan.variant) if release is not None and plan.variant else None
    torch_cuda = planned.cuda if planned is not None and planned.kind == "cuda" else None
    after = toolkit_for_torch(version, torch_cuda) if planned is not None else ""
    distro = (facts.os.distro_id or "", facts.os.distro_version or "")
    judged = Judged(install.source, install.text)
    src, text = install.source, install.text
    if install.tool in ("pip", "uv"):
        judged.findings.append(_finding(
            src, text, "lint.cuda-wheels-alone", "warning",
            joined([_("{packages} on their own do not make torch use the GPU: torch's wheels require the NVIDIA CUDA "
                      "wheels of their own build and install them", packages=listed(toolkit + cudnn)), DRIVER_ONLY]),
            DRIVER_ONLY_SOURCE, fix=_("install torch itself (the command below): it brings the CUDA wheels it needs")))
    else:
        if toolkit:
            cited = "nvidia-cuda-toolkit" in [t.lower() for t in toolkit] and distro in DISTRO_CUDA_TOOLKIT
            not_needed = (_("{packages} (CUDA {version} on {distro} {release}: {source}): a CUDA toolkit is not needed "
                            "for torch", packages=listed(toolkit), version=version, distro=distro[0].capitalize(),
                            release=distro[1], source=DISTRO_CUDA_TOOLKIT[distro][1]) if cited else
                          _("{packages}: a CUDA toolkit is not needed for torch", packages=listed(toolkit)))
            judged.findings.append(_finding(
                src, text, "lint.cuda-toolkit-not-needed", "warning", joined(c for c in (not_needed, DRIVER_ONLY, after) if c),
                DRIVER_ONLY_SOURCE, fix=DRIVER_ONLY_FIX))
        if cudnn:
            judged.findings.append(_finding(
                src, text, "lint.cudnn-not-needed", "warning",
                joined([_("{packages}: torch does not load the system's cuDNN", packages=listed(cudnn)), DRIVER_ONLY]),
                DRIVER_ONLY_SOURCE, fix=DRIVER_ONLY_FIX))
        if files:
            judged.findings.append(_finding(
                src, text, "lint.cuda-installer-not-needed", "warning",
                joined(c for c in (_("{files} is NVIDIA's {what} installer, not needed for torch", files=listed(files),
                                      what=f"CUDA {version}" if version else "cuDNN"), DRIVER_ONLY,
                                    after if version else "") if c),
                DRIVER_ONLY_SOURCE, fix=DRIVER_ONLY_FIX))
    if not plan.ok:
        return _with_instead(judged, None, _alternatives(plan.alternatives))
    return _with_instead(judged, *_command_of(plan, install))
