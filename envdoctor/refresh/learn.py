"""Learn new torch releases from the package indexes: files and METADATA in, a recipes overlay out.

Pure. :mod:`envdoctor.refresh.client` fetches; :mod:`.reading` decides what to read and what a wheel says;
:mod:`.inference` holds the rules for what no index tells (rules 1, 2 and 4 there; rules 3 and 5 are
applied here, where a release's row is written); :mod:`.toml_writer` writes the overlay's text.

What the indexes tell is written as read: a release's platforms and Pythons, its macOS and glibc floors,
its PyPI default build per platform, the variants the PyTorch index lists (each confirmed by its own
``<variant>/torch/`` page), the companion release that pins it, and the Pythons that companion has no
wheel for (``companion_gaps``). What they cannot tell is inferred and listed in the row's ``inferred``.

Where the PyTorch index gave no answer (``Material.pytorch_missing``), a release is learnt from PyPI
alone: its variants are PyPI's own builds, each on the platforms PyPI serves it for, and the release's
``note`` and first ``inferred`` entry say what only the index tells (:func:`unlearnt`).

Naming conventions, not inference: the ``cpu`` variant is on every platform (the PyPI wheels of
Windows, macOS and older aarch64 are CPU builds); macOS arm64 has ``mps`` when the nearest release has it,
and it is the PyPI default there.

Only releases the data lacks are written (newer than its oldest release, on PyPI and on the PyTorch
index). For releases the data has, differences the index shows are reported, never written: the
built-in rows come from build scripts and audits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from packaging.version import Version

from envdoctor.compat import COMPANIONS
from envdoctor.datatypes import datatype
from envdoctor.i18n import _
from envdoctor.recipes import KIND_PLATFORMS, Recipes, Release
from envdoctor.refresh.indexes import IndexFile, Wheel, wheel_platform
from envdoctor.refresh.inference import (
    admits,
    by_nearness,
    companion_gaps,
    cuda_body,
    floors_of,
    platform_order,
    python_order,
    rocm_body,
)
from envdoctor.refresh.reading import (
    MAX_NEW,
    PAIRING_WINDOW,
    Material,
    Releases,
    Sources,
    best_wheel,
    build_of,
    companion_candidates,
    cuda_pins,
    lacking_releases,
    parse_listings,
    torch_pin,
    uploaded_at,
    usable_wheels,
    variant_files,
)
from envdoctor.refresh.toml_writer import toml_text

__all__ = ["HEADER", "Outcome", "build", "unlearnt"]


@datatype
class Outcome:
    """A refresh's result: the overlay (as a table and as TOML), and what changed, for people."""

    overlay: dict[str, Any]
    releases: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # new releases, new variants, changed defaults
    notes: list[str] = field(default_factory=list)  # what was left out, and differences in known releases
    pytorch_missing: str = ""  # why the PyTorch index was not read ("": it was)
    not_learned: list[str] = field(default_factory=list)  # per release learnt from PyPI alone: what is unknown

    @property
    def text(self) -> str:
        return toml_text(self.overlay, HEADER)


HEADER = ("Written by `envdoctor recipes refresh`: the torch releases the built-in data lacks, learnt from\n"
          "PyPI and the PyTorch wheel index. `inferred` lists what no index tells (see recipes/README.md).\n"
          "Rerun the command to update it; delete this file to go back to the built-in data alone.")

@datatype
class _Context:
    known: Recipes
    material: Material
    sources: Sources
    today: str
    notes: list[str]
    listings: dict[str, Releases]
    variants: dict[Version, dict[str, list[Wheel]]]


