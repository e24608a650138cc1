"""``--mirror NAME|URL``: which mirror serves the PyTorch wheel index and which serves PyPI. Pure.

A value is a preset name from ``recipes/mirrors.toml`` (``sjtu``, ``tuna``, ...), a URL that replaces
the PyTorch index base (``https://download.pytorch.org/whl``: its variant folders hold PEP 503 pages),
or ``pypi=URL`` for a PyPI simple index. Every URL passes the installer's URL guard first.
"""

from __future__ import annotations

from collections.abc import Sequence

from envdoctor.datatypes import datatype
from envdoctor.i18n import _
from envdoctor.recipes import Mirror, Recipes
from envdoctor.urls import index_url_problem


@datatype(frozen=True)
class MirrorChoice:
    """The mirrors a run uses: ``pytorch`` rewrites the PyTorch index, ``pypi`` replaces the user's index
    for everything else; ``names`` says where each came from (``--mirror sjtu``)."""

    pytorch: Mirror | None = None
    pypi: str | None = None
    pytorch_from: str = ""
    pypi_from: str = ""


def preset_names(recipes: Recipes) -> list[str]:
    return sorted({p.name for p in recipes.mirror_presets})


def choose(values: Sequence[str], recipes: Recipes) -> MirrorChoice:
    """The mirrors ``--mirror`` values name; ValueError (a usage error) for an unknown name, a URL the
    guard refuses, or two mirrors for the same index."""
    pytorch: Mirror | None = None
    pypi: str | None = None
    pytorch_from = pypi_from = ""
    for value in values:
        label = f"--mirror {value}"
        kind, equals, url = value.partition("=")
        if equals and kind in ("pypi", "pytorch") and "://" not in kind:
            found = [(kind, _checked(url, value), "simple", "")]
        elif "://" in value:
            found = [("pytorch", _checked(value, value), "simple", "")]
        else:
            presets = recipes.presets(value)
            if not presets:
                known = ", ".join(preset_names(recipes)) or _("none")
                raise ValueError(_("--mirror {value}: no such preset (known: {known}); or give a URL: the PyTorch "
                                   "index base (its variant folders such as cu126/ hold PEP 503 pages), or pypi=URL",
                                   value=repr(value), known=known))
            found = [(p.serves, p.url, p.layout, p.source) for p in presets]
        for serves, url_value, layout, source in found:
            if serves == "pytorch":
                if pytorch is not None:
                    raise ValueError(_("{label}: {other} already names the PyTorch index mirror", label=label,
                                         other=pytorch_from))
                pytorch = Mirror(recipes.index_base, url_value.rstrip("/"), source or label, layout)
                pytorch_from = label
            else:
                if pypi is not None:
                    raise ValueError(_("{label}: {other} already names the PyPI mirror", label=label, other=pypi_from))
                if layout != "simple":
                    raise ValueError(_("{label}: a PyPI mirror must be a PEP 503 simple index", label=label))
                pypi, pypi_from = url_value.rstrip("/"), label
    return MirrorChoice(pytorch, pypi, pytorch_from, pypi_from)


def _checked(url: str, value: str) -> str:
    problem = index_url_problem(url)
    if problem:
        raise ValueError(_("--mirror {value}: {problem}", value=repr(value), problem=problem))
    return url
