"""Compiled extensions of the torch ecosystem: what an installed one was built for, and whether that fits torch.

A wheel of flash-attn, torch_scatter or xformers is built against one torch: another torch X.Y, CUDA major
or C++ ABI fails at import with ``undefined symbol`` (or xformers' "built for" warning), or pip replaces
torch to satisfy the extension's pin. The build is read from what the wheel says of itself: its local
version label (``+pt24cu121``, ``+cu12torch2.6cxx11abiFALSE``, ``+cu121``) and its ``Requires-Dist`` pins
on torch, with ``recipes/extensions.toml`` for how each project writes them. Everything here is pure:
text and facts in, data out; the file is read through the door by :func:`load_catalog`. packaging's
requirement and specifier parsers are imported where used: check's start-up does not pay for them when no
extension is installed.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from envdoctor.compat import parse_version, python_tag, target_platform
from envdoctor.datatypes import datatype
from envdoctor.facts import Facts, Finding
from envdoctor.i18n import _, listed

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes

SCHEMA = "envdoctor.recipes.extensions/1"
FILE_NAME = "extensions.toml"
MAX_FILE_BYTES = 256 * 1024
LABELS = ("flash-attn", "pyg", "cuda", "none")
COUPLINGS = ("torch-abi", "torch-pin", "pinned-by-torch", "cuda-runtime", "jit")
WHEEL_SOURCES = ("github-release", "pyg-index", "openmmlab-index", "pypi", "pypi+pytorch-index", "source")
EXTENSION_KEYS = frozenset({
    "dists", "import", "compiled", "coupling", "label", "wheels", "wheel_url", "index_url", "build_gb_per_job",
    "build_minutes_64_cores", "wheel_cuda_tags", "wheel_cuda_major_from", "symptom", "source", "note", "torch_pins",
})
TORCH_ABI_KEYS = frozenset({"cxx11_from", "unsettled", "per_variant", "source", "note"})
PER_VARIANT_KEYS = frozenset({"cxx11", "pre_cxx11", "plain", "source"})
# The patterns are kept as text and compiled by re on first use (and cached there): check reads the catalog on
# every machine but matches none of them unless an extension is installed.
_DIST_NAME = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

# "+cu12torch2.6cxx11abiFALSE", "+cu123torch2.4cxx11abiTRUE", "+rocm62torch2.5cxx11abiFALSE" (flash-attn setup.py)
_FLASH_LABEL = r"^(?:cu(?P<cu>\d{2,3})|rocm(?P<rocm>\d{2,3}))torch(?P<torch>\d+\.\d+)cxx11abi(?P<abi>true|false)$"
# "+pt24cu121", "+pt212cu130", "+pt20cpu", "+pt112cu116" (the PyG wheel index)
_PYG_LABEL = r"^pt(?P<major>\d)(?P<minor>\d{1,2})(?:cu(?P<cu>\d{2,3})|(?P<cpu>cpu))$"
# "+cu121", "+cu118", "+cpu" (xformers, vllm, torchao on the PyTorch index)
_CUDA_LABEL = r"^(?:cu(?P<cu>\d{2,3})|(?P<cpu>cpu))$"


class ExtensionDataError(ValueError):
    """extensions.toml cannot be used; ``problems`` lists every 'file: entry: problem'."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@datatype(frozen=True)
class Extension:
    """One row of extensions.toml: a project, the distributions it ships and how its builds are named."""

    key: str
    dists: tuple[str, ...]
    import_name: str
    compiled: bool
    coupling: str
    label: str
    wheels: str
    source: tuple[str, ...]
    symptom: str = ""
    wheel_url: str = ""
    index_url: str = ""
    build_gb_per_job: int | None = None
    build_minutes_64_cores: tuple[int, int] | None = None  # (fewest, most) minutes of a build on 64 cores
    torch_pins: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    #: the first release of each era of asset names -> CUDA major -> the CUDA tag its assets carry
    wheel_cuda_tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    wheel_cuda_major_from: Version | None = None  # the first release whose assets carry the CUDA major only
    #: learnt by ``recipes refresh``: "torch X.Y.Z+variant" -> the builds its own index's page lists
    pages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def wheel_cuda_tag(self, version: str, cuda_major: int) -> str:
        """``122``, ``123`` or ``12``: the CUDA part of the asset name of release ``version`` for a CUDA
        ``cuda_major`` torch."""
        parsed = parse_version(version)
        if self.wheel_cuda_major_from is None or (parsed is not None and parsed >= self.wheel_cuda_major_from):
            return str(cuda_major)
        eras = sorted((Version(first), tags) for first, tags in self.wheel_cuda_tags.items())
        tags = next((tags for first, tags in reversed(eras) if parsed is None or parsed >= first), {})
        return tags.get(str(cuda_major), str(cuda_major))


