"""Compatibility data: load the TOML recipes, validate them, merge overlays, answer lookups.

The built-in files live in ``recipes/`` (installed as ``envdoctor.recipe_data``). Overlay folders
(``--recipes DIR``, ``ENVDOCTOR_RECIPES``) add or override entries table by table. Every problem is
reported with its file, entry and what is wrong, e.g.
``recipes/torch.toml: release "2.5.1" variant "cu124": arch "sm_9O" is not sm_NN``.
"""

from __future__ import annotations

import copy
import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from packaging.version import InvalidVersion, Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

RECIPE_FILES = ("cuda_drivers.toml", "torch.toml", "gpus.toml", "mirrors.toml")
OTHER_FILES = ("gpu_peaks.toml",)  # read by the verifier, not by this loader
PLATFORMS = ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64", "macos-x86_64")
KINDS = ("cpu", "cuda", "rocm", "xpu", "mps")
INDEX_STYLES = ("find-links", "extra-index-url", "index-url")
CONDA_STYLES = ("cudatoolkit", "pytorch-cuda", "conda-forge")
KIND_PLATFORMS = {
    "cpu": PLATFORMS,
    "cuda": ("linux-x86_64", "windows-x86_64"),
    "rocm": ("linux-x86_64",),
    "xpu": ("linux-x86_64", "windows-x86_64"),
    "mps": ("macos-arm64",),
}
SM_RE = re.compile(r"^sm_(\d+)$")
GFX_RE = re.compile(r"^gfx[0-9a-f]{3,4}$")
PYTHON_RE = re.compile(r"^3\.(\d+)(t?)$")
CC_RE = re.compile(r"^(\d+)\.(\d+)$")
NAME_DROP = {"nvidia", "geforce", "tesla", "amd", "instinct", "radeon", "tm", "r"}
NAME_SUFFIX_RE = re.compile(r"^(\d+gb|\d+g|hbm\d*e?|sxm\d*|pcie|nvl|oam|nvgpu)$")


class DriverVersion(Version):
    """A driver version that prints as written (``560.35.05``, not ``560.35.5``)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._text = text.strip()

    def __str__(self) -> str:
        return self._text


def _driver(text: Any) -> DriverVersion | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return DriverVersion(text)
    except InvalidVersion:
        return None


class RecipeError(ValueError):
    """Recipe data that cannot be used; ``problems`` lists every 'file: entry: problem' found."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__("; ".join(self.problems[:5]) + more)


@dataclass(frozen=True)
class ToolkitDriver:
    """One row of NVIDIA's Table 3: the driver a toolkit release ships with."""

    version: Version
    label: str
    linux: Version | None
    windows: Version | None
    source: str
    note: str = ""

    def driver(self, os: str) -> Version | None:
        return self.windows if os == "windows" else self.linux


@dataclass(frozen=True)
class CudaFamily:
    """The minor-version-compatibility floor of one CUDA major (None: no such compatibility)."""

    major: int
    linux: Version | None
    windows: Version | None
    source: str
    note: str = ""

    def floor(self, os: str) -> Version | None:
        return self.windows if os == "windows" else self.linux


@dataclass(frozen=True)
class CondaRecipe:
    style: str  # "cudatoolkit" (<= 1.12) | "pytorch-cuda" (1.13 - 2.5) | "conda-forge"
    cuda: tuple[str, ...] = ()  # CUDA versions the pytorch channel had (pytorch channel styles)
    note: str = ""


@dataclass(frozen=True)
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
    gfx: tuple[str, ...] = ()
    source: str = ""
    note: str = ""

    def archs_for(self, platform: str | None) -> tuple[str, ...]:
        return self.archs_by_platform.get(platform or "", self.archs)

    def ptx_for(self, platform: str | None) -> tuple[str, ...]:
        return self.ptx if platform is None or platform in self.ptx_platforms else ()


@dataclass(frozen=True)
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

    def variant(self, name: str) -> VariantRecipe | None:
        return next((v for v in self.variants if v.name == name), None)


@dataclass(frozen=True)
class Mirror:
    """Rewrite every index URL starting with ``prefix`` to start with ``replacement``."""

    prefix: str
    replacement: str
    source: str = ""


