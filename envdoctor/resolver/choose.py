"""Pick the torch build for a machine: pure, ``resolve(facts, request, recipes) -> Plan``.

Every (release, variant) pair of the recipes is checked against the machine: platform, Python
(free-threading included), companion wheels, glibc, macOS version, the NVIDIA driver, and the kernels
of every visible GPU, each question answered by :mod:`envdoctor.compat` (the same answers the rules
and the verifier use). The newest release with a fitting variant wins; within it the variant for the
machine's accelerator; an installed build that still fits is kept unless ``upgrade`` asks. What the
facts do not say (a described machine's driver, glibc, Python) is never assumed: the plan states what
it needs. When nothing fits, the same candidates are looked at again with one constraint lifted at a
time to say what would; when an older release wins, the newer ones' failures say why (``limits``).
The machine and the checks of each candidate are in :mod:`.candidates`, what would fit and why not a newer
release in :mod:`.alternatives`.

The plan says what changes per package, into which environment (a conda plan names its prefix; the
manager that installed torch keeps it), and where the torch family comes from (the PyTorch index or a
mirror); :mod:`envdoctor.resolver.commands` writes the commands that carry it out.
"""

from __future__ import annotations

from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from envdoctor import compat, extension_plan
from envdoctor.facts import Facts
from envdoctor.i18n import _, joined, listed
from envdoctor.recipes import Recipes, Release, VariantRecipe
from envdoctor.resolver.alternatives import _alternatives, _limits
from envdoctor.resolver.candidates import _Candidate, _check, _Machine, _machine, _rank, _spec_failures, _wanted
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
            return "pip", _("torch {version} in the conda environment {prefix} was installed with {installer}: it is "
                            "changed with pip, never by conda over it", version=torch.version,
                            prefix=python.conda_prefix, installer=torch.installer or "pip")
        manager = "mamba" if python.tool("mamba") is not None else "conda"
        return manager, _("{python} belongs to the conda environment {prefix}", python=python.executable,
                          prefix=python.conda_prefix)
    if torch.status == "ok" and torch.installer == "uv" and python.tool("uv") is not None:
        return "uv", _("torch {version} was installed with uv: it is changed with uv", version=torch.version)
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
            warnings.append(_("the marker of '{requirement}' is not evaluated for a described target; it is kept as "
                              "written", requirement=str(requirement)))
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
    evidence = (_("nvidia status {status}: {message}", status=facts.nvidia.status, message=facts.nvidia.message)
                if facts.nvidia.message.rstrip(": ") else _("nvidia status {status}", status=facts.nvidia.status))
    plan.reasons.append(_reason(_("{reason}: no build can be chosen safely", reason=reason), evidence, "facts"))
    if facts.nvidia.status in ("driver_mismatch", "timed_out", "error"):
        plan.alternatives.append({"change": "driver", "message": _("fix the driver first (envdoctor check says how)")})
    plan.alternatives.append({"change": "gpu", "message": _("describe the GPUs: --gpu NAME|sm_XY|gfxNNN (with --driver "
                                                            "VERSION), or --no-gpu")})
    plan.alternatives.append({"change": "variant", "message": _("or name the build: --variant cpu (or cu126, rocm6.4, "
                                                                "...)")})
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
        message = recipes.jetson.message if recipes.jetson else _("NVIDIA Jetson is not served by the standard index")
        plan.reasons.append(_reason(_("GPU {gpu} is an NVIDIA Jetson module", gpu=gpu.name), message,
                                    f"{GPU_FILE} [jetson]"))
        plan.alternatives.append({"change": "source", "message": message})
        plan.alternatives.append({"change": "variant", "message": _("--variant cpu installs the CPU build from the "
                                                                    "standard index")})
        return plan
    if _unsure(plan, machine, facts, explicit):
        return plan
    if explicit and not any(r.variant(explicit) for r in recipes.releases):
        plan.reasons.append(_reason(_("no torch release has a variant named {variant}", variant=repr(explicit)),
                                    "--variant", TORCH_FILE))
        plan.alternatives.append({"change": "variant", "message": _("known variants: {variants}", variants=", ".join(
            sorted({v.name for r in recipes.releases for v in r.variants})))})
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
    chosen = _choose(candidates)
    for candidate in candidates:
        if candidate is chosen or not candidate.failures:
            continue
        if any(f.kind in ("accelerator", "variant") for f in candidate.failures) and chosen is not None:
            continue  # a build for another device: not a rejection worth listing
        plan.rejected.append({"torch": candidate.release.version, "variant": candidate.variant.name,
                              "reason": joined(f.reason for f in candidate.failures)})
    _explain_machine(plan, machine, facts, fallback_reason)
    if chosen is None:
        plan.alternatives = _alternatives(candidates, machine)
        plan.reasons.append(_reason(_("no torch release and variant fits this machine and the request"),
                                    _("{count} candidates checked", count=len(candidates)), TORCH_FILE))
        return plan
    kept = _kept(candidates, chosen, facts, recipes, request)
    plan.limits = _limits(candidates, kept or chosen, machine, specs)
    if kept is not None:
        plan.limits.insert(0, {
            "kind": "installed", "newest": chosen.release.version,
            "message": _("torch {installed} is installed and runs here; torch {newer} ({variant}) is newer: add "
                         "--upgrade to install it", installed=facts.torch.version, newer=chosen.release.version,
                         variant=chosen.variant.name)})
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


