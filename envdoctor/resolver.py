"""Pick the torch build for a machine: pure, ``resolve(facts, request, recipes) -> Plan``.

Every (release, variant) pair of the recipes is checked against the machine: platform, Python
(free-threading included), glibc, macOS version, the NVIDIA driver, and the kernels of every visible
GPU. The newest release with a fitting variant wins; within it the variant for the machine's
accelerator. When nothing fits, the checks that failed say what would: the same candidates are
looked at again with one constraint lifted at a time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from envdoctor.facts import Facts, Gpu, to_dict
from envdoctor.recipes import Recipes, Release, VariantRecipe, sm_name
from envdoctor.rules import driver_max_cuda, gpu_capability

DEFAULT_REQUIREMENTS = ("torch", "torchvision")
FAMILY = ("torch", "torchvision", "torchaudio")
MANAGERS = ("pip", "uv", "conda", "mamba")
TORCH_FILE = "recipes/torch.toml"
DRIVER_FILE = "recipes/cuda_drivers.toml"
GPU_FILE = "recipes/gpus.toml"


class ResolveError(ValueError):
    """A request that cannot be understood (a bad requirement string, an unknown manager)."""


@dataclass
class Request:
    """What to install. ``requirements`` empty means torch + torchvision (the getting-started pair)."""

    requirements: list[str] = field(default_factory=list)
    variant: str | None = None  # None: pick for the machine; else "cpu", "cu126", "rocm6.4", "xpu", ...
    manager: str | None = None  # None: conda/mamba in a conda env, else pip
    allow_prerelease: bool = False

    def __post_init__(self) -> None:
        if self.manager is not None and self.manager not in MANAGERS:
            raise ValueError(f"unknown package manager {self.manager!r} (use one of {', '.join(MANAGERS)})")
        parsed = []
        for text in self.requirements or DEFAULT_REQUIREMENTS:
            try:
                parsed.append(Requirement(text))
            except InvalidRequirement as exc:
                raise ValueError(f"not a PEP 508 requirement: {text!r} ({exc})") from None
        self._parsed = parsed

    def parsed(self) -> list[Requirement]:
        return list(self._parsed)


@dataclass
class Plan:
    """The decision and how to carry it out. ``to_dict`` is the JSON contract of ``install``."""

    ok: bool
    action: str  # "install" | "reinstall" | "nothing_to_do" | "none"
    manager: str
    torch: str | None = None
    variant: str | None = None
    index_url: str | None = None
    packages: list[str] = field(default_factory=list)
    commands: dict[str, list[str] | None] = field(default_factory=dict)
    command_notes: dict[str, str] = field(default_factory=dict)
    reasons: list[dict[str, str]] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    platform: str | None = None
    python: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)


# ---------------------------------------------------------------------------- the machine


@dataclass
class _Machine:
    """What the checks need from the facts, normalised once."""

    platform: str | None
    os: str  # "linux" | "windows" | "macos"
    python: str | None  # "3.11" / "3.13t"
    python_version: Version | None
    implementation: str | None
    glibc: Version | None
    musl: bool
    macos: Version | None
    driver: Version | None
    driver_text: str | None
    driver_max_cuda: Version | None
    nvidia: list[tuple[Gpu, str | None]]  # (gpu, compute capability)
    amd: list[tuple[Gpu, str | None]]  # (gpu, gfx)
    xpu: bool
    jetson: Gpu | None


@functools.lru_cache(maxsize=512)
def _version(text: str | None) -> Version | None:
    if not text:
        return None
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _machine(facts: Facts, recipes: Recipes) -> _Machine:
    system = (facts.os.system or "").lower()
    os_name = {"darwin": "macos", "windows": "windows", "linux": "linux"}.get(system, system)
    arch = (facts.os.arch or "").lower()
    arch = {"amd64": "x86_64", "x64": "x86_64"}.get(arch, arch)
    if os_name == "macos":
        arch = "arm64" if arch in ("arm64", "aarch64") else arch
    elif arch == "arm64":
        arch = "aarch64"
    platform = f"{os_name}-{arch}" if os_name and arch else None
    version = _version(facts.python.version)
    python = None
    if version is not None:
        python = f"{version.major}.{version.minor}" + ("t" if "t" in (facts.python.abi_flags or "") else "")
    driver_max = _version(driver_max_cuda(facts, recipes))
    nvidia: list[tuple[Gpu, str | None]] = []
    jetson = None
    if facts.nvidia.status == "ok":
        for gpu in facts.nvidia.visible_gpus():
            cc = gpu_capability(gpu, recipes)
            nvidia.append((gpu, cc))
            if arch == "aarch64" and recipes.is_jetson(gpu.name, cc):
                jetson = gpu
    amd = []
    if facts.rocm.status == "ok":
        for gpu in facts.rocm.gpus:
            if gpu.visible:
                amd.append((gpu, gpu.arch or (recipes.amd_gfx(gpu.name) if gpu.name else None)))
    distro = (facts.os.distro_id or "").lower()
    return _Machine(
        platform=platform, os=os_name, python=python, python_version=version,
        implementation=(facts.python.implementation or "").lower() or None,
        glibc=_version(facts.os.glibc), musl=os_name == "linux" and distro == "alpine" and not facts.os.glibc,
        macos=_version(facts.os.macos_version or facts.apple.macos_version),
        driver=_version(facts.nvidia.driver_version) if facts.nvidia.status == "ok" else None,
        driver_text=facts.nvidia.driver_version if facts.nvidia.status == "ok" else None,
        driver_max_cuda=driver_max if facts.nvidia.status == "ok" else None,
        nvidia=nvidia, amd=amd, xpu=bool(facts.xpu.present), jetson=jetson,
    )


# ---------------------------------------------------------------------------- checking one candidate


@dataclass
class _Failure:
    kind: str  # "spec" | "python" | "platform" | "glibc" | "macos" | "driver" | "kernels" | "variant" | "accelerator"
    reason: str
    needs: str = ""  # what would satisfy it (a driver version, a Python list, ...)


@dataclass
class _Candidate:
    release: Release
    variant: VariantRecipe
    failures: list[_Failure]
    warnings: list[str]
    compat: str = ""  # "full" | "minor-version" for CUDA variants


def _cuda_fit(machine: _Machine, variant: VariantRecipe, recipes: Recipes) -> tuple[_Failure | None, str, list[str]]:
    """Can this machine's driver run this CUDA variant? (failure, how, warnings)."""
    cuda = _version(variant.cuda)
    if cuda is None:
        return _Failure("driver", f"{variant.name}: CUDA version unknown"), "", []
    if machine.driver_max_cuda is None and machine.driver is None:
        return None, "unchecked", [f"no NVIDIA driver version is known; cannot check that it runs CUDA {variant.cuda}"]
    exact = recipes.toolkit_driver(variant.toolkit or variant.cuda, machine.os)
    floor = recipes.family_floor(cuda.major, machine.os)
    supported = machine.driver_max_cuda
    if supported is not None and (cuda.major, cuda.minor) <= (supported.major, supported.minor):
        return None, "full", []
    same_major = supported is not None and supported.major == cuda.major
    if same_major and floor is not None and (machine.driver is None or machine.driver >= floor):
        needs = f" (driver >= {exact} for CUDA {variant.toolkit})" if exact else ""
        return None, "minor-version", [
            f"{variant.name} runs on this driver (CUDA {supported.major}.{supported.minor}) through CUDA minor-version "
            f"compatibility: its kernels work, PTX compiled just in time does not{needs}"
        ]
    needed = floor or exact  # the family floor runs the kernels; CUDA 10 has no floor, only the exact driver
    text = f"the driver {machine.driver_text or '?'} supports CUDA {supported or '?'}; {variant.name} needs CUDA {variant.cuda}"
    return _Failure("driver", text, str(needed) if needed else ""), "", []


