"""CUDA toolkits installed on the machine (the compiler side; the driver's CUDA is in nvidia.py).

A toolkit root is found from ``nvcc`` on PATH, ``CUDA_HOME`` / ``CUDA_PATH`` (and Windows'
``CUDA_PATH_V12_4``), ``/usr/local/cuda*``, ``/opt/cuda`` and Windows' ``NVIDIA GPU Computing
Toolkit\\CUDA\\v*``. Its version comes from ``version.json`` (CUDA 11.1+), ``version.txt`` (older
toolkits) or, failing both, its own ``bin/nvcc --version``.
"""

from __future__ import annotations

import json
import ntpath
import posixpath
import re
import threading
from collections.abc import Callable
from dataclasses import replace

from packaging.version import Version

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.door import CommandResult
from envdoctor.facts import Attempt, CudaFacts, CudaToolkit, SharedLibrary
from envdoctor.i18n import _, joined
from envdoctor.probes import Pending, ProbeContext, Threads, attempt_from

LINUX_PARENT_DIRS = ("/usr/local",)
LINUX_FIXED_ROOTS = ("/opt/cuda",)
WINDOWS_TOOLKIT_DIR = "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA"
HOME_VARIABLES = ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT")

_NVCC_RELEASE = re.compile(r"release\s+([0-9]+\.[0-9]+),\s*V([0-9]+(?:\.[0-9]+)+)")
# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
_NVCC_SHORT = r"release\s+([0-9]+\.[0-9]+)"
_VERSION_TXT = r"CUDA Version\s+([0-9]+(?:\.[0-9]+)+)"
_VERSIONED_ENV = re.compile(r"^CUDA_PATH_V([0-9]+)_([0-9]+)$")


def parse_nvcc_version(text: str | None) -> str | None:
    """``Cuda compilation tools, release 12.4, V12.4.131`` -> ``12.4.131`` (or ``12.4`` without V)."""
    match = _NVCC_RELEASE.search(text or "")
    if match:
        return match.group(2)
    short = re.search(_NVCC_SHORT, text or "")
    return short.group(1) if short else None


def parse_version_json(text: str | None) -> str | None:
    """``cuda.version`` of a toolkit's ``version.json``; None for anything else."""
    try:
        data = json.loads(text or "")
    except (ValueError, RecursionError):
        return None
    cuda = data.get("cuda") if isinstance(data, dict) else None
    version = cuda.get("version") if isinstance(cuda, dict) else None
    return version if isinstance(version, str) and re.match(r"[0-9]+\.[0-9]+", version) else None


def parse_version_txt(text: str | None) -> str | None:
    """``CUDA Version 11.8.89`` of an older toolkit's ``version.txt``."""
    match = re.search(_VERSION_TXT, text or "")
    return match.group(1) if match else None


def release_of(version: str | None) -> str | None:
    """The ``major.minor`` release of a toolkit version: ``11.8.89`` -> ``11.8``."""
    found = compat.major_minor(version)
    return f"{found[0]}.{found[1]}" if found else None


@datatype
class _Root:
    """A folder that may hold a CUDA Toolkit, and how it was found."""

    path: str
    reason: str  # how it was found: "nvcc on PATH", "CUDA_HOME", "/usr/local listing", ...


def _pathmod(ctx: ProbeContext):
    return ntpath if ctx.door.platform().system == "Windows" else posixpath


def candidate_roots(ctx: ProbeContext) -> list[_Root]:
    """Toolkit roots named by the environment and the usual install places; no commands run.

    Shared with the cuDNN probe, which looks for headers and libraries under each root.
    """
    door = ctx.door
    env = door.env()
    system = door.platform().system
    roots: list[_Root] = []
    for name in HOME_VARIABLES:
        if env.get(name):
            roots.append(_Root(env[name].rstrip("/\\"), name))
    for name in sorted(env):
        if _VERSIONED_ENV.match(name) and env[name]:
            roots.append(_Root(env[name].rstrip("/\\"), name))
    if system == "Windows":
        for entry in door.listdir(WINDOWS_TOOLKIT_DIR) or []:
            if re.fullmatch(r"v[0-9]+\.[0-9]+", entry):
                roots.append(_Root(ntpath.join(WINDOWS_TOOLKIT_DIR, entry), "toolkit folder"))
    elif system == "Linux":
        for parent in LINUX_PARENT_DIRS:
            for entry in door.listdir(parent) or []:
                if entry == "cuda" or re.fullmatch(r"cuda-[0-9]+(?:\.[0-9]+)*", entry):
                    roots.append(_Root(posixpath.join(parent, entry), f"{parent} listing"))
        for path in LINUX_FIXED_ROOTS:
            if door.exists(path):
                roots.append(_Root(path, path))
    # /usr/local/cuda and the cuda-12.4 it links to are one folder: ask about it once, by its own name
    unique: dict[str, _Root] = {}
    for root in roots:
        real = door.realpath(root.path)
        if real not in unique or (root.path == real and unique[real].path != real):
            unique[real] = root
    return sorted(unique.values(), key=roots.index)


