"""Validated data kept in the user's cache folder, so a run reads it instead of parsing and checking the
TOML files again (tens of milliseconds, most of ``check``'s own work on a machine with torch): the
recipes (:func:`load_recipes_cached`) and the extension catalog (:func:`builtin_catalog_cached`).

An entry is keyed by the bytes of every file it was read from, the versions of envdoctor,
packaging (whose Version state is pickled) and the running Python, and the files of the code that
validates the data: any change loads and validates it again. Only data that passed validation is
written. The entry is read bounded and regular-file-only through the door, and unpickled with an
allow-list of the model's own classes, so a planted file can build nothing else; anything wrong with
it reads as a miss.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib.util import source_hash
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import packaging

from envdoctor import __version__
from envdoctor.compat import DriverVersion

if TYPE_CHECKING:
    from envdoctor.extensions import Catalog
    from envdoctor.recipes.model import Recipes

T = TypeVar("T")

CACHE_FILE = "recipes.pickle"
CATALOG_CACHE_FILE = "extensions.pickle"
CACHE_LIMIT = 8 * 1024 * 1024
_RECIPE_CLASSES = {
    ("envdoctor.recipes.model", name) for name in (
        "CondaRecipe", "CudaFamily", "DataLayer", "JetsonRecipe", "Mirror", "MirrorPreset", "Recipes", "Release",
        "ToolkitDriver", "VariantRecipe",
    )
} | {("envdoctor.compat", "DriverVersion"), ("packaging.version", "Version")}
_CATALOG_CLASSES = {("envdoctor.extensions", "Catalog"), ("envdoctor.extensions", "Extension"),
                    ("packaging.version", "Version")}
#: The code that reads and validates each kind of data: a change to it makes earlier entries stale.
_RECIPE_CODE = ("recipes/model.py", "recipes/schema.py", "recipes/loader.py", "recipes/folders.py", "compat.py")
_CATALOG_CODE = ("extensions.py", "recipes/folders.py", "compat.py")


class _AllowListUnpickler(pickle.Unpickler):
    """Builds the allowed classes and nothing else (builtin containers need no lookup)."""

    def __init__(self, data: bytes, allowed: set[tuple[str, str]]) -> None:
        super().__init__(io.BytesIO(data))
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> type:
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of the cached data")
        return super().find_class(module, name)  # type: ignore[no-any-return]


def _layer_folders(overlays: Sequence[Path]) -> list[tuple[str, Path]]:
    """The folders ``load_recipes(overlays)`` reads, in its order."""
    from envdoctor.recipes.folders import _refreshed_folder, builtin_dir

    folders = [("built-in", builtin_dir())]
    refreshed = _refreshed_folder(True)
    if refreshed is not None:
        folders.append(("refreshed", refreshed))
    return folders + [("overlay", Path(folder)) for folder in overlays]


def _key(code: Iterable[str], layers: Iterable[str], files: Iterable[Path]) -> str | None:
    """The hash of the versions, the code's files (size, time), the layers' names and each file's path and
    bytes; None when a file cannot be read (the full load then reports it). The hash is the one Python
    itself keys checked .pyc files by (``importlib.util.source_hash``): a cache key needs no more, and
    hashlib's import would cost ``check`` several milliseconds."""
    from envdoctor.door import UserFileError, read_user_bytes
    from envdoctor.recipes.folders import MAX_FILE_BYTES

    parts = [f"{__version__}\0{sys.version}\0{packaging.__version__}\0".encode()]
    package = Path(__file__).resolve().parents[1]
    for name in code:
        try:
            info = os.stat(package / name)
        except OSError:
            return None
        parts.append(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    for layer in layers:
        parts.append(f"{layer}\0".encode("utf-8", "surrogateescape"))
    for path in files:
        try:
            data = read_user_bytes(str(path), MAX_FILE_BYTES)
        except UserFileError:
            return None
        parts += [f"{path}\0{len(data)}\0".encode("utf-8", "surrogateescape"), data]
    return source_hash(b"".join(parts)).hex()


def cache_key(overlays: Sequence[Path]) -> str | None:
    """The key of the recipes ``load_recipes(overlays)`` returns: every .toml file of every layer."""
    layers, files = [], []
    for kind, folder in _layer_folders(overlays):
        try:
            names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".toml"))
        except (OSError, ValueError):
            return None
        layers.append(f"{kind} {folder} {len(names)}")
        files += [folder / name for name in names]
    return _key(_RECIPE_CODE, layers, files)


def _reduce_driver(version: DriverVersion) -> tuple[type, tuple[str]]:
    """A driver number is kept as written (its ``__str__``), which packaging's own state leaves out."""
    return DriverVersion, (str(version),)


def _dumps(value: object) -> bytes:
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {DriverVersion: _reduce_driver}
    pickler.dump(value)
    return stream.getvalue()


def _cached(path: Path, key: str | None, build: Callable[[], T], kind: type, allowed: set[tuple[str, str]]) -> T:
    """The entry at ``path`` when it was written under ``key``; else ``build()`` (which may raise), written there."""
    from envdoctor.door import UserFileError, make_user_dir, read_user_bytes, write_user_file

    if key is None:
        return build()
    try:
        header, _, body = read_user_bytes(str(path), CACHE_LIMIT).partition(b"\n")
        if header == key.encode("ascii"):
            value = _AllowListUnpickler(body, allowed).load()
            if isinstance(value, kind):
                return value  # type: ignore[return-value]
    except Exception:  # noqa: BLE001 - a missing, damaged or foreign entry is a miss, never a failure
        pass
    value = build()
    try:
        make_user_dir(str(path.parent))
        write_user_file(str(path), key.encode("ascii") + b"\n" + _dumps(value))
    except (UserFileError, OSError, pickle.PicklingError):
        pass  # a read-only or full cache folder only costs the next run the full load
    return value


def _cache_folder(folder: Path | None) -> Path:
    if folder is not None:
        return folder
    from envdoctor.door import user_cache_path

    return user_cache_path()


def load_recipes_cached(overlays: Sequence[Path] = (), cache_folder: Path | None = None) -> Recipes:
    """:func:`envdoctor.recipes.load_recipes` (the built-in, refreshed and overlay layers), answered from
    the cache when nothing it depends on changed; raises RecipeError as the full load does. The model is
    imported here: the extension catalog, which ``check`` reads on every machine, does not need it."""
    from envdoctor.recipes.model import Recipes

    def load() -> Recipes:
        from envdoctor.recipes.loader import load_recipes

        return load_recipes(overlays)

    return _cached(_cache_folder(cache_folder) / CACHE_FILE, cache_key(overlays), load, Recipes, _RECIPE_CLASSES)


def builtin_catalog_cached(cache_folder: Path | None = None) -> Catalog:
    """:func:`envdoctor.extensions.load_catalog` of the built-in file, answered from the cache when nothing
    it depends on changed; raises ExtensionDataError as the full load does."""
    from envdoctor.extensions import Catalog, builtin_path, load_catalog

    path = builtin_path()
    return _cached(_cache_folder(cache_folder) / CATALOG_CACHE_FILE, _key(_CATALOG_CODE, (), [path]),
                   load_catalog, Catalog, _CATALOG_CLASSES)
