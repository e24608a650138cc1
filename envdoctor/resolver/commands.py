"""The install commands of a plan: pip, uv, conda and mamba argv lists, and each as a line per shell.

Pure: the chosen release and variant, where the torch family comes from and the pins in; argv lists out.
The torch family comes from the PyTorch index (or its mirror), everything else from the user's own index in
a second step; a conda plan installs into the target interpreter's own environment (``-p PREFIX``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from packaging.markers import Marker
from packaging.requirements import Requirement

from envdoctor import extension_plan
from envdoctor.compat import TORCH_FAMILY
from envdoctor.datatypes import datatype
from envdoctor.facts import Facts
from envdoctor.i18n import _, joined
from envdoctor.mirrors import MirrorChoice
from envdoctor.recipes import Mirror, Recipes, Release, VariantRecipe
from envdoctor.resolver.plan import MANAGERS, Plan, Wanted
from envdoctor.shells import shells_for


def installer_of(argv: Sequence[str]) -> str:
    """Which installer a command runs: ``pip`` (``python -m pip``, ``py -3.12 -m pip``, ``pip3``), ``uv`` (``uv
    pip``), ``conda``, ``mamba`` or ``micromamba``; "" for anything else."""
    at = argv.index("install") if "install" in argv else len(argv)
    words = [re.split(r"[\\/]", word)[-1].lower().removesuffix(".exe") for word in argv[:at]]
    program = words[0] if words else ""
    if program == "uv":
        return "uv" if words[1:] == ["pip"] else ""
    if program in ("conda", "mamba", "micromamba"):
        return program
    if re.fullmatch(r"pip[0-9.]*", program) or words[-2:] == ["-m", "pip"]:
        return "pip"
    return ""


def add_commands(plan: Plan, release: Release, variant: VariantRecipe, python: list[str] | None, reinstall: bool,
                 local: bool, index: TorchIndex, pypi_mirror: str | None, family: list[str], family_extras: list[str],
                 others: list[str], facts: Facts) -> None:
    """Every manager's steps into ``plan``, with the first step, each step as a line per shell and the notes."""
    for name in MANAGERS:
        steps, note = manager_steps(name, plan, release, variant, python, reinstall, local, index, pypi_mirror, family,
                                    family_extras, others, facts)
        steps = extension_plan.with_extension_steps(steps, plan.extensions) if name in ("pip", "uv") else steps
        plan.steps[name] = steps
        plan.commands[name] = steps[0] if steps else None
        if steps:
            plan.command_lines[name] = {shell: [extension_plan.command_line(argv, shell, plan.extensions) for argv in steps]
                                        for shell in shells_for(plan.platform)}
        if note:
            plan.command_notes[name] = note


def pip_torch_in_conda(facts: Facts) -> bool:
    """A torch that pip (or uv) put into a conda environment: conda must not install over it."""
    torch = facts.torch
    return bool(facts.python.conda_prefix) and torch.status in ("ok", "error") and bool(torch.version) \
        and not torch.conda and (torch.installer or "pip") != "conda"


@datatype
class TorchIndex:
    """Where the torch family comes from: its URL (None: the user's own index has the build), the
    installer flag for it, the mirror that serves it, and why the page differs from the release's own
    install instructions (``note``)."""

    url: str | None
    flag: str  # "--index-url" | "--extra-index-url" | "-f"
    layout: str
    mirror: str  # how the mirror was chosen ("--mirror sjtu", a recipes overlay) or ""
    note: str = ""


def torch_index(release: Release, variant: VariantRecipe, pypi_default: bool, mirrors: MirrorChoice | None,
                recipes: Recipes) -> TorchIndex:
    """The page the torch family is installed from: the variant's simple index (``--index-url`` from 2.0,
    ``--extra-index-url`` for 1.11-1.13), or for 1.8-1.10 the ``torch_stable.html`` find-links page.

    A mirror serving simple indexes (``--mirror sjtu``: its page documents the per-variant indexes and marks
    its ``torch_stable.html`` deprecated) serves a 1.8-1.10 release from the variant's simple index instead,
    with ``--extra-index-url`` and ``+variant`` pins: PyTorch's per-variant indexes hold those wheels too
    (``torch==1.8.1+cu111`` / ``1.10.2+cu111`` from ``whl/cu111``, ``1.10.0+cu113`` from ``whl/cu113`` in
    public installs), and the user's own index stays in play for the companions it lacks (torchaudio 0.x).
    """
    if pypi_default:
        return TorchIndex(None, "", "simple", "")
    variant_url = recipes.index_url(variant.name)
    url = recipes.find_links if release.index_style == "find-links" else variant_url
    chosen = mirrors.pytorch if mirrors else None
    mirror: Mirror | None = chosen if chosen is not None and _under(url, chosen.prefix) else recipes.mirror_for(url)
    via = "" if mirror is None else mirrors.pytorch_from if mirrors and mirror is chosen else \
        _("mirror row {prefix} ({source})", prefix=mirror.prefix, source=mirror.source or _("recipes overlay"))
    if mirror is None:
        flag = {"find-links": "-f", "extra-index-url": "--extra-index-url"}.get(release.index_style, "--index-url")
        return TorchIndex(url, flag, "find-links" if flag == "-f" else "simple", "")
    if mirror.layout == "find-links":
        return TorchIndex(mirror.replacement + url[len(mirror.prefix):], "-f", "find-links", via)
    if release.index_style == "find-links" and _under(variant_url, mirror.prefix):
        mirrored = mirror.replacement + variant_url[len(mirror.prefix):]
        note = _("torch {version} was published on a find-links page ({url}); {via} serves simple indexes, "
                 "so its {variant} index {mirrored} is used (PyTorch's per-variant indexes hold the 1.8-1.10 "
                 "wheels too), with --extra-index-url and +{variant} pins", version=release.version, url=url, via=via,
                 variant=variant.name, mirrored=mirrored)
        return TorchIndex(mirrored, "--extra-index-url", "simple", via, note)
    rewritten = mirror.replacement + url[len(mirror.prefix):]
    if release.index_style == "find-links":
        return TorchIndex(rewritten, "-f", "find-links", via)
    flag = "--extra-index-url" if release.index_style == "extra-index-url" else "--index-url"
    return TorchIndex(rewritten, flag, "simple", via)


