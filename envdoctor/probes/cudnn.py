"""cuDNN installs: system headers, shared libraries and the ``nvidia-cudnn-cu*`` pip packages.

The header's ``#define CUDNN_MAJOR`` lines are the authoritative version of a system install
(``cudnn_version.h`` since cuDNN 8, ``cudnn.h`` before); a library file name carries at least the
major version; a pip package names its full version. Each is reported separately, so a rule can tell
when torch's bundled cuDNN differs from the one on the system.
"""

from __future__ import annotations

import ntpath
import posixpath
import re

from envdoctor.facts import Attempt, CudnnFacts, CudnnInstall
from envdoctor.i18n import _
from envdoctor.probes import ProbeContext
from envdoctor.probes.cuda import candidate_roots

SYSTEM_INCLUDE_DIRS = ("/usr/include", "/usr/include/x86_64-linux-gnu", "/usr/include/aarch64-linux-gnu")
SYSTEM_LIBRARY_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64")
PIP_PACKAGES = ("nvidia-cudnn-cu11", "nvidia-cudnn-cu12", "nvidia-cudnn-cu13")

# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
# [ \t] rather than \s: \s also matches newlines, and from every line start would run across all the
# blank lines that follow (quadratic in a file of blank lines).
_DEFINE = r"(?m)^[ \t]*#[ \t]*define[ \t]+CUDNN_(MAJOR|MINOR|PATCHLEVEL)[ \t]+([0-9]+)\b"
_LINUX_LIBRARY = re.compile(r"^libcudnn\.so\.([0-9]+(?:\.[0-9]+)*)$")
_WINDOWS_LIBRARY = re.compile(r"^cudnn64_([0-9]+)\.dll$", re.IGNORECASE)


def parse_cudnn_header(text: str | None) -> str | None:
    """``MAJOR.MINOR.PATCHLEVEL`` from the header's defines; None when the major is missing."""
    values: dict[str, str] = {}
    for name, number in re.findall(_DEFINE, text or ""):
        values.setdefault(name, number)
    if "MAJOR" not in values:
        return None
    return ".".join(values[n] for n in ("MAJOR", "MINOR", "PATCHLEVEL") if n in values)


def library_version(file_name: str) -> str | None:
    """``libcudnn.so.8.9.7`` -> ``8.9.7``, ``cudnn64_9.dll`` -> ``9``; None for other names."""
    match = _LINUX_LIBRARY.match(file_name) or _WINDOWS_LIBRARY.match(file_name)
    return match.group(1) if match else None


def _most_specific(versions: list[str]) -> str | None:
    """Of the names in one folder (libcudnn.so.8, libcudnn.so.8.9.7) the longest version wins."""
    return max(versions, key=lambda v: (len(v.split(".")), v), default=None)


def _directories(ctx: ProbeContext) -> tuple[list[str], list[str]]:
    """Include and library folders to search: system ones, each toolkit's, and CUDNN_HOME's."""
    windows = ctx.door.platform().system == "Windows"
    path = ntpath if windows else posixpath
    includes: list[str] = [] if windows else list(SYSTEM_INCLUDE_DIRS)
    libraries: list[str] = [] if windows else list(SYSTEM_LIBRARY_DIRS)
    roots = [root.path for root in candidate_roots(ctx)]
    home = ctx.door.env().get("CUDNN_HOME")
    if home:
        roots.append(home.rstrip("/\\"))
    for root in roots:
        includes.append(path.join(root, "include"))
        libraries.append(path.join(root, "bin" if windows else "lib64"))
    return list(dict.fromkeys(includes)), list(dict.fromkeys(libraries))


def _headers(ctx: ProbeContext, folders: list[str], facts: CudnnFacts) -> None:
    windows = ctx.door.platform().system == "Windows"
    path = ntpath if windows else posixpath
    seen: set[str] = set()
    for folder in folders:
        for name in ("cudnn_version.h", "cudnn.h"):
            file = path.join(folder, name)
            text = ctx.door.read_text(file)
            if text is None:
                continue
            version = parse_cudnn_header(text)
            if version is None:
                facts.attempts.append(Attempt(file, "unparsed", _("no CUDNN_MAJOR define")))
                continue
            facts.attempts.append(Attempt(file, "ok", version))
            if version not in seen:
                seen.add(version)
                facts.installs.append(CudnnInstall(version, "header", file, source=name))
            break


def _libraries(ctx: ProbeContext, folders: list[str], facts: CudnnFacts) -> None:
    seen: set[str] = set()  # /usr/local/cuda/lib64 usually is cuda-X.Y/lib64 again
    for folder in folders:
        entries = ctx.door.listdir(folder)
        if entries is None:
            continue
        versions = [v for v in (library_version(entry) for entry in entries) if v]
        best = _most_specific(versions)
        if best is None:
            continue
        name = next(e for e in entries if library_version(e) == best)
        facts.attempts.append(Attempt(folder, "ok", name))
        if best in seen:
            continue
        seen.add(best)
        separator = "\\" if "\\" in folder else "/"
        facts.installs.append(CudnnInstall(best, "library", f"{folder}{separator}{name}", source="file name"))


def _pip(ctx: ProbeContext, facts: CudnnFacts) -> None:
    result, data = ctx.pyinfo()
    if data is None:
        facts.attempts.append(Attempt("pyinfo distributions", "error" if result.status == "ok" else result.status,
                                      _("the target interpreter did not answer")))
        return
    seen: set[tuple[str, str | None]] = set()
    for entry in data.get("distributions") or []:
        name = entry.get("name")
        if name not in PIP_PACKAGES:
            continue
        location = entry.get("location")
        if (name, location) in seen:
            continue
        seen.add((name, location))
        facts.installs.append(
            CudnnInstall(str(entry.get("version") or "") or None, "pip", location, package=name,
                         source=_("dist-info in {location}", location=location) if location else "dist-info")
        )
        facts.attempts.append(Attempt(f"pyinfo {name}", "ok", str(entry.get("version"))))


def probe(ctx: ProbeContext) -> CudnnFacts:
    """Every cuDNN found (header, library, pip package); never raises."""
    facts = CudnnFacts()
    includes, libraries = _directories(ctx)
    _headers(ctx, includes, facts)
    _libraries(ctx, libraries, facts)
    _pip(ctx, facts)
    if not facts.installs:
        facts.attempts.append(Attempt("cudnn", "not_found", _("no header, library or nvidia-cudnn package")))
    return facts
