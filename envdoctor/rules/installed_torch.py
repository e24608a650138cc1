"""Rules about the installed torch: missing or broken, the wrong kind of build for the GPUs, a CUDA build the
driver or a GPU cannot run, copies and managers that disagree, companions built for another torch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from envdoctor import compat
from envdoctor.facts import Distribution, Facts, Finding
from envdoctor.i18n import _, joined
from envdoctor.rules.builds import _conda_record, _driver_fit, _installed_build, _variant_kind, is_source_build, variant_tag
from envdoctor.rules.install_fix import _install_fix

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes


def torch_absent(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    if facts.python.status == "ok" and facts.torch.status == "absent":
        yield Finding(
            "torch.not-installed",
            "info",
            "torch",
            _("torch is not installed in this interpreter"),
            fix=_("see the right command for this machine"),
            commands=_install_fix(facts),
            subject="torch",
        )
    elif facts.torch.status == "error":
        detail = facts.torch.attempts[-1].detail if facts.torch.attempts else ""
        yield Finding(
            "torch.install-broken",
            "error",
            "torch",
            _("the installed torch could not be read: {detail}", detail=detail) if detail
            else _("the installed torch could not be read"),
            fix=_("reinstall torch"),
            commands=_install_fix(facts),
            subject="torch",
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
        message = (_("torch {version} is conda's CPU-only build (pytorch {conda_version} {build}, channel {channel}) on "
                     "a machine with {count} NVIDIA GPU(s) ({gpu}): it will never use them", version=torch.version,
                     conda_version=record.version, build=record.build, channel=record.channel or "defaults",
                     count=len(gpus), gpu=gpus[0].name)
                   if conda_cpu and record is not None else
                   _("torch {version} is a CPU-only build on a machine with {count} NVIDIA GPU(s) ({gpu}): it will "
                     "never use them", version=torch.version, count=len(gpus), gpu=gpus[0].name))
        yield Finding(
            "torch.cpu-build-on-gpu",
            "error",
            "torch",
            message,
            fix=_("reinstall the CUDA build for this driver (conda-forge's pytorch-gpu, or the CUDA wheel with pip)")
            if conda_cpu else _("reinstall the CUDA build for this driver"),
            commands=_install_fix(facts),
            evidence=[f"torch/version.py cuda = None ({torch.source})"]
            + ([_("{source}: build {build}", source=record.source, build=record.build)]
               if conda_cpu and record is not None else []),
            subject="torch",
        )
    elif facts.rocm.gpus and "rocm" in kinds:
        yield Finding(
            "torch.cpu-build-on-gpu",
            "error",
            "torch",
            _("torch {version} is a CPU-only build on a machine with AMD GPU(s): it will never use them",
              version=torch.version),
            fix=_("reinstall the ROCm build"),
            commands=_install_fix(facts),
            evidence=[f"torch/version.py hip = None ({torch.source})"],
            subject="torch",
        )


def torch_rocm_without_amd(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    torch = facts.torch
    if torch.status == "ok" and torch.hip and not facts.rocm.gpus and facts.nvidia.visible_gpus():
        yield Finding(
            "torch.rocm-build-on-nvidia",
            "error",
            "torch",
            _("torch {version} is a ROCm (AMD) build, but this machine has NVIDIA GPUs", version=torch.version),
            commands=_install_fix(facts),
            fix=_("install the CUDA build"),
            subject="torch",
        )


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
    driver_says = (_("driver {driver} supports at most CUDA {cuda}", driver=facts.nvidia.driver_version,
                     cuda=fit.driver_cuda) if fit is not None and fit.driver_cuda is not None
                   else _("driver {driver} is older than every CUDA release in the driver table",
                          driver=facts.nvidia.driver_version))
    if fit is not None:
        evidence.append(_("{driver_says} ({source})", driver_says=driver_says, source=facts.nvidia.source or "recipes"))
    if fit is not None and fit.level == "none":
        needs = fit.needs()
        yield Finding(
            "torch.cuda-newer-than-driver", "error", "torch",
            _("torch {version} was built for CUDA {cuda}, but {driver_says}: torch.cuda.is_available() will be False",
              version=torch.version, cuda=torch.cuda, driver_says=driver_says),
            fix=_("install a build for this driver, or upgrade the driver to >= {driver}", driver=needs) if needs
            else _("install a build for this driver"),
            commands=_install_fix(facts), evidence=evidence, subject="torch")
        return
    ptx_only = []
    sass, ptx = build.kernels_for(compat.target_platform(facts)) if build else ((), ())
    for gpu in facts.nvidia.visible_gpus():
        if build is None:
            break
        capability = compat.gpu_capability(gpu, recipes)
        verdict = compat.gpu_fit(capability, sass, ptx, fit, recipes.newest_cc(build.cuda) if recipes else None)
        label = gpu.label()
        if verdict.runs is False and verdict.how == "":
            yield Finding(
                "torch.no-kernels-for-gpu", "error", "torch",
                _("torch {version} has no kernels for {gpu} (compute capability {capability}): 'no kernel image is "
                  "available' at run time", version=torch.version, gpu=label, capability=capability),
                fix=_("install a build whose kernels cover this GPU"), commands=_install_fix(facts),
                evidence=[f"recipes: torch {build.torch} {build.name} kernels {' '.join(sass)}"
                          + (f" + PTX {' '.join(ptx)}" if ptx else "")], subject="torch")
        elif verdict.runs is False:
            ptx_only.append(_("{gpu}: {reason}", gpu=label, reason=verdict.reason))
    if fit is not None and fit.level == "minor":
        severe = bool(ptx_only)
        yield Finding(
            "torch.cuda-minor-newer-than-driver", "error" if severe else "warning", "torch",
            _("torch {version} was built for CUDA {cuda}, newer than the driver's CUDA {driver_cuda}: {why}",
              version=torch.version, cuda=torch.cuda, driver_cuda=fit.driver_cuda, why=joined(ptx_only))
            if severe else
            _("torch {version} was built for CUDA {cuda}, newer than the driver's CUDA {driver_cuda}: its compiled "
              "kernels run through minor-version compatibility, code JIT-compiled from PTX at run time will fail",
              version=torch.version, cuda=torch.cuda, driver_cuda=fit.driver_cuda),
            fix=_("upgrade the driver to >= {driver}", driver=fit.full_driver) if fit.full_driver
            else _("upgrade the driver"),
            commands=_install_fix(facts), evidence=evidence, subject="torch")


def torch_multiple_copies(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    copies = list(dict.fromkeys(facts.torch.copies))  # sys.path order: the first is the one imported
    if len(copies) > 1:
        yield Finding(
            "torch.multiple-copies",
            "warning",
            "torch",
            _("{count} copies of torch are on sys.path; the first, in {path}, shadows the others", count=len(copies),
              path=copies[0]),
            fix=_("uninstall the extra copies (pip uninstall torch, repeated) and reinstall one"),
            evidence=copies,
            subject="torch",
        )


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


def torch_pip_in_conda(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    torch = facts.torch
    if _pip_conda_differ(facts):
        return  # torch.pip-conda-versions-differ says more
    if torch.status == "ok" and facts.python.conda_prefix and torch.installer in ("pip", "uv") and torch.conda:
        yield Finding(
            "torch.pip-over-conda",
            "warning",
            "torch",
            _("torch was installed with pip over a conda-managed torch in this environment: conda and pip now disagree "
              "about what is installed"),
            fix=_("pick one manager: `conda remove pytorch` then reinstall with pip, or the reverse"),
            subject="torch",
        )


def torch_pip_conda_versions_differ(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """pip and conda each installed a torch, of different versions: the files on disk are a mix of both."""
    pair = _pip_conda_differ(facts)
    if pair is None:
        return
    pip, conda = pair
    yield Finding(
        "torch.pip-conda-versions-differ", "error", "torch",
        _("pip installed torch {pip_version} and conda installed pytorch {conda_version} in the same environment: each "
          "manager overwrites the other's files, so what `import torch` loads is a mix of both builds",
          pip_version=pip.version, conda_version=conda.version),
        fix=_("uninstall both (pip uninstall torch; conda remove pytorch), then install one build with one manager"),
        commands=_install_fix(facts), evidence=[d.source or f"{d.name} {d.version} ({d.installer})" for d in pair],
        subject="torch")


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
                _("{name} {version} is built for torch {built_for}, but torch is {torch}: its compiled operators do not "
                  "load ({symptom})", name=name, version=companion.version,
                  built_for=", ".join(r.version for r in built_for), torch=torch.version, symptom=symptom[name]),
                fix=_("install the {name} that pairs torch {torch} ({name} {expected})", name=name, torch=version.public,
                      expected=expected) if expected else
                _("install the {name} that pairs torch {torch}", name=name, torch=version.public),
                commands=_install_fix(facts),
                evidence=[_("recipes/torch.toml: torch {torch} pairs {name} {version}", torch=r.version, name=name,
                            version=r.companion(name)) for r in built_for[:3]]
                + [companion.source or f"{name} {companion.version}"], subject="torch.companions")
            continue
        companion_variant = variant_tag(companion.version, companion.build)
        if companion_variant is None and companion.installer != "conda" and built_for and platform:
            companion_variant = built_for[0].pypi.get(platform)  # a plain version from PyPI is PyPI's build
        ours, theirs = _variant_kind(torch_variant), _variant_kind(companion_variant)
        if ours and theirs and ours != theirs:
            yield Finding(
                "torch.companion-mismatch", "error", "torch",
                _("{name} {version} is the {variant} build, torch {torch} the {torch_variant} build: {name}'s operators "
                  "do not run with this torch (CPU-only kernels for CUDA tensors, or another CUDA major)", name=name,
                  version=companion.version, variant=companion_variant, torch=torch.version, torch_variant=torch_variant),
                fix=_("install {name} from the same variant as torch ({variant})", name=name, variant=torch_variant),
                commands=_install_fix(facts),
                evidence=[companion.source or f"{name} {companion.version}", torch.source or f"torch {torch.version}"]
                + ([_("recipes/torch.toml: the PyPI wheel of {name} {version} for {platform} is {variant}", name=name,
                      version=companion.version, platform=platform, variant=companion_variant)]
                   if variant_tag(companion.version, companion.build) is None else []),
                subject="torch.companions")


def torch_source_build_without_cuda(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A torch compiled from source without CUDA, on a machine with NVIDIA GPUs."""
    torch = facts.torch
    gpus = facts.nvidia.visible_gpus()
    if torch.status != "ok" or torch.cuda or torch.hip or torch.xpu or not is_source_build(torch.version) or not gpus:
        return
    yield Finding(
        "torch.source-build-without-cuda", "error", "torch",
        _("torch {version} was compiled from source without CUDA (no CUDA toolkit found at build time, or USE_CUDA=0) "
          "on a machine with {count} NVIDIA GPU(s) ({gpu}): it will never use them", version=torch.version,
          count=len(gpus), gpu=gpus[0].name),
        fix=_("rebuild with CUDA (CUDA_HOME pointing at a toolkit, USE_CUDA=1, TORCH_CUDA_ARCH_LIST covering the GPUs), "
              "or install a released CUDA build"),
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
        _("torch {version} published no wheels for Python {tag} on {platform} (only {pythons}): this copy was not "
          "built for this interpreter, and pip cannot reinstall it here", version=version.public, tag=tag,
          platform=platform, pythons=", ".join(pythons)),
        fix=_("install a torch release built for this Python"), commands=_install_fix(facts),
        evidence=[_("recipes/torch.toml: torch {version} Pythons on {platform}: {pythons}",
                    version=release.version if release else str(version), platform=platform,
                    pythons=", ".join(pythons))], subject="torch")


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
            _("torch {version} is a CUDA {cuda} build, torch.cuda.is_available() is False, and no NVIDIA driver or GPU "
              "was found: the driver is missing, the container was started without the GPU runtime, or the machine "
              "has no NVIDIA GPU (then the CPU build is the smaller one)", version=torch.version, cuda=torch.cuda),
            fix=_("install the NVIDIA driver; in a container pass the GPUs (docker run --gpus all)"),
            commands=_install_fix(facts), evidence=["torch.cuda.is_available() = False"], subject="torch")
        return
    yield Finding(
        "torch.cuda-not-available", "warning", "torch",
        _("torch.cuda.is_available() is False although driver {driver} should run torch {version}: the process cannot "
          "open the GPU", driver=facts.nvidia.driver_version or "?", version=torch.version),
        fix=_("check CUDA_VISIBLE_DEVICES, access to /dev/nvidia*, the container runtime, and `dmesg` for driver errors"),
        evidence=["torch.cuda.is_available() = False"], subject="torch")
