"""A refresh's overlay compared whole on assembled listings.

The material is :func:`test_refresh_units.synthetic_material` (a torch 2.16.0 assembled for the tests, the
real 2.14.1 METADATA with its toolkit pin changed), changed here one fact at a time. The expected values
are hand-checked against the rules in :mod:`envdoctor.refresh.inference` and the built-in 2.15.0 row (the
nearest known release: conda-forge conda recipe, ``index-url`` style, cu132 kernels).
"""

from __future__ import annotations

import dataclasses

from test_refresh_units import synthetic_material

from envdoctor.recipes import load_recipes
from envdoctor.refresh.indexes import IndexFile
from envdoctor.refresh.learn import build
from envdoctor.refresh.reading import WheelFacts

KNOWN = load_recipes(refreshed=False)
SOURCE_EVIDENCE = ("torch-2.16.0-cp314-cp314-manylinux_2_28_x86_64.whl: torch/version.py __version__ = '2.16.0+cu134'; "
                   "torch-2.16.0-cp314-cp314-manylinux_2_28_aarch64.whl: METADATA Requires-Dist cuda-toolkit==13.4.1; "
                   "torch-2.16.0-cp314-cp314-win_amd64.whl: torch/version.py __version__ = '2.16.0+cpu'")
PYPI = {"linux-x86_64": "cu134", "linux-aarch64": "cu134", "windows-x86_64": "cpu", "macos-arm64": "mps"}


def learnt(material):
    outcome = build(KNOWN, material, synthetic_material()[1], "2026-12-10", "2026-12-10T08:00:00Z", "0.1.0")
    return outcome, outcome.overlay["series"]["2.16"]["releases"]["2.16.0"]


def test_a_variant_glibc_a_macos_floor_per_python_and_a_cuda_line_without_kernels():
    material = synthetic_material()[0]
    cu140 = "torch-2.16.0+cu140-cp312-cp312-manylinux_2_28_x86_64.whl"
    pytorch = [IndexFile(f.filename.replace("+cu132-cp312-cp312-manylinux_2_28", "+cu132-cp312-cp312-manylinux_2_35"), f.url)
               for f in material.pytorch] + [IndexFile(cu140, "https://whl.example/whl/cu140/x.whl")]
    pages = {**material.variant_pages, "cu140": [IndexFile(cu140, "https://whl.example/x.whl")]}
    mac = IndexFile("torch-2.16.0-cp314-cp314-macosx_15_0_arm64.whl", "https://files.example/m", ">=3.11",
                    "2026-12-09T15:00:00Z")
    projects = {**material.projects, "torch": [*material.projects["torch"], mac]}
    outcome, spec = learnt(dataclasses.replace(material, pytorch=pytorch, variant_pages=pages, projects=projects))
    # rule 1 finds no CUDA 14 variant in any known release: cu140 is left out, and the loop goes on to rocm7.3
    assert outcome.notes == ["torch 2.16.0 cu140 on linux-x86_64: no known kernel list to infer from: left out"]
    assert sorted(spec["variants"]) == ["cpu", "cu132", "cu134", "mps", "rocm7.3"]
    # cu132's own wheel needs glibc 2.35, the release's wheels 2.28
    assert spec["variants"]["cu132"]["glibc"] == {"linux-x86_64": "2.35"}
    assert "glibc" not in spec["variants"]["cu134"]
    assert spec["macos_min"] == {"macos-arm64": "14.0"}
    assert spec["macos_min_by_python"] == {"macos-arm64": {"3.14": "15.0"}}
    assert spec["glibc"] == {"linux-x86_64": "2.28", "linux-aarch64": "2.28"}
    assert spec["conda"] == {"style": "conda-forge"} and spec["index_style"] == "index-url"
    assert spec["inferred"] == ["conda recipe as 2.15.0 (rule 5)"]


def test_the_lowest_glibc_is_compared_as_a_version():
    material = synthetic_material()[0]
    old = "torch-2.16.0-cp312-cp312-manylinux_2_28_x86_64.whl"
    torch = [dataclasses.replace(f, filename=f.filename.replace("manylinux_2_28", "manylinux_2_5"))
             if f.filename == old else f for f in material.projects["torch"]]
    _, spec = learnt(dataclasses.replace(material, projects={**material.projects, "torch": torch}))
    assert spec["glibc"] == {"linux-x86_64": "2.5", "linux-aarch64": "2.28"}  # "2.28" < "2.5" as text


def test_a_release_learnt_from_pypi_alone_says_what_it_lacks():
    material = synthetic_material()[0]
    late = IndexFile("torch-2.17.0-cp312-cp312-manylinux_2_28_x86_64.whl", "https://files.example/t", ">=3.11",
                     "2027-01-09T15:00:00Z")
    alone = dataclasses.replace(material, projects={**material.projects, "torch": [*material.projects["torch"], late]},
                                pytorch=[], variant_pages={}, read_from={"torch": "https://index.example/pypi/torch/json"},
                                pytorch_missing="connection refused")
    outcome, spec = learnt(alone)
    lacks = ("torch 2.16.0: only the PyPI builds are known (linux-x86_64 cu134, linux-aarch64 cu134, windows-x86_64 cpu, "
             "macos-arm64 mps); the PyTorch index's per-variant builds (+cuXXX, +rocmX.Y, +xpu, +cpu), the platforms "
             "each is built for and their kernel architecture lists were not learnt (the PyTorch wheel index was not read)")
    assert outcome.releases == ["2.16.0"]
    assert outcome.notes == [
        "the PyTorch wheel index was not read (connection refused): releases learnt from PyPI alone, with PyPI's own "
        "builds only; differences in known releases not checked",
        "torch 2.17.0: the linux-x86_64 wheel's METADATA was not read: not written"]
    assert outcome.not_learned == [lacks]
    assert spec["inferred"] == [lacks, "conda recipe as 2.15.0 (rule 5)"]
    assert spec["note"] == "learnt from PyPI alone: the PyTorch wheel index https://whl.example/whl was not read"
    assert spec["source"] == ("envdoctor recipes refresh 2026-12-10: PyPI https://index.example/pypi/torch/json (--pypi); "
                              "PyTorch wheel index not read; " + SOURCE_EVIDENCE)
    assert spec["pypi"] == PYPI
    assert {name: body.get("platforms") for name, body in spec["variants"].items()} == {
        "cpu": ["windows-x86_64"], "cu134": ["linux-x86_64", "linux-aarch64"], "mps": None}
    assert spec["variants"]["cpu"]["source"] == \
        "PyPI's own build of torch 2.16.0 on windows-x86_64 (the PyTorch index was not read)"


def test_a_companion_with_no_linux_wheel_is_read_from_its_first_file():
    material = synthetic_material()[0]
    vision = IndexFile("torchvision-0.30.0-cp312-cp312-win_amd64.whl", "https://files.example/v", ">=3.11",
                       "2026-12-09T15:20:00Z")
    wheels = {**material.wheels, vision.filename: WheelFacts("Name: torchvision\nRequires-Dist: torch==2.16.0\n")}
    _, spec = learnt(dataclasses.replace(material, projects={**material.projects, "torchvision": [vision]}, wheels=wheels))
    assert spec["torchvision"] == "0.30.0"
    # torch's Pythons: 3.12 and 3.14 on Linux and Windows, 3.12 on macOS; the companion has cp312 on Windows only
    assert spec["companion_gaps"] == {"torchvision": {"linux-x86_64": ["3.12", "3.14"],
                                                      "linux-aarch64": ["3.12", "3.14"],
                                                      "windows-x86_64": ["3.14"], "macos-arm64": ["3.12"]}}
