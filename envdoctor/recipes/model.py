"""The recipe data model: validated rows and the :class:`Recipes` lookups over them (never raise on odd input)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field

from packaging.version import Version

from envdoctor import compat
from envdoctor.compat import DriverVersion, parse_cc, parse_version
from envdoctor.datatypes import datatype
from envdoctor.i18n import _, joined

PLATFORMS = compat.WHEEL_PLATFORMS
KIND_PLATFORMS = {
    "cpu": PLATFORMS,
    "cuda": ("linux-x86_64", "windows-x86_64"),
    "rocm": ("linux-x86_64",),
    "xpu": ("linux-x86_64", "windows-x86_64"),
    "mps": ("macos-arm64",),
}
NAME_DROP = {"nvidia", "geforce", "tesla", "amd", "instinct", "radeon", "tm", "r"}
# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
NAME_SUFFIX_PATTERN = r"^(\d+gb|\d+g|hbm\d*e?|sxm\d*|pcie|nvl|oam|nvgpu)$"


class RecipeError(ValueError):
    """Recipe data that cannot be used; ``problems`` lists every 'file: entry: problem' found."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        said = joined(self.problems[:5])
        if len(self.problems) > 5:
            said = _("{problems} (and {count} more)", problems=said, count=len(self.problems) - 5)
        super().__init__(said)


@datatype(frozen=True)
class ToolkitDriver:
    """One row of NVIDIA's Table 3: the driver a toolkit release ships with."""

    version: Version
    label: str
    linux: DriverVersion | None
    windows: DriverVersion | None
    source: str
    note: str = ""

    def driver(self, os: str) -> DriverVersion | None:
        return self.windows if os == "windows" else self.linux


@datatype(frozen=True)
class CudaFamily:
    """The minor-version-compatibility floor of one CUDA major (None: no such compatibility)."""

    major: int
    linux: DriverVersion | None
    windows: DriverVersion | None
    source: str
    note: str = ""

    def floor(self, os: str) -> DriverVersion | None:
        return self.windows if os == "windows" else self.linux


@datatype(frozen=True)
class CondaRecipe:
    """How a release installs with conda: its channel's style and the CUDA versions it had."""

    style: str  # "cudatoolkit" (<= 1.12) | "pytorch-cuda" (1.13 - 2.5) | "conda-forge"
    cuda: tuple[str, ...] = ()  # CUDA versions the pytorch channel had (pytorch channel styles)
    note: str = ""