@dataclass(frozen=True)
class JetsonRecipe:
    names: tuple[str, ...]
    compute_capabilities: tuple[str, ...]
    message: str
    source: str


@dataclass(frozen=True)
class Recipes:
    """All compatibility data, validated. Lookups never raise on odd input; they return None."""

    releases: tuple[Release, ...]  # newest first
    toolkits: tuple[ToolkitDriver, ...]
    families: Mapping[int, CudaFamily]
    nvidia_gpus: tuple[tuple[tuple[str, ...], str, str], ...]  # (name words, cc, source), longest first
    amd_gpus: tuple[tuple[tuple[str, ...], str, str], ...]  # (name words, gfx, source)
    rocm_archs: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...]  # (rocm versions, gfx, source)
    jetson: JetsonRecipe | None
    mirrors: tuple[Mirror, ...]
    index_base: str
    find_links: str
    sources: Mapping[str, str]  # file -> its top-level source line
    files: tuple[str, ...]

    # ------------------------------------------------------------------ drivers

    def toolkit_driver(self, toolkit: str, os: str) -> Version | None:
        """Table-3 driver of the exact toolkit (or the newest row of that major.minor below it)."""
        return _toolkit_driver(self.toolkits, str(toolkit), _os_name(os))

    def family_floor(self, cuda_major: int, os: str) -> Version | None:
        family = self.families.get(cuda_major)
        return family.floor(os) if family else None

    def driver_max_cuda(self, driver: str, os: str) -> str | None:
        """Newest CUDA (major.minor) a driver supports, judged by its branch (``550.x`` -> 12.4)."""
        version = _version(driver)
        if version is None:
            return None
        os = _os_name(os)
        branch = version.release[0]
        best: Version | None = None
        for row in self.toolkits:
            needed = row.driver(os)
            if needed is not None and needed.release[0] <= branch:
                cuda = Version(f"{row.version.major}.{row.version.minor}")
                best = cuda if best is None or cuda > best else best
        for family in self.families.values():
            floor = family.floor(os)
            if floor is not None and version >= floor:
                cuda = Version(f"{family.major}.0")
                best = cuda if best is None or cuda > best else best
        return f"{best.major}.{best.minor}" if best else None

    # ------------------------------------------------------------------ GPUs

    def gpu_compute_capability(self, name: str) -> str | None:
        """Compute capability for an NVIDIA GPU name as nvidia-smi prints it, or for ``sm_86``."""
        if not isinstance(name, str):
            return None
        text = name.strip().lower()
        match = SM_RE.match(text)
        if match:
            return _cc_from_sm(text)
        if CC_RE.match(text):
            return text
        return _lookup(self.nvidia_gpus, name)

    def amd_gfx(self, name: str) -> str | None:
        """LLVM gfx target for an AMD GPU name (``AMD Instinct MI250X`` -> ``gfx90a``)."""
        if not isinstance(name, str):
            return None
        if GFX_RE.match(name.strip().lower()):
            return name.strip().lower()
        return _lookup(self.amd_gpus, name)

    def rocm_gfx(self, rocm_version: str) -> tuple[str, ...]:
        """gfx targets compiled into the ROCm wheels of this ROCm version (empty when unknown)."""
        for depth in (None, 2, 1):
            key = rocm_version if depth is None else ".".join(rocm_version.split(".")[:depth])
            for versions, gfx, _ in self.rocm_archs:
                if key in versions:
                    return gfx
        return ()

    def is_jetson(self, name: str | None, compute_capability: str | None) -> bool:
        if self.jetson is None:
            return False
        words = _words(name or "")
        if any(tuple(_words(n)) and _starts_any(words, _words(n)) for n in self.jetson.names):
            return True
        return compute_capability in self.jetson.compute_capabilities

    # ------------------------------------------------------------------ releases

    def release(self, version: str) -> Release | None:
        parsed = _version(version)
        if parsed is None:
            return None
        return next((r for r in self.releases if r.parsed == parsed), None)

    def find_variant(self, torch_version: str, variant: str) -> VariantRecipe | None:
        release = self.release(str(torch_version).split("+")[0])
        return release.variant(variant) if release else None

    def covers_arch(self, variant_recipe: VariantRecipe, compute_capability: str, platform: str | None = None) -> bool:
        """Whether the variant's kernels run on this compute capability.

        SASS for X.y runs on X.z with z >= y (binary compatible within a major, pytorch#45130);
        PTX for X.y is compiled just in time for any newer capability.
        """
        wanted = _parse_cc(compute_capability)
        if wanted is None or variant_recipe is None:
            return False
        for arch in variant_recipe.archs_for(platform):
            have = _parse_cc(arch)
            if have and have[0] == wanted[0] and have[1] <= wanted[1]:
                return True
        for arch in variant_recipe.ptx_for(platform):
            have = _parse_cc(arch)
            if have and have <= wanted:
                return True
        return False

    def rewrite_url(self, url: str | None) -> str | None:
        """Apply the mirror table (the first matching prefix wins)."""
        if not url:
            return url
        for mirror in self.mirrors:
            if url.startswith(mirror.prefix):
                return mirror.replacement + url[len(mirror.prefix):]
        return url

    def index_url(self, variant: str) -> str:
        return f"{self.index_base}/{variant}"


