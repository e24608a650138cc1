"""Diagnosis rules: pure functions from facts to findings.

Each rule is a small function returning findings with a stable id (``area.kebab-name``); ids never
change once released, so CI scripts and ``--skip`` lists can rely on them. Rules that need
compatibility data take it from the recipes; without recipes they still run on the facts alone.
"""

from __future__ import annotations

from typing import Callable, Iterable, Protocol

from packaging.version import InvalidVersion, Version

from envdoctor.facts import Facts, Finding


class RecipeLookup(Protocol):
    """What the rules need from the recipes (see envdoctor.recipes.Recipes)."""

    def driver_max_cuda(self, driver: str, os: str) -> str | None: ...

    def gpu_compute_capability(self, name: str) -> str | None: ...

    def find_variant(self, torch_version: str, variant: str): ...

    def covers_arch(self, variant_recipe, compute_capability: str) -> bool: ...


def _version(text: str | None) -> Version | None:
    if not text:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _major_minor(text: str | None) -> tuple[int, int] | None:
    version = _version(text)
    if version is None:
        return None
    return version.major, version.minor


def driver_max_cuda(facts: Facts, recipes: RecipeLookup | None) -> str | None:
    """The newest CUDA the driver runs: as the driver says, else from the recipes' driver table."""
    if facts.nvidia.driver_max_cuda:
        return facts.nvidia.driver_max_cuda
    if recipes is not None and facts.nvidia.driver_version:
        return recipes.driver_max_cuda(facts.nvidia.driver_version, facts.os.system.lower())
    return None


def gpu_capability(gpu, recipes: RecipeLookup | None) -> str | None:
    """As the probe read it, else from the recipes' GPU table by name, then by sm_XY arch."""
    if gpu.compute_capability or recipes is None:
        return gpu.compute_capability
    for key in (gpu.name, gpu.arch):
        capability = recipes.gpu_compute_capability(key) if key else None
        if capability:
            return capability
    return None


def _install_fix(facts: Facts) -> list[list[str]]:
    return [["envdoctor", "install", "--dry-run"]] + (
        [["envdoctor", "install", "--python", facts.python.executable]]
        if facts.python.executable
        else [["envdoctor", "install"]]
    )