def _pair(ctx: _Context, name: str, release: Version) -> tuple[str | None, str | None]:
    """(companion version, inferred text): an exact ``torch==X`` pin, else rule 4."""
    uploaded = uploaded_at(ctx.listings["torch"].get(release, []))
    candidates = companion_candidates(ctx.listings, name, release, ctx.known)
    by_date: list[tuple[Version, str]] = []
    for version, files in candidates:
        chosen = best_wheel(files, "linux-x86_64") or files[0][0]
        facts = ctx.material.wheels.get(chosen.filename)
        pin = torch_pin(facts) if facts is not None else None
        if pin is None:
            continue
        exact = [s for s in pin if s.operator in ("==", "===")]
        if exact and any(s.version == str(release) for s in exact):
            return str(version), None
        moment = uploaded_at(files)
        if not exact and uploaded is not None and moment is not None and abs(moment - uploaded) <= PAIRING_WINDOW \
                and pin.contains(str(release)):
            by_date.append((version, f"pins torch{pin}" if str(pin) else "names no torch version"))
    if by_date:
        version, said = max(by_date)
        return str(version), f"{name} {version} paired by upload date: its METADATA {said}, not torch=={release} (rule 4)"
    return None, None


def _release_entry(ctx: _Context, release: Version) -> dict[str, Any] | None:
    """The full overlay entry of one new release, or None (with a note) when it cannot be written."""
    wheels = ctx.listings["torch"][release]
    order = by_nearness(ctx.known, release)
    nearest = order[0] if order else None
    variants_found = ctx.variants.get(release, {})
    pypi_alone = bool(ctx.material.pytorch_missing)
    if not variants_found and not pypi_alone:
        ctx.notes.append(_("torch {release}: on PyPI, not on the PyTorch wheel index yet: not written", release=release))
        return None
    if nearest is None:
        ctx.notes.append(_("torch {release}: no known release to infer from: not written", release=release))
        return None
    inferred: list[str] = []
    platforms = platform_order(p for _file, wheel in wheels for p in wheel.platforms)
    python = {p: python_order(py for e, w in wheels if p in w.platforms for py in w.pythons
                               if admits(e.requires_python, py)) for p in platforms}
    python = {p: v for p, v in python.items() if v}
    platforms = [p for p in platforms if p in python]
    if not python:
        ctx.notes.append(_("torch {release}: no CPython wheel for a platform envdoctor plans for: not written",
                           release=release))
        return None
    lists = [tuple(v) for v in python.values()]
    common = max(set(lists), key=lambda item: (lists.count(item), item))
    spec: dict[str, Any] = {"python": list(common),
                            "python_by_platform": {p: v for p, v in python.items() if tuple(v) != common},
                            "platforms": platforms}
    macos_min: dict[str, str] = {}
    macos_by_python: dict[str, dict[str, str]] = {}
    glibc: dict[str, str] = {}
    for platform in platforms:
        floors = floors_of(wheels, platform)
        if not floors:
            continue
        lowest = min((f for f, _legacy in floors.values()), key=Version)
        if platform.startswith("macos"):
            macos_min[platform] = lowest
            special = {py: f for py, (f, _legacy) in floors.items() if Version(f) > Version(lowest)}
            if special:
                macos_by_python[platform] = special
        elif any(legacy for _floor, legacy in floors.values()):
            taken = nearest.glibc.get(platform)
            if taken:
                glibc[platform] = taken
                inferred.append(f"glibc {taken} on {platform} as {nearest.version}: the wheel's legacy manylinux "
                                "tag does not say its real floor (rule 5)")
        else:
            glibc[platform] = lowest
    spec.update(macos_min=macos_min, macos_min_by_python=macos_by_python, glibc=glibc)
    defaults, pins = _pypi_defaults(ctx, release, wheels, platforms, order)
    if defaults is None:
        return None
    if pypi_alone:
        variants_found = _pypi_builds(wheels, defaults)
    body_variants = _variant_bodies(ctx, release, variants_found, platforms, order, defaults, pins, glibc,
                                    confirmed=not pypi_alone)
    if body_variants is None:
        return None
    spec["pypi"] = defaults
    spec["index_style"] = nearest.index_style
    if nearest.conda is not None:
        conda: dict[str, Any] = {"style": nearest.conda.style}
        if nearest.conda.cuda:
            conda["cuda"] = list(nearest.conda.cuda)
        if nearest.conda.note:
            conda["note"] = nearest.conda.note
        spec["conda"] = conda
        inferred.append(f"conda recipe as {nearest.version} (rule 5)")
    gaps: dict[str, dict[str, list[str]]] = {}
    for name in COMPANIONS:
        version, why = _pair(ctx, name, release)
        if version is None:
            continue
        spec[name] = version
        if why:
            inferred.append(why)
        files = ctx.listings[name].get(Version(version), [])
        found = companion_gaps(python, files)
        if found:
            gaps[name] = found
    spec["companion_gaps"] = gaps
    series = f"{release.major}.{release.minor}"
    if series in ctx.known.series_variants:
        spec["drop_variants"] = list(ctx.known.series_variants[series])
    spec["variants"] = body_variants
    spec["source"] = _source(ctx, release, pins)
    if pypi_alone:
        spec["note"] = f"learnt from PyPI alone: the PyTorch wheel index {ctx.sources.index} was not read"
        inferred.insert(0, unlearnt(str(release), defaults))
    if inferred:
        spec["inferred"] = inferred
    return spec


