"""The compatibility data against its published sources.

Every expected value below is written here from the source named beside its table (the recipe audit's
evidence in shared/reference/recipe-audit-2026-11/evidence/, NVIDIA's Table 3, PyTorch's build scripts,
PyPI wheel metadata), not computed by envdoctor's own helpers. A change to the data that disagrees with a
source fails here; a change of source means changing the table and its citation together.
"""

from __future__ import annotations

import re
import sys

import pytest
from packaging.version import Version

from envdoctor import compat
from envdoctor.recipes import builtin_dir, load_recipes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PLATFORMS = ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64", "macos-x86_64")


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def raw(name: str) -> dict:
    return tomllib.loads((builtin_dir() / name).read_text(encoding="utf-8"))


def sm(arch_list: str) -> tuple[str, ...]:
    """A TORCH_CUDA_ARCH_LIST as the build scripts write it ('7.5;8.0;12.0') -> ('sm_75', 'sm_80', 'sm_120')."""
    return tuple("sm_" + item.replace(".", "") for item in arch_list.split(";") if item)


# ---------------------------------------------------------------------------- kernel architectures
# TORCH_CUDA_ARCH_LIST per build, as quoted in evidence/external-sources.md:
#   Linux x86_64: pytorch .ci/manywheel/build_cuda.sh @00c7a380 (2.8: 12.6, 12.8, 12.9) and @799d09f2 (13.0);
#                 pytorch/builder manywheel/build_cuda.sh (cu10x/cu11x/cu118/cu12x up to 2.5)
#   Linux aarch64: pytorch .ci/aarch64_linux/aarch64_ci_build.sh @0fb2b95f (12.6, 12.8, 13.0), @04c5727d (12.9)
#   Windows: pytorch .ci/pytorch/windows/cuda118.bat @74fabf1d, cuda126.bat @18f79c00, cuda128.bat @07619f94,
#            cuda129.bat @1a1a3262, cuda130.bat @525a5e5d ("+PTX" only where written)
# "PTX" is the architecture of the "+PTX" entry. 2.7 cu128 Linux x86_64 is secondary (PR pytorch#146265);
# 2.8 aarch64 cu129 leaves out the script's "11.0" (CUDA 12.9 predates Thor's 11.0 numbering).
KERNELS = [
    ("1.12.1", "cu102", "linux-x86_64", "3.7;5.0;6.0;7.0", ""),
    ("2.5.1", "cu118", "linux-x86_64", "3.7;5.0;6.0;7.0;7.5;8.0;8.6;9.0", ""),
    ("2.5.1", "cu118", "windows-x86_64", "3.7;5.0;6.0;6.1;7.0;7.5;8.0;8.6;9.0", "3.7"),
    ("2.7.1", "cu128", "linux-x86_64", "7.5;8.0;8.6;9.0;10.0;12.0", "12.0"),
    ("2.7.1", "cu128", "windows-x86_64", "7.5;8.0;8.6;9.0;10.0;12.0", ""),
    # pytorch#146378: the CUDA 12.8 aarch64 build is 9.0;10.0;12.0; sm_80 only from pytorch#157843 (after 2.7.1)
    ("2.7.1", "cu128", "linux-aarch64", "9.0;10.0;12.0", ""),
    ("2.8.0", "cu126", "linux-x86_64", "5.0;6.0;7.0;7.5;8.0;8.6;9.0", ""),
    ("2.8.0", "cu126", "windows-x86_64", "5.0;6.0;6.1;7.0;7.5;8.0;8.6;9.0", ""),
    ("2.8.0", "cu128", "linux-x86_64", "7.0;7.5;8.0;8.6;9.0;10.0;12.0", ""),
    ("2.8.0", "cu128", "windows-x86_64", "7.5;8.0;8.6;9.0;10.0;12.0", ""),
    ("2.8.0", "cu129", "linux-x86_64", "7.0;7.5;8.0;8.6;9.0;10.0;12.0", "12.0"),
    ("2.8.0", "cu129", "windows-x86_64", "7.5;8.0;8.6;9.0;10.0;12.0", ""),
    ("2.8.0", "cu129", "linux-aarch64", "8.0;9.0;10.0;12.0;12.1", ""),
    ("2.9.1", "cu128", "windows-x86_64", "7.5;8.0;8.6;9.0;10.0;12.0", ""),
    ("2.10.0", "cu128", "linux-x86_64", "7.0;7.5;8.0;8.6;9.0;10.0;12.0", ""),
    ("2.10.0", "cu130", "windows-x86_64", "7.5;8.0;8.6;9.0;10.0;12.0", ""),
    ("2.11.0", "cu128", "linux-x86_64", "7.5;8.0;8.6;9.0;10.0;12.0", ""),
    ("2.13.0", "cu126", "linux-aarch64", "8.0;9.0", ""),
    ("2.13.0", "cu130", "linux-x86_64", "7.5;8.0;8.6;9.0;10.0;12.0", "12.0"),
    ("2.13.0", "cu130", "linux-aarch64", "8.0;9.0;10.0;11.0;12.0", "12.0"),
    ("2.13.0", "cu130", "windows-x86_64", "7.5;8.0;8.6;9.0;10.0;12.0", ""),
]


@pytest.mark.parametrize("torch, variant, platform, sass, ptx", KERNELS)
def test_kernel_lists_match_the_build_scripts(recipes, torch, variant, platform, sass, ptx):
    recipe = recipes.find_variant(torch, variant)
    assert platform in recipe.platforms
    assert recipe.kernels_for(platform) == (sm(sass), sm(ptx))


