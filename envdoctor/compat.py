"""Every compatibility answer, given once: rules, resolver and verifier all ask here.

- versions: one parser for versions and one for driver numbers (ASCII digits only, no epochs), one
  reader of counts, and one parser for requirements and specifiers from untrusted text;
- GPUs: one compute-capability parser (``8.6``, ``sm_86``, ``sm_90a``, ``compute_120``) and one
  kernel-coverage function (SASS within a major, PTX only where the wheel carries it for the
  platform and only with a driver that can JIT it);
- drivers: one driver -> newest-CUDA function (Linux, Windows, WSL 2 reads the Windows column), one
  minor-version-compatibility verdict, and one answer to whether a driver can drive a GPU at all;
- platforms: the target interpreter's platform and Python tag, taken from that interpreter;
- AMD gfx coverage and Jetson boards.

Pure: facts and recipe rows in, answers out. Sources of each rule are in the docstrings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from envdoctor.datatypes import datatype
from envdoctor.i18n import _

if TYPE_CHECKING:
    from typing import Protocol

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    from envdoctor.facts import Facts, Gpu

    # The recipe rows compat reads, by their shape: envdoctor.recipes builds on compat, never the reverse.

    class ToolkitDriver(Protocol):
        """A toolkit release and the driver it ships with (``envdoctor.recipes.ToolkitDriver``)."""

        @property
        def version(self) -> Version: ...
        @property
        def linux(self) -> DriverVersion | None: ...
        def driver(self, os: str) -> DriverVersion | None: ...

    class CudaFamily(Protocol):
        """A CUDA major's minor-version-compatibility floor (``envdoctor.recipes.CudaFamily``)."""

        @property
        def major(self) -> int: ...
        def floor(self, os: str) -> Version | None: ...

    class _JetsonRows(Protocol):
        @property
        def names(self) -> Sequence[str]: ...
        @property
        def compute_capabilities(self) -> Sequence[str]: ...
        @property
        def sbsa_compute_capabilities(self) -> Sequence[str]: ...

    class _VariantRow(Protocol):
        @property
        def kind(self) -> str: ...
        @property
        def platforms(self) -> Sequence[str]: ...

    class _ReleaseRow(Protocol):
        @property
        def platforms(self) -> Sequence[str]: ...
        @property
        def variants(self) -> Sequence[_VariantRow]: ...
        @property
        def pypi(self) -> Mapping[str, str]: ...

    class Recipes(Protocol):
        """The loaded recipe data (``envdoctor.recipes.Recipes``)."""

        @property
        def releases(self) -> Sequence[_ReleaseRow]: ...
        @property
        def toolkits(self) -> Sequence[ToolkitDriver]: ...
        @property
        def families(self) -> Mapping[int, CudaFamily]: ...
        @property
        def jetson(self) -> _JetsonRows | None: ...
        def release(self, version: str) -> _ReleaseRow | None: ...
        def gpu_compute_capability(self, name: str) -> str | None: ...

#: Platforms torch publishes wheels for, as ``os-arch``.
WHEEL_PLATFORMS = ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64", "macos-x86_64")
#: The first macOS release with the MPS backend (Apple, "Accelerated PyTorch training on Mac").
MPS_MIN_MACOS = Version("12.3")

_VERSION_TEXT = re.compile(r"^[0-9A-Za-z.+!_-]+$", re.ASCII)
# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
_DRIVER_TEXT = r"(?a)^[0-9]+(?:\.[0-9]+){0,3}$"
_CC_TEXT = r"(?a)^([0-9]{1,2})\.([0-9])$"
_ARCH_TEXT = r"(?a)^(sm|compute)_([0-9]{1,2})([0-9])([af]?)$"
_GFX_TEXT = r"(?a)^gfx[0-9a-f]{3,4}$"
#: Compute capabilities stop being plausible beyond this major (NVIDIA's newest is 12.x).
MAX_CC_MAJOR = 19
#: The longest run of digits a version, driver or count may hold. No real one comes near (a nightly's
#: date is 8 digits); Python refuses to read a run past 4,300 digits as an int, which packaging's
#: version parser meets as a bare ValueError, so longer runs are refused before any int() sees them.
MAX_DIGITS = 32
_LONG_DIGITS = re.compile(rf"[0-9]{{{MAX_DIGITS + 1}}}", re.ASCII)
_COUNT_TEXT = rf"(?a)[0-9]{{1,{MAX_DIGITS}}}"