def _spec_failures(release: Release, specs: dict, request: Request) -> list[_Failure]:
    """What the requirement strings say about a release (the same for all its variants)."""
    failures = []
    spec = specs.get("torch")
    if spec is not None and not spec.contains(release.parsed, prereleases=request.allow_prerelease or None):
        failures.append(_Failure("spec", f"torch {release.version} does not satisfy 'torch{spec}'"))
    for name in ("torchvision", "torchaudio"):
        if name in specs:
            pinned = getattr(release, name)
            if pinned is None:
                failures.append(_Failure("spec", f"torch {release.version} has no matching {name} release"))
            elif not specs[name].contains(Version(pinned), prereleases=True):
                failures.append(_Failure("spec", f"{name} {pinned} (for torch {release.version}) does not satisfy '{name}{specs[name]}'"))
    return failures


def _check(release: Release, variant: VariantRecipe, machine: _Machine, recipes: Recipes,
           spec_failures: list[_Failure], explicit_variant: str | None) -> _Candidate:
    failures: list[_Failure] = list(spec_failures)
    warnings: list[str] = []
    plat = machine.platform
    if explicit_variant and variant.name != explicit_variant:
        failures.append(_Failure("variant", f"{variant.name} is not the requested variant {explicit_variant}"))
    if plat not in release.platforms or plat not in variant.platforms:
        failures.append(_Failure("platform", f"torch {release.version} {variant.name} has no wheels for {plat}"))
    else:
        pythons = release.python.get(plat, ())
        if machine.implementation not in (None, "cpython"):
            failures.append(_Failure("python", f"torch wheels are CPython only, not {machine.implementation}"))
        elif machine.python is not None and machine.python not in pythons:
            failures.append(_Failure("python", f"torch {release.version} has no wheels for Python {machine.python} on {plat}",
                                     ", ".join(pythons)))
        glibc = _version(variant.glibc.get(plat) or release.glibc.get(plat)) if machine.glibc or machine.musl else None
        if machine.musl:
            failures.append(_Failure("glibc", "musl libc (Alpine): no manylinux torch wheels"))
        elif glibc is not None and machine.glibc is not None and machine.glibc < glibc:
            failures.append(_Failure("glibc", f"torch {release.version} {variant.name} needs glibc >= {glibc}, this has {machine.glibc}", str(glibc)))
        macos_min = _version(release.macos_min.get(plat)) if machine.macos else None
        if macos_min is not None and machine.macos is not None and machine.macos < macos_min:
            failures.append(_Failure("macos", f"torch {release.version} needs macOS >= {macos_min}, this has {machine.macos}", str(macos_min)))
    compat = ""
    if not explicit_variant:
        wanted = _wanted(machine, release)
        if variant.name != wanted and variant.kind != wanted:
            failures.append(_Failure("accelerator", f"{variant.name} does not use this machine's {_describe_kind(wanted)}"))
    if variant.kind == "cuda":
        if machine.nvidia or machine.driver is not None or explicit_variant:
            failure, compat, extra = _cuda_fit(machine, variant, recipes)
            warnings.extend(extra)
            if failure:
                failures.append(failure)
        for gpu, cc in machine.nvidia:
            if cc is None:
                warnings.append(f"compute capability of GPU {gpu.index} {gpu.name or ''} is unknown: kernels not checked")
            elif not recipes.covers_arch(variant, cc, plat):
                failures.append(_Failure("kernels", f"{variant.name} of torch {release.version} has no kernels for GPU "
                                         f"{gpu.index} {gpu.name or ''} ({sm_name(cc)})".replace("  ", " "), sm_name(cc) or cc))
    elif variant.kind == "rocm":
        for gpu, gfx in machine.amd:
            if gfx is None:
                warnings.append(f"gfx target of AMD GPU {gpu.index} {gpu.name or ''} is unknown: kernels not checked")
            elif variant.gfx and gfx not in variant.gfx:
                failures.append(_Failure("kernels", f"{variant.name} of torch {release.version} has no kernels for "
                                         f"{gpu.name or 'AMD GPU'} ({gfx})", gfx))
    return _Candidate(release, variant, failures, warnings, compat)