def test_windows_cu128_and_later_carry_neither_volta_nor_ptx(recipes):
    """cuda128.bat / cuda129.bat / cuda130.bat: '7.5;8.0;8.6;9.0;10.0;12.0', no 7.0, no +PTX (audit #3)."""
    for release in recipes.releases:
        for variant in release.variants:
            cuda = tuple(int(part) for part in (variant.cuda or "0.0").split("."))
            if variant.kind == "cuda" and cuda >= (12, 8) and "windows-x86_64" in variant.platforms:
                sass, ptx = variant.kernels_for("windows-x86_64")
                assert "sm_70" not in sass and ptx == (), (release.version, variant.name)


def test_2_7_cu128_is_built_for_linux_aarch64(recipes):
    """PyTorch 2.7 release blog: CUDA 12.8 wheels 'for Linux x86 and arm64' (audit #5); its aarch64 arch list is
    pytorch#146378's 9.0;10.0;12.0, so an A100 on aarch64 is not covered by 2.7."""
    variant = recipes.find_variant("2.7.0", "cu128")
    assert variant.platforms == ("linux-x86_64", "windows-x86_64", "linux-aarch64")
    assert "UNVERIFIED" not in variant.note
    assert variant.kernels_for("linux-aarch64") == (("sm_90", "sm_100", "sm_120"), ())


# ---------------------------------------------------------------------------- CUDA toolkits of the variants
# pytorch .ci/docker/common/install_cuda.sh @017943b7 (install_124 12.4.1, install_126 12.6.3, install_128 12.8.1,
# install_129 12.9.1, install_130 13.0.2); pytorch/builder common/install_cuda.sh (install_116 11.6.2,
# install_117 11.7.0 with the 11.7 Update 1 runtime on PyPI, install_121 12.1.1); 2.15 PyPI cuda-toolkit==13.2.2.
TOOLKITS = [
    ("1.13.1", "cu116", "11.6.2", "510.47.03", "511.65"),
    ("1.13.1", "cu117", "11.7.1", "515.48.07", "516.31"),
    ("2.3.1", "cu121", "12.1.1", "530.30.02", "531.14"),
    ("2.6.0", "cu124", "12.4.1", "550.54.15", "551.78"),
    ("2.14.1", "cu126", "12.6.3", "560.35.05", "561.17"),
    ("2.10.0", "cu128", "12.8.1", "570.124.06", "572.61"),
    ("2.8.0", "cu129", "12.9.1", "575.57.08", "576.57"),
    ("2.13.0", "cu130", "13.0.2", "580.95.05", None),
    ("2.15.0", "cu132", "13.2.2", "595.71.05", None),
]


@pytest.mark.parametrize("torch, variant, toolkit, linux, windows", TOOLKITS)
def test_variant_toolkits_and_their_table_3_drivers(recipes, torch, variant, toolkit, linux, windows):
    recipe = recipes.find_variant(torch, variant)
    assert recipe.toolkit == toolkit
    assert str(compat.toolkit_driver(toolkit, "linux", recipes.toolkits)) == linux
    on_windows = compat.toolkit_driver(toolkit, "windows", recipes.toolkits)
    assert (str(on_windows) if on_windows is not None else None) == windows


def test_every_cuda_variant_and_arch_list_cites_a_build_script():
    data = raw("torch.toml")
    for name, body in data["variant"].items():
        if body.get("kind") == "cuda":
            assert re.search(r"install_cuda\.sh|RELEASE\.md", body["toolkit_source"]), name
    for name, body in data["arch_lists"].items():
        assert re.search(r"build_cuda\.sh|aarch64_ci_build\.sh|windows/cuda1\d+\.bat", body["source"]), name
    for name, body in data["gfx_lists"].items():
        assert body["source"], name


# ---------------------------------------------------------------------------- ROCm gfx targets per release
# uv crates/uv-torch/src/backend.rs LINUX_AMD_GPU_DRIVERS: torch.cuda.get_arch_list() measured on each ROCm
# wheel (evidence/external-sources.md). rocm6.1 with gfx1101 is taken as 2.6.0's (audit #8); 2.4/2.5's
# rocm6.1 keep the builder list without it. rocm7.14 was not measured: unknown, marked UNVERIFIED.
ROCM6_0 = "gfx900 906 908 90a 942 1030 1100"
GFX = [
    # pytorch/builder manywheel/build_docker.sh: release/2.0 builds gfx900;gfx906;gfx908 + gfx90a;gfx1030 (ROCm >= 4.3);
    # release/2.1 and release/2.2 build gfx900;gfx906;gfx908;gfx90a;gfx1030;gfx1100 (3237101a, #1407)
    ("2.0.1", "rocm5.4.2", "gfx900 906 908 90a 1030"),
    ("2.1.2", "rocm5.6", "gfx900 906 908 90a 1030 1100"),
    ("2.2.2", "rocm5.7", "gfx900 906 908 90a 1030 1100"),
    ("2.2.0", "rocm5.6", "gfx900 906 908 90a 1030 1100"),
    ("2.3.1", "rocm6.0", ROCM6_0),
    ("2.5.1", "rocm6.2", ROCM6_0),
    ("2.4.1", "rocm6.1", ROCM6_0),
    ("2.6.0", "rocm6.1", ROCM6_0 + " 1101"),
    ("2.6.0", "rocm6.2.4", "gfx900 906 908 90a 942 1030 1100 1101 1102 1200 1201"),
    ("2.7.1", "rocm6.3", "gfx900 906 908 90a 942 1030 1100 1101 1102 1200 1201"),
    ("2.9.1", "rocm6.4", "gfx900 906 908 90a 942 1030 1100 1101 1102 1200 1201"),
    ("2.10.0", "rocm7.0", "gfx900 906 908 90a 942 950 1030 1100 1101 1102 1200 1201"),
    ("2.10.0", "rocm7.1", "gfx900 906 908 90a 942 950 1030 1100 1101 1102 1200 1201"),
    ("2.13.0", "rocm7.1", "gfx900 906 908 90a 942 950 1030 1100 1101 1102 1200 1201"),
    # gfx1103: pytorch#179653 landed 2026-04-17, after the 2.12 cut (#179788); release/2.13 is the first after it
    ("2.12.1", "rocm7.2", "gfx900 906 908 90a 942 950 1030 1100 1101 1102 1150 1151 1200 1201"),
    ("2.13.0", "rocm7.2", "gfx900 906 908 90a 942 950 1030 1100 1101 1102 1103 1150 1151 1200 1201"),
    # 2.14 builds ROCm 7.2 and 7.14 (pytorch/test-infra#8497, 00fa5780c)
    ("2.14.1", "rocm7.2", "gfx900 906 908 90a 942 950 1030 1100 1101 1102 1103 1150 1151 1200 1201"),
    ("2.14.1", "rocm7.14", ""),
]


