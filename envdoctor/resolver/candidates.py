"""The candidates a plan is chosen from: the machine as the checks see it, and every (release, variant) of the
recipes checked against it, each failure kept with its kind so the plan can say why a build does not fit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.facts import Facts, Gpu
from envdoctor.i18n import _
from envdoctor.recipes import Recipes, Release, VariantRecipe
from envdoctor.resolver.plan import Request

#: NVIDIA states in which the GPUs cannot be known, so no CUDA build can be chosen safely.
UNSURE_NVIDIA = {
    "driver_mismatch": _("the NVIDIA driver is in a mismatched state"),
    "timed_out": _("nvidia-smi hung"),
    "error": _("the NVIDIA driver could not be queried"),
    "gpus_unknown": _("an NVIDIA driver is there but its GPUs are not known"),
    "unknown": _("nothing is known about the machine's GPUs"),
}
UNSURE_ROCM = {
    "timed_out": _("rocminfo hung"),
    "error": _("the ROCm runtime could not be queried"),
    "unknown": _("nothing is known about the machine's GPUs"),
}
KIND_NAMES = {"cuda": "CUDA (NVIDIA)", "rocm": "ROCm (AMD)", "xpu": "XPU (Intel)", "mps": "MPS (Apple)", "cpu": "CPU"}


# ---------------------------------------------------------------------------- the machine


@datatype
class _Machine:
    """What the checks need from the facts, normalised once."""

    platform: str | None  # "linux-x86_64", "windows-x86", ...
    os: str | None  # "linux" | "windows" | "macos"
    python: str | None  # "3.11" / "3.13t"; None: not known (a described machine)
    implementation: str | None
    glibc: Version | None
    musl: bool
    macos: Version | None
    driver: compat.DriverVersion | None
    driver_cuda: Version | None
    driver_os: str  # the column of the driver tables the driver number belongs to
    nvidia: list[tuple[Gpu, str | None]]  # (gpu, compute capability)
    amd: list[tuple[Gpu, str | None]]  # (gpu, gfx)
    xpu: bool
    jetson: tuple[Gpu, str] | None  # a Jetson GPU and compat.jetson_kind's answer
    nvidia_unsure: str  # why the NVIDIA GPUs cannot be known ("" when they can)
    rocm_unsure: str
    no_driver: bool = False  # probed, and there is no NVIDIA driver (not merely unknown)
    fits: dict[tuple[str | None, str | None], compat.CudaFit | None] = field(default_factory=dict)
    # the NVIDIA GPUs grouped by (name, capability), each group's first GPU and its size: identical GPUs
    # are judged once (a described fleet may list thousands)
    nvidia_alike: list[tuple[Gpu, str | None, int]] = field(default_factory=list)
    floors: list[compat.GpuDriverFloor] = field(default_factory=list)  # per nvidia_alike group: can the driver drive it


def _machine(facts: Facts, recipes: Recipes) -> _Machine:
    platform = compat.target_platform(facts)
    os_name = platform.split("-", 1)[0] if platform else None
    nvidia: list[tuple[Gpu, str | None]] = []
    jetson = None
    nv = facts.nvidia
    if nv.status == "ok":
        for gpu in nv.visible_gpus():
            cc = compat.gpu_capability(gpu, recipes)
            nvidia.append((gpu, cc))
            kind = compat.jetson_kind(gpu.name, cc, recipes)
            if kind and jetson is None:
                jetson = (gpu, kind)
    amd = []
    if facts.rocm.status == "ok":
        amd = [(gpu, compat.gfx_base(gpu.arch) or (recipes.amd_gfx(gpu.name) if gpu.name else None))
               for gpu in facts.rocm.gpus if gpu.visible]
    driver = compat.parse_driver(nv.driver_version) if nv.status in ("ok", "gpus_unknown") else None
    driver_os = compat.driver_table_os(os_name, facts.os.wsl)
    driver_cuda = compat.facts_driver_cuda(facts, recipes) if driver is not None else None
    distro = (facts.os.distro_id or "").lower()
    alike = _alike(nvidia)
    floors = [compat.driver_drives_gpu(cc, driver, driver_os, recipes.gpu_first_cuda, recipes.toolkits)
              for _gpu, cc, _count in alike]
    return _Machine(
        platform=platform, os=os_name, python=compat.python_tag(facts),
        implementation=(facts.python.implementation or "").lower() or None,
        glibc=compat.parse_version(facts.os.glibc), musl=os_name == "linux" and distro == "alpine" and not facts.os.glibc,
        macos=compat.parse_version(facts.os.macos_version or facts.apple.macos_version),
        driver=driver, driver_cuda=driver_cuda, driver_os=driver_os, nvidia=nvidia, amd=amd,
        xpu=bool(facts.xpu.present), jetson=jetson,
        nvidia_unsure="" if nvidia else UNSURE_NVIDIA.get(nv.status, ""),
        rocm_unsure="" if amd else UNSURE_ROCM.get(facts.rocm.status, ""), nvidia_alike=alike, floors=floors,
        no_driver=nv.status == "no_driver",
    )


def _alike(gpus: list[tuple[Gpu, str | None]]) -> list[tuple[Gpu, str | None, int]]:
    """(first GPU, capability, how many) per distinct (name, capability), in the order first seen."""
    groups: dict[tuple[str | None, str | None], list[Any]] = {}
    for gpu, cc in gpus:
        group = groups.setdefault((gpu.name, cc), [gpu, cc, 0])
        group[2] += 1
    return [(gpu, cc, count) for gpu, cc, count in groups.values()]


# ---------------------------------------------------------------------------- checking one candidate


# The two classes a resolve makes by the hundred (some 500 failures and 260 candidates for one machine): dataclass's
# generated __init__ makes each about three times as fast as a datatype's shared one, and check never imports them.
@dataclass
class _Failure:
    # "spec" | "python" | "platform" | "companion" | "glibc" | "macos" | "driver" | "kernels" | "variant" | "accelerator"
    kind: str
    reason: str
    needs: str = ""  # what would satisfy it (a driver version, a Python list, ...)


@dataclass
class _Candidate:
    release: Release
    variant: VariantRecipe
    failures: list[_Failure]
    warnings: list[str]
    fit: compat.CudaFit | None = None
    needs_driver: Version | None = None  # the driver a plan for an unknown driver needs

    def fits_fully(self) -> bool:
        """A CUDA build the driver runs all of, PTX included (no minor-version compatibility needed)."""
        return self.fit is not None and self.fit.level == "full"


def _spec_failures(release: Release, specs: dict[str, SpecifierSet], request: Request) -> list[_Failure]:
    """What the requirement strings say about a release (the same for all its variants)."""
    failures = []
    spec = specs.get("torch")
    if spec is not None and not spec.contains(release.parsed, prereleases=request.allow_prerelease or None):
        failures.append(_Failure("spec", _("torch {torch} does not satisfy '{requirement}'", torch=release.version,
                                           requirement=f"torch{spec}")))
    for name in compat.COMPANIONS:
        if name in specs:
            pinned = getattr(release, name)
            if pinned is None:
                failures.append(_Failure("spec", _("torch {torch} has no matching {name} release",
                                                   torch=release.version, name=name)))
            elif not specs[name].contains(Version(pinned), prereleases=True):
                failures.append(_Failure("spec", _("{name} {version} (for torch {torch}) does not satisfy "
                                                   "'{requirement}'", name=name, version=pinned, torch=release.version,
                                                   requirement=f"{name}{specs[name]}")))
    return failures


def _platform_failures(release: Release, variant: VariantRecipe, machine: _Machine,
                       specs: dict[str, SpecifierSet]) -> list[_Failure]:
    plat = machine.platform
    if plat not in release.platforms or plat not in variant.platforms:
        return [_Failure("platform", _("torch {torch} {variant} has no wheels for {platform}", torch=release.version,
                                       variant=variant.name, platform=plat or _("an unknown platform")))]
    failures = []
    pythons = release.python.get(plat, ())
    if machine.implementation not in (None, "cpython"):
        failures.append(_Failure("python", _("torch wheels are CPython only, not {implementation}",
                                             implementation=machine.implementation)))
    elif machine.python is not None and machine.python not in pythons:
        failures.append(_Failure("python", _("torch {torch} has no wheels for Python {python} on {platform}",
                                             torch=release.version, python=machine.python, platform=plat),
                                 ", ".join(pythons)))
    elif machine.python is not None:
        for name in compat.COMPANIONS:
            pinned = getattr(release, name)
            if name in specs and pinned and not release.companion_wheel(name, plat, machine.python):
                failures.append(_Failure("companion", _("{name} {version} (for torch {torch}) has no wheel for Python "
                                                        "{python} on {platform}", name=name, version=pinned,
                                                        torch=release.version, python=machine.python, platform=plat)))
    glibc = compat.parse_version(variant.glibc.get(plat) or release.glibc.get(plat))
    if machine.musl:
        failures.append(_Failure("glibc", _("musl libc (Alpine): no manylinux torch wheels")))
    elif glibc is not None and machine.glibc is not None and machine.glibc < glibc:
        failures.append(_Failure("glibc", _("torch {torch} {variant} needs glibc >= {glibc}, this has {found}",
                                            torch=release.version, variant=variant.name, glibc=glibc,
                                            found=machine.glibc), str(glibc)))
    macos_min = compat.parse_version(release.macos_floor(plat, machine.python))
    if macos_min is not None and machine.macos is not None and machine.macos < macos_min:
        failures.append(_Failure("macos", _("torch {torch} needs macOS >= {macos}, this has {found}",
                                            torch=release.version, macos=macos_min, found=machine.macos),
                                 str(macos_min)))
    return failures


def _check(release: Release, variant: VariantRecipe, machine: _Machine, recipes: Recipes,
           spec_failures: list[_Failure], specs: dict[str, SpecifierSet], wanted: str,
           explicit_variant: str | None) -> _Candidate:
    candidate = _Candidate(release, variant, list(spec_failures), [])
    failures, warnings = candidate.failures, candidate.warnings
    if explicit_variant and variant.name != explicit_variant:
        failures.append(_Failure("variant", _("{variant} is not the requested variant {requested}",
                                              variant=variant.name, requested=explicit_variant)))
    failures.extend(_platform_failures(release, variant, machine, specs))
    if not explicit_variant and variant.name != wanted and variant.kind != wanted:
        failures.append(_Failure("accelerator", _("{variant} is not a {kind} build", variant=variant.name,
                                                  kind=KIND_NAMES.get(wanted, wanted))))
    if variant.kind == "cuda":
        _check_cuda(candidate, machine, recipes)
    elif variant.kind == "rocm":
        for gpu, gfx in machine.amd:
            covered = compat.gfx_covered(gfx, variant.gfx)
            label = f"{gpu.name or 'AMD GPU'} ({gfx})" if gfx else _("{gpu} (gfx unknown)", gpu=gpu.name or "AMD GPU")
            if covered is False:
                failures.append(_Failure("kernels", _("{variant} of torch {torch} has no kernels for {gpu}",
                                                      variant=variant.name, torch=release.version, gpu=label),
                                         gfx or ""))
            elif gfx is None:
                warnings.append(_("kernels for {gpu} not checked: the GPU's gfx target is unknown", gpu=label))
            elif covered is None:  # a build whose gfx list is not known is never bet on
                failures.append(_Failure("kernels", _("the gfx targets of {variant} (torch {torch}) are not known, so "
                                                      "kernels for {gpu} cannot be confirmed", variant=variant.name,
                                                      torch=release.version, gpu=label), gfx))
    return candidate


def _check_cuda(candidate: _Candidate, machine: _Machine, recipes: Recipes) -> None:
    variant, release = candidate.variant, candidate.release
    key = (variant.cuda, variant.toolkit)
    if key not in machine.fits:  # the same few CUDA builds recur in every release: decide each once
        machine.fits[key] = compat.cuda_fit(variant.cuda, variant.toolkit, machine.driver, machine.driver_cuda,
                                            machine.driver_os, recipes.toolkits, recipes.families)
    fit = machine.fits[key]
    if fit is None:
        candidate.failures.append(_Failure("driver", _("{variant}: CUDA version unknown", variant=variant.name)))
        return
    candidate.fit = fit
    if fit.level == "none":
        needed = fit.needs()
        driver = machine.driver or "?"
        candidate.failures.append(_Failure(
            "driver", _("the driver {driver} supports CUDA {driver_cuda}; {variant} needs CUDA {cuda} (driver >= "
                        "{needed})", driver=driver, driver_cuda=fit.driver_cuda, variant=variant.name, cuda=fit.cuda,
                        needed=needed) if needed else
            _("the driver {driver} supports CUDA {driver_cuda}; {variant} needs CUDA {cuda}", driver=driver,
              driver_cuda=fit.driver_cuda, variant=variant.name, cuda=fit.cuda), str(needed) if needed else ""))
    sass, ptx = variant.kernels_for(machine.platform)
    needs: list[Version] = []
    for (gpu, cc, count), floor in zip(machine.nvidia_alike, machine.floors, strict=True):
        name = f"GPU {gpu.index if gpu.index is not None else '?'} {gpu.name or ''}".rstrip()
        label = _("{gpu} and {more} more like it", gpu=name, more=count - 1) if count > 1 else name
        if floor.drives is False:  # no build runs until the driver is upgraded: said first, as the real constraint
            candidate.failures.insert(0, _Failure("driver", _("{gpu}: {reason}", gpu=label, reason=floor.reason),
                                                  str(floor.needs or "")))
        elif floor.drives is None and floor.needs is not None:
            needs.append(floor.needs)
        verdict = compat.gpu_fit(cc, sass, ptx, fit, recipes.newest_cc(variant.cuda))
        if verdict.runs is False and verdict.how == "":
            sm = compat.sm_name(cc)
            candidate.failures.append(_Failure("kernels", _(
                "{variant} of torch {torch} has no kernels for {gpu} ({sm}) and {more} more like it",
                variant=variant.name, torch=release.version, gpu=name, sm=sm, more=count - 1) if count > 1 else _(
                "{variant} of torch {torch} has no kernels for {gpu} ({sm})", variant=variant.name,
                torch=release.version, gpu=name, sm=sm), sm or ""))
        elif verdict.runs is False and fit.level != "none":
            candidate.failures.append(_Failure("driver", _("{gpu}: {reason}", gpu=label, reason=verdict.reason),
                                               str(verdict.needs_driver or "")))
        elif verdict.runs is None and cc is None:
            candidate.warnings.append(_("compute capability of {gpu} is unknown: kernels not checked", gpu=label))
        elif verdict.runs is None and verdict.needs_driver is not None:
            needs.append(verdict.needs_driver)
    if fit.level == "minor":
        candidate.warnings.append(
            _("{variant} runs on this driver (CUDA {driver_cuda}) through CUDA minor-version compatibility: its compiled "
              "kernels work, PTX JIT-compiled at run time does not (driver >= {driver} for CUDA {cuda})",
              variant=variant.name, driver_cuda=fit.driver_cuda, driver=fit.full_driver or "?",
              cuda=variant.toolkit or variant.cuda))
    if fit.level == "unknown":  # one minimum: what the known GPUs need of this build, else its PTX's driver
        own = None if machine.nvidia else fit.needs(ptx=True)
        candidate.needs_driver = max(needs + ([own] if own else []), default=None)


def _wanted(machine: _Machine, release_kinds: set[str], release: Release) -> tuple[str, str]:
    """The build kind (or, on macOS, the variant) that uses this machine's accelerator, and why."""
    if machine.os == "macos":
        return release.pypi.get(machine.platform or "", "cpu"), ""
    for present, kind in ((machine.nvidia or machine.driver is not None, "cuda"), (machine.amd, "rocm"),
                          (machine.xpu, "xpu")):
        if not present:
            continue
        if kind in release_kinds:
            return kind, ""
        return "cpu", _("torch publishes no {kind} builds for {platform}: the CPU build is the one that installs and "
                        "runs here", kind=KIND_NAMES[kind], platform=machine.platform)
    return "cpu", ""


def _rank(candidate: _Candidate) -> tuple[int, ...]:
    """Higher is better among the builds of one release that fit a machine. They are all of one kind, the machine's
    accelerator's or the variant asked for (:func:`_wanted`), so only builds of one kind are ever compared: the CUDA
    build with the newest CUDA the driver runs fully, else the one closest to what the driver supports (minor-version
    compatibility), else, the driver unknown, the one that needs the oldest driver; the newest ROCm. Builds that rank
    alike (no shipped release has two of one CUDA version, or two CPU, XPU or MPS builds) go by the data's order."""
    variant = candidate.variant
    if variant.kind == "rocm":
        rocm = compat.parse_version(variant.rocm) or Version("0")
        return (rocm.major, rocm.minor)
    if variant.kind != "cuda":
        return ()
    cuda = compat.parse_version(variant.cuda) or Version("0")
    if candidate.fits_fully():
        return (cuda.major, cuda.minor)  # not negative: above every build that fits less
    needs = candidate.needs_driver.release if candidate.needs_driver else ()  # known only when the driver is not
    return (*(-part for part in needs), -cuda.major, -cuda.minor)