def _choose(candidates: list[_Candidate]) -> _Candidate | None:
    fitting = [c for c in candidates if not c.failures]
    if not fitting:
        return None
    newest = max(c.release.parsed for c in fitting)
    return max((c for c in fitting if c.release.parsed == newest), key=_rank)


def _reason(decision: str, evidence: str, source: str) -> dict[str, str]:
    """One reason of a plan: what was decided (said to the reader), on what evidence, from which data."""
    return {"decision": decision, "evidence": evidence, "source": source}


# ---------------------------------------------------------------------------- filling in the plan


def _explain_machine(plan: Plan, machine: _Machine, facts: Facts, fallback_reason: str) -> None:
    tag = facts.python.platform_tag or _("platform tag not known")
    where = dict(system=facts.os.system or "?", arch=facts.os.arch or "?", python=facts.python.version or "?", tag=tag)
    plan.reasons.append(_reason(
        _("target platform {platform}, Python {python}", platform=machine.platform or _("unknown"),
          python=machine.python or _("not known")),
        _("os {system} {arch}; python {python} ({tag}); described by {overrides}", overrides=", ".join(facts.overrides),
          **where) if facts.overrides else _("os {system} {arch}; python {python} ({tag})", **where), "facts"))
    if machine.nvidia or machine.driver is not None:
        gpus = listed(f"{gpu.name or 'GPU'} ({compat.sm_name(cc)})" if compat.sm_name(cc)
                      else _("{gpu} (sm unknown)", gpu=gpu.name or "GPU") for gpu, cc in machine.nvidia)
        driver = (_("NVIDIA driver {driver} supports CUDA {cuda}", driver=machine.driver,
                    cuda=machine.driver_cuda or _("unknown")) if machine.driver else _("NVIDIA driver not known"))
        source = facts.nvidia.source or "facts"
        if facts.nvidia.driver_max_cuda:
            evidence = (_("nvidia: {source} ({column} column)", source=source, column=machine.driver_os)
                        if machine.driver else _("nvidia: {source}", source=source))
        else:
            evidence = (_("nvidia: {source} + driver table ({column} column)", source=source, column=machine.driver_os)
                        if machine.driver else _("nvidia: {source} + driver table", source=source))
        plan.reasons.append(_reason(
            _("{driver}; GPUs: {gpus}", driver=driver, gpus=gpus or _("not known")), evidence,
            f"{DRIVER_FILE} toolkit/family; {GPU_FILE} nvidia"))
        for (gpu, _cc, _count), floor in zip(machine.nvidia_alike, machine.floors, strict=True):
            if floor.drives is False:
                label = gpu.label()
                plan.reasons.append(_reason(
                    _("upgrade the NVIDIA driver first: {gpu}: {reason}; no CUDA build runs on it until then",
                      gpu=label, reason=floor.reason),
                    _("first CUDA for this architecture: {cuda}; its Table-3 driver {driver}", cuda=floor.first_cuda,
                      driver=floor.needs),
                    f"{DRIVER_FILE} gpu_first_cuda, toolkit"))
        if machine.amd:
            plan.warnings.append(_("both NVIDIA and AMD GPUs are present: planning for the NVIDIA GPUs"))
    elif machine.amd:
        gpus = listed(f"{gpu.name or 'GPU'} ({gfx})" if gfx else _("{gpu} (gfx unknown)", gpu=gpu.name or "GPU")
                      for gpu, gfx in machine.amd)
        plan.reasons.append(_reason(_("AMD GPUs: {gpus}", gpus=gpus), f"rocm: {facts.rocm.source or 'facts'}",
                                    f"{GPU_FILE} amd"))
    elif machine.xpu:
        plan.reasons.append(_reason(_("Intel GPU present: XPU build"), f"xpu: {facts.xpu.source or 'facts'}", TORCH_FILE))
    elif machine.os != "macos":
        plan.reasons.append(_reason(_("no usable GPU: CPU build from the CPU index, not the multi-GB CUDA default"),
                                    _("nvidia status {nvidia}, rocm status {rocm}", nvidia=facts.nvidia.status,
                                      rocm=facts.rocm.status), TORCH_FILE))
    if fallback_reason:
        plan.reasons.append(_reason(fallback_reason, _("variants per platform"), TORCH_FILE))


