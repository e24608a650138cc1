"""The installed torch, read from its metadata and its ``torch/version.py`` as text.

torch is never imported here: a broken or mismatched install would crash or hang envdoctor, and
the answer would describe envdoctor's interpreter rather than the target. ``version.py`` is a
generated file of plain assignments, so reading its literals is enough.
"""

from __future__ import annotations

import ast
import posixpath
import re

from envdoctor import compat
from envdoctor.facts import Attempt, Distribution, TorchFacts
from envdoctor.i18n import _
from envdoctor.probes import ProbeContext

#: Distributions recorded beside torch (TorchFacts.companions): compat.COMPANIONS plus the Triton builds and Intel's extension.
RECORDED_BESIDE_TORCH = (
    "torchvision",
    "torchaudio",
    "triton",
    "pytorch-triton",
    "pytorch-triton-rocm",
    "pytorch-triton-xpu",
    "intel-extension-for-pytorch",
)
#: nvidia-* distributions that are not CUDA libraries torch loads (the NVML binding envdoctor uses).
NOT_CUDA_LIBRARIES = frozenset({"nvidia-ml-py", "nvidia-ml-py3"})

# `name = value` or `name: Optional[str] = value`, one assignment per line; the value is stripped
# afterwards (a lazy group before trailing blanks backtracks quadratically on a long line).
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=]*)?=(.*)")
# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
_CONDA_TORCH_RECORD = r"^pytorch-[0-9]"


def parse_torch_version_py(text: str | None) -> dict | None:
    """The literal assignments of ``torch/version.py``; None when it has no ``__version__`` string.

    Values that are not plain literals (a computed expression, a line cut off) are left out.
    """
    values: dict = {}
    for line in (text or "").splitlines():
        match = _ASSIGNMENT.fullmatch(line)
        if not match or not match.group(2).strip():
            continue
        name, raw = match.group(1), match.group(2).strip()
        try:
            value = ast.literal_eval(raw)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if value is None or isinstance(value, (str, bool)):
            values[name] = value
    if not isinstance(values.get("__version__"), str) or not values["__version__"]:
        return None
    return values


def local_tag(version: str | None) -> str | None:
    """The local version label: ``2.5.1+cu124`` -> ``cu124``, ``2.5.1`` -> None."""
    if not version:
        return None
    parsed = compat.parse_version(version)
    if parsed is not None:
        return parsed.local
    return version.partition("+")[2] or None


def _distribution(entry: dict) -> Distribution:
    location = entry.get("location")
    return Distribution(
        name=str(entry.get("name")),
        version=str(entry.get("version") or ""),
        location=location,
        installer=entry.get("installer"),
        source=_("dist-info in {location}", location=location) if location else "dist-info",
    )


def _first_of_each(entries: list[dict], wanted) -> list[Distribution]:
    seen: dict[str, Distribution] = {}
    for entry in entries:
        name = entry.get("name")
        if isinstance(name, str) and wanted(name) and name not in seen:
            seen[name] = _distribution(entry)
    return list(seen.values())


def parse_conda_record_name(file_name: str) -> tuple[str, str, str] | None:
    """``pytorch-2.0.1-py3.10_cuda11.8_cudnn8.7.0_0.json`` (conda-meta) -> (name, version, build).

    conda names each record ``<name>-<version>-<build>.json``; names hold dashes, versions and builds do not.
    """
    if not file_name.endswith(".json"):
        return None
    parts = file_name[: -len(".json")].rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def _conda_torch_records(ctx: ProbeContext, prefix: str | None) -> list[Distribution]:
    """conda's own records of a pytorch package in the target interpreter's environment."""
    if not prefix:
        return []
    records = []
    for name in sorted(ctx.door.listdir(posixpath.join(prefix, "conda-meta")) or []):
        parsed = parse_conda_record_name(name) if re.match(_CONDA_TORCH_RECORD, name) else None
        if parsed is not None and parsed[0] == "pytorch":
            records.append(Distribution("pytorch", parsed[1], prefix, "conda", source=f"conda-meta/{name}",
                                        build=parsed[2]))
    return records


def probe(ctx: ProbeContext) -> TorchFacts:
    """The torch the target interpreter would import; never raises."""
    result, data = ctx.pyinfo()
    facts = TorchFacts()
    if data is None:
        facts.attempts.append(
            Attempt("pyinfo distributions", "error" if result.status == "ok" else result.status,
                    _("the target interpreter did not answer, so its torch is unknown"))
        )
        return facts
    entries = data.get("distributions") or []
    torches = [entry for entry in entries if entry.get("name") == "torch"]
    facts.companions = _first_of_each(entries, lambda name: name in RECORDED_BESIDE_TORCH)
    facts.nvidia_packages = _first_of_each(
        entries,
        lambda name: (name.startswith("nvidia-") and name not in NOT_CUDA_LIBRARIES) or name == "cuda-toolkit",
    )
    if not torches:
        facts.attempts.append(Attempt("pyinfo distributions", "not_found", _("no torch distribution on sys.path")))
        return facts

    # Distributions come in sys.path order, so the first torch is the one `import torch` finds.
    first = _distribution(torches[0])
    facts.copies = list(dict.fromkeys(t.get("location") for t in torches if t.get("location")))
    facts.version = first.version
    facts.local = local_tag(first.version)
    facts.location = first.location
    facts.installer = first.installer
    conda_records = _conda_torch_records(ctx, data.get("prefix"))
    facts.conda = bool(conda_records)
    facts.installs = [_distribution(t) for t in torches] + conda_records
    if facts.installer is None and facts.conda:
        facts.installer = "conda"
    facts.attempts.append(Attempt("pyinfo distributions", "ok", _("torch {version} in {location}", version=first.version,
                                                                   location=first.location)))

    version_py = posixpath.join(first.location or "", "torch", "version.py")
    text = ctx.door.read_text(version_py)
    if text is None:
        facts.status = "error"
        facts.attempts.append(Attempt(version_py, "not_found", _("{path} is missing: the torch install is incomplete",
                                                                 path=version_py)))
        return facts
    values = parse_torch_version_py(text)
    if values is None:
        facts.status = "error"
        facts.attempts.append(Attempt(version_py, "unparsed", _("{path} has no __version__: the file is damaged",
                                                                path=version_py)))
        return facts
    facts.status = "ok"
    facts.cuda = values.get("cuda")
    facts.hip = values.get("hip")
    facts.xpu = values.get("xpu")
    facts.git_version = values.get("git_version")
    facts.debug = values.get("debug")
    facts.source = f"dist-info + {version_py}"
    detail = f"cuda {facts.cuda}, hip {facts.hip}, xpu {facts.xpu}"
    if values["__version__"] != first.version:
        detail = _("{detail}; version.py says {found} but the metadata says {metadata}", detail=detail,
                   found=values["__version__"], metadata=first.version)
    facts.attempts.append(Attempt(version_py, "ok", detail))
    return facts
