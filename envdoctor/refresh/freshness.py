"""How old the compatibility data is, where it came from, and what a refresh changed: said for people.

Pure: the data layers (:class:`envdoctor.recipes.DataLayer`) and a refresh's outcome in, text and
findings out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from envdoctor.compat import parse_requirement
from envdoctor.facts import Finding
from envdoctor.i18n import _, say
from envdoctor.recipes import DataLayer, Recipes

if TYPE_CHECKING:  # refresh (email, html parsers) is for `recipes refresh` only, not for every check
    from envdoctor.refresh.learn import Outcome

__all__ = ["data_finding", "describe_layers", "newer_than_known", "refresh_document", "refresh_report"]


#: each kind of data layer as people read it (the layer's kind itself is a name machines read)
LAYER_KINDS = {"built-in": _("built-in"), "refreshed": _("refreshed"), "overlay": _("overlay")}


def describe_layers(layers: Sequence[DataLayer]) -> str:
    """``built-in 2026-11-28 + refreshed 2026-12-10 + overlay /srv/recipes``."""
    described: str = ""
    for layer in layers:
        kind = LAYER_KINDS.get(layer.kind, layer.kind)
        if layer.kind == "overlay":
            part = _("{kind} {path}", kind=kind, path=str(layer.path))
        else:
            part = (_("{kind} {date}", kind=kind, date=layer.checked) if layer.checked
                    else _("{kind} (date unknown)", kind=kind))
        described = _("{layers} + {layer}", layers=described, layer=part) if described else part
    return described or _("none")


def data_finding(layers: Sequence[DataLayer]) -> Finding:
    """The info line `check` shows: the data's age and source."""
    refreshed = [layer for layer in layers if layer.kind == "refreshed"]
    evidence = [f"{layer.kind}: {layer.path}" for layer in layers]
    evidence += [_("refreshed from PyPI {pypi} and the PyTorch wheel index {index}", pypi=layer.pypi, index=layer.index)
                 for layer in refreshed]
    fix = None if refreshed else _("envdoctor recipes refresh learns releases newer than the built-in data")
    return Finding("recipes.data", "info", "torch", _("recipes: {layers}", layers=describe_layers(layers)),
                   subject="torch", fix=fix, evidence=evidence)


def newer_than_known(requirements: Sequence[str], recipes: Recipes) -> str | None:
    """A warning when a requested torch version is newer than every release the data knows: no known
    release satisfies the request, and a version it names above the newest one does."""
    from packaging.requirements import InvalidRequirement  # for install only: check reads no requirement

    if not recipes.releases:
        return None
    newest = max(recipes.releases, key=lambda r: r.parsed)
    for text in requirements:
        try:
            requirement = parse_requirement(text)
        except InvalidRequirement:
            continue
        specifier = requirement.specifier
        if requirement.name.lower() != "torch" or not str(specifier):
            continue
        if any(specifier.contains(r.version) for r in recipes.releases):
            continue
        for bound in specifier:
            version = _version(bound.version.removesuffix(".*"))
            if version is None or version < newest.parsed:
                continue
            if (bound.operator == ">" and version >= newest.parsed) or (version > newest.parsed and specifier.contains(version)):
                return _("'{requirement}' asks for a torch newer than every release the recipes know (the newest is "
                         "{newest}; data: {layers}): run `envdoctor recipes refresh`", requirement=text,
                         newest=newest.version, layers=describe_layers(recipes.layers))
    return None


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def refresh_report(outcome: Outcome, *, dry_run: bool, target: str, requests: int, fetched_bytes: int,
                   offline: bool) -> str:
    """What `recipes refresh` prints: the changes, what was left out or not learnt, and where the overlay went."""
    got = (_("from the cache of the last refresh") if offline
           else _("{requests} request(s), {megabytes:.1f} MB", requests=requests, megabytes=fetched_bytes / 1e6))
    lines = [f"envdoctor recipes refresh · {say(got)}"]
    nothing_new = say(_("no new releases or variants"))
    lines += [f"  + {say(change)}" for change in outcome.changes] or [f"  {nothing_new}"]
    lines += [f"  - {say(note)}" for note in outcome.notes]
    lines += ["  ! " + say(_("not learnt: {what}", what=what)) for what in outcome.not_learned]
    if dry_run:
        lines.append(say(_("dry run: nothing written ({target} would hold {count} release(s))", target=target,
                           count=len(outcome.releases))))
    else:
        lines.append(say(_("wrote {count} release(s) to {target}", count=len(outcome.releases), target=target)))
    return "\n".join(lines)


def refresh_document(outcome: Outcome, *, dry_run: bool, target: str, written: bool, requests: int,
                     fetched_bytes: int, offline: bool) -> dict[str, Any]:
    """What `recipes refresh --json` prints: the same facts as :func:`refresh_report`, as data."""
    refresh = outcome.overlay.get("refresh", {})
    return {
        "schema": "envdoctor.refresh/1",
        "releases": list(outcome.releases),
        "changes": list(outcome.changes),
        "notes": list(outcome.notes),
        "pypi": refresh.get("pypi", ""),
        "pytorch_index": {"url": refresh.get("index", ""), "read": not outcome.pytorch_missing,
                          "problem": outcome.pytorch_missing or None},
        "not_learned": list(outcome.not_learned),
        "target": target,
        "written": written,
        "dry_run": dry_run,
        "offline": offline,
        "requests": requests,
        "fetched_bytes": fetched_bytes,
    }
