"""The cache of validated data answers exactly what a full load answers, and only while nothing it depends on
changed."""

from __future__ import annotations

import dataclasses
import pickle
import shutil
from pathlib import Path

import pytest
from packaging.version import Version

from envdoctor.extensions import load_catalog
from envdoctor.recipes import RecipeError, builtin_dir, load_recipes
from envdoctor.recipes.cache import CACHE_FILE, CATALOG_CACHE_FILE, builtin_catalog_cached, load_recipes_cached


def _shape(value: object) -> object:
    """A value with every object spelt out: its type, its fields, and for a version the text it prints."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, tuple((f.name, _shape(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, Version):
        return (type(value).__name__, str(value), repr(value))
    if isinstance(value, dict):
        return ("dict", tuple((_shape(k), _shape(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return (type(value).__name__, tuple(_shape(v) for v in items))
    return (type(value).__name__, value)


def test_a_cached_answer_is_the_full_load(tmp_path):
    fresh = load_recipes()
    first = load_recipes_cached(cache_folder=tmp_path)
    assert (tmp_path / CACHE_FILE).is_file()
    second = load_recipes_cached(cache_folder=tmp_path)
    assert _shape(first) == _shape(fresh)
    assert _shape(second) == _shape(fresh)  # the driver numbers still print as written (560.35.05)


def test_a_cached_catalog_is_the_full_load(tmp_path):
    fresh = load_catalog()
    first = builtin_catalog_cached(cache_folder=tmp_path)
    assert (tmp_path / CATALOG_CACHE_FILE).is_file()
    second = builtin_catalog_cached(cache_folder=tmp_path)
    assert _shape(first) == _shape(fresh)
    assert _shape(second) == _shape(fresh)


def test_a_changed_overlay_is_validated_again(tmp_path):
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    shutil.copy(builtin_dir() / "gpus.toml", overlay / "gpus.toml")
    load_recipes_cached([overlay], cache_folder=tmp_path / "cache")
    (overlay / "gpus.toml").write_text("schema = 'envdoctor.recipes.gpus/2'\nnvidia = 3\n", encoding="utf-8")
    with pytest.raises(RecipeError):
        load_recipes_cached([overlay], cache_folder=tmp_path / "cache")


def test_a_planted_entry_builds_nothing_outside_the_model(tmp_path):
    load_recipes_cached(cache_folder=tmp_path)
    key = (tmp_path / CACHE_FILE).read_bytes().partition(b"\n")[0]
    marker = tmp_path / "ran"
    planted = pickle.dumps(_Planted(str(marker)))
    (tmp_path / CACHE_FILE).write_bytes(key + b"\n" + planted)
    assert _shape(load_recipes_cached(cache_folder=tmp_path)) == _shape(load_recipes())
    assert not marker.exists()


def test_an_unreadable_cache_folder_only_costs_the_full_load(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert _shape(load_recipes_cached(cache_folder=blocked)) == _shape(load_recipes())
    assert blocked.read_text(encoding="utf-8") == "not a folder"


class _Planted:
    """An object whose unpickling would create a file, were its class allowed."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))
