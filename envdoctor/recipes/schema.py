"""Schema expansion: the merged TOML tables checked value by value and expanded into the model.

A problem is reported with its file, entry and what is wrong, never raised."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from typing import Any, TypeGuard

from packaging.version import Version

from envdoctor import compat
from envdoctor.compat import COMPANIONS, parse_driver, parse_version, sm_name
from envdoctor.datatypes import datatype
from envdoctor.i18n import _, listed
from envdoctor.recipes.model import (
    KIND_PLATFORMS,
    PLATFORMS,
    CondaRecipe,
    CudaFamily,
    DataLayer,
    GpuTable,
    JetsonRecipe,
    Mirror,
    MirrorPreset,
    Recipes,
    Release,
    ToolkitDriver,
    VariantRecipe,
    _words,
)
from envdoctor.urls import index_url_problem

RECIPE_FILES = ("cuda_drivers.toml", "torch.toml", "gpus.toml", "mirrors.toml")
KINDS = ("cpu", "cuda", "rocm", "xpu", "mps")
INDEX_STYLES = ("find-links", "extra-index-url", "index-url")
#: How an index serves its files: a PEP 503 simple index (``<url>/<project>/`` pages, ``--index-url``)
#: or one page linking every file (``--find-links``).
LAYOUTS = ("simple", "find-links")
MIRROR_SERVES = ("pytorch", "pypi")
CONDA_STYLES = ("cudatoolkit", "pytorch-cuda", "conda-forge")
PYTHON_RE = re.compile(r"^3\.(\d+)(t?)$", re.ASCII)
SERIES_KEYS = frozenset({"source", "note", "python", "python_by_platform", "platforms", "macos_min",
                         "macos_min_by_python", "glibc", "pypi", "index_style", "conda", "variants", "releases",
                         "companion_gaps", "inferred"})
RELEASE_KEYS = (SERIES_KEYS - {"releases"}) | {*COMPANIONS, "drop_variants"}
VARIANT_KEYS = frozenset({"kind", "cuda", "toolkit", "toolkit_source", "archs", "ptx", "ptx_platforms",
                          "archs_by_platform", "platforms", "glibc", "gfx", "source", "note", "inferred"})
#: ``[refresh]`` of a refreshed torch.toml: where its data came from and when.
REFRESH_KEYS = frozenset({"pypi", "index", "fetched", "envdoctor"})
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
VARIANT_DEFAULT_KEYS = frozenset({"kind", "cuda", "toolkit", "toolkit_source", "note"})
NAMED_LIST_KEYS = {"arch_lists": "archs", "gfx_lists": "gfx"}
JETSON_KEYS = frozenset({"names", "compute_capabilities", "sbsa_compute_capabilities", "message", "source", "note"})


@datatype
class _Raw:
    """Parsed TOML of every recipe file, merged, with the file each entry came from."""

    data: dict[str, dict[str, Any]] = field(default_factory=lambda: {name: {} for name in RECIPE_FILES})
    origin: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (file, key, entry) -> shown path
    problems: list[str] = field(default_factory=list)
    layers: list[DataLayer] = field(default_factory=list)
    builtin_releases: set[Version] = field(default_factory=set)  # the releases the built-in data has



def _is_date(value: Any) -> bool:
    import datetime

    if not isinstance(value, str) or not DATE_RE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True




def _row_key(key: str, row: Any) -> str:
    if not isinstance(row, dict):
        return "?"
    for field_name in ("version", "major", "cuda", "cc", "gfx", "prefix", "name"):
        if field_name in row:
            return str(row[field_name])
    return "?"


# ---------------------------------------------------------------------------- validation helpers


class _Checker:
    def __init__(self, raw: _Raw):
        self.raw = raw
        self.problems = raw.problems

    def where(self, key: str, entry: str, file: str) -> str:
        origin = self.raw.origin
        return origin.get((file, key, entry)) or origin.get((file, "", "")) or f"recipes/{file}"

    def fail(self, file: str, text: str) -> None:
        self.problems.append(_("{file}: {problem}", file=file, problem=text))

    def table(self, body: Any, file: str, entry: str, allowed: frozenset[str]) -> TypeGuard[dict[str, Any]]:
        """Whether ``body`` is a table whose keys are all ``allowed``; what is wrong is reported as ``entry``'s."""
        if not isinstance(body, dict):
            self.fail(file, _("{entry}: must be a table, got {body}", entry=entry, body=_text(body)))
            return False
        unknown = _unknown_keys(body, allowed)
        if unknown:
            self.fail(file, _("{entry}: {problem}", entry=entry, problem=unknown))
        return not unknown


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _text(value: Any) -> str:
    """A value shown in a problem, cut short: overlay values can be long."""
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _is_sm(text: Any) -> bool:
    """``sm_86`` / ``sm_120`` / ``sm_90a`` as compat parses it, written canonically."""
    return isinstance(text, str) and _canonical_sm(text)


@functools.lru_cache(maxsize=512)
def _canonical_sm(text: str) -> bool:
    return text.startswith("sm_") and sm_name(text) == text


def _is_cc(text: Any) -> bool:
    """``8.6`` as compat parses it, written canonically."""
    return isinstance(text, str) and compat.cc_text(text) == text


