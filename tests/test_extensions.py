"""Compiled extensions: labels of real releases, the comparison with torch, the data, and check on a real venv.

Oracles: the label tables below are written by hand from the real wheel names (sources beside each row);
the end-to-end test installs metadata-only wheels of real releases (tests/extension_wheels.py names each
one's source) into a fresh venv beside the real torch 2.13.0 CPU and runs the real CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import venv_beside_torch
from hypothesis import given
from hypothesis import strategies as st

from envdoctor import extensions as ext
from envdoctor.extensions import BuiltFor, ExtensionDataError, Mismatch, TorchBuild

CATALOG = ext.builtin_catalog()

# (dist, version) -> what it was built for; names from real wheels:
LABELS = [
    # flash-attention setup.py get_wheel_url; the v2.3.2 asset in EMNAFold's install script; the brief's 2.6.3 asset
    ("flash-attn", "2.3.2+cu118torch2.1cxx11abiFALSE", BuiltFor(torch=(2, 1), cuda=(11, 8), cxx11_abi=False)),
    ("flash-attn", "2.6.3+cu123torch2.4cxx11abiFALSE", BuiltFor(torch=(2, 4), cuda=(12, 3), cxx11_abi=False)),
    ("flash-attn", "2.8.1+cu12torch2.7cxx11abiTRUE", BuiltFor(torch=(2, 7), cuda=(12, None), cxx11_abi=True)),
    ("flash-attn", "2.7.4+cu12torch2.6cxx11abiFALSE", BuiltFor(torch=(2, 6), cuda=(12, None), cxx11_abi=False)),
    # the PyG wheel index pages torch-1.12.0+cu116, torch-2.0.1+cu118, torch-2.12.0+cu130
    ("pyg-lib", "0.1.0+pt112cu116", BuiltFor(torch=(1, 12), cuda=(11, 6))),
    ("torch-cluster", "1.6.2+pt20cu118", BuiltFor(torch=(2, 0), cuda=(11, 8))),
    ("torch-scatter", "2.1.2+pt212cu130", BuiltFor(torch=(2, 12), cuda=(13, 0))),
    ("torch-scatter", "2.1.2+pt24cpu", BuiltFor(torch=(2, 4), cpu=True)),
    # xformers on the PyTorch index (cu121, cu118)
    ("xformers", "0.0.28.post1+cu121", BuiltFor(cuda=(12, 1), torch_spec="==2.4.1")),
    ("xformers", "0.0.24+cu118", BuiltFor(cuda=(11, 8), torch_spec="==2.2.0")),
]


@pytest.mark.parametrize(("dist", "version", "expected"), LABELS)
def test_real_labels_say_what_they_were_built_for(dist, version, expected):
    found = ext.built_for(CATALOG.by_dist(dist), version)
    assert (found.torch, found.cuda, found.cpu, found.cxx11_abi, found.torch_spec) == (
        expected.torch, expected.cuda, expected.cpu, expected.cxx11_abi, expected.torch_spec)


def test_a_requires_dist_pin_wins_over_the_data():
    found = ext.built_for(CATALOG.by_dist("xformers"), "0.0.28.post1", ["numpy", "torch==2.4.1"])
    assert found.torch_spec == "==2.4.1"
    assert found.evidence == ("Requires-Dist: torch==2.4.1",)


def test_loose_requirements_and_extras_are_not_a_build():
    found = ext.built_for(CATALOG.by_dist("flash-attn"), "2.6.3", ["torch", "einops", 'torch>=2; extra == "dev"'])
    assert found == BuiltFor()
    assert not found.known


@pytest.mark.parametrize("label", ["cu12torch2", "pt2cu121", "cu12torch2.6cxx11abiMAYBE", "pt24cu", "xyz", ""])
def test_labels_that_do_not_parse(label):
    assert ext.parse_label("flash-attn", label) is None
    assert ext.parse_label("pyg", label) is None


COMPARISONS = [
    # xformers 0.0.28.post1 on torch 2.5.1: the pin is not met (the CHANGELOG pin; pip would downgrade torch)
    (BuiltFor(cuda=(12, 1), torch_spec="==2.4.1"), TorchBuild("2.5.1+cu121", "12.1", None, False),
     [Mismatch("pin", "torch==2.4.1", "torch 2.5.1")]),
    # a cu12 flash-attn asset on a cu124 torch of the same X.Y and ABI fits (CUDA minor compatibility)
    (BuiltFor(torch=(2, 4), cuda=(12, 3), cxx11_abi=False), TorchBuild("2.4.1+cu124", "12.4", None, False), []),
    # the same asset on a cu118 torch: another CUDA major
    (BuiltFor(torch=(2, 4), cuda=(12, 3), cxx11_abi=False), TorchBuild("2.4.1+cu118", "11.8", None, False),
     [Mismatch("cuda", "CUDA 12.3", "CUDA 11.8")]),
    # cxx11abiFALSE asset on a 2.7 torch (C++11 ABI from 2.7)
    (BuiltFor(torch=(2, 7), cuda=(12, None), cxx11_abi=False), TorchBuild("2.7.1+cu126", "12.6", None, True),
     [Mismatch("abi", "cxx11abiFALSE", "cxx11abiTRUE")]),
    # a +pt24cpu PyG wheel beside a CUDA torch 2.4: runs CPU tensors only
    (BuiltFor(torch=(2, 4), cpu=True), TorchBuild("2.4.0+cu121", "12.1"), [Mismatch("cpu", "CPU only", "CUDA 12.1")]),
    # unknown ABI on either side is no mismatch
    (BuiltFor(torch=(2, 6), cuda=(12, None), cxx11_abi=True), TorchBuild("2.6.0+cu126", "12.6", None, None), []),
]


@pytest.mark.parametrize(("built", "torch", "expected"), COMPARISONS)
def test_compare(built, torch, expected):
    assert ext.compare(built, torch) == expected


@pytest.mark.parametrize(("version", "abi"), [
    ("2.4.1+cu124", False), ("2.7.0", True), ("2.13.0+cpu", True), ("1.13.1", False),
    # 2.6 per variant: cu126 C++11 ABI (pytorch/pytorch PR 142064), CPU/CUDA 11.8/12.4 and PyPI's plain 2.6.0 (its
    # cu124 build) not (issue 143962); ROCm's not settled
    ("2.6.0+cu126", True), ("2.6.0+cu124", False), ("2.6.0+cu118", False), ("2.6.0+cpu", False), ("2.6.0", False),
    ("2.6.0+rocm6.2.4", None),
    # the PyTorch index's C++11 ABI CPU builds (pytorch/xla issue 8641, pytorch/pytorch issue 129461)
    ("2.6.0+cpu.cxx11.abi", True), ("2.3.1+cpu.cxx11.abi", True),
])
def test_torch_abi_of_pytorch_wheels(version, abi):
    """Up to 2.5 pre-C++11 ABI, 2.6 per variant, from 2.7 C++11 ABI (test-infra PR 6303)."""
    assert ext.torch_cxx11_abi(version, CATALOG) is abi
    assert ext.torch_cxx11_abi(version, CATALOG, official=False) is None


@given(major=st.integers(1, 3), minor=st.integers(0, 19), cuda_major=st.integers(10, 13), cuda_minor=st.integers(0, 9),
       abi=st.booleans(), full=st.booleans())
def test_flash_attn_labels_read_back(major, minor, cuda_major, cuda_minor, abi, full):
    """A label written the way flash-attention's setup.py writes it reads back as what it was built for."""
    cu = f"{cuda_major}{cuda_minor}" if full else f"{cuda_major}"
    label = f"cu{cu}torch{major}.{minor}cxx11abi{str(abi).upper()}"
    assert ext.parse_label("flash-attn", label) == BuiltFor(
        torch=(major, minor), cuda=(cuda_major, cuda_minor if full else None), cxx11_abi=abi,
        evidence=(f"label +{label}",))


