"""Where the recipe layers live: the built-in data and the refreshed layer, found without reading them.

Kept apart from :mod:`.loader` so that a run answered from the cache (:mod:`.cache`) finds its files
without importing the TOML parser and the schema.
"""

from __future__ import annotations

from pathlib import Path

MAX_FILE_BYTES = 2 * 1024 * 1024
#: The file ``envdoctor recipes refresh`` writes in the user's data folder (``refreshed_dir()``).
REFRESHED_FILE = "torch.toml"


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
    return Path(__file__).resolve().parents[2] / "recipes"


def refreshed_dir() -> Path:
    """Where ``envdoctor recipes refresh`` keeps what it learnt: ``recipes/`` in the user's data folder."""
    from envdoctor.door import user_data_path

    return user_data_path() / "recipes"


def _refreshed_folder(refreshed: Path | bool) -> Path | None:
    """The refreshed layer to read: the default folder when it holds a refreshed file, a given folder, or none."""
    if refreshed is False:
        return None
    folder = refreshed_dir() if refreshed is True else Path(refreshed)
    return folder if (folder / REFRESHED_FILE).exists() or refreshed is not True else None