# ---------------------------------------------------------------------------- helpers


@functools.lru_cache(maxsize=256)
def _toolkit_driver(toolkits: tuple[ToolkitDriver, ...], toolkit: str, os: str) -> Version | None:
    wanted = _version(toolkit)
    if wanted is None:
        return None
    rows = [r for r in toolkits if r.version.release[:2] == wanted.release[:2]]
    below = [r for r in rows if r.version <= wanted]
    best = max(below, key=lambda r: r.version) if below else (min(rows, key=lambda r: r.version) if rows else None)
    return best.driver(os) if best else None



def _version(text: Any) -> Version | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return Version(text.strip())
    except InvalidVersion:
        return None


def _os_name(os: str) -> str:
    os = (os or "").lower()
    return {"win32": "windows", "darwin": "macos"}.get(os, os)


@functools.lru_cache(maxsize=1024)
def _parse_cc(text: str | None) -> tuple[int, int] | None:
    """``sm_86`` / ``8.6`` / ``sm_120`` -> (8, 6) / (12, 0)."""
    if not isinstance(text, str):
        return None
    text = text.strip().lower()
    match = CC_RE.match(text)
    if match:
        return int(match.group(1)), int(match.group(2))
    match = SM_RE.match(text)
    if match and len(match.group(1)) >= 2:
        digits = match.group(1)
        return int(digits[:-1]), int(digits[-1])
    return None


def _cc_from_sm(text: str) -> str | None:
    parsed = _parse_cc(text)
    return f"{parsed[0]}.{parsed[1]}" if parsed else None


def sm_name(compute_capability: str) -> str | None:
    """``8.6`` -> ``sm_86``."""
    parsed = _parse_cc(compute_capability)
    return f"sm_{parsed[0]}{parsed[1]}" if parsed else None


def _words(name: str) -> list[str]:
    text = re.sub(r"\(tm\)|\(r\)|[®™]", " ", name.lower())
    words = re.split(r"[\s\-_/,()]+", text)
    return [w for w in words if w and w not in NAME_DROP and not NAME_SUFFIX_RE.match(w)]


def _starts_any(words: list[str], key: list[str]) -> bool:
    return len(key) <= len(words) and words[: len(key)] == key


def _lookup(table: tuple[tuple[tuple[str, ...], str, str], ...], name: str) -> str | None:
    words = _words(name)
    if not words:
        return None
    for key, value, _ in table:  # longest keys first
        if _starts_any(words, list(key)):
            return value
    return None


def builtin_dir() -> Path:
    """The installed data package, or ``recipes/`` beside the package in a source tree.

    ``envdoctor.recipe_data`` is a namespace package (a folder of data files), so its location is
    read from the import system rather than from importlib.resources' multiplexed path.
    """
    from importlib.util import find_spec

    try:
        spec = find_spec("envdoctor.recipe_data")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "torch.toml").is_file():
            return Path(location)
    return Path(__file__).resolve().parent.parent / "recipes"


# ---------------------------------------------------------------------------- raw loading + merging


