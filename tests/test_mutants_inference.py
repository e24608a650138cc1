"""The inference rules of a refresh compared whole with hand-checked bodies.

The known release is the built-in torch 2.14.1 row; its cu130 variant (recipes/torch/2.14.toml) is built for
linux-x86_64 and windows-x86_64 with ``sm_75 sm_80 sm_86 sm_90 sm_100 sm_120``, for linux-aarch64 with
``sm_80 sm_90 sm_100 sm_110 sm_120``, and has PTX ``sm_120`` on the two Linux platforms only. The expected
bodies apply rules 1 and 3 of :mod:`envdoctor.refresh.inference` to that row by hand. Wheel tags are read as
PEP 425 / PEP 600 write them (``abi3`` serves every CPython from its minimum up, never a free-threaded one).
"""

from __future__ import annotations

import dataclasses

from packaging.version import Version

from envdoctor.recipes import load_recipes
from envdoctor.refresh.indexes import IndexFile
from envdoctor.refresh.inference import admits, companion_gaps, cuda_body, floors_of
from envdoctor.refresh.reading import usable_wheels

KNOWN = load_recipes(refreshed=False)
R2141 = KNOWN.release("2.14.1")
X86 = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]
AARCH64 = ["sm_80", "sm_90", "sm_100", "sm_110", "sm_120"]
PLATFORMS = ["linux-aarch64", "windows-x86_64", "linux-x86_64"]
RULE_1 = "cu130 kernels on linux-aarch64, windows-x86_64, linux-x86_64 as 2.14.1 cu130 (rule 1)"


def body(defaults=None, pin=(None, None), order=(R2141,)):
    notes: list[str] = []
    found = cuda_body("cu130", PLATFORMS, list(order), defaults, pin, notes, Version("2.16.0"))
    assert notes == []
    return found


def test_a_cuda_line_new_to_the_data_takes_the_toolkit_of_the_wheels_pin():
    # linux-x86_64 is the body's own list even when another platform comes first
    assert body(pin=("13.0", "13.0.2")) == {
        "archs": X86, "archs_by_platform": {"linux-aarch64": AARCH64}, "ptx": ["sm_120"],
        "ptx_platforms": ["linux-aarch64", "linux-x86_64"], "platforms": PLATFORMS, "kind": "cuda", "cuda": "13.0",
        "toolkit": "13.0.2", "toolkit_source": "the cuda-toolkit pin of the PyPI wheel's METADATA", "inferred": [RULE_1]}


def test_without_a_pin_of_its_own_cuda_line_the_toolkit_is_the_lines_first_release():
    assert body(pin=("12.8", "12.8.1")) == {
        "archs": X86, "archs_by_platform": {"linux-aarch64": AARCH64}, "ptx": ["sm_120"],
        "ptx_platforms": ["linux-aarch64", "linux-x86_64"], "platforms": PLATFORMS, "kind": "cuda", "cuda": "13.0",
        "toolkit": "13.0.0", "toolkit_source": "the CUDA version's first release (rule 3)",
        "inferred": [RULE_1, "toolkit 13.0.0: no [variant.cu130] in the data (rule 3)"]}


def test_the_nearest_variants_own_note_is_kept_without_the_defaults_part():
    # an assembled row: the known cu130 with a note that begins with its [variant.cu130] defaults' note
    noted = dataclasses.replace(R2141, variants=tuple(
        dataclasses.replace(v, note="from the defaults; its own words") if v.name == "cu130" else v
        for v in R2141.variants))
    assert body(defaults={"note": "from the defaults"}, order=(noted,)) == {
        "archs": X86, "archs_by_platform": {"linux-aarch64": AARCH64}, "ptx": ["sm_120"],
        "ptx_platforms": ["linux-aarch64", "linux-x86_64"], "platforms": PLATFORMS, "note": "its own words",
        "inferred": [RULE_1]}


def test_an_abi3_companion_wheel_serves_every_gil_python_from_its_minimum():
    files = usable_wheels([IndexFile("torchvision-0.30.0-cp39-abi3-manylinux_2_28_x86_64.whl", "https://f.example/v")],
                          "torchvision")
    torch_python = {"linux-x86_64": ["3.8", "3.9", "3.14", "3.14t"], "windows-x86_64": ["3.12"]}
    assert companion_gaps(torch_python, files) == {"linux-x86_64": ["3.8", "3.14t"], "windows-x86_64": ["3.12"]}


def test_an_unreadable_requires_python_admits_every_python():
    assert admits("=>3.9", "3.12") is True
    assert admits(">=3.13", "3.13t") is True
    assert admits(">=3.13", "3.12") is False


def test_the_lowest_floor_of_a_python_wins_across_files_and_compound_tags():
    # real file names: torch 2.5.1+rocm6.2 (two tags) and torch 2.5.1's PyPI wheel (manylinux1, PEP 513)
    files = usable_wheels([
        IndexFile("torch-2.5.1+rocm6.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "https://f.example/a"),
        IndexFile("torch-2.5.1-cp312-cp312-manylinux1_x86_64.whl", "https://f.example/b"),
        IndexFile("torch-2.5.1-cp311-cp311-manylinux_2_28_x86_64.whl", "https://f.example/c")], "torch")
    assert floors_of(files, "linux-x86_64") == {"3.12": ("2.5", True), "3.11": ("2.28", False)}
    assert floors_of(files[:1], "linux-x86_64") == {"3.12": ("2.17", False)}