def _requires(plan: Plan, chosen: _Candidate, machine: _Machine) -> None:
    """Say what the plan needs that the facts could not confirm (a described machine's unknowns)."""
    release, variant, plat = chosen.release, chosen.variant, machine.platform or ""
    if chosen.needs_driver is not None:
        column = {"windows": "Windows", "linux": "Linux"}.get(machine.driver_os, machine.driver_os)
        plan.requires["nvidia_driver"] = f">= {chosen.needs_driver}"
        if machine.no_driver:
            plan.warnings.append(_("there is no NVIDIA driver here: this {variant} build runs on the CPU only until a "
                                   "driver >= {driver} ({column}) is installed; without --variant the plan is the CPU "
                                   "build", variant=variant.name, driver=chosen.needs_driver, column=column))
        else:
            plan.warnings.append(_("the NVIDIA driver is not known: this plan needs driver >= {driver} ({column}); pass "
                                   "--driver VERSION to plan for the one you have", driver=chosen.needs_driver,
                                   column=column))
    if machine.python is None:
        pythons = ", ".join(release.python.get(plat, ()))
        plan.requires["python"] = pythons
        plan.warnings.append(_("Python is not known: torch {torch} has wheels for Python {pythons} on {platform}",
                               torch=release.version, pythons=pythons, platform=plat))
    glibc = variant.glibc.get(plat) or release.glibc.get(plat)
    if glibc and machine.glibc is None and not machine.musl:
        plan.requires["glibc"] = f">= {glibc}"
        plan.warnings.append(_("glibc is not known: torch {torch} {variant} needs glibc >= {glibc}",
                               torch=release.version, variant=variant.name, glibc=glibc))
    macos_min = release.macos_floor(plat, machine.python)
    if macos_min and machine.macos is None:
        plan.requires["macos"] = f">= {macos_min}"
        plan.warnings.append(_("the macOS version is not known: torch {torch} needs macOS >= {macos}",
                               torch=release.version, macos=macos_min))
    if variant.kind == "mps" and machine.macos is not None and machine.macos < compat.MPS_MIN_MACOS:
        plan.warnings.append(_("macOS {macos}: the MPS device needs macOS {minimum} or later; torch will run on the CPU",
                               macos=machine.macos, minimum=compat.MPS_MIN_MACOS))


