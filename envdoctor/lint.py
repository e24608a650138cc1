"""``envdoctor lint``: what is stale or wrong in a copied torch install command, and what to run instead.

Commands come from the command line or from a file, read by :mod:`envdoctor.readers.install_commands`
(nothing is ever run and no shell is involved). A finding names the reason and its source (the recipe row,
the release that ended an era); the replacement comes from the resolver, for this machine or a described
one, with the same packages and the same manager where that manager still works. The reader's names and
:func:`~envdoctor.render.lint.render_lint_text` are re-exported for the command line. What a command asks for
is read in :mod:`envdoctor.lint_wanted`, the command to run instead comes from :mod:`envdoctor.lint_instead`, and
CUDA toolkit and cuDNN installs are judged in :mod:`envdoctor.lint_cuda`.

Pure: facts, recipes and the commands read in, findings out.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement
from packaging.specifiers import SpecifierSet

from envdoctor import compat
from envdoctor.facts import Facts, Finding
from envdoctor.i18n import Text, _, joined, listed
from envdoctor.lint_cuda import SYSTEM_TOOLS, _judge_cuda_install
from envdoctor.lint_instead import Judged as Judged
from envdoctor.lint_instead import _finding, _plan, _replacement, _with_instead, _with_python
from envdoctor.lint_wanted import Wanted as Wanted
from envdoctor.lint_wanted import wanted_of as wanted_of
from envdoctor.lint_wanted import with_versions
from envdoctor.readers.images import Image
from envdoctor.readers.install_commands import Install, Script
from envdoctor.readers.install_commands import Line as Line
from envdoctor.readers.install_commands import file_kind as file_kind
from envdoctor.readers.install_commands import parse_command as parse_command
from envdoctor.readers.install_commands import read_file_installs as read_file_installs
from envdoctor.recipes import Recipes, Release, VariantRecipe
from envdoctor.render.lint import render_lint_text as render_lint_text
from envdoctor.resolver import Plan, Request, resolve, torch_family
from envdoctor.target import describe_target

PYTORCH_HOSTS = ("pytorch.org",)
WHEEL_HOST = "download.pytorch.org"
#: The most install commands of one file judged (each asks the resolver); the rest are counted.
MAX_COMMANDS = 200


# ---------------------------------------------------------------------------- judging


def _newest(recipes: Recipes) -> Release:
    return recipes.releases[0]


def _releases_with(recipes: Recipes, variant: str) -> list[Release]:
    return [r for r in recipes.releases if r.variant(variant) is not None]


def judge_script(script: Script) -> Judged | None:
    """A script piped to a shell from a PyTorch address (there is none to pipe); None for other scripts."""
    judged = Judged(script.source, script.text)
    host = (urlsplit(script.url).hostname or "").lower()
    if not any(host == h or host.endswith("." + h) for h in PYTORCH_HOSTS):
        return None
    judged.findings.append(_finding(
        script.source, script.text, "lint.no-such-installer", "error",
        _("PyTorch has no installer script: {url} is not one (pytorch.org hosts the documentation and "
          "{wheel_host} the wheels), and piping it to {shell} would run whatever that address returns. "
          "envdoctor never runs it.", url=script.url, wheel_host=WHEEL_HOST, shell=script.shell),
        _("PyTorch's install page (https://pytorch.org/get-started/locally/) gives pip, uv and conda commands only"),
        fix=_("install torch with pip, uv or conda (the command below)")))
    return judged


def judge(install: Install, facts: Facts, recipes: Recipes) -> Judged | None:
    """Findings for one install command, and the resolver's command for the same intent; None for a command
    that installs nothing of the torch family and no CUDA toolkit or cuDNN. A command of a Dockerfile is
    judged for its stage's image (:func:`image_facts`), everything else for ``facts``."""
    if install.image is not None:
        facts = image_facts(install.image, facts, recipes)
    if install.tool in SYSTEM_TOOLS:
        return _judge_cuda_install(install, facts, recipes)
    judged = Judged(install.source, install.text)
    wanted = wanted_of(install)
    direct = _judge_direct_references(install)
    if not wanted.any and not wanted.pytorch_cuda:
        cuda = _judge_cuda_install(install, facts, recipes)
        extensions_alone = _judge_extensions(install, wanted, None, facts, recipes)
        if not extensions_alone and not direct:
            return cuda
        judged = cuda or judged
        judged.findings.extend(direct + extensions_alone)
        return judged
    conda = install.tool in ("conda", "mamba", "micromamba")
    out = judged.findings
    out.extend(direct)
    add = out.append
    src, text = install.source, install.text
    for word in install.redirected:
        add(_finding(src, text, "lint.unquoted-specifier", "error",
                     _("'{word}' reaches the shell unquoted: it is a redirection, so the installer gets the bare name "
                       "and the shell writes a file", word=word), _("POSIX shell redirection operators (> and <)"),
                     fix=_("quote each requirement with a version: 'torch>=2.4'")))
    if wanted.stub:
        add(_finding(src, text, "lint.pytorch-stub", "error",
                     _("'pytorch' on PyPI is a placeholder that fails to install ('You tried to install \"pytorch\". "
                       "The package named for PyTorch is \"torch\"'): the package is 'torch'"),
                     _("the PyPI project 'pytorch' (setup.py raises that exception; pytorch/pytorch#939, #42353)"),
                     fix=_("install 'torch'")))
    for text_ in wanted.unreadable:
        add(_finding(src, text, "lint.unreadable-requirement", "error",
                     _("'{requirement}' is not a requirement the installer can read", requirement=text_),
                     _("PEP 508 / conda match specs")))
    instead, note, plan = _replacement(install, wanted, facts, recipes)
    out.extend(_judge_extensions(install, wanted, plan, facts, recipes))
    _judge_indexes(install, wanted, recipes, out)
    if conda:
        _judge_conda(install, wanted, recipes, out)
    variant_known = _judge_variant(install, wanted, recipes, out, plan)
    if not conda and wanted.locals and not install.indexes:
        pinned = listed(f"{n}+{local}" for n, local in wanted.locals.items())
        add(_finding(src, text, "lint.local-pin-without-index", "error",
                     _("{pinned}: PyPI has no wheels with a local version (+{local}); without the PyTorch index or "
                       "find-links page no such version is found", pinned=pinned,
                       local=next(iter(wanted.locals.values()))),
                     _("PEP 440 local versions; PyPI accepts no uploads with a local version"),
                     fix=_("use the plain version with the variant's index URL (the command below)")))
    unpaired = _judge_companions(install, wanted, recipes, out)
    chosen = _what_it_installs(install, wanted, facts, recipes, conda, variant_known, unpaired, out)
    if chosen is not None and _judge_fit(install, wanted, chosen, facts, recipes, out):
        _judge_against_plan(install, wanted, chosen, plan, facts, recipes, out)
    return _with_instead(judged, instead, note)