def _is_version(text: Any) -> bool:
    return isinstance(text, str) and _version_ok(text)


@functools.lru_cache(maxsize=1024)
def _version_ok(text: str) -> bool:
    return parse_version(text) is not None


def _platform_versions(value: Any) -> dict[str, str] | None:
    """A table of platform -> version, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    if any(k not in PLATFORMS or not _is_version(v) for k, v in value.items()):
        return None
    return dict(value)


def _inferred_ok(value: Any) -> bool:
    """``inferred = ["archs: as 2.14.0 cu130 (nearest release with this variant)", ...]``."""
    return _str_list(value) and all(item.strip() for item in value)


def _unknown_keys(value: dict[str, Any], allowed: frozenset[str]) -> str:
    unknown = sorted(str(k) for k in set(value) - allowed)
    return _("unknown key(s) {keys}", keys=listed(unknown)) if unknown else ""


# ---------------------------------------------------------------------------- cuda_drivers.toml


def _row_problem(row: dict[str, Any], allowed: frozenset[str], floor: bool = False) -> str:
    """What is wrong with a driver-table row's keys and values ('' when nothing); ``floor``: its drivers are a
    family's floor, not a toolkit's minimum."""
    unknown = _unknown_keys(row, allowed)
    if unknown:
        return unknown
    for key in ("linux", "windows"):
        if key in row and parse_driver(row[key]) is None:
            return _("{key} floor is not a version: {value}", key=key, value=_text(row[key])) if floor else \
                _("{key} driver is not a version: {value}", key=key, value=_text(row[key]))
    for key in ("label", "source", "note"):
        if key in row and not isinstance(row[key], str):
            return _("'{key}' must be a string", key=key)
    return ""


def _expand_drivers(check: _Checker) -> tuple[tuple[ToolkitDriver, ...], dict[int, CudaFamily]]:
    data = check.raw.data["cuda_drivers.toml"]
    source = data.get("source", "")
    if not isinstance(source, str):
        check.fail(check.where("source", "", "cuda_drivers.toml"), _("'{key}' must be a string", key="source"))
        source = ""
    toolkits: list[ToolkitDriver] = []
    for row in data.get("toolkit", []):
        file = check.where("toolkit", _row_key("toolkit", row), "cuda_drivers.toml")
        version = parse_version(row.get("version")) if isinstance(row, dict) else None
        if not isinstance(row, dict) or version is None:
            check.fail(file, _("toolkit row {row}: 'version' must be a version such as \"12.4.1\"", row=_text(row)))
            continue
        entry = f"toolkit \"{row['version']}\""
        problem = _row_problem(row, frozenset({"version", "label", "linux", "windows", "source", "note"}))
        if problem:
            check.fail(file, _("{entry}: {problem}", entry=entry, problem=problem))
            continue
        if "linux" not in row and "windows" not in row:
            check.fail(file, _("{entry}: needs a 'linux' or 'windows' driver", entry=entry))
            continue
        toolkits.append(ToolkitDriver(version, str(row.get("label", row["version"])), parse_driver(row.get("linux")),
                                      parse_driver(row.get("windows")), str(row.get("source", source)),
                                      str(row.get("note", ""))))
    families: dict[int, CudaFamily] = {}
    for row in data.get("family", []):
        file = check.where("family", _row_key("family", row), "cuda_drivers.toml")
        if not isinstance(row, dict) or not isinstance(row.get("major"), int) or isinstance(row.get("major"), bool):
            check.fail(file, _("family row {row}: 'major' must be an integer", row=_text(row)))
            continue
        problem = _row_problem(row, frozenset({"major", "linux", "windows", "source", "note"}), floor=True)
        if problem:
            check.fail(file, _("family {major}: {problem}", major=row['major'], problem=problem))
            continue
        if not row.get("source") and not source:
            check.fail(file, _("family {major}: no 'source'", major=row['major']))
        families.setdefault(row["major"], CudaFamily(row["major"], parse_driver(row.get("linux")),
                                                     parse_driver(row.get("windows")), str(row.get("source", source)),
                                                     str(row.get("note", ""))))
    if not toolkits:
        check.fail("recipes/cuda_drivers.toml", _("no toolkit rows"))
    return tuple(toolkits), families


def _expand_newest_arch(check: _Checker) -> dict[str, str]:
    newest: dict[str, str] = {}
    for row in check.raw.data["cuda_drivers.toml"].get("newest_arch", []):
        file = check.where("newest_arch", _row_key("newest_arch", row), "cuda_drivers.toml")
        cuda = row.get("cuda") if isinstance(row, dict) else None
        if not isinstance(cuda, str) or not (cuda.isascii() and cuda.isdigit() or compat.major_minor(cuda)):
            check.fail(file, _("newest_arch row {row}: 'cuda' must be a CUDA major or major.minor such as \"12.8\"",
                               row=_text(row)))
            continue
        problem = _row_problem(row, frozenset({"cuda", "cc", "source", "note"}))
        if problem or not _is_cc(row.get("cc")):
            check.fail(file, _("newest_arch \"{cuda}\": {problem}", cuda=cuda, problem=problem) if problem else
                       _("newest_arch \"{cuda}\": 'cc' must be a compute capability such as \"9.0\"", cuda=cuda))
            continue
        if not row.get("source"):
            check.fail(file, _("newest_arch \"{cuda}\": no 'source'", cuda=cuda))
        newest.setdefault(cuda, str(row["cc"]))
    return newest


def _expand_gpu_first_cuda(check: _Checker) -> dict[str, str]:
    first: dict[str, str] = {}
    for row in check.raw.data["cuda_drivers.toml"].get("gpu_first_cuda", []):
        file = check.where("gpu_first_cuda", _row_key("gpu_first_cuda", row), "cuda_drivers.toml")
        problem = _row_problem(row, frozenset({"cc", "cuda", "source", "note"})) if isinstance(row, dict) \
            else _("not a table")
        if problem or not _is_cc(row.get("cc")) or compat.major_minor(row.get("cuda")) is None:
            check.fail(file, _("gpu_first_cuda row {row}: {problem}", row=_text(row), problem=problem) if problem else
                       _("gpu_first_cuda row {row}: needs 'cc' (\"12.0\") and 'cuda' (\"12.8.0\")", row=_text(row)))
            continue
        if not row.get("source"):
            check.fail(file, _("gpu_first_cuda \"{cc}\": no 'source'", cc=row['cc']))
        first.setdefault(str(compat.cc_text(row["cc"])), str(row["cuda"]))
    return first


# ---------------------------------------------------------------------------- gpus.toml


def _gpu_table(check: _Checker, key: str, value_key: str, valid: Callable[[str], bool]) -> GpuTable:
    rows = check.raw.data["gpus.toml"].get(key, [])
    out: list[tuple[tuple[str, ...], str, str]] = []
    for row in rows:
        file = check.where(key, _row_key(key, row), "gpus.toml")
        value = row.get(value_key) if isinstance(row, dict) else None
        if not isinstance(row, dict) or not isinstance(value, str) or not valid(value):
            check.fail(file, _("{key} row {row}: '{value_key}' {value} is not valid",
                               key=key, row=_text(row), value_key=value_key, value=_text(value)))
            continue
        entry = f"{key} {value_key} \"{value}\""
        unknown = _unknown_keys(row, frozenset({value_key, "names", "source", "note"}))
        if unknown or not isinstance(row.get("note", ""), str):
            check.fail(file, _("{entry}: {problem}", entry=entry,
                               problem=unknown or _("'{key}' must be a string", key="note")))
            continue
        if not _str_list(row.get("names")) or not row["names"]:
            check.fail(file, _("{entry}: 'names' must be a non-empty list of strings", entry=entry))
            continue
        if not isinstance(row.get("source"), str) or not row["source"]:
            check.fail(file, _("{entry}: no 'source'", entry=entry))
            continue
        for name in row["names"]:
            words = tuple(_words(name))
            if not words:
                check.fail(file, _("{entry}: name {name} has no words left to match", entry=entry, name=_text(name)))
                continue
            out.append((words, value, row["source"]))
    out.sort(key=lambda item: -len(item[0]))  # stable: overlay rows (first) win among equals
    return tuple(out)


def _expand_jetson(check: _Checker) -> JetsonRecipe | None:
    raw = check.raw.data["gpus.toml"].get("jetson")
    if raw is None:
        return None
    file = check.where("jetson", "", "gpus.toml")
    if not check.table(raw, file, "jetson", JETSON_KEYS):
        return None
    lists = {}
    for key in ("names", "compute_capabilities", "sbsa_compute_capabilities"):
        value = raw.get(key, [])
        if not _str_list(value) or (key == "names" and not value):
            check.fail(file, _("jetson: '{key}' must be a list of strings", key=key))
            return None
        if key != "names" and not all(_is_cc(v) for v in value):
            check.fail(file, _("jetson: '{key}' {value} must list compute capabilities such as \"8.7\"",
                               key=key, value=_text(value)))
            return None
        lists[key] = tuple(value)
    for key in ("message", "source", "note"):
        if not isinstance(raw.get(key, ""), str):
            check.fail(file, _("jetson: '{key}' must be a string", key=key))
            return None
    return JetsonRecipe(lists["names"], lists["compute_capabilities"],
                        raw.get("message") or _("NVIDIA Jetson is not served by the standard index"),
                        raw.get("source", ""), lists["sbsa_compute_capabilities"], raw.get("note", ""))


# ---------------------------------------------------------------------------- mirrors.toml


def _expand_mirrors(check: _Checker) -> tuple[Mirror, ...]:
    out = []
    for row in check.raw.data["mirrors.toml"].get("mirror", []):
        file = check.where("mirror", _row_key("mirror", row), "mirrors.toml")
        if not isinstance(row, dict) or not isinstance(row.get("prefix"), str) or not row["prefix"] \
                or not isinstance(row.get("replacement"), str):
            check.fail(file, _("mirror row {row}: needs 'prefix' and 'replacement' strings", row=_text(row)))
            continue
        entry = f"mirror \"{row['prefix']}\""
        unknown = _unknown_keys(row, frozenset({"prefix", "replacement", "source", "layout"}))
        if unknown or not isinstance(row.get("source", ""), str):
            check.fail(file, _("{entry}: {problem}", entry=entry,
                               problem=unknown or _("'{key}' must be a string", key="source")))
            continue
        if row.get("layout", "simple") not in LAYOUTS:
            check.fail(file, _("{entry}: layout {layout} is not one of {layouts}",
                               entry=entry, layout=_text(row.get('layout')), layouts=listed(LAYOUTS)))
            continue
        problem = index_url_problem(row["replacement"])
        if problem:
            check.fail(file, _("{entry}: replacement {replacement}: {problem}",
                               entry=entry, replacement=_text(row['replacement']), problem=problem))
            continue
        out.append(Mirror(row["prefix"].rstrip("/"), row["replacement"].rstrip("/"), str(row.get("source", "")),
                          str(row.get("layout", "simple"))))
    return tuple(out)


PRESET_KEYS = frozenset({"name", "serves", "url", "layout", "source", "note"})


def _expand_presets(check: _Checker) -> tuple[MirrorPreset, ...]:
    """Public mirrors by name. Each must cite its own documentation (an https page) and say its layout."""
    out: list[MirrorPreset] = []
    seen: set[tuple[str, str]] = set()
    for row in check.raw.data["mirrors.toml"].get("preset", []):
        file = check.where("preset", _row_key("preset", row), "mirrors.toml")
        name = row.get("name") if isinstance(row, dict) else None
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9-]{0,31}", name):
            check.fail(file, _("preset row {row}: 'name' must be a short lowercase name such as \"sjtu\"",
                               row=_text(row)))
            continue
        entry = f"preset \"{name}\""
        problem = _unknown_keys(row, PRESET_KEYS)
        if not problem and any(not isinstance(row.get(k, ""), str) for k in PRESET_KEYS):
            problem = _("every value must be a string")
        if not problem and row.get("serves") not in MIRROR_SERVES:
            problem = _("'serves' must be one of {serves}", serves=listed(MIRROR_SERVES))
        if not problem and row.get("layout") not in LAYOUTS:
            problem = _("'layout' must be one of {layouts} (say which the mirror serves)", layouts=listed(LAYOUTS))
        if not problem and (not row.get("source") or index_url_problem(row["source"])):
            problem = _("'source' must be the https URL of the mirror's own documentation page")
        if not problem and index_url_problem(row.get("url")):
            problem = _("url {url}: {problem}", url=_text(row.get("url")), problem=index_url_problem(row.get("url")))
        if not problem and (name, row["serves"]) in seen:
            continue  # an overlay's row of the same name and index comes first and wins
        if problem:
            check.fail(file, _("{entry}: {problem}", entry=entry, problem=problem))
            continue
        seen.add((name, row["serves"]))
        out.append(MirrorPreset(name, row["serves"], row["url"].rstrip("/"), row["layout"], row["source"],
                                row.get("note", "")))
    return tuple(out)


# ---------------------------------------------------------------------------- torch.toml


@datatype
class _TorchContext:
    defaults: dict[str, dict[str, Any]]
    arch_lists: dict[str, tuple[str, ...]]
    gfx_lists: dict[str, tuple[str, ...]]


def _named_lists(check: _Checker, key: str) -> dict[str, tuple[str, ...]]:
    """``[arch_lists]`` / ``[gfx_lists]``: NAME = [...] or NAME = { archs|gfx = [...], source = "..." }."""
    item_key = NAMED_LIST_KEYS[key]
    valid: Callable[[Any], bool] = _is_sm if key == "arch_lists" else compat.is_gfx
    out: dict[str, tuple[str, ...]] = {}
    for name, body in check.raw.data["torch.toml"].get(key, {}).items():
        file = check.where(key, str(name), "torch.toml")
        values = body
        if isinstance(body, dict):
            unknown = _unknown_keys(body, frozenset({item_key, "source", "note"}))
            if unknown or not isinstance(body.get("source"), str) or not body.get("source") \
                    or not isinstance(body.get("note", ""), str):
                check.fail(file, _("{key} \"{name}\": {problem}", key=key, name=name, problem=unknown)
                           if unknown else
                           _("{key} \"{name}\": needs a source string (and a note string, if any)", key=key, name=name))
                continue
            values = body.get(item_key)
        if not _str_list(values) or not all(valid(v) for v in values):
            what = "sm_NN" if key == "arch_lists" else "gfxNNN"
            check.fail(file, _("{key} \"{name}\": {values} is not a list of {what}",
                               key=key, name=name, values=_text(values), what=what))
            continue
        out[str(name)] = tuple(values)
    return out


def _variant_defaults(check: _Checker) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, body in check.raw.data["torch.toml"].get("variant", {}).items():
        file = check.where("variant", str(name), "torch.toml")
        if check.table(body, file, f"variant \"{name}\"", VARIANT_DEFAULT_KEYS):
            out[str(name)] = body
    return out


def _resolve_list(value: Any, lists: Mapping[str, tuple[str, ...]]) -> Any:
    """``"@NAME"`` -> the named list (a string still, when the name is unknown)."""
    if isinstance(value, str) and value.startswith("@") and value[1:] in lists:
        return list(lists[value[1:]])
    return value


def _expand_variant(check: _Checker, where: str, release: str, name: str, body: Any, ctx: _TorchContext,
                    source: str, release_platforms: Sequence[str]) -> VariantRecipe | None:
    entry = f"release \"{release}\" variant \"{name}\""
    if not check.table(body, where, entry, VARIANT_KEYS):
        return None
    defaults = ctx.defaults.get(name, {})
    spec = {**defaults, **body, "note": _joined_note(defaults.get("note"), body.get("note"))}
    kind = spec.get("kind")
    if kind is None:
        kind = "rocm" if name.startswith("rocm") else "cuda" if name.startswith("cu") else None
    if kind not in KINDS:
        check.fail(where, _("{entry}: unknown kind {kind} (add a [variant.{name}] table with a kind)",
                            entry=entry, kind=_text(kind), name=name))
        return None
    before = len(check.problems)
    archs = _resolve_list(spec.get("archs", []), ctx.arch_lists)
    ptx = _resolve_list(spec.get("ptx", []), ctx.arch_lists)
    for label, values in (("arch", archs), ("ptx arch", ptx)):
        if not _str_list(values):
            check.fail(where, _("{entry}: {label} list {values} is not a list of sm_NN (unknown @name?)",
                                entry=entry, label=label, values=_text(values)))
            continue
        for arch in values:
            if not _is_sm(arch):
                check.fail(where, _("{entry}: {label} \"{arch}\" is not sm_NN", entry=entry, label=label, arch=arch))
    platforms = spec.get("platforms", list(KIND_PLATFORMS[kind]))
    ptx_platforms = spec.get("ptx_platforms", list(PLATFORMS))
    for label, values in (("platforms", platforms), ("ptx_platforms", ptx_platforms)):
        if not _str_list(values) or any(p not in PLATFORMS for p in values):
            check.fail(where, _("{entry}: {label} {values} must list only {platforms}",
                                entry=entry, label=label, values=_text(values), platforms=listed(PLATFORMS)))
    by_platform: dict[str, tuple[str, ...]] = {}
    raw_by_platform = spec.get("archs_by_platform", {})
    if not isinstance(raw_by_platform, dict):
        check.fail(where, _("{entry}: archs_by_platform must be a table, got {raw_by_platform}",
                            entry=entry, raw_by_platform=_text(raw_by_platform)))
        raw_by_platform = {}
    for plat, values in raw_by_platform.items():
        values = _resolve_list(values, ctx.arch_lists)
        if plat not in PLATFORMS or (_str_list(platforms) and plat not in platforms):
            check.fail(where, _("{entry}: archs_by_platform names \"{plat}\", not one of the variant's platforms",
                                entry=entry, plat=plat))
        elif not _str_list(values) or not values or not all(_is_sm(a) for a in values):
            check.fail(where, _("{entry}: archs_by_platform \"{plat}\" {values} is not a list of sm_NN",
                                entry=entry, plat=plat, values=_text(values)))
        else:
            by_platform[plat] = tuple(values)
    glibc = _platform_versions(spec.get("glibc", {}))
    if glibc is None:
        check.fail(where, _("{entry}: glibc must map platforms to versions, got {glibc}",
                            entry=entry, glibc=_text(spec.get('glibc'))))
    note = spec.get("note", "")
    for label in ("note", "source", "toolkit_source"):
        if not isinstance(spec.get(label, ""), str):
            check.fail(where, _("{entry}: '{label}' must be a string", entry=entry, label=label))
    inferred = spec.get("inferred", [])
    if not _inferred_ok(inferred):
        check.fail(where, _("{entry}: 'inferred' must be a list of non-empty strings, got {inferred}",
                            entry=entry, inferred=_text(inferred)))
    cuda, toolkit, rocm = spec.get("cuda"), spec.get("toolkit"), None
    gfx: Any = ()
    if kind == "cuda":
        if not _is_version(cuda) or not _is_version(toolkit):
            check.fail(where, _("{entry}: a CUDA variant needs 'cuda' and 'toolkit' versions", entry=entry))
        if not archs:
            check.fail(where, _("{entry}: a CUDA variant needs an 'archs' list", entry=entry))
    elif "cuda" in body or "toolkit" in body:
        check.fail(where, _("{entry}: 'cuda' and 'toolkit' belong to CUDA variants only", entry=entry))
    if kind == "rocm":
        rocm = compat.variant_rocm(name)
        if rocm is None:
            check.fail(where, _("{entry}: ROCm variant name must be rocmX.Y", entry=entry))
        gfx = _resolve_list(spec.get("gfx"), ctx.gfx_lists)
        if not _str_list(gfx):
            check.fail(where, _("{entry}: a ROCm variant needs a 'gfx' list of gfxNNN targets (or \"@NAME\" of "
                                "[gfx_lists]), got {gfx}", entry=entry, gfx=_text(spec.get('gfx'))))
        elif not all(compat.is_gfx(g) for g in gfx):
            bad = next(g for g in gfx if not compat.is_gfx(g))
            check.fail(where, _("{entry}: gfx target {bad} is not gfxNNN", entry=entry, bad=_text(bad)))
        elif not gfx and "UNVERIFIED" not in str(note):
            check.fail(where, _("{entry}: an empty 'gfx' list means unknown: its note must say UNVERIFIED",
                                entry=entry))
    elif "gfx" in body:
        check.fail(where, _("{entry}: 'gfx' belongs to ROCm variants only", entry=entry))
    if _str_list(platforms) and not set(platforms) & set(release_platforms):
        check.fail(where, _("{entry}: built for none of the release's platforms", entry=entry))
    if len(check.problems) > before:
        return None
    return VariantRecipe(
        torch=release, name=name, kind=kind, cuda=cuda if kind == "cuda" else None,
        toolkit=toolkit if kind == "cuda" else None, rocm=rocm, archs=tuple(archs), ptx=tuple(ptx),
        ptx_platforms=tuple(ptx_platforms), archs_by_platform=by_platform, platforms=tuple(platforms),
        glibc=glibc or {}, gfx=tuple(gfx), source=str(spec.get("source") or source), note=str(note),
        toolkit_source=str(spec.get("toolkit_source", "")), inferred=tuple(inferred),
    )


def _expand_torch(check: _Checker) -> tuple[Release, ...]:
    data = check.raw.data["torch.toml"]
    ctx = _TorchContext(_variant_defaults(check), _named_lists(check, "arch_lists"), _named_lists(check, "gfx_lists"))
    releases: list[Release] = []
    seen: set[Version] = set()
    for series_name, series in data.get("series", {}).items():
        where = check.where("series", str(series_name), "torch.toml")
        if not check.table(series, where, f"series \"{series_name}\"", SERIES_KEYS):
            continue
        if not isinstance(series.get("source"), str) or not series.get("source"):
            check.fail(where, _("series \"{series_name}\": no 'source'", series_name=series_name))
        entries = series.get("releases")
        if not isinstance(entries, dict) or not entries:
            check.fail(where, _("series \"{series_name}\": 'releases' must name at least one release",
                                series_name=series_name))
            continue
        if not isinstance(series.get("variants", {}), dict):
            check.fail(where, _("series \"{series_name}\": 'variants' must be a table of variants",
                                series_name=series_name))
            continue
        for version, overrides in entries.items():
            release = _expand_release(check, where, str(series_name), series, str(version), overrides, ctx)
            if release is None:
                continue
            if release.parsed in seen:
                check.fail(where, _("release \"{version}\": listed twice", version=version))
                continue
            seen.add(release.parsed)
            releases.append(release)
    releases.sort(key=lambda r: r.parsed, reverse=True)
    return tuple(releases)


def _release_spec(check: _Checker, where: str, entry: str, series: dict[str, Any],
                  overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The release's keys over the series', and its variant bodies (a release's body keys over the series')."""
    drop = overrides.get("drop_variants", [])
    variants = overrides.get("variants", {})
    if not _str_list(drop):
        check.fail(where, _("{entry}: drop_variants must be a list of variant names, got {drop}",
                            entry=entry, drop=_text(drop)))
        return None
    if not isinstance(variants, dict):
        check.fail(where, _("{entry}: 'variants' must be a table of variants, got {variants}",
                            entry=entry, variants=_text(variants)))
        return None
    bodies: dict[str, Any] = {str(k): v for k, v in series.get("variants", {}).items() if k not in drop}
    for name, body in variants.items():
        old = bodies.get(str(name))
        bodies[str(name)] = {**old, **body} if isinstance(old, dict) and isinstance(body, dict) else body
    spec = {k: v for k, v in series.items() if k not in ("releases", "variants")}
    spec.update({k: v for k, v in overrides.items() if k not in ("variants", "drop_variants")})
    spec["note"] = _joined_note(series.get("note"), overrides.get("note"))
    return spec, bodies


