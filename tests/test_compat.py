"""The compatibility model against published tables and real recordings, not against itself.

Oracles: NVIDIA's CUDA release notes (Table 3, driver per toolkit; Table 2, minor-version floors),
the "Minor Version Compatibility" guide, pytorch/pytorch#45130 ("binary compatible within major
compute capability revision"), the CUDA C Programming Guide (arch-specific ``a`` and family ``f``
targets), and the "CUDA Version" that real nvidia-smi headers print for their driver.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from envdoctor import compat
from envdoctor.facts import Facts, PythonFacts
from envdoctor.recipes import CudaFamily, ToolkitDriver, load_recipes

RECIPES = load_recipes()


def row(version: str, linux: str | None, windows: str | None) -> ToolkitDriver:
    return ToolkitDriver(Version(version), version, Version(linux) if linux else None,
                         Version(windows) if windows else None, "test: NVIDIA Table 3")


#: An excerpt of NVIDIA Table 3 written out by hand (CUDA 13.2 Update 2 release notes, section 2.2).
TABLE3 = [
    row("13.2.0", "595.45.04", None), row("13.1.0", "590.44.01", None), row("13.0.0", "580.65.06", None),
    row("12.9.1", "575.57.08", "576.57"), row("12.8.0", "570.26", "570.65"), row("12.6.3", "560.35.05", "561.17"),
    row("12.4.1", "550.54.15", "551.78"), row("12.2.2", "535.104.05", "537.13"), row("12.0.0", "525.60.13", "527.41"),
    row("11.8.0", "520.61.05", "520.06"), row("11.4.0", "470.42.01", "471.11"), row("10.2.89", "440.33", "441.22"),
]
#: Table 2 floors (release notes "12.x >= 525", "11.x >= 450"; the MVC guide's 450.80.02 / 452.39).
FAMILIES = {
    13: CudaFamily(13, Version("580.65.06"), Version("580"), "test"),
    12: CudaFamily(12, Version("525.60.13"), Version("528.33"), "test"),
    11: CudaFamily(11, Version("450.80.02"), Version("452.39"), "test"),
    10: CudaFamily(10, None, None, "test"),
}


# ---------------------------------------------------------------------------- parsers


@pytest.mark.parametrize("text, expected", [
    ("8.6", (8, 6, "")), ("sm_86", (8, 6, "")), ("sm_120", (12, 0, "")), ("SM_90A", (9, 0, "a")),
    ("compute_90", (9, 0, "")), ("sm_100f", (10, 0, "f")), ("12.1", (12, 1, "")), (" 7.5 ", (7, 5, "")),
])
def test_compute_capabilities_parse(text, expected):
    arch = compat.parse_cc(text)
    assert (arch.major, arch.minor, arch.suffix) == expected


@pytest.mark.parametrize("text", ["sm_999", "sm_8", "8", "8.10", "sm_8٦", "８.６", "sm_²0", "gfx90a", "", None, 8.6, "sm_86b"])
def test_what_is_not_a_compute_capability(text):
    assert compat.parse_cc(text) is None


@pytest.mark.parametrize("text", ["535.104.05", "591.86", "610.62", "418.39", "384.66"])
def test_driver_numbers_print_as_written(text):
    assert str(compat.parse_driver(text)) == text


@pytest.mark.parametrize("text", ["1!535.104.05", "535.104.05a", "535 104", "٥٣٥.104", "535.1.2.3.4", "", None, "-535"])
def test_what_is_not_a_driver_number(text):
    assert compat.parse_driver(text) is None


@pytest.mark.parametrize("text, ok", [("3.11", True), ("2.5.1+cu124", True), ("3.١١", False), ("²", False),
                                      ("1!2.0", False), ("12.4.131", True), ("banana", False)])
def test_versions_are_ascii_and_epoch_free(text, ok):
    assert (compat.parse_version(text) is not None) is ok


@given(st.text(max_size=40))
def test_parsers_never_raise_and_never_accept_non_ascii(text):
    for parse in (compat.parse_cc, compat.parse_driver, compat.parse_version):
        value = parse(text)
        if value is not None:
            assert text.strip().isascii()


@given(st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=6))
def test_unicode_digits_are_never_versions(digits):
    if not digits.isascii():
        assert compat.parse_driver(f"535.{digits}") is None
        assert compat.parse_version(f"3.{digits}") is None
        assert compat.parse_cc(f"sm_{digits}") is None


# ---------------------------------------------------------------------------- kernel coverage


@pytest.mark.parametrize("cc, sass, ptx, expected", [
    ("8.6", ["sm_80"], [], "sass"),  # Ampere binary-compatible within major 8 (pytorch#45130)
    ("8.9", ["sm_80", "sm_86"], [], "sass"),  # Ada runs sm_86 SASS
    ("8.0", ["sm_86"], [], None),  # never backwards within a major
    ("9.0", ["sm_80", "sm_86"], [], None),  # never across majors as SASS
    ("9.0", ["sm_80"], ["sm_80"], "ptx"),  # PTX JIT forward across majors
    ("12.0", ["sm_90"], ["sm_90"], "ptx"),
    ("8.0", ["sm_90"], ["sm_90"], None),  # PTX never runs backwards
    ("9.0", ["sm_90a"], [], "sass"),  # arch-specific: exactly 9.0
    ("10.0", ["sm_90a"], [], None),
    ("10.3", ["sm_100f"], [], "sass"),  # family-specific: same major, newer minor
    ("12.1", ["sm_120"], [], "sass"),  # GB10 on sm_120 SASS
    ("3.5", ["sm_37", "sm_50"], [], None),  # K40 was never in a wheel
    ("11.0", ["sm_80", "sm_90", "sm_100", "sm_110", "sm_120"], ["sm_120"], "sass"),  # Thor on aarch64 cu13x
    ("6.1", ["sm_75", "sm_80"], ["sm_120"], None),  # Pascal on cu13x
])
def test_kernel_coverage(cc, sass, ptx, expected):
    assert compat.kernel_coverage(cc, sass, ptx) == expected


def test_torch_arch_list_splits_sass_from_ptx():
    # torch.cuda.get_arch_list() of a cu129 build (pytorch PR #158700): sm_70 ... sm_120, compute_120
    sass, ptx = compat.split_arch_list(["sm_70", "sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120", "compute_120"])
    assert ptx == ("compute_120",) and "sm_120" in sass
    assert compat.kernel_coverage("12.1", sass, ptx) == "sass"


# ---------------------------------------------------------------------------- drivers


@pytest.mark.parametrize("driver, os_name, expected", [
    ("535.104.05", "linux", "12.2"), ("535.54.03", "linux", "12.2"), ("550.54.14", "linux", "12.4"),
    ("560.35.03", "linux", "12.6"), ("565.57.01", "linux", "12.6"),  # no 12.7 toolkit exists
    ("470.82.01", "linux", "11.4"), ("440.33", "linux", "10.2"), ("580.95.05", "linux", "13.0"),
    ("590.48.01", "linux", "13.1"), ("537.13", "windows", "12.2"), ("591.86", "windows", "13.1"),
    ("576.57", "windows", "12.9"), ("581.15", "windows", "13.0"), ("572.61", "windows", "12.8"),
    ("525.60.13", "linux", "12.0"), ("418.39", "linux", None),
])
def test_driver_to_newest_cuda_from_table3(driver, os_name, expected):
    found = compat.driver_max_cuda(driver, os_name, TABLE3, FAMILIES)
    assert (str(found) if found else None) == expected


#: (driver, OS, CUDA Version printed by nvidia-smi) from real recordings; see tests/fixtures/nvidia/README.md
#: and ../shared reference captures (utkuozdemir/nvidia_gpu_exporter internal/captures @e656cd8).
REAL_HEADERS = [
    ("525.60.13", "linux", "12.0"), ("535.183.01", "linux", "12.2"), ("537.13", "windows", "12.2"),
    ("590.48.01", "linux", "13.1"), ("591.86", "windows", "13.1"), ("595.71.05", "linux", "13.2"),
    ("595.80", "linux", "13.2"), ("610.57.04", "linux", "13.3"), ("610.62", "windows", "13.3"),
]


@pytest.mark.parametrize("driver, os_name, printed", REAL_HEADERS)
def test_shipped_driver_table_agrees_with_real_nvidia_smi_headers(driver, os_name, printed):
    found = compat.driver_max_cuda(driver, os_name, RECIPES.toolkits, RECIPES.families)
    assert str(found) == printed


def test_wsl_reads_the_windows_column():
    assert compat.driver_table_os("Linux", "wsl2") == "windows"
    assert compat.driver_table_os("Linux", None) == "linux"
    assert compat.driver_table_os("Windows", None) == "windows"


@pytest.mark.parametrize("build, toolkit, driver, reported, os_name, level", [
    ("12.4", "12.4.1", "550.54.15", None, "linux", "full"),
    ("12.6", "12.6.3", "535.104.05", "12.2", "linux", "minor"),  # 12.x runs on >= 525.60.13
    ("12.6", "12.6.3", "520.61.05", None, "linux", "none"),  # below the 12.x floor
    ("13.0", "13.0.2", "575.57.08", None, "linux", "none"),  # new major
    ("10.2", "10.2.89", "418.39", None, "linux", "none"),  # CUDA 10 has no minor-version compatibility
    ("11.8", "11.8.0", "470.82.01", None, "linux", "minor"),
    ("12.8", "12.8.0", "537.13", None, "windows", "minor"),
    ("12.8", "12.8.0", None, None, "linux", "unknown"),
])
def test_minor_version_compatibility(build, toolkit, driver, reported, os_name, level):
    fit = compat.cuda_fit(build, toolkit, driver, reported, os_name, TABLE3, FAMILIES)
    assert fit.level == level


def test_a_full_fit_needs_the_toolkits_own_driver_and_kernels_need_the_floor():
    fit = compat.cuda_fit("12.6", "12.6.3", None, None, "linux", TABLE3, FAMILIES)
    assert str(fit.needs(ptx=True)) == "560.35.5" and str(fit.needs()) == "525.60.13"


def test_ptx_needs_the_full_driver_while_sass_runs_under_minor_compatibility():
    minor = compat.cuda_fit("12.8", "12.8.0", "535.104.05", "12.2", "linux", TABLE3, FAMILIES)
    sass = compat.gpu_fit("9.0", ["sm_80", "sm_90"], [], minor)
    assert sass.runs is True and sass.how == "sass"
    ptx = compat.gpu_fit("12.0", ["sm_80", "sm_90"], ["sm_90"], minor)
    assert ptx.runs is False and ptx.how == "ptx" and str(ptx.needs_driver) == "570.26"
    full = compat.cuda_fit("12.8", "12.8.0", "570.26", None, "linux", TABLE3, FAMILIES)
    assert compat.gpu_fit("12.0", ["sm_80", "sm_90"], ["sm_90"], full).runs is True


# ---------------------------------------------------------------------------- the target interpreter


def python_facts(system: str, arch: str, **python) -> Facts:
    facts = Facts()
    facts.os.system, facts.os.arch = system, arch
    facts.python = PythonFacts(status="ok", version="3.12.3", **python)
    return facts


@pytest.mark.parametrize("system, arch, python, expected", [
    ("Linux", "x86_64", {"platform_tag": "linux-x86_64", "machine": "x86_64", "pointer_bits": 64}, "linux-x86_64"),
    ("Darwin", "arm64", {"platform_tag": "macosx-11.0-arm64", "machine": "arm64"}, "macos-arm64"),
    ("Darwin", "arm64", {"platform_tag": "macosx-10.9-universal2", "machine": "x86_64"}, "macos-x86_64"),  # Rosetta
    ("Darwin", "arm64", {"platform_tag": "macosx-10.9-x86_64", "machine": "x86_64"}, "macos-x86_64"),
    ("Windows", "x86_64", {"platform_tag": "win32", "machine": "AMD64", "pointer_bits": 32}, "windows-x86"),
    ("Windows", "x86_64", {"platform_tag": "win-amd64", "machine": "AMD64", "pointer_bits": 64}, "windows-x86_64"),
    ("Windows", "arm64", {"platform_tag": "win-arm64", "machine": "ARM64"}, "windows-arm64"),
    ("Linux", "aarch64", {"platform_tag": "linux-aarch64", "machine": "aarch64"}, "linux-aarch64"),
    ("Linux", "x86_64", {"machine": "x86_64", "pointer_bits": 32}, "linux-x86"),
])
def test_the_platform_is_the_interpreters_own(system, arch, python, expected):
    assert compat.target_platform(python_facts(system, arch, **python)) == expected


def test_without_an_answer_from_the_interpreter_the_os_decides():
    facts = python_facts("Linux", "aarch64")
    facts.python.status = "timed_out"
    assert compat.target_platform(facts) == "linux-aarch64"


def test_free_threaded_tag():
    facts = python_facts("Linux", "x86_64", free_threaded=True)
    facts.python.version = "3.13.1"
    assert compat.python_tag(facts) == "3.13t"


@pytest.mark.parametrize("platform, macos, possible", [
    ("macos-arm64", "14.5", True), ("macos-arm64", "12.3", True), ("macos-arm64", "12.2", False),
    ("macos-x86_64", "14.5", False), ("linux-aarch64", None, False), ("macos-arm64", None, False),
])
def test_mps_needs_native_arm64_python_and_macos_12_3(platform, macos, possible):
    assert compat.mps_possible(platform, macos)[0] is possible


# ---------------------------------------------------------------------------- AMD and Jetson


@pytest.mark.parametrize("gfx, build, expected", [
    ("gfx90a", ["gfx90a", "gfx942"], True), ("gfx90a:sramecc+:xnack-", ["gfx90a"], True),
    ("gfx1101", ["gfx1100"], False), ("gfx1103", ["gfx1100", "gfx1101", "gfx1102"], False),
    ("gfx942", [], None), (None, ["gfx90a"], None),
])
def test_gfx_coverage_is_exact(gfx, build, expected):
    assert compat.gfx_covered(gfx, build) is expected


@pytest.mark.parametrize("name, cc, kind", [
    ("NVIDIA Jetson T5000", "11.0", "sbsa"), ("Orin (nvgpu)", "8.7", "board"), ("NVIDIA Jetson AGX Orin", None, "board"),
    ("Xavier", "7.2", "board"), ("NVIDIA H100 80GB HBM3", "9.0", None), ("NVIDIA GB10", "12.1", None),
])
def test_jetson_modules(name, cc, kind):
    assert compat.jetson_kind(name, cc, RECIPES) == kind


def test_ptx_reaches_only_the_gpus_its_cuda_knows():
    # Windows cu118 wheels carry compute_37 PTX; CUDA 11.8 targets up to sm_90 (CUDA 11.8 features:
    # Ada and Hopper), so a Blackwell GPU gets nothing from that PTX.
    full = compat.cuda_fit("11.8", "11.8.0", "570.26", None, "linux", TABLE3, FAMILIES)
    assert compat.gpu_fit("9.0", ["sm_37", "sm_86"], ["sm_37"], full, "9.0").how == "ptx"
    blackwell = compat.gpu_fit("12.0", ["sm_37", "sm_86"], ["sm_37"], full, "9.0")
    assert blackwell.runs is False and blackwell.how == ""
    assert RECIPES.newest_cc("11.8") == "9.0" and RECIPES.newest_cc("13.2") == "12.1"


# ---------------------------------------------------------------------------- cases mutation testing asked for


def test_mps_needs_a_platform_at_all():
    assert compat.mps_possible(None, "14.0") == (False, "not macOS")
    assert compat.mps_possible("linux-x86_64", "14.0") == (False, "not macOS")


def test_the_driver_s_own_answer_wins_over_the_table():
    # R565 drivers print "CUDA Version: 12.7" although Table 3 has no 12.7 toolkit
    facts = python_facts("Linux", "x86_64")
    facts.nvidia.driver_version, facts.nvidia.driver_max_cuda = "565.57.01", "12.7"
    assert str(compat.facts_driver_cuda(facts, RECIPES)) == "12.7"
    facts.nvidia.driver_max_cuda = None
    assert str(compat.facts_driver_cuda(facts, RECIPES)) == "12.6"
    assert compat.facts_driver_cuda(facts, None) is None


@pytest.mark.parametrize("version, cuda, hip, xpu, recipes, expected", [
    ("2.5.1+cu124", "12.4", None, None, True, "cu124"),  # the local tag says it
    ("2.5.1", "12.4", None, None, True, "cu124"),  # PyPI's Linux x86_64 default for 2.5.1
    ("2.13.0", "13.0", None, None, True, "cu130"),
    ("2.6.0a0+git1234", "12.6", None, None, True, "git1234"),  # a source build's local tag is kept as written
    ("2.6.0a0", "12.6", None, None, True, "cu126"),  # not a release: what version.py says it was built for
    ("2.6.0a0", None, "6.2.41133", None, True, "rocm6.2"),
    ("2.6.0a0", None, None, "20250101", True, "xpu"),
    ("2.6.0a0", None, None, None, True, None),
    ("2.5.1", "12.4", None, None, False, "cu124"),  # without recipes only version.py can tell
    ("not a version", "12.4", None, None, True, None),
])
def test_the_installed_variant(version, cuda, hip, xpu, recipes, expected):
    facts = python_facts("Linux", "x86_64", platform_tag="linux-x86_64", machine="x86_64")
    facts.torch.version, facts.torch.cuda, facts.torch.hip, facts.torch.xpu = version, cuda, hip, xpu
    assert compat.installed_variant_name(facts, RECIPES if recipes else None) == expected


def test_the_two_driver_columns_differ_where_the_branches_do():
    # Table 3: 12.9 GA ships Linux 575.51.03 but Windows 576.02, so a 575 driver runs 12.9 on Linux only
    assert str(compat.driver_max_cuda("575.51.03", "linux", TABLE3, FAMILIES)) == "12.9"
    assert str(compat.driver_max_cuda("575.51", "windows", TABLE3, FAMILIES)) == "12.8"


def test_a_family_floor_alone_names_its_cuda_x_0():
    # Table 2 can print a family's floor ("14.x >= 620") before Table 3 lists any 14.x toolkit
    families = {**FAMILIES, 14: CudaFamily(14, Version("620.10"), Version("621.0"), "test")}
    assert str(compat.driver_max_cuda("620.10", "linux", TABLE3, families)) == "14.0"  # at the floor
    assert str(compat.driver_max_cuda("620.9", "linux", TABLE3, families)) == "13.2"
    assert str(compat.driver_max_cuda("620.10", "windows", TABLE3, families)) == "13.2"  # below the Windows floor


def test_an_unknown_capability_is_said_so():
    verdict = compat.gpu_fit(None, ["sm_80"], [], None)
    assert verdict == compat.GpuFit(None, "", "compute capability unknown: kernels not checked")


def test_a_gpu_without_kernels_names_what_the_build_has():
    verdict = compat.gpu_fit("6.1", ["sm_75", "sm_80"], ["sm_80"], None)
    assert verdict == compat.GpuFit(False, "", "no kernels for sm_61 (build has sm_75 sm_80 PTX sm_80)")
    assert compat.gpu_fit("6.1", [], [], None).reason == "no kernels for sm_61 (build has none)"


@pytest.mark.parametrize("tag, expected", [
    ("win32", "windows-x86"), ("win-amd64", "windows-x86_64"), ("WIN-ARM64", "windows-arm64"),
    ("macosx-11.0-arm64", "macos-arm64"), ("macosx-10.9-x86_64", "macos-x86_64"), ("linux-aarch64", "linux-aarch64"),
    ("linux-x86_64", "linux-x86_64"), ("macosx-10.9-universal2", "macos-arm64"),  # universal: the OS decides
    ("cygwin", "macos-arm64"),
])
def test_the_platform_tag_alone_decides_when_machine_is_not_reported(tag, expected):
    assert compat.target_platform(python_facts("Darwin", "arm64", platform_tag=tag)) == expected


@pytest.mark.parametrize("platform, macos, expected", [
    ("linux-x86_64", "14.0", (False, "not macOS")),
    ("macos-x86_64", "14.0", (False, "the target Python runs as x86_64: MPS needs a native arm64 Python on Apple "
                                     "silicon (an x86_64 Python under Rosetta 2 cannot use it)")),
    ("macos-arm64", None, (False, "the macOS version is unknown")),
    ("macos-arm64", "12.2", (False, "macOS 12.2 is older than 12.3, the first with MPS")),
    ("macos-arm64", "12.3", (True, "")),
])
def test_mps_reasons_are_exact(platform, macos, expected):
    assert compat.mps_possible(platform, macos) == expected


# ---------------------------------------------------------------------------- more cases mutation testing asked for


@pytest.mark.parametrize("cc, sass, ptx, expected", [
    ("8.6", ["not-an-arch", "sm_80"], [], "sass"),  # an unreadable entry is skipped, not the end of the list
    ("9.0", [], ["bogus", "compute_80"], "ptx"),
    ("10.0", ["sm_100a"], [], "sass"),  # arch-specific SASS runs on exactly its capability
    ("10.3", ["sm_100a"], [], None),
    ("10.3", ["sm_100f"], [], "sass"),  # family SASS runs on the family
    ("10.3", ["sm_100"], [], "sass"),
    ("10.0", [], ["compute_100a"], "ptx"),  # arch-specific PTX is JIT-compiled for its capability only
    ("10.3", [], ["compute_100a"], None),
    ("12.0", [], ["compute_90"], "ptx"),
    ("8.0", [], ["compute_90"], None),  # PTX never runs on an older GPU
])
def test_kernel_coverage_hand_checked(cc, sass, ptx, expected):
    assert compat.kernel_coverage(cc, sass, ptx) == expected


@pytest.mark.parametrize("os_name, expected", [
    ("win32", "windows"), ("Win32", "windows"), ("darwin", "macos"), ("Darwin", "macos"),
    ("Linux", "linux"), ("FreeBSD", "freebsd"), (None, ""), ("", ""),
])
def test_driver_table_columns_by_os_name(os_name, expected):
    assert compat.driver_table_os(os_name) == expected


def test_a_toolkit_older_than_its_first_table3_row_takes_that_row():
    rows = [row("12.6.0", "560.28.03", "560.76"), row("12.6.3", "560.35.05", "561.17")]
    assert str(compat.toolkit_driver("12.6.0", "linux", rows)) == "560.28.3"
    assert str(compat.toolkit_driver("12.6.2", "windows", rows)) == "560.76"
    assert str(compat.toolkit_driver("12.6.3", "windows", rows)) == "561.17"
    assert compat.toolkit_driver("12.6.0", "linux", TABLE3) == Version("560.35.05")  # only 12.6.3 is listed
    assert compat.toolkit_driver("12.3", "linux", TABLE3) is None and compat.toolkit_driver("x", "linux", TABLE3) is None


def fit(level, cuda, driver_cuda, full, floor):
    return compat.CudaFit(level, Version(cuda), Version(driver_cuda) if driver_cuda else None,
                          Version(full) if full else None, Version(floor) if floor else None)


@pytest.mark.parametrize("args, expected", [
    (("12.4", "12.4.1", "550.54.15", None, "linux"), fit("full", "12.4", "12.4", "550.54.15", "525.60.13")),
    (("12.6", "12.6.3", "535.104.05", "12.2", "linux"), fit("minor", "12.6", "12.2", "560.35.05", "525.60.13")),
    (("12.6", "12.6.3", "520.61.05", None, "linux"), fit("none", "12.6", "11.8", "560.35.05", "525.60.13")),
    (("12.8", "12.8.0", None, None, "windows"), fit("unknown", "12.8", None, "570.65", "528.33")),
    (("12.8", "12.8.0", "418.39", None, "linux"), fit("none", "12.8", None, "570.26", "525.60.13")),
    # the Windows columns: 575.51 is R575, whose Windows 12.9 driver is 576.x, so 12.9 runs by minor compatibility
    (("12.9", "12.9.1", "575.51", None, "windows"), fit("minor", "12.9", "12.8", "576.57", "528.33")),
    # a toolkit newer than any listed major.minor: no Table-3 driver; CUDA 9 has no family here
    (("9.2", None, "440.33", None, "linux"), fit("full", "9.2", "10.2", None, None)),
])
def test_cuda_fit_whole_answers(args, expected):
    assert compat.cuda_fit(*args, TABLE3, FAMILIES) == expected


def test_cuda_fit_takes_the_drivers_own_report_whatever_its_type():
    # R565 prints "CUDA Version: 12.7" (no 12.7 toolkit exists, so Table 3 alone says 12.6)
    assert compat.cuda_fit("12.7", None, "565.57.01", "12.7", "linux", TABLE3, FAMILIES).level == "full"
    assert compat.cuda_fit("12.7", None, "565.57.01", None, "linux", TABLE3, FAMILIES).level == "minor"
    assert compat.cuda_fit("12.4", None, None, "12.4", "linux", TABLE3, FAMILIES).level == "full"
    assert compat.cuda_fit("12.4", None, None, Version("12.4"), "linux", TABLE3, FAMILIES).level == "full"
    # the toolkit, not the build's major.minor, picks the Table-3 row
    rows = [row("12.6.0", "560.28.03", None), row("12.6.3", "560.35.05", None)]
    assert str(compat.cuda_fit("12.6", "12.6.3", None, None, "linux", rows, FAMILIES).full_driver) == "560.35.5"
    assert str(compat.cuda_fit("12.6", None, None, None, "linux", rows, FAMILIES).full_driver) == "560.28.3"


MINOR = compat.CudaFit("minor", Version("12.8"), Version("12.2"), Version("570.26"), Version("525.60.13"))
NONE = compat.CudaFit("none", Version("12.8"), Version("11.8"), Version("570.26"), Version("525.60.13"))
UNKNOWN = compat.CudaFit("unknown", Version("12.8"), None, Version("570.26"), Version("525.60.13"))
UNKNOWN_BARE = compat.CudaFit("unknown", Version("12.8"), None, None, None)


@pytest.mark.parametrize("cc, sass, ptx, cuda, expected", [
    ("9.0", ["sm_90"], [], None, compat.GpuFit(True, "sass", "sm_90 runs compiled kernels")),
    ("12.0", ["sm_90"], ["sm_90"], None, compat.GpuFit(True, "ptx", "sm_120 runs PTX JIT-compiled by the driver")),
    ("9.0", ["sm_90"], [], UNKNOWN,
     compat.GpuFit(None, "sass", "driver unknown: sm_90 needs a driver >= 525.60.13", Version("525.60.13"))),
    ("12.0", ["sm_90"], ["sm_90"], UNKNOWN,
     compat.GpuFit(None, "ptx", "driver unknown: sm_120 needs a driver >= 570.26", Version("570.26"))),
    ("12.0", [], ["sm_90"], UNKNOWN_BARE, compat.GpuFit(None, "ptx", "driver unknown: sm_120 needs a driver >= ?")),
    ("12.0", [], ["sm_90"], MINOR, compat.GpuFit(
        False, "ptx", "sm_120 has only PTX in this build, and JIT-compiling PTX of CUDA 12.8 needs driver >= 570.26 "
        "(minor-version compatibility does not cover PTX)", Version("570.26"))),
    ("12.0", [], ["sm_90"], compat.CudaFit("minor", Version("12.8"), Version("12.2"), None, Version("525.60.13")),
     compat.GpuFit(False, "ptx", "sm_120 has only PTX in this build, and JIT-compiling PTX of CUDA 12.8 needs "
                   "driver >= ? (minor-version compatibility does not cover PTX)")),
    ("8.6", ["sm_80"], [], MINOR, compat.GpuFit(True, "sass", "sm_86 runs compiled kernels through minor-version compatibility")),
    ("8.6", ["sm_80"], [], NONE, compat.GpuFit(
        False, "sass", "the driver supports CUDA 11.8, the build needs CUDA 12.8", Version("525.60.13"))),
])
def test_gpu_fit_whole_answers(cc, sass, ptx, cuda, expected):
    assert compat.gpu_fit(cc, sass, ptx, cuda) == expected


def test_a_thor_known_only_by_its_capability_is_served_by_the_standard_wheels():
    assert compat.jetson_kind(None, "11.0", RECIPES) == "sbsa"
    assert compat.jetson_kind("", "11.0", RECIPES) == "sbsa"


@pytest.mark.parametrize("machine, os_name, expected", [
    ("x86_64", "linux", "x86_64"), ("AMD64", "windows", "x86_64"), ("x64", "windows", "x86_64"),
    ("EM64T", "windows", "x86_64"), ("aarch64", "linux", "aarch64"), ("ARM64", "linux", "aarch64"),
    ("armv8l", "linux", "aarch64"), ("arm64e", "linux", "aarch64"), ("arm64", "macos", "arm64"),
    ("aarch64", "windows", "arm64"), ("ARM64E", "macos", "arm64"), ("armv8l", "windows", "arm64"),
    ("i386", "linux", "x86"), ("i686", "linux", "x86"), ("x86", "windows", "x86"), ("Win32", "windows", "x86"),
    ("riscv64", "linux", "riscv64"), ("ppc64le", "linux", "ppc64le"), ("", "linux", None), (None, "linux", None),
])
def test_machine_names_hand_checked(machine, os_name, expected):
    # platform.machine() spellings: Linux uname, Windows PROCESSOR_ARCHITECTURE, macOS (arm64e is Apple's ABI)
    assert compat.arch_name(machine, os_name) == expected


@pytest.mark.parametrize("tag", ["macosx-10.9-universal2", "macosx-10.4-universal", "macosx-10.4-intel",
                                 "macosx-10.4-fat"])
def test_a_fat_macos_build_lets_the_machine_decide(tag):
    facts = python_facts("Darwin", "arm64", platform_tag=tag, machine="x86_64")
    assert compat.target_platform(facts) == "macos-x86_64"


@pytest.mark.parametrize("system, arch, python, expected", [
    ("Darwin", "arm64", {"machine": "arm64"}, "macos-arm64"),  # no platform tag: the machine, named as on macOS
    ("Linux", "aarch64", {"machine": "aarch64", "pointer_bits": 32}, "linux-arm"),  # armhf userland on arm64
    ("Windows", "ARM64", {"platform_tag": "win-arm64", "pointer_bits": 32}, "windows-arm"),
    ("Linux", "x86_64", {"platform_tag": "linux-i686", "pointer_bits": 32}, "linux-x86"),
])
def test_the_interpreters_width_and_machine(system, arch, python, expected):
    assert compat.target_platform(python_facts(system, arch, **python)) == expected


def test_a_gpu_name_without_recipes_gives_no_capability():
    from envdoctor.facts import Gpu
    assert compat.gpu_capability(Gpu("nvidia", name="NVIDIA H100 80GB HBM3"), None) is None
    assert compat.gpu_capability(Gpu("nvidia", name="NVIDIA H100 80GB HBM3"), RECIPES) == "9.0"


@pytest.mark.parametrize("system, wsl, expected", [
    ("Linux", None, "12.9"), ("Windows", None, "12.8"), ("Linux", "wsl2", "12.8"),  # WSL 2 carries the Windows driver
])
def test_the_driver_table_column_follows_the_os_and_wsl(system, wsl, expected):
    # Table 3: CUDA 12.9 GA ships Linux 575.51.03 and Windows 576.02 (R575 on Linux, R576 on Windows)
    facts = python_facts(system, "x86_64")
    facts.os.wsl = wsl
    facts.nvidia.driver_version = "575.51"
    assert str(compat.facts_driver_cuda(facts, RECIPES)) == expected


def test_below_every_row_of_its_line_the_oldest_row_is_taken_whatever_the_order():
    rows = [row("12.6.3", "560.35.05", "561.17"), row("12.6.1", "560.35.03", "560.94")]
    assert str(compat.toolkit_driver("12.6", "linux", rows)) == "560.35.3"
    assert str(compat.toolkit_driver("12.6", "windows", list(reversed(rows)))) == "560.94"


@pytest.mark.parametrize("system, arch", [(None, "x86_64"), ("Linux", None), (None, None), ("SunOS", "sun4v")])
def test_no_platform_without_both_an_os_and_an_arch(system, arch):
    facts = Facts()
    facts.os.system, facts.os.arch = system, arch
    assert compat.target_platform(facts) is None


# ---------------------------------------------------------------------------- a driver too old for the GPU
# Expected values from NVIDIA's release notes: the first toolkit of each architecture (CUDA 10.0 Turing, 11.0
# GA100, 11.1 GA10x, 11.8 Ada and Hopper, 12.8 Blackwell sm_100/sm_120, 12.9 sm_103/sm_121) and Table 3's
# driver for that toolkit's GA release (Linux / Windows columns).
FLOORS = [
    ("12.0", "560.35.05", "linux", False, "570.26", "12.8.0"),  # RTX 5090 on R560: the audit's case
    ("12.0", "570.26", "linux", True, "570.26", "12.8.0"),
    ("12.0", "570.124.06", "linux", True, "570.26", "12.8.0"),
    ("12.0", "566.36", "windows", False, "570.65", "12.8.0"),
    ("10.0", "565.57.01", "linux", False, "570.26", "12.8.0"),  # B200
    ("10.3", "570.124.06", "linux", False, "575.51.03", "12.9.0"),  # B300 arrived with CUDA 12.9
    ("12.1", "575.51.03", "linux", True, "575.51.03", "12.9.0"),
    ("9.0", "515.65.01", "linux", False, "520.61.05", "11.8.0"),  # Hopper and Ada: R520
    ("8.9", "520.61.05", "linux", True, "520.61.05", "11.8.0"),
    ("8.9", "516.94", "windows", False, "520.06", "11.8.0"),
    ("8.6", "450.80.02", "linux", False, "455.23", "11.1.0"),  # GA10x: CUDA 11.1
    ("8.0", "450.80.02", "linux", True, "450.51.05", "11.0.2"),
    ("7.5", "410.48", "linux", True, "410.48", "10.0.130"),
    ("11.0", "575.57.08", "linux", False, "580.65.06", "13.0.0"),  # Thor as sm_110: CUDA 13.0
]


@pytest.mark.parametrize("cc, driver, column, drives, needs, first", FLOORS)
def test_a_driver_drives_only_gpus_released_before_it(cc, driver, column, drives, needs, first):
    floor = compat.driver_drives_gpu(cc, driver, column, RECIPES.gpu_first_cuda, RECIPES.toolkits)
    assert (floor.drives, str(floor.needs), str(floor.first_cuda)) == (drives, needs, first)


def test_the_driver_floor_names_the_branch_and_the_version():
    floor = compat.driver_drives_gpu("sm_120", "560.35.05", "linux", RECIPES.gpu_first_cuda, RECIPES.toolkits)
    assert floor.reason == ("driver 560.35.05 (R560) predates sm_120: GPUs of compute capability 12.0 arrived with "
                            "CUDA 12.8 and need driver branch R570 or newer (>= 570.26)")


@pytest.mark.parametrize("cc, driver, drives", [
    ("6.1", "390.48", True),  # Pascal predates every toolkit of the table: any driver of it drives a GTX 1080
    ("7.0", "410.48", True),
    ("13.0", "610.43.02", None),  # an architecture no release notes name yet: not known, never a false alarm
    ("not a gpu", "560.35.05", None),
    ("12.0", None, None),
])
def test_unknown_or_older_architectures(cc, driver, drives):
    floor = compat.driver_drives_gpu(cc, driver, "linux", RECIPES.gpu_first_cuda, RECIPES.toolkits)
    assert floor.drives is drives
    if cc == "12.0":
        assert str(floor.needs) == "570.26"  # a described machine is told what it needs
