"""The names compat gives once for everyone: CUDA version <-> variant name, the variant-name pattern, the
torch family, OS names, and which installer a command runs. Every oracle is a table written out by hand.

Sources of the tables: the PyTorch wheel index names its variants ``cu`` + CUDA major + minor (``cu118`` for
CUDA 11.8, ``cu92`` for 9.2, ``cu130`` for 13.0; a two-digit minor such as 12.10 keeps both digits, as the
index's CUDA 10.x names keep the two-digit major); ROCm variants are ``rocm`` + major.minor (``rocm6.2``) or
major.minor.patch (``rocm6.2.4``). ``platform.system()`` prints ``Linux``, ``Windows``, ``Darwin`` and
``sys.platform`` is ``linux``, ``win32``, ``darwin`` (Python's ``platform`` and ``sys`` documentation).
"""

from __future__ import annotations

import pytest

from envdoctor import compat
from envdoctor.refresh.reading import WheelFacts, build_of
from envdoctor.resolver.commands import installer_of

CUDA_VARIANTS = [
    ("9.2", "cu92"), ("10.2", "cu102"), ("11.0", "cu110"), ("11.8", "cu118"), ("12.1", "cu121"), ("12.4", "cu124"),
    ("12.8", "cu128"), ("12.10", "cu1210"), ("13.0", "cu130"), ("13.2", "cu132"),
]


@pytest.mark.parametrize("cuda, variant", CUDA_VARIANTS)
def test_a_cuda_version_names_its_variant_and_back(cuda, variant):
    assert compat.cuda_variant(cuda) == variant
    assert compat.variant_cuda(variant) == cuda


@pytest.mark.parametrize("cuda, variant", [("12.4.1", "cu124"), ("11.8.89", "cu118"), ("12.10.0", "cu1210"),
                                           ("x", None), ("", None), (None, None), ("twelve", None)])
def test_a_toolkit_version_names_the_variant_of_its_major_minor(cuda, variant):
    assert compat.cuda_variant(cuda) == variant


@pytest.mark.parametrize("name", ["cpu", "xpu", "mps", "rocm6.2", "cu1", "cu12345", "cu", "cuda", "CU118", "cu١١٨", None])
def test_a_name_that_is_not_a_cuda_variant_has_no_cuda(name):
    assert compat.variant_cuda(name) is None


@pytest.mark.parametrize("hip, variant", [
    ("6.3.42131", "rocm6.3"),  # tests/fixtures/collect_env/2.7.0-rocm6.3-gentoo-details.md
    ("5.7.31921", "rocm5.7"),  # tests/fixtures/collect_env/2.2.0-rocm5.7-rx6750xt.txt
    ("6.2.41133-dd7f95766", "rocm6.2"),  # assembled: a build hash after the version
    ("6.4", "rocm6.4"), ("N/A", None), ("", None), (None, None), ("6", None),
])
def test_a_hip_version_names_its_rocm_line(hip, variant):
    assert compat.rocm_variant(hip) == variant


@pytest.mark.parametrize("name, rocm", [
    ("rocm6.2", "6.2"), ("rocm6.2.4", "6.2.4"), ("rocm5.1.1", "5.1.1"), ("rocm4.0.1", "4.0.1"),
    ("rocm6", None), ("rocm", None), ("rocm6..2", None), ("rocm6.2 ", None), ("ROCM6.2", None), ("cu118", None),
    ("rocm٦.٢", None), (None, None),
])
def test_a_rocm_variant_names_its_rocm_version(name, rocm):
    assert compat.variant_rocm(name) == rocm


@pytest.mark.parametrize("name, valid", [
    ("cu118", True), ("cu92", True), ("cu1210", True), ("cu130", True), ("cpu", True), ("xpu", True),
    ("rocm6.2", True), ("rocm6.2.4", True), ("rocm5.1.1", True),
    ("cu1", False), ("cu12345", False), ("rocm6", False), ("rocm", False), ("rocm6..2", False), ("cu118 ", False),
    ("CU118", False), ("cuda", False), ("cpu1", False), ("", False),
])
def test_the_variant_name_pattern(name, valid):
    assert bool(compat.VARIANT_RE.match(name)) is valid


def test_the_torch_family_and_its_companions():
    assert compat.TORCH_FAMILY == ("torch", "torchvision", "torchaudio")
    assert compat.COMPANIONS == ("torchvision", "torchaudio")


@pytest.mark.parametrize("system, key", [
    ("Linux", "linux"), ("Windows", "windows"), ("Darwin", "macos"),  # platform.system()
    ("linux", "linux"), ("win32", "windows"), ("darwin", "macos"),  # sys.platform
    ("macos", "macos"),  # the recipes' own name
    ("FreeBSD", None), ("Java", None), ("cygwin", None), ("", None), (None, None),
])
def test_os_names_map_to_the_recipes_names(system, key):
    assert compat.os_key(system) == key


def test_os_names_the_other_way():
    assert compat.SYSTEM_NAMES == {"linux": "Linux", "windows": "Windows", "macos": "Darwin"}
    assert compat.SYS_PLATFORMS == {"linux": "linux", "windows": "win32", "macos": "darwin"}


@pytest.mark.parametrize("text, parsed", [
    ("12.4", (12, 4)), ("12.4.1", (12, 4)), ("12.10", (12, 10)), ("11.8", (11, 8)),
    ("12", None), ("12.4.1.2", None), ("v12.4", None), ("１２.4", None), ("12.4a", None), ("", None), (None, None),
])
def test_a_typed_cuda_version(text, parsed):
    assert compat.parse_cuda(text) == parsed


@pytest.mark.parametrize("value, count", [
    (0, 0), (3, 3), (-1, None), (True, None), (False, None), (2.0, None), (None, None), ([1], None),
    ("0", 0), ("8", 8), (" 16 ", 16), ("1" * 32, int("1" * 32)), ("1" * 33, None), ("-1", None), ("+1", None),
    ("1.0", None), ("1_0", None), ("²", None), ("١", None), ("", None), ("eight", None),
])
def test_a_count(value, count):
    """What ``parse_count`` takes: a non-negative int, or ASCII digits (32 at most) with spaces around them; a bool,
    a float, a sign, an underscore and Unicode digits (which int() alone would take) are not counts."""
    assert compat.parse_count(value) == count


@pytest.mark.parametrize("argv, installer", [
    (["/usr/bin/python3", "-m", "pip", "install", "torch"], "pip"),
    (["py", "-3.12", "-m", "pip", "install", "torch"], "pip"),
    (["C:\\Python312\\python.exe", "-m", "pip", "install", "torch"], "pip"),
    (["pip3", "install", "torch"], "pip"),
    (["uv", "pip", "install", "--python", "/v/bin/python", "torch"], "uv"),
    (["uv", "add", "torch"], ""),
    (["conda", "install", "-y", "pytorch"], "conda"),
    (["mamba", "install", "-y", "pytorch"], "mamba"),
    (["/opt/conda/bin/conda", "install", "pytorch"], "conda"),
    (["python", "-m", "venv", ".venv"], ""),
    (["python", "-c", "pip install"], ""),
    ([], ""),
])
def test_which_installer_a_command_runs(argv, installer):
    assert installer_of(argv) == installer


def test_a_two_digit_cuda_minor_keeps_both_digits_in_a_refreshed_variant():
    version_py = "__version__ = '2.20.0'\ncuda: Optional[str] = '12.10'\nhip: Optional[str] = None\n"  # assembled
    assert build_of(WheelFacts(None, version_py), "linux-x86_64") == ("cu1210", "torch/version.py cuda = '12.10'")
