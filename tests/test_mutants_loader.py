"""Reading recipe folders (``recipes/loader.py``): the problems, layers and depths, compared whole.

Every folder here is hand-written for these tests (assembled): a ``gpus.toml`` with a misspelt top-level
key, a ``torch.toml`` whose ``checked`` is no date or whose ``[refresh]`` table holds a key the schema
does not know, and ``torch.toml`` heads that say when and from where their data was read.
"""

from __future__ import annotations

import os
import shutil
import tempfile
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


def test_a_path_that_is_no_folder_is_a_problem_and_no_layer(tmp_path):
    (tmp_path / "torch.toml").write_text('checked = "2026-12-01"\n', encoding="utf-8")
    raw = _load_raw([tmp_path / "torch.toml", tmp_path / "missing"], refreshed=False)
    assert (raw.problems, [layer.kind for layer in raw.layers]) == (
        [f"{tmp_path / 'torch.toml'}: not a folder", f"{tmp_path / 'missing'}: not a folder"], ["built-in"])


def test_other_and_unknown_files_are_passed_over_and_the_files_after_them_still_read(tmp_path):
    """In name order: extensions.toml (the verifier's and the extension catalog's, not a recipe file), an
    unknown file, torch.toml (whose date the layer takes) and another unknown file."""
    path = folder(tmp_path, "overlay", {"extensions.toml": "", "notes.toml": "", "torch.toml": 'checked = "2026-12-01"\n',
                                        "zz.toml": ""})
    raw = _load_raw([path], refreshed=False)
    expected = "(expected one of cuda_drivers.toml, torch.toml, gpus.toml, mirrors.toml)"
    assert (raw.problems, raw.layers[1:]) == (
        [f"{path / 'notes.toml'}: unknown recipe file {expected}", f"{path / 'zz.toml'}: unknown recipe file {expected}"],
        [DataLayer("overlay", str(path), "2026-12-01")])


def test_a_recipe_file_that_cannot_be_read_is_a_problem_and_the_files_after_it_still_read(tmp_path):
    """gpus.toml a symbolic link (an overlay from someone else is not followed out of its folder), then torch.toml."""
    path = folder(tmp_path, "overlay", {"torch.toml": 'checked = "2026-12-01"\n'})
    (path / "gpus.toml").symlink_to("/etc/passwd")
    raw = _load_raw([path], refreshed=False)
    assert (raw.problems, raw.layers[1:]) == (
        [f"{path / 'gpus.toml'}: cannot read: a symbolic link, not a regular file"],
        [DataLayer("overlay", str(path), "2026-12-01")])


def test_a_folder_without_a_torch_toml_is_a_layer_without_a_date(tmp_path):
    path = folder(tmp_path, "overlay", {"gpu_peaks.toml": ""})
    raw = _load_raw([path], refreshed=False)
    assert (raw.problems, raw.layers[1:]) == ([], [DataLayer("overlay", str(path))])


def test_a_folder_that_cannot_be_listed_is_a_problem_and_no_layer():
    """The kernel's own refusal: the overlay may be searched but not read (mode 0311). Root lists any folder,
    so as root the folder is read with the effective user nobody, for whom only its mode counts."""
    outer = Path(tempfile.mkdtemp(prefix="envdoctor-unlistable-"))  # not under pytest's 0700 folders
    path = outer / "overlay"
    try:
        outer.chmod(0o711)
        folder(outer, "overlay", {"torch.toml": 'checked = "2026-12-01"\n'})
        path.chmod(0o311)
        as_root = os.geteuid() == 0
        if as_root:
            os.seteuid(65534)
        try:
            raw = _load_raw([path], refreshed=False)
        finally:
            if as_root:
                os.seteuid(0)
        assert (raw.problems, [layer.kind for layer in raw.layers]) == (
            [f"{path}: cannot list: Permission denied"], ["built-in"])
    finally:
        if path.exists():
            path.chmod(0o755)
        shutil.rmtree(outer)


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