def _judge_direct_references(install: Install) -> list[Finding]:
    """``torch @ URL``, ``nvidia-cudnn-cu12 @ URL``: the same rule as ``envdoctor install`` (one family rule in
    :func:`envdoctor.resolver.torch_family`): a direct reference bypasses the build chosen for the machine."""
    if install.tool not in ("pip", "uv"):
        return []
    out = []
    for text_ in install.requirements:
        try:
            requirement = compat.parse_requirement(text_)
        except InvalidRequirement:
            continue
        if requirement.url is not None and torch_family(requirement.name):
            out.append(_finding(
                install.source, install.text, "lint.direct-reference", "error",
                _("'{requirement}' installs whatever lies at that URL, not the build chosen for this machine or what "
                  "torch was made with (envdoctor install refuses it)", requirement=text_),
                _("PEP 508 direct references; one rule for torch, its companions, 'pytorch', triton, pytorch-triton* "
                  "and nvidia-* (the projects torch's wheels pin)"),
                fix=_("name a version instead (torch>=2.4) and let the plan choose the build: "
                      "envdoctor install --dry-run")))
    return out


FLASH_ATTN_README = "https://github.com/Dao-AILab/flash-attention#installation-and-features (pip install flash-attn " \
    "--no-build-isolation)"


def _torch_of(wanted: Wanted, plan: Plan | None, facts: Facts, recipes: Recipes, manager: str) -> tuple[str, str]:
    """(torch version, where it comes from) an extension in the command must agree with: the command's own torch
    pin, else the torch its plan installs, else the installed torch, else the torch the resolver plans here."""
    if "torch" in wanted.pins:
        return wanted.pins["torch"], _("the command pins torch {version}", version=wanted.pins["torch"])
    if plan is not None and plan.ok and plan.torch:
        return plan.torch, _("the command, planned for this machine, installs torch {version}", version=plan.torch)
    if facts.torch.status == "ok" and facts.torch.version:
        return facts.torch.version, _("torch {version} is installed", version=facts.torch.version)
    planned = _plan(facts, ["torch"], manager, recipes)
    if not planned.ok:
        return "", ""
    return planned.torch or "", _("the torch for this machine is {version}", version=planned.torch)


