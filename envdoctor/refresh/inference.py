"""The inference rules of a refresh: what no index tells about a new release, taken from the known releases
nearest it. Pure. Each rule's use is listed in the row's ``inferred``, which every plan built on the row
repeats as a warning (rules 3 and 5 are applied where the row is written, :mod:`.learn`):

1. kernel architectures (SASS, PTX) of a CUDA variant on a platform: those of the same variant on that
   platform in the nearest known release (older releases first, nearest first; then newer ones); failing
   that, of the newest variant of the same CUDA major there. A platform with neither is left out;
2. gfx targets of a ROCm variant: the nearest known release's same-named variant; a ROCm version new to
   the data gets an empty list (unknown: never chosen for an AMD GPU) marked UNVERIFIED;
3. a CUDA toolkit the data has no ``[variant.NAME]`` for: the PyPI wheel's ``cuda-toolkit`` pin when that
   wheel is this variant, else the CUDA version's first release (``13.4.0``);
4. a companion whose METADATA pins only a range (``torch>=2.14.0``) or nothing: paired when uploaded
   within a day of the torch release and its range admits it;
5. a glibc floor behind a legacy tag (``manylinux1``, ``manylinux2010``: torch's wheels needed more than
   the tag says), the conda recipe and the index style: as the nearest known release.

What the tags tell is read here too: a release's Pythons (``cp313t`` -> ``3.13t``; a tag its file's
Requires-Python refuses is left out), its macOS and glibc floors, and the Pythons a companion lacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from envdoctor import compat
from envdoctor.compat import WHEEL_PLATFORMS
from envdoctor.i18n import _
from envdoctor.recipes import KIND_PLATFORMS, Recipes, Release, VariantRecipe
from envdoctor.refresh.indexes import IndexFile, Wheel, wheel_platform

__all__ = [
    "admits", "by_nearness", "companion_gaps", "cuda_body", "floors_of", "platform_order", "python_order", "rocm_body",
]

def by_nearness(known: Recipes, release: Version) -> list[Release]:
    """Known releases by nearness to ``release``: older ones first (nearest first), then newer ones."""
    older = sorted((r for r in known.releases if r.parsed < release), key=lambda r: r.parsed, reverse=True)
    newer = sorted((r for r in known.releases if r.parsed > release), key=lambda r: r.parsed)
    return older + newer


def _kernels(order: Sequence[Release], name: str, platform: str) -> tuple[tuple[str, ...], tuple[str, ...], str] | None:
    """(SASS, PTX, where from) for variant ``name`` on ``platform``: rule 1."""
    for release in order:
        variant = release.variant(name)
        if variant is not None and platform in variant.platforms:
            sass, ptx = variant.kernels_for(platform)
            return sass, ptx, f"{release.version} {name}"
    major = (compat.variant_cuda(name) or "").split(".")[0]
    for release in order:
        same = [v for v in release.variants if v.kind == "cuda" and v.cuda and v.cuda.split(".")[0] == major
                and platform in v.platforms]
        if same:
            variant = max(same, key=lambda v: Version(v.cuda or "0"))
            sass, ptx = variant.kernels_for(platform)
            return sass, ptx, f"{release.version} {variant.name} (no known release has {name})"
    return None


def _own_note(variant: VariantRecipe, defaults_note: str) -> str:
    """A variant's note without the part its ``[variant.NAME]`` defaults add (the loader joins that again)."""
    note = variant.note
    if defaults_note and note.startswith(defaults_note):
        note = note[len(defaults_note):].lstrip("; ")
    return note