@datatype(frozen=True)
class Catalog:
    """The validated extension catalog (recipes/extensions.toml, with a refresh's overlay)."""

    extensions: tuple[Extension, ...]
    cxx11_from: Version
    abi_unsettled: tuple[str, ...] = ()
    #: releases whose Linux wheels differ per variant: release -> variant -> C++11 ABI; "" is a version
    #: without a label (PyPI's build)
    abi_per_variant: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)

    def by_dist(self, name: str) -> Extension | None:
        wanted = normalise(name)
        return next((ext for ext in self.extensions if wanted in ext.dists), None)

    def dist_names(self) -> frozenset[str]:
        return frozenset(name for ext in self.extensions for name in ext.dists)


@datatype(frozen=True)
class BuiltFor:
    """What an installed extension says it was built for; None where it does not say."""

    torch: tuple[int, int] | None = None  # torch X.Y of the label
    cuda: tuple[int, int | None] | None = None  # (12, 4), or (12, None) where the label names the major only
    cpu: bool = False  # a +cpu / +ptXYcpu build
    rocm: str | None = None  # "6.2"
    cxx11_abi: bool | None = None
    torch_spec: str | None = None  # the torch Requires-Dist asks for, "==2.4.1"
    evidence: tuple[str, ...] = ()  # "label +pt24cu121", "Requires-Dist: torch==2.4.1"

    @property
    def known(self) -> bool:
        return any(v is not None for v in (self.torch, self.cuda, self.rocm, self.cxx11_abi, self.torch_spec)) or self.cpu


@datatype(frozen=True)
class TorchBuild:
    """The installed torch as the comparison needs it."""

    version: str  # "2.5.1+cu124"
    cuda: str | None = None  # torch.version.cuda: "12.4"
    hip: str | None = None
    cxx11_abi: bool | None = None

    @property
    def release(self) -> Version | None:
        parsed = parse_version(self.version)
        return Version(parsed.public) if parsed is not None else None