def _judge_extensions(install: Install, wanted: Wanted, plan: Plan | None, facts: Facts,
                      recipes: Recipes) -> list[Finding]:
    """Compiled extensions of the torch ecosystem in a pip or uv command (recipes/extensions.toml): a source build
    without --no-build-isolation builds against a throw-away torch (or none), and an xformers pin whose wheels
    need another torch makes pip replace the torch the command, its plan or the machine has."""
    from envdoctor import extensions

    if install.tool not in ("pip", "uv") or not wanted.others:
        return []
    try:
        catalog = extensions.builtin_catalog()
    except extensions.ExtensionDataError:
        return []
    out: list[Finding] = []
    words = install.text.split()
    for text in wanted.others:
        try:
            requirement = compat.parse_requirement(text)
        except InvalidRequirement:
            continue
        ext = catalog.by_dist(requirement.name)
        if ext is None:
            continue
        dist = ext.dists[0]
        if ext.coupling == "torch-abi" and ext.wheels in ("github-release", "source") \
                and "--no-build-isolation" not in words:
            out.append(_finding(
                install.source, install.text, "lint.extension-build-isolation", "error",
                _("{dist} compiles against the torch it imports at build time: without --no-build-isolation pip "
                  "builds it in an isolated environment with no torch (\"No module named 'torch'\") or a fresh one "
                  "from PyPI, not the torch installed here", dist=dist),
                FLASH_ATTN_README if dist == "flash-attn" else ext.source[0],
                fix=_("install torch first, then: pip install {dist} --no-build-isolation (and ninja, packaging)",
                      dist=dist)))
        pinned = next((spec.version for spec in requirement.specifier if spec.operator in ("==", "===")), None)
        needs = ext.torch_pins.get(pinned) if pinned else None
        if ext.coupling != "torch-pin" or needs is None:
            continue
        torch, whence = _torch_of(wanted, plan, facts, recipes, install.manager)
        parsed = compat.parse_version(torch)
        if parsed is None or parsed.public in SpecifierSet(needs):
            continue
        fits = next((release for release, pin in reversed(list(ext.torch_pins.items()))
                     if parsed.public in SpecifierSet(pin)), None)
        out.append(_finding(
            install.source, install.text, "lint.extension-moves-torch", "error",
            _("{dist}=={pinned}'s wheels require torch{needs}, but {whence}: pip replaces that torch with "
              "torch{needs} (from PyPI's default build) to satisfy the pin", dist=dist, pinned=pinned, needs=needs,
              whence=whence),
            ext.source[0],
            fix=_("pin {dist}=={release}, the release built for torch {torch}, from the same index as torch; or add "
                  "--no-deps to keep torch as it is", dist=dist, release=fits, torch=parsed.public) if fits else
            _("pin the {dist} release built for torch {torch}, or install torch{needs} on purpose, from the same "
              "index as torch; or add --no-deps to keep torch as it is", dist=dist, torch=parsed.public, needs=needs)))
    return out


def _judge_indexes(install: Install, wanted: Wanted, recipes: Recipes, out: list[Finding]) -> None:
    for flag, url in install.indexes:
        path = urlsplit(url).path
        if path.endswith(("torch_stable.html", "torch_lts.html", "torch_nightly.html")):
            era = [r for r in recipes.releases if r.index_style == "find-links"]
            last = era[0].version if era else "1.10.2"
            nxt = [r for r in recipes.releases if r.index_style != "find-links" and r.parsed > era[0].parsed] if era else []
            since = nxt[-1].version if nxt else "1.11.0"
            out.append(_finding(
                install.source, install.text, "lint.find-links-page", "warning",
                _("{flag} {url} is the find-links page of the torch 1.x era: the newest release installed that way "
                  "is {last}; since {since} wheels come from a per-variant index (--index-url {index_url}), and "
                  "+cuXYZ pins are no longer needed", flag=flag, url=url, last=last, since=since,
                  index_url=recipes.index_url("cu126")),
                _("recipes/torch.toml: index_style 'find-links' up to {last} ({source})", last=last,
                  source=era[0].source if era else ""),
                fix=_("use the variant's index URL (the command below)")))