def unlearnt(release: str, defaults: Mapping[str, str]) -> str:
    """What a release learnt from PyPI alone lacks: every build but PyPI's own, which only the PyTorch
    index lists, with the platforms each is built for."""
    builds = ", ".join(f"{p} {v}" for p, v in defaults.items())
    return _("torch {release}: only the PyPI builds are known ({builds}); the PyTorch index's per-variant builds "
             "(+cuXXX, +rocmX.Y, +xpu, +cpu), the platforms each is built for and their kernel architecture lists "
             "were not learnt (the PyTorch wheel index was not read)", release=release, builds=builds)


def _pypi_builds(wheels: Sequence[tuple[IndexFile, Wheel]], defaults: Mapping[str, str]) -> dict[str, list[Wheel]]:
    """The builds PyPI itself serves (its default on each platform) and their wheels: the variants of a
    release learnt without the PyTorch index."""
    found: dict[str, list[Wheel]] = {}
    for platform, name in defaults.items():
        found.setdefault(name, []).extend(w for _file, w in wheels if platform in w.platforms)
    return found


def _pypi_defaults(ctx: _Context, release: Version, wheels: Sequence[tuple[IndexFile, Wheel]], platforms: Sequence[str],
                   order: Sequence[Release]) -> tuple[dict[str, str] | None, dict[str, tuple[str | None, str | None, str]]]:
    """The PyPI default build per platform, read from its wheel (macOS: mps or cpu by convention)."""
    defaults: dict[str, str] = {}
    pins: dict[str, tuple[str | None, str | None, str]] = {}
    has_mps = bool(order) and order[0].variant("mps") is not None
    for platform in platforms:
        if platform.startswith("macos"):
            defaults[platform] = "mps" if platform == "macos-arm64" and has_mps else "cpu"
            continue
        entry = best_wheel(wheels, platform)
        facts = ctx.material.wheels.get(entry.filename) if entry is not None else None
        if facts is None or entry is None:
            ctx.notes.append(_("torch {release}: the {platform} wheel's METADATA was not read: not written",
                               release=release, platform=platform))
            return None, pins
        build, evidence = build_of(facts, platform)
        if build is None:
            ctx.notes.append(_("torch {release}: {file}: {evidence}: not written", release=release, file=entry.filename,
                               evidence=evidence))
            return None, pins
        defaults[platform] = build
        pins[platform] = (*cuda_pins(facts.metadata or "", platform)[:2], f"{entry.filename}: {evidence}")
    return defaults, pins