# ---------------------------------------------------------------------------- versions


def has_long_number(text: str) -> bool:
    """Whether ``text`` holds a run of more than :data:`MAX_DIGITS` digits (not a version, driver or count)."""
    return _LONG_DIGITS.search(text) is not None


def parse_count(text: object) -> int | None:
    """A non-negative int from ASCII digits (at most :data:`MAX_DIGITS`, surrounding spaces allowed); None otherwise.

    int() alone would take ``"²"``, ``"١"``, ``"1_0"`` and fail past 4,300 digits.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        return None
    if isinstance(text, int):
        return text if text >= 0 else None
    text = text.strip()
    return int(text) if re.fullmatch(_COUNT_TEXT, text) else None


def parse_requirement(text: str) -> Requirement:
    """A PEP 508 requirement from untrusted text; raises InvalidRequirement for anything packaging would not
    read, or could read only to fail later comparing versions (a number too long to be one).

    packaging's requirement parser is imported here, not with the module: `check` reads no requirement."""
    from packaging.requirements import InvalidRequirement, Requirement

    if has_long_number(text):
        raise InvalidRequirement(f"a number in it is longer than {MAX_DIGITS} digits: not a version")
    return Requirement(text)


def parse_specifier(text: str) -> SpecifierSet:
    """A PEP 440 specifier set (``>=2.4,<3``) from untrusted text; raises InvalidSpecifier as for requirements.
    packaging's specifier parser is imported here: ``check`` never parses one."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if has_long_number(text):
        raise InvalidSpecifier(f"a number in it is longer than {MAX_DIGITS} digits: not a version")
    return SpecifierSet(text)


def parse_version(text: object, *, epoch_ok: bool = False) -> Version | None:
    """A PEP 440 version from ASCII text; None for anything else (``3.١١``, ``²``, ``1!2.0`` unless epoch_ok)."""
    return _parse_version_text(text, epoch_ok) if isinstance(text, str) else None


@functools.lru_cache(maxsize=4096)
def _parse_version_text(text: str, epoch_ok: bool) -> Version | None:
    text = text.strip()
    if not text or not _VERSION_TEXT.match(text) or has_long_number(text):
        return None
    try:
        version = Version(text)
    except InvalidVersion:
        return None
    if version.epoch and not epoch_ok:
        return None
    return version


def major_minor(text: object) -> tuple[int, int] | None:
    """``12.4.131`` -> (12, 4); None when ``text`` is not a plain version."""
    version = parse_version(text)
    return (version.major, version.minor) if version is not None else None


class DriverVersion(Version):
    """An NVIDIA driver number that compares as a version and prints as written (``560.35.05``)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._text = text.strip()

    def __str__(self) -> str:
        return self._text

    @property
    def branch(self) -> int:
        """The driver branch (``535`` of ``535.104.05``): every driver of a branch runs the same CUDA."""
        return self.release[0]


def parse_driver(text: object) -> DriverVersion | None:
    """``535.104.05`` / ``591.86``: dot-separated ASCII numbers only (no epoch, no letters, no spaces inside)."""
    if not isinstance(text, str) or not re.match(_DRIVER_TEXT, text.strip()) or has_long_number(text):
        return None
    return DriverVersion(text.strip())


# ---------------------------------------------------------------------------- compute capability