def python_runs(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
    python = facts.python
    if python.status != "ok":
        detail = python.attempts[-1].detail if python.attempts else python.status
        yield Finding(
            "python.not-runnable",
            "error",
            "python",
            f"the target interpreter {python.executable or ''} did not answer: {detail}".replace("  ", " "),
            fix="pass an existing interpreter with --python PATH",
            subject="python",
        )


def python_externally_managed(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
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


def nvidia_driver_state(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
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


def nvidia_hidden_gpus(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
    nvidia = facts.nvidia
    if not nvidia.hidden_gpus:
        return
    visible = len(nvidia.visible_gpus())
    yield Finding(
        "nvidia.gpus-hidden",
        "warning" if visible == 0 else "info",
        "gpu",
        f"CUDA_VISIBLE_DEVICES={nvidia.cuda_visible_devices!r} hides {len(nvidia.hidden_gpus)} of "
        f"{len(nvidia.gpus)} GPU(s)" + (": CUDA programs will see none" if visible == 0 else ""),
        fix="unset CUDA_VISIBLE_DEVICES (or list the GPUs to use) if this is not intended",
        evidence=[f"hidden indices {nvidia.hidden_gpus}"],
        subject="nvidia.driver",
    )


def wsl1_has_no_gpu(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
    if facts.os.wsl == "wsl1":
        yield Finding(
            "system.wsl1",
            "warning",
            "system",
            "WSL 1 cannot use the GPU: CUDA in WSL needs WSL 2",
            fix="wsl --set-version <distro> 2",
            subject="os",
        )


def torch_cpu_build_on_gpu(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
    torch = facts.torch
    if torch.status != "ok" or torch.cuda or torch.hip or torch.xpu:
        return
    if facts.nvidia.visible_gpus():
        gpus = facts.nvidia.visible_gpus()
        yield Finding(
            "torch.cpu-build-on-gpu",
            "error",
            "torch",
            f"torch {torch.version} is a CPU-only build on a machine with {len(gpus)} NVIDIA GPU(s) "
            f"({gpus[0].name}): it will never use them",
            fix="reinstall the CUDA build for this driver",
            commands=_install_fix(facts),
            evidence=[f"torch/version.py cuda = None ({torch.source})"],
            subject="torch",
        )
    elif facts.rocm.gpus:
        yield Finding(
            "torch.cpu-build-on-gpu",
            "error",
            "torch",
            f"torch {torch.version} is a CPU-only build on a machine with AMD GPU(s): it will never use them",
            fix="reinstall the ROCm build",
            commands=_install_fix(facts),
            subject="torch",
        )


def torch_cuda_vs_driver(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
    torch = facts.torch
    built = _major_minor(torch.cuda)
    supported = _major_minor(driver_max_cuda(facts, recipes))
    if torch.status != "ok" or built is None or supported is None or built <= supported:
        return
    evidence = [
        f"torch/version.py cuda = {torch.cuda}",
        f"driver {facts.nvidia.driver_version} supports CUDA <= {supported[0]}.{supported[1]} "
        f"({facts.nvidia.source or 'recipes'})",
    ]
    if built[0] > supported[0]:
        yield Finding(
            "torch.cuda-newer-than-driver",
            "error",
            "torch",
            f"torch {torch.version} was built for CUDA {torch.cuda}, but driver "
            f"{facts.nvidia.driver_version} supports at most CUDA {supported[0]}.{supported[1]}: "
            "torch.cuda.is_available() will be False",
            fix="install a build for this driver, or upgrade the driver",
            commands=_install_fix(facts),
            evidence=evidence,
            subject="torch",
        )
    else:
        yield Finding(
            "torch.cuda-minor-newer-than-driver",
            "warning",
            "torch",
            f"torch {torch.version} was built for CUDA {torch.cuda}, newer than the driver's "
            f"CUDA {supported[0]}.{supported[1]}: it runs through minor-version compatibility, "
            "but kernels compiled just-in-time from PTX will fail",
            fix="upgrade the driver, or install a build for CUDA <= the driver's",
            commands=_install_fix(facts),
            evidence=evidence,
            subject="torch",
        )


def torch_kernels_cover_gpus(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
    torch = facts.torch
    if recipes is None or torch.status != "ok" or not torch.cuda or not torch.version:
        return
    base = torch.version.split("+")[0]
    variant_name = torch.local or "cu" + torch.cuda.replace(".", "")[:3]
    variant = recipes.find_variant(base, variant_name)
    if variant is None:
        return
    for gpu in facts.nvidia.visible_gpus():
        capability = gpu_capability(gpu, recipes)
        if capability and not recipes.covers_arch(variant, capability):
            yield Finding(
                "torch.no-kernels-for-gpu",
                "error",
                "torch",
                f"torch {torch.version} has no kernels for GPU {gpu.index} {gpu.name} "
                f"(compute capability {capability}): 'no kernel image is available' at run time",
                fix="install a build whose kernels cover this GPU",
                commands=_install_fix(facts),
                evidence=[f"recipes: torch {base} {variant_name} kernel archs"],
                subject="torch",
            )


def torch_multiple_copies(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
    copies = sorted(set(facts.torch.copies))
    if len(copies) > 1:
        yield Finding(
            "torch.multiple-copies",
            "warning",
            "torch",
            f"{len(copies)} copies of torch are on sys.path; the first one shadows the others",
            fix="uninstall the extra copies (pip uninstall torch, repeated) and reinstall one",
            evidence=copies,
            subject="torch",
        )


def torch_pip_in_conda(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
    torch = facts.torch
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


def torch_rocm_without_amd(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
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


def torch_absent(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
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
            f"the installed torch could not be read: {detail}",
            fix="reinstall torch",
            commands=_install_fix(facts),
            subject="torch",
        )


def cuda_toolkit_vs_driver(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
    active = facts.cuda.active()
    toolkit = _major_minor(active.version if active else None)
    supported = _major_minor(driver_max_cuda(facts, recipes))
    if toolkit and supported and toolkit > supported:
        yield Finding(
            "cuda.toolkit-newer-than-driver",
            "warning",
            "cuda",
            f"CUDA toolkit {active.version} is newer than the driver supports "
            f"(CUDA <= {supported[0]}.{supported[1]}): programs built with it will not run here "
            "(torch wheels bring their own CUDA, so this matters only when building extensions)",
            fix="upgrade the driver, or use a toolkit <= the driver's CUDA",
            subject="cuda.toolkit",
        )


def cuda_toolkit_vs_torch(facts: Facts, recipes: RecipeLookup | None) -> Iterable[Finding]:
    active = facts.cuda.active()
    toolkit = _major_minor(active.version if active else None)
    built = _major_minor(facts.torch.cuda)
    if toolkit and built and toolkit[0] != built[0]:
        yield Finding(
            "cuda.toolkit-torch-major-differs",
            "warning",
            "cuda",
            f"nvcc {active.version} and torch's CUDA {facts.torch.cuda} differ in major version: "
            "building CUDA extensions (torch.utils.cpp_extension) will fail",
            fix=f"point CUDA_HOME at a CUDA {built[0]}.x toolkit when building extensions",
            subject="cuda.toolkit",
        )


RULES: tuple[Callable[[Facts, RecipeLookup | None], Iterable[Finding]], ...] = (
    python_runs,
    python_externally_managed,
    wsl1_has_no_gpu,
    nvidia_driver_state,
    nvidia_hidden_gpus,
    torch_absent,
    torch_cpu_build_on_gpu,
    torch_rocm_without_amd,
    torch_cuda_vs_driver,
    torch_kernels_cover_gpus,
    torch_multiple_copies,
    torch_pip_in_conda,
    cuda_toolkit_vs_driver,
    cuda_toolkit_vs_torch,
)


def evaluate(facts: Facts, recipes: RecipeLookup | None = None) -> list[Finding]:
    """Every finding the rules draw from these facts, in rule order."""
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(facts, recipes))
    return findings
