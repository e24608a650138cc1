"""The compiled extensions of the torch ecosystem installed in the target interpreter, read from dist-info.

Nothing is imported: a flash-attn built for another torch crashes on import, which is what check is
there to foretell. The target's ``sys.path`` comes from the shared pyinfo answer; each folder on it is
listed through the door, and only the metadata folders of the extensions ``recipes/extensions.toml``
names (and torch's own, for the triton it pins) are opened, each read bounded, headers only.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from envdoctor.facts import Attempt, ExtensionFacts, InstalledExtension
from envdoctor.i18n import _, message_of
from envdoctor.probes import ProbeContext

#: Bounds on a hostile or huge environment: folders of sys.path looked at, metadata files opened.
MAX_PATH_ENTRIES = 64
MAX_METADATA_READS = 128
# "<name>-<version>.dist-info" (wheels: runs of "-_." written "_") or "<name>-<version>[-pyX.Y].egg-info"
_ABSOLUTE = re.compile(r"^(?:/|[A-Za-z]:[\\/])")
_FOLDER = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+?)(?:-py\d[^-]*)?\.(?P<kind>dist|egg)-info$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def metadata_headers(text: str | None) -> dict[str, list[str]]:
    """The header fields of a METADATA / PKG-INFO text, each with every value it has (Requires-Dist repeats)."""
    fields: dict[str, list[str]] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            break
        if line[:1] in (" ", "\t"):
            continue  # a continuation line of a long header
        key, colon, value = line.partition(":")
        if colon:
            fields.setdefault(key.strip().lower(), []).append(value.strip())
    return fields


def requirements_of(headers: dict[str, list[str]], names: Iterable[str]) -> list[str]:
    """The Requires-Dist values whose project is one of ``names``."""
    wanted = set(names)
    found = []
    for value in headers.get("requires-dist", []):
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", value)
        if match and normalise(match.group(1)) in wanted:
            found.append(value)
    return found


def probe(ctx: ProbeContext) -> ExtensionFacts:
    """Every catalogued extension installed in the target interpreter, the first of each name on sys.path."""
    from envdoctor.extensions import ExtensionDataError, builtin_catalog

    facts = ExtensionFacts(source=_("dist-info on the target's sys.path"))
    try:
        catalog = builtin_catalog()
    except ExtensionDataError as exc:
        facts.status = "error"
        facts.attempts.append(Attempt("recipes/extensions.toml", "error", message_of(exc)))
        return facts
    result, data = ctx.pyinfo()
    if data is None:
        facts.attempts.append(Attempt("pyinfo sys.path", "error" if result.status == "ok" else result.status,
                                      _("the target interpreter did not answer, so its extensions are unknown")))
        return facts
    wanted = catalog.dist_names() | {"torch"}
    paths = [p for p in (data.get("sys_path") or []) if isinstance(p, str) and _ABSOLUTE.match(p)]
    seen: set[str] = set()
    reads = 0
    for location in list(dict.fromkeys(paths))[:MAX_PATH_ENTRIES]:
        if ctx.time_left() <= 0:
            spent = _("stopped before {location}: the budget was spent", location=location)
            facts.attempts.append(Attempt("dist-info", "timed_out", spent))
            break
        for entry in ctx.door.listdir(location) or []:
            match = _FOLDER.match(entry)
            if match is None:
                continue
            name = normalise(match["name"])
            if name not in wanted or name in seen or reads >= MAX_METADATA_READS:
                continue
            seen.add(name)
            reads += 1
            folder = posixpath.join(location, entry)
            meta_file = "METADATA" if match["kind"] == "dist" else "PKG-INFO"
            headers = metadata_headers(ctx.door.read_text(posixpath.join(folder, meta_file)))
            version = (headers.get("version") or [match["version"]])[0]
            if name == "torch":
                facts.torch_requires = requirements_of(headers, ("triton", "pytorch-triton", "pytorch-triton-rocm",
                                                                  "pytorch-triton-xpu"))
                continue
            facts.installed.append(InstalledExtension(name, version, location, requirements_of(headers, ("torch",))))
    facts.status = "ok"
    names = ", ".join(f"{e.name} {e.version}" for e in facts.installed) or _("none")
    facts.attempts.append(Attempt("dist-info", "ok", _(
        "{folders} sys.path folder(s), {reads} metadata file(s); {names}", folders=len(paths), reads=reads, names=names)))
    return facts
