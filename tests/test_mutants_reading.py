"""What a refresh reads from listings and wheels, compared whole on assembled listings.

The listings are assembled for these tests from real file names (PEP 427 names as PyPI lists torch 2.5.1
and torchvision 0.20.1; the versions between are made up and say so). The expected values are hand-checked
against the rules in the docstrings of :mod:`envdoctor.refresh.reading` and the built-in data's torchvision
pairs (2.5.1 -> 0.20.1, 2.6.0 -> 0.21.0). Names in ``Requires-Dist`` are compared as PEP 503 normalises
them (``_`` and ``-`` alike); ``===`` is PEP 440's arbitrary equality, a string that need not be a version.
"""

from __future__ import annotations

import dataclasses

from packaging.version import Version

from envdoctor.recipes import load_recipes
from envdoctor.refresh.indexes import IndexFile, parse_wheel_name
from envdoctor.refresh.reading import (
    WheelFacts,
    WheelRead,
    build_of,
    companion_candidates,
    cuda_pins,
    parse_listings,
    usable_wheels,
    wheels_to_read,
)

KNOWN = load_recipes(refreshed=False)
FILES = "https://files.example/packages"


def wheel(name: str, **fields) -> IndexFile:
    return IndexFile(name, f"{FILES}/{name}", **fields)


def vision(version: str) -> IndexFile:
    name = f"torchvision-{version}-cp312-cp312-manylinux_2_28_x86_64.whl"
    return wheel(name, metadata_url=f"{FILES}/{name}.metadata")


# torch 2.5.2 is not a release: it stands for one the data lacks, between 2.5.1 and 2.6.0
TORCH = [wheel("torch-2.5.1-cp312-cp312-manylinux1_x86_64.whl"), wheel("torch-2.6.0-cp312-cp312-manylinux1_x86_64.whl"),
         wheel("torch-2.5.2-cp311-cp311-manylinux1_x86_64.whl"), wheel("torch-2.5.2-cp312-cp312-manylinux1_x86_64.whl"),
         wheel("torch-2.5.2-cp313-cp313t-manylinux1_x86_64.whl"),
         wheel("torch-2.5.2-cp312-cp312-manylinux_2_28_aarch64.whl"), wheel("torch-2.5.2-cp312-cp312-win_amd64.whl"),
         wheel("torch-2.5.2-cp312-none-macosx_11_0_arm64.whl")]
# 0.19.5, 0.20.2, 0.20.3 and 0.21.5 are made up: unpaired versions below, between and above the neighbours' pairs
VISION = [vision(v) for v in ("0.19.5", "0.20.1", "0.20.2", "0.20.3", "0.21.0", "0.21.5", "0.22.0")]


def test_only_the_projects_own_unyanked_wheels_for_a_known_platform_are_usable():
    good = wheel("torch-2.5.1-cp312-cp312-manylinux1_x86_64.whl")
    files = [wheel("torch-2.5.1.tar.gz"), wheel("torchvision-0.20.1-cp312-cp312-manylinux1_x86_64.whl"),
             wheel("torch-2.5.1-cp312-cp312-win_amd64.whl", yanked=True), wheel("torch-2.5.1-cp312-cp312-linux_armv7l.whl"),
             good]
    assert usable_wheels(files, "torch") == [(good, parse_wheel_name(good.filename))]


def test_companion_candidates_lie_between_the_neighbours_pairs_and_are_not_paired_yet():
    # an overlay pairs 2.0.0 with torchvision 0.20.3 (out of order): 0.20.3 is paired and not a candidate
    releases = tuple(dataclasses.replace(r, torchvision="0.20.3") if r.version == "2.0.0" else r for r in KNOWN.releases)
    known = dataclasses.replace(KNOWN, releases=releases)
    # no file says when it was uploaded, and torch 2.5.2 has none on the list read: the bounds alone decide
    listings = parse_listings({"torch": TORCH[:2], "torchvision": VISION})
    found = companion_candidates(listings, "torchvision", Version("2.5.2"), known)
    assert [(version, [entry for entry, _ in files]) for version, files in found] == [(Version("0.20.2"), [VISION[2]])]


def test_the_wheels_read_are_torchs_newest_gil_python_per_platform_then_each_candidate_companion():
    projects = {"torch": TORCH, "torchvision": VISION}
    linux, aarch64, windows = TORCH[3], TORCH[5], TORCH[6]
    assert wheels_to_read(projects, [Version("2.5.2")], KNOWN) == [
        WheelRead(linux.filename, linux.url, "torch 2.5.2 linux-x86_64"),
        WheelRead(aarch64.filename, aarch64.url, "torch 2.5.2 linux-aarch64"),
        WheelRead(windows.filename, windows.url, "torch 2.5.2 windows-x86_64"),
        WheelRead(VISION[2].filename, VISION[2].url, "torchvision 0.20.2", VISION[2].metadata_url),
        WheelRead(VISION[3].filename, VISION[3].url, "torchvision 0.20.3", VISION[3].metadata_url),
    ]


def test_an_xpu_build_is_read_from_version_pys_xpu_line():
    # the layout of the installed torch 2.13.0's torch/version.py, with an XPU build's values (assembled)
    version_py = ("__version__ = '2.13.0'\ndebug = False\ncuda: Optional[str] = None\n"
                  "hip: Optional[str] = None\nrocm: Optional[str] = None\nxpu: Optional[str] = '20250301'\n")
    assert build_of(WheelFacts(metadata="Name: torch\n", version_py=version_py), "linux-x86_64") == \
        ("xpu", "torch/version.py xpu = '20250301'")


def test_runtime_and_toolkit_pins_are_read_under_either_spelling_of_their_names():
    runtime = "Name: torch\nRequires-Dist: nvidia_cuda_runtime_cu12==12.4.127\n"
    assert cuda_pins(runtime, "linux-x86_64") == ("12.4", None, "nvidia_cuda_runtime_cu12==12.4.127")
    toolkit = "Name: torch\nRequires-Dist: cuda_toolkit==13.0.3\n"
    assert cuda_pins(toolkit, "linux-x86_64") == ("13.0", "13.0.3", "cuda_toolkit==13.0.3")


def test_an_arbitrary_equality_that_is_no_version_pins_no_cuda():
    metadata = "Name: torch\nRequires-Dist: nvidia-cuda-runtime-cu12===12.4X\n"
    assert cuda_pins(metadata, "linux-x86_64") == (None, None, "")
