"""Compatibility data: load the TOML recipes, validate them, merge overlays, answer lookups.

The built-in files live in ``recipes/`` (installed as ``envdoctor.recipe_data``). ``envdoctor recipes
refresh`` writes the releases the built-in data lacks to ``torch.toml`` in the user's data folder, which
is merged next (it adds releases, never changes one the built-in data has). Overlay folders
(``--recipes DIR``, ``ENVDOCTOR_RECIPES``) come last and add or override entries table by table. Overlays may come
from someone else, so every file is read bounded and regular-file-only, and every value is checked
for its type before it is used: a problem is reported with its file, entry and what is wrong, e.g.
``recipes/torch.toml: release "2.5.1" variant "cu124": arch "sm_9O" is not sm_NN``, never raised.

Three rooms: :mod:`.model` (the validated rows and their lookups), :mod:`.loader` (reading folders, merging
layers) and :mod:`.schema` (checking the merged tables and expanding them into the model). Versions, driver
numbers and compute capabilities are parsed by :mod:`envdoctor.compat` only.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envdoctor.recipes.folders import REFRESHED_FILE, builtin_dir, refreshed_dir
    from envdoctor.recipes.loader import check_refreshed, data_layers, load_recipes, validate
    from envdoctor.recipes.model import (
        KIND_PLATFORMS,
        CondaRecipe,
        CudaFamily,
        DataLayer,
        JetsonRecipe,
        Mirror,
        MirrorPreset,
        RecipeError,
        Recipes,
        Release,
        ToolkitDriver,
        VariantRecipe,
    )
    from envdoctor.recipes.schema import LAYOUTS

#: Where each public name lives: a module is imported when one of its names is first asked for, so a
#: run answered from the cache never imports the TOML parser and the schema.
_HOMES = {
    **dict.fromkeys(("REFRESHED_FILE", "builtin_dir", "refreshed_dir"), "folders"),
    **dict.fromkeys(("check_refreshed", "data_layers", "load_recipes", "validate"), "loader"),
    **dict.fromkeys(("KIND_PLATFORMS", "CondaRecipe", "CudaFamily", "DataLayer", "JetsonRecipe", "Mirror",
                     "MirrorPreset", "RecipeError", "Recipes", "Release", "ToolkitDriver", "VariantRecipe"), "model"),
    "LAYOUTS": "schema",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "KIND_PLATFORMS", "LAYOUTS", "REFRESHED_FILE", "CondaRecipe", "CudaFamily", "DataLayer", "JetsonRecipe", "Mirror",
    "MirrorPreset", "RecipeError", "Recipes", "Release", "ToolkitDriver", "VariantRecipe", "builtin_dir",
    "check_refreshed", "data_layers", "load_recipes", "refreshed_dir", "validate",
]