@datatype(frozen=True)
class Mismatch:
    """One way the build disagrees with the installed torch."""

    aspect: str  # "torch" | "cuda" | "cpu" | "abi" | "pin"
    built: str
    installed: str


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``torch_scatter`` -> ``torch-scatter``."""
    return re.sub(r"[-_.]+", "-", name).lower()


# ---------------------------------------------------------------------------- the data


def _strings(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)


def _extension(key: str, row: Any, origin: str, problems: list[str]) -> Extension | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    where = f"{origin}: extension {key!r}"
    if not isinstance(row, dict):
        problems.append(f"{where}: must be a table")
        return None
    count = len(problems)
    unknown = sorted(set(row) - EXTENSION_KEYS)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}")
    dists = row.get("dists") or []
    if not _strings(dists) or not all(re.match(_DIST_NAME, d) for d in dists):
        problems.append(f"{where}: 'dists' must be a non-empty list of normalised distribution names (a-z, 0-9, '-')")
    for name, allowed in (("coupling", COUPLINGS), ("label", LABELS), ("wheels", WHEEL_SOURCES)):
        if row.get(name) not in allowed:
            problems.append(f"{where}: {name!r} must be one of {', '.join(allowed)}, not {row.get(name)!r}")
    if not isinstance(row.get("import"), str) or not row["import"].isidentifier():
        problems.append(f"{where}: 'import' must be a module name")
    if not isinstance(row.get("compiled"), bool):
        problems.append(f"{where}: 'compiled' must be true or false")
    if not _strings(row.get("source")):
        problems.append(f"{where}: 'source' must be a non-empty list of where each fact comes from")
    for name in ("symptom", "wheel_url", "index_url", "note"):
        if not isinstance(row.get(name, ""), str):
            problems.append(f"{where}: {name!r} must be a string")
    for name in ("wheel_url", "index_url"):
        if row.get(name) and not str(row[name]).startswith("https://"):
            problems.append(f"{where}: {name!r} must be an https URL")
    gb = row.get("build_gb_per_job")
    if gb is not None and (isinstance(gb, bool) or not isinstance(gb, int) or not 0 < gb <= 256):
        problems.append(f"{where}: 'build_gb_per_job' must be a whole number of GB (1-256)")
    minutes = row.get("build_minutes_64_cores")
    if minutes is not None and not (isinstance(minutes, list) and len(minutes) == 2 and all(
            isinstance(m, int) and not isinstance(m, bool) and 0 < m <= 1440 for m in minutes) and minutes[0] <= minutes[1]):
        problems.append(f"{where}: 'build_minutes_64_cores' must be [fewest, most] whole minutes")
    tags = row.get("wheel_cuda_tags", {})
    if not isinstance(tags, dict) or not all(
            parse_version(first) is not None and isinstance(era, dict)
            and all(k.isdigit() and isinstance(v, str) and v.isdigit() for k, v in era.items())
            for first, era in tags.items()):
        problems.append(f"{where}: 'wheel_cuda_tags' must map a release to a table of CUDA major = digits")
        tags = {}
    major_from = row.get("wheel_cuda_major_from")
    if major_from is not None and parse_version(major_from) is None:
        problems.append(f"{where}: 'wheel_cuda_major_from' must be a release")
    pins = row.get("torch_pins", {})
    if not isinstance(pins, dict):
        problems.append(f"{where}: 'torch_pins' must be a table of release = specifier")
        pins = {}
    for release, spec in pins.items():
        if parse_version(release) is None:
            problems.append(f"{where}: torch_pins: {release!r} is not a version")
        try:
            SpecifierSet(spec if isinstance(spec, str) else "!")
        except InvalidSpecifier:
            problems.append(f"{where}: torch_pins {release!r}: {spec!r} is not a version specifier")
    if len(problems) > count:
        return None
    return Extension(key, tuple(str(d) for d in dists), row["import"], row["compiled"], row["coupling"], row["label"],
                     row["wheels"],
                     tuple(row["source"]), row.get("symptom", ""), row.get("wheel_url", ""), row.get("index_url", ""),
                     gb, (minutes[0], minutes[1]) if minutes else None, dict(pins), row.get("note", ""),
                     {first: dict(era) for first, era in tags.items()},
                     parse_version(major_from) if major_from else None)


def parse_catalog(text: str, origin: str = FILE_NAME) -> Catalog:
    """Validate extensions.toml; every problem names the file, the entry and what is wrong."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExtensionDataError([f"{origin}: not valid TOML: {exc}"]) from None
    problems: list[str] = []
    if data.get("schema") != SCHEMA:
        problems.append(f"{origin}: schema must be {SCHEMA!r}, not {data.get('schema')!r}")
    unknown = sorted(set(data) - {"schema", "source", "torch_abi", "extension"})
    if unknown:
        problems.append(f"{origin}: unknown top-level key(s) {', '.join(unknown)}")
    abi = data.get("torch_abi")
    cxx11_from = parse_version(abi.get("cxx11_from")) if isinstance(abi, dict) else None
    if not isinstance(abi, dict) or cxx11_from is None or not _strings(abi.get("source")):
        problems.append(f"{origin}: [torch_abi] needs 'cxx11_from' (a torch release) and 'source' (a list)")
    elif set(abi) - TORCH_ABI_KEYS:
        problems.append(f"{origin}: [torch_abi]: unknown key(s) {', '.join(sorted(set(abi) - TORCH_ABI_KEYS))}")
    unsettled = abi.get("unsettled", []) if isinstance(abi, dict) else []
    if not isinstance(unsettled, list) or not all(isinstance(v, str) and parse_version(v) for v in unsettled):
        problems.append(f"{origin}: [torch_abi]: 'unsettled' must be a list of torch releases")
        unsettled = []
    per_variant = _per_variant(abi.get("per_variant", {}) if isinstance(abi, dict) else {}, origin, problems)
    rows = data.get("extension")
    if not isinstance(rows, dict) or not rows:
        raise ExtensionDataError([*problems, f"{origin}: needs [extension.NAME] tables"])
    extensions = [ext for key, row in rows.items() if (ext := _extension(key, row, origin, problems)) is not None]
    seen: dict[str, str] = {}
    for ext in extensions:
        for name in ext.dists:
            if name in seen:
                problems.append(f"{origin}: extension {ext.key!r}: {name!r} is already listed by {seen[name]!r}")
            seen[name] = ext.key
    if problems or cxx11_from is None:
        raise ExtensionDataError(problems)
    return Catalog(tuple(extensions), cxx11_from, tuple(unsettled), per_variant)