def _wanted(machine: _Machine, release: Release) -> str:
    """The variant kind (or, on macOS, the variant) that uses this machine's accelerator."""
    if machine.os == "macos":
        return release.pypi.get(machine.platform or "", "cpu")
    if machine.nvidia or machine.driver is not None:
        return "cuda"
    if machine.amd:
        return "rocm"
    if machine.xpu:
        return "xpu"
    return "cpu"


def _describe_kind(kind: str) -> str:
    return {"cuda": "NVIDIA GPU", "rocm": "AMD GPU", "xpu": "Intel GPU", "mps": "Apple GPU (MPS)",
            "cpu": "CPU (no usable GPU)"}.get(kind, kind)


def _rank(candidate: _Candidate) -> tuple[int, int, int]:
    """Higher is better among the fitting variants of one release."""
    variant = candidate.variant
    if variant.kind == "cuda":
        cuda = _version(variant.cuda) or Version("0")
        number = cuda.major * 100 + cuda.minor
        if candidate.compat == "minor-version":
            return (3, 0, -number)  # closest to what the driver supports
        return (3, 1, number)
    if variant.kind == "rocm":
        rocm = _version(variant.rocm) or Version("0")
        return (2, 0, rocm.major * 100 + rocm.minor)
    return ({"xpu": 1, "mps": 0, "cpu": 0}.get(variant.kind, 0), 1 if variant.kind == "mps" else 0, 0)


