"""Diagnosis rules: pure functions from facts to findings.

Each rule is a small function returning findings with a stable id (``area.kebab-name``); ids never
change once released, so CI scripts and ``--skip`` lists can rely on them. Rules that need
compatibility data take it from the recipes; without recipes they still run on the facts alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from envdoctor import compat
from envdoctor.facts import Attempt, Facts, Finding

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes, VariantRecipe


def _install_fix(facts: Facts) -> list[list[str]]:
    """The commands that fix a torch problem, repeating whatever described the machine (--gpu, --driver, ...)."""
    described = [part for override in facts.overrides for part in override.split(" ", 1)]
    if described:
        return [["envdoctor", "install", "--dry-run", *described]]
    return [["envdoctor", "install", "--dry-run"]] + (
        [["envdoctor", "install", "--python", facts.python.executable]]
        if facts.python.executable
        else [["envdoctor", "install"]]
    )


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
    if torch.status != "ok" or torch.cuda or torch.hip or torch.xpu:
        return
    kinds = compat.build_kinds(compat.target_platform(facts), recipes) if recipes is not None else {"cuda", "rocm"}
    if facts.nvidia.visible_gpus() and "cuda" in kinds:
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
    elif facts.rocm.gpus and "rocm" in kinds:
        yield Finding(
            "torch.cpu-build-on-gpu",
            "error",
            "torch",
            f"torch {torch.version} is a CPU-only build on a machine with AMD GPU(s): it will never use them",
            fix="reinstall the ROCm build",
            commands=_install_fix(facts),
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
    if fit is not None:
        evidence.append(f"driver {facts.nvidia.driver_version} supports CUDA <= {fit.driver_cuda} "
                        f"({facts.nvidia.source or 'recipes'})")
    if fit is not None and fit.level == "none":
        needs = fit.needs()
        yield Finding(
            "torch.cuda-newer-than-driver", "error", "torch",
            f"torch {torch.version} was built for CUDA {torch.cuda}, but driver {facts.nvidia.driver_version} "
            f"supports at most CUDA {fit.driver_cuda}: torch.cuda.is_available() will be False",
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


def torch_pip_in_conda(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
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
            f"the installed torch could not be read: {detail}",
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


SECTIONS = ("os", "cpu", "python", "nvidia", "cuda", "cudnn", "rocm", "xpu", "apple", "torch")


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
                fix="report this with the output of `envdoctor check --record DIR`", subject=name)


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
            evidence=[f"{name}: {attempt.source} -> {attempt.status}"], subject=name)


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
    nvidia_hidden_gpus,
    nvidia_visible_devices_order,
    torch_absent,
    torch_cpu_build_on_gpu,
    torch_rocm_without_amd,
    torch_cuda_on_this_machine,
    torch_multiple_copies,
    torch_pip_in_conda,
    cuda_toolkit_vs_driver,
    cuda_toolkit_vs_torch,
)


def evaluate(facts: Facts, recipes: Recipes | None = None) -> list[Finding]:
    """Every finding the rules draw from these facts, in rule order."""
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(facts, recipes))
    return findings
