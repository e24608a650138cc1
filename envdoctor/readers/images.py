"""The container image a Dockerfile stage builds on, read from its ``FROM`` line and its apt lines.

A Dockerfile is judged for the image, not for the host that reads it: the OS and release come from the
image name (``ubuntu:22.04``, ``nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04``, ``python:3.11-slim``, whose
Debian release is in the tag or is the one the official image is built on), Python from a ``python`` image's
tag or from the interpreter the stage installs with apt (``python3.10``, or ``python3`` at the distribution's
version), CUDA and cuDNN from an ``nvidia/cuda`` tag. Pure: text in, data out.
"""

from __future__ import annotations

import re

from envdoctor.datatypes import datatype
from envdoctor.i18n import _

#: The ``python3`` package of each release: (version, source). Read from the distributions' package pages.
DISTRO_PYTHON: dict[tuple[str, str], tuple[str, str]] = {
    ("ubuntu", "18.04"): ("3.6", "packages.ubuntu.com/bionic/python3: 3.6.7-1~18.04"),
    ("ubuntu", "20.04"): ("3.8", "packages.ubuntu.com/focal/python3: 3.8.2-0ubuntu2"),
    ("ubuntu", "22.04"): ("3.10", "packages.ubuntu.com/jammy/python3: 3.10.6-1~22.04"),
    ("ubuntu", "24.04"): ("3.12", "packages.ubuntu.com/noble/python3: 3.12.3-0ubuntu2"),
    ("debian", "10"): ("3.7", "packages.debian.org/buster/python3: 3.7.3-1"),
    ("debian", "11"): ("3.9", "packages.debian.org/bullseye/python3: 3.9.2-3"),
    ("debian", "12"): ("3.11", "packages.debian.org/bookworm/python3: 3.11.2-1+b1"),
    ("debian", "13"): ("3.13", "packages.debian.org/trixie/python3: 3.13.5-1"),
}
#: The CUDA version of the distributions' own ``nvidia-cuda-toolkit`` package: (version, source).
DISTRO_CUDA_TOOLKIT: dict[tuple[str, str], tuple[str, str]] = {
    ("ubuntu", "20.04"): ("10.1", "packages.ubuntu.com/focal/nvidia-cuda-toolkit: 10.1.243-3"),
    ("ubuntu", "22.04"): ("11.5", "packages.ubuntu.com/jammy/nvidia-cuda-toolkit: 11.5.1-1ubuntu1"),
    ("ubuntu", "24.04"): ("12.0", "packages.ubuntu.com/noble/nvidia-cuda-toolkit: 12.0.140~12.0.1-4build4"),
    ("debian", "11"): ("11.2", "packages.debian.org/bullseye/nvidia-cuda-toolkit: 11.2.2-3+deb11u3"),
    ("debian", "12"): ("11.8", "packages.debian.org/bookworm/nvidia-cuda-toolkit: 11.8.89~11.8.0-5~deb12u1"),
}
CODENAMES = {"bionic": ("ubuntu", "18.04"), "focal": ("ubuntu", "20.04"), "jammy": ("ubuntu", "22.04"),
             "noble": ("ubuntu", "24.04"), "buster": ("debian", "10"), "bullseye": ("debian", "11"),
             "bookworm": ("debian", "12"), "trixie": ("debian", "13")}
#: The Debian release the official ``python`` images are built on when the tag names none (their
#: default variant since July 2023; docker-library/python's generated Dockerfiles).
PYTHON_IMAGE_DEFAULT = ("debian", "12")
_PYTHON_TAG = re.compile(r"^(3\.[0-9]{1,2})(?:\.[0-9]+)?(?:[a-z]+[0-9]*)?(?:-|$)")
_CUDA_TAG = re.compile(r"^([0-9]+\.[0-9]+)(?:\.[0-9]+)?-(?:(cudnn[0-9]*)-)?(base|runtime|devel)-([a-z]+)([0-9.]+)$")
_APT_PYTHON = re.compile(r"^python(3\.[0-9]{1,2})(?:-[a-z]+)?$")
_ARCH = {"linux/amd64": "x86_64", "linux/arm64": "aarch64", "linux/arm64/v8": "aarch64"}


