"""Learn new releases of the compiled extensions (recipes/extensions.toml) from the indexes. Pure.

What a refresh reads, per row of the data, and writes as read (only what the data lacks):

- a ``torch-pin`` row served by PyPI (xformers, vllm): the final releases newer than its newest known pin,
  each one's torch pin from the ``Requires-Dist`` of one of its wheels (PEP 658 METADATA, else byte ranges of
  the wheel) -> ``torch_pins``;
- a row whose wheels come from its own index (the PyG page per torch + variant, the OpenMMLab index per
  variant + torch): the page of each of the newest known torch releases and their variants, and the builds
  it lists (``torch_scatter 2.1.2+pt212cu130``) -> ``pages`` (an empty list: the index has no such page).

GitHub release assets (flash-attn) are not read: the output says so, and the data's rows stand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from typing import Any

from packaging.version import Version

from envdoctor.datatypes import datatype
from envdoctor.extensions import OVERLAY_SCHEMA, Catalog, Extension, torch_requirement
from envdoctor.i18n import _
from envdoctor.recipes import Recipes
from envdoctor.refresh.indexes import IndexFile, parse_wheel_name

__all__ = ["ExtensionMaterial", "ExtensionOutcome", "PageRead", "PinRead", "build", "pages_to_read", "pins_to_read",
           "pin_rows", "requires_dist", "toml"]

MAX_PIN_READS = 8  # new releases of one project whose METADATA a refresh reads (the newest)
PAGE_RELEASES = 3  # the newest known torch releases whose extension index pages are read
PAGE_KINDS = ("cuda", "cpu")  # the variants extension indexes publish pages for
_PREFERRED_PLATFORMS = ("linux-x86_64", "linux-aarch64", "windows-x86_64")


@datatype(frozen=True)
class PinRead:
    """One release's wheel whose METADATA says which torch it pins."""

    key: str  # the data's row
    release: str
    filename: str
    url: str
    metadata_url: str | None = None


@datatype(frozen=True)
class PageRead:
    """One page of an extension's own wheel index: the builds for one torch release and variant."""

    key: str
    torch: str  # "2.12.0+cu130": what the page is for
    url: str


@datatype
class ExtensionMaterial:
    """What the indexes answered: each row's PyPI files, each read wheel's METADATA (or its problem), and
    each page's files (None: no such page)."""

    files: dict[str, list[IndexFile]] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)  # filename -> METADATA text
    problems: dict[str, str] = field(default_factory=dict)  # row key or filename -> why it was not read
    page_problems: dict[str, str] = field(default_factory=dict)  # row key -> why its index's pages were not read
    pages: dict[PageRead, list[IndexFile] | None] = field(default_factory=dict)


@datatype
class ExtensionOutcome:
    overlay: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def pin_rows(catalog: Catalog) -> list[Extension]:
    return [ext for ext in catalog.extensions if ext.coupling == "torch-pin" and "pypi" in ext.wheels]


def _newest_known(ext: Extension) -> Version | None:
    return max((Version(release) for release in ext.torch_pins), default=None)


def _final_releases(files: Iterable[IndexFile], ext: Extension) -> dict[Version, list[IndexFile]]:
    releases: dict[Version, list[IndexFile]] = {}
    for entry in files:
        wheel = parse_wheel_name(entry.filename)
        if wheel is None or entry.yanked or wheel.name not in ext.dists or wheel.version.is_prerelease \
                or wheel.version.is_devrelease or wheel.local:
            continue
        releases.setdefault(wheel.version, []).append(entry)
    return releases


def _chosen_wheel(entries: Sequence[IndexFile]) -> IndexFile:
    """A release's wheel to read: one for a platform torch's own wheels serve first (its pins are the same)."""
    def rank(entry: IndexFile) -> tuple[int, str]:
        wheel = parse_wheel_name(entry.filename)
        platforms = wheel.platforms if wheel else ()
        return min((_PREFERRED_PLATFORMS.index(p) for p in platforms if p in _PREFERRED_PLATFORMS), default=9), entry.filename
    return min(entries, key=rank)


def pins_to_read(catalog: Catalog, files: Mapping[str, Sequence[IndexFile]]) -> list[PinRead]:
    """The wheels of releases newer than each torch-pin row's newest known pin (all, up to MAX_PIN_READS
    newest, where it has none)."""
    reads = []
    for ext in pin_rows(catalog):
        newest = _newest_known(ext)
        releases = _final_releases(files.get(ext.key, ()), ext)
        new = sorted((v for v in releases if newest is None or v > newest), reverse=True)[:MAX_PIN_READS]
        for version in new:
            entry = _chosen_wheel(releases[version])
            reads.append(PinRead(ext.key, str(version), entry.filename, entry.url, entry.metadata_url))
    return reads


def requires_dist(metadata: str) -> list[str]:
    """The ``Requires-Dist`` values of a METADATA text."""
    import email.parser

    message = email.parser.Parser().parsestr(metadata, headersonly=True)
    return [str(value) for value in message.get_all("Requires-Dist") or []]