def _nvcc_name(ctx: ProbeContext) -> str:
    return "nvcc.exe" if ctx.door.platform().system == "Windows" else "nvcc"


def _root_of_nvcc(ctx: ProbeContext, nvcc: str) -> str:
    path = _pathmod(ctx)
    bin_dir = path.dirname(nvcc)
    return path.dirname(bin_dir) if path.basename(bin_dir) == "bin" else bin_dir


def _version_of_root(ctx: ProbeContext, root: str,
                     run_nvcc: Callable[[str], CommandResult]) -> tuple[CudaToolkit | None, list[Attempt]]:
    """A toolkit's version from its files, else its own nvcc; None when the folder holds no toolkit."""
    door = ctx.door
    path = _pathmod(ctx)
    attempts = []
    for name, parse in (("version.json", parse_version_json), ("version.txt", parse_version_txt)):
        file = path.join(root, name)
        text = door.read_text(file)
        if text is None:
            continue
        version = parse(text)
        attempts.append(Attempt(file, "ok" if version else "unparsed", version or _("no version in the file")))
        if version:
            return CudaToolkit(version=version, path=root, source=name), attempts
    nvcc = path.join(root, "bin", _nvcc_name(ctx))
    if door.exists(nvcc):
        result = run_nvcc(nvcc)
        version = parse_nvcc_version(result.stdout) if result.succeeded else None
        attempts.append(attempt_from(f"{nvcc} --version", result, version or ""))
        if version:
            return CudaToolkit(version=version, path=root, nvcc_path=nvcc, source="nvcc --version"), attempts
    else:
        attempts.append(Attempt(root, "not_found", _("no version.json, version.txt or bin/nvcc")))
    return None, attempts


def _specific(toolkit: CudaToolkit) -> bool:
    """Whether the root's own name carries its release (cuda-12.4, v12.4), not a generic alias."""
    name = re.split(r"[\\/]", toolkit.path or "")[-1]
    return bool(re.search(r"[0-9]+\.[0-9]+", name))


def _merge(toolkits: list[CudaToolkit]) -> list[CudaToolkit]:
    """One entry per release: ``/usr/local/cuda`` and the ``cuda-12.4`` it points at are one toolkit."""
    merged: dict[str, CudaToolkit] = {}
    for toolkit in toolkits:
        key = release_of(toolkit.version) or toolkit.version
        kept = merged.get(key)
        if kept is None:
            merged[key] = toolkit
            continue
        # The nvcc a user runs is the active entry's; otherwise keep whichever names one.
        nvcc = next((t.nvcc_path for t in (toolkit, kept) if t.active and t.nvcc_path), None)
        nvcc = nvcc or kept.nvcc_path or toolkit.nvcc_path
        winner = toolkit if _specific(toolkit) and not _specific(kept) else kept
        winner.active = kept.active or toolkit.active
        winner.nvcc_path = nvcc
        merged[key] = winner
    return sorted(merged.values(), key=lambda t: _sort_key(t.version), reverse=True)


def _sort_key(version: str) -> Version:
    return compat.parse_version(version) or Version("0")