# ---------------------------------------------------------------------------- the plan


def _default_manager(facts: Facts) -> str:
    if facts.python.conda_prefix:
        return "mamba" if facts.python.tool("mamba") is not None else "conda"
    return "pip"


def _installed_variant(facts: Facts) -> str | None:
    torch = facts.torch
    if torch.local:
        return torch.local
    if torch.version and "+" in torch.version:
        return torch.version.split("+", 1)[1]
    if torch.cuda:
        parts = torch.cuda.split(".")
        return "cu" + "".join(parts[:2])
    if torch.hip:
        return "rocm" + ".".join(torch.hip.split(".")[:2])
    if torch.xpu:
        return "xpu"
    return None


def _same_variant(installed: str | None, chosen: VariantRecipe, release: Release, platform: str | None) -> bool:
    if installed is None:
        return chosen.name == release.pypi.get(platform or "")
    if installed == chosen.name:
        return True
    return chosen.kind == "rocm" and installed.startswith("rocm") and chosen.name.startswith(installed)


def _specs(request: Request) -> tuple[dict[str, SpecifierSet], list[Requirement], list[str]]:
    specs: dict[str, SpecifierSet] = {}
    others: list[Requirement] = []
    warnings: list[str] = []
    for requirement in request.parsed():
        name = requirement.name.lower().replace("_", "-")
        if requirement.marker is not None:
            warnings.append(f"the marker of '{requirement}' is not evaluated for a described target; it is kept as written")
        if name in FAMILY:
            specs[name] = specs.get(name, SpecifierSet()) & requirement.specifier
        else:
            others.append(requirement)
    specs.setdefault("torch", SpecifierSet())
    return specs, others, warnings


