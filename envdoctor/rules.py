"""Diagnosis rules: pure functions from facts to findings.

Each rule is a small function returning findings with a stable id (``area.kebab-name``); ids never
change once released, so CI scripts and ``--skip`` lists can rely on them. Rules that need
compatibility data take it from the recipes; without recipes they still run on the facts alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from envdoctor import compat
from envdoctor.extensions import torch_extensions_match
from envdoctor.facts import Attempt, Distribution, Facts, Finding
from envdoctor.toolkit import DRIVER_ONLY, DRIVER_ONLY_SOURCE, toolkit_for_torch

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes, VariantRecipe


#: Overrides that say the facts are not this machine's: its interpreter cannot be named, and the fix can only be
#: planned (``install`` refuses to run for another machine).
ELSEWHERE_FLAGS = ("--machine ", "--facts ", "--target-")


def describing_flags(overrides: list[str]) -> list[str]:
    """The argv words of the flags that described the machine (``--machine DIR`` -> ``--machine``, ``DIR``)."""
    return [part for override in overrides for part in override.split(" ", 1)]


def _install_fix(facts: Facts) -> list[list[str]]:
    """The commands that fix a torch problem, repeating whatever described the machine (--machine, --gpu, ...)
    and the interpreter judged, so the command plans for the same target wherever it is run."""
    described = describing_flags(facts.overrides)
    elsewhere = any(override.startswith(ELSEWHERE_FLAGS) for override in facts.overrides)
    # the interpreter is named: run elsewhere (another working directory, another venv active) the command
    # would otherwise plan for another one
    python = ["--python", facts.python.executable] if facts.python.executable and not elsewhere else []
    if described:
        return [["envdoctor", "install", "--dry-run", *described, *python]]
    return [["envdoctor", "install", "--dry-run", *python], ["envdoctor", "install", *python]]


def python_runs(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    python = facts.python
    if python.status not in ("ok", "unknown"):
        detail = python.attempts[-1].detail if python.attempts else python.status
        yield Finding(
            "python.not-runnable",
            "error",
            "python",
            f"the target interpreter {python.executable or ''} did not answer: {detail}".replace("  ", " "),
            fix="pass an existing interpreter with --python PATH",
            subject="python",
        )


def python_externally_managed(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    if facts.python.externally_managed:
        yield Finding(
            "python.externally-managed",
            "info",
            "python",
            "this interpreter is managed by the OS (PEP 668): pip refuses to install into it",
            fix="create a virtual environment: python3 -m venv .venv && . .venv/bin/activate",
            commands=[[facts.python.executable or "python3", "-m", "venv", ".venv"]],
            evidence=[f"marker {facts.python.externally_managed_path}"],
            subject="python",
        )


def nvidia_driver_state(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    nvidia = facts.nvidia
    if nvidia.status == "driver_mismatch":
        yield Finding(
            "nvidia.driver-mismatch",
            "error",
            "gpu",
            "NVIDIA driver/library version mismatch: the loaded kernel module and the user-space "
            "library differ" + (f" ({nvidia.message})" if nvidia.message else ""),
            fix="reboot so the new kernel module loads, or reinstall one consistent driver",
            evidence=[f"{a.source}: {a.detail}" for a in nvidia.attempts if a.detail],
            subject="nvidia.driver",
        )
    elif nvidia.status == "timed_out":
        yield Finding(
            "nvidia.smi-timed-out",
            "error",
            "gpu",
            "nvidia-smi did not answer in time: the driver or a GPU may be hung",
            fix="check `dmesg` for Xid errors; a GPU reset or reboot may be needed",
            evidence=[f"{a.source}: {a.detail}" for a in nvidia.attempts if a.status == "timed_out"],
            subject="nvidia.driver",
        )
    elif nvidia.status == "error":
        yield Finding(
            "nvidia.query-failed",
            "error",
            "gpu",
            f"the NVIDIA driver could not be queried: {nvidia.message or 'unknown error'}",
            fix="check that the NVIDIA driver is installed and loaded (`lsmod | grep nvidia`)",
            subject="nvidia.driver",
        )
    elif nvidia.status == "gpus_unknown":
        yield Finding(
            "nvidia.gpus-unknown",
            "warning",
            "gpu",
            f"NVIDIA driver {nvidia.driver_version or ''} is loaded, but neither NVML nor nvidia-smi is "
            "there to list the GPUs: their models and compute capabilities are unknown".replace("  ", " "),
            fix="install the driver's utilities (nvidia-smi / libnvidia-ml), or describe the GPUs with --gpu",
            evidence=[f"{a.source}: {a.status}" for a in nvidia.attempts],
            subject="nvidia.driver",
        )
    elif nvidia.status == "no_gpu" and nvidia.driver_version:
        yield Finding(
            "nvidia.no-gpu-visible",
            "warning",
            "gpu",
            f"NVIDIA driver {nvidia.driver_version} is loaded but no GPU is visible",
            fix="in a container, pass the GPUs (docker run --gpus all); otherwise check `lspci`",
            subject="nvidia.driver",
        )


def nvidia_hidden_gpus(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    nvidia = facts.nvidia
    visible = nvidia.cuda_visible_count if nvidia.cuda_visible_count is not None else len(nvidia.visible_gpus())
    hidden = len(nvidia.gpus) - visible
    if nvidia.cuda_visible_devices is None or hidden <= 0:
        return
    yield Finding(
        "nvidia.gpus-hidden",
        "warning" if visible == 0 else "info",
        "gpu",
        f"CUDA_VISIBLE_DEVICES={nvidia.cuda_visible_devices!r} hides {hidden} of "
        f"{len(nvidia.gpus)} GPU(s)" + (": CUDA programs will see none" if visible == 0 else ""),
        fix="unset CUDA_VISIBLE_DEVICES (or list the GPUs to use) if this is not intended",
        evidence=[f"hidden indices {nvidia.hidden_gpus}" if nvidia.hidden_gpus
                  else "which GPUs are hidden is uncertain (see nvidia.visible-devices-order)"],
        subject="nvidia.driver",
    )


def nvidia_driver_older_than_gpu(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A driver from before a GPU's architecture cannot drive it: no torch build helps until it is upgraded."""
    nvidia = facts.nvidia
    if recipes is None or nvidia.status != "ok" or not nvidia.driver_version:
        return
    column = compat.driver_table_os(facts.os.system, facts.os.wsl)
    for gpu in nvidia.visible_gpus():
        capability = compat.gpu_capability(gpu, recipes)
        floor = compat.driver_drives_gpu(capability, nvidia.driver_version, column, recipes.gpu_first_cuda,
                                         recipes.toolkits)
        if floor.drives is not False:
            continue
        label = f"GPU {gpu.index} {gpu.name or ''}".rstrip()
        yield Finding(
            "nvidia.driver-older-than-gpu", "error", "gpu",
            f"NVIDIA driver {nvidia.driver_version} cannot drive {label}: {floor.reason}",
            fix=f"upgrade the NVIDIA driver to >= {floor.needs} (branch R{floor.needs.branch if floor.needs else '?'} or "
                "newer) before installing torch: no torch build runs on this GPU with the current driver",
            evidence=[f"compute capability {capability}; first CUDA toolkit for it: {floor.first_cuda} "
                      f"(recipes/cuda_drivers.toml gpu_first_cuda)"],
            subject="nvidia.driver")


