"""Reading the recipe folders: the built-in data, the refreshed layer and overlays, each file bounded and
regular-file-only, merged table by table before the schema expansion."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from packaging.version import Version

from envdoctor.compat import parse_version
from envdoctor.i18n import _
from envdoctor.recipes.folders import MAX_FILE_BYTES, REFRESHED_FILE, _refreshed_folder, builtin_dir, refreshed_dir
from envdoctor.recipes.model import DataLayer, RecipeError, Recipes
from envdoctor.recipes.schema import RECIPE_FILES, REFRESH_KEYS, _build, _is_date, _Raw, _row_key, _text, _unknown_keys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

OTHER_FILES = ("gpu_peaks.toml", "extensions.toml")  # read by the verifier and envdoctor.extensions
SCHEMAS = {
    "cuda_drivers.toml": "envdoctor.recipes.cuda_drivers/1",
    "torch.toml": "envdoctor.recipes.torch/2",
    "gpus.toml": "envdoctor.recipes.gpus/2",
    "mirrors.toml": "envdoctor.recipes.mirrors/1",
}
#: The top-level keys each file may hold: a misspelt key must not be ignored silently.
TOP_KEYS = {
    "cuda_drivers.toml": frozenset({"schema", "source", "toolkit", "family", "newest_arch", "gpu_first_cuda"}),
    "torch.toml": frozenset({"schema", "source", "checked", "refresh", "index", "arch_lists", "gfx_lists", "variant",
                             "series"}),
    "gpus.toml": frozenset({"schema", "source", "nvidia", "amd", "jetson"}),
    "mirrors.toml": frozenset({"schema", "source", "mirror", "preset"}),
}
#: Keys an older schema had, with where their data lives now.
MOVED_KEYS = {
    ("gpus.toml", "rocm"): _("the gfx targets of ROCm wheels differ by torch release: give each ROCm variant a "
                             "'gfx' list in torch.toml (named lists in [gfx_lists])"),
}
ROW_KEYS = {"toolkit", "family", "newest_arch", "gpu_first_cuda", "nvidia", "amd", "mirror", "preset"}
MAX_DEPTH = 12  # the deepest built-in value (a Python in a companion gap list) sits at depth 10


# ---------------------------------------------------------------------------- reading + merging


def _display(path: Path) -> str:
    parts = path.parts
    return str(Path(*parts[-2:])) if len(parts) >= 2 else str(path)


def _depth_problem(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """Where a value nests tables or lists deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return _("{where}: nested deeper than {limit} levels", where=_path_to_depth(value, limit + 1), limit=limit)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return None


def _path_to_depth(value: Any, depth: int) -> str:
    """The first path (``a.b[0]``) that reaches ``depth``, for the problem message."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        item, level, where = stack.pop()
        if level >= depth:
            return where.lstrip(".") or _("a value")
        if isinstance(item, dict):
            stack.extend((v, level + 1, f"{where}.{k}") for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((v, level + 1, f"{where}[{i}]") for i, v in reversed(list(enumerate(item))))
    return _("a value")


def _read_dir(folder: Path, raw: _Raw, kind: str) -> None:
    """Merge the recipe files of one folder (a layer of ``kind``: built-in, refreshed or overlay); each is
    read bounded, and refused when not a regular file."""
    from envdoctor.door import UserFileError, read_user_file

    if not folder.is_dir():
        raw.problems.append(_("{path}: not a folder", path=str(folder)))
        return
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".toml"))
    except OSError as exc:
        raw.problems.append(_("{path}: cannot list: {error}", path=str(folder), error=exc.strerror or str(exc)))
        return
    layer = DataLayer(kind, str(folder))
    for name in names:
        path = folder / name
        shown = str(path) if kind != "built-in" else _display(path)
        if name in OTHER_FILES:
            continue
        if name not in RECIPE_FILES:
            raw.problems.append(_("{file}: unknown recipe file (expected one of {names})", file=shown,
                                  names=", ".join(RECIPE_FILES)))
            continue
        try:
            text = read_user_file(str(path), MAX_FILE_BYTES)
        except UserFileError as exc:
            raw.problems.append(_("{file}: cannot read: {problem}", file=shown,
                                  problem=str(exc).removeprefix(f"{path}: ")))
            continue
        layer = _read_text(name, shown, text, raw, kind, str(folder)) or layer
    raw.layers.append(layer)


def _read_text(name: str, shown: str, text: str, raw: _Raw, kind: str, folder: str) -> DataLayer | None:
    """Merge one recipe file's text; for torch.toml, the layer it describes (its date and sources)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raw.problems.append(_("{file}: not valid TOML: {error}", file=shown, error=str(exc)))
        return None
    except RecursionError:
        raw.problems.append(_("{file}: not valid TOML: nested too deeply", file=shown))
        return None
    if _file_problems(name, shown, data, raw):
        return None
    if name != "torch.toml":
        _merge_file(name, shown, data, raw)
        return None
    refresh = data.get("refresh") if isinstance(data.get("refresh"), dict) else {}
    layer = DataLayer(kind, folder, str(data.get("checked", "")), str(refresh.get("pypi", "")),
                      str(refresh.get("index", "")))
    if kind == "refreshed":
        extra = sorted(set(data) - {"schema", "source", "checked", "refresh", "series"})
        if extra:
            raw.problems.append(_("{file}: a refreshed file holds only series, not {keys}", file=shown,
                                  keys=", ".join(extra)))
            return layer
        data = {"series": _new_releases_only(data["series"], raw.builtin_releases)} if "series" in data else {}
    _merge_file(name, shown, data, raw)
    if kind == "built-in":
        raw.builtin_releases = _release_versions(raw.data["torch.toml"])
    return layer