@datatype(frozen=True)
class VariantRecipe:
    """One wheel build of one release: ``2.5.1`` + ``cu124``."""

    torch: str
    name: str
    kind: str
    cuda: str | None = None
    toolkit: str | None = None
    rocm: str | None = None
    archs: tuple[str, ...] = ()
    ptx: tuple[str, ...] = ()
    ptx_platforms: tuple[str, ...] = PLATFORMS
    archs_by_platform: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    platforms: tuple[str, ...] = ()
    glibc: Mapping[str, str] = field(default_factory=dict)
    gfx: tuple[str, ...] = ()  # ROCm: gfx targets of this release's wheel; empty: unknown (note says UNVERIFIED)
    source: str = ""
    note: str = ""
    toolkit_source: str = ""
    inferred: tuple[str, ...] = ()  # what `recipes refresh` inferred rather than read, each with its rule

    def kernels_for(self, platform: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(SASS archs, PTX archs) of this variant's wheels for ``platform`` (the default lists for None)."""
        sass = self.archs_by_platform.get(platform or "", self.archs)
        ptx = self.ptx if platform is None or platform in self.ptx_platforms else ()
        return sass, ptx


@datatype(frozen=True)
class Release:
    """One torch release on PyPI with everything needed to install it."""

    version: str
    parsed: Version
    series: str
    python: Mapping[str, tuple[str, ...]]  # platform -> "3.11", "3.13t", ...
    platforms: tuple[str, ...]
    macos_min: Mapping[str, str]
    glibc: Mapping[str, str]
    pypi: Mapping[str, str]  # platform -> variant plain `pip install torch` gets
    index_style: str
    variants: tuple[VariantRecipe, ...]
    torchvision: str | None
    torchaudio: str | None
    conda: CondaRecipe | None
    source: str
    note: str = ""
    companion_gaps: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    macos_min_by_python: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    inferred: tuple[str, ...] = ()  # what `recipes refresh` inferred rather than read, each with its rule

    def variant(self, name: str) -> VariantRecipe | None:
        return next((v for v in self.variants if v.name == name), None)

    def companion(self, name: str) -> str | None:
        """The torchvision / torchaudio version this release pairs (None: none)."""
        return self.torchvision if name == "torchvision" else self.torchaudio if name == "torchaudio" else None

    def companion_wheel(self, name: str, platform: str, python: str) -> bool:
        """Whether the paired ``name`` has a PyPI wheel for ``platform`` and Python tag ``python`` (``3.13t``).

        False for a companion this release does not pair, and where torch itself has no wheel (the data
        records companion wheels only beside torch's own).
        """
        if self.companion(name) is None or python not in self.python.get(platform, ()):
            return False
        return python not in self.companion_gaps.get(name, {}).get(platform, ())

    def macos_floor(self, platform: str, python: str | None = None) -> str | None:
        """The oldest macOS the wheel for ``platform`` (and ``python``, where its wheel differs) installs on."""
        if python is not None:
            special = self.macos_min_by_python.get(platform, {}).get(python)
            if special is not None:
                return special
        return self.macos_min.get(platform)


@datatype(frozen=True)
class Mirror:
    """Rewrite every index URL starting with ``prefix`` to start with ``replacement``, whose pages are
    laid out as ``layout`` says (a find-links mirror is passed to installers with ``--find-links``)."""

    prefix: str
    replacement: str
    source: str = ""
    layout: str = "simple"


@datatype(frozen=True)
class MirrorPreset:
    """A public mirror ``--mirror NAME`` selects: of the PyTorch wheel index (``serves = "pytorch"``:
    ``url`` replaces ``https://download.pytorch.org/whl``) or of PyPI (``serves = "pypi"``: ``url`` is
    the simple index). ``source`` is the mirror's own documentation page."""

    name: str
    serves: str
    url: str
    layout: str
    source: str
    note: str = ""


@datatype(frozen=True)
class JetsonRecipe:
    """Jetson modules: ``compute_capabilities`` the standard wheels do not serve, ``sbsa_compute_capabilities``
    the SBSA aarch64 wheels do (Thor)."""

    names: tuple[str, ...]
    compute_capabilities: tuple[str, ...]
    message: str
    source: str
    sbsa_compute_capabilities: tuple[str, ...] = ()
    note: str = ""


GpuTable = tuple[tuple[tuple[str, ...], str, str], ...]  # (name words, cc or gfx, source), longest first


@datatype(frozen=True)
class DataLayer:
    """One folder the data was merged from, in order: its kind (``built-in``, ``refreshed`` or ``overlay``),
    the day its data was last compared with the indexes (``checked``, empty when unknown), and where a
    refreshed layer read its data (``pypi``, ``index``)."""

    kind: str
    path: str
    checked: str = ""
    pypi: str = ""
    index: str = ""


@datatype(frozen=True)
class Recipes:
    """All compatibility data, validated. Lookups never raise on odd input; they return None."""

    releases: tuple[Release, ...]  # newest first
    toolkits: tuple[ToolkitDriver, ...]
    families: Mapping[int, CudaFamily]
    newest_arch: Mapping[str, str]  # CUDA "12.8" (or a whole major, "13") -> newest capability it builds for
    nvidia_gpus: GpuTable
    amd_gpus: GpuTable
    jetson: JetsonRecipe | None
    mirrors: tuple[Mirror, ...]
    index_base: str
    find_links: str
    sources: Mapping[str, str]  # file -> its top-level source line
    files: tuple[str, ...]
    mirror_presets: tuple[MirrorPreset, ...] = ()
    layers: tuple[DataLayer, ...] = ()
    series_variants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # series -> its own variant names
    variant_defaults: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # [variant.NAME] tables
    gpu_first_cuda: Mapping[str, str] = field(default_factory=dict)  # capability "12.0" -> first toolkit "12.8.0"

    # ------------------------------------------------------------------ drivers

    def newest_cc(self, cuda: str | None) -> str | None:
        """The newest compute capability code built with this CUDA can target (``12.8`` -> ``12.0``)."""
        found = compat.major_minor(cuda)
        if found is None:
            return None
        return self.newest_arch.get(f"{found[0]}.{found[1]}") or self.newest_arch.get(str(found[0]))

    # ------------------------------------------------------------------ GPUs

    def gpu_compute_capability(self, name: str) -> str | None:
        """Compute capability for an NVIDIA GPU name as nvidia-smi prints it, or for ``sm_86`` / ``8.6``."""
        if not isinstance(name, str):
            return None
        arch = parse_cc(name)
        if arch is not None:
            return arch.cc
        return _lookup(self.nvidia_gpus, name)

    def amd_gfx(self, name: str) -> str | None:
        """LLVM gfx target for an AMD GPU name (``AMD Instinct MI250X`` -> ``gfx90a``) or a gfx target."""
        if not isinstance(name, str):
            return None
        base = compat.gfx_base(name)
        if base is not None:
            return base
        return _lookup(self.amd_gpus, name)

    # ------------------------------------------------------------------ releases

    def release(self, version: str) -> Release | None:
        parsed = parse_version(version)
        if parsed is None:
            return None
        return next((r for r in self.releases if r.parsed == parsed), None)

    def find_variant(self, torch_version: str, variant: str) -> VariantRecipe | None:
        release = self.release(str(torch_version).split("+")[0])
        return release.variant(variant) if release else None

    def rewrite_url(self, url: str | None) -> str | None:
        """Apply the mirror table (the first matching prefix wins)."""
        mirror = self.mirror_for(url)
        if not url or mirror is None:
            return url
        return mirror.replacement + url[len(mirror.prefix):]

    def mirror_for(self, url: str | None) -> Mirror | None:
        """The mirror row that rewrites ``url`` (the first matching prefix), or None."""
        if not url:
            return None
        return next((m for m in self.mirrors if url == m.prefix or url.startswith(m.prefix + "/")), None)

    def presets(self, name: str) -> tuple[MirrorPreset, ...]:
        """The presets named ``name`` (one per index it mirrors), matched without case."""
        return tuple(p for p in self.mirror_presets if p.name.lower() == name.lower())

    def index_url(self, variant: str) -> str:
        return f"{self.index_base}/{variant}"


# ---------------------------------------------------------------------------- GPU names


def _words(name: str) -> list[str]:
    text = re.sub(r"[®™]", " ", name.lower())  # "(tm)" and "(r)" split into words NAME_DROP drops
    words = re.split(r"[\s\-_/,()]+", text)
    return [w for w in words if w and w not in NAME_DROP and not re.match(NAME_SUFFIX_PATTERN, w)]


def _lookup(table: GpuTable, name: str) -> str | None:
    """The value of the longest table name whose words start the GPU's words."""
    words = _words(name)
    if not words:
        return None
    for key, value, _length in table:  # longest keys first
        if len(key) <= len(words) and tuple(words[: len(key)]) == key:
            return value
    return None