@pytest.mark.parametrize("torch, variant, gfx", GFX)
def test_rocm_gfx_targets_per_release(recipes, torch, variant, gfx):
    expected = {("gfx" + g if not g.startswith("gfx") else g) for g in gfx.split()}
    recipe = recipes.find_variant(torch, variant)
    assert set(recipe.gfx) == expected
    if not expected:
        assert "UNVERIFIED" in recipe.note


def test_gfx1103_only_from_2_13_and_only_rocm7_2_carries_strix(recipes):
    """uv's measurements: gfx1103 (Radeon 780M) in no wheel up to 2.12 (unslothai/unsloth#9829 reads release/2.12
    without it); pytorch#179653 added it after the 2.12 cut. gfx1150/gfx1151 only from rocm7.2 (audit #2)."""
    for release in recipes.releases:
        for variant in release.variants:
            if "gfx1103" in variant.gfx:
                assert release.parsed >= Version("2.13") and variant.name == "rocm7.2", (release.version, variant.name)
            if "gfx1150" in variant.gfx or "gfx1151" in variant.gfx:
                assert variant.name == "rocm7.2", (release.version, variant.name)


def test_rocm_6_2_has_no_rdna3_and_rdna4_targets_beyond_gfx1100(recipes):
    """audit #1 (S1): the rocm6.2 wheels of 2.5.x carry gfx900, 906, 908, 90a, 942, 1030, 1100 only."""
    for version in ("2.5.0", "2.5.1"):
        gfx = recipes.find_variant(version, "rocm6.2").gfx
        assert not {"gfx1101", "gfx1102", "gfx1200", "gfx1201"} & set(gfx)


def test_every_rocm_variant_has_a_gfx_list(recipes):
    for release in recipes.releases:
        for variant in release.variants:
            if variant.kind == "rocm":
                assert variant.gfx or "UNVERIFIED" in variant.note, (release.version, variant.name)


# ---------------------------------------------------------------------------- companions
# Requires-Dist of the torchvision/torchaudio wheels (evidence/comp_pins.txt, torchaudio-2.11.1.txt).
PAIRS = [
    ("1.10.0", "0.11.1", "0.10.0"),  # 0.11.0 pins torch==1.10.0+cu102, unresolvable on PyPI (audit #4)
    ("1.10.2", "0.11.3", "0.10.2"),
    ("2.0.0", "0.15.1", "2.0.1"),  # 0.15.0 pins torch==2.0.0+cu117 likewise
    ("2.11.0", "0.26.0", "2.11.0"),
    # torchaudio 2.11.1: py3-none, Requires-Dist torch>=2.11 (evidence/torchaudio-2.11.1.txt): it pairs 2.12-2.14 too
    ("2.12.0", "0.27.0", "2.11.1"),
    ("2.13.0", "0.28.0", "2.11.1"),
    ("2.14.1", "0.29.1", "2.11.1"),  # 0.29.1: torch>=2.14.0, paired by upload date
    ("2.15.0", "0.29.2", "2.11.1"),  # both py3-none, uploaded with torch 2.15.0 (audit #7)
]


@pytest.mark.parametrize("torch, torchvision, torchaudio", PAIRS)
def test_companion_pairs_follow_the_wheel_metadata(recipes, torch, torchvision, torchaudio):
    release = recipes.release(torch)
    assert (release.torchvision, release.torchaudio) == (torchvision, torchaudio)


