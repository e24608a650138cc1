"""Install plans for compiled extensions that agree with the torch the resolver chose.

``envdoctor install torch flash-attn`` must not end with an extension built for another torch, a pip that
replaces torch to satisfy xformers' pin, or a 40-minute build that fails on the wrong nvcc. For each
extension asked for, in order of preference: a prebuilt wheel matching torch X.Y, CUDA major, C++ ABI,
Python and platform (flash-attn's release asset, the PyG page for this torch, the xformers release that pins
this torch); else a build: the toolkit it needs (nvcc of torch's CUDA major), ``--no-build-isolation``,
``TORCH_CUDA_ARCH_LIST`` from the GPUs, ``MAX_JOBS`` from memory and an estimate of its time. Pure: the
resolver's plan and the facts in, data out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from packaging.requirements import Requirement
from packaging.version import Version

from envdoctor.compat import parse_version
from envdoctor.datatypes import datatype
from envdoctor.extensions import Catalog, Extension, normalise, torch_cxx11_abi
from envdoctor.facts import Facts
from envdoctor.i18n import _
from envdoctor.shells import join_with_env

#: Builds planned for these couplings; the others install like any package.
CHECKED = ("torch-abi", "torch-pin")
GIB = 1024**3


@datatype
class Toolkit:
    """The nvcc a build needs and what is installed."""

    needs: str  # "12.6": torch's CUDA
    installed: str | None = None  # "13.0.48"
    path: str | None = None
    fits: bool = False
    install: list[str] = field(default_factory=list)  # ways to get the right one


@datatype
class ExtensionPlan:
    """How one extension is installed so that it agrees with the planned torch."""

    package: str
    how: str  # "wheel" (a prebuilt that matches) | "build" | "none" (cannot fit this torch)
    args: list[list[str]] = field(default_factory=list)  # `pip install` arguments, one list per step
    env: dict[str, str] = field(default_factory=dict)  # what the build step (the last of ``args``) needs set
    toolkit: Toolkit | None = None
    estimate: str = ""
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from envdoctor.facts import to_dict

        result: dict[str, Any] = to_dict(self)
        return result


def _cuda_of(variant: str | None) -> Version | None:
    """``cu126`` -> 12.6; None for cpu, ROCm and XPU builds."""
    if not variant or not variant.startswith("cu") or not variant[2:].isdigit() or len(variant) < 4:
        return None
    return Version(f"{variant[2:-1]}.{variant[-1]}")


def arch_list(facts: Facts) -> str | None:
    """``8.6;9.0``: the compute capabilities of the visible NVIDIA GPUs, for TORCH_CUDA_ARCH_LIST."""
    found = sorted({gpu.compute_capability for gpu in facts.nvidia.visible_gpus() if gpu.compute_capability},
                   key=lambda cc: tuple(int(p) for p in cc.split(".") if p.isdigit()))
    return ";".join(found) or None


def max_jobs(facts: Facts, gb_per_job: int | None) -> int | None:
    """Parallel compile jobs memory and cores allow: each job of a flash-attn build peaks at ``gb_per_job``."""
    memory = facts.limits.memory_limit_bytes or facts.cpu.memory_total_bytes
    cores = facts.cpu.logical_cores
    if gb_per_job is None or memory is None:
        return None
    by_memory = int(memory / GIB // gb_per_job)
    by_cores = max(1, cores // 2) if cores else by_memory
    return max(1, min(by_memory, by_cores))


def toolkit_for(facts: Facts, cuda: Version) -> Toolkit:
    """The nvcc a build against a CUDA ``cuda`` torch needs: the same CUDA major (NVIDIA's minor-version
    compatibility covers the minors); the conda and pip packages that give one without touching the system."""
    active = facts.cuda.active()
    installed = parse_version(active.version) if active else None
    wanted = f"{cuda.major}.{cuda.minor}"
    return Toolkit(
        needs=wanted,
        installed=active.version if active else None,
        path=(active.nvcc_path or active.path) if active else None,
        fits=installed is not None and installed.major == cuda.major,
        install=[f"conda install -c nvidia cuda-nvcc={wanted}",
                 f"pip install 'nvidia-cuda-nvcc-cu{cuda.major}=={wanted}.*'"],
    )


def _estimate(ext: Extension, jobs: int | None) -> str:
    if ext.build_minutes_64_cores is None:
        return _("unknown: the data has no build time for it")
    fewest, most = ext.build_minutes_64_cores
    if jobs is None:
        return _("{fewest}-{most} min on a 64-core machine with ninja; about 2 h without ninja", fewest=fewest,
                 most=most)
    # the project's figure is for 64 cores with ninja (32 jobs by its setup.py); time scales with the jobs
    low, high = math.ceil(fewest * 32 / jobs), math.ceil(most * 32 / jobs)
    return _("about {low}-{high} min with MAX_JOBS={jobs} and ninja ({fewest}-{most} min on 64 cores)", low=low,
             high=high, jobs=jobs, fewest=fewest, most=most)


def _build(ext: Extension, requirement: str, facts: Facts, cuda: Version | None, plan: ExtensionPlan) -> None:
    plan.how = "build"
    plan.args = [["ninja", "packaging", "psutil", "wheel"],
                 ["--no-build-isolation", "--no-binary", normalise(Requirement(requirement).name), requirement]]
    plan.reasons.append(_("the build compiles against the torch in the environment, so it needs --no-build-isolation "
                          "and torch installed first"))
    if cuda is None:
        return
    plan.toolkit = toolkit_for(facts, cuda)
    if not plan.toolkit.fits:
        ways = plan.toolkit.install
        if plan.toolkit.installed:
            plan.warnings.append(_(
                "nvcc {installed} is installed ({path}); torch {variant} needs nvcc of CUDA {major}: the build fails or "
                "builds an extension torch cannot load. Install one: {conda} or {pip}", installed=plan.toolkit.installed,
                path=plan.toolkit.path, variant=f"cu{cuda.major}{cuda.minor}", major=cuda.major, conda=ways[0],
                pip=ways[1]))
        else:
            plan.warnings.append(_(
                "no nvcc is installed; torch {variant} needs nvcc of CUDA {major}: the build fails or builds an "
                "extension torch cannot load. Install one: {conda} or {pip}", variant=f"cu{cuda.major}{cuda.minor}",
                major=cuda.major, conda=ways[0], pip=ways[1]))
    archs = arch_list(facts)
    if archs:
        plan.env["TORCH_CUDA_ARCH_LIST"] = archs
    else:
        plan.warnings.append(_("no NVIDIA GPU seen: the build compiles for every architecture torch lists (slower)"))
    jobs = max_jobs(facts, ext.build_gb_per_job)
    if jobs is not None:
        plan.env["MAX_JOBS"] = str(jobs)
    plan.estimate = _estimate(ext, jobs)


def _xformers(ext: Extension, torch: Version, index_url: str | None, plan: ExtensionPlan) -> bool:
    """The newest xformers release whose prebuilt wheels pin this torch, from the torch's own index."""
    fitting = [release for release, spec in ext.torch_pins.items() if spec == f"=={torch}"]
    if not fitting:
        newest = max(ext.torch_pins, key=Version)
        plan.warnings.append(_("no xformers release in the data pins torch {torch} (the newest known, {newest}, "
                               "pins torch{pin}): pip would replace torch to satisfy a pin", torch=str(torch),
                               newest=newest, pin=ext.torch_pins[newest]))
        return False
    release = max(fitting, key=Version)
    plan.how = "wheel"
    plan.args = [[f"xformers=={release}", f"torch=={torch}", *(["--index-url", index_url] if index_url else [])]]
    plan.reasons.append(_("xformers {release}'s prebuilt wheels require torch=={torch} (xformers CHANGELOG.md)",
                          release=release, torch=str(torch)))
    return True