@dataclass
class _Raw:
    """Parsed TOML of every recipe file, merged, with the file each entry came from."""

    data: dict[str, dict] = field(default_factory=lambda: {name: {} for name in RECIPE_FILES})
    origin: dict[tuple[str, str], str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _display(path: Path) -> str:
    parts = path.parts
    return str(Path(*parts[-2:])) if len(parts) >= 2 else str(path)


def _read_dir(folder: Path, raw: _Raw, overlay: bool) -> None:
    if not folder.is_dir():
        raw.problems.append(f"{folder}: not a folder")
        return
    for path in sorted(folder.glob("*.toml")):
        shown = _display(path) if not overlay else str(path)
        if path.name in OTHER_FILES:
            continue
        if path.name not in RECIPE_FILES:
            raw.problems.append(f"{shown}: unknown recipe file (expected one of {', '.join(RECIPE_FILES)})")
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raw.problems.append(f"{shown}: cannot read: {exc}")
            continue
        except tomllib.TOMLDecodeError as exc:
            raw.problems.append(f"{shown}: not valid TOML: {exc}")
            continue
        _merge_file(path.name, shown, data, raw)


def _merge_file(name: str, shown: str, data: dict, raw: _Raw) -> None:
    target = raw.data[name]
    for key, value in data.items():
        if name == "torch.toml" and key in ("series", "variant", "arch_lists") and isinstance(value, dict):
            table = target.setdefault(key, {})
            for entry, body in value.items():
                if key == "series" and isinstance(body, dict) and isinstance(table.get(entry), dict):
                    merged = table[entry]
                    for field_name, field_value in body.items():
                        if field_name in ("releases", "variants") and isinstance(field_value, dict):
                            merged.setdefault(field_name, {}).update(copy.deepcopy(field_value))
                        else:
                            merged[field_name] = copy.deepcopy(field_value)
                else:
                    table[entry] = copy.deepcopy(body)
                raw.origin[(key, str(entry))] = shown
        elif isinstance(value, list) and key in ("toolkit", "family", "nvidia", "amd", "rocm", "mirror"):
            target[key] = copy.deepcopy(value) + target.get(key, [])  # later files' rows win lookups
            for row in value:
                raw.origin[(key, _row_key(key, row))] = shown
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key].update(copy.deepcopy(value))
            raw.origin[(key, "")] = shown
        else:
            target[key] = copy.deepcopy(value)
            raw.origin[(key, "")] = shown
    raw.origin[("file", name)] = raw.origin.get(("file", name), shown)


def _row_key(key: str, row: Any) -> str:
    if not isinstance(row, dict):
        return "?"
    for field_name in ("version", "major", "cc", "gfx", "prefix", "versions"):
        if field_name in row:
            return str(row[field_name])
    return "?"


# ---------------------------------------------------------------------------- validation + expansion


class _Checker:
    def __init__(self, raw: _Raw):
        self.raw = raw
        self.problems = raw.problems

    def where(self, key: str, entry: str, file: str) -> str:
        return self.raw.origin.get((key, entry)) or self.raw.origin.get(("file", file)) or f"recipes/{file}"

    def fail(self, file: str, text: str) -> None:
        self.problems.append(f"{file}: {text}")


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _versions_ok(values: Mapping[str, Any]) -> list[str]:
    return [k for k, v in values.items() if _version(v) is None]