def resolve(facts: Facts, request: Request, recipes: Recipes) -> Plan:
    """The plan for this machine (or a described one). Never raises on odd facts."""
    machine = _machine(facts, recipes)
    manager = request.manager or _default_manager(facts)
    specs, others, warnings = _specs(request)
    plan = Plan(ok=False, action="none", manager=manager, platform=machine.platform, python=machine.python)
    plan.warnings.extend(warnings)
    explicit = request.variant
    if machine.jetson is not None and not explicit:
        message = recipes.jetson.message if recipes.jetson else "NVIDIA Jetson is not served by the standard index"
        plan.reasons.append(_reason(f"GPU {machine.jetson.name} is an NVIDIA Jetson board", message, f"{GPU_FILE} [jetson]"))
        plan.alternatives.append({"change": "source", "message": message})
        plan.alternatives.append({"change": "variant", "message": "--variant cpu installs the CPU build from the standard index"})
        return plan
    unsure = {"driver_mismatch": "the NVIDIA driver is in a mismatched state",
              "timed_out": "nvidia-smi hung", "error": "the NVIDIA driver could not be queried",
              "gpus_unknown": "the NVIDIA driver is loaded but no tool listed its GPUs"}
    if not explicit and facts.nvidia.status in unsure and not machine.nvidia:
        reason = unsure[facts.nvidia.status]
        plan.reasons.append(_reason(f"{reason}: the GPUs cannot be known, so no build can be chosen safely",
                                    f"nvidia status {facts.nvidia.status}: {facts.nvidia.message}".rstrip(": "),
                                    "probes"))
        plan.alternatives.append({"change": "driver", "message": "fix the driver first (envdoctor check says how)"})
        plan.alternatives.append({"change": "gpu", "message": "or describe the GPUs: --gpu NAME|sm_XY (and --driver VERSION)"})
        plan.alternatives.append({"change": "variant", "message": "or force a build: --variant cpu"})
        return plan
    if explicit and not any(r.variant(explicit) for r in recipes.releases):
        plan.reasons.append(_reason(f"no torch release has a variant named {explicit!r}", "--variant", TORCH_FILE))
        plan.alternatives.append({"change": "variant", "message": "known variants: " + ", ".join(
            sorted({v.name for r in recipes.releases for v in r.variants}))})
        return plan
    candidates = []
    for release in recipes.releases:
        spec_failures = _spec_failures(release, specs, request)
        candidates.extend(_check(release, variant, machine, recipes, spec_failures, explicit)
                          for variant in release.variants)
    chosen = _choose(candidates)
    for candidate in candidates:
        if candidate is chosen or not candidate.failures:
            continue
        if any(f.kind in ("accelerator", "variant") for f in candidate.failures) and chosen is not None:
            continue  # a variant for another device: not a rejection worth listing
        plan.rejected.append({"torch": candidate.release.version, "variant": candidate.variant.name,
                              "reason": "; ".join(f.reason for f in candidate.failures)})
    _explain_machine(plan, machine, facts)
    if chosen is None:
        plan.alternatives = _alternatives(candidates, machine, specs, recipes)
        plan.reasons.append(_reason("no torch release and variant fits this machine and the request",
                                    f"{len(candidates)} candidates checked", TORCH_FILE))
        return plan
    _fill(plan, chosen, machine, facts, request, specs, others, recipes)
    return plan


def _choose(candidates: list[_Candidate]) -> _Candidate | None:
    fitting = [c for c in candidates if not c.failures]
    if not fitting:
        return None
    newest = max(c.release.parsed for c in fitting)
    return max((c for c in fitting if c.release.parsed == newest), key=_rank)


def _reason(decision: str, evidence: str, source: str) -> dict[str, str]:
    return {"decision": decision, "evidence": evidence, "source": source}


def _explain_machine(plan: Plan, machine: _Machine, facts: Facts) -> None:
    plan.reasons.append(_reason(f"target platform {machine.platform}, Python {machine.python or 'unknown'}",
                                f"os {facts.os.system} {facts.os.arch}; python {facts.python.version}"
                                + (f"; described by {', '.join(facts.overrides)}" if facts.overrides else ""), "facts"))
    if machine.nvidia:
        gpus = ", ".join(f"{gpu.name or 'GPU'} ({sm_name(cc) if cc else 'sm unknown'})" for gpu, cc in machine.nvidia)
        supported = machine.driver_max_cuda
        plan.reasons.append(_reason(
            f"NVIDIA driver {machine.driver_text or 'unknown'} supports CUDA {supported or 'unknown'}; GPUs: {gpus}",
            f"nvidia: {facts.nvidia.source or 'facts'}" + ("" if facts.nvidia.driver_max_cuda else " + driver table"),
            f"{DRIVER_FILE} toolkit/family; {GPU_FILE} nvidia"))
        if machine.amd:
            plan.warnings.append("both NVIDIA and AMD GPUs are present: planning for the NVIDIA GPUs")
    elif machine.amd:
        gpus = ", ".join(f"{gpu.name or 'GPU'} ({gfx or 'gfx unknown'})" for gpu, gfx in machine.amd)
        plan.reasons.append(_reason(f"AMD GPUs: {gpus}", f"rocm: {facts.rocm.source or 'facts'}", f"{GPU_FILE} amd/rocm"))
    elif machine.xpu:
        plan.reasons.append(_reason("Intel GPU present: XPU build", f"xpu: {facts.xpu.source or 'facts'}", TORCH_FILE))
    elif machine.os != "macos":
        plan.reasons.append(_reason("no usable GPU: CPU build from the CPU index, not the multi-GB CUDA default",
                                    f"nvidia status {facts.nvidia.status}, rocm status {facts.rocm.status}", TORCH_FILE))