def _per_variant(table: Any, origin: str, problems: list[str]) -> dict[str, dict[str, bool]]:
    """``[torch_abi.per_variant."2.6"]``: the variants built with each ABI, the variant of a plain version, a source."""
    where = f"{origin}: [torch_abi.per_variant]"
    if not isinstance(table, dict):
        problems.append(f"{where} must be a table of release tables")
        return {}
    out: dict[str, dict[str, bool]] = {}
    for release, row in table.items():
        if parse_version(release) is None or not isinstance(row, dict):
            problems.append(f"{where}: {release!r} must be a torch release (X.Y) with a table")
            continue
        if set(row) - PER_VARIANT_KEYS or not _strings(row.get("source")):
            problems.append(f"{where} {release!r}: keys are {', '.join(sorted(PER_VARIANT_KEYS))}; 'source' is a list")
            continue
        cxx11, pre = row.get("cxx11", []), row.get("pre_cxx11", [])
        if not all(names == [] or _strings(names) for names in (cxx11, pre)) or set(cxx11) & set(pre):
            problems.append(f"{where} {release!r}: 'cxx11' and 'pre_cxx11' are lists of variants, none in both")
            continue
        abi = {**{variant: True for variant in cxx11}, **{variant: False for variant in pre}}
        plain = row.get("plain")
        if plain is not None:
            if plain not in abi:
                problems.append(f"{where} {release!r}: 'plain' must be one of the variants listed")
                continue
            abi[""] = abi[plain]
        out[release] = abi
    return out


def builtin_path() -> Path:
    from envdoctor.recipes import builtin_dir

    return builtin_dir() / FILE_NAME


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The catalog in ``path`` (default: the built-in file), read bounded and regular-file-only."""
    from envdoctor.door import UserFileError, read_user_file

    path = Path(path) if path is not None else builtin_path()
    try:
        text = read_user_file(str(path), MAX_FILE_BYTES)
    except UserFileError as exc:
        raise ExtensionDataError([f"{path.name}: cannot read: {exc}"]) from None
    return parse_catalog(text, path.name)


OVERLAY_SCHEMA = "envdoctor.recipes.extensions-refreshed/1"
_PAGE_KEY = r"^\d+\.\d+\.\d+\+[a-z0-9.]+$"


def parse_overlay(text: str, catalog: Catalog, origin: str = FILE_NAME) -> Catalog:
    """``catalog`` with what ``recipes refresh`` learnt (new ``torch_pins``, ``pages``) added; a built-in pin
    wins. Every problem names the file, the entry and what is wrong."""
    from dataclasses import replace

    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExtensionDataError([f"{origin}: not valid TOML: {exc}"]) from None
    problems = [] if data.get("schema") == OVERLAY_SCHEMA else [
        f"{origin}: schema must be {OVERLAY_SCHEMA!r}, not {data.get('schema')!r}"]
    rows = data.get("extension", {})
    keys = {ext.key for ext in catalog.extensions}
    if not isinstance(rows, dict) or set(data) - {"schema", "refresh", "extension"}:
        problems.append(f"{origin}: only schema, [refresh] and [extension.NAME] tables")
        rows = {}
    for key, row in rows.items():
        where = f"{origin}: extension {key!r}"
        if key not in keys or not isinstance(row, dict) or set(row) - {"torch_pins", "pages"}:
            problems.append(f"{where}: must be a row of the built-in data with only torch_pins and pages")
            continue
        for release, spec in row.get("torch_pins", {}).items():
            try:
                valid = parse_version(release) is not None and isinstance(spec, str) and bool(SpecifierSet(spec))
            except InvalidSpecifier:
                valid = False
            if not valid:
                problems.append(f"{where}: torch_pins {release!r} = {spec!r} is not a release and a specifier")
        for page, builds in row.get("pages", {}).items():
            if not re.match(_PAGE_KEY, page) or not isinstance(builds, list) or not all(isinstance(b, str) for b in builds):
                problems.append(f"{where}: pages {page!r} must be a torch X.Y.Z+variant and a list of builds")
    if problems:
        raise ExtensionDataError(problems)
    extensions = []
    for ext in catalog.extensions:
        row = rows.get(ext.key, {})
        extensions.append(replace(ext, torch_pins={**row.get("torch_pins", {}), **ext.torch_pins},
                                  pages={**{k: tuple(v) for k, v in row.get("pages", {}).items()}, **ext.pages}))
    return replace(catalog, extensions=tuple(extensions))


def refreshed_path() -> Path:
    """Where ``recipes refresh`` writes what it learnt of the extensions: beside its torch.toml."""
    from envdoctor.recipes import refreshed_dir

    return refreshed_dir() / FILE_NAME


def with_refreshed(catalog: Catalog) -> Catalog:
    """``catalog`` with the last refresh's overlay merged; an overlay that cannot be read or used leaves it alone."""
    from envdoctor.door import UserFileError, read_user_file

    try:
        text = read_user_file(str(refreshed_path()), MAX_FILE_BYTES)
    except UserFileError:
        return catalog
    try:
        return parse_overlay(text, catalog, str(refreshed_path()))
    except ExtensionDataError:
        return catalog