@dataclass(frozen=True, order=True)
class Arch:
    """One kernel architecture: ``sm_90`` (SASS), ``sm_90a`` (arch-specific), ``compute_120`` (PTX)."""

    major: int
    minor: int
    suffix: str = ""  # "" | "a" (this exact capability only) | "f" (family: this major, minor and up)

    @property
    def cc(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def sm(self) -> str:
        return f"sm_{self.major}{self.minor}{self.suffix}"


@functools.lru_cache(maxsize=4096)
def _parse_cc_text(text: str) -> Arch | None:
    text = text.strip().lower()
    match = re.match(_CC_TEXT, text)
    if match:
        arch = Arch(int(match.group(1)), int(match.group(2)))
    else:
        match = re.match(_ARCH_TEXT, text)
        if not match:
            return None
        arch = Arch(int(match.group(2)), int(match.group(3)), match.group(4))
    return arch if 1 <= arch.major <= MAX_CC_MAJOR else None


def parse_cc(text: object) -> Arch | None:
    """A compute capability from ``8.6``, ``sm_86``, ``sm_120``, ``sm_90a`` or ``compute_90``; None otherwise.

    Majors past :data:`MAX_CC_MAJOR` (``sm_999``) and non-ASCII digits are not capabilities.
    """
    return _parse_cc_text(text) if isinstance(text, str) else None


def sm_name(capability: object) -> str | None:
    """``8.6`` -> ``sm_86``; ``sm_90a`` stays ``sm_90a``."""
    arch = parse_cc(capability)
    return arch.sm if arch else None


def cc_text(capability: object) -> str | None:
    """``sm_86`` -> ``8.6``."""
    arch = parse_cc(capability)
    return arch.cc if arch else None


def is_gfx(text: object) -> bool:
    return isinstance(text, str) and bool(re.match(_GFX_TEXT, text.strip().lower()))


def gfx_base(text: object) -> str | None:
    """``gfx90a:sramecc+:xnack-`` (rocminfo's ISA name) -> ``gfx90a``."""
    if not isinstance(text, str):
        return None
    base = text.strip().lower().partition(":")[0]
    return base if re.match(_GFX_TEXT, base) else None


# ---------------------------------------------------------------------------- kernel coverage


def split_arch_list(arch_list: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``torch.cuda.get_arch_list()`` (``sm_80 ... compute_90``) as (SASS, PTX) lists."""
    sass: list[str] = []
    ptx: list[str] = []
    for entry in arch_list:
        match = re.match(_ARCH_TEXT, str(entry).strip().lower())
        if match:
            (ptx if match.group(1) == "compute" else sass).append(str(entry).strip().lower())
    return tuple(sass), tuple(ptx)


def kernel_coverage(capability: object, sass: Iterable[str], ptx: Iterable[str]) -> str | None:
    """How a build runs on a GPU: ``"sass"`` (compiled kernels), ``"ptx"`` (JIT from PTX) or None.

    - SASS for X.y runs on X.z with z >= y: "NVIDIA GPUs are binary compatible within major compute
      capability revision" (pytorch/pytorch#45130); ``sm_XYa`` runs on X.Y only, ``sm_XYf`` on the family
      X.y and up (CUDA C Programming Guide, "Feature Availability").
    - PTX for X.y is JIT-compiled by the driver for X.y and anything newer, ``compute_XYa`` for X.Y only.
      Whether the driver can JIT it is :func:`cuda_fit`'s question, not this one's.
    """
    gpu = parse_cc(capability)
    if gpu is None:
        return None
    wanted = (gpu.major, gpu.minor)
    for entry in sass:
        arch = parse_cc(entry)
        if arch is None:
            continue
        if arch.suffix == "a" and (arch.major, arch.minor) == wanted:
            return "sass"
        if arch.suffix != "a" and arch.major == gpu.major and arch.minor <= gpu.minor:
            return "sass"
    for entry in ptx:
        arch = parse_cc(entry)
        if arch is None:
            continue
        if (arch.major, arch.minor) == wanted or (arch.suffix != "a" and (arch.major, arch.minor) < wanted):
            return "ptx"
    return None


# ---------------------------------------------------------------------------- drivers and CUDA


def driver_table_os(os_name: str | None, wsl: str | None = None) -> str:
    """Which column of NVIDIA's driver tables a driver number belongs to.

    Under WSL 2 the driver is the Windows driver (nvidia-smi prints its Windows number, e.g. 537.13),
    so it is read in the Windows column although the distribution is Linux.
    """
    if wsl == "wsl2":
        return "windows"
    return os_key(os_name) or (os_name or "").lower()


def driver_max_cuda(driver: object, os_name: str, toolkits: Sequence[ToolkitDriver],
                    families: Mapping[int, CudaFamily]) -> Version | None:
    """The newest CUDA (major.minor) a driver supports, judged by its branch.

    Every driver of a branch supports the CUDA its branch first shipped with (Table 3 of NVIDIA's release
    notes: R550 -> 12.4, R565 -> 12.6 since there is no 12.7 toolkit). Where Table 3 prints N/A for an OS
    (Windows, CUDA 13.x) the branch is read from the Linux column: branches are shared across OSes
    (Windows 591.86 is R590, which prints "CUDA Version: 13.1"). A driver at or above a family's
    minor-version floor supports at least that family's x.0.
    """
    version = driver if isinstance(driver, Version) else parse_driver(driver)
    if version is None:
        return None
    supported: list[Version] = []
    for row in toolkits:
        needed = row.driver(os_name) or row.linux  # only the Windows column prints N/A
        if needed is not None and needed.release[0] <= version.release[0]:
            supported.append(Version(f"{row.version.major}.{row.version.minor}"))
    for family in families.values():
        floor = family.floor(os_name)
        if floor is not None and version >= floor:
            supported.append(Version(f"{family.major}.0"))
    return max(supported, default=None)


def toolkit_driver(toolkit: object, os_name: str, toolkits: Sequence[ToolkitDriver]) -> DriverVersion | None:
    """Table-3 driver of a toolkit (the newest row of its major.minor at or below it; else the oldest of it)."""
    wanted = parse_version(toolkit)
    if wanted is None:
        return None
    rows = [r for r in toolkits if r.version.release[:2] == wanted.release[:2]]
    below = [r for r in rows if r.version <= wanted]
    row = max(below, key=lambda r: r.version) if below else (min(rows, key=lambda r: r.version) if rows else None)
    return row.driver(os_name) if row else None


@datatype(frozen=True)
class CudaFit:
    """Whether a driver runs code built with one CUDA toolkit, and what would make it run fully.

    ``level``: ``"full"`` (the driver supports this CUDA: every kernel, PTX JIT included), ``"minor"``
    (same major, driver at or above the family floor: compiled kernels run through minor-version
    compatibility, PTX from this toolkit cannot be JIT-compiled), ``"none"`` (nothing runs), ``"unknown"``
    (no driver known).
    """

    level: str
    cuda: Version
    driver_cuda: Version | None  # newest CUDA the driver supports
    full_driver: Version | None  # the toolkit's Table-3 driver: runs everything
    floor: Version | None  # the family's minor-version floor: runs compiled kernels

    @property
    def runs_kernels(self) -> bool:
        return self.level in ("full", "minor")

    @property
    def runs_ptx(self) -> bool:
        return self.level == "full"

    def needs(self, ptx: bool = False) -> Version | None:
        """The oldest driver that runs the build's compiled kernels (or its PTX, with ``ptx``)."""
        return self.full_driver if ptx or self.floor is None else self.floor


def cuda_fit(build_cuda: object, toolkit: object, driver: object, driver_cuda: object, os_name: str,
             toolkits: Sequence[ToolkitDriver], families: Mapping[int, CudaFamily]) -> CudaFit | None:
    """Minor-version compatibility, decided once (NVIDIA CUDA Compatibility guide, "Minor Version Compatibility").

    ``driver_cuda`` is what the driver itself reports (nvidia-smi's "CUDA Version", NVML); when absent it
    comes from :func:`driver_max_cuda`. CUDA 10 has no minor-version compatibility (no family floor).
    None when ``build_cuda`` is not a version.
    """
    cuda = parse_version(build_cuda)
    if cuda is None:
        return None
    cuda = Version(f"{cuda.major}.{cuda.minor}")
    full = toolkit_driver(toolkit or build_cuda, os_name, toolkits)
    family = families.get(cuda.major)
    floor = family.floor(os_name) if family else None
    supported = driver_cuda if isinstance(driver_cuda, Version) else parse_version(driver_cuda)
    version = parse_driver(driver) if not isinstance(driver, Version) else driver
    if supported is None and version is not None:
        supported = driver_max_cuda(version, os_name, toolkits, families)
    if supported is None:
        # no driver known; or one older than every row of Table 3, which runs no CUDA envdoctor knows
        return CudaFit("unknown" if version is None else "none", cuda, None, full, floor)
    supported = Version(f"{supported.major}.{supported.minor}")
    if cuda <= supported:
        return CudaFit("full", cuda, supported, full, floor)
    above_floor = floor is not None and (version is None or version >= floor)
    if supported.major == cuda.major and above_floor:
        return CudaFit("minor", cuda, supported, full, floor)
    return CudaFit("none", cuda, supported, full, floor)


@datatype(frozen=True)
class GpuFit:
    """Whether one build runs on one NVIDIA GPU with this driver: the one answer rules and resolver share."""

    runs: bool | None  # None: cannot be decided (capability or driver unknown)
    how: str  # "sass" | "ptx" | "" (no kernels)
    reason: str
    needs_driver: Version | None = None  # the oldest driver that would make it run


def gpu_fit(capability: object, sass: Sequence[str], ptx: Sequence[str], fit: CudaFit | None,
            newest_cc: object = None) -> GpuFit:
    """Kernels for the GPU, and a driver that can run them: PTX needs the toolkit's full driver.

    ``newest_cc`` is the newest capability the build's CUDA release can target: PTX is JIT-compiled for
    GPUs up to it only, since the build's own CUDA libraries carry nothing for a GPU their CUDA predates.
    """
    arch = parse_cc(capability)
    if arch is None:
        return GpuFit(None, "", _("compute capability unknown: kernels not checked"))
    how = kernel_coverage(arch.cc, sass, ptx)
    newest = parse_cc(newest_cc)
    if how == "ptx" and newest is not None and (arch.major, arch.minor) > (newest.major, newest.minor):
        how = None
    if how is None:
        listed = " ".join(list(sass) + [f"PTX {p}" for p in ptx])
        return GpuFit(False, "", _("no kernels for {sm} (build has {listed})", sm=arch.sm, listed=listed) if listed
                      else _("no kernels for {sm} (build has none)", sm=arch.sm))
    if fit is None or fit.level == "full":
        return GpuFit(True, how, _("{sm} runs compiled kernels", sm=arch.sm) if how == "sass"
                      else _("{sm} runs PTX JIT-compiled by the driver", sm=arch.sm))
    if fit.level == "unknown":
        needs = fit.needs(ptx=how == "ptx")
        return GpuFit(None, how, _("driver unknown: {sm} needs a driver >= {driver}", sm=arch.sm, driver=needs or "?"),
                      needs)
    if how == "ptx":
        return GpuFit(False, how, _("{sm} has only PTX in this build, and JIT-compiling PTX of CUDA {cuda} needs driver "
                                    ">= {driver} (minor-version compatibility does not cover PTX)", sm=arch.sm,
                                    cuda=fit.cuda, driver=fit.full_driver or "?"),
                      fit.full_driver)
    if fit.level == "minor":
        return GpuFit(True, how, _("{sm} runs compiled kernels through minor-version compatibility", sm=arch.sm))
    return GpuFit(False, how, _("the driver supports CUDA {driver_cuda}, the build needs CUDA {cuda}",
                                driver_cuda=fit.driver_cuda, cuda=fit.cuda),
                  fit.needs())


@datatype(frozen=True)
class GpuDriverFloor:
    """Whether a driver can drive a GPU at all, whatever torch build runs on it."""

    drives: bool | None  # None: the GPU's architecture or the driver is not known
    needs: DriverVersion | None  # the Table-3 driver of the first toolkit for the GPU's architecture
    first_cuda: Version | None  # that toolkit
    reason: str


def driver_drives_gpu(capability: object, driver: object, os_name: str, first_cuda: Mapping[str, str],
                      toolkits: Sequence[ToolkitDriver]) -> GpuDriverFloor:
    """A driver drives only the GPUs released before it: a GPU needs a driver of the branch that shipped with
    the first CUDA toolkit for its architecture, or a newer branch (NVIDIA release notes per toolkit: Turing in
    10.0, GA100 in 11.0, GA10x in 11.1, Ada and Hopper in 11.8, Blackwell in 12.8; the rows are
    ``gpu_first_cuda`` in cuda_drivers.toml). Judged by branch, as :func:`driver_max_cuda` judges CUDA.

    An architecture older than every row (Volta and before) is driven by every driver of the table; one
    newer than every row, or between rows of another major, is not known.
    """
    arch = parse_cc(capability)
    if arch is None:
        return GpuDriverFloor(None, None, None, _("compute capability unknown"))
    rows = sorted((cc, cuda) for cc, cuda in ((parse_cc(k), parse_version(v)) for k, v in first_cuda.items())
                  if cc is not None and cuda is not None)
    wanted = (arch.major, arch.minor)
    same_major = [(cc, cuda) for cc, cuda in rows if cc.major == arch.major and cc.minor <= arch.minor]
    if same_major:
        cuda = same_major[-1][1]
    elif rows and wanted < (rows[0][0].major, rows[0][0].minor):
        return GpuDriverFloor(True, None, None, _("{sm} predates every toolkit of the driver table", sm=arch.sm))
    else:
        return GpuDriverFloor(None, None, None, _("no first CUDA toolkit known for {sm}", sm=arch.sm))
    needs = toolkit_driver(str(cuda), os_name, toolkits) or toolkit_driver(str(cuda), "linux", toolkits)
    if needs is None:
        return GpuDriverFloor(None, None, cuda, _("no driver known for CUDA {cuda}", cuda=cuda))
    first = f"{cuda.major}.{cuda.minor}"
    version = driver if isinstance(driver, DriverVersion) else parse_driver(driver)
    if version is None:
        return GpuDriverFloor(None, needs, cuda, _("{sm} needs driver branch R{branch} or newer (>= {driver}, CUDA "
                                                   "{cuda}'s)", sm=arch.sm, branch=needs.branch, driver=needs,
                                                   cuda=first))
    if version.branch >= needs.branch:
        return GpuDriverFloor(True, needs, cuda, _("driver {driver} (R{branch}) drives {sm}", driver=version,
                                                   branch=version.branch, sm=arch.sm))
    return GpuDriverFloor(False, needs, cuda, _("driver {driver} (R{branch}) predates {sm}: GPUs of compute capability "
                                                "{cc} arrived with CUDA {cuda} and need driver branch R{needed_branch} "
                                                "or newer (>= {needed})", driver=version, branch=version.branch,
                                                sm=arch.sm, cc=arch.cc, cuda=first, needed_branch=needs.branch,
                                                needed=needs))


# ---------------------------------------------------------------------------- AMD, Jetson


def gfx_covered(gfx: object, build_gfx: Sequence[str]) -> bool | None:
    """Whether a ROCm build carries code objects for this gfx target; None when either is unknown.

    ROCm code objects are per exact gfx target (no family compatibility as with NVIDIA SASS).
    """
    base = gfx_base(gfx)
    if base is None or not build_gfx:
        return None
    return base in {g.lower() for g in build_gfx}


def jetson_kind(name: str | None, capability: str | None, recipes: Recipes) -> str | None:
    """``"board"`` for a Jetson module the standard wheels do not serve, ``"sbsa"`` for one they do (Thor),
    None for anything else.

    PyPI's aarch64 CUDA wheels are SBSA server builds; Jetson Thor (compute capability 11.0) is SBSA-compliant
    and the aarch64 cu13x builds carry sm_110 for it, while earlier boards (Nano, TX2, Xavier, Orin) need
    NVIDIA's JetPack wheels.
    """
    jetson = recipes.jetson
    if jetson is None:
        return None
    arch = parse_cc(capability)
    served = {parse_cc(cc) for cc in jetson.sbsa_compute_capabilities}
    words = _words(name or "")
    named = any(_starts(words, _words(n)) for n in jetson.names)
    if arch is not None and Arch(arch.major, arch.minor) in served and (named or not name):
        return "sbsa"
    if named or (arch is not None and arch.cc in jetson.compute_capabilities):
        return "board"
    return None


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s\-_/,()]+", text.lower()) if w and w != "nvidia"]


def _starts(words: list[str], key: list[str]) -> bool:
    return bool(key) and words[: len(key)] == key


# ---------------------------------------------------------------------------- the target platform


def arch_name(machine: str | None, os_name: str) -> str | None:
    """An architecture as wheel tags on ``os_name`` ("linux", "windows", "macos") spell it: 64-bit Arm is
    ``aarch64`` on Linux and ``arm64`` on macOS and Windows."""
    lowered = (machine or "").lower()
    if lowered in ("x86_64", "amd64", "x64", "em64t"):
        return "x86_64"
    if lowered in ("aarch64", "arm64", "armv8l", "arm64e"):
        return "arm64" if os_name in ("macos", "windows") else "aarch64"
    if lowered in ("i386", "i686", "x86", "win32"):
        return "x86"
    return lowered or None


def _from_platform_tag(tag: str) -> tuple[str, str | None] | None:
    """sysconfig.get_platform() -> (os, arch): ``win32`` is a 32-bit Python on Windows."""
    tag = tag.lower()
    if tag == "win32":
        return "windows", "x86"
    if tag.startswith("win-"):
        return "windows", arch_name(tag[4:], "windows")
    if tag.startswith("macosx-"):
        machine = tag.rpartition("-")[2]
        if machine in ("universal2", "universal", "intel", "fat"):
            return None
        return "macos", arch_name(machine, "macos")
    if tag.startswith("linux-"):
        return "linux", arch_name(tag[6:], "linux")
    return None


def target_platform(facts: Facts) -> str | None:
    """``os-arch`` of the interpreter torch will be installed into (``macos-x86_64`` for a Rosetta Python).

    The interpreter's own answer wins over the OS's: an x86_64 Python under Rosetta 2 installs x86_64
    wheels, a 32-bit Python on 64-bit Windows (``win32``, while ``platform.machine()`` still says AMD64)
    installs none. A universal2 macOS build runs as whatever ``platform.machine()`` says.
    """
    os_name = os_key(facts.os.system)
    python = facts.python
    arch: str | None = None
    if python.status == "ok":
        parsed = _from_platform_tag(python.platform_tag) if python.platform_tag else None
        if parsed is not None:
            os_name, arch = parsed
        if arch is None and python.machine and os_name:
            arch = arch_name(python.machine, os_name)
        if python.pointer_bits == 32 and arch in ("x86_64", "aarch64", "arm64"):
            arch = "x86" if arch == "x86_64" else "arm"
    if arch is None and os_name:
        arch = arch_name(facts.os.arch, os_name)
    return f"{os_name}-{arch}" if os_name and arch else None


def python_tag(facts: Facts) -> str | None:
    """``3.11``, or ``3.13t`` for a free-threaded build, as the recipes list Pythons."""
    version = parse_version(facts.python.version)
    if version is None:
        return None
    threaded = facts.python.free_threaded or "t" in (facts.python.abi_flags or "")
    return f"{version.major}.{version.minor}" + ("t" if threaded else "")


def mps_possible(platform: str | None, macos_version: object) -> tuple[bool, str]:
    """(possible, reason) for torch's MPS device: a native arm64 Python on macOS 12.3 or later."""
    if platform is None or not platform.startswith("macos"):
        return False, _("not macOS")
    if platform != "macos-arm64":
        return False, _("the target Python runs as x86_64: MPS needs a native arm64 Python on Apple silicon (an x86_64 "
                        "Python under Rosetta 2 cannot use it)")
    version = parse_version(macos_version)
    if version is None:
        return False, _("the macOS version is unknown")
    if version < MPS_MIN_MACOS:
        return False, _("macOS {version} is older than {minimum}, the first with MPS", version=version,
                        minimum=MPS_MIN_MACOS)
    return True, ""


def build_kinds(platform: str | None, recipes: Recipes) -> set[str]:
    """The kinds of torch build (``cuda``, ``rocm``, ``xpu``, ``mps``, ``cpu``) any release publishes for a
    platform: an accelerator whose kind is missing here is one torch cannot use on this platform."""
    return {v.kind for r in recipes.releases if platform in r.platforms for v in r.variants if platform in v.platforms}


# ---------------------------------------------------------------------------- GPUs of the facts


def gpu_capability(gpu: Gpu, recipes: Recipes | None) -> str | None:
    """The GPU's compute capability: as probed, else from its ``sm_XY`` arch, else from the name table."""
    for value in (gpu.compute_capability, gpu.arch):
        text = cc_text(value)
        if text:
            return text
    if recipes is not None and gpu.name:
        return cc_text(recipes.gpu_compute_capability(gpu.name))
    return None


def facts_driver_cuda(facts: Facts, recipes: Recipes | None) -> Version | None:
    """The newest CUDA this machine's driver supports: as the driver says, else from the driver table."""
    reported = parse_version(facts.nvidia.driver_max_cuda)
    if reported is not None:
        return reported
    if recipes is None:
        return None
    return driver_max_cuda(facts.nvidia.driver_version, driver_table_os(facts.os.system, facts.os.wsl),
                           recipes.toolkits, recipes.families)


def installed_variant_name(facts: Facts, recipes: Recipes | None) -> str | None:
    """The variant of the installed torch: its local tag (``+cu124``), else the PyPI default wheel of its
    release for this platform (a plain ``2.5.1`` from PyPI is that release's PyPI build), else what
    ``version.py`` says it was built for."""
    torch = facts.torch
    version = parse_version(torch.version)
    if version is None:
        return None
    if version.local:
        return version.local
    # the exact public version: a pre-release or source build (2.6.0a0) is not the 2.6.0 release
    release = recipes.release(version.public) if recipes is not None else None
    platform = target_platform(facts)
    if release is not None and platform is not None and platform in release.pypi:
        return release.pypi[platform]
    return cuda_variant(torch.cuda) or rocm_variant(torch.hip) or ("xpu" if torch.xpu else None)


# ---------------------------------------------------------------------------- build variants, packages, OS names

#: The torch family: torch and the companions released in step with it (a release pins one of each).
TORCH_FAMILY = ("torch", "torchvision", "torchaudio")
#: The companions alone, by their PyPI names.
COMPANIONS = TORCH_FAMILY[1:]
#: A wheel variant's name as the PyTorch index and local versions spell it: ``cu118``, ``cu1210``, ``rocm6.2``,
#: ``rocm6.2.4``, ``cpu``, ``xpu`` (for embedding in larger patterns; :data:`VARIANT_RE` matches a whole name).
VARIANT_PATTERN = r"cu[0-9]{2,4}|cpu|rocm[0-9]+\.[0-9]+(?:\.[0-9]+)?|xpu"
VARIANT_RE = re.compile(rf"^(?:{VARIANT_PATTERN})$", re.ASCII)
_CUDA_VARIANT = r"(?a)^cu([0-9])([0-9])$|^cu([0-9]{2})([0-9]{1,2})$"
_CUDA_TEXT = r"(?a)^[0-9]+\.[0-9]+(?:\.[0-9]+)?$"
_ROCM_VARIANT = r"(?a)^rocm([0-9]+\.[0-9]+(?:\.[0-9]+)?)$"
_HIP_TEXT = r"(?a)^([0-9]+)\.([0-9]+)(?:[.+-]|$)"
#: OS names as ``platform.system()`` prints them, by the name the recipes use.
SYSTEM_NAMES = {"linux": "Linux", "windows": "Windows", "macos": "Darwin"}
#: ``sys.platform`` (the ``sys_platform`` marker) by the name the recipes use.
SYS_PLATFORMS = {"linux": "linux", "windows": "win32", "macos": "darwin"}
_OS_KEYS = {name.lower(): key for names in (SYSTEM_NAMES, SYS_PLATFORMS) for key, name in names.items()} \
    | {key: key for key in SYSTEM_NAMES}


def cuda_variant(cuda: object) -> str | None:
    """The variant name of a CUDA version: ``11.8`` -> ``cu118``, ``12.10`` -> ``cu1210``, ``12.4.1`` -> ``cu124``."""
    found = major_minor(cuda)
    return f"cu{found[0]}{found[1]}" if found is not None else None


def variant_cuda(name: object) -> str | None:
    """The CUDA version a variant name stands for: ``cu92`` -> ``9.2``, ``cu118`` -> ``11.8``, ``cu1210`` ->
    ``12.10`` (since CUDA 10 the major has two digits); None for a name that is not a CUDA variant."""
    match = re.match(_CUDA_VARIANT, name) if isinstance(name, str) else None
    if match is None:
        return None
    major, minor = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return f"{int(major)}.{int(minor)}"


def variant_rocm(name: object) -> str | None:
    """The ROCm version a variant name stands for: ``rocm6.2`` -> ``6.2``, ``rocm6.2.4`` -> ``6.2.4``; None for a
    name that is not a ROCm variant."""
    match = re.match(_ROCM_VARIANT, name) if isinstance(name, str) else None
    return match.group(1) if match else None


def rocm_variant(hip: object) -> str | None:
    """The variant line of a HIP version as ``torch.version.hip`` prints it: ``6.2.41133-dd7f95766`` -> ``rocm6.2``."""
    match = re.match(_HIP_TEXT, hip.strip()) if isinstance(hip, str) else None
    return f"rocm{int(match.group(1))}.{int(match.group(2))}" if match else None


def cuda_from_build_number(text: object) -> str | None:
    """A CUDA version as X.Y where a tool wrote it as ``CUDA_VERSION // 10`` (xFormers' build info: ``1201`` ->
    ``12.1``, ``1108`` -> ``11.8``, ``1210`` -> ``12.10``) or already as a version (``12.1.1`` -> ``12.1``)."""
    if isinstance(text, str) and re.fullmatch(r"[0-9]{3,4}", text):
        return f"{int(text) // 100}.{int(text) % 100}"
    found = parse_cuda(text)
    return f"{found[0]}.{found[1]}" if found is not None else None


def parse_cuda(text: object) -> tuple[int, int] | None:
    """(major, minor) of a CUDA version someone typed: ``12.4`` or ``12.4.1``, ASCII digits only."""
    if not isinstance(text, str) or not re.match(_CUDA_TEXT, text.strip()):
        return None
    return major_minor(text.strip())


def os_key(system: object) -> str | None:
    """``linux``, ``windows`` or ``macos`` for an OS as ``platform.system()`` (``Darwin``), ``sys.platform``
    (``win32``) or the recipes (``macos``) name it; None for any other."""
    return _OS_KEYS.get(system.strip().lower()) if isinstance(system, str) else None
