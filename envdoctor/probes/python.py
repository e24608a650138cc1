"""The target interpreter: what it is, where it installs, and which installers can serve it.

Everything about the interpreter comes from one run of :data:`PYINFO_SCRIPT` inside it (never from
envdoctor's own ``sys``), so ``--python /other/python`` describes that interpreter. Files the script
names (``conda-meta``, ``EXTERNALLY-MANAGED``) are then checked through the door.
"""

from __future__ import annotations

import json
import posixpath
import re

from envdoctor.door import CommandResult
from envdoctor.facts import Attempt, PythonFacts, ToolInfo
from envdoctor.i18n import _
from envdoctor.probes import ProbeContext, Threads, attempt_from

PYINFO_MARKER = "# envdoctor:pyinfo"

#: Writes the pyinfo answer as JSON inside the target interpreter. Importing ``json`` there (and ``re``
#: with it) took some 10 ms of the 15 the script spends beyond the interpreter's own start, and ``check``
#: waits for this answer; the few types the answer holds need no more than this. A separate text, so the
#: tests can run it alone. Byte strings (Python 2) are read as UTF-8: one that is not raises ValueError.
JSON_WRITER = r"""
TEXT = type(u"")
ESCAPES = {u'"': u'\\"', u"\\": u"\\\\"}


def dumps(value):
    if value is None or value is True or value is False:
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join([dumps(item) for item in value]) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join([dumps(key) + ": " + dumps(item) for key, item in value.items()]) + "}"
    if isinstance(value, bytes) and not isinstance(value, TEXT):
        value = value.decode("utf-8")
    if not isinstance(value, TEXT):
        raise TypeError("not JSON: %r" % (value,))
    out = []
    for char in value:
        code = ord(char)
        if char in ESCAPES:
            out.append(ESCAPES[char])
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code > 0xFFFF:  # a wide build's character beyond the BMP: a surrogate pair, as JSON writes it
            code -= 0x10000
            out.append(u"\\u%04x\\u%04x" % (0xD800 | (code >> 10), 0xDC00 | (code & 0x3FF)))
        else:
            out.append(u"\\u%04x" % code)
    return '"' + "".join(out) + '"'
"""

#: The names of installed metadata folders, read inside the target interpreter without ``re`` (see
#: :data:`JSON_WRITER`). A separate text, so the tests can run it alone.
FOLDER_NAMES = r"""
# Installed metadata folders are named "<name>-<version>.dist-info" (wheels, PEP 427/491, with "_"
# for runs of "-_.") or "<name>-<version>[-pyX.Y].egg-info": read the name from the folder first and
# open files only for the few distributions wanted, which keeps this fast on big environments.
# folder_parts gives (name, version or None) of such a name, and None for any other name.
DIGITS = set("0123456789")


def folder_parts(entry):
    for suffix in (".dist-info", ".egg-info"):
        if entry.endswith(suffix):
            parts = entry[:-len(suffix)].split("-")
            break
    else:
        return None
    if "" in parts or len(parts) > 3:
        return None
    if len(parts) == 3 and not (parts[2][:2] == "py" and parts[2][2:3] in DIGITS):
        return None
    return parts[0], (parts[1] if len(parts) > 1 else None)


def normalise(name):
    name = name.replace("_", "-").replace(".", "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name.lower()
"""