def _fill(plan: Plan, chosen: _Candidate, machine: _Machine, facts: Facts, request: Request,
          specs: dict, others: list[Requirement], recipes: Recipes) -> None:
    release, variant = chosen.release, chosen.variant
    plan.ok = True
    plan.torch = release.version
    plan.variant = variant.name
    plan.warnings.extend(dict.fromkeys(chosen.warnings))
    plan.reasons.append(_reason(
        f"torch {release.version} is the newest release with a build for this machine"
        + (f" within '{', '.join(str(r) for r in request.parsed())}'" if request.requirements else ""),
        f"series {release.series}: {release.source}", f"{TORCH_FILE} series.{release.series}"))
    plan.reasons.append(_reason(_variant_decision(chosen, machine), variant.source or release.source,
                                f"{TORCH_FILE} series.{release.series}.variants.{variant.name}"))
    if variant.kind == "mps" and machine.macos is not None and machine.macos < Version("12.3"):
        plan.warnings.append(f"macOS {machine.macos}: the MPS device needs macOS 12.3 or later; torch will run on the CPU")
    if "UNVERIFIED" in release.note or "UNVERIFIED" in variant.note:
        plan.warnings.append(f"torch {release.version} {variant.name}: "
                             + "; ".join(n for n in (release.note, variant.note) if "UNVERIFIED" in n))
    pypi_default = release.pypi.get(machine.platform or "") == variant.name
    url = None if pypi_default else (recipes.find_links if release.index_style == "find-links"
                                     else recipes.index_url(variant.name))
    plan.index_url = recipes.rewrite_url(url)
    installed = facts.torch if facts.torch.status == "ok" and facts.torch.version else None
    reinstall = False
    if installed is not None:
        base = installed.version.split("+")[0]
        installed_variant = _installed_variant(facts)
        same_version = _version(base) == release.parsed
        if same_version and _same_variant(installed_variant, variant, release, machine.platform):
            plan.action = "nothing_to_do"
            plan.reasons.append(_reason(f"installed torch {installed.version} is already this build",
                                        f"torch: {installed.source or 'facts'}", "facts.torch"))
        else:
            plan.action = "reinstall"
            reinstall = True
            why = (f"installed torch {installed.version} is the {installed_variant or 'unknown'} build; "
                   f"this machine needs {variant.name}") if same_version else (
                   f"installed torch {installed.version} ({installed_variant or 'unknown build'}) is replaced by "
                   f"{release.version}+{variant.name}")
            plan.reasons.append(_reason(why, f"torch: {installed.source or 'facts'}", "facts.torch"))
    else:
        plan.action = "install"
    local = _local_pins(release, variant, pypi_default, reinstall)
    plan.packages = _packages(release, variant, specs, others, local)
    python = facts.python.executable or "python"
    for name in MANAGERS:
        argv, note = _command(name, plan, release, variant, python, pypi_default, reinstall, local, others)
        plan.commands[name] = argv
        if note:
            plan.command_notes[name] = note
    if plan.commands.get(plan.manager) is None:
        plan.warnings.append(f"{plan.manager} cannot install this plan: {plan.command_notes.get(plan.manager, '')}")


def _variant_decision(chosen: _Candidate, machine: _Machine) -> str:
    variant = chosen.variant
    if variant.kind == "cuda":
        how = {"full": f"its CUDA {variant.cuda} <= the driver's CUDA {machine.driver_max_cuda}",
               "minor-version": f"CUDA {variant.cuda} runs through minor-version compatibility",
               "unchecked": "the driver could not be checked"}.get(chosen.compat, "")
        archs = ", ".join(variant.archs_for(machine.platform)) + (
            f" + PTX {', '.join(variant.ptx_for(machine.platform))}" if variant.ptx_for(machine.platform) else "")
        return f"variant {variant.name}: {how}; kernels {archs} cover every GPU"
    if variant.kind == "rocm":
        return f"variant {variant.name}: the highest ROCm build whose gfx targets cover every AMD GPU"
    if variant.kind == "mps":
        return "variant mps: the PyPI macOS arm64 wheel (CPU + Apple GPU through MPS)"
    if variant.kind == "xpu":
        return "variant xpu: the Intel GPU build"
    return "variant cpu: no GPU to use"