def _judge_conda(install: Install, wanted: Wanted, recipes: Recipes, out: list[Finding]) -> None:
    on_channel = [r for r in recipes.releases if r.conda is not None and r.conda.style in ("cudatoolkit", "pytorch-cuda")]
    last = on_channel[0] if on_channel else None
    channels = [c.lower().rstrip("/").rsplit("/", 1)[-1] for c in install.channels]
    if "pytorch" in channels and "torch" in wanted.specs and last is not None:
        pinned = wanted.pins.get("torch")
        pinned_version = compat.parse_version(pinned)
        beyond = pinned_version is not None and pinned_version > last.parsed
        out.append(_finding(
            install.source, install.text, "lint.pytorch-conda-channel", "error" if beyond else "warning",
            _conda_channel_message(last.version, pinned if beyond else None, wanted.pytorch_cuda),
            _("recipes/torch.toml: {note}", note=last.conda.note if last.conda and last.conda.note else
              _("conda style per release")),
            fix=_("install from conda-forge (or with pip): the command below")))
    era = [r for r in recipes.releases if r.conda is not None and r.conda.style == "cudatoolkit"]
    spec = wanted.specs.get("torch", SpecifierSet())
    beyond_era = not era or any(spec.contains(r.parsed, prereleases=True) for r in recipes.releases if r.parsed > era[0].parsed)
    if wanted.cudatoolkit is not None and "torch" in wanted.specs and beyond_era:
        until = era[0].version if era else "1.12.1"
        out.append(_finding(
            install.source, install.text, "lint.cudatoolkit", "warning",
            _("cudatoolkit={version} is how the pytorch channel paired a CUDA line up to torch {until}; later "
              "releases used pytorch-cuda, and current ones are not on that channel", version=wanted.cudatoolkit,
              until=until),
            _("recipes/torch.toml: conda style 'cudatoolkit' up to {until}", until=until),
            fix=_("drop cudatoolkit: the command below pairs the CUDA line itself")))


def _conda_channel_message(last: str, missing: str | None, pytorch_cuda: str | None) -> Text:
    """The pytorch channel's end, with the pinned release it lacks and the CUDA pairing the command names."""
    if missing and pytorch_cuda:
        return _("the pytorch conda channel got no builds after torch {last}: this installs {last} at the newest, "
                 "and pytorch {pinned} is not there at all. pytorch-cuda={cuda} is that channel's CUDA pairing "
                 "(with -c nvidia). conda-forge builds current releases", last=last, pinned=missing, cuda=pytorch_cuda)
    if missing:
        return _("the pytorch conda channel got no builds after torch {last}: this installs {last} at the newest, "
                 "and pytorch {pinned} is not there at all. conda-forge builds current releases",
                 last=last, pinned=missing)
    if pytorch_cuda:
        return _("the pytorch conda channel got no builds after torch {last}: this installs {last} at the newest. "
                 "pytorch-cuda={cuda} is that channel's CUDA pairing (with -c nvidia). conda-forge builds current "
                 "releases", last=last, cuda=pytorch_cuda)
    return _("the pytorch conda channel got no builds after torch {last}: this installs {last} at the newest. "
             "conda-forge builds current releases", last=last)