def _variants(recipes: Recipes) -> list[tuple[str, str]]:
    """(torch X.Y.0, variant) of the newest PAGE_RELEASES known torch minors, CUDA and CPU variants."""
    seen: dict[str, list[str]] = {}
    for release in recipes.releases:
        version = Version(release.version)
        minor = f"{version.major}.{version.minor}.0"
        if minor in seen:
            continue
        if len(seen) == PAGE_RELEASES:
            break
        seen[minor] = [variant.name for variant in release.variants if variant.kind in PAGE_KINDS]
    return [(minor, variant) for minor, names in seen.items() for variant in names]


def pages_to_read(catalog: Catalog, recipes: Recipes, rewrite: Any = None) -> list[PageRead]:
    """The pages of each row's own index (``index_url`` with ``{torch_release}`` and ``{variant}``) for the
    newest known torch releases; ``rewrite`` (URL -> URL) applies a mirror."""
    reads = []
    for ext in catalog.extensions:
        if ext.wheels not in ("pyg-index", "openmmlab-index") or not ext.index_url:
            continue
        for minor, variant in _variants(recipes):
            url = ext.index_url.format(torch_release=minor, variant=variant)
            reads.append(PageRead(ext.key, f"{minor}+{variant}", rewrite(url) if rewrite else url))
    return reads


def _page_builds(ext: Extension, files: Sequence[IndexFile]) -> list[str]:
    """``torch_scatter 2.1.2+pt212cu130``: each distinct build of the row's distributions a page lists."""
    builds = set()
    for entry in files:
        wheel = parse_wheel_name(entry.filename)
        if wheel is not None and wheel.name in ext.dists:
            builds.add((wheel.name, wheel.version))
    return [f"{name} {version}" for name, version in sorted(builds)]


def build(catalog: Catalog, material: ExtensionMaterial, pages: Sequence[PageRead], fetched: str,
          pypi: str) -> ExtensionOutcome:
    """The overlay of extensions.toml: new torch pins, the pages read, and what could not be learnt."""
    outcome = ExtensionOutcome({"schema": OVERLAY_SCHEMA, "refresh": {"fetched": fetched, "pypi": pypi}})
    rows: dict[str, dict[str, Any]] = {}
    outcome.notes += [_("{extension}: {problem}: its new releases are not learnt", extension=ext.key,
                        problem=material.problems[ext.key])
                      for ext in pin_rows(catalog) if ext.key in material.problems]
    for read in pins_to_read(catalog, material.files):
        text = material.metadata.get(read.filename)
        spec = torch_requirement(requires_dist(text)) if text is not None else None
        if text is None:
            outcome.notes.append(_("{extension} {release}: its METADATA was not read ({problem}): its torch pin is "
                                   "not learnt", extension=read.key, release=read.release,
                                   problem=material.problems.get(read.filename, _("no answer"))))
        elif spec is None or not spec.startswith("=="):
            outcome.notes.append(_("{extension} {release}: {wheel} pins no single torch (Requires-Dist: "
                                   "torch{spec}): not written", extension=read.key, release=read.release,
                                   wheel=read.filename, spec=spec or ""))
        else:
            rows.setdefault(read.key, {}).setdefault("torch_pins", {})[read.release] = spec
            outcome.changes.append(_("{extension} {release} pins torch{spec} (Requires-Dist of {wheel})",
                                     extension=read.key, release=read.release, spec=spec, wheel=read.filename))
    outcome.notes += [_("{extension}: its index gave no usable answer ({problem}): its pages from there on are not "
                        "learnt", extension=key, problem=problem)
                      for key, problem in material.page_problems.items()]
    for page in pages:
        ext = next(e for e in catalog.extensions if e.key == page.key)
        if page not in material.pages:
            continue
        files = material.pages[page]
        builds = _page_builds(ext, files or [])
        rows.setdefault(page.key, {}).setdefault("pages", {})[page.torch] = builds
        listed = (", ".join(builds) if builds else _("no build of it") if files is not None
                  else _("nothing (no such page)"))
        outcome.changes.append(_("{extension}: the page for torch {torch} lists {builds}", extension=page.key,
                                 torch=page.torch, builds=listed))
    for ext in catalog.extensions:
        if ext.wheels == "github-release":
            outcome.notes.append(_("{extension}: its builds are GitHub release assets, which a refresh does not read "
                                   "(they cannot be reached offline nor through a package index): its asset names "
                                   "stay as the data has them", extension=ext.key))
    if rows:
        outcome.overlay["extension"] = rows
    return outcome



def toml(outcome: ExtensionOutcome) -> str:
    """The overlay as written beside the refreshed torch.toml."""
    from envdoctor.refresh.toml_writer import toml_text

    return toml_text(outcome.overlay, HEADER)


HEADER = ("Written by `envdoctor recipes refresh`: what the indexes say of the compiled extensions that the built-in\n"
          "recipes/extensions.toml lacks (torch pins of new releases, the builds each extension index page lists).\n"
          "Replaced by the next refresh; delete it to use the built-in data alone.")