@functools.lru_cache(maxsize=1)
def builtin_catalog() -> Catalog:
    """The built-in catalog with the last refresh's overlay, read once: the data ships with envdoctor and does
    not change while it runs (validated once, then read from the user's cache folder)."""
    from envdoctor.recipes.cache import builtin_catalog_cached

    return with_refreshed(builtin_catalog_cached())


# ---------------------------------------------------------------------------- labels and pins


def _cuda_digits(digits: str, major_only: bool) -> tuple[int, int | None]:
    """``121`` -> (12, 1), ``118`` -> (11, 8), ``92`` -> (9, 2); flash-attn's two digits ``12`` -> (12, None)."""
    if major_only:
        return int(digits), None
    return int(digits[:-1]), int(digits[-1])


def parse_label(grammar: str, label: str | None) -> BuiltFor | None:
    """What a local version label says, read by the grammar its project uses; None when it does not parse."""
    if not label:
        return None
    text = label.lower()
    shown = (_("label +{label}", label=label),)
    if grammar == "flash-attn" and (match := re.match(_FLASH_LABEL, text)):
        major, minor = match["torch"].split(".")
        cu, rocm = match["cu"], match["rocm"]
        return BuiltFor(
            torch=(int(major), int(minor)),
            cuda=_cuda_digits(cu, len(cu) == 2) if cu else None,
            rocm=f"{rocm[0]}.{rocm[1:]}" if rocm else None,
            cxx11_abi=match["abi"] == "true",
            evidence=shown,
        )
    if grammar == "pyg" and (match := re.match(_PYG_LABEL, text)):
        cu = match["cu"]
        return BuiltFor(torch=(int(match["major"]), int(match["minor"])), cuda=_cuda_digits(cu, False) if cu else None,
                        cpu=bool(match["cpu"]), evidence=shown)
    if grammar == "cuda" and (match := re.match(_CUDA_LABEL, text)):
        cu = match["cu"]
        return BuiltFor(cuda=_cuda_digits(cu, False) if cu else None, cpu=bool(match["cpu"]), evidence=shown)
    return None


def torch_requirement(lines: Iterable[str], name: str = "torch") -> str | None:
    """The specifier of ``name`` among Requires-Dist values without an extra (``torch==2.4.1`` -> ``==2.4.1``)."""
    from packaging.requirements import InvalidRequirement, Requirement

    specs = []
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if normalise(requirement.name) != name or (requirement.marker is not None and "extra" in str(requirement.marker)):
            continue
        if str(requirement.specifier):
            specs.append(str(requirement.specifier))
    return ",".join(specs) or None


def built_for(ext: Extension, version: str, requires_dist: Sequence[str] = ()) -> BuiltFor:
    """What the installed ``ext`` at ``version`` was built for: its label, its torch pin, else the data's pin."""
    parsed = parse_version(version)
    label = parse_label(ext.label, version.partition("+")[2] if parsed is not None else None)
    base = label or BuiltFor()
    spec = torch_requirement(requires_dist)
    evidence = list(base.evidence)
    if spec is not None and any(op in spec for op in ("==", "~=", "<")):
        evidence.append(f"Requires-Dist: torch{spec}")
    elif parsed is not None and (pinned := ext.torch_pins.get(parsed.public)) is not None:
        spec = pinned
        evidence.append(_("its prebuilt wheels need torch{pin} ({source})", pin=pinned, source=ext.source[0].split(" ")[0]))
    else:
        spec = None
    return BuiltFor(base.torch, base.cuda, base.cpu, base.rocm, base.cxx11_abi, spec, tuple(evidence))


