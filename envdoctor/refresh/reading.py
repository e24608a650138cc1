"""What a refresh reads from the package indexes, and what a wheel says: listings in, the releases the data
lacks, the wheels and variant pages to read, and each wheel's build out. Pure: :mod:`.client` fetches.

- PyPI (JSON API or PEP 691 / 503 simple pages) of torch: the releases, their platforms and Python tags,
  upload times (:func:`parse_listings`, :func:`new_releases`);
- the METADATA (and ``torch/version.py``) of each new release's PyPI wheel per platform, read by byte
  ranges: the PyPI default build (``+cu130`` in ``__version__``; else the ``cuda-toolkit==13.0.3`` /
  ``nvidia-cuda-runtime-cu12==12.4.127`` pins of ``Requires-Dist``: :func:`build_of`);
- the PyTorch wheel index's torch page: the variants of each release (``+cu126``, ``+rocm6.4``, ``+xpu``,
  ``+cpu``) from the file names (:func:`variant_files`), each confirmed by its own ``<variant>/torch/`` page;
- torchvision / torchaudio: the releases that may pair a new torch release (:func:`companion_candidates`) and
  their ``Requires-Dist`` on torch (:func:`torch_pin`).
"""

from __future__ import annotations

import datetime
import email.parser
import functools
import re
from collections.abc import Iterable, Mapping, Sequence

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from envdoctor import compat
from envdoctor.compat import COMPANIONS, TORCH_FAMILY
from envdoctor.datatypes import datatype
from envdoctor.recipes import Recipes
from envdoctor.refresh.indexes import IndexFile, Wheel, parse_wheel_name
from envdoctor.refresh.inference import by_nearness