def _judge_variant(install: Install, wanted: Wanted, recipes: Recipes, out: list[Finding], plan: Plan) -> bool:
    """Whether the variant asked for (if any) exists in some release; findings when it does not, or when only old
    releases have it and this machine is better served by another (a legacy variant that is still the one for the
    machine's driver is no finding)."""
    variant = wanted.variant
    if variant is None or variant == "cpu":
        return True
    having = _releases_with(recipes, variant)
    newest = _newest(recipes)
    oldest = recipes.releases[-1]
    if not having:
        out.append(_finding(
            install.source, install.text, "lint.variant-gone", "error",
            _("no torch release from {oldest} to {newest} has a {variant} build (from {origin}); current releases "
              "are built for {variants}", oldest=oldest.version, newest=newest.version, variant=variant,
              origin=wanted.variant_from, variants=listed(v.name for v in newest.variants if v.kind == "cuda")),
            _("recipes/torch.toml: the variants of every release since 1.8.0"),
            fix=_("use a variant your driver runs (the command below picks one)")))
        return False
    still_the_one = plan.ok and plan.variant == variant and plan.torch == having[0].version
    pinned = recipes.release(wanted.pins["torch"]) if "torch" in wanted.pins else None
    chosen_with_its_release = pinned is not None and pinned.variant(variant) is not None
    if newest.variant(variant) is None and not still_the_one and not chosen_with_its_release:
        out.append(_finding(
            install.source, install.text, "lint.variant-outdated", "warning",
            _("{variant} (from {origin}) is not built any more: the newest release with it is torch {having}, the "
              "newest release is {newest}", variant=variant, origin=wanted.variant_from, having=having[0].version,
              newest=newest.version),
            _series(having[0]),
            fix=_("use a current variant (the command below)")))
    return True


def _judge_companions(install: Install, wanted: Wanted, recipes: Recipes, out: list[Finding]) -> set[str]:
    """The companions whose versions in the command do not include the one the pinned torch pairs (the pairing
    of recipes/torch.toml): the installer then finds no set that fits, though torch itself has builds. A finding
    for each, with the command as written but with the paired versions to paste."""
    torch = wanted.pins.get("torch")
    release = recipes.release(torch) if torch else None
    if release is None:
        return set()
    paired = {name: version for name in compat.COMPANIONS if (version := release.companion(name))}
    unpaired = {name: version for name, version in paired.items() if name in wanted.specs
                and not wanted.specs[name].contains(version, prereleases=True)}
    fixed = with_versions(install, unpaired) if unpaired else None
    for name, version in unpaired.items():
        out.append(_finding(
            install.source, install.text, "lint.companion-mismatch", "error",
            _("{requirement} does not pair torch=={torch}: torch {torch} pairs {name} {paired}",
              requirement=f"{name}{wanted.specs[name]}", torch=torch, name=name, paired=version),
            _series(release),
            fix=_("pin {name}=={paired}, or leave it unpinned: {command}", name=name, paired=version, command=fixed)
            if fixed else _("pin {name}=={paired}, or leave it unpinned", name=name, paired=version)))
    return set(unpaired)


def _series(release: Release) -> Text:
    """Where a release's facts are written down."""
    return _("recipes/torch.toml: series {series} ({source})", series=release.series, source=release.source)