def torch_cxx11_abi(torch_version: str | None, catalog: Catalog, *, official: bool = True) -> bool | None:
    """The C++ ABI of a Linux torch wheel PyTorch built (not a conda or source build: those say None).

    ``torch_version`` carries its variant (``2.6.0+cu126``) where the release's wheels differ per variant;
    the PyTorch index's ``+cpu.cxx11.abi`` builds are C++11 ABI whatever the release."""
    parsed = parse_version(torch_version)
    if parsed is None or not official:
        return None
    local = parsed.local or ""
    if local.endswith("cxx11.abi"):
        return True
    release = f"{parsed.major}.{parsed.minor}"
    if release in catalog.abi_unsettled:
        return None
    if release in catalog.abi_per_variant:
        return catalog.abi_per_variant[release].get(local)
    return Version(parsed.base_version) >= catalog.cxx11_from


def _cuda_text(cuda: tuple[int, int | None]) -> str:
    return f"CUDA {cuda[0]}" if cuda[1] is None else f"CUDA {cuda[0]}.{cuda[1]}"


def compare(built: BuiltFor, torch: TorchBuild) -> list[Mismatch]:
    """Every way ``built`` disagrees with the installed torch (empty: it fits, as far as the build says)."""
    from packaging.specifiers import SpecifierSet

    found: list[Mismatch] = []
    release = torch.release
    if built.torch is not None and release is not None and built.torch != (release.major, release.minor):
        found.append(Mismatch("torch", f"torch {built.torch[0]}.{built.torch[1]}",
                              f"torch {release.major}.{release.minor}"))
    if built.torch_spec is not None and release is not None and not SpecifierSet(built.torch_spec).contains(
            release, prereleases=True):
        found.append(Mismatch("pin", f"torch{built.torch_spec}", f"torch {release}"))
    torch_cuda = parse_version(torch.cuda)
    if built.cuda is not None:
        if torch_cuda is None:
            found.append(Mismatch("cuda", _cuda_text(built.cuda), _("a torch without CUDA") if not torch.hip
                                  else f"ROCm {torch.hip}"))
        elif built.cuda[0] != torch_cuda.major:  # minor versions of one major share an ABI (CUDA minor compatibility)
            found.append(Mismatch("cuda", _cuda_text(built.cuda), f"CUDA {torch_cuda.major}.{torch_cuda.minor}"))
    if built.cpu and torch_cuda is not None:
        found.append(Mismatch("cpu", _("CPU only"), f"CUDA {torch_cuda.major}.{torch_cuda.minor}"))
    if built.cxx11_abi is not None and torch.cxx11_abi is not None and built.cxx11_abi != torch.cxx11_abi:
        found.append(Mismatch("abi", f"cxx11abi{str(built.cxx11_abi).upper()}",
                              f"cxx11abi{str(torch.cxx11_abi).upper()}"))
    return found


def describe_built(built: BuiltFor) -> str:
    """``torch 2.4, CUDA 12.1`` for a message."""
    parts = []
    if built.torch is not None:
        parts.append(f"torch {built.torch[0]}.{built.torch[1]}")
    if built.torch_spec is not None:
        parts.append(f"torch{built.torch_spec}")
    if built.cuda is not None:
        parts.append(_cuda_text(built.cuda))
    if built.cpu:
        parts.append(_("CPU only"))
    if built.rocm is not None:
        parts.append(f"ROCm {built.rocm}")
    if built.cxx11_abi is not None:
        parts.append(f"cxx11abi{str(built.cxx11_abi).upper()}")
    return listed(parts) if parts else _("nothing it says")


def describe_torch(torch: TorchBuild) -> str:
    parts = [f"torch {torch.version}"]
    if torch.cuda:
        parts.append(f"CUDA {torch.cuda}")
    elif torch.hip:
        parts.append(f"ROCm {torch.hip}")
    else:
        parts.append(_("no CUDA"))
    if torch.cxx11_abi is not None:
        parts.append(f"cxx11abi{str(torch.cxx11_abi).upper()}")
    return listed(parts)


def torch_variant(torch: TorchBuild) -> str:
    """The PyTorch index variant of this torch: ``cu124``, ``rocm6.2`` or ``cpu``."""
    cuda = parse_version(torch.cuda)
    if cuda is not None:
        return f"cu{cuda.major}{cuda.minor}"
    hip = parse_version(torch.hip)
    return f"rocm{hip.major}.{hip.minor}" if hip is not None else "cpu"


