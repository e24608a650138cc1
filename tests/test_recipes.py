"""The built-in recipes load and validate; bad files are reported by file, entry and problem."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from packaging.version import Version

from envdoctor.recipes import RecipeError, load_recipes, validate

FIXTURES = Path(__file__).parent / "fixtures" / "recipes"


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def test_builtin_recipes_validate_cleanly():
    assert validate() == []


def test_every_pypi_release_from_1_8_to_2_15_is_present(recipes):
    versions = [r.version for r in recipes.releases]
    for expected in ("1.8.0", "1.10.2", "1.13.1", "2.0.1", "2.2.2", "2.5.1", "2.7.1", "2.10.0", "2.12.1", "2.14.1", "2.15.0"):
        assert expected in versions
    assert versions[0] == "2.15.0"
    assert [Version(v) for v in versions] == sorted((Version(v) for v in versions), reverse=True)


def test_every_release_and_table_names_a_source(recipes):
    assert all(r.source for r in recipes.releases)
    assert all(v.source for r in recipes.releases for v in r.variants)
    assert all(t.source for t in recipes.toolkits)
    assert all(f.source for f in recipes.families.values())


def test_loading_is_fast_enough():
    start = time.perf_counter()
    for _ in range(5):
        load_recipes()
    assert (time.perf_counter() - start) / 5 < 0.25  # the 50 ms budget is measured by benchmarks/bench_recipes.py


@pytest.mark.parametrize(
    "folder, expected",
    [
        ("bad_arch", ['bad_arch/torch.toml: release "2.5.1" variant "cu124": arch "sm_9O" is not sm_NN']),
        ("bad_driver", ['bad_driver/cuda_drivers.toml: toolkit "12.4.1": linux driver is not a version',
                        "bad_driver/cuda_drivers.toml: family row", "'major' must be an integer"]),
        ("bad_toml", ["bad_toml/gpus.toml: not valid TOML"]),
        ("unknown_file", ["unknown_file/torhc.toml: unknown recipe file"]),
    ],
    ids=["arch-typo", "driver-not-a-version", "truncated-toml", "misspelt-file"],
)
def test_bad_overlays_are_reported_with_file_entry_and_problem(folder, expected):
    problems = validate(FIXTURES / folder)
    text = "\n".join(problems)
    for fragment in expected:
        assert fragment in text
    with pytest.raises(RecipeError) as info:
        load_recipes([FIXTURES / folder])
    assert folder in str(info.value)


def test_arch_typo_does_not_cascade_into_other_errors():
    problems = validate(FIXTURES / "bad_arch")
    assert all("sm_9O" in p for p in problems)


def test_overlay_adds_a_release_and_a_gpu_and_rewrites_index_urls():
    recipes = load_recipes([FIXTURES / "new_release", FIXTURES / "mirror"])
    assert recipes.releases[0].version == "2.16.0"
    assert recipes.gpu_compute_capability("NVIDIA Example Accelerator 9000") == "8.9"
    assert recipes.rewrite_url("https://download.pytorch.org/whl/cu126") == "https://mirror.example.internal/pytorch-whl/cu126"
    assert recipes.rewrite_url("https://pypi.org/simple") == "https://pypi.org/simple"


@pytest.mark.parametrize(
    "name, cc",
    [
        ("NVIDIA GeForce RTX 3090", "8.6"),
        ("NVIDIA H100 80GB HBM3", "9.0"),
        ("Tesla T4", "7.5"),
        ("NVIDIA A100-SXM4-80GB", "8.0"),
        ("NVIDIA GeForce RTX 2080 SUPER", "7.5"),
        ("nvidia geforce gtx 1080 ti", "6.1"),
        ("NVIDIA RTX 6000 Ada Generation", "8.9"),
        ("Quadro RTX 6000", "7.5"),
        ("NVIDIA L40S", "8.9"),
        ("NVIDIA L40", "8.9"),
        ("NVIDIA GeForce RTX 5090", "12.0"),
        ("NVIDIA GeForce RTX 4090 Laptop GPU", "8.9"),
        ("Tesla V100-SXM2-16GB", "7.0"),
        ("NVIDIA H200", "9.0"),
        ("sm_120", "12.0"),
        ("NVIDIA Made Up 1234", None),
        ("", None),
        ("   ", None),
    ],
)
def test_gpu_names_map_to_compute_capability(recipes, name, cc):
    assert recipes.gpu_compute_capability(name) == cc


def test_amd_names_and_rocm_archs(recipes):
    assert recipes.amd_gfx("AMD Instinct MI250X") == "gfx90a"
    assert recipes.amd_gfx("AMD Radeon RX 7900 XTX") == "gfx1100"
    assert "gfx942" in recipes.rocm_gfx("6.1")
    assert "gfx942" not in recipes.rocm_gfx("5.7")
    assert recipes.rocm_gfx("99.0") == ()


@pytest.mark.parametrize(
    "driver, os, cuda",
    [
        ("550.54.15", "linux", "12.4"),
        ("550.40.07", "linux", "12.4"),  # judged by branch: every R550 driver reports 12.4
        ("535.104.05", "linux", "12.2"),
        ("525.147.05", "linux", "12.0"),
        ("470.82.01", "linux", "11.4"),
        ("580.65.06", "linux", "13.0"),
        ("595.71.05", "linux", "13.2"),
        ("565.57.01", "linux", "12.6"),  # no 12.7 toolkit: the newest known below
        ("551.61", "windows", "12.4"),
        ("537.13", "windows", "12.2"),
        ("591.86", "windows", "13.0"),
        ("not-a-driver", "linux", None),
        ("", "linux", None),
    ],
)
def test_driver_to_newest_cuda(recipes, driver, os, cuda):
    assert recipes.driver_max_cuda(driver, os) == cuda


def test_toolkit_drivers_and_family_floors_keep_their_spelling(recipes):
    assert str(recipes.toolkit_driver("12.6.3", "linux")) == "560.35.05"
    assert str(recipes.toolkit_driver("12.4", "windows")) == "551.61"
    assert str(recipes.family_floor(13, "linux")) == "580.65.06"
    assert str(recipes.family_floor(12, "windows")) == "528.33"
    assert str(recipes.family_floor(11, "linux")) == "450.80.02"
    assert recipes.family_floor(10, "linux") is None


@pytest.mark.parametrize(
    "torch, variant, cc, covered",
    [
        ("2.5.1", "cu124", "8.9", True),  # sm_86 SASS runs on 8.9 (same major)
        ("2.5.1", "cu124", "12.0", False),  # RTX 5090: no Blackwell kernels, no PTX
        ("2.7.1", "cu128", "12.0", True),
        ("2.7.1", "cu128", "6.1", False),  # cu128 dropped Maxwell/Pascal
        ("2.11.0", "cu128", "7.0", False),  # and Volta from 2.11
        ("2.10.0", "cu128", "7.0", True),
        ("2.13.0", "cu130", "6.1", False),
        ("2.13.0", "cu130", "12.1", True),  # GB10: sm_120 SASS, same major
        ("2.13.0", "cu126", "6.1", True),
        ("2.13.0", "cu130", "13.0", True),  # a future major through PTX 12.0
        ("2.8.0", "cu128", "13.0", False),  # 2.8 cu128 carries no PTX
        ("2.0.1", "cu118", "3.7", True),
        ("1.12.1", "cu102", "8.0", False),
        ("2.5.1", "cu124", "garbage", False),
    ],
)
def test_covers_arch(recipes, torch, variant, cc, covered):
    recipe = recipes.find_variant(torch, variant)
    assert recipe is not None
    assert recipes.covers_arch(recipe, cc) is covered


def test_ptx_of_cuda_13_builds_is_linux_only(recipes):
    recipe = recipes.find_variant("2.13.0", "cu130")
    assert recipes.covers_arch(recipe, "13.0", "linux-x86_64")
    assert not recipes.covers_arch(recipe, "13.0", "windows-x86_64")


def test_find_variant_accepts_local_versions_and_misses_cleanly(recipes):
    assert recipes.find_variant("2.5.1+cu124", "cu124").cuda == "12.4"
    assert recipes.find_variant("2.5.1", "cu999") is None
    assert recipes.find_variant("9.9.9", "cpu") is None
    assert recipes.find_variant("not a version", "cpu") is None


def test_release_facts_from_pypi(recipes):
    assert recipes.release("2.15.0").pypi["linux-x86_64"] == "cu132"
    assert recipes.release("2.13.0").pypi["linux-x86_64"] == "cu130"
    assert recipes.release("2.11.0").torchaudio == "2.11.0"
    assert recipes.release("2.12.0").torchaudio is None
    assert "3.13t" in recipes.release("2.12.0").python["linux-x86_64"]
    assert "3.13t" not in recipes.release("2.12.1").python["linux-x86_64"]
    assert "macos-x86_64" in recipes.release("2.2.2").platforms
    assert "macos-x86_64" not in recipes.release("2.3.0").platforms
    assert recipes.release("2.12.0").macos_min["macos-arm64"] == "14.0"
    assert recipes.release("1.9.1").platforms == ("linux-x86_64", "windows-x86_64", "macos-x86_64")
    assert recipes.release("2.2.0").variant("rocm5.6") and not recipes.release("2.2.0").variant("rocm5.7")
