"""`envdoctor recipes refresh`: choose the indexes, read them, build the overlay, validate it, write it.

The PyPI service is ``--pypi``, else the ``--mirror`` that serves PyPI, else the one the target's pip is
configured with (``PIP_INDEX_URL``, then ``pip config list``: ``install.index-url`` before
``global.index-url``), else pip's own default as pip itself says it; envdoctor names no registry. The
PyTorch wheel index is ``--index``, else the ``--mirror`` that serves it (a preset of recipes/mirrors.toml
or a URL, chosen as install chooses), else the recipes' base with the mirror table applied.

A PyTorch index that gives no answer leaves the releases learnt from PyPI alone, marked so; PyPI giving
no answer changes nothing. Nothing is written until every page that answered was read and the overlay
validated by the recipe loader; the overlay then replaces the last one in a single rename.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from envdoctor import __version__
from envdoctor.datatypes import datatype
from envdoctor.door import Door, UserFileError
from envdoctor.i18n import _, joined, message_of
from envdoctor.mirrors import MirrorChoice
from envdoctor.recipes import REFRESHED_FILE, Recipes, check_refreshed, refreshed_dir
from envdoctor.redact import redact_text
from envdoctor.refresh import learn, reading
from envdoctor.refresh.client import FetchError, IndexClient, PageCache, gather, gather_extensions
from envdoctor.urls import index_url_problem

__all__ = ["RefreshError", "RefreshRun", "pypi_sources", "run_refresh", "torch_index"]

EXTENSIONS_FILE = "extensions.toml"
PIP_DEFAULT = "# envdoctor:pip-default\nfrom pip._internal.models.index import PyPI\nprint(PyPI.simple_url)\n"
_CONFIG_LINE = re.compile(r"^([:\w.-]+)\.index-url\s*=\s*['\"]?([^'\"\s]+)['\"]?\s*$", re.M)


class RefreshError(Exception):
    """A refresh that changed nothing; the message says why."""


@datatype(frozen=True)
class RefreshRun:
    outcome: learn.Outcome
    target: Path
    written: bool
    requests: int
    fetched_bytes: int


def _simple_sources(simple: str, chosen_by: str) -> tuple[str, str | None, str]:
    simple = simple.rstrip("/")
    api = simple[: -len("/simple")] + "/pypi" if simple.endswith("/simple") else None
    return simple, api, chosen_by


def pypi_sources(door: Door, python: str | None, timeout: float, pypi: str | None,
                 mirrors: MirrorChoice | None = None) -> tuple[str, str | None, str]:
    """(simple index URL, JSON API URL or None, how it was chosen) of the PyPI service to read."""
    if pypi is not None:
        base = pypi.rstrip("/")
        return f"{base}/simple", f"{base}/pypi", "--pypi"
    if mirrors is not None and mirrors.pypi is not None:
        return _simple_sources(mirrors.pypi, mirrors.pypi_from)
    environment = door.env().get("PIP_INDEX_URL", "").split()
    if environment:
        return _simple_sources(environment[0], "PIP_INDEX_URL")
    interpreter = python or door.python_executable()
    listed = door.run([interpreter, "-m", "pip", "config", "list"], timeout)
    found = {m.group(1): m.group(2) for m in _CONFIG_LINE.finditer(listed.stdout)} if listed.succeeded else {}
    for section in ("install", "global", ":env:"):
        if section in found:
            return _simple_sources(found[section], f"pip config {section}.index-url")
    default = door.run([interpreter, "-c", PIP_DEFAULT], timeout)
    url = default.stdout.strip().splitlines()[-1] if default.succeeded and default.stdout.strip() else ""
    if not url:
        raise RefreshError(_("cannot ask {python}'s pip for its index ({problem}): give --pypi URL",
                             python=interpreter, problem=default.describe()))
    return _simple_sources(url, "pip's default index")


def torch_index(recipes: Recipes, index: str | None, mirrors: MirrorChoice | None = None) -> str:
    """The PyTorch wheel index root: ``--index``, else the ``--mirror`` serving it, else the recipes' base
    with the mirror table applied."""
    if index is not None:
        return index.rstrip("/")
    chosen = mirrors.pytorch if mirrors is not None else None
    mirror = chosen or recipes.mirror_for(recipes.index_base)
    if mirror is not None and mirror.layout != "simple":
        raise RefreshError(_("the mirror {mirror} serves {layout} pages; a refresh reads a simple index "
                             "(URL/torch/, URL/<variant>/torch/): give --index URL",
                             mirror=redact_text(mirror.replacement), layout=mirror.layout))
    if chosen is not None:
        return chosen.replacement.rstrip("/")
    return (recipes.rewrite_url(recipes.index_base) or recipes.index_base).rstrip("/")


def _extensions(client: IndexClient, sources: reading.Sources, recipes: Recipes, outcome: learn.Outcome,
                builtin: Path | None, rewrite: Callable[[str], str] | None, fetched: time.struct_time) -> str | None:
    """What the indexes say of the compiled extensions, as the overlay text written beside torch.toml (validated
    by the extensions loader); its changes and notes join the refresh's. None where the built-in
    extensions.toml cannot be read (its problem is a note)."""
    from envdoctor.extensions import ExtensionDataError, load_catalog, parse_overlay
    from envdoctor.refresh import extension_learn

    try:
        catalog = load_catalog((builtin / EXTENSIONS_FILE) if builtin is not None else None)
    except ExtensionDataError as exc:
        outcome.notes.append(_("extensions: {problem}", problem=message_of(exc)))
        return None
    rewrite = rewrite or (lambda url: recipes.rewrite_url(url) or url)
    material, pages = gather_extensions(client, sources, catalog, recipes, rewrite)
    learnt = extension_learn.build(catalog, material, pages, time.strftime("%Y-%m-%dT%H:%M:%SZ", fetched),
                                   sources.pypi_simple)
    text = extension_learn.toml(learnt)
    try:
        parse_overlay(text, catalog, EXTENSIONS_FILE)
    except ExtensionDataError as exc:
        raise RefreshError(_("the indexes gave extension data its loader refuses: {problem}; nothing was changed",
                             problem=message_of(exc))) from None
    outcome.changes += learnt.changes
    outcome.notes += learnt.notes
    return text


def run_refresh(door: Door, recipes: Recipes, *, pypi: str | None, index: str | None, offline: bool, dry_run: bool,
                python: str | None, timeout: float, cache_folder: Path, target_folder: Path | None = None,
                builtin: Path | None = None, mirrors: MirrorChoice | None = None,
                extension_rewrite: Callable[[str], str] | None = None) -> RefreshRun:
    """Read the indexes, build and validate the overlay, and write it (unless ``dry_run``). The extensions'
    own indexes are read through ``extension_rewrite`` (URL -> URL), else the recipes' mirror table."""
    simple, api, chosen_by = pypi_sources(door, python, timeout, pypi, mirrors)
    # credentials in a configured URL are masked: requests never send them, and the overlay records the URLs
    sources = reading.Sources(redact_text(simple), redact_text(api) if api else None,
                              redact_text(torch_index(recipes, index, mirrors)), chosen_by)
    for label, url in (("--pypi", simple), ("--index", sources.index)):
        problem = index_url_problem(url)
        if problem:
            raise RefreshError(_("{option} {url}: {problem}", option=label, url=redact_text(url), problem=problem))
    cache = PageCache(cache_folder)
    client = IndexClient(door, timeout, cache, offline)
    try:
        material = gather(client, sources, recipes)
    except FetchError as exc:
        raise RefreshError(_("{problem}; nothing was changed", problem=message_of(exc))) from None
    now = time.gmtime()
    outcome = learn.build(recipes, material, sources, time.strftime("%Y-%m-%d", now),
                            time.strftime("%Y-%m-%dT%H:%M:%SZ", now), __version__)
    _recipes, problems = check_refreshed(outcome.text, builtin)
    if problems:
        refused = joined(problems[:3])
        raise RefreshError(_("the indexes gave data the recipe loader refuses: {problems}; nothing was changed",
                             problems=refused))
    extensions_text = _extensions(client, sources, recipes, outcome, builtin, extension_rewrite, fetched=now)
    folder = target_folder or refreshed_dir()
    target = folder / REFRESHED_FILE
    if not offline:
        cache.prune()
    if dry_run:
        return RefreshRun(outcome, target, False, client.requests, client.fetched_bytes)
    from envdoctor.door import make_user_dir, write_user_file

    try:
        make_user_dir(str(folder))
        write_user_file(str(target), outcome.text.encode("utf-8"))
        if extensions_text is not None:
            write_user_file(str(folder / EXTENSIONS_FILE), extensions_text.encode("utf-8"))
    except UserFileError as exc:
        raise RefreshError(_("{problem}; nothing was changed", problem=message_of(exc))) from None
    return RefreshRun(outcome, target, True, client.requests, client.fetched_bytes)