def fix_for(ext: Extension, dist: str, built: BuiltFor, torch: TorchBuild,
            python_tag: str | None = None, platform_tag: str | None = None) -> str:
    """What to install so that ``dist`` and torch agree: the matching wheel, or the torch the extension needs."""
    release = torch.release
    if release is None:
        return _("reinstall {dist} after torch", dist=dist)
    torch_release = f"{release.major}.{release.minor}.{release.micro}"
    variant = torch_variant(torch)
    if ext.wheels == "pyg-index":
        page = ext.index_url.format(torch_release=f"{release.major}.{release.minor}.0", variant=variant)
        return _("{command} (the PyG wheels built for torch {torch}+{variant})",
                 command=f"pip install --force-reinstall --no-deps {dist} -f {page}", torch=torch_release, variant=variant)
    if ext.wheels == "github-release":
        cuda = parse_version(torch.cuda)
        if cuda is None:
            return _("{dist} needs a CUDA torch: install one first, then {dist}", dist=dist)
        abi = "TRUE" if torch.cxx11_abi else "FALSE" if torch.cxx11_abi is not None else "{TRUE|FALSE}"
        asset = ext.wheel_url.format(version="VERSION", cuda_tag=cuda.major, torch=f"{release.major}.{release.minor}",
                                     abi=abi, python=python_tag or "cpXY", platform=platform_tag or "linux_x86_64")
        return _("pip install --no-deps the release asset built for this torch ({asset}); without one, build it "
                 "against this torch: {command}", asset=asset,
                 command=f"pip install --no-build-isolation --no-binary {dist} {dist}")
    if built.torch_spec is not None and ext.coupling == "torch-pin":
        return _("install the {dist} release built for torch {torch} (its prebuilt wheels pin one torch), "
                 "or the torch it pins: torch{pin}", dist=dist, torch=torch_release, pin=built.torch_spec)
    if ext.wheels == "source" or ext.coupling == "torch-abi":
        return _("rebuild {dist} against this torch: {command}", dist=dist,
                 command=f"pip install --force-reinstall --no-build-isolation --no-binary {dist} {dist}")
    return _("reinstall {dist} for torch {torch}+{variant}", dist=dist, torch=torch_release, variant=variant)


# ---------------------------------------------------------------------------- the rule


def _installed_torch(facts: Facts, catalog: Catalog) -> TorchBuild | None:
    from envdoctor.rules import is_source_build

    torch = facts.torch
    if torch.status != "ok" or not torch.version:
        return None
    official = not torch.conda and not is_source_build(torch.version)
    return TorchBuild(torch.version, torch.cuda, torch.hip, torch_cxx11_abi(torch.version, catalog, official=official))


def _triton_findings(facts: Facts, catalog: Catalog) -> Iterable[Finding]:
    """torch pins the triton its torch.compile kernels are generated for; another one breaks torch.compile."""
    from packaging.specifiers import SpecifierSet

    triton = catalog.by_dist("triton")
    for installed in facts.extensions.installed:
        if triton is None or installed.name not in triton.dists:
            continue
        spec = torch_requirement(facts.extensions.torch_requires, installed.name)
        version = parse_version(installed.version)
        if spec is None or version is None or SpecifierSet(spec).contains(Version(version.public), prereleases=True):
            continue
        yield Finding(
            id="torch.extension-mismatch",
            severity="error",
            area="torch",
            subject="torch",
            message=_("{dist} {version} is installed, but torch {torch} requires {requirement}: {symptom}",
                      dist=installed.name, version=installed.version, torch=facts.torch.version,
                      requirement=f"{installed.name}{spec}", symptom=triton.symptom),
            fix=_("{command} (the one torch {torch} pins)", command=f"pip install '{installed.name}{spec}'",
                  torch=facts.torch.version),
            evidence=[f"torch Requires-Dist: {installed.name}{spec}",
                      _("installed: {dist} {version}", dist=installed.name, version=installed.version)],
        )