def _what_it_installs(install: Install, wanted: Wanted, facts: Facts, recipes: Recipes, conda: bool,
                      variant_known: bool, unpaired: set[str], out: list[Finding]) -> tuple[Release, VariantRecipe] | None:
    """The release and variant this command installs on the machine, the way the installer picks: the newest
    release matching the pins that the index (or PyPI, or the conda channel) has for this platform and Python,
    whether or not it runs on the GPUs. Asked of the resolver with the accelerators left out of the facts.
    With ``unpaired`` companions nothing installs: torch is asked alone, and only whether it finds nothing
    too is said (the companions' findings say the rest)."""
    if not variant_known or wanted.stub:
        return None
    platform = compat.target_platform(facts)
    channels = [c.lower().rstrip("/").rsplit("/", 1)[-1] for c in install.channels]
    if conda and "pytorch" not in channels:
        return None  # conda-forge (or defaults) pick their own build: not modelled here
    custom_index = not conda and any(WHEEL_HOST not in (urlsplit(u).hostname or "") for _flag, u in install.indexes)
    if custom_index and not wanted.variant:
        return None  # a mirror or private index: what it holds is not known
    spec = wanted.specs.get("torch", SpecifierSet())
    if conda:
        on_channel = [r for r in recipes.releases if r.conda is not None and r.conda.style != "conda-forge"]
        spec &= SpecifierSet(f"<={on_channel[0].version}") if on_channel else SpecifierSet("<0")
    requirements = [f"torch{spec}"] + [f"{n}{wanted.specs[n]}" for n in compat.COMPANIONS
                                       if n in wanted.specs and n not in unpaired]
    blind = _without_accelerators(_with_python(facts, wanted.python), recipes)
    plan = resolve(blind, Request(requirements, variant=wanted.variant, allow_prerelease=install.pre, upgrade=True),
                   recipes)
    release = recipes.release(plan.torch) if plan.ok and plan.torch else None
    if release is not None and unpaired:
        return None
    if release is not None:
        name = wanted.variant or release.pypi.get(platform or "")
        variant = release.variant(name) if name else None
        return (release, variant) if variant is not None else None
    python = wanted.python or compat.python_tag(facts)
    pinned = wanted.pins.get("torch")
    pinned_version = compat.parse_version(pinned)
    if pinned and recipes.release(pinned) is None and pinned_version is not None and (
            pinned_version < recipes.releases[-1].parsed):
        out.append(_finding(
            install.source, install.text, "lint.release-too-old", "warning",
            _("torch {pinned} is older than every release envdoctor knows ({oldest} on): whether its wheels install "
              "on this Python and run on these GPUs is not checked", pinned=pinned,
              oldest=recipes.releases[-1].version),
            _("recipes/torch.toml: releases from 1.8.0"), fix=_("use a current release (the command below)")))
        return None
    pinned_release = recipes.release(pinned) if pinned else None
    if pinned_release is not None and wanted.variant and pinned_release.variant(wanted.variant) is None:
        out.append(_finding(
            install.source, install.text, "lint.index-lacks-version", "error",
            _("torch {pinned} has no {variant} build (it has {variants}): {origin} offers no such wheel",
              pinned=pinned, variant=wanted.variant, variants=listed(v.name for v in pinned_release.variants),
              origin=wanted.variant_from),
            _series(pinned_release),
            fix=_("pick a variant the release has, or the release the variant has (the command below)")))
    elif spec != SpecifierSet() or python is not None:
        out.append(_finding(
            install.source, install.text, "lint.nothing-installs", "error",
            _nothing_installs(str(spec), wanted.variant or "PyPI", platform or _("this platform"), python),
            _("recipes/torch.toml: platforms, Pythons and variants per release"),
            fix=_("the command below picks a release that installs here")))
    return None


def _nothing_installs(spec: str, variant: str, platform: str, python: str | None) -> Text:
    """No release the command's pins allow has a build for this platform (and Python)."""
    if spec and python:
        return _("no torch release matching {spec} has a {variant} build for {platform} for Python {python}: the "
                 "installer finds nothing", spec=spec, variant=variant, platform=platform, python=python)
    if spec:
        return _("no torch release matching {spec} has a {variant} build for {platform}: the installer finds nothing",
                 spec=spec, variant=variant, platform=platform)
    if python:
        return _("no torch release has a {variant} build for {platform} for Python {python}: the installer finds "
                 "nothing", variant=variant, platform=platform, python=python)
    return _("no torch release has a {variant} build for {platform}: the installer finds nothing", variant=variant,
             platform=platform)


def _without_accelerators(facts: Facts, recipes: Recipes) -> Facts:
    """The facts with no GPU and no driver, and nothing installed: what an installer looks at when it picks."""
    blind = describe_target(facts, recipes=recipes, no_gpu=True)
    blind.torch.status, blind.torch.version = "absent", None
    return blind


def _judge_fit(install: Install, wanted: Wanted, chosen: tuple[Release, VariantRecipe], facts: Facts,
               recipes: Recipes, out: list[Finding]) -> bool:
    """The build the command installs, checked against the machine by the resolver (driver, kernels, Python);
    whether it runs there."""
    release, variant = chosen
    plan = resolve(_with_python(facts, wanted.python), Request([f"torch=={release.version}"], variant=variant.name),
                   recipes)
    if plan.ok:
        return True
    # one release and variant asked for by name: a plan not made rejects that build, with its reason
    reasons = [r["reason"] for r in plan.rejected if r.get("torch") == release.version and r.get("variant") == variant.name]
    default = _from_the_default(install, wanted)
    what = (_("torch {version} from PyPI (its default wheel here is {variant})", version=release.version,
              variant=variant.name) if default else f"torch {release.version} {variant.name}")
    out.append(_finding(
        install.source, install.text, "lint.default-build-does-not-fit" if default else "lint.variant-does-not-fit",
        "error", _("this installs {what}, which does not run on this machine: {reasons}", what=what,
                   reasons=joined(reasons)),
        _("the resolver (recipes/torch.toml series {series}; {source})", series=release.series, source=variant.source),
        fix=_("the command below picks the build for this machine")))
    return False