#: Runs inside the target interpreter: stdlib only (and neither ``json`` nor ``re``: see
#: :data:`JSON_WRITER`), one JSON object on stdout. Written for every CPython
#: from 2.7 on (no f-strings, ``io.open``, ``sys.implementation`` and ``sys.base_prefix`` looked up),
#: so an interpreter too old for torch is still reported as what it is. ``os.uname`` rather than
#: ``platform.machine()``: before 3.9 ``platform.uname()`` also runs ``uname -p``. Under Rosetta 2
#: uname reports x86_64 to an x86_64 process, which is what an x86_64 Python on an arm64 Mac is.
PYINFO_SCRIPT = r"""# envdoctor:pyinfo
import sys
# "python -c" puts the working directory first on sys.path: drop it so a sysconfig.py lying there
# cannot stand in for the standard library, and so it is not reported as an install location.
sys.path = [p for p in sys.path if p not in ("", ".")]
import io
import os
import struct
import sysconfig

WANTED = set([
    "torch", "torchvision", "torchaudio", "triton", "pytorch-triton", "pytorch-triton-rocm",
    "pytorch-triton-xpu", "numpy", "pip", "setuptools", "uv", "conda", "mamba",
    "intel-extension-for-pytorch", "cuda-toolkit",
])
""" + JSON_WRITER + FOLDER_NAMES + r"""

def wanted(name):
    return name in WANTED or name.startswith("nvidia-")


def read(path):
    try:
        with io.open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def header(text, key):
    for line in (text or "").splitlines():
        if not line.strip():
            break
        if line.lower().startswith(key.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


def distributions():
    found = []
    for location in sys.path:
        try:
            entries = sorted(os.listdir(location or "."))
        except (OSError, ValueError, TypeError):
            continue
        for entry in entries:
            parts = folder_parts(entry)
            if parts is None or not wanted(normalise(parts[0])):
                continue
            folder = os.path.join(location, entry)
            name, version = normalise(parts[0]), parts[1]
            if version is None or entry.endswith(".egg-info"):
                meta = read(os.path.join(folder, "PKG-INFO")) or read(os.path.join(folder, "METADATA"))
                version = header(meta, "Version") or version
                name = normalise(header(meta, "Name") or name)
            if not version:
                continue
            installer = read(os.path.join(folder, "INSTALLER"))
            found.append({
                "name": name,
                "version": version,
                "location": os.path.normpath(location),
                "installer": installer.strip() if installer else None,
            })
    return found


def implementation():
    if hasattr(sys, "implementation"):
        return sys.implementation.name
    import platform
    return platform.python_implementation().lower()


def machine():
    if hasattr(os, "uname"):
        return os.uname()[4]
    import platform
    return platform.machine()


def attempt(func, default):
    try:
        return func()
    except Exception:
        return default


paths = attempt(sysconfig.get_paths, {})
info = {
    "pyinfo": 1,
    "executable": sys.executable,
    "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
    "implementation": attempt(implementation, None),
    "abiflags": getattr(sys, "abiflags", ""),
    "platform_tag": attempt(sysconfig.get_platform, None),
    "machine": attempt(machine, None),
    "pointer_bits": struct.calcsize("P") * 8,
    "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "real_prefix", None) or getattr(sys, "base_prefix", sys.prefix),
    "stdlib": paths.get("stdlib"),
    "purelib": paths.get("purelib"),
    "platlib": paths.get("platlib"),
    "sys_path": sys.path,
    "distributions": attempt(distributions, []),
}
try:
    text = dumps(info)
except (TypeError, ValueError):  # Python 2: a path that is not UTF-8
    info["sys_path"], info["distributions"] = [], []
    text = dumps(info)
sys.stdout.write(text + "\n")
"""

#: Installers looked up on PATH beside the interpreter; pip comes from the interpreter's distributions.
PATH_TOOLS = ("uv", "conda", "mamba", "micromamba", "pixi")
#: Tools whose ``--version`` is fast (native binaries); ``conda --version`` takes seconds, so its
#: version comes from the ``conda-meta`` record instead.
VERSION_COMMAND_TOOLS = ("uv", "mamba", "micromamba", "pixi")

# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
_CONDA_RECORD = r"^conda-([0-9][^-]*)-[^-]+\.json$"
# Starts only where a run of digits starts, so a long run without a dot costs one pass, not one per digit.
_VERSION = r"(?<![0-9])[0-9]+(?:\.[0-9]+)+(?:[.\-+]?[0-9A-Za-z]+)*"

#: The pyinfo keys holding text, and the type each other key must have; anything else becomes None.
_TEXT_KEYS = ("executable", "version", "implementation", "abiflags", "platform_tag", "machine", "prefix",
              "base_prefix", "stdlib", "purelib", "platlib")


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _clean_distribution(entry: object) -> dict | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        return None
    version = entry.get("version")
    return {
        "name": entry["name"],
        "version": version if isinstance(version, str) else "",
        "location": _text_or_none(entry.get("location")),
        "installer": _text_or_none(entry.get("installer")),
    }