def _variant_bodies(ctx: _Context, release: Version, found: Mapping[str, Sequence[Wheel]], platforms: Sequence[str],
                    order: Sequence[Release], defaults: Mapping[str, str],
                    pins: Mapping[str, tuple[str | None, str | None, str]],
                    release_glibc: Mapping[str, str], confirmed: bool = True) -> dict[str, Any] | None:
    """The variant bodies: those the PyTorch index lists (``confirmed``: each by its own page, plus cpu and
    mps by convention), else the PyPI builds alone, each on the platforms PyPI serves it for."""
    bodies: dict[str, Any] = {"cpu": {}} if confirmed else {}
    if confirmed and "macos-arm64" in platforms and defaults.get("macos-arm64") == "mps":
        bodies["mps"] = {}
    default_table = ctx.known.variant_defaults
    linux_pin = pins.get("linux-x86_64", (None, None, ""))
    for name in sorted(found):
        page = ctx.material.variant_pages.get(name)
        listed = not confirmed or page is not None and any(w.version.public == str(release) and w.local == name
                                                             for _file, w in usable_wheels(page, "torch"))
        if not listed:
            ctx.notes.append(_("torch {release} {variant}: {page} does not list it: left out", release=release,
                               variant=name, page=f"{ctx.sources.index}/{name}/torch/"))
            continue
        on = [p for p in platform_order(p for w in found[name] for p in w.platforms) if p in platforms]
        if not on:
            continue
        kind = "cuda" if name.startswith("cu") else "rocm" if name.startswith("rocm") else name
        body: dict[str, Any]
        if kind == "cuda":
            made = cuda_body(name, on, order, default_table.get(name), (linux_pin[0], linux_pin[1]), ctx.notes, release)
            if made is None:
                continue
            body = made
        elif kind == "rocm":
            body = rocm_body(name, order, (default_table.get(name) or {}).get("note", ""))
            if on != ["linux-x86_64"]:
                body["platforms"] = on
        else:
            body = {}
            usual = {p for p in platforms if p in KIND_PLATFORMS.get(kind, ())}
            if kind == "xpu" and set(on) != set(KIND_PLATFORMS["xpu"]) or not confirmed and set(on) != usual:
                body["platforms"] = on
        glibc = {p: f for p, f in _variant_glibc(found[name], on).items() if release_glibc.get(p) != f}
        if glibc:
            body["glibc"] = glibc
        body["source"] = (f"PyTorch wheel index {ctx.sources.index}/{name}/torch/" if confirmed else
                          f"PyPI's own build of torch {release} on {', '.join(on)} (the PyTorch index was not read)")
        if not body.get("inferred"):
            body.pop("inferred", None)
        bodies[name] = body
    missing = sorted(set(defaults.values()) - set(bodies))
    if missing:
        if confirmed:
            ctx.notes.append(_("torch {release}: its PyPI build {builds} is not on the PyTorch index: not written",
                               release=release, builds=", ".join(missing)))
        else:
            ctx.notes.append(_("torch {release}: its PyPI build {builds} has no known kernel list to infer from: "
                               "not written", release=release, builds=", ".join(missing)))
        return None
    return bodies


def _variant_glibc(wheels: Sequence[Wheel], platforms: Sequence[str]) -> dict[str, str]:
    """The glibc a variant's own wheels need where their tags say (``manylinux_2_28``)."""
    out: dict[str, str] = {}
    for platform in (p for p in platforms if p.startswith("linux")):
        floors = [f for w in wheels for tag in w.tags for plat, f, legacy in [wheel_platform(tag)]
                  if plat == platform and f is not None and not legacy]
        if floors:
            out[platform] = min(floors, key=Version)
    return out


def _source(ctx: _Context, release: Version, pins: Mapping[str, tuple[str | None, str | None, str]]) -> str:
    read = ctx.material.read_from
    evidence = "; ".join(p[2] for p in pins.values() if p[2])
    pytorch = " ".join(part for part in ("PyTorch wheel index", read.get("pytorch", ""),
                                          "not read" if ctx.material.pytorch_missing else "") if part)
    return (f"envdoctor recipes refresh {ctx.today}: PyPI {read.get('torch', '')} ({ctx.sources.pypi_from}); "
            f"{pytorch}; {evidence}")


# ---------------------------------------------------------------------------- the overlay


def _describe(release: str, spec: Mapping[str, Any]) -> str:
    defaults = ", ".join(f"{p} {v}" for p, v in spec["pypi"].items())
    variants = ", ".join(sorted(spec["variants"]))
    companions = ", ".join(f"{n} {spec[n]}" for n in COMPANIONS if n in spec) or _("no companions")
    inferred = len(spec.get("inferred", [])) + sum(len(b.get("inferred", [])) for b in spec["variants"].values())
    if inferred:
        return _("new release {release}: variants {variants}; PyPI default {defaults}; {companions}; "
                 "{n} item(s) inferred", release=release, variants=variants, defaults=defaults, companions=companions,
                 n=inferred)
    return _("new release {release}: variants {variants}; PyPI default {defaults}; {companions}", release=release,
             variants=variants, defaults=defaults, companions=companions)


