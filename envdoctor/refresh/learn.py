"""Learn new torch releases from the package indexes: files and METADATA in, a recipes overlay out.

Pure. :mod:`envdoctor.refresh.client` fetches; this module decides what to read and what it means.

What the indexes tell, and is written as read:

- PyPI (JSON API or PEP 691 / 503 simple pages) of torch: the releases, their platforms and Python tags
  (``cp313t`` -> ``3.13t``; a tag its file's Requires-Python refuses is left out), macOS floors
  (``macosx_14_0``), glibc floors (``manylinux_2_28``), upload times;
- the METADATA (and ``torch/version.py``) of each new release's PyPI wheel per platform, read by byte
  ranges: the PyPI default build (``+cu130`` in ``__version__``; else the ``cuda-toolkit==13.0.3`` /
  ``nvidia-cuda-runtime-cu12==12.4.127`` pins of ``Requires-Dist``);
- the PyTorch wheel index's torch page: the variants of each release (``+cu126``, ``+rocm6.4``, ``+xpu``,
  ``+cpu``) and their platforms, from the file names, each confirmed by its own ``<variant>/torch/`` page;
- torchvision / torchaudio: the release whose METADATA pins ``torch==X.Y.Z``, and the Pythons a paired
  companion has no wheel for (``companion_gaps``).

What they cannot tell is inferred by these rules and listed in the row's ``inferred``, which every plan
built on the row repeats as a warning:

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

import datetime
import email.parser
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from envdoctor import compat
from envdoctor.compat import COMPANIONS, TORCH_FAMILY, WHEEL_PLATFORMS
from envdoctor.recipes import KIND_PLATFORMS, Recipes, Release, VariantRecipe
from envdoctor.refresh.indexes import IndexFile, Wheel, parse_wheel_name, wheel_platform

__all__ = [
    "Material", "Outcome", "Sources", "WheelFacts", "WheelRead", "build", "new_releases", "toml_text",
    "unlearnt", "variants_to_confirm", "wanted_member", "wheel_facts", "wheels_to_read",
]

#: The platforms whose PyPI wheel is read for its build (macOS wheels are CPU/MPS builds by construction).
READ_PLATFORMS = ("linux-x86_64", "linux-aarch64", "windows-x86_64")
MAX_NEW = 100  # new releases one refresh reads and writes (the newest)
MAX_CANDIDATES = 5  # companion releases read per new torch release and companion
PAIRING_WINDOW = datetime.timedelta(days=1)
CANDIDATE_WINDOW = datetime.timedelta(days=60)  # companions read after a release with no successor yet
_RUNTIME = re.compile(r"^nvidia-cuda-runtime(-cu\d+)?$")
_VERSION_PY = {
    "version": re.compile(r"^__version__\s*(?::[^=\n]*)?=\s*['\"]([^'\"\n]{1,80})['\"]", re.M),
    "cuda": re.compile(r"^cuda\s*(?::[^=\n]*)?=\s*(?:['\"]([^'\"\n]{1,40})['\"]|None)", re.M),
    "hip": re.compile(r"^hip\s*(?::[^=\n]*)?=\s*(?:['\"]([^'\"\n]{1,40})['\"]|None)", re.M),
    "xpu": re.compile(r"^xpu\s*(?::[^=\n]*)?=\s*(?:['\"]([^'\"\n]{1,40})['\"]|None)", re.M),
}
_MARKER_ENV = {
    "linux-x86_64": {"platform_system": "Linux", "platform_machine": "x86_64", "sys_platform": "linux", "os_name": "posix"},
    "linux-aarch64": {"platform_system": "Linux", "platform_machine": "aarch64", "sys_platform": "linux", "os_name": "posix"},
    "windows-x86_64": {"platform_system": "Windows", "platform_machine": "AMD64", "sys_platform": "win32", "os_name": "nt"},
}


@dataclass(frozen=True)
class Sources:
    """Where a refresh reads: PyPI's simple index and JSON API roots, the PyTorch wheel index root."""

    pypi_simple: str  # https://host/simple (PEP 503 / 691 project pages below it)
    pypi_api: str | None  # https://host/pypi (``NAME/json`` below it); None when unknown
    index: str  # https://host/whl
    pypi_from: str = "--pypi"  # how the PyPI URL was chosen, for the source line