# evidence/companion-wheel-gaps.txt, verbatim but for 1.10.0's torchvision lines: 1.10.0 now pairs torchvision 0.11.1,
# which has linux-aarch64 wheels on PyPI (0.11.0 had none) and, like 0.11.0, no macOS arm64 wheels.
GAPS_EVIDENCE = """
1.8.0 linux-aarch64: torchvision 0.9.0 has no wheel for ['3.6', '3.7', '3.8', '3.9']
1.8.0 linux-aarch64: torchaudio 0.8.0 has no wheel for ['3.6', '3.7', '3.8', '3.9']
1.8.0 macos-arm64: torchvision 0.9.0 has no wheel for ['3.8']
1.8.0 macos-arm64: torchaudio 0.8.0 has no wheel for ['3.8']
1.8.1 linux-aarch64: torchaudio 0.8.1 has no wheel for ['3.6', '3.7', '3.8', '3.9']
1.9.0 linux-aarch64: torchaudio 0.9.0 has no wheel for ['3.6', '3.7', '3.8', '3.9']
1.10.0 macos-arm64: torchvision 0.11.1 has no wheel for ['3.8', '3.9']
1.10.0 macos-arm64: torchaudio 0.10.0 has no wheel for ['3.8', '3.9']
1.10.2 linux-x86_64: torchvision 0.11.3 has no wheel for ['3.6']
1.10.2 linux-x86_64: torchaudio 0.10.2 has no wheel for ['3.6']
1.12.0 macos-arm64: torchvision 0.13.0 has no wheel for ['3.7']
1.12.0 macos-arm64: torchaudio 0.12.0 has no wheel for ['3.7']
1.12.1 macos-arm64: torchvision 0.13.1 has no wheel for ['3.7']
1.12.1 macos-arm64: torchaudio 0.12.1 has no wheel for ['3.7']
1.13.0 linux-x86_64: torchvision 0.14.0 has no wheel for ['3.11']
1.13.0 linux-x86_64: torchaudio 0.13.0 has no wheel for ['3.11']
1.13.0 macos-arm64: torchvision 0.14.0 has no wheel for ['3.7']
1.13.0 macos-arm64: torchaudio 0.13.0 has no wheel for ['3.7']
1.13.1 linux-x86_64: torchvision 0.14.1 has no wheel for ['3.11']
1.13.1 linux-x86_64: torchaudio 0.13.1 has no wheel for ['3.11']
1.13.1 macos-arm64: torchvision 0.14.1 has no wheel for ['3.7']
1.13.1 macos-arm64: torchaudio 0.13.1 has no wheel for ['3.7']
2.5.0 linux-x86_64: torchvision 0.20.0 has no wheel for ['3.13']
2.5.0 linux-x86_64: torchaudio 2.5.0 has no wheel for ['3.13']
2.5.1 linux-x86_64: torchvision 0.20.1 has no wheel for ['3.13']
2.5.1 linux-x86_64: torchaudio 2.5.1 has no wheel for ['3.13']
"""
GAP_LINE = re.compile(r"^(\S+) (\S+): (torchvision|torchaudio) (\S+) has no wheel for \[(.*)\]$")


def _gaps() -> set[tuple[str, str, str, str]]:
    out = set()
    for line in GAPS_EVIDENCE.strip().splitlines():
        torch, platform, name, _, pythons = GAP_LINE.match(line).groups()
        out |= {(torch, name, platform, python.strip("' ")) for python in pythons.split(",")}
    return out


def test_companion_wheels_are_missing_exactly_where_pypi_has_none(recipes):
    """Every (release, companion, platform, Python) the data offers has a companion wheel but the listed gaps."""
    missing = set()
    for release in recipes.releases:
        for name in ("torchvision", "torchaudio"):
            if getattr(release, name) is None:
                continue
            for platform, pythons in release.python.items():
                missing |= {(release.version, name, platform, python) for python in pythons
                            if not release.companion_wheel(name, platform, python)}
    assert missing == _gaps()


@pytest.mark.parametrize(
    "torch, name, platform, python, wheel",
    [
        ("2.5.1", "torchvision", "linux-x86_64", "3.13", False),  # torchvision 0.20.x: no cp313
        ("2.5.1", "torchvision", "linux-x86_64", "3.12", True),
        ("1.13.1", "torchaudio", "linux-x86_64", "3.11", False),  # torchaudio 0.13.x: no cp311
        ("1.13.1", "torchvision", "linux-x86_64", "3.10", True),
        ("1.8.0", "torchvision", "linux-aarch64", "3.8", False),  # 1.8-1.10 companions: no aarch64
        ("1.10.0", "torchvision", "linux-aarch64", "3.8", True),  # 0.11.1 has aarch64 wheels
        ("2.7.1", "torchvision", "macos-arm64", "3.13t", True),  # torchvision 0.22.1 has cp313t macOS arm64
        ("2.11.0", "torchaudio", "windows-x86_64", "3.14t", True),
        ("2.13.0", "torchaudio", "linux-x86_64", "3.12", True),  # torchaudio 2.11.1 is py3-none
        ("2.12.0", "torchaudio", "linux-x86_64", "3.14t", True),
        ("2.15.0", "torchaudio", "linux-aarch64", "3.15t", True),  # 2.11.1 is py3-none, Requires-Python >=3.10
    ],
)
def test_companion_wheel_examples(recipes, torch, name, platform, python, wheel):
    assert recipes.release(torch).companion_wheel(name, platform, python) is wheel


def test_no_note_calls_torchaudio_2_11_0_the_last():
    text = (builtin_dir() / "torch.toml").read_text(encoding="utf-8")
    assert "last torchaudio" not in text


# ---------------------------------------------------------------------------- Python tags and macOS floors
# PyPI simple index of torch (wheel tags): the 2.7/2.8 cp313t and 2.10 cp313t/cp314/cp314t macOS arm64 wheels
# are macosx_14_0 while the others of those releases are macosx_11_0; every 2.12+ macOS wheel is macosx_14_0.
MACOS = [
    ("2.7.1", "3.13t", "14.0"),
    ("2.7.1", "3.13", "11.0"),
    ("2.8.0", "3.13t", "14.0"),
    ("2.9.1", "3.14", "11.0"),
    ("2.10.0", "3.14", "14.0"),
    ("2.10.0", "3.14t", "14.0"),
    ("2.10.0", "3.12", "11.0"),
    ("2.11.0", "3.14t", "11.0"),
    ("2.12.1", "3.12", "14.0"),
]