def _release_versions(torch_data: dict[str, Any]) -> set[Version]:
    """Every release a torch.toml table names (malformed entries are left to validation)."""
    found: set[Version] = set()
    series = torch_data.get("series")
    for body in series.values() if isinstance(series, dict) else ():
        releases = body.get("releases") if isinstance(body, dict) else None
        for version in releases if isinstance(releases, dict) else ():
            parsed = parse_version(str(version))
            if parsed is not None:
                found.add(parsed)
    return found


def _new_releases_only(series: Any, known: set[Version]) -> Any:
    """A refreshed ``series`` table without the releases the built-in data has: its rows win (they come
    from build scripts and audits, a refresh only from the indexes), also after envdoctor is upgraded."""
    if not isinstance(series, dict):
        return series
    kept: dict[str, Any] = {}
    for name, body in series.items():
        releases = body.get("releases") if isinstance(body, dict) else None
        if not isinstance(releases, dict):
            kept[name] = body
            continue
        fresh = {v: entry for v, entry in releases.items() if parse_version(str(v)) not in known}
        if fresh:
            kept[name] = {**body, "releases": fresh}
    return kept


def _file_problems(name: str, shown: str, data: dict[str, Any], raw: _Raw) -> bool:
    """Report what makes a whole file unusable (deep nesting, a wrong schema) and misspelt top-level keys."""
    deep = _depth_problem(data)
    if deep:
        raw.problems.append(_("{file}: {problem}", file=shown, problem=deep))
        return True
    schema = data.get("schema")
    if schema is not None and schema != SCHEMAS[name]:
        raw.problems.append(_("{file}: schema {schema!r} is not {expected!r}", file=shown, schema=schema,
                              expected=SCHEMAS[name]))
        return True
    for key in sorted(set(data) - TOP_KEYS[name]):
        moved = MOVED_KEYS.get((name, key))
        if moved:
            raw.problems.append(_("{file}: '{key}' is no longer read here: {moved}", file=shown, key=key, moved=moved))
        else:
            raw.problems.append(_("{file}: unknown key '{key}' (expected {keys})", file=shown, key=key,
                                  keys=", ".join(sorted(TOP_KEYS[name]))))
    if name == "torch.toml":
        problem = _provenance_problem(data)
        if problem:
            raw.problems.append(_("{file}: {problem}", file=shown, problem=problem))
            return True
    return False


def _provenance_problem(data: dict[str, Any]) -> str:
    """What is wrong with ``checked`` (a date) and ``[refresh]`` (where refreshed data came from)."""
    checked = data.get("checked")
    if checked is not None and not _is_date(checked):
        return _("checked {value} must be a date such as \"2026-11-28\"", value=_text(checked))
    refresh = data.get("refresh")
    if refresh is None:
        return ""
    if not isinstance(refresh, dict) or _unknown_keys(refresh, REFRESH_KEYS) \
            or any(not isinstance(v, str) for v in refresh.values()):
        return _("refresh must be a table of strings ({keys}), got {value}", keys=", ".join(sorted(REFRESH_KEYS)),
                 value=_text(refresh))
    return ""


