"""Reading recipe folders (``recipes/loader.py``): the problems, layers and depths, compared whole.

Every folder here is hand-written for these tests (assembled): a ``gpus.toml`` with a misspelt top-level
key, a ``torch.toml`` whose ``checked`` is no date or whose ``[refresh]`` table holds a key the schema
does not know, and ``torch.toml`` heads that say when and from where their data was read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envdoctor.recipes.folders import refreshed_dir
from envdoctor.recipes.loader import MAX_DEPTH, _depth_problem, _load_raw, check_refreshed, data_layers
from envdoctor.recipes.model import DataLayer


def folder(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    path = tmp_path / name
    path.mkdir()
    for file, text in files.items():
        (path / file).write_text(text, encoding="utf-8")
    return path


def overlay_problems(tmp_path: Path, files: dict[str, str]) -> tuple[Path, list[str]]:
    path = folder(tmp_path, "overlay", files)
    return path, _load_raw([path], refreshed=False).problems


def nested(lists: int) -> Any:
    value: Any = 1
    for _ in range(lists):
        value = [value]
    return value


def test_values_nest_twelve_levels_deep_and_no_deeper():
    assert MAX_DEPTH == 12
    assert _depth_problem(nested(11)) is None  # the 1 sits at depth 12
    assert _depth_problem(nested(12)) == "[0][0][0][0][0][0][0][0][0][0][0][0]: nested deeper than 12 levels"


def test_a_misspelt_top_level_key(tmp_path):
    path, problems = overlay_problems(tmp_path, {"gpus.toml": "nvidea = []\n"})
    assert problems == [f"{path / 'gpus.toml'}: unknown key 'nvidea' (expected amd, jetson, nvidia, schema, source)"]


def test_a_checked_that_is_no_date(tmp_path):
    path, problems = overlay_problems(tmp_path, {"torch.toml": 'checked = "yesterday"\n'})
    assert problems == [f"{path / 'torch.toml'}: checked 'yesterday' must be a date such as \"2026-11-28\""]


def test_a_refresh_table_with_a_key_of_its_own(tmp_path):
    path, problems = overlay_problems(tmp_path, {"torch.toml": '[refresh]\npypi = "PyPI"\nmirror = "x"\n'})
    assert problems == [f"{path / 'torch.toml'}: refresh must be a table of strings (envdoctor, fetched, index, pypi), "
                        "got {'pypi': 'PyPI', 'mirror': 'x'}"]


def test_an_overlay_is_a_layer_of_its_own(tmp_path):
    path = folder(tmp_path, "overlay", {"torch.toml": 'checked = "2026-12-01"\n'})
    raw = _load_raw([path], refreshed=False)
    assert (raw.problems, [layer.kind for layer in raw.layers], raw.layers[-1]) == (
        [], ["built-in", "overlay"], DataLayer("overlay", str(path), "2026-12-01"))


def test_the_layers_as_their_torch_toml_heads_say(tmp_path):
    builtin = folder(tmp_path, "builtin", {"torch.toml": 'checked = "2026-11-28"\n[series."2.5"]\nx = 1\n'})
    refreshed = folder(tmp_path, "refreshed", {"torch.toml": (
        'checked = "2026-12-01"\n[refresh]\npypi = "https://mirror.example/simple"\nindex = "https://idx.example"\n')})
    overlay = folder(tmp_path, "overlay", {"torch.toml": 'checked = "not a date"\n'})
    assert data_layers([overlay], builtin=builtin, refreshed=refreshed) == (
        DataLayer("built-in", str(builtin), "2026-11-28"),
        DataLayer("refreshed", str(refreshed), "2026-12-01", "https://mirror.example/simple", "https://idx.example"),
        DataLayer("overlay", str(overlay)),
    )


def test_a_refreshed_text_is_checked_as_the_refreshed_layer():
    recipes, problems = check_refreshed('checked = "2026-12-01"\n[refresh]\npypi = "https://mirror.example/simple"\n')
    assert problems == [] and recipes is not None
    assert recipes.layers[-1] == DataLayer("refreshed", str(refreshed_dir()), "2026-12-01",
                                           "https://mirror.example/simple")