@given(major=st.integers(1, 9), minor=st.integers(0, 19), cuda=st.one_of(st.none(), st.tuples(st.integers(9, 13),
                                                                                               st.integers(0, 9))))
def test_pyg_labels_read_back(major, minor, cuda):
    """A label written the way the PyG index names wheels (pt + X + Y, cuXY or cpu) reads back."""
    label = f"pt{major}{minor}" + (f"cu{cuda[0]}{cuda[1]}" if cuda else "cpu")
    assert ext.parse_label("pyg", label) == BuiltFor(torch=(major, minor), cuda=cuda, cpu=cuda is None,
                                                     evidence=(f"label +{label}",))


def test_builtin_catalog_names_every_project():
    keys = {e.key for e in CATALOG.extensions}
    assert keys == {"flash-attn", "xformers", "apex", "bitsandbytes", "torch-scatter", "mmcv", "detectron2",
                    "deepspeed", "vllm", "torchao", "triton"}
    assert {"torch-scatter", "torch-sparse", "torch-cluster", "pyg-lib"} <= set(CATALOG.by_dist("torch_sparse").dists)


def _broken(text: str) -> list[str]:
    with pytest.raises(ExtensionDataError) as caught:
        ext.parse_catalog(text, "extensions.toml")
    return caught.value.problems


GOOD_ABI = '[torch_abi]\ncxx11_from = "2.7"\nsource = ["x"]\n'