@pytest.mark.parametrize("torch, python, floor", MACOS)
def test_macos_arm64_wheels_and_their_floors(recipes, torch, python, floor):
    release = recipes.release(torch)
    assert python in release.python["macos-arm64"]
    assert release.macos_floor("macos-arm64", python) == floor


# ---------------------------------------------------------------------------- GPU names
# evidence/gpu-lookups.txt: 85 NVIDIA and 17 AMD device names as nvidia-smi / NVML / rocminfo print them, with
# the expected value from NVIDIA's CUDA GPUs pages (current and legacy) and AMD's GPU specifications.
NVIDIA_NAMES = [
    ("NVIDIA GeForce GTX 1080", "6.1"),
    ("NVIDIA GeForce GTX 1080 Ti", "6.1"),
    ("NVIDIA TITAN V", "7.0"),
    ("Tesla V100-SXM2-16GB", "7.0"),
    ("Tesla V100-PCIE-32GB", "7.0"),
    ("Tesla V100S-PCIE-32GB", "7.0"),
    ("Tesla T4", "7.5"),
    ("NVIDIA GeForce RTX 2080 Ti", "7.5"),
    ("NVIDIA A100-SXM4-80GB", "8.0"),
    ("NVIDIA A100 80GB PCIe", "8.0"),
    ("NVIDIA A100-SXM4-40GB", "8.0"),
    ("NVIDIA A10", "8.6"),
    ("NVIDIA A10G", "8.6"),
    ("NVIDIA L4", "8.9"),
    ("NVIDIA L40S", "8.9"),
    ("NVIDIA GeForce RTX 3090", "8.6"),
    ("NVIDIA GeForce RTX 3060", "8.6"),
    ("NVIDIA GeForce RTX 3060 Laptop GPU", "8.6"),
    ("NVIDIA GeForce RTX 4090", "8.9"),
    ("NVIDIA GeForce RTX 4070", "8.9"),
    ("NVIDIA H100 80GB HBM3", "9.0"),
    ("NVIDIA H100 PCIe", "9.0"),
    ("NVIDIA H100 NVL", "9.0"),
    ("NVIDIA H200", "9.0"),
    ("NVIDIA H200 NVL", "9.0"),
    ("NVIDIA GH200 480GB", "9.0"),
    ("NVIDIA B200", "10.0"),
    ("NVIDIA GB200", "10.0"),
    ("NVIDIA GeForce RTX 5090", "12.0"),
    ("NVIDIA GeForce RTX 5080", "12.0"),
    ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "12.0"),
    ("NVIDIA RTX PRO 6000 Blackwell Workstation Edition", "12.0"),
    ("NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition", "12.0"),
    ("Orin", "8.7"),
    ("NVIDIA Jetson AGX Orin", "8.7"),
    ("Xavier", "7.2"),
    ("NVIDIA Jetson AGX Xavier", "7.2"),
    ("NVIDIA RTX 6000 Ada Generation", "8.9"),
    ("Quadro RTX 6000", "7.5"),
    ("NVIDIA RTX A6000", "8.6"),
    ("NVIDIA A800-SXM4-80GB", "8.0"),
    ("NVIDIA A800 80GB PCIe", "8.0"),
    ("NVIDIA L20", "8.9"),
    ("NVIDIA GeForce RTX 2050", "8.6"),
    ("NVIDIA GeForce MX450", "7.5"),
    ("Tesla K80", "3.7"),
    ("Tesla P100-PCIE-16GB", "6.0"),
    ("Tesla P40", "6.1"),
    ("NVIDIA GeForce RTX 4090 D", "8.9"),
    ("NVIDIA B300", "10.3"),
    ("NVIDIA GB10", "12.1"),
    ("NVIDIA GeForce RTX 5060 Laptop GPU", "12.0"),
    ("NVIDIA GeForce GTX 1650", "7.5"),
    ("NVIDIA GeForce GTX 1630", "7.5"),
    ("NVIDIA RTX A4000", "8.6"),
    ("NVIDIA RTX A1000", "8.6"),
    ("NVIDIA RTX 4000 SFF Ada Generation", "8.9"),
    ("Quadro P4000", "6.1"),
    ("Quadro P1000", "6.1"),
    ("NVIDIA RTX 2000 Ada Generation", "8.9"),
    ("NVIDIA L40", "8.9"),
    ("NVIDIA A30", "8.0"),
    ("NVIDIA A40", "8.6"),
    ("NVIDIA A2", "8.6"),
    ("NVIDIA A16", "8.6"),
    ("NVIDIA H800", "9.0"),
    ("NVIDIA H20", "9.0"),
    ("NVIDIA TITAN RTX", "7.5"),
    ("NVIDIA TITAN Xp", "6.1"),
    ("NVIDIA GeForce RTX 3050 Ti Laptop GPU", "8.6"),
    ("NVIDIA GeForce RTX 5070 Ti", "12.0"),
    ("NVIDIA GeForce GTX 1660 SUPER", "7.5"),
    ("Tesla M60", "5.2"),
    ("Tesla M40 24GB", "5.2"),
    ("Tesla P4", "6.1"),
    ("NVIDIA GeForce GTX 980 Ti", "5.2"),
    ("NVIDIA GeForce GTX TITAN X", "5.2"),
    ("NVIDIA GeForce GTX 1050 Ti", "6.1"),
    ("Quadro GV100", "7.0"),
    ("NVIDIA RTX A5000", "8.6"),
    ("NVIDIA RTX 5000 Ada Generation", "8.9"),
    ("NVIDIA GeForce RTX 4060 Ti", "8.9"),
    ("NVIDIA GeForce RTX 4080 SUPER", "8.9"),
    ("NVIDIA H100 SXM5 80GB", "9.0"),
    ("NVIDIA GB300", "10.3"),
]
AMD_NAMES = [
    ("AMD Instinct MI250X", "gfx90a"),
    ("AMD Instinct MI250X/MI250", "gfx90a"),
    ("AMD Instinct MI300X", "gfx942"),
    ("AMD Instinct MI300X OAM", "gfx942"),
    ("AMD Radeon RX 7900 XTX", "gfx1100"),
    ("AMD Radeon Graphics", None),
    ("AMD Instinct MI210", "gfx90a"),
    ("AMD Instinct MI325X", "gfx942"),
    ("AMD Instinct MI355X", "gfx950"),
    ("AMD Radeon PRO W7900", "gfx1100"),
    ("AMD Radeon RX 9070 XT", "gfx1201"),
    ("AMD Radeon RX 6700 XT", "gfx1031"),
    ("AMD Instinct MI308X", "gfx942"),
    ("AMD Radeon RX 7900 GRE", "gfx1100"),
    ("AMD Instinct MI100", "gfx908"),
    ("AMD Radeon VII", "gfx906"),
    ("AMD Radeon Pro VII", "gfx906"),
]
# Names the audit lists as missing (§5) beyond the lookup list, with the source of each value:
# NVIDIA legacy page (Quadro P/M series, Tesla M40/M60 generation), NVIDIA current page (Jetson), the older
# NVIDIA table copies (K40 3.5); chip generation for unlisted boards (secondary, as gpus.toml says);
# LLVM AMDGPU processor table (Radeon 780M gfx1103, 890M gfx1150, 8060S gfx1151, navi22 gfx1031,
# navi23 gfx1032, Vega 56/64 gfx900).
MORE_NAMES = [
    ("NVIDIA Jetson Orin", "8.7"),
    ("Jetson AGX Orin", "8.7"),
    ("NVIDIA Jetson T5000", "11.0"),
    ("NVIDIA Thor", "11.0"),
    ("Tesla K40m", "3.5"),
    ("Tesla K40c", "3.5"),
    ("Tesla M4", "5.2"),
    ("Tesla M6", "5.2"),
    ("Tesla P6", "6.1"),
    ("Quadro M6000 24GB", "5.2"),
    ("Quadro M2000", "5.2"),
    ("Quadro K2200", "5.0"),
    ("Quadro P400", "6.1"),
    ("Quadro P600", "6.1"),
    ("Quadro P2000", "6.1"),
    ("Quadro P6000", "6.1"),
    ("NVIDIA GeForce MX150", "6.1"),
    ("NVIDIA GeForce MX250", "6.1"),
    ("NVIDIA GeForce MX350", "6.1"),
    ("NVIDIA GeForce MX550", "7.5"),
    ("NVIDIA RTX A400", "8.6"),
    ("NVIDIA RTX A1000 6GB Laptop GPU", "8.6"),
    ("NVIDIA RTX A3000 Laptop GPU", "8.6"),
    ("AMD Radeon 780M", "gfx1103"),
    ("AMD Radeon 890M Graphics", "gfx1150"),
    ("AMD Radeon 8060S Graphics", "gfx1151"),
    ("AMD Radeon RX 6600", "gfx1032"),
    ("AMD Radeon RX 6600 XT", "gfx1032"),
    ("AMD Radeon RX Vega 56", "gfx900"),
    ("AMD Radeon RX Vega 64", "gfx900"),
    ("AMD Radeon(TM) RX Vega 11 Graphics", None),  # Raven Ridge gfx902, not a Vega 56/64
]


