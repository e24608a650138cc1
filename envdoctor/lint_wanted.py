"""What one install command asks of the torch family: pins, specifiers, the variant its index URL, local
version or conda pairing names, and everything else it installs (:class:`Wanted`).

Pure: an :class:`~envdoctor.readers.install_commands.Install` in, a :class:`Wanted` out.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import field
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.readers.install_commands import Install

CONDA_FAMILY = {"pytorch": "torch", "torchvision": "torchvision", "torchaudio": "torchaudio",
                "pytorch-gpu": "torch", "pytorch-cpu": "torch"}
#: conda packages that only pair torch with a CUDA line or the CPU: the resolver picks its own.
CONDA_PAIRING = frozenset({"cudatoolkit", "pytorch-cuda", "cpuonly", "cuda-version", "pytorch-mutex"})
_VARIANT_IN_URL = re.compile(rf"/whl/(?:lts/[0-9.]+/|nightly/|test/)?({compat.VARIANT_PATTERN})(?:/|$)", re.ASCII)
_WHEEL_FILE = re.compile(r"^(torch|torchvision|torchaudio)-([0-9][^-]*)-")
_CONDA_SPEC = re.compile(r"^(?:([A-Za-z0-9_./-]+)::)?([A-Za-z0-9_.-]+)\s*(.*)$")


@datatype
class Wanted:
    """What one install command asks of the torch family."""

    specs: dict[str, SpecifierSet] = field(default_factory=dict)  # torch/torchvision/torchaudio -> as pinned
    pins: dict[str, str] = field(default_factory=dict)  # an exact version (no local label)
    locals: dict[str, str] = field(default_factory=dict)  # name -> local label of a pin (+cu110)
    variant: str | None = None  # from an index URL, a local pin or a conda CUDA pairing
    variant_from: str = ""
    stub: bool = False  # pip's "pytorch"
    others: list[str] = field(default_factory=list)  # packages outside the torch family
    python: str | None = None  # conda: python=3.8 in the same command
    unreadable: list[str] = field(default_factory=list)
    cudatoolkit: str | None = None
    pytorch_cuda: str | None = None
    cpuonly: bool = False
    wheel_urls: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.specs or self.stub or self.wheel_urls)


def wanted_of(install: Install) -> Wanted:
    if install.tool in ("conda", "mamba", "micromamba"):
        return _wanted_conda(install)
    return _wanted_pip(install)


def _wanted_pip(install: Install) -> Wanted:
    wanted = Wanted()
    for text in install.requirements:
        if "://" in text and text.endswith(".whl"):
            wheel = _WHEEL_FILE.match(posixpath.basename(text).replace("%2B", "+").replace("%2b", "+"))
            if wheel:
                wanted.wheel_urls.append(text)
                _add_pin(wanted, wheel.group(1), wheel.group(2), text)
            continue
        if text in (".", "..") or text.startswith(("./", "/", "git+", "-")):
            continue
        try:
            requirement = compat.parse_requirement(text)
        except InvalidRequirement:
            wanted.unreadable.append(text)
            continue
        name = canonicalize_name(requirement.name)
        if name == "pytorch":
            wanted.stub = True
            continue
        if name not in compat.TORCH_FAMILY:
            wanted.others.append(text)
            continue
        wanted.specs[name] = wanted.specs.get(name, SpecifierSet()) & _public_specifier(requirement.specifier)
        for spec in requirement.specifier:
            if spec.operator in ("==", "===") and "+" in spec.version:
                _add_pin(wanted, name, spec.version, text)
            elif spec.operator in ("==", "===") and "*" not in spec.version:
                wanted.pins[name] = spec.version
    for _flag, url in install.indexes:
        match = _VARIANT_IN_URL.search(urlsplit(url).path)
        if match and wanted.variant is None:
            wanted.variant, wanted.variant_from = match.group(1), url
    return wanted


def _public_specifier(specifier: SpecifierSet) -> SpecifierSet:
    """The specifier without local labels (``==2.0.1+cu118`` -> ``==2.0.1``): what the resolver can plan for."""
    parts = []
    for spec in specifier:
        version = spec.version.split("+", 1)[0]
        parts.append(f"{'==' if spec.operator == '===' else spec.operator}{version}")
    try:
        return SpecifierSet(",".join(parts))
    except InvalidSpecifier:
        return SpecifierSet()


def _add_pin(wanted: Wanted, name: str, version: str, text: str) -> None:
    public, _plus, local = version.partition("+")
    wanted.specs.setdefault(name, SpecifierSet(f"=={public}") if compat.parse_version(public) else SpecifierSet())
    if compat.parse_version(public):
        wanted.pins[name] = public
    if local:
        wanted.locals[name] = local
        if compat.VARIANT_RE.match(local) and wanted.variant is None:
            wanted.variant, wanted.variant_from = local, text


def with_versions(install: Install, versions: dict[str, str]) -> str | None:
    """The command as written with each torch-family requirement named in ``versions`` (torch, torchvision,
    torchaudio) pinned to that version in the tool's own syntax (``torchvision==0.20.1``, a local label kept;
    conda's ``torchvision=0.20.1``, a channel prefix kept); None when such a requirement is not in the text as
    written (a wheel URL)."""
    conda = install.tool in ("conda", "mamba", "micromamba")
    text = install.text
    done = set()
    for written in install.requirements:
        if conda:
            match = _CONDA_SPEC.match(written.strip())
            name = CONDA_FAMILY.get(match.group(2).lower()) if match else None
            if match is None or name not in versions:
                continue
            channel = f"{match.group(1)}::" if match.group(1) else ""
            pinned = f"{channel}{match.group(2)}={versions[name]}"
        else:
            try:
                requirement = compat.parse_requirement(written)
            except InvalidRequirement:
                continue
            name = canonicalize_name(requirement.name)
            if name not in versions or requirement.url is not None:
                continue
            local = next((s.version.partition("+")[2] for s in requirement.specifier if "+" in s.version), "")
            pinned = f"{requirement.name}=={versions[name]}" + (f"+{local}" if local else "")
        if text.count(written) != 1:
            return None
        text = text.replace(written, pinned)
        done.add(name)
    return text if done == set(versions) else None


def _wanted_conda(install: Install) -> Wanted:
    wanted = Wanted()
    for text in install.requirements:
        match = _CONDA_SPEC.match(text.strip())
        if match is None:
            wanted.unreadable.append(text)
            continue
        channel, name, rest = match.group(1), match.group(2).lower(), match.group(3).strip()
        if channel and channel not in install.channels:
            install.channels.append(channel)
        rest = rest.replace(" ", "")
        pinned = rest.lstrip("=").split("=")[0] if rest.startswith("=") else None
        if name == "python":
            wanted.python = ".".join((pinned or "").split(".")[:2]) or None
        elif name == "cudatoolkit":
            wanted.cudatoolkit = _cuda_line(pinned)
        elif name == "pytorch-cuda":
            wanted.pytorch_cuda = _cuda_line(pinned)
        elif name == "cpuonly":
            wanted.cpuonly = True
        elif name in CONDA_FAMILY:
            family = CONDA_FAMILY[name]
            spec = _conda_specifier(rest)
            wanted.specs[family] = wanted.specs.get(family, SpecifierSet()) & spec
            if pinned and compat.parse_version(pinned) and len(pinned.split(".")) >= 3:
                wanted.pins[family] = pinned
        elif name not in CONDA_PAIRING:
            wanted.others.append(text)
    cuda = wanted.pytorch_cuda or wanted.cudatoolkit
    if cuda and cuda != "any" and compat.major_minor(cuda):
        wanted.variant, wanted.variant_from = compat.cuda_variant(cuda), ("pytorch-cuda=" if wanted.pytorch_cuda else
                                                                   "cudatoolkit=") + cuda
    elif wanted.cpuonly:
        wanted.variant, wanted.variant_from = "cpu", "cpuonly"
    return wanted


def pip_requirement(conda_spec: str) -> str | None:
    """A conda spec of a package outside the torch family as a pip requirement of the same name (``numpy=1.26``
    -> ``numpy==1.26.*``), for when pip installs what a conda command asked for; None when it does not read."""
    match = _CONDA_SPEC.match(conda_spec.strip())
    if match is None:
        return None
    specifier = _conda_specifier(match.group(3).replace(" ", ""))
    return f"{match.group(2).lower()}{specifier}"


def _cuda_line(pinned: str | None) -> str:
    """The CUDA line a conda pairing names: ``11.3`` (of ``=11.3``, ``==11.3`` or ``=11.3.1``), or ``11.*`` for a major
    alone. conda's ``=11`` is a fuzzy match, any 11.x (its "Package search and install specifications":
    ``numpy=1.11`` matches 1.11.0, 1.11.1, ...; ``==1.11`` only 1.11.0), so it names no one variant; ``any``
    when no version is given."""
    if not pinned:
        return "any"
    parts = pinned.split(".")
    return f"{parts[0]}.*" if len(parts) == 1 else ".".join(parts[:2])


def _conda_specifier(rest: str) -> SpecifierSet:
    """conda's version spec as PEP 440: ``=1.12`` is 1.12.*, ``=1.12.1`` and ``==1.12.1`` that release, ``>=1.8`` as
    written; a build string after a second ``=`` is left out."""
    try:
        if rest.startswith("="):
            version = rest.lstrip("=").split("=")[0]
            if "*" in version or version.count(".") >= 2:
                return compat.parse_specifier(f"=={version}")
            return compat.parse_specifier(f"=={version}.*") if version else SpecifierSet()
        return compat.parse_specifier(rest) if rest else SpecifierSet()
    except InvalidSpecifier:
        return SpecifierSet()