def _changed_defaults(known: Recipes, written: Mapping[Version, Mapping[str, Any]]) -> list[str]:
    """Each new release's PyPI default that differs from the release before it."""
    pypi: dict[Version, Mapping[str, str]] = {r.parsed: r.pypi for r in known.releases}
    pypi.update({v: s["pypi"] for v, s in written.items()})
    out: list[str] = []
    ordered = sorted(pypi)
    for version in written:
        before = [v for v in ordered if v < version]
        if not before:
            continue
        previous = pypi[before[-1]]
        for platform, build in pypi[version].items():
            if platform in previous and previous[platform] != build:
                out.append(_("changed default: torch {version} on {platform} is {build} (was {previous} in {before})",
                             version=version, platform=platform, build=build, previous=previous[platform],
                             before=before[-1]))
    return out


def _known_differences(known: Recipes, pytorch: Sequence[IndexFile]) -> list[str]:
    """Variants the PyTorch index lists for releases the data has, which the data lacks (reported only)."""
    out: list[str] = []
    variants = variant_files(pytorch)
    for release in known.releases:
        found = variants.get(release.parsed, {})
        extra = sorted(set(found) - {v.name for v in release.variants})
        if extra:
            out.append(_("torch {release}: the PyTorch index lists {variants}, which the data lacks "
                         "(not written: the built-in rows are kept)", release=release.version, variants=", ".join(extra)))
    return out


def build(known: Recipes, material: Material, sources: Sources, today: str, fetched: str, version: str) -> Outcome:
    """The overlay of every new release the indexes show, and what changed."""
    notes: list[str] = []
    changes: list[str] = []
    ctx = _Context(known, material, sources, today, notes, parse_listings(material.projects), variant_files(material.pytorch))
    written: dict[Version, dict[str, Any]] = {}
    lacking = lacking_releases(material.projects.get("torch", ()), known)
    if len(lacking) > MAX_NEW:
        notes.append(_("{n} older release(s) the data lacks left out: one refresh reads the newest {newest}",
                       n=len(lacking) - MAX_NEW, newest=MAX_NEW))
    for release in lacking[max(0, len(lacking) - MAX_NEW):]:
        entry = _release_entry(ctx, release)
        if entry is not None:
            written[release] = entry
    series: dict[str, Any] = {}
    for release, spec in written.items():
        name = f"{release.major}.{release.minor}"
        table = series.setdefault(name, {})
        if name not in known.series_variants:
            table.setdefault("source", f"envdoctor recipes refresh {today} (see each release's source)")
        table.setdefault("releases", {})[str(release)] = spec
        changes.append(_describe(str(release), spec))
    known_names = {v.name for r in known.releases for v in r.variants}
    for release, spec in written.items():
        for name in sorted(set(spec["variants"]) - known_names):
            changes.append(_("new variant {variant} (torch {release})", variant=name, release=release))
            known_names.add(name)
    changes += _changed_defaults(known, written)
    notes += _known_differences(known, material.pytorch)
    missing = material.pytorch_missing
    not_learned = [unlearnt(str(v), s["pypi"]) for v, s in written.items()] if missing else []
    if missing:
        notes.insert(0, _("the PyTorch wheel index was not read ({why}): releases learnt from PyPI alone, with "
                          "PyPI's own builds only; differences in known releases not checked", why=missing))
    overlay: dict[str, Any] = {
        "schema": "envdoctor.recipes.torch/2",
        "source": f"envdoctor recipes refresh {today}: PyPI {sources.pypi_simple} ({sources.pypi_from}), "
                  f"PyTorch wheel index {sources.index}" + (" not read: releases learnt from PyPI alone" if missing else ""),
        "checked": today,
        "refresh": {"pypi": sources.pypi_api or sources.pypi_simple, "index": sources.index, "fetched": fetched,
                    "envdoctor": version},
        "series": series,
    }
    return Outcome(overlay, [str(v) for v in written], changes, notes, missing, not_learned)