def _joined_note(general: Any, specific: Any) -> Any:
    """A series' and its release's notes (a variant's defaults' and its own) both hold: keep both."""
    if isinstance(general, str) and isinstance(specific, str) and general and specific:
        return f"{general}; {specific}"
    return specific if specific is not None else general if general is not None else ""


def _python_map(check: _Checker, where: str, entry: str, spec: dict[str, Any],
                platforms: Sequence[str]) -> dict[str, tuple[str, ...]]:
    python_all = spec.get("python")
    by_platform = spec.get("python_by_platform", {})
    if not isinstance(by_platform, dict):
        check.fail(where, _("{entry}: python_by_platform must be a table, got {by_platform}",
                            entry=entry, by_platform=_text(by_platform)))
        return {}
    for plat in by_platform:
        if plat not in PLATFORMS:
            check.fail(where, _("{entry}: python_by_platform names \"{plat}\", not one of {platforms}",
                                entry=entry, plat=plat, platforms=listed(PLATFORMS)))
    out: dict[str, tuple[str, ...]] = {}
    for plat in platforms:
        values = by_platform.get(plat, python_all)
        if not _str_list(values) or not values:
            check.fail(where, _("{entry}: no Python list for {plat} (got {values})",
                                entry=entry, plat=plat, values=_text(values)))
            continue
        bad = [p for p in values if not PYTHON_RE.match(p)]
        if bad:
            check.fail(where, _("{entry}: Python \"{python}\" is not 3.N or 3.Nt", entry=entry, python=bad[0]))
        out[plat] = tuple(values)
    return out