def test_data_problems_name_file_entry_and_problem():
    head = f'schema = "{ext.SCHEMA}"\n{GOOD_ABI}'
    assert _broken(head + '[extension.a]\ndists = ["A_B"]\nimport = "a"\ncompiled = true\ncoupling = "torch-abi"\n'
                          'label = "pyg"\nwheels = "source"\nsource = ["s"]\nwheel_url = "http://x"\n') == [
        "extensions.toml: extension 'a': 'dists' must be a non-empty list of normalised distribution names "
        "(a-z, 0-9, '-')",
        "extensions.toml: extension 'a': 'wheel_url' must be an https URL",
    ]
    assert _broken(head + '[extension.a]\ndists = ["a"]\nimport = "a"\ncompiled = 1\ncoupling = "glue"\n'
                          'label = "pyg"\nwheels = "source"\nsource = ["s"]\ntorch_pins = {"0.1" = "=>2"}\n') == [
        "extensions.toml: extension 'a': 'coupling' must be one of torch-abi, torch-pin, pinned-by-torch, "
        "cuda-runtime, jit, not 'glue'",
        "extensions.toml: extension 'a': 'compiled' must be true or false",
        "extensions.toml: extension 'a': torch_pins '0.1': '=>2' is not a version specifier",
    ]
    assert _broken('schema = "x"\n') == ["extensions.toml: schema must be 'envdoctor.recipes.extensions/1', not 'x'",
                                         "extensions.toml: [torch_abi] needs 'cxx11_from' (a torch release) and "
                                         "'source' (a list)",
                                         "extensions.toml: needs [extension.NAME] tables"]


def test_abi_per_variant_and_asset_eras_are_checked():
    row = ('[extension.a]\ndists = ["a"]\nimport = "a"\ncompiled = true\ncoupling = "torch-abi"\nlabel = "none"\n'
           'wheels = "source"\nsource = ["s"]\n')
    head = f'schema = "{ext.SCHEMA}"\n{GOOD_ABI}'
    assert _broken(head + '[torch_abi.per_variant."2.6"]\ncxx11 = ["cu126"]\npre_cxx11 = ["cu126"]\nsource = ["s"]\n'
                   + row) == ["extensions.toml: [torch_abi.per_variant] '2.6': 'cxx11' and 'pre_cxx11' are lists of "
                              "variants, none in both"]
    assert _broken(head + '[torch_abi.per_variant."2.6"]\ncxx11 = ["cu126"]\nplain = "cu124"\nsource = ["s"]\n'
                   + row) == ["extensions.toml: [torch_abi.per_variant] '2.6': 'plain' must be one of the variants "
                              "listed"]
    assert _broken(head + '[torch_abi.per_variant."2.6"]\ncxx11 = ["cu126"]\n' + row) == [
        "extensions.toml: [torch_abi.per_variant] '2.6': keys are cxx11, plain, pre_cxx11, source; 'source' is a list"]
    assert _broken(head + row + 'wheel_cuda_tags = { "12" = "123" }\n') == [
        "extensions.toml: extension 'a': 'wheel_cuda_tags' must map a release to a table of CUDA major = digits"]


@pytest.mark.parametrize(("release", "cuda_major", "tag"), [
    # the CUDA part of real asset names (recipes/extensions.toml lists the download URLs)
    ("2.3.2", 11, "118"), ("2.4.2", 12, "122"), ("2.5.8", 12, "122"), ("2.6.0.post1", 12, "122"), ("2.6.1", 12, "123"),
    ("2.6.3", 12, "123"), ("2.7.0.post1", 11, "11"), ("2.7.0.post1", 12, "12"), ("2.8.1", 12, "12"),
])
def test_flash_attn_asset_cuda_tag_per_release(release, cuda_major, tag):
    assert CATALOG.by_dist("flash-attn").wheel_cuda_tag(release, cuda_major) == tag


def test_recipes_validate_still_passes_with_the_new_file():
    from envdoctor.recipes import validate

    assert validate() == []


# ---------------------------------------------------------------------------- a real venv


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv beside the test interpreter's torch 2.13.0 CPU, the extension wheels installed by pip."""
    from extension_wheels import build_all

    root = tmp_path_factory.mktemp("extensions")
    python = venv_beside_torch(root / "venv")
    wheels = build_all(root / "wheels")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", *map(str, wheels)],
                   check=True, timeout=600)
    return python


pytestmark_posix = pytest.mark.skipif(os.name != "posix", reason="POSIX venv layout")