def _lookup(recipes, name):
    return recipes.amd_gfx(name) if name.startswith("AMD") else recipes.gpu_compute_capability(name)


@pytest.mark.parametrize("name, expected", NVIDIA_NAMES + AMD_NAMES + MORE_NAMES)
def test_gpu_names_resolve(recipes, name, expected):
    assert _lookup(recipes, name) == expected


def test_gpus_toml_names_its_sources():
    data = raw("gpus.toml")
    assert "developer.nvidia.com/cuda-gpus" in data["source"] and "gpu-specs" in data["source"]
    assert "rocm" not in data  # gfx targets of the ROCm wheels are per torch release now
    assert all(row["source"] for row in data["nvidia"] + data["amd"])


# ---------------------------------------------------------------------------- Jetson
def test_jetson_thor_is_served_by_the_sbsa_wheels(recipes):
    """aarch64_ci_build.sh @0fb2b95f / build_cuda.sh @799d09f2: the aarch64 cu13x builds add 11.0 for Thor."""
    jetson = recipes.jetson
    assert jetson.sbsa_compute_capabilities == ("11.0",)
    assert jetson.compute_capabilities == ("5.3", "6.2", "7.2", "8.7")  # Nano, TX2, Xavier, Orin
    assert "Thor" in jetson.names and "Jetson" in jetson.names
    assert "sm_110" in recipes.find_variant("2.13.0", "cu130").kernels_for("linux-aarch64")[0]


# ---------------------------------------------------------------------------- the driver table
# NVIDIA CUDA Toolkit release notes, Table 3 (compat-data.md 1a); 13.3 Update 1 from a copy of its notes
# (secondary). Table 2 family floors; the 12.x precise floors are secondary (uv backend.rs).
TABLE_3 = [
    ("13.3.1", "610.43.02", None),
    ("13.2.2", "595.71.05", None),
    ("13.0.2", "580.95.05", None),
    ("12.9.1", "575.57.08", "576.57"),
    ("12.8.0", "570.26", "570.65"),
    ("12.6.3", "560.35.05", "561.17"),
    ("12.4.1", "550.54.15", "551.78"),
    ("12.2.2", "535.104.05", "537.13"),
    ("11.8.0", "520.61.05", "520.06"),
    ("11.7.0", "515.43.04", "516.01"),
    ("11.6.2", "510.47.03", "511.65"),
    ("10.2.89", "440.33", "441.22"),
]