def _companion_gaps(check: _Checker, where: str, entry: str, spec: dict[str, Any],
                    python: Mapping[str, tuple[str, ...]]) -> dict[str, dict[str, tuple[str, ...]]]:
    raw = spec.get("companion_gaps", {})
    if not isinstance(raw, dict):
        check.fail(where, _("{entry}: companion_gaps must be a table, got {raw}", entry=entry, raw=_text(raw)))
        return {}
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, by_platform in raw.items():
        if name not in COMPANIONS:
            check.fail(where, _("{entry}: companion_gaps names {name}, not one of {companions}",
                                entry=entry, name=_text(name), companions=listed(COMPANIONS)))
            continue
        if spec.get(name) is None:
            check.fail(where, _("{entry}: companion_gaps names {name}, which this release does not pair",
                                entry=entry, name=name))
            continue
        if not isinstance(by_platform, dict):
            check.fail(where, _("{entry}: companion_gaps.{name} must map platforms to Python lists",
                                entry=entry, name=name))
            continue
        out[name] = {}
        for plat, pythons in by_platform.items():
            if plat not in PLATFORMS:
                check.fail(where, _("{entry}: companion_gaps.{name} names \"{plat}\", not one of {platforms}",
                                    entry=entry, name=name, plat=plat, platforms=listed(PLATFORMS)))
            elif not _str_list(pythons) or any(p not in python.get(plat, pythons) for p in pythons):
                check.fail(where, _("{entry}: companion_gaps.{name}.{plat} {pythons} must list Pythons the release "
                                    "has for {plat}", entry=entry, name=name, plat=plat, pythons=_text(pythons)))
            else:
                out[name][plat] = tuple(pythons)
    return out


