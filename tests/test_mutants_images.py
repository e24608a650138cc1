"""What a Dockerfile's FROM and apt lines say about its image, compared whole with values read by hand
from the image names (Docker Hub's ``python``, ``ubuntu``, ``debian`` and ``nvidia/cuda`` tags) and the
distributions' package pages quoted in ``envdoctor/readers/images.py``."""

from __future__ import annotations

import pytest

from envdoctor.readers.images import Image, parse_from, python_of

CUDA = "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"


def test_a_named_stage_is_remembered_and_inherited():
    stages: dict[str, Image] = {}
    first = parse_from("Dockerfile:2", ["--platform=${PLAT}", "${IMAGE}", "AS", "Base"],
                       {"PLAT": "linux/ARM64", "IMAGE": CUDA}, stages)
    assert first == Image("Dockerfile:2", CUDA, "aarch64", ("ubuntu", "22.04"), None, "", "12.4", True)
    assert stages == {"base": first}
    second = parse_from("Dockerfile:5", ["--platform=linux/amd64", "--link", "BASE"], {}, stages)
    assert second == Image("Dockerfile:5", "BASE", "x86_64", ("ubuntu", "22.04"), None, "", "12.4", True)
    third = parse_from("Dockerfile:9", ["base", "as", "final"], {}, stages)
    assert third == Image("Dockerfile:9", "base", "aarch64", ("ubuntu", "22.04"), None, "", "12.4", True)
    assert stages == {"base": first, "final": third}
    assert parse_from("Dockerfile:12", ["--platform=windows/amd64", "ubuntu:$TAG", "x"], {}, stages) == Image(
        "Dockerfile:12", "ubuntu:$TAG", None, None)
    assert stages == {"base": first, "final": third}
    assert parse_from("Dockerfile:13", [], {}, stages) == Image("Dockerfile:13", "")


@pytest.mark.parametrize(("reference", "distro", "python", "cuda", "cudnn"), [
    ("python:3.11-slim-bookworm", ("debian", "12"), "3.11", None, False),
    ("docker.io/library/python:3.12.1rc1-bullseye", ("debian", "11"), "3.12", None, False),
    ("python:3.10-alpine", None, "3.10", None, False),
    ("python:3.13-windowsservercore", None, "3.13", None, False),
    ("python", ("debian", "12"), None, None, False),
    ("python:slim", ("debian", "12"), None, None, False),
    ("ubuntu:jammy", ("ubuntu", "22.04"), None, None, False),
    ("Ubuntu:22.04", ("ubuntu", "22.04"), None, None, False),
    ("ubuntu", None, None, None, False),
    ("debian:12.5-slim", ("debian", "12"), None, None, False),
    ("debian:bookworm-slim", ("debian", "12"), None, None, False),
    ("debian:stable", None, None, None, False),
    ("nvcr.io/nvidia/cuda:11.8.0-devel-rockylinux8", None, None, "11.8", False),
    ("nvidia/cuda:12.1.0-cudnn8-devel-ubuntu20.04", ("ubuntu", "20.04"), None, "12.1", True),
    ("nvidia/cuda:12.1.0-base-ubuntu22.04", ("ubuntu", "22.04"), None, "12.1", False),
    ("nvidia/cuda:latest", None, None, None, False),
    ("localhost:5000/ubuntu", None, None, None, False),
    ("registry.example:5000/ubuntu:22.04", None, None, None, False),
    ("python:5000/team/app", None, None, None, False),  # a registry host named python, port 5000
    ("python:5000/team/app:3.11", None, None, None, False),
])
def test_what_an_image_name_says(reference, distro, python, cuda, cudnn):
    python_from = f"the image tag {reference}" if python else ""
    assert parse_from("Dockerfile:1", [reference], {}, {}) == Image(
        "Dockerfile:1", reference, None, distro, python, python_from, cuda, cudnn)


def image(distro: tuple[str, str] | None = None, python: str | None = None) -> Image:
    return Image("Dockerfile:1", "ref", None, distro, python, "the image tag ref" if python else "")


@pytest.mark.parametrize(("distro", "tagged", "packages", "python", "python_from"), [
    (("ubuntu", "22.04"), "3.9", ["python3.11"], "3.9", "the image tag ref"),
    (("ubuntu", "22.04"), None, ["curl", "python3.11-venv", "python3.10"], "3.11", "apt package python3.11-venv"),
    (("ubuntu", "22.04"), None, ["curl", "python3-pip", "python3"], "3.10",
     "apt package python3-pip (packages.ubuntu.com/jammy/python3: 3.10.6-1~22.04)"),
    (("ubuntu", "24.04"), None, ["python3-venv"], "3.12",
     "apt package python3-venv (packages.ubuntu.com/noble/python3: 3.12.3-0ubuntu2)"),
    (("debian", "12"), None, ["python-is-python3"], "3.11",
     "apt package python-is-python3 (packages.debian.org/bookworm/python3: 3.11.2-1+b1)"),
    (("ubuntu", "20.04"), None, ["git", "python3"], "3.8",
     "apt package python3 (packages.ubuntu.com/focal/python3: 3.8.2-0ubuntu2)"),
    (("ubuntu", "23.10"), None, ["python3"], None, ""),
    (None, None, ["python3"], None, ""),
    (("ubuntu", "22.04"), None, ["python3x", "python3.10x", "python2"], None, ""),
])
def test_the_python_an_image_gets_from_apt(distro, tagged, packages, python, python_from):
    before = image(distro, tagged)  # a new one each time: python_of fills it in place
    python_of(before, packages)
    assert (before.python, before.python_from) == (python, python_from)


def test_summaries():
    assert Image("D:1", CUDA, None, ("ubuntu", "22.04"), None, "", "12.4", True).summary() == (
        f"{CUDA} (Ubuntu 22.04, CUDA 12.4 with cuDNN)")
    assert Image("D:1", "c", None, None, None, "", "11.8", False).summary() == "c (CUDA 11.8)"
    assert Image("D:1", "debian:12", None, ("debian", "12")).summary() == "debian:12 (Debian 12)"
    assert Image("D:1", "scratch").summary() == "scratch"


def test_a_digest_pinned_reference_keeps_its_tag():
    reference = "nvidia/cuda:12.1.0-cudnn8-devel-ubuntu20.04@sha256:" + "0" * 64
    assert parse_from("Dockerfile:1", [reference], {}, {}) == Image(
        "Dockerfile:1", reference, None, ("ubuntu", "20.04"), None, "", "12.1", True)