@pytestmark_posix
@pytest.mark.needs_torch
def test_check_names_each_extension_built_for_another_torch(venv):
    done = subprocess.run([sys.executable, "-m", "envdoctor", "check", "--python", venv, "--json"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    report = json.loads(done.stdout)
    installed = {e["name"]: e["version"] for e in report["facts"]["extensions"]["installed"]}
    assert installed == {"xformers": "0.0.28.post1+cu121", "flash-attn": "2.6.3+cu123torch2.4cxx11abiFALSE",
                         "torch-scatter": "2.1.2+pt24cu121", "torch-sparse": "0.6.18+pt212cu130",
                         "torch-cluster": "1.6.3+pt213cpu", "apex": "0.1"}
    found = {(f["id"], f["message"].split(" ")[0]): f for f in report["findings"] if "extension" in f["id"]}
    assert sorted(found) == [
        ("torch.extension-build-unknown", "apex"),
        ("torch.extension-mismatch", "flash-attn"),
        ("torch.extension-mismatch", "torch-scatter"),
        ("torch.extension-mismatch", "torch-sparse"),
        ("torch.extension-mismatch", "xformers"),
    ]  # torch-cluster +pt213cpu fits the CPU torch 2.13.0: no finding
    xformers = found[("torch.extension-mismatch", "xformers")]
    assert xformers["message"] == (
        "xformers 0.0.28.post1+cu121 was built for torch==2.4.1, CUDA 12.1, but this environment has torch 2.13.0+cpu, "
        "no CUDA, cxx11abiTRUE; importing it fails: WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. "
        "xFormers was built for: PyTorch X (you have Y)")
    assert xformers["fix"] == ("install the xformers release built for torch 2.13.0 (its prebuilt wheels pin one "
                               "torch), or the torch it pins: torch==2.4.1")
    scatter = found[("torch.extension-mismatch", "torch-scatter")]
    assert scatter["evidence"] == ["label +pt24cu121", "torch: built for torch 2.4, installed torch 2.13",
                                   "cuda: built for CUDA 12.1, installed a torch without CUDA"]
    assert scatter["fix"].startswith("pip install --force-reinstall --no-deps torch-scatter -f ")
    assert scatter["fix"].endswith("/whl/torch-2.13.0+cpu.html (the PyG wheels built for torch 2.13.0+cpu)")
    assert found[("torch.extension-mismatch", "flash-attn")]["evidence"] == [
        "label +cu123torch2.4cxx11abiFALSE", "torch: built for torch 2.4, installed torch 2.13",
        "cuda: built for CUDA 12.3, installed a torch without CUDA", "abi: built for cxx11abiFALSE, installed cxx11abiTRUE"]
    assert all(f["severity"] == "error" for key, f in found.items() if key[0] == "torch.extension-mismatch")


def test_recipes_validate_checks_extensions_too(tmp_path):
    (tmp_path / "extensions.toml").write_text('schema = "envdoctor.recipes.extensions/0"\n')
    done = subprocess.run([sys.executable, "-m", "envdoctor", "recipes", "validate", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "error: extensions.toml: schema must be 'envdoctor.recipes.extensions/1', not " \
           "'envdoctor.recipes.extensions/0'" in done.stderr.splitlines()


def _facts(torch_version: str, cuda: str | None, installed, torch_requires=(), conda=False):
    from envdoctor.facts import ExtensionFacts, Facts, InstalledExtension

    facts = Facts()
    facts.torch.status, facts.torch.version, facts.torch.cuda, facts.torch.conda = "ok", torch_version, cuda, conda
    facts.extensions = ExtensionFacts(status="ok", installed=[InstalledExtension(*row) for row in installed],
                                      torch_requires=list(torch_requires))
    return facts


def test_a_triton_other_than_the_one_torch_pins_is_a_mismatch():
    """torch 2.13.0's METADATA (shared/reference/raw/pypi/metadata) pins triton==3.7.1 on Linux."""
    pin = 'triton==3.7.1; platform_system == "Linux" and python_version < "3.15"'
    facts = _facts("2.13.0", "12.8", [("triton", "3.6.0", "/site")], [pin])
    [finding] = ext.torch_extensions_match(facts, None)
    assert (finding.id, finding.severity) == ("torch.extension-mismatch", "error")
    assert finding.evidence == ["torch Requires-Dist: triton==3.7.1", "installed: triton 3.6.0"]
    assert list(ext.torch_extensions_match(_facts("2.13.0", "12.8", [("triton", "3.7.1", "/site")], [pin]), None)) == []


def test_a_conda_torch_has_no_known_abi_so_only_torch_and_cuda_are_compared():
    facts = _facts("2.4.1", "12.4", [("flash-attn", "2.6.3+cu123torch2.4cxx11abiTRUE", "/site", ["torch"])], conda=True)
    assert list(ext.torch_extensions_match(facts, None)) == []
    facts.torch.conda = False  # PyTorch's own 2.4 wheel: pre-C++11 ABI
    [finding] = ext.torch_extensions_match(facts, None)
    assert finding.evidence[-1] == "abi: built for cxx11abiTRUE, installed cxx11abiFALSE"


def test_no_torch_no_extension_findings():
    facts = _facts("2.4.1", None, [("torch-scatter", "2.1.2+pt24cu121", "/site")])
    facts.torch.status = "absent"
    assert list(ext.torch_extensions_match(facts, None)) == []