def _expand_drivers(check: _Checker) -> tuple[tuple[ToolkitDriver, ...], dict[int, CudaFamily]]:
    data = check.raw.data["cuda_drivers.toml"]
    source = data.get("source", "")
    toolkits: list[ToolkitDriver] = []
    for row in data.get("toolkit", []):
        file = check.where("toolkit", _row_key("toolkit", row), "cuda_drivers.toml")
        if not isinstance(row, dict) or _version(row.get("version")) is None:
            check.fail(file, f"toolkit row {row!r}: 'version' must be a version such as \"12.4.1\"")
            continue
        entry = f"toolkit \"{row['version']}\""
        bad = [k for k in ("linux", "windows") if k in row and _version(row[k]) is None]
        if bad:
            check.fail(file, f"{entry}: {', '.join(bad)} driver is not a version: {row.get(bad[0])!r}")
            continue
        if "linux" not in row and "windows" not in row:
            check.fail(file, f"{entry}: needs a 'linux' or 'windows' driver")
            continue
        toolkits.append(ToolkitDriver(Version(row["version"]), str(row.get("label", row["version"])),
                                      _driver(row.get("linux")), _driver(row.get("windows")),
                                      str(row.get("source", source)), str(row.get("note", ""))))
    families: dict[int, CudaFamily] = {}
    for row in data.get("family", []):
        file = check.where("family", _row_key("family", row), "cuda_drivers.toml")
        if not isinstance(row, dict) or not isinstance(row.get("major"), int) or isinstance(row.get("major"), bool):
            check.fail(file, f"family row {row!r}: 'major' must be an integer")
            continue
        bad = [k for k in ("linux", "windows") if k in row and _version(row[k]) is None]
        if bad:
            check.fail(file, f"family {row['major']}: {bad[0]} floor is not a version: {row[bad[0]]!r}")
            continue
        if not row.get("source") and not source:
            check.fail(file, f"family {row['major']}: no 'source'")
        families.setdefault(row["major"], CudaFamily(row["major"], _driver(row.get("linux")),
                                                     _driver(row.get("windows")), str(row.get("source", source)),
                                                     str(row.get("note", ""))))
    if not toolkits:
        check.fail("recipes/cuda_drivers.toml", "no toolkit rows")
    return tuple(toolkits), families


def _gpu_table(check: _Checker, key: str, value_key: str, pattern: re.Pattern) -> tuple:
    rows = check.raw.data["gpus.toml"].get(key, [])
    out = []
    for row in rows:
        file = check.where(key, _row_key(key, row), "gpus.toml")
        value = row.get(value_key) if isinstance(row, dict) else None
        if not isinstance(value, str) or not pattern.match(value):
            check.fail(file, f"{key} row {row!r}: '{value_key}' {value!r} is not valid")
            continue
        if not _str_list(row.get("names")) or not row["names"]:
            check.fail(file, f"{key} {value_key} \"{value}\": 'names' must be a non-empty list of strings")
            continue
        if not row.get("source"):
            check.fail(file, f"{key} {value_key} \"{value}\": no 'source'")
        for name in row["names"]:
            words = tuple(_words(name))
            if words:
                out.append((words, value, str(row.get("source", ""))))
    out.sort(key=lambda item: -len(item[0]))  # stable: overlay rows (first) win among equals
    return tuple(out)


def _expand_gpus(check: _Checker):
    nvidia = _gpu_table(check, "nvidia", "cc", CC_RE)
    amd = _gpu_table(check, "amd", "gfx", GFX_RE)
    rocm = []
    for row in check.raw.data["gpus.toml"].get("rocm", []):
        file = check.where("rocm", _row_key("rocm", row), "gpus.toml")
        if not isinstance(row, dict) or not _str_list(row.get("versions")) or not _str_list(row.get("gfx")):
            check.fail(file, f"rocm row {row!r}: needs 'versions' and 'gfx' lists of strings")
            continue
        bad = [g for g in row["gfx"] if not GFX_RE.match(g)]
        if bad:
            check.fail(file, f"rocm {row['versions']}: gfx target {bad[0]!r} is not gfxNNN")
            continue
        rocm.append((tuple(row["versions"]), tuple(row["gfx"]), str(row.get("source", ""))))
    jetson = None
    raw_jetson = check.raw.data["gpus.toml"].get("jetson")
    if isinstance(raw_jetson, dict):
        if not _str_list(raw_jetson.get("names")) or not _str_list(raw_jetson.get("compute_capabilities")):
            check.fail(check.where("jetson", "", "gpus.toml"), "jetson: needs 'names' and 'compute_capabilities' lists")
        else:
            jetson = JetsonRecipe(tuple(raw_jetson["names"]), tuple(raw_jetson["compute_capabilities"]),
                                  str(raw_jetson.get("message", "NVIDIA Jetson is not served by the standard index")),
                                  str(raw_jetson.get("source", "")))
    return nvidia, amd, tuple(rocm), jetson


def _expand_mirrors(check: _Checker) -> tuple[Mirror, ...]:
    out = []
    for row in check.raw.data["mirrors.toml"].get("mirror", []):
        file = check.where("mirror", _row_key("mirror", row), "mirrors.toml")
        if not isinstance(row, dict) or not isinstance(row.get("prefix"), str) or not isinstance(row.get("replacement"), str):
            check.fail(file, f"mirror row {row!r}: needs 'prefix' and 'replacement' strings")
            continue
        if not row["replacement"].startswith(("https://", "http://")):
            check.fail(file, f"mirror \"{row['prefix']}\": replacement {row['replacement']!r} is not an http(s) URL")
            continue
        out.append(Mirror(row["prefix"].rstrip("/"), row["replacement"].rstrip("/"), str(row.get("source", ""))))
    return tuple(out)


