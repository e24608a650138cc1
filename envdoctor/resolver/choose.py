"""Pick the torch build for a machine: pure, ``resolve(facts, request, recipes) -> Plan``.

Every (release, variant) pair of the recipes is checked against the machine: platform, Python
(free-threading included), companion wheels, glibc, macOS version, the NVIDIA driver, and the kernels
of every visible GPU, each question answered by :mod:`envdoctor.compat` (the same answers the rules
and the verifier use). The newest release with a fitting variant wins; within it the variant for the
machine's accelerator; an installed build that still fits is kept unless ``upgrade`` asks. What the
facts do not say (a described machine's driver, glibc, Python) is never assumed: the plan states what
it needs. When nothing fits, the same candidates are looked at again with one constraint lifted at a
time to say what would; when an older release wins, the newer ones' failures say why (``limits``).

The plan says what changes per package, into which environment (a conda plan names its prefix; the
manager that installed torch keeps it), and where the torch family comes from (the PyTorch index or a
mirror); :mod:`envdoctor.resolver.commands` writes the commands that carry it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from envdoctor import compat, extension_plan
from envdoctor.facts import Facts, Gpu
from envdoctor.recipes import Recipes, Release, VariantRecipe
from envdoctor.resolver.commands import (
    add_commands,
    installer_python,
    local_pins,
    pin_text,
    pip_torch_in_conda,
    requirement_text,
    torch_index,
)
from envdoctor.resolver.plan import Plan, Request, Wanted

TORCH_FILE = "recipes/torch.toml"
DRIVER_FILE = "recipes/cuda_drivers.toml"
GPU_FILE = "recipes/gpus.toml"
#: NVIDIA states in which the GPUs cannot be known, so no CUDA build can be chosen safely.
UNSURE_NVIDIA = {
    "driver_mismatch": "the NVIDIA driver is in a mismatched state",
    "timed_out": "nvidia-smi hung",
    "error": "the NVIDIA driver could not be queried",
    "gpus_unknown": "an NVIDIA driver is there but its GPUs are not known",
    "unknown": "nothing is known about the machine's GPUs",
}
UNSURE_ROCM = {
    "timed_out": "rocminfo hung",
    "error": "the ROCm runtime could not be queried",
    "unknown": "nothing is known about the machine's GPUs",
}
KIND_NAMES = {"cuda": "CUDA (NVIDIA)", "rocm": "ROCm (AMD)", "xpu": "XPU (Intel)", "mps": "MPS (Apple)", "cpu": "CPU"}


# ---------------------------------------------------------------------------- the machine


@dataclass
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
              for _, cc, _ in alike]
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


def _spec_failures(release: Release, specs: dict[str, SpecifierSet], request: Request) -> list[_Failure]:
    """What the requirement strings say about a release (the same for all its variants)."""
    failures = []
    spec = specs.get("torch")
    if spec is not None and not spec.contains(release.parsed, prereleases=request.allow_prerelease or None):
        failures.append(_Failure("spec", f"torch {release.version} does not satisfy 'torch{spec}'"))
    for name in compat.COMPANIONS:
        if name in specs:
            pinned = getattr(release, name)
            if pinned is None:
                failures.append(_Failure("spec", f"torch {release.version} has no matching {name} release"))
            elif not specs[name].contains(Version(pinned), prereleases=True):
                failures.append(_Failure("spec", f"{name} {pinned} (for torch {release.version}) does not satisfy "
                                                 f"'{name}{specs[name]}'"))
    return failures


def _platform_failures(release: Release, variant: VariantRecipe, machine: _Machine,
                       specs: dict[str, SpecifierSet]) -> list[_Failure]:
    plat = machine.platform
    if plat not in release.platforms or plat not in variant.platforms:
        return [_Failure("platform", f"torch {release.version} {variant.name} has no wheels for {plat or 'an unknown platform'}")]
    failures = []
    pythons = release.python.get(plat, ())
    if machine.implementation not in (None, "cpython"):
        failures.append(_Failure("python", f"torch wheels are CPython only, not {machine.implementation}"))
    elif machine.python is not None and machine.python not in pythons:
        failures.append(_Failure("python", f"torch {release.version} has no wheels for Python {machine.python} on {plat}",
                                 ", ".join(pythons)))
    elif machine.python is not None:
        for name in compat.COMPANIONS:
            pinned = getattr(release, name)
            if name in specs and pinned and not release.companion_wheel(name, plat, machine.python):
                failures.append(_Failure("companion", f"{name} {pinned} (for torch {release.version}) has no wheel "
                                                      f"for Python {machine.python} on {plat}"))
    glibc = compat.parse_version(variant.glibc.get(plat) or release.glibc.get(plat))
    if machine.musl:
        failures.append(_Failure("glibc", "musl libc (Alpine): no manylinux torch wheels"))
    elif glibc is not None and machine.glibc is not None and machine.glibc < glibc:
        failures.append(_Failure("glibc", f"torch {release.version} {variant.name} needs glibc >= {glibc}, "
                                          f"this has {machine.glibc}", str(glibc)))
    macos_min = compat.parse_version(release.macos_floor(plat, machine.python))
    if macos_min is not None and machine.macos is not None and machine.macos < macos_min:
        failures.append(_Failure("macos", f"torch {release.version} needs macOS >= {macos_min}, this has {machine.macos}",
                                 str(macos_min)))
    return failures


def _check(release: Release, variant: VariantRecipe, machine: _Machine, recipes: Recipes,
           spec_failures: list[_Failure], specs: dict[str, SpecifierSet], wanted: str,
           explicit_variant: str | None) -> _Candidate:
    candidate = _Candidate(release, variant, list(spec_failures), [])
    failures, warnings = candidate.failures, candidate.warnings
    if explicit_variant and variant.name != explicit_variant:
        failures.append(_Failure("variant", f"{variant.name} is not the requested variant {explicit_variant}"))
    failures.extend(_platform_failures(release, variant, machine, specs))
    if not explicit_variant and variant.name != wanted and variant.kind != wanted:
        failures.append(_Failure("accelerator", f"{variant.name} is not a {KIND_NAMES.get(wanted, wanted)} build"))
    if variant.kind == "cuda":
        _check_cuda(candidate, machine, recipes)
    elif variant.kind == "rocm":
        for gpu, gfx in machine.amd:
            covered = compat.gfx_covered(gfx, variant.gfx)
            label = f"{gpu.name or 'AMD GPU'} ({gfx or 'gfx unknown'})"
            if covered is False:
                failures.append(_Failure("kernels", f"{variant.name} of torch {release.version} has no kernels for {label}",
                                         gfx or ""))
            elif gfx is None:
                warnings.append(f"kernels for {label} not checked: the GPU's gfx target is unknown")
            elif covered is None:  # a build whose gfx list is not known is never bet on
                failures.append(_Failure("kernels", f"the gfx targets of {variant.name} (torch {release.version}) are "
                                                    f"not known, so kernels for {label} cannot be confirmed", gfx))
    return candidate


def _check_cuda(candidate: _Candidate, machine: _Machine, recipes: Recipes) -> None:
    variant, release = candidate.variant, candidate.release
    key = (variant.cuda, variant.toolkit)
    if key not in machine.fits:  # the same few CUDA builds recur in every release: decide each once
        machine.fits[key] = compat.cuda_fit(variant.cuda, variant.toolkit, machine.driver, machine.driver_cuda,
                                            machine.driver_os, recipes.toolkits, recipes.families)
    fit = machine.fits[key]
    if fit is None:
        candidate.failures.append(_Failure("driver", f"{variant.name}: CUDA version unknown"))
        return
    candidate.fit = fit
    if fit.level == "none":
        needed = fit.needs()
        candidate.failures.append(_Failure(
            "driver", f"the driver {machine.driver or '?'} supports CUDA {fit.driver_cuda}; {variant.name} needs "
            f"CUDA {fit.cuda}" + (f" (driver >= {needed})" if needed else ""), str(needed) if needed else ""))
    sass, ptx = variant.kernels_for(machine.platform)
    needs: list[Version] = []
    for (gpu, cc, count), floor in zip(machine.nvidia_alike, machine.floors, strict=True):
        label = f"GPU {gpu.index if gpu.index is not None else '?'} {gpu.name or ''}".rstrip()
        alike = f" and {count - 1} more like it" if count > 1 else ""
        if floor.drives is False:  # no build runs until the driver is upgraded: said first, as the real constraint
            candidate.failures.insert(0, _Failure("driver", f"{label}{alike}: {floor.reason}", str(floor.needs or "")))
        elif floor.drives is None and floor.needs is not None:
            needs.append(floor.needs)
        verdict = compat.gpu_fit(cc, sass, ptx, fit, recipes.newest_cc(variant.cuda))
        if verdict.runs is False and verdict.how == "":
            candidate.failures.append(_Failure("kernels", f"{variant.name} of torch {release.version} has no kernels for "
                                               f"{label} ({compat.sm_name(cc)}){alike}", compat.sm_name(cc) or ""))
        elif verdict.runs is False and fit.level != "none":
            candidate.failures.append(_Failure("driver", f"{label}{alike}: {verdict.reason}",
                                               str(verdict.needs_driver or "")))
        elif verdict.runs is None and cc is None:
            candidate.warnings.append(f"compute capability of {label}{alike} is unknown: kernels not checked")
        elif verdict.runs is None and verdict.needs_driver is not None:
            needs.append(verdict.needs_driver)
    if fit.level == "minor":
        candidate.warnings.append(
            f"{variant.name} runs on this driver (CUDA {fit.driver_cuda}) through CUDA minor-version compatibility: "
            f"its compiled kernels work, PTX JIT-compiled at run time does not (driver >= {fit.full_driver or '?'} "
            f"for CUDA {variant.toolkit or variant.cuda})")
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
        return "cpu", (f"torch publishes no {KIND_NAMES[kind]} builds for {machine.platform}: "
                       "the CPU build is the one that installs and runs here")
    return "cpu", ""


def _rank(candidate: _Candidate, pypi_default: bool) -> tuple[int, int, tuple[int, ...], int]:
    """Higher is better among the fitting variants of one release."""
    variant = candidate.variant
    if variant.kind == "cuda":
        cuda = compat.parse_version(variant.cuda) or Version("0")
        number = cuda.major * 100 + cuda.minor
        fit = candidate.fit.level if candidate.fit else ""
        if fit == "full":
            return (3, 2, (number,), int(pypi_default))
        if fit == "minor":
            return (3, 1, (-number,), int(pypi_default))  # closest to what the driver supports
        needs = candidate.needs_driver.release if candidate.needs_driver else ()
        return (3, 0, (*(-part for part in needs), -number), int(pypi_default))  # the oldest driver, then CUDA
    if variant.kind == "rocm":
        rocm = compat.parse_version(variant.rocm) or Version("0")
        return (2, 0, (rocm.major * 100 + rocm.minor,), 0)
    return ({"xpu": 1, "mps": 0, "cpu": 0}.get(variant.kind, 0), 1 if variant.kind == "mps" else 0, (0,), 0)


# ---------------------------------------------------------------------------- the plan


def _environment(facts: Facts) -> dict[str, Any]:
    """What the target interpreter lives in; a conda plan installs into that prefix and nowhere else."""
    python = facts.python
    if python.status == "unknown":
        kind = "described"
    elif python.conda_prefix:
        kind = "conda"
    elif python.in_venv:
        kind = "venv"
    elif python.status == "ok":
        kind = "system"
    else:
        kind = "unknown"
    prefix = python.conda_prefix or python.prefix
    return {"kind": kind, "prefix": prefix, "python": python.executable, "manager_reason": ""}


def _default_manager(facts: Facts) -> tuple[str, str]:
    """The manager that installed torch here decides (never conda over a pip torch); else conda/mamba in a
    conda environment, pip elsewhere. Returns (manager, why)."""
    python, torch = facts.python, facts.torch
    if python.conda_prefix:
        if pip_torch_in_conda(facts):
            return "pip", (f"torch {torch.version} in the conda environment {python.conda_prefix} was installed with "
                           f"{torch.installer or 'pip'}: it is changed with pip, never by conda over it")
        manager = "mamba" if python.tool("mamba") is not None else "conda"
        return manager, f"{python.executable} belongs to the conda environment {python.conda_prefix}"
    if torch.status == "ok" and torch.installer == "uv" and python.tool("uv") is not None:
        return "uv", f"torch {torch.version} was installed with uv: it is changed with uv"
    return "pip", ""


def _same_variant(installed: str | None, chosen: VariantRecipe) -> bool:
    if installed == chosen.name:
        return True
    # a ROCm wheel's local tag names the line ("rocm6.2"), the recipe its point release ("rocm6.2.4")
    return chosen.kind == "rocm" and bool(installed) and chosen.name.startswith(f"{installed}.")


def _specs(request: Request, described: bool) -> tuple[Wanted, list[str]]:
    wanted = Wanted({}, {}, {}, [])
    warnings: list[str] = []
    for requirement in request.parsed():
        name = canonicalize_name(requirement.name)
        if requirement.marker is not None and described:
            warnings.append(f"the marker of '{requirement}' is not evaluated for a described target; it is kept as written")
        if name in compat.TORCH_FAMILY:
            wanted.specs[name] = wanted.specs.get(name, SpecifierSet()) & requirement.specifier
            wanted.extras.setdefault(name, set()).update(requirement.extras)
            if requirement.marker is not None:
                wanted.markers.setdefault(name, requirement.marker)
        else:
            wanted.others.append(requirement)
    wanted.specs.setdefault("torch", SpecifierSet())
    return wanted, warnings


def _unsure(plan: Plan, machine: _Machine, facts: Facts, explicit: str | None) -> bool:
    """No plan when the GPUs cannot be known: a guess could install a build without kernels for them."""
    if explicit or machine.os == "macos" or machine.nvidia or machine.amd:
        return False
    reason = machine.nvidia_unsure or machine.rocm_unsure
    if not reason:
        return False
    evidence = f"nvidia status {facts.nvidia.status}: {facts.nvidia.message}".rstrip(": ")
    plan.reasons.append(_reason(f"{reason}: no build can be chosen safely", evidence, "facts"))
    if facts.nvidia.status in ("driver_mismatch", "timed_out", "error"):
        plan.alternatives.append({"change": "driver", "message": "fix the driver first (envdoctor check says how)"})
    plan.alternatives.append({"change": "gpu", "message": "describe the GPUs: --gpu NAME|sm_XY|gfxNNN (with --driver VERSION), "
                                                          "or --no-gpu"})
    plan.alternatives.append({"change": "variant", "message": "or name the build: --variant cpu (or cu126, rocm6.4, ...)"})
    return True


def resolve(facts: Facts, request: Request, recipes: Recipes) -> Plan:
    """The plan for this machine (or a described one). Never raises on odd facts."""
    machine = _machine(facts, recipes)
    default_manager, manager_reason = _default_manager(facts)
    manager = request.manager or default_manager
    wanted, warnings = _specs(request, facts.python.status == "unknown")
    specs = wanted.specs
    plan = Plan(ok=False, action="none", manager=manager, platform=machine.platform, python=machine.python)
    plan.environment = _environment(facts)
    plan.environment["manager_reason"] = manager_reason if request.manager is None else ""
    plan.notes.extend(request.notes())
    plan.warnings.extend(warnings)
    explicit = request.variant
    if machine.jetson is not None and machine.jetson[1] == "board" and not explicit:
        gpu = machine.jetson[0]
        message = recipes.jetson.message if recipes.jetson else "NVIDIA Jetson is not served by the standard index"
        plan.reasons.append(_reason(f"GPU {gpu.name} is an NVIDIA Jetson module", message, f"{GPU_FILE} [jetson]"))
        plan.alternatives.append({"change": "source", "message": message})
        plan.alternatives.append({"change": "variant", "message": "--variant cpu installs the CPU build from the standard index"})
        return plan
    if _unsure(plan, machine, facts, explicit):
        return plan
    if explicit and not any(r.variant(explicit) for r in recipes.releases):
        plan.reasons.append(_reason(f"no torch release has a variant named {explicit!r}", "--variant", TORCH_FILE))
        plan.alternatives.append({"change": "variant", "message": "known variants: " + ", ".join(
            sorted({v.name for r in recipes.releases for v in r.variants}))})
        return plan
    kinds_here = compat.build_kinds(machine.platform, recipes)
    candidates: list[_Candidate] = []
    fallback_reason = ""
    for release in recipes.releases:
        spec_failures = _spec_failures(release, specs, request)
        wanted_kind, why = _wanted(machine, kinds_here, release)
        fallback_reason = fallback_reason or why
        candidates.extend(_check(release, variant, machine, recipes, spec_failures, specs, wanted_kind, explicit)
                          for variant in release.variants)
    chosen = _choose(candidates, machine)
    for candidate in candidates:
        if candidate is chosen or not candidate.failures:
            continue
        if any(f.kind in ("accelerator", "variant") for f in candidate.failures) and chosen is not None:
            continue  # a build for another device: not a rejection worth listing
        plan.rejected.append({"torch": candidate.release.version, "variant": candidate.variant.name,
                              "reason": "; ".join(f.reason for f in candidate.failures)})
    _explain_machine(plan, machine, facts, fallback_reason)
    if chosen is None:
        plan.alternatives = _alternatives(candidates, machine)
        plan.reasons.append(_reason("no torch release and variant fits this machine and the request",
                                    f"{len(candidates)} candidates checked", TORCH_FILE))
        return plan
    kept = _kept(candidates, chosen, facts, recipes, request)
    plan.limits = _limits(candidates, kept or chosen, machine, specs)
    if kept is not None:
        plan.limits.insert(0, {
            "kind": "installed", "newest": chosen.release.version,
            "message": f"torch {facts.torch.version} is installed and runs here; torch {chosen.release.version} "
                       f"({chosen.variant.name}) is newer: add --upgrade to install it"})
        chosen = kept
    _fill(plan, chosen, machine, facts, request, wanted, recipes)
    return plan


def _kept(candidates: list[_Candidate], chosen: _Candidate, facts: Facts, recipes: Recipes,
          request: Request) -> _Candidate | None:
    """The installed build, when it fits the machine and the request and only a newer one exists: a
    healthy install is not replaced unless --upgrade asks."""
    torch = facts.torch
    if request.upgrade or torch.status != "ok" or not torch.version:
        return None
    installed = compat.parse_version(torch.version.split("+")[0])
    variant = compat.installed_variant_name(facts, recipes)
    if installed is None or variant is None or installed >= chosen.release.parsed:
        return None
    return next((c for c in candidates if not c.failures and c.release.parsed == installed
                 and _same_variant(variant, c.variant)), None)


def _choose(candidates: list[_Candidate], machine: _Machine) -> _Candidate | None:
    fitting = [c for c in candidates if not c.failures]
    if not fitting:
        return None
    newest = max(c.release.parsed for c in fitting)
    return max((c for c in fitting if c.release.parsed == newest),
               key=lambda c: _rank(c, c.release.pypi.get(machine.platform or "") == c.variant.name))


def _reason(decision: str, evidence: str, source: str) -> dict[str, str]:
    return {"decision": decision, "evidence": evidence, "source": source}


# ---------------------------------------------------------------------------- why not a newer torch


def _limits(candidates: list[_Candidate], chosen: _Candidate, machine: _Machine,
            specs: dict[str, SpecifierSet]) -> list[dict[str, str]]:
    """Why the plan's torch is not the newest release: what holds the newest one back, and what caps the
    plan below the release just above it when that is something else."""
    newer = [c for c in candidates if c.release.parsed > chosen.release.parsed
             and not any(f.kind in ("accelerator", "variant") for f in c.failures)]
    if not newer:
        return []
    out: list[dict[str, str]] = []
    releases = sorted({c.release.parsed for c in newer}, reverse=True)
    for version in dict.fromkeys([releases[0], releases[-1]]):
        pool = [c for c in newer if c.release.parsed == version]
        best = min(pool, key=lambda c: (len({f.kind for f in c.failures}), -_rank(c, False)[0]))
        if not best.failures:
            continue  # it fits: only a kept install stands in its way, which the plan says itself
        kind = _main_kind(best)
        if any(item["kind"] == kind for item in out):
            continue
        message = _limit_message(kind, best, chosen, newer, machine, specs)
        out.append({"kind": kind, "newest": best.release.version, "message": message})
    return out


_KIND_ORDER = ("spec", "companion", "python", "platform", "glibc", "macos", "kernels", "driver")


def _main_kind(candidate: _Candidate) -> str:
    kinds = {f.kind for f in candidate.failures}
    return next((k for k in _KIND_ORDER if k in kinds), sorted(kinds)[0] if kinds else "spec")


def _python_span(needs: str) -> str:
    """'3.11, 3.12, 3.13, 3.14t' -> '3.11 to 3.13' (free-threaded builds left out of the span)."""
    versions = sorted(v for v in (compat.parse_version(p.strip()) for p in needs.split(",") if not p.strip().endswith("t"))
                       if v is not None)
    if not versions:
        return needs or "another version"
    return str(versions[0]) if len(versions) == 1 else f"{versions[0]} to {versions[-1]}"


def _limit_message(kind: str, best: _Candidate, chosen: _Candidate, newer: list[_Candidate], machine: _Machine,
                   specs: dict[str, SpecifierSet]) -> str:
    version, plan = best.release.version, chosen.release.version
    failure = next(f for f in best.failures if f.kind == kind)
    head = f"torch {plan}, not {version}"
    if kind == "driver":
        driver = f"your driver {machine.driver} supports CUDA {machine.driver_cuda}" if machine.driver \
            else "the NVIDIA driver is not known"
        return f"{head}: {driver}; {_driver_reach(newer, failure)}"
    if kind == "python":
        every_newer = all(any(f.kind == "python" for f in c.failures) for c in newer)
        if every_newer and machine.python:
            return f"Python {machine.python}: torch {plan} is the last release for it (torch {version} needs Python " \
                   f"{_python_span(failure.needs)})"
        return f"{head}: {failure.reason}"
    if kind == "spec" and " has no matching " in failure.reason:
        name = failure.reason.rsplit(" ", 2)[-2]
        gap = sorted({c.release.parsed for c in newer
                      if any(f.kind == "spec" and f" no matching {name} " in f.reason + " " for f in c.failures)})
        span = f"{gap[0]}" if len(gap) == 1 else f"{gap[0]} to {gap[-1]}"
        return f"capped at torch {plan} because {name} has no release for torch {span}"
    if kind == "spec":
        asked = ", ".join(f"{name}{spec}" for name, spec in specs.items() if str(spec))
        return f"{head}: your request '{asked}' excludes it"
    if kind == "companion":
        return f"capped at torch {plan} because {failure.reason}"
    if kind == "kernels":
        return f"{head}: torch {version} has no kernels for your GPU ({failure.needs or failure.reason})"
    return f"{head}: {failure.reason}"


def _driver_need(candidate: _Candidate) -> Version | None:
    """The oldest driver that lifts every one of a candidate's failures (None: not all are the driver's)."""
    if {f.kind for f in candidate.failures} != {"driver"}:
        return None
    needs = [compat.parse_driver(f.needs) for f in candidate.failures]
    return None if any(n is None for n in needs) else max(n for n in needs if n is not None)


def _driver_reach(newer: list[_Candidate], failure: _Failure) -> str:
    """What a driver upgrade buys: the newest release it reaches, its driver, and what holds the next one back."""
    reachable = [(c, need) for c in newer for need in [_driver_need(c)] if need is not None]
    if not reachable:
        return failure.reason
    top = max(c.release.parsed for c, _ in reachable)
    need = min(n for c, n in reachable if c.release.parsed == top)
    release = next(c.release.version for c, _ in reachable if c.release.parsed == top)
    message = f"upgrade the driver to >= {need} for torch up to {release}"
    beyond = [c for c in newer if c.release.parsed > top]
    if beyond:
        first = min(c.release.parsed for c in beyond)
        blocked = min((c for c in beyond if c.release.parsed == first), key=lambda c: len({f.kind for f in c.failures}))
        cause = next(f for f in blocked.failures if f.kind == _main_kind(blocked))
        why = (f"has no kernels for {cause.needs}" if cause.kind == "kernels" and cause.needs
               else cause.reason)
        message += f" (torch {blocked.release.version} {why})"
    return message


# ---------------------------------------------------------------------------- filling in the plan


def _explain_machine(plan: Plan, machine: _Machine, facts: Facts, fallback_reason: str) -> None:
    described = f"; described by {', '.join(facts.overrides)}" if facts.overrides else ""
    plan.reasons.append(_reason(f"target platform {machine.platform or 'unknown'}, Python {machine.python or 'not known'}",
                                f"os {facts.os.system or '?'} {facts.os.arch or '?'}; python {facts.python.version or '?'}"
                                f" ({facts.python.platform_tag or 'platform tag not known'}){described}", "facts"))
    if machine.nvidia or machine.driver is not None:
        gpus = ", ".join(f"{gpu.name or 'GPU'} ({compat.sm_name(cc) or 'sm unknown'})" for gpu, cc in machine.nvidia)
        driver = (f"NVIDIA driver {machine.driver} supports CUDA {machine.driver_cuda or 'unknown'}" if machine.driver
                  else "NVIDIA driver not known")
        plan.reasons.append(_reason(
            f"{driver}; GPUs: {gpus or 'not known'}",
            f"nvidia: {facts.nvidia.source or 'facts'}" + ("" if facts.nvidia.driver_max_cuda else " + driver table")
            + (f" ({machine.driver_os} column)" if machine.driver else ""),
            f"{DRIVER_FILE} toolkit/family; {GPU_FILE} nvidia"))
        for (gpu, _, _), floor in zip(machine.nvidia_alike, machine.floors, strict=True):
            if floor.drives is False:
                plan.reasons.append(_reason(
                    f"upgrade the NVIDIA driver first: GPU {gpu.index if gpu.index is not None else '?'} "
                    f"{gpu.name or ''}: {floor.reason}; no CUDA build runs on it until then".replace("  ", " "),
                    f"first CUDA for this architecture: {floor.first_cuda}; its Table-3 driver {floor.needs}",
                    f"{DRIVER_FILE} gpu_first_cuda, toolkit"))
        if machine.amd:
            plan.warnings.append("both NVIDIA and AMD GPUs are present: planning for the NVIDIA GPUs")
    elif machine.amd:
        gpus = ", ".join(f"{gpu.name or 'GPU'} ({gfx or 'gfx unknown'})" for gpu, gfx in machine.amd)
        plan.reasons.append(_reason(f"AMD GPUs: {gpus}", f"rocm: {facts.rocm.source or 'facts'}", f"{GPU_FILE} amd"))
    elif machine.xpu:
        plan.reasons.append(_reason("Intel GPU present: XPU build", f"xpu: {facts.xpu.source or 'facts'}", TORCH_FILE))
    elif machine.os != "macos":
        plan.reasons.append(_reason("no usable GPU: CPU build from the CPU index, not the multi-GB CUDA default",
                                    f"nvidia status {facts.nvidia.status}, rocm status {facts.rocm.status}", TORCH_FILE))
    if fallback_reason:
        plan.reasons.append(_reason(fallback_reason, "variants per platform", TORCH_FILE))


def _requires(plan: Plan, chosen: _Candidate, machine: _Machine) -> None:
    """Say what the plan needs that the facts could not confirm (a described machine's unknowns)."""
    release, variant, plat = chosen.release, chosen.variant, machine.platform or ""
    if chosen.needs_driver is not None:
        column = {"windows": "Windows", "linux": "Linux"}.get(machine.driver_os, machine.driver_os)
        plan.requires["nvidia_driver"] = f">= {chosen.needs_driver}"
        if machine.no_driver:
            plan.warnings.append(f"there is no NVIDIA driver here: this {variant.name} build runs on the CPU only until "
                                 f"a driver >= {chosen.needs_driver} ({column}) is installed; without --variant the "
                                 "plan is the CPU build")
        else:
            plan.warnings.append(f"the NVIDIA driver is not known: this plan needs driver >= {chosen.needs_driver} "
                                 f"({column}); pass --driver VERSION to plan for the one you have")
    if machine.python is None:
        pythons = ", ".join(release.python.get(plat, ()))
        plan.requires["python"] = pythons
        plan.warnings.append(f"Python is not known: torch {release.version} has wheels for Python {pythons} on {plat}")
    glibc = variant.glibc.get(plat) or release.glibc.get(plat)
    if glibc and machine.glibc is None and not machine.musl:
        plan.requires["glibc"] = f">= {glibc}"
        plan.warnings.append(f"glibc is not known: torch {release.version} {variant.name} needs glibc >= {glibc}")
    macos_min = release.macos_floor(plat, machine.python)
    if macos_min and machine.macos is None:
        plan.requires["macos"] = f">= {macos_min}"
        plan.warnings.append(f"the macOS version is not known: torch {release.version} needs macOS >= {macos_min}")
    if variant.kind == "mps" and machine.macos is not None and machine.macos < compat.MPS_MIN_MACOS:
        plan.warnings.append(f"macOS {machine.macos}: the MPS device needs macOS {compat.MPS_MIN_MACOS} or later; "
                             "torch will run on the CPU")


def _fill(plan: Plan, chosen: _Candidate, machine: _Machine, facts: Facts, request: Request, wanted: Wanted,
          recipes: Recipes) -> None:
    release, variant, specs = chosen.release, chosen.variant, wanted.specs
    plan.ok = True
    plan.torch = release.version
    plan.variant = variant.name
    plan.warnings.extend(dict.fromkeys(chosen.warnings))
    newer = next((limit["newest"] for limit in plan.limits if limit.get("kind") == "installed"), None)
    plan.reasons.append(_reason(
        (f"torch {release.version} is installed, fits this machine and is kept: torch {newer} is newer (add --upgrade)"
         if newer else f"torch {release.version} is the newest release with a build for this machine")
        + (f" within '{', '.join(str(r) for r in request.parsed())}'" if request.requirements else ""),
        f"series {release.series}: {release.source}", f"{TORCH_FILE} series.{release.series}"))
    plan.reasons.append(_reason(_variant_decision(chosen, machine), variant.source or release.source,
                                f"{TORCH_FILE} series.{release.series}.variants.{variant.name}"))
    _requires(plan, chosen, machine)
    unverified = _unverified(release.note, variant.note, machine.platform)
    if unverified:
        plan.mark = "warning"
        plan.warnings.append(f"torch {release.version} {variant.name}: {'; '.join(unverified)}")
    if release.inferred or variant.inferred:
        plan.warnings.append(f"torch {release.version} {variant.name}: inferred by `envdoctor recipes refresh`, not read "
                             f"from an index: " + "; ".join((*release.inferred, *variant.inferred)))
    pypi_default = release.pypi.get(machine.platform or "") == variant.name
    index = torch_index(release, variant, pypi_default, request.mirrors, recipes)
    plan.index_url = index.url
    pypi_mirror = request.mirrors.pypi if request.mirrors else None
    plan.indexes = {
        "torch": {"url": index.url, "layout": index.layout, "flag": index.flag, "mirror": index.mirror or None}
        if index.url else None,
        "others": {"url": pypi_mirror,
                   "from": request.mirrors.pypi_from if pypi_mirror and request.mirrors else "your pip/uv configuration"},
    }
    installed = facts.torch if facts.torch.status == "ok" and facts.torch.version else None
    reinstall = False
    torch_kept = False
    if installed is not None:
        installed_variant = compat.installed_variant_name(facts, recipes)
        same_version = compat.parse_version((installed.version or "").split("+")[0]) == release.parsed
        if same_version and _same_variant(installed_variant, variant):
            torch_kept = True
            plan.reasons.append(_reason(f"installed torch {installed.version} is already this build",
                                        f"torch: {installed.source or 'facts'}", "facts.torch"))
        else:
            reinstall = True
            why = (f"installed torch {installed.version} is the {installed_variant or 'unknown'} build; "
                   f"this machine needs {variant.name}") if same_version else (
                   f"installed torch {installed.version} ({installed_variant or 'unknown build'}) is replaced by "
                   f"{release.version}+{variant.name}")
            plan.reasons.append(_reason(why, f"torch: {installed.source or 'facts'}", "facts.torch"))
    local = local_pins(release, pypi_default, reinstall, index)
    pins = _pins(release, variant, specs, local)
    plan.changes = _changes(pins, facts, variant, recipes, wanted.others)
    if reinstall:
        plan.action = "reinstall"
    elif not torch_kept:
        plan.action = "install"
    else:
        pending = [c for c in plan.changes if c["action"] != "keep"
                   and (c["package"] == "torch" or request.explicit or c["package"] not in compat.TORCH_FAMILY)]
        plan.action = "install" if pending else "nothing_to_do"
        if not request.explicit:  # the default pair: a kept torch does not pull in a companion nobody asked for
            pins = {"torch": pins["torch"]}
            plan.changes = [c for c in plan.changes if c["package"] == "torch" or c["package"] not in compat.TORCH_FAMILY]
    family = [pin_text(name, pin, wanted, extras=False) for name, pin in pins.items()]
    family_extras = [pin_text(name, pin, wanted, extras=True) for name, pin in pins.items()]
    extensions, kept_others = extension_plan.plan_all(facts, wanted.others, release.version, variant.name,
                                                      machine.python, machine.platform, index.url)
    plan.extensions = [e.to_dict() for e in extensions]
    others = [requirement_text(r) for r in kept_others]
    plan.packages = family_extras + others
    python = installer_python(facts, machine.os, machine.python)
    add_commands(plan, release, variant, python, reinstall, local, index, pypi_mirror, family, family_extras, others, facts)
    if plan.commands.get(plan.manager) is None:
        plan.warnings.append(f"{plan.manager} cannot install this plan: {plan.command_notes.get(plan.manager, '')}")
    if plan.manager in ("pip", "uv") and plan.environment["manager_reason"]:
        plan.notes.append(plan.environment["manager_reason"])


def _unverified(release_note: str, variant_note: str, platform: str | None) -> list[str]:
    """The UNVERIFIED clauses of the notes that concern this platform: a clause naming other platforms only
    (``the linux-aarch64 arch list is UNVERIFIED``) says nothing about this plan."""
    out = []
    for clause in (c.strip() for note in (release_note, variant_note) for c in note.split(";")):
        named = {p for p in compat.WHEEL_PLATFORMS if p in clause}
        if "UNVERIFIED" in clause and (not named or platform in named):
            out.append(clause)
    return out


def _variant_decision(chosen: _Candidate, machine: _Machine) -> str:
    variant = chosen.variant
    if variant.kind == "cuda":
        fit = chosen.fit
        level = fit.level if fit else ""
        how = {"full": f"its CUDA {variant.cuda} <= the driver's CUDA {machine.driver_cuda}",
               "minor": f"CUDA {variant.cuda} runs through minor-version compatibility",
               "unknown": "there is no NVIDIA driver here" if machine.no_driver else "the driver is not known"
               }.get(level, "")
        sass, ptx = variant.kernels_for(machine.platform)
        archs = ", ".join(sass) + (f" + PTX {', '.join(ptx)}" if ptx else "")
        covers = "cover every GPU" if machine.nvidia else "(GPUs not known)"
        return f"variant {variant.name}: {how}; kernels {archs} {covers}"
    if variant.kind == "rocm":
        return f"variant {variant.name}: the highest ROCm build whose gfx targets cover every AMD GPU"
    if variant.kind == "mps":
        return "variant mps: the PyPI macOS arm64 wheel (CPU + Apple GPU through MPS)"
    if variant.kind == "xpu":
        return "variant xpu: the Intel GPU build"
    return "variant cpu: no GPU to use"


def _pins(release: Release, variant: VariantRecipe, specs: dict[str, SpecifierSet], local: bool) -> dict[str, str]:
    """The version each torch family package is pinned to: {"torch": "2.7.1+cu126", ...}."""
    suffix = f"+{variant.name}" if local else ""
    pins = {"torch": f"{release.version}{suffix}"}
    if release.torchvision and "torchvision" in specs:
        pins["torchvision"] = f"{release.torchvision}{suffix}"
    if release.torchaudio and "torchaudio" in specs:
        # torchaudio wheels of the find-links era carried no local version
        audio_suffix = "" if release.index_style == "find-links" else suffix
        pins["torchaudio"] = f"{release.torchaudio}{audio_suffix}"
    return pins


def _build_label(local: str | None, cuda: str | None = None, hip: str | None = None, xpu: str | None = None) -> str:
    """'CUDA 12.6', 'ROCm 6.2', 'XPU', 'CPU' for a build, from its local tag or what version.py says."""
    if cuda or (local or "").startswith("cu"):
        numbers = compat.major_minor(cuda) or compat.major_minor(compat.variant_cuda(local))
        return f"CUDA {numbers[0]}.{numbers[1]}" if numbers else "CUDA"
    rocm = hip or compat.variant_rocm(local)
    if rocm:
        return f"ROCm {rocm}"
    if xpu or local == "xpu":
        return "XPU"
    return "CPU" if local in (None, "cpu") else local or "CPU"


def _changes(pins: dict[str, str], facts: Facts, variant: VariantRecipe, recipes: Recipes,
             others: list[Requirement]) -> list[dict[str, Any]]:
    """What is installed now -> what will be, per package."""
    out: list[dict[str, Any]] = []
    new_label = _build_label(variant.name, variant.cuda, variant.rocm, "1" if variant.kind == "xpu" else None)
    for name, pin in pins.items():
        if name == "torch":
            current = facts.torch.version if facts.torch.status in ("ok", "error") else None
            installed_variant = compat.installed_variant_name(facts, recipes) if current else None
            current_label = _build_label(installed_variant, facts.torch.cuda, facts.torch.hip,
                                         facts.torch.xpu) if current else ""
        else:
            dist = facts.torch.companion(name)
            current = dist.version if dist is not None and dist.version else None
            parsed = compat.parse_version(current) if current else None
            local = parsed.local if parsed is not None else None
            current_label = _build_label(local) if local else ""
        new_version = compat.parse_version(pin)
        old_version = compat.parse_version(current) if current else None
        action, detail = "install", ""
        if current is not None and (old_version is None or new_version is None):
            action = "reinstall"
        elif old_version is not None and new_version is not None:
            old_base, new_base = Version(old_version.base_version), Version(new_version.base_version)
            # torch: the variant, as the plan judges "already this build" (ROCm 6.2.41133 is rocm6.2)
            other_build = not _same_variant(installed_variant, variant) if name == "torch" else \
                bool(new_version.local) and old_version.local != new_version.local
            if other_build:
                detail = f"{current_label or 'another build'} -> {new_label}"
            if new_base > old_base:
                action = "upgrade"
            elif new_base < old_base:
                action = "downgrade"
            else:
                action = "reinstall" if other_build else "keep"
        out.append({"package": name, "current": current, "new": pin, "action": action, "detail": detail})
    for requirement in others:
        out.append({"package": canonicalize_name(requirement.name), "current": None,
                    "new": requirement_text(requirement), "action": "install",
                    "detail": "from your own index, not the PyTorch index"})
    return out


# ---------------------------------------------------------------------------- when nothing fits


def _driver_alternatives(items: list[_Candidate]) -> list[dict[str, Any]]:
    """The driver that runs the newest release, and the smallest upgrade that runs any release."""
    def needs(candidate: _Candidate) -> Version:
        needed = max((compat.parse_driver(f.needs) for f in candidate.failures), key=lambda v: v or Version("0"))
        return needed or Version("0")

    known = [c for c in items if needs(c) > Version("0")]
    if not known:
        return [{"change": "driver", "message": items[0].failures[0].reason}]
    newest = known[0].release.parsed
    for_newest = min((c for c in known if c.release.parsed == newest), key=needs)
    smallest_needed = min(needs(c) for c in known)
    smallest = max((c for c in known if needs(c) == smallest_needed), key=lambda c: c.release.parsed)
    out = []
    for candidate in [for_newest] + ([smallest] if smallest is not for_newest else []):
        needed = str(needs(candidate))
        out.append({"change": "driver", "needs": needed, "torch": candidate.release.version,
                    "variant": candidate.variant.name,
                    "message": f"upgrade the NVIDIA driver to >= {needed} for torch "
                               f"{candidate.release.version} with {candidate.variant.name}"})
    return out


def _alternatives(candidates: list[_Candidate], machine: _Machine) -> list[dict[str, Any]]:
    """What would fit: candidates that fail on exactly one kind of check, newest first.

    A build for another kind of accelerator is never offered (an AMD machine is not told to install a
    CUDA build): only the CPU build, which runs everywhere.
    """
    by_kind: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        kinds = {f.kind for f in candidate.failures}
        if len(kinds) == 1:
            by_kind.setdefault(kinds.pop(), []).append(candidate)
    out: list[dict[str, Any]] = []
    for items in by_kind.values():
        items.sort(key=lambda c: (c.release.parsed, _rank(c, False)), reverse=True)
    if "driver" in by_kind:
        out.extend(_driver_alternatives(by_kind["driver"]))
    if "spec" in by_kind:
        best = by_kind["spec"][0]
        kernel_failures = [f for c in candidates for f in c.failures if f.kind == "kernels"]
        if kernel_failures:
            message = (f"torch <= {best.release.version} supports your GPU ({kernel_failures[0].needs}) "
                       f"with {best.variant.name}")
        else:
            message = f"torch {best.release.version} with {best.variant.name} is the newest release that fits this machine"
        out.append({"change": "torch", "torch": best.release.version, "variant": best.variant.name,
                    "message": f"{message}; the request excludes it ({'; '.join(f.reason for f in best.failures)})"})
    for kind, label in (("python", "Python"), ("companion", "Python")):
        if kind in by_kind:
            best = by_kind[kind][0]
            needs = best.failures[0].needs or ", ".join(best.release.python.get(machine.platform or "", ()))
            if machine.implementation not in (None, "cpython"):
                message = (f"torch {best.release.version} has wheels for CPython {needs} only; this is "
                           f"{machine.implementation} {machine.python}: use a CPython interpreter")
            else:
                message = (f"torch {best.release.version} needs {label} {needs}; this is Python {machine.python} "
                           f"({best.failures[0].reason})")
            out.append({"change": "python", "torch": best.release.version, "variant": best.variant.name,
                        "needs": needs, "message": message})
            break
    for kind, label in (("glibc", "glibc"), ("macos", "macOS")):
        if kind in by_kind:
            best = by_kind[kind][0]
            out.append({"change": kind, "torch": best.release.version, "variant": best.variant.name,
                        "needs": best.failures[0].needs,
                        "message": f"torch {best.release.version} needs {label} >= {best.failures[0].needs}"})
    cpu = [c for c in by_kind.get("accelerator", []) + by_kind.get("variant", []) if c.variant.kind == "cpu"]
    if cpu:
        best = cpu[0]
        out.append({"change": "variant", "torch": best.release.version, "variant": best.variant.name,
                    "message": f"--variant cpu installs torch {best.release.version} without the GPU"})
    if not out:
        reasons = sorted({f.reason for c in candidates for f in c.failures if f.kind in ("platform", "kernels")})
        out.append({"change": "none", "message": reasons[0] if reasons else "no torch build exists for this machine"})
    return out