def plan_extension(ext: Extension, requirement: Requirement, facts: Facts, torch_version: str, variant: str | None,
                   python: str | None, platform: str | None, index_url: str | None, catalog: Catalog) -> ExtensionPlan:
    """How ``requirement`` (a catalogued extension) is installed beside torch ``torch_version`` + ``variant``."""
    name = normalise(requirement.name)
    plan = ExtensionPlan(package=name, how="none")
    parsed = parse_version(torch_version)
    if parsed is None:
        plan.warnings.append(_("torch {version} is not a version", version=torch_version))
        return plan
    torch = Version(parsed.public)
    cuda = _cuda_of(variant)
    text = str(requirement)
    if ext.wheels == "pyg-index":
        label = variant or "cpu"  # a build without a variant (macOS) is on the CPU page
        page = ext.index_url.format(torch_release=f"{torch.major}.{torch.minor}.0", variant=label)
        plan.how = "wheel"
        plan.args = [["--only-binary", name, text, "-f", page]]
        plan.reasons.append(_("the PyG page for torch {torch} + {variant} has the wheels built for it ({label}); "
                              "--only-binary keeps pip from building the PyPI source release against no torch",
                              torch=f"{torch.major}.{torch.minor}", variant=label,
                              label=f"+pt{torch.major}{torch.minor}{label}"))
        return plan
    if ext.key == "flash-attn":
        if cuda is None:
            plan.warnings.append(_("flash-attn needs a CUDA torch; the planned torch is {torch}",
                                   torch=f"{torch}+{variant}"))
            return plan
        abi = torch_cxx11_abi(f"{torch}+{variant}", catalog)
        pinned = next((s.version for s in requirement.specifier if s.operator == "=="), None)
        if pinned and python and platform and abi is not None:
            asset = ext.wheel_url.format(version=pinned, cuda_tag=ext.wheel_cuda_tag(pinned, cuda.major),
                                         torch=f"{torch.major}.{torch.minor}",
                                         abi=str(abi).upper(), python=f"cp{python.replace('.', '')}",
                                         platform=platform.replace("-", "_"))
            plan.how = "wheel"
            plan.args = [["--no-deps", asset]]
            plan.reasons.append(_("the release asset built for torch {torch}, CUDA {cuda}, {abi}, {python}, {platform}; "
                                  "where the release has no such asset, build it: pip install --no-build-isolation "
                                  "{requirement}", torch=f"{torch.major}.{torch.minor}", cuda=cuda.major,
                                  abi=f"cxx11abi{str(abi).upper()}", python=python, platform=platform,
                                  requirement=text))
            return plan
        plan.reasons.append(_("flash-attn's setup.py downloads the release asset matching the installed torch, CUDA "
                              "major, ABI and Python, and builds only where there is none"))
        _build(ext, text, facts, cuda, plan)
        return plan
    if ext.key == "xformers" and _xformers(ext, torch, index_url, plan):
        return plan
    _build(ext, text, facts, cuda, plan)
    return plan