def _macos_by_python(check: _Checker, where: str, entry: str, spec: dict[str, Any],
                     python: Mapping[str, tuple[str, ...]]) -> dict[str, dict[str, str]]:
    raw = spec.get("macos_min_by_python", {})
    out: dict[str, dict[str, str]] = {}
    if not isinstance(raw, dict):
        check.fail(where, _("{entry}: macos_min_by_python must be a table, got {raw}", entry=entry, raw=_text(raw)))
        return out
    for plat, table in raw.items():
        if plat not in ("macos-arm64", "macos-x86_64"):
            check.fail(where, _("{entry}: macos_min_by_python names \"{plat}\", not a macOS platform",
                                entry=entry, plat=plat))
        elif not isinstance(table, dict) or any(p not in python.get(plat, table) or not _is_version(v)
                                                for p, v in table.items()):
            check.fail(where, _("{entry}: macos_min_by_python.{plat} must map the release's Pythons to macOS versions",
                                entry=entry, plat=plat))
        else:
            out[plat] = dict(table)
    return out


def _expand_release(check: _Checker, where: str, series_name: str, series: dict[str, Any], version: str,
                    overrides: Any, ctx: _TorchContext) -> Release | None:
    entry = f"release \"{version}\""
    parsed = parse_version(version)
    if parsed is None:
        check.fail(where, _("{entry}: not a version", entry=entry))
        return None
    if not check.table(overrides, where, entry, RELEASE_KEYS):
        return None
    merged = _release_spec(check, where, entry, series, overrides)
    if merged is None:
        return None
    spec, variant_bodies = merged
    before = len(check.problems)
    platforms = spec.get("platforms")
    if not _str_list(platforms) or not platforms or any(p not in PLATFORMS for p in platforms):
        check.fail(where, _("{entry}: platforms {values} must list only {platforms}",
                            entry=entry, values=_text(platforms), platforms=listed(PLATFORMS)))
        return None
    python_map = _python_map(check, where, entry, spec, platforms)
    macos_min = _platform_versions(spec.get("macos_min", {}))
    glibc = _platform_versions(spec.get("glibc", {}))
    for label, values in (("macos_min", macos_min), ("glibc", glibc)):
        if values is None:
            check.fail(where, _("{entry}: {label} must map platforms to versions, got {value}",
                                entry=entry, label=label, value=_text(spec.get(label))))
    for plat in platforms:
        if plat.startswith("macos") and plat not in (macos_min or {}):
            check.fail(where, _("{entry}: no macos_min for {plat}", entry=entry, plat=plat))
    style = spec.get("index_style")
    if style not in INDEX_STYLES:
        check.fail(where, _("{entry}: index_style {style} must be one of {styles}",
                            entry=entry, style=_text(style), styles=listed(INDEX_STYLES)))
    for key in COMPANIONS:
        if key in spec and not _is_version(spec[key]):
            check.fail(where, _("{entry}: {key} {value} is not a version",
                                entry=entry, key=key, value=_text(spec[key])))
    for key in ("source", "note"):
        if not isinstance(spec.get(key, ""), str):
            check.fail(where, _("{entry}: '{key}' must be a string", entry=entry, key=key))
    if not _inferred_ok(spec.get("inferred", [])):
        check.fail(where, _("{entry}: 'inferred' must be a list of non-empty strings, got {inferred}",
                            entry=entry, inferred=_text(spec.get('inferred'))))
    conda = None
    raw_conda = spec.get("conda")
    if raw_conda is not None:
        if not isinstance(raw_conda, dict) or raw_conda.get("style") not in CONDA_STYLES \
                or _unknown_keys(raw_conda, frozenset({"style", "cuda", "note"})) \
                or not _str_list(raw_conda.get("cuda", [])) or not isinstance(raw_conda.get("note", ""), str):
            check.fail(where, _("{entry}: conda must be {{ style = {styles}, cuda = [...], note }}, got {raw_conda}",
                                entry=entry, styles=' | '.join(CONDA_STYLES), raw_conda=_text(raw_conda)))
        else:
            conda = CondaRecipe(raw_conda["style"], tuple(raw_conda.get("cuda", ())), raw_conda.get("note", ""))
    gaps = _companion_gaps(check, where, entry, spec, python_map)
    macos_by_python = _macos_by_python(check, where, entry, spec, python_map)
    pypi = spec.get("pypi", {})
    if not isinstance(pypi, dict) or any(not isinstance(v, str) for v in pypi.values()):
        check.fail(where, _("{entry}: pypi must map platforms to variant names, got {pypi}",
                            entry=entry, pypi=_text(pypi)))
    if len(check.problems) > before:
        return None
    variants = []
    for name, body in variant_bodies.items():
        variant = _expand_variant(check, where, version, name, body, ctx, str(spec.get("source", "")), platforms)
        if variant is not None:
            variants.append(variant)
    names = {v.name for v in variants}
    for plat in platforms if len(variants) == len(variant_bodies) else ():
        if pypi.get(plat) not in names:
            check.fail(where, _("{entry}: PyPI default for {plat} is {value}, not one of its variants",
                                entry=entry, plat=plat, value=_text(pypi.get(plat))))
    if len(check.problems) > before:
        return None
    return Release(
        version=version, parsed=parsed, series=series_name, python=python_map, platforms=tuple(platforms),
        macos_min=macos_min or {}, glibc=glibc or {}, pypi=dict(pypi), index_style=str(style),
        variants=tuple(variants), torchvision=spec.get("torchvision"), torchaudio=spec.get("torchaudio"),
        conda=conda, source=str(spec.get("source", "")), note=str(spec.get("note", "")),
        companion_gaps=gaps, macos_min_by_python=macos_by_python, inferred=tuple(spec.get("inferred", ())),
    )