@dataclass(frozen=True)
class WheelRead:
    """A wheel whose METADATA a refresh reads, and why. A companion's METADATA comes from the file the
    index serves beside the wheel (PEP 658) where it says it does; torch's version.py needs the wheel."""

    filename: str
    url: str
    purpose: str  # "torch 2.14.1 linux-x86_64", "torchvision 0.29.1"
    metadata_url: str | None = None  # PEP 658: enough when only METADATA is wanted


@dataclass(frozen=True)
class WheelFacts:
    """What a wheel's METADATA and torch/version.py said, or why they could not be read."""

    metadata: str | None = None
    version_py: str | None = None
    problem: str = ""


@dataclass(frozen=True)
class Material:
    """Everything read from the indexes."""

    projects: Mapping[str, Sequence[IndexFile]]
    pytorch: Sequence[IndexFile]  # the PyTorch index's torch page
    variant_pages: Mapping[str, Sequence[IndexFile] | None]  # variant -> its torch page (None: missing)
    wheels: Mapping[str, WheelFacts]  # by file name
    read_from: Mapping[str, str]  # "torch" / "torchvision" / "torchaudio" / "pytorch" -> the URL read
    pytorch_missing: str = ""  # why the PyTorch index's torch page was not read ("": it was)


@dataclass
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


# ---------------------------------------------------------------------------- reading the listings


def _wheels(files: Iterable[IndexFile], project: str) -> list[tuple[IndexFile, Wheel]]:
    """The project's usable wheels: not yanked, a platform envdoctor plans for."""
    found = []
    for entry in files:
        wheel = parse_wheel_name(entry.filename)
        if wheel is not None and wheel.name == project and wheel.platforms and not entry.yanked:
            found.append((entry, wheel))
    return found


def _final(version: Version) -> bool:
    return not (version.is_prerelease or version.is_devrelease or version.is_postrelease or version.local)


def _releases(files: Iterable[IndexFile], project: str) -> dict[Version, list[tuple[IndexFile, Wheel]]]:
    """A project's final releases (no pre-releases, no local versions) and their wheels."""
    by_version: dict[Version, list[tuple[IndexFile, Wheel]]] = {}
    for entry, wheel in _wheels(files, project):
        if _final(wheel.version):
            by_version.setdefault(wheel.version, []).append((entry, wheel))
    return by_version