def probe(ctx: ProbeContext) -> CudaFacts:
    """Every CUDA toolkit found, the active one marked; never raises."""
    door = ctx.door
    env = door.env()
    facts = CudaFacts(cuda_home=env.get("CUDA_HOME") or env.get("CUDA_PATH") or None)
    nvcc_on_path = door.which("nvcc") or ""
    roots = candidate_roots(ctx)
    runs: dict[str, Pending[CommandResult]] = {}
    runs_lock = threading.Lock()

    def run_nvcc(nvcc: str) -> CommandResult:
        """``nvcc --version`` once per real file: the nvcc on PATH is often a toolkit's own."""
        real = door.realpath(nvcc)
        with runs_lock:
            pending = runs.get(real)
            if pending is None:  # what it returns or raises reaches every thread that asks
                pending = runs[real] = Pending(ctx.run, [nvcc, "--version"], name="envdoctor-nvcc")
        return replace(pending.result(), argv=(nvcc, "--version"))

    with Threads("envdoctor-cuda") as pool:
        pending_nvcc = pool.submit(run_nvcc, nvcc_on_path) if nvcc_on_path else None
        pending_roots = [pool.submit(_version_of_root, ctx, root.path, run_nvcc) for root in roots]
        toolkits: list[CudaToolkit] = []
        for future in pending_roots:
            toolkit, attempts = future.result()
            facts.attempts.extend(attempts)
            if toolkit is not None:
                toolkits.append(toolkit)
        active: CudaToolkit | None = None
        nvcc_unanswered = False
        if pending_nvcc is not None:
            result = pending_nvcc.result()
            version = parse_nvcc_version(result.stdout) if result.succeeded else None
            attempt = attempt_from(f"{nvcc_on_path} --version", result, version or "")
            if version:
                active = CudaToolkit(
                    version=version,
                    path=_root_of_nvcc(ctx, nvcc_on_path),
                    nvcc_path=nvcc_on_path,
                    active=True,
                    source="nvcc --version",
                )
                toolkits.insert(0, active)
            else:
                nvcc_unanswered = True
                active = _toolkit_of_nvcc(ctx, nvcc_on_path, toolkits)
                found = (_("the nvcc on PATH is the toolkit at {path}, read from its files", path=active.path)
                         if active else _("the nvcc on PATH is the active toolkit, and its version is unknown"))
                attempt.detail = joined([attempt.detail, found]) if attempt.detail else found
            facts.attempts.append(attempt)
        else:
            facts.attempts.append(Attempt("nvcc", "not_found", _("not on PATH")))
    if active is None and not nvcc_unanswered:
        # No nvcc on PATH: CUDA_HOME, then /usr/local/cuda, is what builds pick up. With an nvcc on
        # PATH that did not answer, no other toolkit stands in for it.
        preferred = [facts.cuda_home] if facts.cuda_home else []
        preferred.append("/usr/local/cuda")
        for path in preferred:
            wanted = door.realpath(path.rstrip("/\\"))
            active = next((t for t in toolkits if t.path and door.realpath(t.path.rstrip("/\\")) == wanted), None)
            if active is not None:
                active.active = True
                break
    facts.toolkits = _merge(toolkits)
    if door.platform().system == "Linux":
        facts.ld_library_path_libs = _library_path_libs(ctx, env.get("LD_LIBRARY_PATH"), facts)
    return facts


#: The CUDA libraries a torch wheel loads from its nvidia-* packages, and which a folder of
#: LD_LIBRARY_PATH can shadow.
SHADOWING_LIBRARIES = ("libcudnn", "libcudart", "libcublas", "libcublasLt", "libnccl", "libcusparse", "libcufft")
_SHARED_LIBRARY = r"^(lib[A-Za-z]+)\.so(?:\.([0-9]+(?:\.[0-9]+)*))?$"


def parse_library_name(file_name: str) -> tuple[str, str | None] | None:
    """``libcudnn.so.8.9.2`` -> (``libcudnn``, ``8.9.2``); ``libcudart.so`` -> (``libcudart``, None);
    None for names that are not one of :data:`SHADOWING_LIBRARIES`."""
    match = re.match(_SHARED_LIBRARY, file_name)
    if not match or match.group(1) not in SHADOWING_LIBRARIES:
        return None
    return match.group(1), match.group(2)


def _library_path_libs(ctx: ProbeContext, value: str | None, facts: CudaFacts) -> list[SharedLibrary]:
    """The CUDA libraries in each folder of LD_LIBRARY_PATH, the most specific name of each library per folder."""
    found: list[SharedLibrary] = []
    for folder in dict.fromkeys(p for p in (value or "").split(":") if p.startswith("/")):
        entries = ctx.door.listdir(folder)
        if entries is None:
            continue
        best: dict[str, tuple[str | None, str]] = {}
        for entry in sorted(entries):
            parsed = parse_library_name(entry)
            if parsed is None:
                continue
            name, version = parsed
            known = best.get(name)
            if known is None or len((version or "").split(".")) > len((known[0] or "").split(".")):
                best[name] = (version, entry)
        for name, (version, entry) in best.items():
            found.append(SharedLibrary(name, version, posixpath.join(folder, entry), source="LD_LIBRARY_PATH"))
        if best:
            facts.attempts.append(Attempt(f"LD_LIBRARY_PATH {folder}", "ok", ", ".join(e for _version, e in best.values())))
    return found


def _toolkit_of_nvcc(ctx: ProbeContext, nvcc: str, toolkits: list[CudaToolkit]) -> CudaToolkit | None:
    """The toolkit found from files whose root holds this nvcc, marked active; None when none does."""
    root = _root_of_nvcc(ctx, nvcc).rstrip("/\\")
    toolkit = next((t for t in toolkits if t.path and t.path.rstrip("/\\") == root), None)
    if toolkit is not None:
        toolkit.active = True
        toolkit.nvcc_path = nvcc
    return toolkit