def _from_the_default(install: Install, wanted: Wanted) -> bool:
    """Whether the variant is the one PyPI (or the channel) picks, not one the command names."""
    return not install.indexes and not wanted.variant and install.tool not in ("conda", "mamba", "micromamba")


def _judge_against_plan(install: Install, wanted: Wanted, chosen: tuple[Release, VariantRecipe], plan: Plan,
                        facts: Facts, recipes: Recipes, out: list[Finding]) -> None:
    """A build that runs here but is not the kind ``install`` plans for the same request: a GPU build where
    torch can use no GPU (gigabytes of CUDA libraries for nothing), or PyPI's CPU default where it can."""
    if not plan.ok or plan.torch is None or plan.variant is None:
        return
    planned = (recipes.release(plan.torch) or chosen[0]).variant(plan.variant)
    release, variant = chosen
    if planned is None or planned.kind == variant.kind:
        return
    # every plan the resolver makes says why it chose its variant ("variant cu126: ...")
    because = next(r["decision"] for r in plan.reasons if r["decision"].startswith("variant "))
    if variant.kind in ("cuda", "rocm") and planned.kind == "cpu":
        out.append(_finding(
            install.source, install.text, "lint.gpu-build-without-gpu", "warning",
            (_("this installs torch {version} {variant} (the PyPI default here), a {kind} build whose GPU libraries "
               "are gigabytes that this machine cannot use: install plans the CPU build ({planned}) for it",
               version=release.version, variant=variant.name, kind="CUDA" if variant.kind == "cuda" else "ROCm",
               planned=plan.variant) if _from_the_default(install, wanted) else
             _("this installs torch {version} {variant}, a {kind} build whose GPU libraries are gigabytes that this "
               "machine cannot use: install plans the CPU build ({planned}) for it", version=release.version,
               variant=variant.name, kind="CUDA" if variant.kind == "cuda" else "ROCm", planned=plan.variant)),
            _("the resolver, for the same request as `envdoctor install`: {because}", because=because),
            fix=_("install the CPU build (the command below)")))
    elif variant.kind == "cpu" and _from_the_default(install, wanted):
        out.append(_finding(
            install.source, install.text, "lint.cpu-build-on-gpu", "warning",
            _("PyPI's default wheel here is torch {version} {variant}, which leaves the GPU unused "
              "(torch.cuda.is_available() is False): install plans {planned} for it", version=release.version,
              variant=variant.name, planned=plan.variant),
            _("the resolver, for the same request as `envdoctor install`: {because}", because=because),
            fix=_("install the GPU build from its index (the command below)")))


# ---------------------------------------------------------------------------- images


def image_facts(image: Image, facts: Facts, recipes: Recipes) -> Facts:
    """The machine a Dockerfile stage installs into: Linux on the image's (or the builder's) architecture with
    the image's Python; its GPUs are the ones --gpu/--driver/--no-gpu describe, else unknown (never this host's)."""
    host = compat.target_platform(facts) or ""
    arch = image.arch or (facts.os.arch if host.startswith("linux-") and facts.os.arch else "x86_64")
    out = describe_target(Facts(), recipes=recipes, target_os="linux", target_arch=arch,
                          target_python=image.python or (facts.python.version if facts.python.status == "unknown" else None))
    out.overrides = [o for o in facts.overrides if o.startswith(ACCELERATOR_FLAGS)]
    if out.overrides:
        described = copy.deepcopy(facts)
        out.nvidia, out.rocm, out.xpu, out.apple = described.nvidia, described.rocm, described.xpu, described.apple
    if image.distro is not None:
        out.os.distro_id, out.os.distro_version = image.distro
    return out


ACCELERATOR_FLAGS = ("--gpu ", "--driver ", "--no-gpu")


# ---------------------------------------------------------------------------- the whole input