def _time(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _uploaded(wheels: Sequence[tuple[IndexFile, Wheel]]) -> datetime.datetime | None:
    """When a release was uploaded: its earliest file (None when the index does not say)."""
    times = [t for t in (_time(entry.upload_time) for entry, _ in wheels) if t is not None]
    return min(times) if times else None


def _lacking(torch_files: Sequence[IndexFile], known: Recipes) -> list[Version]:
    """Every torch release on PyPI the data lacks, newer than its oldest release, oldest first."""
    have = {release.parsed for release in known.releases}
    floor = min(have) if have else Version("0")
    return sorted(v for v in _releases(torch_files, "torch") if v not in have and v > floor)


def new_releases(torch_files: Sequence[IndexFile], known: Recipes) -> list[Version]:
    """The releases a refresh reads: the newest :data:`MAX_NEW` the data lacks (a hostile index cannot make
    it read thousands of wheels)."""
    lacking = _lacking(torch_files, known)
    return lacking[max(0, len(lacking) - MAX_NEW):]


def _variant_files(pytorch: Iterable[IndexFile]) -> dict[Version, dict[str, list[Wheel]]]:
    """Each release's builds on the PyTorch index by variant label (files without a label are the PyPI
    builds the index mirrors, and tell nothing about variants)."""
    found: dict[Version, dict[str, list[Wheel]]] = {}
    for _, wheel in _wheels(pytorch, "torch"):
        label = wheel.local
        if compat.VARIANT_RE.match(label):
            found.setdefault(Version(wheel.version.public), {}).setdefault(label, []).append(wheel)
    return found


def variants_to_confirm(pytorch: Sequence[IndexFile], new: Sequence[Version]) -> list[str]:
    """The variant folders whose own torch page must list a new release before it is written."""
    variants = _variant_files(pytorch)
    return sorted({label for release in new for label in variants.get(release, {})})


def _best_wheel(wheels: Sequence[tuple[IndexFile, Wheel]], platform: str) -> IndexFile | None:
    """The wheel read for a platform: the newest CPython that is not free-threaded (its METADATA and
    version.py are the build's, whichever Python)."""
    def rank(item: tuple[IndexFile, Wheel]) -> tuple[int, str]:
        pythons = [p for p in item[1].pythons if not p.endswith("t")]
        return (max((int(p.split(".")[1]) for p in pythons), default=-1), item[0].filename)

    candidates = [item for item in wheels if platform in item[1].platforms]
    return max(candidates, key=rank)[0] if candidates else None


def _paired(known: Recipes, name: str) -> set[Version]:
    found = set()
    for release in known.releases:
        version = release.companion(name)
        if version is not None:
            found.add(Version(version))
    return found


Releases = Mapping[Version, Sequence[tuple[IndexFile, Wheel]]]


def _listings(projects: Mapping[str, Sequence[IndexFile]]) -> dict[str, Releases]:
    """Each project's final releases, parsed once."""
    return {name: _releases(projects.get(name, ()), name) for name in TORCH_FAMILY}


def _companion_candidates(listings: Mapping[str, Releases], name: str, release: Version,
                          known: Recipes) -> list[tuple[Version, Sequence[tuple[IndexFile, Wheel]]]]:
    """Companion releases that may pair a new torch release: not paired yet, between the companions of
    the known releases around it, and, where the index says when files came, uploaded from a day before
    it until the next torch release (or within 60 days)."""
    older = [r for r in _nearest(known, release) if r.parsed < release and r.companion(name)]
    newer = [r for r in _nearest(known, release) if r.parsed > release and r.companion(name)]
    low = Version(older[0].companion(name) or "0") if older else None
    high = Version(newer[0].companion(name) or "0") if newer else None
    torch = listings["torch"]
    start = _uploaded(torch.get(release, []))
    later = [t for v, files in torch.items() if v > release for t in [_uploaded(files)] if t is not None]
    end = (min(later) if later else start + CANDIDATE_WINDOW) if start is not None else None
    paired = _paired(known, name)
    out = []
    for version, files in sorted(listings[name].items()):
        if version in paired or (low is not None and version <= low) or (high is not None and version >= high):
            continue
        moment = _uploaded(files)
        if start is not None and end is not None and (moment is None or not start - PAIRING_WINDOW <= moment < end):
            continue
        out.append((version, files))
    return out[:MAX_CANDIDATES]


def wheels_to_read(projects: Mapping[str, Sequence[IndexFile]], new: Sequence[Version], known: Recipes) -> list[WheelRead]:
    """The wheels whose METADATA decides the new releases: torch's per platform, each candidate companion's."""
    reads: dict[str, WheelRead] = {}
    listings = _listings(projects)
    torch = listings["torch"]
    for release in new:
        for platform in READ_PLATFORMS:
            entry = _best_wheel(torch.get(release, []), platform)
            if entry is not None:
                reads[entry.filename] = WheelRead(entry.filename, entry.url, f"torch {release} {platform}")
        for name in COMPANIONS:
            for version, files in _companion_candidates(listings, name, release, known):
                chosen = _best_wheel(files, "linux-x86_64") or files[0][0]
                reads[chosen.filename] = WheelRead(chosen.filename, chosen.url, f"{name} {version}", chosen.metadata_url)
    return list(reads.values())


def wanted_member(name: str) -> bool:
    """The members of a wheel a refresh reads: its METADATA and torch/version.py."""
    parts = name.split("/")
    return (len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA") or name == "torch/version.py"


def wheel_facts(members: Mapping[str, bytes]) -> WheelFacts:
    """What the members :func:`wanted_member` picked say."""
    metadata = next((data for name, data in members.items() if name.endswith("/METADATA")), None)
    version_py = members.get("torch/version.py")
    if metadata is None:
        return WheelFacts(problem="no METADATA in the wheel")
    return WheelFacts(metadata.decode("utf-8", errors="replace"),
                      version_py.decode("utf-8", errors="replace") if version_py is not None else None)


# ---------------------------------------------------------------------------- what a wheel says


@functools.lru_cache(maxsize=256)
def _requirements(metadata: str, platform: str) -> tuple[Requirement, ...]:
    """The Requires-Dist entries that apply on ``platform`` (no extras), as an installer evaluates them."""
    message = email.parser.Parser().parsestr(metadata, headersonly=True)
    env = {**_MARKER_ENV.get(platform, _MARKER_ENV["linux-x86_64"]), "python_version": "3.12",
           "python_full_version": "3.12.0", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", "extra": ""}
    out = []
    for line in message.get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(str(line))
            if requirement.marker is None or requirement.marker.evaluate(env):
                out.append(requirement)
        except (InvalidRequirement, InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            continue
    return tuple(out)


def _pinned(requirement: Requirement) -> Version | None:
    pins = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
    try:
        return Version(pins[0].rstrip(".*")) if len(pins) == 1 else None
    except InvalidVersion:
        return None


def cuda_pins(metadata: str, platform: str) -> tuple[str | None, str | None, str]:
    """(CUDA major.minor, exact toolkit, the pin read) that a wheel's Requires-Dist reveals on ``platform``."""
    for requirement in _requirements(metadata, platform):
        name = requirement.name.lower().replace("_", "-")
        pinned = _pinned(requirement)
        if pinned is None or len(pinned.release) < 2:
            continue
        cuda = f"{pinned.release[0]}.{pinned.release[1]}"
        if name == "cuda-toolkit":
            return cuda, ".".join(str(p) for p in pinned.release[:3]), f"{requirement.name}=={pinned}"
        if _RUNTIME.match(name):
            return cuda, None, f"{requirement.name}=={pinned}"
    return None, None, ""


def _version_py(text: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for key, pattern in _VERSION_PY.items():
        match = pattern.search(text)
        found[key] = match.group(1) if match else None
    return found


def build_of(facts: WheelFacts, platform: str) -> tuple[str | None, str]:
    """The variant a PyPI wheel is (``cu130``, ``cpu``, ``rocm6.4``, ``xpu``), and the evidence; None when
    the wheel could not be read."""
    if facts.version_py:
        fields = _version_py(facts.version_py)
        label = (fields["version"] or "").partition("+")[2]
        if compat.VARIANT_RE.match(label):
            return label, f"torch/version.py __version__ = {fields['version']!r}"
        if fields["cuda"]:
            return compat.cuda_variant(fields["cuda"]), f"torch/version.py cuda = {fields['cuda']!r}"
        if fields["hip"]:
            return compat.rocm_variant(fields["hip"]), f"torch/version.py hip = {fields['hip']!r}"
        if fields["xpu"]:
            return "xpu", f"torch/version.py xpu = {fields['xpu']!r}"
        if fields["version"]:
            return "cpu", f"torch/version.py __version__ = {fields['version']!r}, no cuda, hip or xpu"
    if facts.metadata:
        cuda, _, pin = cuda_pins(facts.metadata, platform)
        if cuda:
            return compat.cuda_variant(cuda), f"METADATA Requires-Dist {pin}"
        return "cpu", "METADATA pins no CUDA libraries (torch/version.py not read)"
    return None, facts.problem or "not read"


def _torch_pin(facts: WheelFacts) -> SpecifierSet | None:
    """The companion's Requires-Dist on torch (an empty set when it names torch without a version)."""
    if not facts.metadata:
        return None
    for requirement in _requirements(facts.metadata, "linux-x86_64"):
        if requirement.name.lower() == "torch":
            return requirement.specifier
    return SpecifierSet()


# ---------------------------------------------------------------------------- inference


def _nearest(known: Recipes, release: Version) -> list[Release]:
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


def _cuda_body(name: str, platforms: Sequence[str], order: Sequence[Release], defaults: Mapping[str, str] | None,
               pin: tuple[str | None, str | None], notes: list[str], release: Version) -> dict[str, Any] | None:
    """A CUDA variant's body: its kernels by rule 1, its toolkit by rule 3."""
    kernels: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    taken_from: dict[str, list[str]] = {}
    for platform in platforms:
        found = _kernels(order, name, platform)
        if found is None:
            notes.append(f"torch {release} {name} on {platform}: no known kernel list to infer from: left out")
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
        ptx = next((p for _, p in kernels.values() if p), ())
    body: dict[str, Any] = {"archs": list(archs)}
    by_platform = {p: list(s) for p, (s, _) in kernels.items() if s != archs}
    if by_platform:
        body["archs_by_platform"] = by_platform
    if ptx:
        body["ptx"] = list(ptx)
        body["ptx_platforms"] = [p for p, (_, x) in kernels.items() if x == ptx]
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


def _rocm_body(name: str, order: Sequence[Release], defaults_note: str) -> dict[str, Any]:
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


def _platform_order(platforms: Iterable[str]) -> list[str]:
    present = set(platforms)
    return [p for p in WHEEL_PLATFORMS if p in present]


def _python_order(pythons: Iterable[str]) -> list[str]:
    def key(text: str) -> tuple[bool, int]:
        return text.endswith("t"), int(text.rstrip("t").split(".")[1])

    return sorted(set(pythons), key=key)


def _floors(wheels: Sequence[tuple[IndexFile, Wheel]], platform: str) -> dict[str, tuple[str, bool]]:
    """python -> (floor, legacy) of the release's wheels for a platform, from their tags."""
    out: dict[str, tuple[str, bool]] = {}
    for _, wheel in wheels:
        for tag in wheel.tags:
            plat, floor, legacy = wheel_platform(tag)
            if plat != platform or floor is None:
                continue
            for python in wheel.pythons:
                old = out.get(python)
                if old is None or Version(floor) < Version(old[0]):
                    out[python] = (floor, legacy)
    return out


def _admits(requires_python: str | None, python: str) -> bool:
    """Whether a file's Requires-Python admits Python tag ``python`` (``3.13t`` as 3.13): an installer skips
    the file otherwise, whatever its tag says. An unreadable Requires-Python admits every Python."""
    try:
        return requires_python is None or SpecifierSet(requires_python).contains(python.rstrip("t"))
    except InvalidSpecifier:
        return True


def _companion_gaps(torch_python: Mapping[str, Sequence[str]], files: Sequence[tuple[IndexFile, Wheel]]) -> dict[str, list[str]]:
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
                if fits and _admits(entry.requires_python, python):
                    ok = True
                    break
            if not ok:
                missing.append(python)
        if missing:
            gaps[platform] = missing
    return gaps


@dataclass
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
    uploaded = _uploaded(ctx.listings["torch"].get(release, []))
    candidates = _companion_candidates(ctx.listings, name, release, ctx.known)
    by_date: list[tuple[Version, str]] = []
    for version, files in candidates:
        chosen = _best_wheel(files, "linux-x86_64") or files[0][0]
        facts = ctx.material.wheels.get(chosen.filename)
        pin = _torch_pin(facts) if facts is not None else None
        if pin is None:
            continue
        exact = [s for s in pin if s.operator in ("==", "===")]
        if exact and any(s.version == str(release) for s in exact):
            return str(version), None
        moment = _uploaded(files)
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
    order = _nearest(ctx.known, release)
    nearest = order[0] if order else None
    variants_found = ctx.variants.get(release, {})
    pypi_alone = bool(ctx.material.pytorch_missing)
    if not variants_found and not pypi_alone:
        ctx.notes.append(f"torch {release}: on PyPI, not on the PyTorch wheel index yet: not written")
        return None
    if nearest is None:
        ctx.notes.append(f"torch {release}: no known release to infer from: not written")
        return None
    inferred: list[str] = []
    platforms = _platform_order(p for _, wheel in wheels for p in wheel.platforms)
    python = {p: _python_order(py for e, w in wheels if p in w.platforms for py in w.pythons
                               if _admits(e.requires_python, py)) for p in platforms}
    python = {p: v for p, v in python.items() if v}
    platforms = [p for p in platforms if p in python]
    if not python:
        ctx.notes.append(f"torch {release}: no CPython wheel for a platform envdoctor plans for: not written")
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
        floors = _floors(wheels, platform)
        if not floors:
            continue
        lowest = min((f for f, _ in floors.values()), key=Version)
        if platform.startswith("macos"):
            macos_min[platform] = lowest
            special = {py: f for py, (f, _) in floors.items() if Version(f) > Version(lowest)}
            if special:
                macos_by_python[platform] = special
        elif any(legacy for _, legacy in floors.values()):
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
        found = _companion_gaps(python, files)
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
    return (f"torch {release}: only the PyPI builds are known ({builds}); the PyTorch index's per-variant builds "
            "(+cuXXX, +rocmX.Y, +xpu, +cpu), the platforms each is built for and their kernel architecture lists "
            "were not learnt (the PyTorch wheel index was not read)")


def _pypi_builds(wheels: Sequence[tuple[IndexFile, Wheel]], defaults: Mapping[str, str]) -> dict[str, list[Wheel]]:
    """The builds PyPI itself serves (its default on each platform) and their wheels: the variants of a
    release learnt without the PyTorch index."""
    found: dict[str, list[Wheel]] = {}
    for platform, name in defaults.items():
        found.setdefault(name, []).extend(w for _, w in wheels if platform in w.platforms)
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
        entry = _best_wheel(wheels, platform)
        facts = ctx.material.wheels.get(entry.filename) if entry is not None else None
        if facts is None or entry is None:
            ctx.notes.append(f"torch {release}: the {platform} wheel's METADATA was not read: not written")
            return None, pins
        build, evidence = build_of(facts, platform)
        if build is None:
            ctx.notes.append(f"torch {release}: {entry.filename}: {evidence}: not written")
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
                                                             for _, w in _wheels(page, "torch"))
        if not listed:
            ctx.notes.append(f"torch {release} {name}: {ctx.sources.index}/{name}/torch/ does not list it: left out")
            continue
        on = [p for p in _platform_order(p for w in found[name] for p in w.platforms) if p in platforms]
        if not on:
            continue
        kind = "cuda" if name.startswith("cu") else "rocm" if name.startswith("rocm") else name
        body: dict[str, Any]
        if kind == "cuda":
            made = _cuda_body(name, on, order, default_table.get(name), (linux_pin[0], linux_pin[1]), ctx.notes, release)
            if made is None:
                continue
            body = made
        elif kind == "rocm":
            body = _rocm_body(name, order, (default_table.get(name) or {}).get("note", ""))
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
        where = "is not on the PyTorch index" if confirmed else "has no known kernel list to infer from"
        ctx.notes.append(f"torch {release}: its PyPI build {', '.join(missing)} {where}: not written")
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
    pytorch = f"PyTorch wheel index {read.get('pytorch', '')}" + (" not read" if ctx.material.pytorch_missing else "")
    return (f"envdoctor recipes refresh {ctx.today}: PyPI {read.get('torch', '')} ({ctx.sources.pypi_from}); "
            f"{pytorch}; {evidence}")


# ---------------------------------------------------------------------------- the overlay


def _describe(release: str, spec: Mapping[str, Any]) -> str:
    defaults = ", ".join(f"{p} {v}" for p, v in spec["pypi"].items())
    variants = ", ".join(sorted(spec["variants"]))
    companions = ", ".join(f"{n} {spec[n]}" for n in COMPANIONS if n in spec) or "no companions"
    inferred = len(spec.get("inferred", [])) + sum(len(b.get("inferred", [])) for b in spec["variants"].values())
    return (f"new release {release}: variants {variants}; PyPI default {defaults}; {companions}"
            + (f"; {inferred} item(s) inferred" if inferred else ""))


def _changed_defaults(known: Recipes, written: Mapping[Version, Mapping[str, Any]]) -> list[str]:
    """Each new release's PyPI default that differs from the release before it."""
    pypi: dict[Version, Mapping[str, str]] = {r.parsed: r.pypi for r in known.releases}
    pypi.update({v: s["pypi"] for v, s in written.items()})
    out = []
    ordered = sorted(pypi)
    for version in written:
        before = [v for v in ordered if v < version]
        if not before:
            continue
        previous = pypi[before[-1]]
        for platform, build in pypi[version].items():
            if platform in previous and previous[platform] != build:
                out.append(f"changed default: torch {version} on {platform} is {build} (was {previous[platform]} "
                           f"in {before[-1]})")
    return out


def _known_differences(known: Recipes, pytorch: Sequence[IndexFile]) -> list[str]:
    """Variants the PyTorch index lists for releases the data has, which the data lacks (reported only)."""
    out = []
    variants = _variant_files(pytorch)
    for release in known.releases:
        found = variants.get(release.parsed, {})
        extra = sorted(set(found) - {v.name for v in release.variants})
        if extra:
            out.append(f"torch {release.version}: the PyTorch index lists {', '.join(extra)}, which the data lacks "
                       "(not written: the built-in rows are kept)")
    return out


def build(known: Recipes, material: Material, sources: Sources, today: str, fetched: str, version: str) -> Outcome:
    """The overlay of every new release the indexes show, and what changed."""
    notes: list[str] = []
    changes: list[str] = []
    ctx = _Context(known, material, sources, today, notes, _listings(material.projects), _variant_files(material.pytorch))
    written: dict[Version, dict[str, Any]] = {}
    lacking = _lacking(material.projects.get("torch", ()), known)
    if len(lacking) > MAX_NEW:
        notes.append(f"{len(lacking) - MAX_NEW} older release(s) the data lacks left out: one refresh reads the newest "
                     f"{MAX_NEW}")
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
            changes.append(f"new variant {name} (torch {release})")
            known_names.add(name)
    changes += _changed_defaults(known, written)
    notes += _known_differences(known, material.pytorch)
    missing = material.pytorch_missing
    not_learned = [unlearnt(str(v), s["pypi"]) for v, s in written.items()] if missing else []
    if missing:
        notes.insert(0, f"the PyTorch wheel index was not read ({missing}): releases learnt from PyPI alone, with "
                        "PyPI's own builds only; differences in known releases not checked")
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


# ---------------------------------------------------------------------------- TOML text


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$", re.ASCII)


def _key(text: str) -> str:
    return text if _BARE_KEY.match(text) else _string(text)


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def toml_text(table: Mapping[str, Any], header: str = "") -> str:
    """TOML for the overlay's shape: top-level values, ``[refresh]``, and one table per release with
    inline tables inside (written here: envdoctor reads TOML with tomllib but has nothing to write it)."""
    lines = [f"# {line}" for line in header.splitlines()]
    for key, value in table.items():
        if not isinstance(value, Mapping):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        if isinstance(value, Mapping) and key != "series":
            lines += ["", f"[{_key(key)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in value.items()]
    for name, body in (table.get("series") or {}).items():
        plain = {k: v for k, v in body.items() if k != "releases"}
        if plain:
            lines += ["", f"[series.{_key(name)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in plain.items()]
        for release, spec in body.get("releases", {}).items():
            lines += ["", f"[series.{_key(name)}.releases.{_key(release)}]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in spec.items() if k != "variants"]
            lines += [f"[series.{_key(name)}.releases.{_key(release)}.variants]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in spec.get("variants", {}).items()]
    return "\n".join(lines) + "\n"