def _local_pins(release: Release, variant: VariantRecipe, pypi_default: bool, reinstall: bool) -> bool:
    """Whether pins carry ``+variant``: the find-links/extra-index eras need it, and a reinstall from
    a variant index uses it so pip cannot treat a same-version build of another variant as satisfying."""
    if pypi_default:
        return False
    return release.index_style in ("find-links", "extra-index-url") or reinstall


def _packages(release: Release, variant: VariantRecipe, specs: dict, others: list[Requirement], local: bool) -> list[str]:
    suffix = f"+{variant.name}" if local else ""
    packages = [f"torch=={release.version}{suffix}"]
    wants_audio = "torchaudio" in specs
    if release.torchvision and ("torchvision" in specs):
        packages.append(f"torchvision=={release.torchvision}{suffix}")
    if wants_audio and release.torchaudio:
        # torchaudio wheels of the find-links era carried no local version
        audio_suffix = "" if release.index_style == "find-links" else suffix
        packages.append(f"torchaudio=={release.torchaudio}{audio_suffix}")
    packages.extend(str(r) for r in others)
    return packages


def _command(manager: str, plan: Plan, release: Release, variant: VariantRecipe, python: str,
             pypi_default: bool, reinstall: bool, local: bool, others: list[Requirement]) -> tuple[list[str] | None, str]:
    packages = list(plan.packages)
    if manager in ("pip", "uv"):
        index: list[str] = []
        if plan.index_url:
            flag = {"find-links": "-f", "extra-index-url": "--extra-index-url"}.get(release.index_style, "--index-url")
            index = [flag, plan.index_url]
        force: list[str] = []
        note = ""
        if reinstall and not local:
            if manager == "pip":
                force = ["--force-reinstall"]
            else:
                force = [arg for name in ("torch", "torchvision", "torchaudio")
                         if any(p.startswith(name + "==") for p in packages) for arg in ("--reinstall-package", name)]
            note = "same version, another build: the torch family is force-reinstalled from PyPI"
        elif reinstall:
            note = f"the local version +{variant.name} makes the installer replace the installed build"
        if manager == "pip":
            return [python, "-m", "pip", "install", *force, *packages, *index], note
        return ["uv", "pip", "install", "--python", python, *force, *packages, *index], note
    return _conda_command(manager, plan, release, variant, reinstall, others)


def _conda_command(manager: str, plan: Plan, release: Release, variant: VariantRecipe, reinstall: bool,
                   others: list[Requirement]) -> tuple[list[str] | None, str]:
    conda = release.conda
    if conda is None:
        return None, f"torch {release.version} has no conda recipe"
    if variant.kind in ("rocm", "xpu"):
        return None, f"conda has no {variant.kind.upper()} build of torch; use pip or uv"
    if others:
        return None, "extra requirements are PyPI names; install them with pip or uv"
    head = [manager, "install", "-y"] + (["--force-reinstall"] if reinstall else [])
    vision = [f"torchvision=={release.torchvision}"] if release.torchvision and any(
        p.startswith("torchvision") for p in plan.packages) else []
    audio = [f"torchaudio=={release.torchaudio}"] if release.torchaudio and any(
        p.startswith("torchaudio") for p in plan.packages) else []
    if conda.style in ("cudatoolkit", "pytorch-cuda"):
        base = [f"pytorch=={release.version}", *vision, *audio]
        if variant.kind == "cuda":
            if variant.cuda not in conda.cuda:
                return None, f"the pytorch conda channel had no CUDA {variant.cuda} build of {release.version} (had {', '.join(conda.cuda)})"
            if conda.style == "cudatoolkit":
                return head + base + [f"cudatoolkit={variant.cuda}", "-c", "pytorch", "-c", "conda-forge"], ""
            return head + base + [f"pytorch-cuda={variant.cuda}", "-c", "pytorch", "-c", "nvidia"], ""
        if variant.kind == "cpu" and plan.platform and not plan.platform.startswith("macos"):
            return head + base + ["cpuonly", "-c", "pytorch"], ""
        return head + base + ["-c", "pytorch"], ""
    note = "conda-forge builds its own CUDA variants; cuda-version pins the CUDA line"
    if variant.kind == "cuda":
        return head + ["-c", "conda-forge", f"pytorch-gpu=={release.version}", *vision, f"cuda-version={variant.cuda}"], note
    if variant.kind == "cpu" and plan.platform and not plan.platform.startswith("macos"):
        return head + ["-c", "conda-forge", f"pytorch-cpu=={release.version}", *vision], note
    return head + ["-c", "conda-forge", f"pytorch=={release.version}", *vision], note