def _fill(plan: Plan, chosen: _Candidate, machine: _Machine, facts: Facts, request: Request, wanted: Wanted,
          recipes: Recipes) -> None:
    release, variant, specs = chosen.release, chosen.variant, wanted.specs
    plan.ok = True
    plan.torch = release.version
    plan.variant = variant.name
    plan.warnings.extend(dict.fromkeys(chosen.warnings))
    newer = next((limit["newest"] for limit in plan.limits if limit.get("kind") == "installed"), None)
    if newer:
        decision = _("torch {torch} is installed, fits this machine and is kept: torch {newer} is newer (add --upgrade)",
                     torch=release.version, newer=newer)
    else:
        decision = _("torch {torch} is the newest release with a build for this machine", torch=release.version)
    if request.requirements:
        decision = _("{decision} within '{requirements}'", decision=decision,
                     requirements=", ".join(str(r) for r in request.parsed()))
    plan.reasons.append(_reason(decision, f"series {release.series}: {release.source}",
                                f"{TORCH_FILE} series.{release.series}"))
    plan.reasons.append(_reason(_variant_decision(chosen, machine), variant.source or release.source,
                                f"{TORCH_FILE} series.{release.series}.variants.{variant.name}"))
    _requires(plan, chosen, machine)
    unverified = _unverified(release.note, variant.note, machine.platform)
    if unverified:
        plan.mark = "warning"
        plan.warnings.append(f"torch {release.version} {variant.name}: {'; '.join(unverified)}")
    if release.inferred or variant.inferred:
        plan.warnings.append(_("torch {torch} {variant}: inferred by `envdoctor recipes refresh`, not read from an "
                               "index: {what}", torch=release.version, variant=variant.name,
                               what="; ".join((*release.inferred, *variant.inferred))))
    pypi_default = release.pypi.get(machine.platform or "") == variant.name
    index = torch_index(release, variant, pypi_default, request.mirrors, recipes)
    plan.index_url = index.url
    pypi_mirror = request.mirrors.pypi if request.mirrors else None
    plan.indexes = {
        "torch": {"url": index.url, "layout": index.layout, "flag": index.flag, "mirror": index.mirror or None}
        if index.url else None,
        "others": {"url": pypi_mirror,
                   "from": request.mirrors.pypi_from if pypi_mirror and request.mirrors
                   else _("your pip/uv configuration")},
    }
    installed = facts.torch if facts.torch.status == "ok" and facts.torch.version else None
    reinstall = False
    torch_kept = False
    if installed is not None:
        installed_variant = compat.installed_variant_name(facts, recipes)
        same_version = compat.parse_version((installed.version or "").split("+")[0]) == release.parsed
        if same_version and _same_variant(installed_variant, variant):
            torch_kept = True
            plan.reasons.append(_reason(_("installed torch {version} is already this build", version=installed.version),
                                        f"torch: {installed.source or 'facts'}", "facts.torch"))
        else:
            reinstall = True
            why = (_("installed torch {version} is the {variant} build; this machine needs {needed}",
                     version=installed.version, variant=installed_variant or _("unknown"), needed=variant.name)
                   if same_version else
                   _("installed torch {version} ({variant}) is replaced by {new}", version=installed.version,
                     variant=installed_variant or _("unknown build"), new=f"{release.version}+{variant.name}"))
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
        plan.warnings.append(_("{manager} cannot install this plan: {why}", manager=plan.manager,
                               why=plan.command_notes.get(plan.manager, "")))
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
        how = {"full": _("its CUDA {cuda} <= the driver's CUDA {driver_cuda}", cuda=variant.cuda,
                         driver_cuda=machine.driver_cuda),
               "minor": _("CUDA {cuda} runs through minor-version compatibility", cuda=variant.cuda),
               "unknown": _("there is no NVIDIA driver here") if machine.no_driver else _("the driver is not known")
               }.get(level, "")
        sass, ptx = variant.kernels_for(machine.platform)
        archs = ", ".join(sass) + (f" + PTX {', '.join(ptx)}" if ptx else "")
        if machine.nvidia:
            return _("variant {variant}: {how}; kernels {archs} cover every GPU", variant=variant.name, how=how,
                     archs=archs)
        return _("variant {variant}: {how}; kernels {archs} (GPUs not known)", variant=variant.name, how=how,
                 archs=archs)
    if variant.kind == "rocm":
        return _("variant {variant}: the highest ROCm build whose gfx targets cover every AMD GPU", variant=variant.name)
    if variant.kind == "mps":
        return _("variant mps: the PyPI macOS arm64 wheel (CPU + Apple GPU through MPS)")
    if variant.kind == "xpu":
        return _("variant xpu: the Intel GPU build")
    return _("variant cpu: no GPU to use")


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
                detail = f"{current_label} -> {new_label}" if current_label else \
                    _("another build -> {label}", label=new_label)
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
                    "detail": _("from your own index, not the PyTorch index")})
    return out