@datatype
class Image:
    """What one build stage runs on."""

    source: str  # Dockerfile:1, where its FROM is
    reference: str  # as written after FROM, ARG defaults filled in
    arch: str | None = None  # from --platform; None: the builder's own
    distro: tuple[str, str] | None = None  # ("ubuntu", "22.04")
    python: str | None = None  # "3.11"
    python_from: str = ""
    cuda: str | None = None  # the CUDA of an nvidia/cuda image
    cudnn: bool = False

    def summary(self) -> str:
        """``nvidia/cuda:12.4.1-runtime-ubuntu22.04 (Ubuntu 22.04, CUDA 12.4)``."""
        from envdoctor.i18n import listed

        parts = [f"{self.distro[0].capitalize()} {self.distro[1]}"] if self.distro else []
        if self.cuda:
            parts.append(_("CUDA {version} with cuDNN", version=self.cuda) if self.cudnn else f"CUDA {self.cuda}")
        return _("{image} ({details})", image=self.reference, details=listed(parts)) if parts else self.reference


def parse_from(source: str, words: list[str], args: dict[str, str], stages: dict[str, Image]) -> Image:
    """The image of ``FROM [--platform=P] REF [AS NAME]`` (``words`` after FROM); a stage built on an earlier
    stage inherits what that one is."""
    arch = None
    rest = []
    for word in words:
        if word.startswith("--platform="):
            arch = _ARCH.get(_fill(word.split("=", 1)[1], args).lower())
        elif not word.startswith("--"):
            rest.append(word)
    reference = _fill(rest[0], args) if rest else ""
    name = rest[2].lower() if len(rest) >= 3 and rest[1].lower() == "as" else None
    earlier = stages.get(reference.lower())
    if earlier is not None:
        image = Image(source, reference, arch or earlier.arch, earlier.distro, earlier.python, earlier.python_from,
                      earlier.cuda, earlier.cudnn)
    else:
        image = _image(source, reference, arch)
    if name:
        stages[name] = image
    return image


def _fill(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: args.get(m.group(1), m.group(0)), text)


def _image(source: str, reference: str, arch: str | None) -> Image:
    image = Image(source, reference, arch)
    name = reference.split("@", 1)[0]  # NAME[:TAG][@DIGEST]: a digest pins the image, the tag still names it
    path, _colon, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "latest")
    path = path.lower()
    for prefix in ("docker.io/", "library/", "nvcr.io/"):
        path = path.removeprefix(prefix)
    if path == "python":
        match = _PYTHON_TAG.match(tag)
        if match:
            image.python, image.python_from = match.group(1), _("the image tag {reference}", reference=reference)
        named = [CODENAMES[c] for c in tag.split("-") if c in CODENAMES]
        image.distro = named[0] if named else (None if "alpine" in tag or "windows" in tag else PYTHON_IMAGE_DEFAULT)
    elif path in ("ubuntu", "debian"):
        base = tag.split("-")[0]
        if base in CODENAMES:
            image.distro = CODENAMES[base]
        elif re.fullmatch(r"[0-9][0-9.]*", base):
            image.distro = (path, base if path == "ubuntu" else base.split(".")[0])
    elif path == "nvidia/cuda":
        match = _CUDA_TAG.match(tag)
        if match:
            image.cuda, image.cudnn = match.group(1), bool(match.group(2))
            image.distro = (match.group(4), match.group(5)) if match.group(4) == "ubuntu" else None
    return image


def python_of(image: Image, apt_packages: list[str]) -> None:
    """Fill in the Python an image without one in its tag gets from its apt lines (``python3.10`` by name;
    ``python3``, ``python3-pip`` and the like at the distribution's version)."""
    if image.python is not None:
        return
    for package in apt_packages:
        match = _APT_PYTHON.match(package)
        if match:
            image.python, image.python_from = match.group(1), _("apt package {package}", package=package)
            return
    if image.distro in DISTRO_PYTHON and any(p == "python3" or p.startswith("python3-") or p == "python-is-python3"
                                             for p in apt_packages):
        version, source = DISTRO_PYTHON[image.distro]
        package = next(p for p in apt_packages if p == "python3" or p.startswith("python3-") or p == "python-is-python3")
        image.python, image.python_from = version, _("apt package {package} ({source})", package=package, source=source)