def cuda_body(name: str, platforms: Sequence[str], order: Sequence[Release], defaults: Mapping[str, str] | None,
               pin: tuple[str | None, str | None], notes: list[str], release: Version) -> dict[str, Any] | None:
    """A CUDA variant's body: its kernels by rule 1, its toolkit by rule 3."""
    kernels: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    taken_from: dict[str, list[str]] = {}
    for platform in platforms:
        found = _kernels(order, name, platform)
        if found is None:
            notes.append(_("torch {release} {variant} on {platform}: no known kernel list to infer from: left out",
                           release=release, variant=name, platform=platform))
            continue
        kernels[platform] = (found[0], found[1])
        taken_from.setdefault(found[2], []).append(platform)
    inferred = [f"{name} kernels on {', '.join(where)} as {source} (rule 1)" for source, where in taken_from.items()]
    if not kernels:
        return None
    kept = list(kernels)
    primary = "linux-x86_64" if "linux-x86_64" in kernels else kept[0]
    archs, ptx = kernels[primary]
    if not ptx:
        ptx = next((p for _archs, p in kernels.values() if p), ())
    body: dict[str, Any] = {"archs": list(archs)}
    by_platform = {p: list(s) for p, (s, _ptx) in kernels.items() if s != archs}
    if by_platform:
        body["archs_by_platform"] = by_platform
    if ptx:
        body["ptx"] = list(ptx)
        body["ptx_platforms"] = [p for p, (_archs, x) in kernels.items() if x == ptx]
    if set(kept) != set(KIND_PLATFORMS["cuda"]):
        body["platforms"] = kept
    same = next((v for r in order for v in [r.variant(name)] if v is not None), None)
    note = _own_note(same, (defaults or {}).get("note", "")) if same is not None else ""
    if note:
        body["note"] = note
    if defaults is None:
        cuda = compat.variant_cuda(name) or ""
        body.update(kind="cuda", cuda=cuda)
        if pin[0] == cuda and pin[1]:
            body.update(toolkit=pin[1], toolkit_source="the cuda-toolkit pin of the PyPI wheel's METADATA")
        else:
            body.update(toolkit=f"{cuda}.0", toolkit_source="the CUDA version's first release (rule 3)")
            inferred.append(f"toolkit {cuda}.0: no [variant.{name}] in the data (rule 3)")
    body["inferred"] = inferred
    return body


def rocm_body(name: str, order: Sequence[Release], defaults_note: str) -> dict[str, Any]:
    """A ROCm variant's body by rule 2."""
    for release in order:
        variant = release.variant(name)
        if variant is not None:
            body: dict[str, Any] = {"gfx": list(variant.gfx)}
            note = _own_note(variant, defaults_note)
            if note:
                body["note"] = note
            body["inferred"] = [f"{name} gfx targets as {release.version} {name} (rule 2)"]
            return body
    return {"gfx": [], "note": f"gfx targets UNVERIFIED: {name} is new to the data",
            "inferred": [f"{name} gfx targets unknown: no known release has {name} (rule 2)"]}


def platform_order(platforms: Iterable[str]) -> list[str]:
    present = set(platforms)
    return [p for p in WHEEL_PLATFORMS if p in present]


def python_order(pythons: Iterable[str]) -> list[str]:
    def key(text: str) -> tuple[bool, int]:
        return text.endswith("t"), int(text.rstrip("t").split(".")[1])

    return sorted(set(pythons), key=key)


def floors_of(wheels: Sequence[tuple[IndexFile, Wheel]], platform: str) -> dict[str, tuple[str, bool]]:
    """python -> (floor, legacy) of the release's wheels for a platform, from their tags."""
    out: dict[str, tuple[str, bool]] = {}
    for _file, wheel in wheels:
        for tag in wheel.tags:
            plat, floor, legacy = wheel_platform(tag)
            if plat != platform or floor is None:
                continue
            for python in wheel.pythons:
                old = out.get(python)
                if old is None or Version(floor) < Version(old[0]):
                    out[python] = (floor, legacy)
    return out


def admits(requires_python: str | None, python: str) -> bool:
    """Whether a file's Requires-Python admits Python tag ``python`` (``3.13t`` as 3.13): an installer skips
    the file otherwise, whatever its tag says. An unreadable Requires-Python admits every Python."""
    try:
        return requires_python is None or SpecifierSet(requires_python).contains(python.rstrip("t"))
    except InvalidSpecifier:
        return True


def companion_gaps(torch_python: Mapping[str, Sequence[str]], files: Sequence[tuple[IndexFile, Wheel]]) -> dict[str, list[str]]:
    """Per platform, the Pythons of torch with no wheel of the companion release."""
    gaps: dict[str, list[str]] = {}
    for platform, pythons in torch_python.items():
        missing = []
        for python in pythons:
            plain = python.rstrip("t")
            ok = False
            for entry, wheel in files:
                if platform not in wheel.platforms:
                    continue
                fits = python in wheel.pythons if wheel.pythons else (
                    not python.endswith("t") and Version(plain) >= Version(wheel.abi3_from)
                    if wheel.abi3_from else True)
                if fits and admits(entry.requires_python, python):
                    ok = True
                    break
            if not ok:
                missing.append(python)
        if missing:
            gaps[platform] = missing
    return gaps