def torch_extensions_match(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """Each installed compiled extension against the installed torch: built for it, or known to break."""
    if facts.extensions.status != "ok" or not facts.extensions.installed:
        return
    try:
        catalog = builtin_catalog()
    except ExtensionDataError:
        return
    torch = _installed_torch(facts, catalog)
    if torch is None:
        return
    python = python_tag(facts)
    platform = target_platform(facts)
    wheel_python = f"cp{python.replace('.', '')}" if python else None
    wheel_platform = platform.replace("-", "_") if platform else None
    for installed in facts.extensions.installed:
        ext = catalog.by_dist(installed.name)
        if ext is None or ext.coupling not in ("torch-abi", "torch-pin"):
            continue
        built = built_for(ext, installed.version, installed.requires)
        mismatches = compare(built, torch)
        if mismatches:
            yield Finding(
                id="torch.extension-mismatch",
                severity="error",
                area="torch",
                subject="torch",
                message=_("{dist} {version} was built for {built}, but this environment has {torch}; importing it "
                          "fails: {symptom}", dist=installed.name, version=installed.version,
                          built=describe_built(built), torch=describe_torch(torch), symptom=ext.symptom),
                fix=fix_for(ext, installed.name, built, torch, wheel_python, wheel_platform),
                evidence=[*built.evidence, *(_("{aspect}: built for {built}, installed {installed}", aspect=m.aspect,
                                               built=m.built, installed=m.installed) for m in mismatches)],
            )
        elif not built.known:
            yield Finding(
                id="torch.extension-build-unknown",
                severity="info",
                area="torch",
                subject="torch",
                message=_("{dist} {version} does not say which torch it was built for (no build label, no torch "
                          "pin): it fits {torch} only if it was built against it", dist=installed.name,
                          version=installed.version, torch=describe_torch(torch)),
                fix=_("if importing {module} fails with 'undefined symbol', {fix}", module=ext.import_name,
                      fix=fix_for(ext, installed.name, built, torch, wheel_python, wheel_platform)),
                evidence=[_("{dist} {version} in {location}", dist=installed.name, version=installed.version,
                            location=installed.location)],
            )
    yield from _triton_findings(facts, catalog)


# ---------------------------------------------------------------------------- verify's imports


def import_name(ext: Extension, dist: str) -> str:
    """The module ``dist`` installs: the row's ``import``, except in the PyG family, where each distribution
    is its own package named as the distribution is (torch-sparse -> torch_sparse, pyg-lib -> pyg_lib)."""
    if ext.label == "pyg" and dist != ext.dists[0]:
        return normalise(dist).replace("-", "_")
    return ext.import_name


def extension_imports(facts: Facts | None, catalog: Catalog) -> list[tuple[str, str]]:
    """(distribution, module) for each installed compiled extension: what verify imports, one module once."""
    if facts is None or facts.extensions.status != "ok":
        return []
    found: dict[str, str] = {}
    for installed in facts.extensions.installed:
        ext = catalog.by_dist(installed.name)
        if ext is not None and ext.compiled:
            found.setdefault(import_name(ext, installed.name), installed.name)
    return [(dist, module) for module, dist in found.items()]


_MISSING_LIBRARY = r"(?P<lib>lib[A-Za-z0-9_+-]+\.so(?:\.[0-9]+)*|[A-Za-z0-9_]+\.dll)"
# the CUDA runtime's libraries (case-insensitive); libcuda.so is the driver's
_CUDA_LIBRARY = (r"(?i)^(?:lib)?(?:cudart|cublas|cublasLt|cudnn|cusparse|cusolver|cufft|curand|nvrtc|nvJitLink|"
                 r"nccl)[0-9_]*[.]")


def import_failure(dist: str, error: str, facts: Facts | None, catalog: Catalog) -> tuple[str, str]:
    """(cause, fix) for an extension whose import failed with ``error`` ("ImportError: first line").

    ``undefined symbol`` is a build for another torch (a libtorch C++ symbol missing, the symptom
    extensions.toml records); a CUDA runtime library that cannot be opened (libcudart, libcudnn, ...) is a
    missing CUDA runtime.
    """
    ext = catalog.by_dist(dist)
    installed = next((item for item in facts.extensions.installed if item.name == dist), None) if facts else None
    torch = _installed_torch(facts, catalog) if facts is not None else None
    if ext is None or torch is None:
        fix: str = _("reinstall {dist} for the installed torch", dist=dist)
    else:
        built = built_for(ext, installed.version, installed.requires) if installed else BuiltFor()
        fix = fix_for(ext, dist, built, torch)
    if "undefined symbol" in error:
        return _("built for another torch (a libtorch symbol it needs is missing)"), fix
    library = re.search(_MISSING_LIBRARY, error)
    if library and re.match(_CUDA_LIBRARY, library.group("lib")):
        cuda = f"CUDA {torch.cuda}" if torch is not None and torch.cuda else _("a CUDA runtime")
        return (_("a CUDA runtime library it was built against cannot be loaded ({library})", library=library.group("lib")),
                _("install the {dist} build for this torch ({cuda}), or the CUDA runtime it names; {fix}", dist=dist,
                  cuda=cuda, fix=fix))
    return _("it cannot be imported"), fix