def wsl1_has_no_gpu(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    if facts.os.wsl == "wsl1":
        yield Finding(
            "system.wsl1",
            "warning",
            "system",
            "WSL 1 cannot use the GPU: CUDA in WSL needs WSL 2",
            fix="wsl --set-version <distro> 2",
            subject="os",
        )


def torch_cpu_build_on_gpu(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A CPU build where a GPU build exists for this platform (an AMD GPU on Windows has no ROCm build to use)."""
    torch = facts.torch
    if torch.status != "ok" or torch.cuda or torch.hip or torch.xpu or is_source_build(torch.version):
        return
    kinds = compat.build_kinds(compat.target_platform(facts), recipes) if recipes is not None else {"cuda", "rocm"}
    if facts.nvidia.visible_gpus() and "cuda" in kinds:
        gpus = facts.nvidia.visible_gpus()
        record = _conda_record(facts)
        conda_cpu = record is not None and "cpu" in (record.build or "")
        what = (f"conda's CPU-only build (pytorch {record.version} {record.build}, channel {record.channel or 'defaults'})"
                if conda_cpu and record is not None else "a CPU-only build")
        yield Finding(
            "torch.cpu-build-on-gpu",
            "error",
            "torch",
            f"torch {torch.version} is {what} on a machine with {len(gpus)} NVIDIA GPU(s) "
            f"({gpus[0].name}): it will never use them",
            fix="reinstall the CUDA build for this driver"
            + (" (conda-forge's pytorch-gpu, or the CUDA wheel with pip)" if conda_cpu else ""),
            commands=_install_fix(facts),
            evidence=[f"torch/version.py cuda = None ({torch.source})"]
            + ([f"{record.source}: build {record.build}"] if conda_cpu and record is not None else []),
            subject="torch",
        )
    elif facts.rocm.gpus and "rocm" in kinds:
        yield Finding(
            "torch.cpu-build-on-gpu",
            "error",
            "torch",
            f"torch {torch.version} is a CPU-only build on a machine with AMD GPU(s): it will never use them",
            fix="reinstall the ROCm build",
            commands=_install_fix(facts),
            evidence=[f"torch/version.py hip = None ({torch.source})"],
            subject="torch",
        )


def _driver_fit(facts: Facts, recipes: Recipes | None, cuda: str | None,
                toolkit: str | None) -> compat.CudaFit | None:
    """compat.cuda_fit for code built with this CUDA on this machine's driver; None when undecidable."""
    nvidia = facts.nvidia
    if recipes is None or not cuda or nvidia.status not in ("ok", "gpus_unknown", "no_gpu") or not nvidia.driver_version:
        return None
    fit = compat.cuda_fit(cuda, toolkit, nvidia.driver_version, nvidia.driver_max_cuda,
                          compat.driver_table_os(facts.os.system, facts.os.wsl), recipes.toolkits, recipes.families)
    return fit if fit is not None and fit.level != "unknown" else None


def _installed_build(facts: Facts, recipes: Recipes | None) -> VariantRecipe | None:
    if recipes is None or not facts.torch.version:
        return None
    name = compat.installed_variant_name(facts, recipes)
    return recipes.find_variant(facts.torch.version.split("+")[0], name) if name else None


def torch_cuda_on_this_machine(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """The installed CUDA build against the driver and every visible GPU, through compat's one model.

    The same questions decide the resolver's plans, so a planned build never draws an error here.
    """
    torch = facts.torch
    if torch.status != "ok" or not torch.cuda:
        return
    build = _installed_build(facts, recipes)
    fit = _driver_fit(facts, recipes, torch.cuda, build.toolkit if build else None)
    evidence = [f"torch/version.py cuda = {torch.cuda}"]
    driver_says = (f"supports at most CUDA {fit.driver_cuda}" if fit is not None and fit.driver_cuda is not None
                   else "is older than every CUDA release in the driver table")
    if fit is not None:
        evidence.append(f"driver {facts.nvidia.driver_version} {driver_says} ({facts.nvidia.source or 'recipes'})")
    if fit is not None and fit.level == "none":
        needs = fit.needs()
        yield Finding(
            "torch.cuda-newer-than-driver", "error", "torch",
            f"torch {torch.version} was built for CUDA {torch.cuda}, but driver {facts.nvidia.driver_version} "
            f"{driver_says}: torch.cuda.is_available() will be False",
            fix="install a build for this driver" + (f", or upgrade the driver to >= {needs}" if needs else ""),
            commands=_install_fix(facts), evidence=evidence, subject="torch")
        return
    ptx_only = []
    sass, ptx = build.kernels_for(compat.target_platform(facts)) if build else ((), ())
    for gpu in facts.nvidia.visible_gpus():
        if build is None:
            break
        capability = compat.gpu_capability(gpu, recipes)
        verdict = compat.gpu_fit(capability, sass, ptx, fit, recipes.newest_cc(build.cuda) if recipes else None)
        label = f"GPU {gpu.index} {gpu.name or ''}".rstrip()
        if verdict.runs is False and verdict.how == "":
            yield Finding(
                "torch.no-kernels-for-gpu", "error", "torch",
                f"torch {torch.version} has no kernels for {label} (compute capability {capability}): "
                "'no kernel image is available' at run time",
                fix="install a build whose kernels cover this GPU", commands=_install_fix(facts),
                evidence=[f"recipes: torch {build.torch} {build.name} kernels {' '.join(sass)}"
                          + (f" + PTX {' '.join(ptx)}" if ptx else "")], subject="torch")
        elif verdict.runs is False:
            ptx_only.append(f"{label}: {verdict.reason}")
    if fit is not None and fit.level == "minor":
        severe = bool(ptx_only)
        yield Finding(
            "torch.cuda-minor-newer-than-driver", "error" if severe else "warning", "torch",
            f"torch {torch.version} was built for CUDA {torch.cuda}, newer than the driver's CUDA {fit.driver_cuda}: "
            + ("; ".join(ptx_only) if severe else "its compiled kernels run through minor-version compatibility, "
               "code JIT-compiled from PTX at run time will fail"),
            fix=f"upgrade the driver to >= {fit.full_driver}" if fit.full_driver else "upgrade the driver",
            commands=_install_fix(facts), evidence=evidence, subject="torch")


def torch_multiple_copies(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    copies = list(dict.fromkeys(facts.torch.copies))  # sys.path order: the first is the one imported
    if len(copies) > 1:
        yield Finding(
            "torch.multiple-copies",
            "warning",
            "torch",
            f"{len(copies)} copies of torch are on sys.path; the first, in {copies[0]}, shadows the others",
            fix="uninstall the extra copies (pip uninstall torch, repeated) and reinstall one",
            evidence=copies,
            subject="torch",
        )


def torch_pip_in_conda(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    torch = facts.torch
    if _pip_conda_differ(facts):
        return  # torch.pip-conda-versions-differ says more
    if torch.status == "ok" and facts.python.conda_prefix and torch.installer in ("pip", "uv") and torch.conda:
        yield Finding(
            "torch.pip-over-conda",
            "warning",
            "torch",
            "torch was installed with pip over a conda-managed torch in this environment: "
            "conda and pip now disagree about what is installed",
            fix="pick one manager: `conda remove pytorch` then reinstall with pip, or the reverse",
            subject="torch",
        )


def torch_rocm_without_amd(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    torch = facts.torch
    if torch.status == "ok" and torch.hip and not facts.rocm.gpus and facts.nvidia.visible_gpus():
        yield Finding(
            "torch.rocm-build-on-nvidia",
            "error",
            "torch",
            f"torch {torch.version} is a ROCm (AMD) build, but this machine has NVIDIA GPUs",
            commands=_install_fix(facts),
            fix="install the CUDA build",
            subject="torch",
        )


def torch_absent(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    if facts.python.status == "ok" and facts.torch.status == "absent":
        yield Finding(
            "torch.not-installed",
            "info",
            "torch",
            "torch is not installed in this interpreter",
            fix="see the right command for this machine",
            commands=_install_fix(facts),
            subject="torch",
        )
    elif facts.torch.status == "error":
        detail = facts.torch.attempts[-1].detail if facts.torch.attempts else ""
        yield Finding(
            "torch.install-broken",
            "error",
            "torch",
            f"the installed torch could not be read: {detail}" if detail else "the installed torch could not be read",
            fix="reinstall torch",
            commands=_install_fix(facts),
            subject="torch",
        )


def cuda_toolkit_vs_driver(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """Programs built with the active nvcc against the driver: the same minor-version model as torch's."""
    active = facts.cuda.active()
    fit = _driver_fit(facts, recipes, active.version if active else None, active.version if active else None)
    if active is None or fit is None or fit.level == "full":
        return
    if fit.level == "minor":
        message = (f"CUDA toolkit {active.version} is newer than the driver's CUDA {fit.driver_cuda}: programs built "
                   "with it run through minor-version compatibility, code JIT-compiled from PTX at run time will fail")
    else:
        message = (f"CUDA toolkit {active.version} needs a newer driver than this one (CUDA <= {fit.driver_cuda}): "
                   "programs built with it will not run here")
    yield Finding(
        "cuda.toolkit-newer-than-driver", "warning", "cuda",
        message + " (torch wheels bring their own CUDA, so this matters only when building extensions)",
        fix=f"upgrade the driver to >= {fit.full_driver}, or use a toolkit <= the driver's CUDA"
        if fit.full_driver else "upgrade the driver, or use a toolkit <= the driver's CUDA",
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
            f"nvcc {active.version} and torch's CUDA {facts.torch.cuda} differ in major version: "
            "building CUDA extensions (torch.utils.cpp_extension) will fail",
            fix=f"point CUDA_HOME at a CUDA {built[0]}.x toolkit when building extensions",
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
    after = f"; {toolkit_for_torch(active.version, facts.torch.cuda)}" if built else ""
    if built and toolkit and built[0] == toolkit[0]:
        fix = "nothing to do: keep it for extension builds"
    elif built and toolkit:
        fix = f"for extension builds, point CUDA_HOME at a CUDA {built[0]}.x toolkit"
    else:
        fix = "installing torch needs no toolkit: envdoctor install"
    yield Finding(
        "cuda.toolkit-not-needed-by-torch", "info", "cuda",
        f"CUDA toolkit {active.version}: a CUDA toolkit is not needed for torch; {DRIVER_ONLY}{after}",
        fix=fix, subject="cuda.toolkit",
        evidence=[" ← ".join(p for p in (active.path or active.nvcc_path or "nvcc", active.source) if p),
                  f"source: {DRIVER_ONLY_SOURCE}"],
    )


def cudnn_system_not_used_by_torch(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A system cuDNN is not the one torch loads (the explanation and its sources: envdoctor.toolkit)."""
    system = [install for install in facts.cudnn.installs if install.kind != "pip"]
    if not system:
        return
    found = ", ".join(f"cuDNN {install.version}" if install.version else "cuDNN" for install in system)
    yield Finding(
        "cudnn.system-not-used-by-torch", "info", "cudnn",
        f"{found}: torch does not load the system's cuDNN; {DRIVER_ONLY}",
        fix="nothing to do for torch", subject="cudnn",
        evidence=[" ← ".join(p for p in (install.path or install.package or "cudnn", install.source) if p)
                  for install in system] + [f"source: {DRIVER_ONLY_SOURCE}"],
    )


# ---------------------------------------------------------------------------- builds that do not fit each other


_SOURCE_LOCAL = re.compile(r"^(?:git)?[0-9a-f]{7,40}$")
_CONDA_CUDA = re.compile(r"cuda([0-9]+)\.([0-9]+)")
_CONDA_CU = re.compile(r"(?:^|_)cu([0-9]{3,4})(?:_|$)")


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
    match = _CONDA_CUDA.search(text)
    if match:
        return compat.cuda_variant(f"{match.group(1)}.{match.group(2)}")
    match = _CONDA_CU.search(text)
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


def _pip_conda_differ(facts: Facts) -> tuple[Distribution, Distribution] | None:
    """(pip's torch, conda's pytorch) when both managers record a torch and their versions differ."""
    pips = [d for d in facts.torch.installs if d.name == "torch" and d.installer != "conda"]
    condas = [d for d in facts.torch.installs if d.name == "pytorch" and d.installer == "conda"]
    for pip in pips:
        for conda in condas:
            a, b = compat.parse_version(pip.version), compat.parse_version(conda.version)
            if a is not None and b is not None and a.public != b.public:
                return pip, conda
    return None


def torch_pip_conda_versions_differ(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """pip and conda each installed a torch, of different versions: the files on disk are a mix of both."""
    pair = _pip_conda_differ(facts)
    if pair is None:
        return
    pip, conda = pair
    yield Finding(
        "torch.pip-conda-versions-differ", "error", "torch",
        f"pip installed torch {pip.version} and conda installed pytorch {conda.version} in the same environment: "
        "each manager overwrites the other's files, so what `import torch` loads is a mix of both builds",
        fix="uninstall both (pip uninstall torch; conda remove pytorch), then install one build with one manager",
        commands=_install_fix(facts), evidence=[d.source or f"{d.name} {d.version} ({d.installer})" for d in pair],
        subject="torch")


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


def torch_companions_match(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """torchvision / torchaudio built for another torch release, or for another kind of build than torch's
    (a CPU torchvision beside a CUDA torch, CUDA 11 beside CUDA 12): their compiled operators fail."""
    torch = facts.torch
    version = compat.parse_version(torch.version)
    if torch.status != "ok" or version is None or recipes is None:
        return
    record = _conda_record(facts)
    torch_variant = variant_tag(torch.version, record.build if record else None) or compat.installed_variant_name(
        facts, recipes)
    platform = compat.target_platform(facts)
    paired = recipes.release(version.public)
    symptom = {"torchvision": "\"operator torchvision::nms does not exist\"", "torchaudio": "\"undefined symbol\""}
    for name in compat.COMPANIONS:
        companion = torch.companion(name)
        companion_version = compat.parse_version(companion.version) if companion else None
        if companion is None or companion_version is None:
            continue
        built_for = [r for r in recipes.releases
                     if r.companion(name) and compat.parse_version(r.companion(name)) == compat.parse_version(
                         companion_version.public)]
        expected = paired.companion(name) if paired else None
        if built_for and not any(r.parsed.release[:2] == version.release[:2] for r in built_for):
            yield Finding(
                "torch.companion-mismatch", "error", "torch",
                f"{name} {companion.version} is built for torch {', '.join(r.version for r in built_for)}, but torch is "
                f"{torch.version}: its compiled operators do not load ({symptom[name]})",
                fix=f"install the {name} that pairs torch {version.public}" + (f" ({name} {expected})" if expected else ""),
                commands=_install_fix(facts),
                evidence=[f"recipes/torch.toml: torch {r.version} pairs {name} {r.companion(name)}" for r in built_for[:3]]
                + [companion.source or f"{name} {companion.version}"], subject="torch.companions")
            continue
        companion_variant = variant_tag(companion.version, companion.build)
        if companion_variant is None and companion.installer != "conda" and built_for and platform:
            companion_variant = built_for[0].pypi.get(platform)  # a plain version from PyPI is PyPI's build
        ours, theirs = _variant_kind(torch_variant), _variant_kind(companion_variant)
        if ours and theirs and ours != theirs:
            yield Finding(
                "torch.companion-mismatch", "error", "torch",
                f"{name} {companion.version} is the {companion_variant} build, torch {torch.version} the "
                f"{torch_variant} build: {name}'s operators do not run with this torch (CPU-only kernels for CUDA "
                "tensors, or another CUDA major)",
                fix=f"install {name} from the same variant as torch ({torch_variant})", commands=_install_fix(facts),
                evidence=[companion.source or f"{name} {companion.version}", torch.source or f"torch {torch.version}"]
                + ([f"recipes/torch.toml: the PyPI wheel of {name} {companion.version} for {platform} is "
                    f"{companion_variant}"] if variant_tag(companion.version, companion.build) is None else []),
                subject="torch.companions")


def torch_source_build_without_cuda(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A torch compiled from source without CUDA, on a machine with NVIDIA GPUs."""
    torch = facts.torch
    gpus = facts.nvidia.visible_gpus()
    if torch.status != "ok" or torch.cuda or torch.hip or torch.xpu or not is_source_build(torch.version) or not gpus:
        return
    yield Finding(
        "torch.source-build-without-cuda", "error", "torch",
        f"torch {torch.version} was compiled from source without CUDA (no CUDA toolkit found at build time, or "
        f"USE_CUDA=0) on a machine with {len(gpus)} NVIDIA GPU(s) ({gpus[0].name}): it will never use them",
        fix="rebuild with CUDA (CUDA_HOME pointing at a toolkit, USE_CUDA=1, TORCH_CUDA_ARCH_LIST covering the GPUs), "
            "or install a released CUDA build",
        commands=_install_fix(facts), evidence=[f"torch/version.py cuda = None ({torch.source})"], subject="torch")


def torch_python_supported(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A torch release whose wheels were never built for this Python (a copy carried over from another Python,
    or a third-party build)."""
    torch = facts.torch
    version = compat.parse_version(torch.version)
    if torch.status != "ok" or version is None or recipes is None or torch.conda or is_source_build(torch.version):
        return
    release = recipes.release(version.public)
    platform = compat.target_platform(facts)
    tag = compat.python_tag(facts)
    pythons = release.python.get(platform, ()) if release is not None and platform else ()
    if not pythons or tag is None or tag in pythons:
        return
    yield Finding(
        "torch.python-unsupported", "warning", "torch",
        f"torch {version.public} published no wheels for Python {tag} on {platform} (only {', '.join(pythons)}): "
        "this copy was not built for this interpreter, and pip cannot reinstall it here",
        fix="install a torch release built for this Python", commands=_install_fix(facts),
        evidence=[f"recipes/torch.toml: torch {release.version if release else version} Pythons on {platform}: "
                  f"{', '.join(pythons)}"], subject="torch")


def torch_cuda_not_available(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """torch itself said CUDA is not available (a pasted report does), where no other rule explains why."""
    torch = facts.torch
    if torch.status != "ok" or not torch.cuda or torch.cuda_available is not False:
        return
    build = _installed_build(facts, recipes)
    fit = _driver_fit(facts, recipes, torch.cuda, build.toolkit if build else None)
    if fit is not None and fit.level == "none":
        return  # torch.cuda-newer-than-driver explains it
    if not facts.nvidia.visible_gpus():
        yield Finding(
            "torch.cuda-not-available", "warning", "torch",
            f"torch {torch.version} is a CUDA {torch.cuda} build, torch.cuda.is_available() is False, and no NVIDIA "
            "driver or GPU was found: the driver is missing, the container was started without the GPU runtime, "
            "or the machine has no NVIDIA GPU (then the CPU build is the smaller one)",
            fix="install the NVIDIA driver; in a container pass the GPUs (docker run --gpus all)",
            commands=_install_fix(facts), evidence=["torch.cuda.is_available() = False"], subject="torch")
        return
    yield Finding(
        "torch.cuda-not-available", "warning", "torch",
        f"torch.cuda.is_available() is False although driver {facts.nvidia.driver_version or '?'} should run torch "
        f"{torch.version}: the process cannot open the GPU",
        fix="check CUDA_VISIBLE_DEVICES, access to /dev/nvidia*, the container runtime, and `dmesg` for driver errors",
        evidence=["torch.cuda.is_available() = False"], subject="torch")


# ---------------------------------------------------------------------------- what the process can reach


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
        digits = 1 if library.name == "libcudnn" else 2
        if found.release[:1] != theirs.release[:1]:
            severity = "error"
        elif library.name != "libcudnn" and found.release[:digits] < theirs.release[:digits]:
            severity = "warning"
        else:
            continue
        yield Finding(
            "cuda.library-path-shadows-wheel", severity, "cuda",
            f"LD_LIBRARY_PATH puts {library.path} ({library.name} {library.version}) ahead of torch's own {package.name} "
            f"{package.version}: the loader takes the system copy first, and torch fails to load or to find symbols",
            fix=f"remove {library.path.rsplit('/', 1)[0]} from LD_LIBRARY_PATH when running torch (its wheels find their "
                "own CUDA libraries)", evidence=[library.source, package.source or package.name], subject="cuda.toolkit")


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


def nvidia_container_without_gpu_runtime(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A container started without the NVIDIA runtime: no /dev/nvidia* (or /dev/dxg) and no libcuda."""
    nvidia, torch = facts.nvidia, facts.torch
    if not facts.os.container or nvidia.device_nodes is None or nvidia.libcuda is None:
        return
    wants_gpu = torch.status == "ok" and bool(torch.cuda)
    if not nvidia.device_nodes and not nvidia.libcuda and wants_gpu:
        yield Finding(
            "nvidia.container-without-gpu-runtime", "error", "gpu",
            f"this {facts.os.container} container has no NVIDIA device nodes (/dev/nvidia*) and no libcuda: it was "
            f"started without the GPU runtime, so torch {torch.version} (CUDA {torch.cuda}) sees no GPU",
            fix="start it with the GPUs: docker run --gpus all (NVIDIA Container Toolkit), podman run --device "
                "nvidia.com/gpu=all (CDI), or request nvidia.com/gpu in Kubernetes",
            evidence=["/dev: no nvidia* or dxg node", "libcuda.so: none in the driver library folders"],
            subject="nvidia.driver")
    elif nvidia.device_nodes and not nvidia.libcuda and wants_gpu:
        yield Finding(
            "nvidia.container-without-libcuda", "warning", "gpu",
            f"this {facts.os.container} container has the NVIDIA device nodes but no libcuda: the driver libraries "
            "were not mounted, so CUDA cannot start",
            fix="start it with NVIDIA_DRIVER_CAPABILITIES including compute,utility (or --gpus all with the NVIDIA "
                "Container Toolkit)",
            evidence=[f"device nodes: {', '.join(nvidia.device_nodes)}", "libcuda.so: none in the driver library folders"],
            subject="nvidia.driver")


# ---------------------------------------------------------------------------- what a training job may use

#: Below this much free /dev/shm a DataLoader soon overflows it: num_workers x prefetch_factor (2) batches wait there
#: at once, and one batch of 256 3x224x224 float32 images is 154 MB (2 workers: 616 MB; 4 workers: 1.2 GB).
SHM_MIN_BYTES = 1 << 30
#: A DataLoader that shares tensors by file descriptor (torch's default on Linux) keeps one open per tensor in
#: flight; below this soft limit "Too many open files" / "received 0 items of ancdata" come sooner.
OPEN_FILES_ADVISED = 4096
OPEN_FILES_LOW = 1024
#: Memory other processes already hold on a GPU: worth saying from 1 GiB, a warning from half the GPU.
GPU_MEMORY_NOTED_MIB = 1024
GPU_MEMORY_WARN_FRACTION = 0.5
SHM_SOURCES = [
    "https://docs.docker.com/engine/containers/run/ (--shm-size: 64m when not given; --ipc=host)",
    "https://kubernetes.io/docs/concepts/storage/volumes/#emptydir (medium: Memory)",
    "https://github.com/pytorch/pytorch#docker-image (PyTorch uses shared memory between processes: "
    "run with --ipc=host or --shm-size)",
]


def _mib(value: int) -> str:
    return f"{value / (1 << 20):.0f} MiB" if value < (1 << 30) else f"{value / (1 << 30):.1f} GiB"


def _shm_fix(container: str | None) -> str:
    if container == "kubernetes":
        return ("mount a memory-backed emptyDir at /dev/shm (volumes: - name: dshm, emptyDir: {medium: Memory, "
                "sizeLimit: 16Gi}; volumeMounts: - name: dshm, mountPath: /dev/shm)")
    if container:
        return (f"restart the {container} container with a larger /dev/shm: docker run --shm-size=16g ... "
                "(or --ipc=host to share the host's); in Compose, shm_size: 16gb")
    return "enlarge it: sudo mount -o remount,size=16G /dev/shm (or lower num_workers / batch size)"


def limits_shared_memory(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A /dev/shm too small (Docker's 64 MB) or too full for a DataLoader's workers to hand batches over."""
    limits = facts.limits
    if limits.shm_total_bytes is None or limits.shm_free_bytes is None or limits.shm_free_bytes >= SHM_MIN_BYTES:
        return
    total, free = limits.shm_total_bytes, limits.shm_free_bytes
    if total < SHM_MIN_BYTES:
        where = f" in this {facts.os.container} container" if facts.os.container else ""
        message = (f"/dev/shm{where} is {_mib(total)} ({_mib(free)} free): DataLoader workers hand every batch "
                   "over through it, and a few batches in flight overflow it (\"DataLoader worker ... is killed by "
                   "signal: Bus error\", \"insufficient shared memory (shm)\")")
        fix = _shm_fix(facts.os.container)
    else:
        message = (f"/dev/shm has {_mib(free)} free of {_mib(total)}: DataLoader workers need room there for the "
                   "batches in flight (files left by crashed runs, /dev/shm/torch_*, keep theirs)")
        fix = "remove what crashed runs left (ls -la /dev/shm; rm /dev/shm/torch_* when no training runs)"
    yield Finding("system.shm-small", "warning", "system", message, fix=fix,
                  evidence=[f"/dev/shm: {total} bytes, {free} free (statvfs)", *SHM_SOURCES], subject="limits.shm")


def limits_cpu_quota(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A cgroup CPU quota below the CPUs the machine shows: os.cpu_count() and torch's threads ignore it."""
    limits, cores = facts.limits, facts.cpu.logical_cores
    shown = min(c for c in (cores, limits.cpus_allowed) if c) if (cores or limits.cpus_allowed) else None
    if limits.cpu_limit is None or shown is None or limits.cpu_limit >= shown:
        return
    usable = limits.cpu_limit
    workers = int(usable)
    threads = max(1, workers)
    where = f"this {facts.os.container} container" if facts.os.container else "this process's cgroup"
    yield Finding(
        "system.cpu-limit", "warning", "system",
        f"{where} may use {usable:g} CPU(s) (cgroup CPU quota) of the {shown} the machine shows: os.cpu_count() and "
        f"torch's default thread count see {shown}, so DataLoader(num_workers=os.cpu_count()) and torch's CPU "
        "threads oversubscribe it and are throttled",
        fix=f"use at most {workers} DataLoader worker(s) (num_workers={workers}) and set OMP_NUM_THREADS={threads} "
            f"(or torch.set_num_threads({threads})); or raise the quota (docker run --cpus, Kubernetes limits.cpu)",
        evidence=[f"cgroup {limits.cgroup} {limits.cgroup_path}: {usable:g} CPU(s)",
                  f"{cores} logical CPU(s), {limits.cpus_allowed} in this process's affinity mask"],
        subject="limits.cgroup")


def limits_memory(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A cgroup memory limit below the machine's memory: the OOM killer ends a worker there, not at the RAM size."""
    limits, ram = facts.limits, facts.cpu.memory_total_bytes
    if limits.memory_limit_bytes is None or (ram is not None and limits.memory_limit_bytes >= ram):
        return
    of_ram = f" of the machine's {_mib(ram)}" if ram else ""
    yield Finding(
        "system.memory-limit", "info", "system",
        f"this process's cgroup may use {_mib(limits.memory_limit_bytes)}{of_ram}: the training process, every "
        "DataLoader worker and what they put in /dev/shm count against it, and past it the kernel kills one "
        "(\"DataLoader worker ... is killed by signal: Killed\")",
        fix="fewer DataLoader workers or a smaller batch; or raise the limit (docker run --memory, Kubernetes "
            "limits.memory)",
        evidence=[f"cgroup {limits.cgroup} {limits.cgroup_path}: {limits.memory_limit_bytes} bytes"],
        subject="limits.cgroup")


def limits_open_files(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A low `ulimit -n`: a DataLoader sharing tensors by file descriptor runs out of them."""
    soft, hard = facts.limits.open_files_soft, facts.limits.open_files_hard
    if soft is None or soft >= OPEN_FILES_ADVISED:
        return
    raise_to = min(hard, 65536) if hard else None
    if raise_to and raise_to > soft:
        fix = f"raise it before training: ulimit -n {raise_to}"
    else:
        fix = ("the hard limit allows no more: call torch.multiprocessing.set_sharing_strategy('file_system') in the "
               "training script, or have the limit raised (docker run --ulimit nofile=65536:65536)")
    yield Finding(
        "system.open-files-low", "warning" if soft < OPEN_FILES_LOW else "info", "system",
        f"ulimit -n is {soft} (hard {hard if hard is not None else 'unlimited'}): a DataLoader shares each tensor "
        "in flight through a file descriptor, and with many workers or many tensors per batch runs out "
        "(\"Too many open files\", \"received 0 items of ancdata\")",
        fix=fix,
        evidence=["/proc/self/limits: Max open files", "https://docs.pytorch.org/docs/stable/multiprocessing.html "
                  "(sharing strategies: file_descriptor, file_system)"],
        subject="limits.open-files")


def nvidia_gpu_memory_in_use(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """GPU memory other processes already hold: the first batch's "CUDA out of memory", said before it happens."""
    busy = [gpu for gpu in facts.nvidia.visible_gpus() if gpu.memory_used_mib is not None and gpu.memory_total_mib
            and gpu.memory_used_mib >= GPU_MEMORY_NOTED_MIB]
    if not busy:
        return
    crowded = any(gpu.memory_used_mib >= GPU_MEMORY_WARN_FRACTION * gpu.memory_total_mib
                  for gpu in busy if gpu.memory_used_mib is not None and gpu.memory_total_mib)
    shown = "; ".join(f"GPU {gpu.index}: {_mib((gpu.memory_used_mib or 0) << 20)} of "
                      f"{_mib((gpu.memory_total_mib or 0) << 20)} in use" for gpu in busy)
    yield Finding(
        "nvidia.gpu-memory-in-use", "warning" if crowded else "info", "gpu",
        f"GPU memory is already in use ({shown}): a training job gets only what is left, and its first batch may "
        "fail with \"CUDA out of memory\"",
        fix="see what holds it (nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv) and stop "
            "it, or pick a free GPU with CUDA_VISIBLE_DEVICES",
        evidence=[f"GPU {gpu.index}: {gpu.memory_used_mib} MiB used of {gpu.memory_total_mib} MiB ({gpu.source})"
                  for gpu in busy],
        subject="nvidia.gpus")


def nvidia_container_without_uvm(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A container given the GPUs but not /dev/nvidia-uvm, which CUDA needs and the host creates on first use."""
    nvidia = facts.nvidia
    nodes = nvidia.device_nodes
    if not facts.os.container or not nodes or not nvidia.gpus or "/dev/dxg" in nodes or "/dev/nvidia-uvm" in nodes:
        return
    yield Finding(
        "nvidia.container-without-uvm", "warning", "gpu",
        f"this {facts.os.container} container has the NVIDIA device nodes but not /dev/nvidia-uvm: CUDA cannot start "
        "in it (torch.cuda.is_available() is False, \"CUDA unknown error\"); the container runtime passes the node "
        "in only when it exists on the host",
        fix="on the host, load the nvidia-uvm module and create its node (sudo nvidia-modprobe -u -c=0), then restart "
            "the container",
        evidence=[f"device nodes: {', '.join(nodes)}"], subject="nvidia.driver")


def apple_mps_unavailable(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A native arm64 Python on Apple silicon whose torch cannot use the GPU (MPS): macOS too old, or torch too old.

    An x86_64 Python under Rosetta 2 is python.rosetta's finding.
    """
    torch, apple = facts.torch, facts.apple
    if torch.status != "ok" or not apple.apple_silicon or compat.target_platform(facts) != "macos-arm64":
        return
    version = compat.parse_version(torch.version)
    if version is not None and version.release[:2] < (1, 12):
        message = f"torch {torch.version} predates the MPS backend (torch 1.12): it runs on the CPU only"
    elif not apple.mps_possible and apple.macos_version and "older than" in apple.reason:
        message = f"torch cannot use the Apple GPU: {apple.reason}"
    else:
        return
    yield Finding(
        "apple.mps-unavailable", "warning", "gpu", message,
        fix=f"upgrade macOS to {compat.MPS_MIN_MACOS} or later and torch to 1.12 or later",
        commands=_install_fix(facts), evidence=[f"macOS {apple.macos_version}, {apple.source or 'platform'}"],
        subject="apple")


#: each probed section and the checklist line its probe failures are shown on
SECTIONS = {"os": "os", "cpu": "cpu", "python": "python", "nvidia": "nvidia.driver", "cuda": "cuda.toolkit",
            "cudnn": "cudnn", "rocm": "rocm", "xpu": "xpu", "apple": "apple", "torch": "torch", "limits": "limits.shm"}


def _attempts(facts: Facts) -> Iterable[tuple[str, Attempt]]:
    for name in SECTIONS:
        for attempt in getattr(getattr(facts, name), "attempts", None) or []:
            yield name, attempt


def probe_crashed(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A probe that raised: its section is not known, and the report must not read as fine."""
    for name, attempt in _attempts(facts):
        if attempt.source.startswith("probe:") and attempt.status == "error":
            yield Finding(
                "probe.crashed", "error", "system",
                f"the {name} probe failed ({attempt.detail or 'no detail'}): what it checks is unknown",
                fix="report this with the output of `envdoctor check --record DIR`", subject=SECTIONS[name])


def probe_timed_out(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """Every command that did not answer in time, so a hung tool is never hidden behind another answer."""
    seen = set()
    for name, attempt in _attempts(facts):
        if attempt.status != "timed_out" or (name == "nvidia" and facts.nvidia.status == "timed_out"):
            continue  # nvidia.smi-timed-out already says it
        if (name, attempt.source) in seen:
            continue
        seen.add((name, attempt.source))
        yield Finding(
            "probe.timed-out", "warning", "system",
            f"{attempt.source} did not answer in time ({attempt.detail or 'timed out'}): the {name} facts "
            "it would have given are unknown",
            fix="look for a hung tool or driver (try the command by hand); raise --timeout if it is merely slow",
            evidence=[f"{name}: {attempt.source} -> {attempt.status}"], subject=SECTIONS[name])


def nvidia_visible_devices_order(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    nvidia = facts.nvidia
    if not nvidia.visibility_uncertain:
        return
    yield Finding(
        "nvidia.visible-devices-order", "warning", "gpu",
        f"CUDA_VISIBLE_DEVICES={nvidia.cuda_visible_devices!r} names GPUs in CUDA's order (fastest first), which "
        "differs from nvidia-smi's PCI order on this machine of different GPUs: which GPUs CUDA programs get is "
        "not certain, so every GPU that may be meant is checked",
        fix="set CUDA_DEVICE_ORDER=PCI_BUS_ID (then indices match nvidia-smi), or name GPUs by UUID (GPU-...)",
        evidence=[f"CUDA_DEVICE_ORDER={nvidia.cuda_device_order!r}"], subject="nvidia.driver")


def python_platform(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """The target interpreter's own platform: one torch publishes no wheels for, or Rosetta 2 on Apple silicon."""
    if facts.python.status != "ok":
        return
    platform = compat.target_platform(facts)
    if platform is None:
        return
    rosetta = platform == "macos-x86_64" and (facts.apple.apple_silicon or facts.os.arch in ("arm64", "aarch64"))
    if rosetta:
        yield Finding(
            "python.rosetta", "warning", "python",
            "this Python is an x86_64 build running under Rosetta 2 on Apple silicon: torch cannot use the GPU "
            "(MPS) from it, and torch stopped publishing macOS x86_64 wheels after 2.2.2",
            fix="use a native arm64 Python (python.org universal2 installer, Homebrew under /opt/homebrew, conda osx-arm64)",
            evidence=[f"platform tag {facts.python.platform_tag}, machine {facts.python.machine}"], subject="python")
    elif platform not in compat.WHEEL_PLATFORMS:
        bits = " (a 32-bit Python)" if facts.python.pointer_bits == 32 else ""
        yield Finding(
            "python.no-torch-wheels", "error", "python",
            f"torch publishes no wheels for {platform}{bits}: it cannot be installed into this interpreter",
            fix="use a 64-bit CPython on Linux (x86_64, aarch64), Windows (x86_64) or macOS (arm64)",
            evidence=[f"platform tag {facts.python.platform_tag}, {facts.python.pointer_bits}-bit"], subject="python")


RULES: tuple[Callable[[Facts, Recipes | None], Iterable[Finding]], ...] = (
    probe_crashed,
    probe_timed_out,
    python_runs,
    python_platform,
    python_externally_managed,
    wsl1_has_no_gpu,
    nvidia_driver_state,
    nvidia_driver_older_than_gpu,
    nvidia_hidden_gpus,
    nvidia_visible_devices_order,
    torch_absent,
    torch_cpu_build_on_gpu,
    torch_rocm_without_amd,
    torch_cuda_on_this_machine,
    torch_multiple_copies,
    torch_pip_in_conda,
    torch_pip_conda_versions_differ,
    torch_companions_match,
    torch_extensions_match,
    torch_source_build_without_cuda,
    torch_python_supported,
    torch_cuda_not_available,
    apple_mps_unavailable,
    nvidia_container_without_gpu_runtime,
    nvidia_container_without_uvm,
    nvidia_gpu_memory_in_use,
    limits_shared_memory,
    limits_cpu_quota,
    limits_memory,
    limits_open_files,
    cuda_toolkit_vs_driver,
    cuda_toolkit_vs_torch,
    cuda_toolkit_not_needed_by_torch,
    cudnn_system_not_used_by_torch,
    cuda_library_path_shadows_wheel,
)


def evaluate(facts: Facts, recipes: Recipes | None = None) -> list[Finding]:
    """Every finding the rules draw from these facts, in rule order."""
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(facts, recipes))
    return findings