def _arch_list(value: Any, arch_lists: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return arch_lists.get(value[1:], value)
    return value


def _platform_map(value: Any) -> dict[str, Any] | None:
    if value is None:
        return {}
    if not isinstance(value, dict):
        return None
    return dict(value)


def _expand_variant(check: _Checker, where: str, release: str, name: str, body: Any,
                    defaults: Mapping[str, Any], arch_lists: Mapping[str, Any], source: str,
                    rocm_gfx) -> VariantRecipe | None:
    entry = f"release \"{release}\" variant \"{name}\""
    if not isinstance(body, dict):
        check.fail(where, f"{entry}: must be a table")
        return None
    spec = {**defaults.get(name, {}), **body}
    kind = spec.get("kind")
    if kind is None:
        if name.startswith("rocm"):
            kind = "rocm"
        elif name.startswith("cu"):
            kind = "cuda"
    if kind not in KINDS:
        check.fail(where, f"{entry}: unknown kind {kind!r} (add a [variant.{name}] table with a kind)")
        return None
    problems_before = len(check.problems)
    archs = _arch_list(spec.get("archs", []), arch_lists)
    ptx = _arch_list(spec.get("ptx", []), arch_lists)
    for label, values in (("arch", archs), ("ptx arch", ptx)):
        if not _str_list(values):
            check.fail(where, f"{entry}: {label} list {values!r} is not a list of sm_NN (unknown @name?)")
            continue
        for arch in values:
            if not SM_RE.match(arch) or len(arch) < 5:
                check.fail(where, f"{entry}: {label} \"{arch}\" is not sm_NN")
    by_platform = _platform_map(spec.get("archs_by_platform"))
    if by_platform is None:
        check.fail(where, f"{entry}: archs_by_platform must be a table")
        by_platform = {}
    for plat, values in list(by_platform.items()):
        values = _arch_list(values, arch_lists)
        by_platform[plat] = values
        if plat not in PLATFORMS:
            check.fail(where, f"{entry}: unknown platform \"{plat}\" in archs_by_platform")
        if not _str_list(values) or any(not SM_RE.match(a) for a in values):
            check.fail(where, f"{entry}: archs_by_platform \"{plat}\" {values!r} is not a list of sm_NN")
    platforms = spec.get("platforms", list(KIND_PLATFORMS[kind]))
    ptx_platforms = spec.get("ptx_platforms", list(PLATFORMS))
    for label, values in (("platforms", platforms), ("ptx_platforms", ptx_platforms)):
        if not _str_list(values) or any(p not in PLATFORMS for p in values):
            check.fail(where, f"{entry}: {label} {values!r} must list only {', '.join(PLATFORMS)}")
    glibc = _platform_map(spec.get("glibc"))
    if glibc is None or _versions_ok(glibc):
        check.fail(where, f"{entry}: glibc must map platforms to versions, got {spec.get('glibc')!r}")
        glibc = {}
    cuda = spec.get("cuda")
    toolkit = spec.get("toolkit")
    rocm = None
    gfx: tuple[str, ...] = ()
    if kind == "cuda":
        if _version(cuda) is None or _version(toolkit) is None:
            check.fail(where, f"{entry}: a CUDA variant needs 'cuda' and 'toolkit' versions")
        if not archs:
            check.fail(where, f"{entry}: a CUDA variant needs an 'archs' list")
    if kind == "rocm":
        rocm = name[len("rocm"):]
        if _version(rocm) is None:
            check.fail(where, f"{entry}: ROCm variant name must be rocmX.Y")
        gfx = tuple(spec.get("gfx") or rocm_gfx(rocm))
    if len(check.problems) > problems_before:
        return None
    return VariantRecipe(
        torch=release, name=name, kind=kind, cuda=cuda if kind == "cuda" else None,
        toolkit=toolkit if kind == "cuda" else None, rocm=rocm, archs=tuple(archs), ptx=tuple(ptx),
        ptx_platforms=tuple(ptx_platforms), archs_by_platform={k: tuple(v) for k, v in by_platform.items()},
        platforms=tuple(platforms), glibc=glibc, gfx=gfx, source=str(spec.get("source", source)),
        note=str(spec.get("note", "")),
    )


SERIES_KEYS = {"source", "note", "python", "python_by_platform", "platforms", "macos_min", "glibc", "pypi",
               "index_style", "conda", "variants", "releases"}
RELEASE_KEYS = (SERIES_KEYS - {"releases"}) | {"torchvision", "torchaudio", "drop_variants"}


def _expand_torch(check: _Checker, rocm_gfx) -> tuple[Release, ...]:
    data = check.raw.data["torch.toml"]
    defaults = data.get("variant", {})
    arch_lists = data.get("arch_lists", {})
    releases: list[Release] = []
    seen: set[Version] = set()
    for series_name, series in data.get("series", {}).items():
        where = check.where("series", series_name, "torch.toml")
        if not isinstance(series, dict):
            check.fail(where, f"series \"{series_name}\": must be a table")
            continue
        unknown = set(series) - SERIES_KEYS
        if unknown:
            check.fail(where, f"series \"{series_name}\": unknown key(s) {', '.join(sorted(unknown))}")
        if not series.get("source"):
            check.fail(where, f"series \"{series_name}\": no 'source'")
        entries = series.get("releases")
        if not isinstance(entries, dict) or not entries:
            check.fail(where, f"series \"{series_name}\": 'releases' must name at least one release")
            continue
        for version, overrides in entries.items():
            release = _expand_release(check, where, series_name, series, str(version), overrides,
                                      defaults, arch_lists, rocm_gfx)
            if release is None:
                continue
            if release.parsed in seen:
                check.fail(where, f"release \"{version}\": listed twice")
                continue
            seen.add(release.parsed)
            releases.append(release)
    releases.sort(key=lambda r: r.parsed, reverse=True)
    return tuple(releases)


def _expand_release(check: _Checker, where: str, series_name: str, series: dict, version: str, overrides: Any,
                    defaults, arch_lists, rocm_gfx) -> Release | None:
    entry = f"release \"{version}\""
    parsed = _version(version)
    if parsed is None:
        check.fail(where, f"{entry}: not a version")
        return None
    if not isinstance(overrides, dict):
        check.fail(where, f"{entry}: must be a table")
        return None
    unknown = set(overrides) - RELEASE_KEYS
    if unknown:
        check.fail(where, f"{entry}: unknown key(s) {', '.join(sorted(unknown))}")
    spec = {k: v for k, v in series.items() if k != "releases"}
    variant_bodies = dict(series.get("variants") or {})
    for name in overrides.get("drop_variants", []):
        variant_bodies.pop(name, None)
    variant_bodies.update(overrides.get("variants") or {})
    spec.update({k: v for k, v in overrides.items() if k not in ("variants", "drop_variants")})
    before = len(check.problems)
    platforms = spec.get("platforms")
    if not _str_list(platforms) or not platforms or any(p not in PLATFORMS for p in platforms):
        check.fail(where, f"{entry}: platforms {platforms!r} must list only {', '.join(PLATFORMS)}")
        return None
    python_all = spec.get("python")
    python_map: dict[str, tuple[str, ...]] = {}
    by_platform = spec.get("python_by_platform") or {}
    for plat in platforms:
        values = by_platform.get(plat, python_all)
        if not _str_list(values) or not values:
            check.fail(where, f"{entry}: no Python list for {plat}")
            continue
        bad = [p for p in values if not PYTHON_RE.match(p)]
        if bad:
            check.fail(where, f"{entry}: Python \"{bad[0]}\" is not 3.N or 3.Nt")
        python_map[plat] = tuple(values)
    macos_min = spec.get("macos_min") or {}
    glibc = spec.get("glibc") or {}
    for label, values in (("macos_min", macos_min), ("glibc", glibc)):
        if not isinstance(values, dict) or _versions_ok(values):
            check.fail(where, f"{entry}: {label} must map platforms to versions, got {values!r}")
    for plat in platforms:
        if plat.startswith("macos") and plat not in macos_min:
            check.fail(where, f"{entry}: no macos_min for {plat}")
    style = spec.get("index_style")
    if style not in INDEX_STYLES:
        check.fail(where, f"{entry}: index_style {style!r} must be one of {', '.join(INDEX_STYLES)}")
    for key in ("torchvision", "torchaudio"):
        if key in spec and _version(spec[key]) is None:
            check.fail(where, f"{entry}: {key} {spec[key]!r} is not a version")
    conda = None
    raw_conda = spec.get("conda")
    if raw_conda is not None:
        if not isinstance(raw_conda, dict) or raw_conda.get("style") not in CONDA_STYLES:
            check.fail(where, f"{entry}: conda.style must be one of {', '.join(CONDA_STYLES)}")
        else:
            conda = CondaRecipe(raw_conda["style"], tuple(raw_conda.get("cuda", ())), str(raw_conda.get("note", "")))
    if len(check.problems) > before:
        return None
    variants = []
    for name, body in variant_bodies.items():
        variant = _expand_variant(check, where, version, str(name), body, defaults, arch_lists,
                                  str(spec.get("source", "")), rocm_gfx)
        if variant is not None:
            variants.append(variant)
    names = {v.name for v in variants}
    pypi = spec.get("pypi") or {}
    for plat in platforms if len(variants) == len(variant_bodies) else ():
        if pypi.get(plat) not in names:
            check.fail(where, f"{entry}: PyPI default for {plat} is {pypi.get(plat)!r}, not one of its variants")
    if len(check.problems) > before:
        return None
    return Release(
        version=version, parsed=parsed, series=series_name, python=python_map, platforms=tuple(platforms),
        macos_min=dict(macos_min), glibc=dict(glibc), pypi=dict(pypi), index_style=style,
        variants=tuple(variants), torchvision=spec.get("torchvision"), torchaudio=spec.get("torchaudio"),
        conda=conda, source=str(spec.get("source", "")), note=str(spec.get("note", "")),
    )


def _build(raw: _Raw) -> tuple[Recipes | None, list[str]]:
    check = _Checker(raw)
    toolkits, families = _expand_drivers(check)
    nvidia, amd, rocm, jetson = _expand_gpus(check)

    def rocm_gfx(version: str) -> tuple[str, ...]:
        for depth in (None, 2, 1):
            key = version if depth is None else ".".join(version.split(".")[:depth])
            for versions, gfx, _ in rocm:
                if key in versions:
                    return gfx
        return ()

    releases = _expand_torch(check, rocm_gfx)
    index = raw.data["torch.toml"].get("index", {})
    base = str(index.get("base", "https://download.pytorch.org/whl")).rstrip("/")
    find_links = str(index.get("find_links", f"{base}/torch_stable.html"))
    for url in (base, find_links):
        if not url.startswith("https://"):
            check.fail(check.where("index", "", "torch.toml"), f"index: {url!r} is not an https URL")
    if not releases:
        check.fail("recipes/torch.toml", "no releases")
    mirrors = _expand_mirrors(check)
    if check.problems:
        return None, check.problems
    sources = {name: str(data.get("source", "")) for name, data in raw.data.items()}
    files = tuple(sorted({v for (k, _), v in raw.origin.items() if k == "file"}))
    return Recipes(releases, toolkits, families, nvidia, amd, rocm, jetson, mirrors, base,
                   find_links, sources, files), check.problems


def _load_raw(overlays: Iterable[Path]) -> _Raw:
    raw = _Raw()
    _read_dir(builtin_dir(), raw, overlay=False)
    for folder in overlays:
        _read_dir(Path(folder), raw, overlay=True)
    return raw


def load_recipes(overlays: Sequence[Path] = ()) -> Recipes:
    """The built-in recipes with each overlay folder merged on top, in order; raises RecipeError."""
    recipes, problems = _build(_load_raw(overlays))
    if problems or recipes is None:
        raise RecipeError(problems or ["recipes could not be loaded"])
    return recipes


def validate(folder: Path | str | None = None) -> list[str]:
    """Every problem in the built-in recipes, or in them with ``folder`` merged on top."""
    overlays = [Path(folder)] if folder is not None else []
    _, problems = _build(_load_raw(overlays))
    return problems