@pytest.mark.parametrize("toolkit, linux, windows", TABLE_3)
def test_table_3_rows(recipes, toolkit, linux, windows):
    row = next(r for r in recipes.toolkits if str(r.version) == toolkit)
    assert str(row.linux) == linux
    assert (str(row.windows) if row.windows is not None else None) == windows


def test_family_floors():
    rows = {row["major"]: row for row in raw("cuda_drivers.toml")["family"]}
    assert (rows[13]["linux"], rows[13]["windows"]) == ("580.65.06", "580")
    assert (rows[12]["linux"], rows[12]["windows"]) == ("525.60.13", "528.33")
    assert (rows[11]["linux"], rows[11]["windows"]) == ("450.80.02", "452.39")
    assert "linux" not in rows[10] and "windows" not in rows[10]


@pytest.mark.parametrize(
    "driver, os, cuda",
    [
        ("591.86", "windows", "13.1"),  # its nvidia-smi prints "CUDA Version: 13.1" (real-outputs/nvidia_smi/c37.txt)
        ("537.13", "windows", "12.2"),  # Table 3: 12.2 Update 2 ships Windows 537.13
        ("610.43.02", "linux", "13.3"),
        ("550.127.05", "linux", "12.4"),
    ],
)
def test_driver_branch_to_cuda(recipes, driver, os, cuda):
    assert str(compat.driver_max_cuda(driver, os, recipes.toolkits, recipes.families)) == cuda


# ---------------------------------------------------------------------------- peak TFLOP/s sources
NVIDIA_HOSTS = ("https://www.nvidia.com/", "https://resources.nvidia.com/", "https://images.nvidia.com/",
                "https://nvdam.widen.net/")  # nvdam.widen.net serves NVIDIA's datasheet PDFs


def test_gpu_peaks_cite_nvidia_datasheets_and_whitepapers():
    rows = raw("gpu_peaks.toml")["gpu"]
    assert rows and all(row["source"].startswith(NVIDIA_HOSTS) for row in rows), [r["source"] for r in rows]
    # values the audit checked against those documents (dense: half the 'with sparsity' figures)
    by_name = {row["name"]: row for row in rows}
    assert by_name["H100 SXM"]["float16"] == 989.5 and by_name["A100"]["tf32"] == 156.0
    assert by_name["GeForce RTX 3090"]["float16"] == 71.0 and by_name["GeForce RTX 4090"]["bfloat16"] == 165.2


# ---------------------------------------------------------------------------- notes the audit settled (§4)
def test_settled_notes_are_no_longer_unverified(recipes):
    note = recipes.release("2.14.1").note  # torchvision 0.29.1's pin was read; the aarch64 PyPI wheel is cu130
    assert "pin UNVERIFIED" not in note and "aarch64" not in note and "UNVERIFIED" not in note
    assert "UNVERIFIED" not in recipes.release("1.10.0").note
    assert recipes.release("2.14.0").pypi["linux-aarch64"] == "cu130"
    for variant in ("cu128", "cu129"):
        assert "UNVERIFIED" not in recipes.find_variant("2.8.0", variant).note
    assert "UNVERIFIED" not in recipes.find_variant("2.8.0", "cu129").toolkit_source


def test_notes_the_audit_did_not_settle_stay_unverified(recipes):
    for name in ("cu130", "cu132"):  # 2.15 arch lists: no build script of 2.15 was read
        assert "exact arch list UNVERIFIED" in recipes.find_variant("2.15.0", name).note
    # 2.15's Windows cu132 wheel: PyPI's Windows wheel is +cpu and no Windows install of 2.15.0+cu132 was found
    assert "windows-x86_64 wheel UNVERIFIED" in recipes.find_variant("2.15.0", "cu132").note
    assert "UNVERIFIED" not in recipes.release("2.15.0").note
    assert "UNVERIFIED" in recipes.find_variant("2.14.0", "rocm7.14").note
    assert "UNVERIFIED" not in recipes.find_variant("2.1.2", "rocm5.6").note  # builder release/2.1 has gfx1100
    # builder release/2.4 manywheel/build_docker.sh: gfx900;gfx906;gfx908;gfx90a;gfx1030;gfx1100 + gfx942, no gfx1101
    assert "UNVERIFIED" not in recipes.find_variant("2.4.1", "rocm6.1").note
    assert "gfx list UNVERIFIED" in recipes.find_variant("2.5.1", "rocm6.1").note  # release/2.5's script not read


def test_notes_settled_from_installs_and_the_install_selector(recipes):
    """2.14.1+xpu installed on Linux (Data Center GPU Max 1550) and Windows 11 (Arc 140V, Arc B390); 2.15.0+cu130
    installed on Windows hosts (driver 596.49, 616.92); the 1.12.1-era quick-start-module.js: "CUDA-10.2 PyTorch
    builds are no longer available for Windows, please use CUDA-11.6". Expected platforms written by hand."""
    xpu = recipes.find_variant("2.14.1", "xpu")
    assert "UNVERIFIED" not in xpu.note and set(xpu.platforms) == {"linux-x86_64", "windows-x86_64"}
    cu130 = recipes.find_variant("2.15.0", "cu130")
    assert "windows-x86_64 wheel UNVERIFIED" not in cu130.note and "windows-x86_64" in cu130.platforms
    cu102 = recipes.find_variant("1.12.1", "cu102")
    assert "UNVERIFIED" not in cu102.note and list(cu102.platforms) == ["linux-x86_64"]