__all__ = [
    "CANDIDATE_WINDOW", "MAX_CANDIDATES", "MAX_NEW", "PAIRING_WINDOW", "READ_PLATFORMS", "Material", "Releases",
    "Sources", "WheelFacts", "WheelRead", "best_wheel", "build_of", "companion_candidates", "cuda_pins",
    "lacking_releases", "new_releases", "parse_listings", "torch_pin", "uploaded_at", "usable_wheels",
    "variant_files", "variants_to_confirm", "wanted_member", "wheel_facts", "wheels_to_read",
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


@datatype(frozen=True)
class Sources:
    """Where a refresh reads: PyPI's simple index and JSON API roots, the PyTorch wheel index root."""

    pypi_simple: str  # https://host/simple (PEP 503 / 691 project pages below it)
    pypi_api: str | None  # https://host/pypi (``NAME/json`` below it); None when unknown
    index: str  # https://host/whl
    pypi_from: str = "--pypi"  # how the PyPI URL was chosen, for the source line


@datatype(frozen=True)
class WheelRead:
    """A wheel whose METADATA a refresh reads, and why. A companion's METADATA comes from the file the
    index serves beside the wheel (PEP 658) where it says it does; torch's version.py needs the wheel."""

    filename: str
    url: str
    purpose: str  # "torch 2.14.1 linux-x86_64", "torchvision 0.29.1"
    metadata_url: str | None = None  # PEP 658: enough when only METADATA is wanted


@datatype(frozen=True)
class WheelFacts:
    """What a wheel's METADATA and torch/version.py said, or why they could not be read."""

    metadata: str | None = None
    version_py: str | None = None
    problem: str = ""


@datatype(frozen=True)
class Material:
    """Everything read from the indexes."""

    projects: Mapping[str, Sequence[IndexFile]]
    pytorch: Sequence[IndexFile]  # the PyTorch index's torch page
    variant_pages: Mapping[str, Sequence[IndexFile] | None]  # variant -> its torch page (None: missing)
    wheels: Mapping[str, WheelFacts]  # by file name
    read_from: Mapping[str, str]  # "torch" / "torchvision" / "torchaudio" / "pytorch" -> the URL read
    pytorch_missing: str = ""  # why the PyTorch index's torch page was not read ("": it was)



# ---------------------------------------------------------------------------- reading the listings


def usable_wheels(files: Iterable[IndexFile], project: str) -> list[tuple[IndexFile, Wheel]]:
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
    for entry, wheel in usable_wheels(files, project):
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


def uploaded_at(wheels: Sequence[tuple[IndexFile, Wheel]]) -> datetime.datetime | None:
    """When a release was uploaded: its earliest file (None when the index does not say)."""
    times = [t for t in (_time(entry.upload_time) for entry, _ in wheels) if t is not None]
    return min(times) if times else None


def lacking_releases(torch_files: Sequence[IndexFile], known: Recipes) -> list[Version]:
    """Every torch release on PyPI the data lacks, newer than its oldest release, oldest first."""
    have = {release.parsed for release in known.releases}
    floor = min(have) if have else Version("0")
    return sorted(v for v in _releases(torch_files, "torch") if v not in have and v > floor)


def new_releases(torch_files: Sequence[IndexFile], known: Recipes) -> list[Version]:
    """The releases a refresh reads: the newest :data:`MAX_NEW` the data lacks (a hostile index cannot make
    it read thousands of wheels)."""
    lacking = lacking_releases(torch_files, known)
    return lacking[max(0, len(lacking) - MAX_NEW):]


def variant_files(pytorch: Iterable[IndexFile]) -> dict[Version, dict[str, list[Wheel]]]:
    """Each release's builds on the PyTorch index by variant label (files without a label are the PyPI
    builds the index mirrors, and tell nothing about variants)."""
    found: dict[Version, dict[str, list[Wheel]]] = {}
    for _, wheel in usable_wheels(pytorch, "torch"):
        label = wheel.local
        if compat.VARIANT_RE.match(label):
            found.setdefault(Version(wheel.version.public), {}).setdefault(label, []).append(wheel)
    return found


def variants_to_confirm(pytorch: Sequence[IndexFile], new: Sequence[Version]) -> list[str]:
    """The variant folders whose own torch page must list a new release before it is written."""
    variants = variant_files(pytorch)
    return sorted({label for release in new for label in variants.get(release, {})})


def best_wheel(wheels: Sequence[tuple[IndexFile, Wheel]], platform: str) -> IndexFile | None:
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


def parse_listings(projects: Mapping[str, Sequence[IndexFile]]) -> dict[str, Releases]:
    """Each project's final releases, parsed once."""
    return {name: _releases(projects.get(name, ()), name) for name in TORCH_FAMILY}


def companion_candidates(listings: Mapping[str, Releases], name: str, release: Version,
                          known: Recipes) -> list[tuple[Version, Sequence[tuple[IndexFile, Wheel]]]]:
    """Companion releases that may pair a new torch release: not paired yet, between the companions of
    the known releases around it, and, where the index says when files came, uploaded from a day before
    it until the next torch release (or within 60 days)."""
    older = [r for r in by_nearness(known, release) if r.parsed < release and r.companion(name)]
    newer = [r for r in by_nearness(known, release) if r.parsed > release and r.companion(name)]
    low = Version(older[0].companion(name) or "0") if older else None
    high = Version(newer[0].companion(name) or "0") if newer else None
    torch = listings["torch"]
    start = uploaded_at(torch.get(release, []))
    later = [t for v, files in torch.items() if v > release for t in [uploaded_at(files)] if t is not None]
    end = (min(later) if later else start + CANDIDATE_WINDOW) if start is not None else None
    paired = _paired(known, name)
    out = []
    for version, files in sorted(listings[name].items()):
        if version in paired or (low is not None and version <= low) or (high is not None and version >= high):
            continue
        moment = uploaded_at(files)
        if start is not None and end is not None and (moment is None or not start - PAIRING_WINDOW <= moment < end):
            continue
        out.append((version, files))
    return out[:MAX_CANDIDATES]


def wheels_to_read(projects: Mapping[str, Sequence[IndexFile]], new: Sequence[Version], known: Recipes) -> list[WheelRead]:
    """The wheels whose METADATA decides the new releases: torch's per platform, each candidate companion's."""
    reads: dict[str, WheelRead] = {}
    listings = parse_listings(projects)
    torch = listings["torch"]
    for release in new:
        for platform in READ_PLATFORMS:
            entry = best_wheel(torch.get(release, []), platform)
            if entry is not None:
                reads[entry.filename] = WheelRead(entry.filename, entry.url, f"torch {release} {platform}")
        for name in COMPANIONS:
            for version, files in companion_candidates(listings, name, release, known):
                chosen = best_wheel(files, "linux-x86_64") or files[0][0]
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


def torch_pin(facts: WheelFacts) -> SpecifierSet | None:
    """The companion's Requires-Dist on torch (an empty set when it names torch without a version)."""
    if not facts.metadata:
        return None
    for requirement in _requirements(facts.metadata, "linux-x86_64"):
        if requirement.name.lower() == "torch":
            return requirement.specifier
    return SpecifierSet()