def parse_pyinfo(text: str | None) -> dict | None:
    """The pyinfo object from the script's stdout; None for anything else (a banner, garbage, cut off).

    The interpreter's answer is not trusted: every value gets the type its readers expect (text,
    ``pointer_bits`` an int, ``free_threaded`` a bool) or None, and malformed distributions are dropped.
    """
    for line in reversed((text or "").strip().splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or data.get("pyinfo") != 1:
            return None
        for key in _TEXT_KEYS:
            data[key] = _text_or_none(data.get(key))
        bits = data.get("pointer_bits")
        data["pointer_bits"] = bits if isinstance(bits, int) and not isinstance(bits, bool) and bits > 0 else None
        data["free_threaded"] = data.get("free_threaded") if isinstance(data.get("free_threaded"), bool) else None
        sys_path = data.get("sys_path")
        data["sys_path"] = [p for p in sys_path if isinstance(p, str)] if isinstance(sys_path, list) else []
        entries = data.get("distributions")
        cleaned = (_clean_distribution(d) for d in (entries if isinstance(entries, list) else []))
        data["distributions"] = [d for d in cleaned if d is not None]
        return data
    return None


def run_pyinfo(ctx: ProbeContext, python: str) -> tuple[CommandResult, dict | None]:
    """Run :data:`PYINFO_SCRIPT` in ``python``; the data is None when it did not answer properly."""
    result = ctx.run([python, "-c", PYINFO_SCRIPT])
    return result, (parse_pyinfo(result.stdout) if result.succeeded else None)


def parse_tool_version(text: str | None) -> str | None:
    """The version in a ``--version`` answer.

    Real answers: ``uv 0.13.9 (x86_64-unknown-linux-gnu)``, ``pixi 0.39.0``, ``mamba 1.4.7`` then
    ``conda 23.5.0`` (mamba 1), a bare ``2.0.8`` (mamba 2 and micromamba). The first line wins.
    """
    for line in (text or "").splitlines():
        match = re.search(_VERSION, line)
        if match:
            return match.group(0)
    return None


def conda_version_from_records(entries: list[str] | None) -> str | None:
    """conda's version from the names in ``<conda root>/conda-meta`` (``conda-24.9.2-py312h06a4308_0.json``)."""
    for entry in entries or []:
        match = re.match(_CONDA_RECORD, entry)
        if match:
            return match.group(1)
    return None


def conda_env_name(prefix: str, is_base: bool) -> str:
    return "base" if is_base else posixpath.basename(prefix.replace("\\", "/").rstrip("/"))


def _root_of(executable: str) -> str:
    """``/opt/conda/bin/conda`` or ``/opt/conda/condabin/conda`` -> ``/opt/conda``."""
    path = executable.replace("\\", "/")
    return posixpath.dirname(posixpath.dirname(path))


def _conda_roots(ctx: ProbeContext, conda_path: str | None, prefix: str | None) -> list[str]:
    roots = []
    env = ctx.door.env()
    if env.get("CONDA_EXE"):
        roots.append(_root_of(env["CONDA_EXE"]))
    if conda_path:
        roots.append(_root_of(conda_path))
    if prefix:
        parent = posixpath.dirname(prefix.replace("\\", "/").rstrip("/"))
        if posixpath.basename(parent) == "envs":
            roots.append(posixpath.dirname(parent))
        roots.append(prefix)
    return list(dict.fromkeys(roots))


def _tool_paths(ctx: ProbeContext) -> dict[str, str | None]:
    door = ctx.door
    paths = {name: door.which(name) for name in PATH_TOOLS}
    env = door.env()
    if paths["micromamba"] is None and env.get("MAMBA_EXE"):
        paths["micromamba"] = env["MAMBA_EXE"]
    if paths["conda"] is None and env.get("CONDA_EXE"):
        paths["conda"] = env["CONDA_EXE"]
    return paths


def _tool_version(ctx: ProbeContext, name: str, path: str) -> tuple[ToolInfo, Attempt]:
    result = ctx.run([path, "--version"])
    version = parse_tool_version(result.stdout) if result.succeeded else None
    return ToolInfo(name, path, version, f"{name} --version"), attempt_from(f"{name} --version", result, version or "")


def _conda_tool(ctx: ProbeContext, conda_path: str | None, prefix: str | None) -> tuple[ToolInfo | None, Attempt | None]:
    """conda, its version read from the conda-meta record of the conda package (no slow ``conda --version``)."""
    door = ctx.door
    if not conda_path and not (prefix and door.exists(posixpath.join(prefix, "conda-meta"))):
        return None, None
    for root in _conda_roots(ctx, conda_path, prefix):
        meta = posixpath.join(root, "conda-meta")
        version = conda_version_from_records(door.listdir(meta))
        if version:
            return ToolInfo("conda", conda_path, version, f"{meta}/conda-{version}-*.json"), Attempt(
                f"{meta} (conda record)", "ok", version
            )
    attempt = Attempt("conda-meta (conda record)", "not_found", _("no conda-<version>-*.json record"))
    return (ToolInfo("conda", conda_path, None, "PATH") if conda_path else None), attempt


def _status_of(result: CommandResult) -> str:
    if result.status in ("not_found", "timed_out"):
        return result.status
    return "error"


def _fill_from_pyinfo(ctx: ProbeContext, facts: PythonFacts, data: dict) -> None:
    door = ctx.door
    facts.executable = data.get("executable")
    facts.version = data.get("version")
    facts.implementation = data.get("implementation")
    facts.abi_flags = data.get("abiflags") or ""
    facts.platform_tag = data.get("platform_tag")
    facts.machine = data.get("machine")
    facts.pointer_bits = data.get("pointer_bits")
    facts.free_threaded = data.get("free_threaded")
    facts.prefix = data.get("prefix")
    facts.base_prefix = data.get("base_prefix")
    if facts.prefix and facts.base_prefix:
        facts.in_venv = facts.prefix != facts.base_prefix
    locations = [data.get("purelib"), data.get("platlib")] + [
        p for p in data["sys_path"] if p.rstrip("/\\").endswith(("site-packages", "dist-packages"))
    ]
    facts.site_packages = list(dict.fromkeys(p for p in locations if p))
    if facts.prefix and door.exists(posixpath.join(facts.prefix, "conda-meta")):
        facts.conda_prefix = facts.prefix
        facts.conda_env_name = conda_env_name(facts.prefix, door.exists(posixpath.join(facts.prefix, "condabin")))
    stdlib = data.get("stdlib")
    if stdlib:
        marker = posixpath.join(stdlib, "EXTERNALLY-MANAGED")
        found = door.exists(marker)
        # PEP 668: the marker does not apply inside a virtual environment.
        facts.externally_managed = found and not facts.in_venv
        facts.externally_managed_path = marker if facts.externally_managed else None
        facts.attempts.append(
            Attempt(marker, "ok" if found else "not_found", _("ignored inside a venv") if found and facts.in_venv else "")
        )
    pip = next((d for d in data.get("distributions", []) if d.get("name") == "pip"), None)
    if pip:
        facts.tools.insert(0, ToolInfo("pip", pip.get("location"), pip.get("version"), "pip distribution"))


def probe(ctx: ProbeContext) -> PythonFacts:
    """Facts about the target interpreter; a missing or broken one is a status, never an exception."""
    python = ctx.target_python()
    facts = PythonFacts(source="pyinfo")
    paths = _tool_paths(ctx)
    runnable = {name: path for name in VERSION_COMMAND_TOOLS if (path := paths[name])}
    # The installers' --version calls run while the interpreter answers the pyinfo script.
    with Threads("envdoctor-python") as pool:
        pending_pyinfo = pool.submit(ctx.pyinfo)
        pending_tools = {name: pool.submit(_tool_version, ctx, name, path) for name, path in runnable.items()}
        result, data = pending_pyinfo.result()
        found: dict[str, tuple[ToolInfo, Attempt | None]] = {
            name: future.result() for name, future in pending_tools.items()
        }
    source = f"pyinfo {python}"
    if data is None:
        facts.status = "error" if result.succeeded else _status_of(result)
        attempt = attempt_from(source, result)
        if result.succeeded:
            attempt.status = "error"
            attempt.detail = (_("no pyinfo JSON on stdout; {detail}", detail=attempt.detail) if attempt.detail
                              else _("no pyinfo JSON on stdout"))
        facts.attempts.append(attempt)
        facts.executable = python
    else:
        facts.attempts.append(attempt_from(source, result, f"Python {data.get('version')}"))
    conda, conda_attempt = _conda_tool(ctx, paths["conda"], data.get("prefix") if data else None)
    if conda is not None:
        found["conda"] = (conda, conda_attempt)
    elif conda_attempt is not None:
        facts.attempts.append(conda_attempt)
    for name in PATH_TOOLS:
        if name in found:
            tool, tool_attempt = found[name]
            facts.tools.append(tool)
            if tool_attempt is not None:
                facts.attempts.append(tool_attempt)
    if data is not None:
        _fill_from_pyinfo(ctx, facts, data)
    return facts