# ---------------------------------------------------------------------------- the 2026-12 audit
# cu129 for 2.9-2.13: generate_binary_build_matrix.py on the release branches lists CUDA 12.9 for x86_64 and
# aarch64 and removes it for Windows; installs: 2.9.0+cu129 (vllm-project/vllm#28077), 2.12.1 and 2.13.0+cu129
# (runpod/containers#162).
@pytest.mark.parametrize("torch", ["2.9.0", "2.9.1", "2.10.0", "2.11.0", "2.12.0", "2.12.1", "2.13.0"])
def test_cu129_is_a_linux_build_of_2_9_to_2_13(recipes, torch):
    variant = recipes.find_variant(torch, "cu129")
    assert variant is not None and set(variant.platforms) == {"linux-x86_64", "linux-aarch64"}
    assert (variant.cuda, variant.toolkit) == ("12.9", "12.9.1")  # install_cuda.sh: cuda_12.9.1_575.57.08
    sass, ptx = variant.kernels_for("linux-x86_64")
    assert {"sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"} <= set(sass) and list(ptx) == ["sm_120"]
    assert ("sm_70" in sass) is (Version(torch) < Version("2.11"))  # Volta kept on Linux up to 2.10 (#157517)
    assert variant.kernels_for("linux-aarch64") == (("sm_80", "sm_90", "sm_100", "sm_120", "sm_121"), ())


def test_cu129_is_not_offered_for_2_15(recipes):
    assert recipes.find_variant("2.15.0", "cu129") is None  # RFC pytorch#190385: no CUDA 12.x wheels


@pytest.mark.parametrize("torch", ["2.14.0", "2.14.1"])
def test_2_14_has_neither_cu129_nor_cu134(recipes, torch):
    """whl/cu129 ends at 2.13.0+cu129 (third-party reads of the index pages, 2026-09/10); CUDA 13.4 was in
    test-infra's test channel only (#8497, #8499: "not ready to be offered to users"), and pytorch#194367's 2.14
    row names CUDA 12.6, 13.0, 13.2. Hand-written: the CUDA variants of 2.14 are cu126, cu130, cu132."""
    release = recipes.release(torch)
    assert sorted(v.name for v in release.variants if v.kind == "cuda") == ["cu126", "cu130", "cu132"]


def test_rocm7_14_is_never_chosen_and_the_plan_says_why(recipes):
    """No gfx list of the rocm7.14 wheel was found (its GPU code comes from AMD's rocm-sdk-device-gfx* wheels), so
    an RX 7900 XTX (gfx1100) gets 2.14.1 rocm7.2, and the plan names why rocm7.14 was passed over."""
    from test_resolver import machine

    from envdoctor.resolver import Request, resolve

    plan = resolve(machine(amd=[("AMD Radeon RX 7900 XTX", "gfx1100")]), Request(requirements=["torch==2.14.1"]),
                   recipes)
    assert (plan.torch, plan.variant) == ("2.14.1", "rocm7.2")
    assert [r["reason"] for r in plan.rejected if (r["torch"], r["variant"]) == ("2.14.1", "rocm7.14")] == [
        "the gfx targets of rocm7.14 (torch 2.14.1) are not known, so kernels for AMD Radeon RX 7900 XTX (gfx1100) "
        "cannot be confirmed"]


@pytest.mark.parametrize("version, label, linux, windows", [
    # the runfile names (audit 2026-12): cuda_<version>_<linux driver>_linux.run
    ("12.3.2", "12.3 Update 2", "545.23.08", "546.12"),
    ("12.8.2", "12.8 Update 2", "570.211.01", "572.61"),
    ("12.9.2", "12.9 Update 2", "575.57.08", "576.57"),
    ("13.0.3", "13.0 Update 3", "580.126.20", None),
    ("13.1.2", "13.1 Update 2", "590.48.01", None),
])
def test_cuda_updates_the_audit_found(recipes, version, label, linux, windows):
    [row] = [r for r in recipes.toolkits if str(r.version) == version]
    assert (row.label, str(row.linux), str(row.windows) if row.windows else None) == (label, linux, windows)


def test_cu130_keeps_one_driver_minimum(recipes):
    """The 13.0.3 row must not move cu130's Table-3 driver: the wheels are built with 13.0.2 (580.95.05)."""
    assert str(compat.toolkit_driver("13.0.2", "linux", recipes.toolkits)) == "580.95.05"


# The first toolkit of each architecture (NVIDIA release notes; see test_compat.FLOORS for the drivers).
FIRST_CUDA = {"7.5": "10.0.130", "8.0": "11.0.2", "8.6": "11.1.0", "8.9": "11.8.0", "9.0": "11.8.0",
              "10.0": "12.8.0", "10.3": "12.9.0", "11.0": "13.0.0", "12.0": "12.8.0", "12.1": "12.9.0"}


def test_first_cuda_of_each_architecture(recipes):
    assert dict(recipes.gpu_first_cuda) == FIRST_CUDA
    for row in raw("cuda_drivers.toml")["gpu_first_cuda"]:
        assert row["source"].startswith("NVIDIA "), row


def test_sjtu_offers_only_its_simple_indexes(recipes):
    """sjtug/portal pytorch-wheels.md documents per-variant simple indexes and marks torch_stable.html deprecated."""
    [preset] = [p for p in recipes.mirror_presets if p.name == "sjtu"]
    assert preset.layout == "simple"
    assert "torch_stable.html (--find-links) usage deprecated" in " ".join(preset.note.split())