def _merge_file(name: str, shown: str, data: dict[str, Any], raw: _Raw) -> None:
    """Merge one freshly parsed file into the layers below it (``data`` is owned here: nothing is copied)."""
    target = raw.data[name]
    for key, value in data.items():
        if key not in TOP_KEYS[name]:
            continue
        if key in ROW_KEYS:
            if not isinstance(value, list):
                raw.problems.append(_("{file}: '{key}' must be a list of tables, got {type}", file=shown, key=key,
                                      type=type(value).__name__))
                continue
            target[key] = value + target.get(key, [])  # later files' rows win lookups
            for row in value:
                raw.origin[(name, key, _row_key(key, row))] = shown
        elif key in ("series", "variant", "arch_lists", "gfx_lists"):
            if not isinstance(value, dict):
                raw.problems.append(_("{file}: '{key}' must be a table, got {type}", file=shown, key=key,
                                      type=type(value).__name__))
                continue
            table = target.setdefault(key, {})
            for entry, body in value.items():
                old = table.get(entry)
                if key == "series" and isinstance(body, dict) and isinstance(old, dict):
                    for field_name, field_value in body.items():
                        if field_name in ("releases", "variants") and isinstance(field_value, dict) \
                                and isinstance(old.get(field_name), dict):
                            old[field_name].update(field_value)
                        else:
                            old[field_name] = field_value
                else:
                    table[entry] = body
                raw.origin[(name, key, str(entry))] = shown
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key].update(value)
            raw.origin[(name, key, "")] = shown
        else:
            target[key] = value
            raw.origin[(name, key, "")] = shown
    raw.origin.setdefault((name, "", ""), shown)




def _load_raw(overlays: Iterable[Path], builtin: Path | None = None, refreshed: Path | bool = True) -> _Raw:
    raw = _Raw()
    _read_dir(builtin or builtin_dir(), raw, "built-in")
    folder = _refreshed_folder(refreshed)
    if folder is not None:
        _read_dir(folder, raw, "refreshed")
    for overlay in overlays:
        _read_dir(Path(overlay), raw, "overlay")
    return raw


def load_recipes(overlays: Sequence[Path] = (), *, builtin: Path | None = None, refreshed: Path | bool = True) -> Recipes:
    """The built-in recipes (or the folder ``builtin``), the refreshed layer (``refreshed``: True for the
    user's data folder, a folder, or False for none) and each overlay folder merged on top, in order;
    raises RecipeError."""
    recipes, problems = _build(_load_raw(overlays, builtin, refreshed))
    if problems or recipes is None:
        raise RecipeError(problems or [_("recipes could not be loaded")])
    return recipes


def validate(folder: Path | str | None = None) -> list[str]:
    """Every problem in the built-in recipes with the refreshed layer, or in them with ``folder`` merged on top."""
    overlays = [Path(folder)] if folder is not None else []
    _recipes, problems = _build(_load_raw(overlays))
    return problems


def _head(text: str) -> str:
    """The top-level keys and the ``[refresh]`` table of a torch.toml (what a layer says of itself)."""
    head: list[str] = []
    keep = True
    for line in text.splitlines():
        if line.startswith("["):
            keep = line.strip() == "[refresh]"
        if keep:
            head.append(line)
    return "\n".join(head)


def data_layers(overlays: Sequence[Path] = (), *, builtin: Path | None = None,
                refreshed: Path | bool = True) -> tuple[DataLayer, ...]:
    """The layers :func:`load_recipes` would merge, with their dates and sources, read from the top of each
    torch.toml only (``check`` loads the whole data only when a rule needs it). A file that cannot be
    read gives a layer without a date; loading the data says what is wrong with it."""
    from envdoctor.door import UserFileError, read_user_file

    folders: list[tuple[str, Path]] = [("built-in", builtin or builtin_dir())]
    folder = _refreshed_folder(refreshed)
    if folder is not None:
        folders.append(("refreshed", folder))
    folders += [("overlay", Path(p)) for p in overlays]
    layers = []
    for kind, path in folders:
        data: dict[str, Any] = {}
        try:
            data = tomllib.loads(_head(read_user_file(str(path / "torch.toml"), MAX_FILE_BYTES)))
        except (UserFileError, tomllib.TOMLDecodeError, RecursionError):
            pass
        refresh = data.get("refresh")
        refresh = refresh if isinstance(refresh, dict) else {}
        checked = data.get("checked")
        layers.append(DataLayer(kind, str(path), str(checked) if _is_date(checked) else "",
                                str(refresh.get("pypi", "")), str(refresh.get("index", ""))))
    return tuple(layers)


def check_refreshed(text: str, builtin: Path | None = None) -> tuple[Recipes | None, list[str]]:
    """The recipes with the refreshed torch.toml ``text`` merged over the built-in data, and every problem:
    what ``recipes refresh`` writes is validated by the loader itself before it is written."""
    raw = _Raw()
    _read_dir(builtin or builtin_dir(), raw, "built-in")
    folder = refreshed_dir()
    layer = _read_text("torch.toml", str(folder / REFRESHED_FILE), text, raw, "refreshed", str(folder))
    if layer is not None:
        raw.layers.append(layer)
    return _build(raw)
