"""Validated recipes kept in the user's cache folder, so a run reads them instead of parsing and checking
every TOML file again (tens of milliseconds, most of ``check``'s own work on a machine with torch).

An entry is keyed by the bytes of every recipe file of every layer (SHA-256), the versions of envdoctor,
packaging (whose Version state is pickled) and the running Python, and the files of the code that
validates the data: any change loads and validates it again. Only data that passed validation is
written. The entry is read bounded and regular-file-only through the door, and unpickled with an
allow-list of the model's own classes, so a planted file can build nothing else; anything wrong with
it reads as a miss.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

import packaging

from envdoctor import __version__
from envdoctor.compat import DriverVersion
from envdoctor.recipes.model import Recipes

CACHE_FILE = "recipes.pickle"
CACHE_LIMIT = 8 * 1024 * 1024
#: The only classes a cache entry may hold (beyond builtin containers, which pickle builds without lookups).
_ALLOWED = {
    ("envdoctor.recipes.model", name) for name in (
        "CondaRecipe", "CudaFamily", "DataLayer", "JetsonRecipe", "Mirror", "MirrorPreset", "Recipes", "Release",
        "ToolkitDriver", "VariantRecipe",
    )
} | {("envdoctor.compat", "DriverVersion"), ("packaging.version", "Version")}
#: The code that reads and validates the data: a change to it makes earlier entries stale.
_CODE = ("recipes/model.py", "recipes/schema.py", "recipes/loader.py", "compat.py")


class _ModelUnpickler(pickle.Unpickler):
    """Builds the recipe model's classes and nothing else."""

    def find_class(self, module: str, name: str) -> type:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of the recipe model")
        return super().find_class(module, name)  # type: ignore[no-any-return]


def _layer_folders(overlays: Sequence[Path]) -> list[tuple[str, Path]]:
    """The folders ``load_recipes(overlays)`` reads, in its order."""
    from envdoctor.recipes.loader import _refreshed_folder, builtin_dir

    folders = [("built-in", builtin_dir())]
    refreshed = _refreshed_folder(True)
    if refreshed is not None:
        folders.append(("refreshed", refreshed))
    return folders + [("overlay", Path(folder)) for folder in overlays]


def cache_key(overlays: Sequence[Path]) -> str | None:
    """The SHA-256 of everything the validated data depends on; None when a file cannot be read (the full
    load then reports it)."""
    from envdoctor.door import UserFileError, read_user_bytes
    from envdoctor.recipes.loader import MAX_FILE_BYTES

    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0{packaging.__version__}\0".encode())
    package = Path(__file__).resolve().parents[1]
    for name in _CODE:
        try:
            info = os.stat(package / name)
        except OSError:
            return None
        digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    for kind, folder in _layer_folders(overlays):
        try:
            names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".toml"))
        except (OSError, ValueError):
            return None
        digest.update(f"{kind}\0{folder}\0{len(names)}\0".encode("utf-8", "surrogateescape"))
        for name in names:
            try:
                data = read_user_bytes(str(folder / name), MAX_FILE_BYTES)
            except UserFileError:
                return None
            digest.update(f"{name}\0{len(data)}\0".encode("utf-8", "surrogateescape"))
            digest.update(data)
    return digest.hexdigest()


def _read_entry(path: Path, key: str) -> Recipes | None:
    from envdoctor.door import UserFileError, read_user_bytes

    try:
        data = read_user_bytes(str(path), CACHE_LIMIT)
    except UserFileError:
        return None
    header, _, body = data.partition(b"\n")
    if header != key.encode("ascii"):
        return None
    try:
        recipes = _ModelUnpickler(io.BytesIO(body)).load()
    except Exception:  # noqa: BLE001 - a damaged or foreign entry is a miss, never a failure
        return None
    return recipes if isinstance(recipes, Recipes) else None


def _reduce_driver(version: DriverVersion) -> tuple[type, tuple[str]]:
    """A driver number is kept as written (its ``__str__``), which packaging's own state leaves out."""
    return DriverVersion, (str(version),)


def _dumps(recipes: Recipes) -> bytes:
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {DriverVersion: _reduce_driver}
    pickler.dump(recipes)
    return stream.getvalue()


def _write_entry(path: Path, key: str, recipes: Recipes) -> None:
    from envdoctor.door import UserFileError, make_user_dir, write_user_file

    try:
        make_user_dir(str(path.parent))
        write_user_file(str(path), key.encode("ascii") + b"\n" + _dumps(recipes))
    except (UserFileError, OSError, pickle.PicklingError):
        pass  # a read-only or full cache folder only costs the next run the full load


def load_recipes_cached(overlays: Sequence[Path] = (), cache_folder: Path | None = None) -> Recipes:
    """:func:`envdoctor.recipes.load_recipes` (the built-in, refreshed and overlay layers), answered from
    the cache when nothing it depends on changed; raises RecipeError as the full load does."""
    from envdoctor.recipes.loader import load_recipes

    key = cache_key(overlays)
    if key is None:
        return load_recipes(overlays)
    if cache_folder is None:
        from envdoctor.door import user_cache_path

        cache_folder = user_cache_path()
    path = cache_folder / CACHE_FILE
    recipes = _read_entry(path, key)
    if recipes is None:
        recipes = load_recipes(overlays)
        _write_entry(path, key, recipes)
    return recipes