def also(note: str, more: str) -> str:
    """``more`` after ``note`` (if any), as one note that is still said in the reader's language."""
    return joined([note, more]) if note else more


def _under(url: str, prefix: str) -> bool:
    return url == prefix or url.startswith(prefix + "/")


def installer_python(facts: Facts, os_name: str | None, python_tag: str | None) -> list[str] | None:
    """How the commands name the target interpreter; None when it is not known at all.

    A described machine's interpreter is named the way its OS runs one: ``python`` (the active
    environment's) elsewhere, the ``py`` launcher with the version on Windows.
    """
    python = facts.python
    if python.status == "unknown":
        if os_name == "windows":
            return ["py", f"-{python_tag}"] if python_tag else ["py"]
        return ["python"]
    return [python.executable] if python.executable else None


def local_pins(release: Release, pypi_default: bool, reinstall: bool, index: TorchIndex) -> bool:
    """Whether pins carry ``+variant``: the find-links/extra-index eras and find-links mirrors need it (the
    user's index stays in play, and PyPI's build of the same version must not win), and a reinstall from a
    variant index uses it so pip cannot treat a same-version build of another variant as satisfying."""
    if pypi_default:
        return False
    return index.flag in ("-f", "--extra-index-url") or reinstall


def marker_text(marker: Marker) -> str:
    """A marker with single-quoted values (PEP 508 allows both): a double quote inside an argument does
    not survive Windows PowerShell's passing to native programs."""
    text = str(marker)
    return text.replace('"', "'") if "'" not in text else text


def pin_text(name: str, version: str, wanted: Wanted, extras: bool) -> str:
    extra = sorted(wanted.extras.get(name, ())) if extras else []
    text = f"{name}{'[' + ','.join(extra) + ']' if extra else ''}=={version}"
    marker = wanted.markers.get(name)
    return f"{text}; {marker_text(marker)}" if marker is not None else text


def requirement_text(requirement: Requirement) -> str:
    text = requirement.name
    if requirement.extras:
        text += f"[{','.join(sorted(requirement.extras))}]"
    if requirement.url:
        text += f" @ {requirement.url}"
    elif requirement.specifier:
        text += str(requirement.specifier)
    if requirement.marker is not None:
        text += f"{' ' if requirement.url else ''}; {marker_text(requirement.marker)}"
    return text


def manager_steps(manager: str, plan: Plan, release: Release, variant: VariantRecipe, python: list[str] | None,
           reinstall: bool, local: bool, index: TorchIndex, pypi_mirror: str | None, family: list[str],
           family_extras: list[str], others: list[str], facts: Facts) -> tuple[list[list[str]] | None, str]:
    """Every command a manager runs. The torch family comes from the PyTorch index (or its mirror);
    everything else, and the extras' dependencies, from the user's own index in a second step that names
    the family's pins again so the installer keeps them."""
    if manager not in ("pip", "uv"):
        return _conda_steps(manager, plan, release, variant, reinstall, python, family, others, pypi_mirror, facts)
    if python is None:
        return None, _("the target interpreter is not known")
    force: list[str] = []
    note = ""
    if reinstall and not local:
        if manager == "pip":
            force = ["--force-reinstall"]
        else:
            force = [arg for name in TORCH_FAMILY
                     if any(p.startswith(name + "==") for p in family) for arg in ("--reinstall-package", name)]
        note = _("same version, another build: the torch family is force-reinstalled from PyPI")
    elif reinstall:
        note = _("the local version +{variant} makes the installer replace the installed build", variant=variant.name)
    if index.note:
        note = also(note, index.note)
    user_index = ["--index-url", pypi_mirror] if pypi_mirror else []
    if manager == "pip":
        head = [*python, "-m", "pip", "install"]
    else:
        target = python[0] if python[0] not in ("python", "py") else (plan.python or "")
        head = ["uv", "pip", "install", *(["--python", target] if target else [])]
    if index.url is None:  # PyPI's own build: one step from the user's index
        return [[*head, *force, *family_extras, *others, *user_index]], note
    torch_index = [index.flag, index.url]
    # the user's index stays in play when the torch index is only added (-f, --extra-index-url): a PyPI
    # mirror then serves torch's dependencies too
    first = [*head, *force, *family, *torch_index, *(user_index if index.flag != "--index-url" else [])]
    steps = [first]
    if others or family_extras != family:
        steps.append([*head, *family_extras, *others, *user_index])
        if others:
            note = also(note, _("other requirements come from your own index in a second step "
                                "(the PyTorch index does not serve them)"))
    return steps, note