def lint_installs(installs: Iterable[Install], scripts: Iterable[Script], facts: Facts, recipes: Recipes) -> list[Judged]:
    """Every command judged (the first :data:`MAX_COMMANDS`; a repeated command once), in the order of the input."""
    seen: dict[tuple[str, str, str], Judged | None] = {}
    judged: list[Judged] = []
    installs = list(installs)
    for position, install in enumerate(installs):
        key = (install.tool, install.text, install.image.source if install.image is not None else "")
        if key not in seen:
            if len(seen) >= MAX_COMMANDS:
                left = len(installs) - position
                judged.append(Judged(install.source, install.text, [Finding(
                    "lint.too-many-commands", "info", "lint",
                    _("only the first {most} different install commands are judged: {left} more from here on are not",
                      most=MAX_COMMANDS, left=left), subject=install.source)]))
                break
            seen[key] = judge(install, facts, recipes)
        first = seen[key]
        if first is not None:
            judged.append(first if first.source == install.source else _again(first, install.source))
    judged += [j for j in (judge_script(s) for s in scripts) if j is not None]
    for item in judged:
        if item.instead is None and any(f.id == "lint.no-such-installer" for f in item.findings):
            steps, note, _plan_ = _replacement(Install(item.source, item.text, "pip", ["torch"]),
                                               Wanted(specs={"torch": SpecifierSet()}), facts, recipes)
            _with_instead(item, steps, note)
    return sorted(judged, key=lambda j: _order(j.source))


def _again(judged: Judged, source: str) -> Judged:
    """The judgement of a command repeated at another line."""
    findings = [dataclasses.replace(f, subject=source, evidence=list(f.evidence), commands=list(f.commands))
                for f in judged.findings]
    return Judged(source, judged.text, findings, judged.instead, judged.instead_note, list(judged.then))


def _order(source: str) -> tuple[str, int]:
    name, _colon, number = source.rpartition(":")
    return (name, int(number)) if number.isdigit() else (source, 0)


# ---------------------------------------------------------------------------- the report


def machine_summary(facts: Facts, python_from: str = "") -> Text:
    """One line naming the machine the commands were judged for; ``python_from`` says where its Python was read."""
    platform = compat.target_platform(facts) or _("platform not known")
    python = compat.python_tag(facts)
    if python and python_from:
        out = _("{platform} · Python {version} (from {origin})", platform=platform, version=python, origin=python_from)
    elif python:
        out = _("{platform} · Python {version}", platform=platform, version=python)
    else:
        out = _("{platform} · Python not known", platform=platform)
    gpus = [g.name or "?" for g in facts.nvidia.visible_gpus()] + [g.name or g.arch or "?" for g in facts.rocm.gpus]
    if gpus:
        out = _("{machine} · {gpus}", machine=out, gpus=listed(gpus))
    elif facts.nvidia.status not in ("unknown", "gpus_unknown"):
        out = _("{machine} · no NVIDIA or AMD GPU", machine=out)
    if facts.nvidia.driver_version:
        out = _("{machine} · driver {version}", machine=out, version=facts.nvidia.driver_version)
    if facts.overrides:
        out = _("{machine} (described by {flags})", machine=out, flags=listed(facts.overrides))
    return out


def judged_for(installs: Iterable[Install], facts: Facts, recipes: Recipes) -> str:
    """Whom the commands were judged for: this (or the described) machine, or each Dockerfile stage's image."""
    images = list({id(i.image): i.image for i in installs if i.image is not None}.values())
    if not images:
        return machine_summary(facts)
    described = any(o.startswith(ACCELERATOR_FLAGS) for o in facts.overrides)
    parts = []
    for image in images:
        machine = image_facts(image, facts, recipes)
        python_from = image.python_from if image.python and compat.python_tag(machine) == image.python else ""
        summary = machine_summary(machine, python_from)
        parts.append(_("image {image}: {machine}", image=image.summary(), machine=summary) if described else
                     _("image {image}: {machine} · GPU not described (--gpu/--driver, or --no-gpu)",
                       image=image.summary(), machine=summary))
    return joined(parts)


def findings_of(judged: list[Judged]) -> list[Finding]:
    """Every finding, with the note on the replacement command in its evidence."""
    out = []
    for item in judged:
        for finding in item.findings:
            if item.instead_note:
                finding.evidence.append(_("instead: {note}", note=item.instead_note))
            out.append(finding)
    return out