# ---------------------------------------------------------------------------- when nothing fits


def _driver_alternatives(items: list[_Candidate]) -> list[dict[str, Any]]:
    """The driver that runs the newest release, and the smallest upgrade that runs any release."""
    def needs(candidate: _Candidate) -> Version | None:
        return _version(candidate.failures[0].needs)

    known = [c for c in items if needs(c) is not None]
    if not known:
        return [{"change": "driver", "message": items[0].failures[0].reason}]
    newest = known[0].release.parsed
    for_newest = min((c for c in known if c.release.parsed == newest), key=lambda c: needs(c))
    smallest_needed = min(needs(c) for c in known)
    smallest = max((c for c in known if needs(c) == smallest_needed), key=lambda c: c.release.parsed)
    out = []
    for candidate in [for_newest] + ([smallest] if smallest is not for_newest else []):
        out.append({"change": "driver", "needs": candidate.failures[0].needs, "torch": candidate.release.version,
                    "variant": candidate.variant.name,
                    "message": f"upgrade the NVIDIA driver to >= {candidate.failures[0].needs} for torch "
                               f"{candidate.release.version} with {candidate.variant.name}"})
    return out



def _alternatives(candidates: list[_Candidate], machine: _Machine, specs: dict, recipes: Recipes) -> list[dict[str, Any]]:
    """What would fit: candidates that fail on exactly one kind of check, newest first."""
    by_kind: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        kinds = {f.kind for f in candidate.failures}
        if len(kinds) == 1:
            by_kind.setdefault(kinds.pop(), []).append(candidate)
    out: list[dict[str, Any]] = []
    for items in by_kind.values():
        items.sort(key=lambda c: (c.release.parsed, _rank(c)), reverse=True)
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
    if "python" in by_kind:
        best = by_kind["python"][0]
        out.append({"change": "python", "torch": best.release.version, "variant": best.variant.name,
                    "needs": best.failures[0].needs,
                    "message": f"torch {best.release.version} needs Python {best.failures[0].needs}; "
                               f"this is Python {machine.python}"})
    for kind, label in (("glibc", "glibc"), ("macos", "macOS")):
        if kind in by_kind:
            best = by_kind[kind][0]
            out.append({"change": kind, "torch": best.release.version, "variant": best.variant.name,
                        "needs": best.failures[0].needs,
                        "message": f"torch {best.release.version} needs {label} >= {best.failures[0].needs}"})
    if "accelerator" in by_kind:
        best = by_kind["accelerator"][0]
        out.append({"change": "variant", "torch": best.release.version, "variant": best.variant.name,
                    "message": f"--variant {best.variant.name} installs torch {best.release.version} without the GPU"})
    if "variant" in by_kind:
        best = by_kind["variant"][0]
        out.append({"change": "variant", "torch": best.release.version, "variant": best.variant.name,
                    "message": f"the requested variant does not fit; {best.variant.name} of torch {best.release.version} does"})
    if not out:
        reasons = sorted({f.reason for c in candidates for f in c.failures if f.kind in ("platform", "kernels")})
        out.append({"change": "none", "message": reasons[0] if reasons else "no torch build exists for this machine"})
    return out