def _expand_index(check: _Checker) -> tuple[str, str]:
    index = check.raw.data["torch.toml"].get("index", {})
    file = check.where("index", "", "torch.toml")
    if not isinstance(index, dict):
        check.fail(file, _("index: must be a table, got {index}", index=_text(index)))
        index = {}
    unknown = _unknown_keys(index, frozenset({"base", "find_links", "source"}))
    if unknown or not isinstance(index.get("source", ""), str):
        check.fail(file, _("index: {problem}", problem=unknown or _("'{key}' must be a string", key="source")))
    base = index.get("base", "https://download.pytorch.org/whl")
    base = base.rstrip("/") if isinstance(base, str) else base
    find_links = index.get("find_links", f"{base}/torch_stable.html")
    for key, url in (("base", base), ("find_links", find_links)):
        problem = index_url_problem(url)
        if problem:
            check.fail(file, _("index {key} {url}: {problem}", key=key, url=_text(url), problem=problem))
    return str(base), str(find_links)


def _build(raw: _Raw) -> tuple[Recipes | None, list[str]]:
    check = _Checker(raw)
    for name in RECIPE_FILES:
        source = raw.data[name].get("source", "")
        if not isinstance(source, str):
            check.fail(check.where("source", "", name), _("'{key}' must be a string", key="source"))
    toolkits, families = _expand_drivers(check)
    newest_arch = _expand_newest_arch(check)
    gpu_first_cuda = _expand_gpu_first_cuda(check)
    nvidia = _gpu_table(check, "nvidia", "cc", _is_cc)
    amd = _gpu_table(check, "amd", "gfx", compat.is_gfx)
    jetson = _expand_jetson(check)
    releases = _expand_torch(check)
    base, find_links = _expand_index(check)
    if not releases:
        check.fail("recipes/torch.toml", _("no releases"))
    mirrors = _expand_mirrors(check)
    presets = _expand_presets(check)
    if check.problems:
        return None, check.problems
    sources = {name: str(data.get("source", "")) for name, data in raw.data.items()}
    files = tuple(sorted({shown for (_file, key, _entry), shown in raw.origin.items() if not key}))
    series = raw.data["torch.toml"].get("series", {})
    series_variants = {str(name): tuple(str(v) for v in body.get("variants", {}))
                       for name, body in series.items() if isinstance(body, dict) and isinstance(body.get("variants", {}), dict)}
    defaults = {str(name): {str(k): str(v) for k, v in body.items()}
                for name, body in raw.data["torch.toml"].get("variant", {}).items() if isinstance(body, dict)}
    return Recipes(releases, toolkits, families, newest_arch, nvidia, amd, jetson, mirrors, base, find_links, sources,
                   files, presets, tuple(raw.layers), series_variants, defaults, gpu_first_cuda), check.problems