def split(requirements: Sequence[Requirement], catalog: Catalog) -> tuple[list[tuple[Extension, Requirement]],
                                                                           list[Requirement]]:
    """The requirements that are checked extensions (planned here), and the rest (installed as asked)."""
    extensions, rest = [], []
    for requirement in requirements:
        ext = catalog.by_dist(requirement.name)
        if ext is not None and ext.coupling in CHECKED:
            extensions.append((ext, requirement))
        else:
            rest.append(requirement)
    return extensions, rest


def plan_all(facts: Facts, requirements: Sequence[Requirement], torch_version: str, variant: str | None,
             python: str | None, platform: str | None, index_url: str | None) -> tuple[list[ExtensionPlan],
                                                                                       list[Requirement]]:
    """The resolver's hook: plans for the checked extensions among ``requirements``, and the requirements left."""
    from envdoctor.extensions import ExtensionDataError, builtin_catalog

    try:
        catalog = builtin_catalog()
    except ExtensionDataError:
        return [], list(requirements)
    extensions, rest = split(requirements, catalog)
    plans = [plan_extension(ext, requirement, facts, torch_version, variant, python, platform, index_url, catalog)
             for ext, requirement in extensions]
    return plans, rest


def with_extension_steps(steps: list[list[str]] | None, extensions: Sequence[dict[str, Any]]) -> list[list[str]] | None:
    """pip's or uv's steps with each planned extension's (``Plan.extensions``) after them, by the same head."""
    if not steps or not extensions:
        return steps
    first = steps[0]
    end = first.index("install") + 1
    if first[end:end + 1] == ["--python"]:
        end += 2
    head = first[:end]
    return [*steps, *([*head, *args] for extension in extensions for args in extension.get("args", []))]


def step_env(extensions: Sequence[Mapping[str, Any]], argv: Sequence[str]) -> dict[str, str]:
    """The variables a step of the plan runs with: a build step's ``MAX_JOBS`` and ``TORCH_CUDA_ARCH_LIST``
    (``Plan.extensions``), empty for every other step. A build step is the one whose arguments hold its
    extension's last ``args`` (the build), whatever the installer's head before them or flags after."""
    for extension in extensions:
        env, args = extension.get("env") or {}, extension.get("args") or []
        if env and args and _holds(argv, args[-1]):
            return {str(name): str(value) for name, value in env.items()}
    return {}


def _holds(argv: Sequence[str], part: Sequence[str]) -> bool:
    width = len(part)
    return any(list(argv[at:at + width]) == list(part) for at in range(len(argv) - width + 1))


def command_line(argv: Sequence[str], shell: str, extensions: Sequence[Mapping[str, Any]]) -> str | None:
    """A step as it pastes into ``shell``, with the variables its build needs set the way that shell sets them."""
    return join_with_env(argv, shell, step_env(extensions, argv))