def _conda_steps(manager: str, plan: Plan, release: Release, variant: VariantRecipe, reinstall: bool,
                 python: list[str] | None, family: list[str], others: list[str], pypi_mirror: str | None,
                 facts: Facts) -> tuple[list[list[str]] | None, str]:
    """The conda/mamba command, into the target interpreter's own conda environment (``-p PREFIX``)."""
    target = facts.python
    prefix: list[str] = []
    if target.status != "unknown":
        if not target.conda_prefix:
            what = _("a venv") if target.in_venv else _("a system Python") if target.status == "ok" else _("not known")
            return None, _("the target interpreter {path} is {what}, not a conda environment: conda "
                           "installs only into conda environments (use pip or uv, or --python a conda env's python)",
                           path=target.executable or "", what=what)
        if pip_torch_in_conda(facts):
            return None, _("torch {version} was installed with {installer} into this "
                           "conda environment; a conda install over it leaves two copies that shadow each other: change "
                           "it with pip, or remove it first (python -m pip uninstall torch)",
                           version=facts.torch.version, installer=facts.torch.installer or "pip")
        prefix = ["-p", target.conda_prefix]
    argv, note = _conda_command(manager, plan, release, variant, reinstall, prefix)
    if argv is None:
        return None, note
    steps = [argv]
    if target.status == "unknown":
        python = ["python"]  # the activated conda environment's interpreter, not the py launcher's choice
    if others:
        if python is None:
            return None, _("the target interpreter is not known, so the other requirements cannot be installed with pip")
        pins = [p.split(";")[0].split("+")[0] for p in family]
        steps.append([*python, "-m", "pip", "install", *pins, *others,
                      *(["--index-url", pypi_mirror] if pypi_mirror else [])])
        note = also(note, _("other requirements are PyPI names: pip installs them into the same environment"))
    return steps, note


def _conda_command(manager: str, plan: Plan, release: Release, variant: VariantRecipe, reinstall: bool,
                   prefix: list[str]) -> tuple[list[str] | None, str]:
    conda = release.conda
    if conda is None:
        return None, _("torch {version} has no conda recipe", version=release.version)
    if variant.kind in ("rocm", "xpu"):
        return None, _("conda has no {kind} build of torch; use pip or uv", kind=variant.kind.upper())
    head = [manager, "install", "-y", *prefix] + (["--force-reinstall"] if reinstall else [])
    vision = [f"torchvision=={release.torchvision}"] if release.torchvision and any(
        p.startswith("torchvision") for p in plan.packages) else []
    audio = [f"torchaudio=={release.torchaudio}"] if release.torchaudio and any(
        p.startswith("torchaudio") for p in plan.packages) else []
    if conda.style in ("cudatoolkit", "pytorch-cuda"):
        base = [f"pytorch=={release.version}", *vision, *audio]
        if variant.kind == "cuda":
            if variant.cuda not in conda.cuda:
                return None, _("the pytorch conda channel had no CUDA {cuda} build of {version} (had {had})",
                               cuda=variant.cuda, version=release.version, had=", ".join(conda.cuda))
            if conda.style == "cudatoolkit":
                return head + base + [f"cudatoolkit={variant.cuda}", "-c", "pytorch", "-c", "conda-forge"], ""
            return head + base + [f"pytorch-cuda={variant.cuda}", "-c", "pytorch", "-c", "nvidia"], ""
        if variant.kind == "cpu" and plan.platform and not plan.platform.startswith("macos"):
            return head + base + ["cpuonly", "-c", "pytorch"], ""
        return head + base + ["-c", "pytorch"], ""
    note = _("conda-forge builds its own CUDA variants; cuda-version pins the CUDA line")
    # conda-forge's torchaudio has linux-64, linux-aarch64, osx-64 and osx-arm64 builds, no win-64
    # (anaconda.org/conda-forge/torchaudio/files)
    if audio and (plan.platform or "").startswith("windows"):
        return None, _("conda-forge has no Windows build of torchaudio: install this plan with pip or uv "
                       "(--manager pip), or leave torchaudio out")
    vision += audio
    if variant.kind == "cuda":
        return head + ["-c", "conda-forge", f"pytorch-gpu=={release.version}", *vision, f"cuda-version={variant.cuda}"], note
    if variant.kind == "cpu" and plan.platform and not plan.platform.startswith("macos"):
        return head + ["-c", "conda-forge", f"pytorch-cpu=={release.version}", *vision], note
    return head + ["-c", "conda-forge", f"pytorch=={release.version}", *vision], note
