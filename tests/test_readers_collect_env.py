"""collect_env reports, as pasted into real issue threads, read into the facts check collects.

The expected values below were read off each report by hand (tests/fixtures/collect_env/README.md names
the thread each comes from); the property tests print reports in torch's own format from machines drawn by
Hypothesis and check that every fact comes back, however the report is wrapped.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES_DIR
from hypothesis import given
from hypothesis import strategies as st
from strategies import machines

from envdoctor.readers import NotAReportError, detect, read_text
from envdoctor.readers.collect_env import read_collect_env

REPORTS = FIXTURES_DIR / "collect_env"


@pytest.fixture(scope="module")
def recipes():
    from envdoctor.recipes import load_recipes

    return load_recipes()


def read(name: str):
    return read_collect_env((REPORTS / name).read_text(encoding="utf-8"))


# file -> what the report says: (OS system, arch, Python version, torch version, torch CUDA, driver,
#         NVIDIA GPU names, AMD GPU names)
EXPECTED = {
    "1.5.0-windows-fenced.md": ("", "", "3.7", "1.5.0+cu101", "10.1", "426.25", ["Quadro P1000"], []),
    "1.5.0-windows-server-quoted.md": ("Windows", "", "3.7", "1.5.0+cu101", "10.1", "442.92",
                                       ["TITAN RTX", "TITAN RTX"], []),
    "2.0.1-windows11-gtx1050ti.txt": ("Windows", "x86_64", "3.9.16", "2.0.1+cu117", "11.7", "535.98",
                                      ["NVIDIA GeForce GTX 1050 Ti"], []),
    "2.8.0-windows11-cpu-warning-first.txt": ("Windows", "x86_64", "3.10.17", "2.8.0.dev20250528+cpu", None, None, [], []),
    "1.7.1-windows10-localized-zh.txt": ("Windows", "", None, "1.7.1", "11.0", None, [], []),
    "1.7.0-colab-t4-unfenced.txt": ("Linux", "x86_64", "3.6", "1.7.0+cu101", "10.1", "418.67", ["Tesla T4"], []),
    "1.7.1-ubuntu-rtx3080-could-not-collect.txt": ("Linux", "x86_64", "3.8", "1.7.1+cu110", "11.0", None, [], []),
    "no-torch-macos-python2.7.md": ("Darwin", "x86_64", "2.7", None, None, None, [], []),
    "no-torch-ubuntu-trailing-spaces.txt": ("Linux", "", "3.7", None, None, None, [], []),
    "1.7.0a0-rocm-source-build.md": ("Linux", "x86_64", "3.6", "1.7.0a0+9ddd3df", None, None, [], ["Device 66a1"]),
    "2.10.0-macos13-arm64-nightly.md": ("Darwin", "arm64", "3.11.9", "2.10.0.dev20251008", None, None, [], []),
    "1.13.0-macos12.2-arm64-mps-unavailable.txt": ("Darwin", "arm64", "3.9.12", "1.13.0.dev20220525", None, None, [], []),
    "2.6.0a0-macos15-x86_64-python-on-apple-m2.md": ("Darwin", "arm64", "3.12.8", "2.6.0a0+git1eba9b3", None, None, [], []),
    "2.2.2-macos14-intel-wrapped.txt": ("Darwin", "x86_64", "3.10.13", "2.2.2", None, None, [], []),
    "1.8.0a0-macos11-arm64-backticks.txt": ("Darwin", "arm64", "3.9", "1.8.0a0+c068180", None, None, [], []),
    "2.4.0-wsl2-rtx4070-laptop.txt": ("Linux", "x86_64", "3.12.3", "2.4.0+cu121", "12.1", "551.88",
                                      ["NVIDIA GeForce RTX 4070 Laptop GPU"], []),
    "2.6.0-ubuntu24.10-rtx5090d-cu126.md": ("Linux", "x86_64", "3.12.9", "2.6.0+cu126", "12.6", "570.124.04",
                                            ["NVIDIA GeForce RTX 5090 D"], []),
    "2.3.0-rocm6.0-wget-preamble.txt": ("Linux", "x86_64", "3.10.12", "2.3.0+rocm6.0", None, None, [], []),
    "2.2.0-rocm5.7-rx6750xt.txt": ("Linux", "x86_64", "3.9.18", "2.2.0.dev20230928+rocm5.7", None, None, [],
                                   ["AMD Radeon RX 6750 XT"]),
    "2.7.0-rocm6.3-gentoo-details.md": ("Linux", "x86_64", "3.12.8", "2.7.0.dev20250123+rocm6.3", None, None, [],
                                        ["AMD Radeon RX 5700 XT"]),
    "2.13.0-xpu-wsl2.txt": ("Linux", "x86_64", "3.14.4", "2.13.0+xpu", None, None, [], []),
    "xpu-indented-b60.txt": ("Linux", "x86_64", "3.10.21", None, None, None, [], []),
    "1.10.2-conda-cuda10.2-libraries-only.txt": ("", "", None, "1.10.2", "10.2", None, [], []),
    "1.4.0a0-macos10.14-old-labels.md": ("Darwin", "", "3.7", "1.4.0a0+013ca32", None, None, [], []),
    "template-1.0-ubuntu16.04-titan-xp.md": ("Linux", "", "3.6.7", "1.0", None, None, ["GPU TITAN xp"], []),
    "generated-2.13.0-cpu-linux.txt": ("Linux", "x86_64", "3.11.7", "2.13.0+cpu", None, None, [], []),
    "generated-2.13.0-cpu-linux-no-nvcc.txt": ("Linux", "x86_64", "3.11.7", "2.13.0+cpu", None, None, [], []),
    "generated-no-torch-python3.10.txt": ("Linux", "x86_64", "3.10.13", None, None, None, [], []),
}


def test_every_fixture_is_checked():
    on_disk = {p.name for p in REPORTS.iterdir() if p.name != "README.md"}
    assert on_disk == set(EXPECTED)
    readme = (REPORTS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in on_disk), "every fixture names its source in the README"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_facts_match_what_the_report_says(name):
    system, arch, python, torch, cuda, driver, nvidia, amd = EXPECTED[name]
    facts = read(name).facts
    assert (facts.os.system, facts.os.arch) == (system, arch)
    assert facts.python.version == python
    assert facts.torch.version == torch
    assert facts.torch.cuda == cuda
    assert facts.nvidia.driver_version == driver
    assert [g.name for g in facts.nvidia.gpus] == nvidia
    assert [g.name for g in facts.rocm.gpus] == amd


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fact_names_the_report_line_it_came_from(name):
    text = (REPORTS / name).read_text(encoding="utf-8").split("\n")
    facts = read(name).facts
    for source in filter(None, [facts.torch.source, facts.nvidia.source, facts.python.source, facts.os.source]
                         + [g.source for g in facts.nvidia.gpus + facts.rocm.gpus]):
        number, _, quoted = source.removeprefix("report line ").partition(": ")
        assert quoted.strip().lstrip("`>") in text[int(number) - 1], source


def test_old_labels_say_no_and_yes():
    # torch 1.x printed "Is debug build: No" / "Is CUDA available: No" (pytorch/audio#307, read by hand)
    facts = read("1.4.0a0-macos10.14-old-labels.md").facts
    assert (facts.torch.debug, facts.torch.cuda_available, facts.torch.cuda) == (False, False, None)
    assert facts.os.macos_version == "10.14.6"


#: Labels of the script as printed since 1.0; the same report with their colons lost must read the same.
OLD_LABELS = ("PyTorch version", "Is debug build", "CUDA used to build PyTorch", "Python version", "Is CUDA available",
              "CUDA runtime version", "GPU models and configuration", "Nvidia driver version", "OS", "GCC version")


@pytest.mark.parametrize("name", ["1.5.0-windows-fenced.md", "1.7.0-colab-t4-unfenced.txt",
                                  "1.4.0a0-macos10.14-old-labels.md", "2.4.0-wsl2-rtx4070-laptop.txt"])
def test_labels_without_their_colon_read_as_with_it(name):
    # the real report with "Label: value" retyped as "Label value" (assembled from the fixture by the test)
    text = (REPORTS / name).read_text(encoding="utf-8")
    bare = text
    for label in OLD_LABELS[:-2]:
        bare = bare.replace(f"\n{label}: ", f"\n{label} ")
    assert bare != text
    want, got = read_collect_env(text).facts, read_collect_env(bare).facts
    assert (got.torch.version, got.torch.cuda, got.torch.debug, got.torch.cuda_available) == (
        want.torch.version, want.torch.cuda, want.torch.debug, want.torch.cuda_available)
    assert (got.python.version, got.nvidia.driver_version, [g.name for g in got.nvidia.gpus]) == (
        want.python.version, want.nvidia.driver_version, [g.name for g in want.nvidia.gpus])


def test_a_report_listing_gpus_is_never_told_nvidia_smi_is_missing(recipes):
    # 1.5.0 (pytorch/pytorch#39133) names its one GPU bare after the label, the template one "GPU TITAN xp"
    from envdoctor.diagnose import diagnose
    for name in ("1.5.0-windows-fenced.md", "template-1.0-ubuntu16.04-titan-xp.md", "1.7.0-colab-t4-unfenced.txt"):
        text = (REPORTS / name).read_text(encoding="utf-8")
        for variant in (text, text.replace("GPU 0: ", "")):
            reading = read_text(variant, name)
            assert reading.facts.nvidia.gpus and reading.facts.nvidia.status == "ok", name
            findings = {f.id for f in diagnose(reading, recipes, name).findings}
            assert "nvidia.gpus-unknown" not in findings, name


def test_windows_details():
    facts = read("2.0.1-windows11-gtx1050ti.txt").facts
    assert facts.os.windows_build == "10.0.22621" and facts.os.windows_release == "11"
    assert facts.python.platform_tag == "win-amd64" and facts.python.pointer_bits == 64
    assert facts.cpu.model == "Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz"
    assert [i.version for i in facts.cudnn.installs] == ["8"]
    assert [(c.name, c.version) for c in facts.torch.companions] == [("torchaudio", "2.0.2+cu117"), ("torchvision", "0.15.2")]
    assert facts.torch.cuda_available is True
    assert [t.version for t in facts.cuda.toolkits] == ["11.7.64"]  # collect_env's "runtime" is nvcc


def test_a_localized_windows_name_is_kept_and_recognised():
    facts = read("1.7.1-windows10-localized-zh.txt").facts
    assert facts.os.system == "Windows" and facts.os.windows_release == "10"
    assert facts.os.distro_name == "Microsoft Windows 10 专业版(Professional)"


def test_wsl2_from_the_kernel_in_python_platform():
    facts = read("2.4.0-wsl2-rtx4070-laptop.txt").facts
    assert facts.os.wsl == "wsl2" and facts.os.kernel == "5.15.153.1-microsoft-standard-WSL2"
    assert facts.os.glibc == "2.35"
    assert facts.cpu.model == "13th Gen Intel(R) Core(TM) i9-13950HX" and facts.cpu.logical_cores == 32


def test_rosetta_python_on_apple_silicon():
    facts = read("2.6.0a0-macos15-x86_64-python-on-apple-m2.md").facts
    assert facts.apple.apple_silicon and facts.os.macos_version == "15.3"
    assert facts.python.machine == "x86_64" and not facts.apple.mps_possible


def test_an_intel_mac_is_not_apple_silicon():
    facts = read("2.2.2-macos14-intel-wrapped.txt").facts
    assert not facts.apple.apple_silicon and facts.os.arch == "x86_64"


def test_rocm_and_xpu_builds():
    rocm = read("2.7.0-rocm6.3-gentoo-details.md").facts
    assert rocm.torch.hip == "6.3.42131-fa1d09cbd" and rocm.rocm.version == "6.3.42131"
    assert rocm.rocm.gpus[0].arch == "gfx1010" and rocm.nvidia.status == "no_driver"
    xpu = read("2.13.0-xpu-wsl2.txt").facts
    assert xpu.torch.xpu == "20260000" and xpu.xpu.present
    assert [d.name for d in xpu.xpu.devices] == ["Intel(R) Graphics [0xb080]"]


def test_conda_lists_give_builds_channels_and_the_installer():
    facts = read("1.10.2-conda-cuda10.2-libraries-only.txt").facts
    assert facts.torch.installer == "conda" and facts.torch.conda
    vision = facts.torch.companion("torchvision")
    assert vision is not None and (vision.version, vision.build, vision.channel) == ("0.11.3", "py37_cu102", "pytorch")
    assert {(d.name, d.installer) for d in facts.torch.installs} == {("torch", "pip"), ("pytorch", "conda")}


def test_could_not_collect_is_unknown_not_absent_for_cut_reports():
    cut = read("2.3.0-rocm6.0-wget-preamble.txt")  # cut before the GPU lines
    assert cut.facts.nvidia.status == "unknown" and cut.truncated_at == 28
    said = read("1.7.1-ubuntu-rtx3080-could-not-collect.txt").facts  # the lines are there, empty
    assert said.nvidia.status == "no_driver" and "Could not collect" in said.nvidia.message
    top_cut = read("xpu-indented-b60.txt").facts
    assert top_cut.torch.status == "unknown"


def test_torch_missing_but_listed_by_the_same_pip_is_a_broken_install():
    text = (REPORTS / "generated-no-torch-python3.10.txt").read_text(encoding="utf-8")
    broken = text.replace("[pip3] No relevant packages", "[pip3] torch==2.1.0")
    assert read_collect_env(broken).facts.torch.status == "error"
    # a [pip3] list beside a Python 2 came from another interpreter's pip: no claim about this one
    assert read("no-torch-macos-python2.7.md").facts.torch.status == "absent"


def test_what_could_not_be_read_is_listed():
    quoted = read("1.5.0-windows-server-quoted.md")
    assert quoted.unread == ["line 31: [cond (not a [pip] or [conda] line)"]
    wrapped = read("2.2.2-macos14-intel-wrapped.txt")
    assert any("(clang-1500.1.0.2.5)] (64-bit runtime)" in line for line in wrapped.unread)


def test_hand_edited_values_are_listed_not_guessed():
    text = (REPORTS / "2.0.1-windows11-gtx1050ti.txt").read_text(encoding="utf-8")
    edited = text.replace("Nvidia driver version: 535.98", "Nvidia driver version: the latest one")
    reading = read_collect_env(edited)
    assert reading.facts.nvidia.driver_version is None
    assert any("the latest one" in line and "not a driver version" in line for line in reading.unread)


def test_a_second_report_in_the_same_text_is_not_mixed_in():
    text = (REPORTS / "generated-2.13.0-cpu-linux.txt").read_text(encoding="utf-8")
    other = (REPORTS / "2.0.1-windows11-gtx1050ti.txt").read_text(encoding="utf-8")
    reading = read_collect_env(text + "\n\nand on my other machine:\n\n" + other)
    assert reading.facts.torch.version == "2.13.0+cpu" and reading.facts.nvidia.gpus == []
    assert reading.notes and "second report" in reading.notes[0]


@pytest.mark.parametrize("text", [
    "", "hello", "OS: Linux\nCPU: fast", "pip install torch",
    '{"not": "an envdoctor report"}'.replace("{", "[", 1).replace("}", "]"),
])
def test_text_that_is_no_report_is_read_as_a_paste_with_nothing_recognised(text):
    reading = read_text(text, "pasted.txt")
    assert reading.kind == "paste" and reading.paste is not None and reading.paste.signals == []


@pytest.mark.parametrize("text", ["PyTorch version: 2.1\x00\x00", "\x01\x02\x03\x04 binary"])
def test_binary_input_is_refused(text):
    with pytest.raises(NotAReportError, match="binary data, not text"):
        read_text(text, "pasted.bin")


def test_detect():
    assert detect((REPORTS / "2.4.0-wsl2-rtx4070-laptop.txt").read_text(encoding="utf-8")) == "collect_env"
    assert detect('```json\n{"schema": "envdoctor.report/1"}\n```') == "envdoctor-report"
    assert detect("Collecting environment information...\nnothing else") is None


# ---------------------------------------------------------------------------- reports printed from machines


def print_report(machine, torch: str | None, cuda: str | None) -> str:
    """A report in torch 2.13's layout (env_info_fmt of torch/utils/collect_env.py) for a drawn machine."""
    facts = machine.facts()
    system = {"linux": "Linux", "wsl2": "Linux", "rocm": "Linux", "windows": "Windows", "macos": "Darwin"}[machine.kind]
    arch = machine.platform.split("-", 1)[1]
    if system == "Linux":
        kernel = "5.15.153.1-microsoft-standard-WSL2" if machine.kind == "wsl2" else "6.8.0-45-generic"
        platform_line = f"Linux-{kernel}-{arch}-with-glibc{machine.glibc or '2.35'}"
        os_line = f"{machine.distro[2] if machine.distro else 'Linux'} ({arch})"
    elif system == "Windows":
        platform_line, os_line = f"Windows-10-{machine.windows_build or '10.0.22631'}-SP0", "Microsoft Windows 11 Pro"
    else:
        machine_word = "x86_64" if machine.rosetta or arch == "x86_64" else "arm64"
        platform_line = f"macOS-{machine.macos}-{machine_word}-{'i386' if machine_word == 'x86_64' else 'arm'}-64bit"
        os_line = f"macOS {machine.macos} ({machine_word})"
    gpus = [g for g in facts.nvidia.gpus if g.visible]
    gpu_block = ("\n" + "\n".join(f"GPU {i}: {g.name}" for i, g in enumerate(gpus)) + "\n") if len(gpus) > 1 else (
        f"GPU 0: {gpus[0].name}" if gpus else "Could not collect")
    driver = facts.nvidia.driver_version or "Could not collect"
    cpu = "Apple M2" if system == "Darwin" and (machine.rosetta or arch == "arm64") else "Intel(R) Xeon(R) CPU"
    return f"""Collecting environment information...
PyTorch version: {torch or 'N/A'}
Is debug build: False
CUDA used to build PyTorch: {cuda or 'None'}
ROCM used to build PyTorch: N/A

OS: {os_line}
GCC version: Could not collect
Clang version: Could not collect
CMake version: Could not collect
Libc version: {('glibc-' + (machine.glibc or '2.35')) if system == 'Linux' else 'N/A'}

Python version: {machine.python} (main, Jan  1 2025, 00:00:00) [GCC 11.4.0] (64-bit runtime)
Python platform: {platform_line}
Is CUDA available: {bool(gpus) and cuda is not None}
CUDA runtime version: Could not collect
CUDA_MODULE_LOADING set to: LAZY
GPU models and configuration: {gpu_block}
Nvidia driver version: {driver}
cuDNN version: Could not collect
Is XPU available: False
HIP runtime version: N/A
MIOpen runtime version: N/A
Is XNNPACK available: True
Caching allocator config: N/A

CPU:
{cpu}

Versions of relevant libraries:
[pip3] numpy==2.1.0
{f'[pip3] torch=={torch}' if torch else '[pip3] No relevant packages'}
[conda] Could not collect"""


WRAPPINGS = [
    lambda t: t,
    lambda t: "```\n" + t + "\n```\n\ncc @someone",
    lambda t: "\n".join("> " + line for line in t.split("\n")),
    lambda t: "\n".join("  " + line for line in t.split("\n")),
    lambda t: t.replace("\n", "\r\n"),
    lambda t: "/x/torch/__init__.py:1: UserWarning: something\n  warnings.warn(\n" + t,
    lambda t: "<details>\n<summary>collect_env</summary>\n\n```text\n" + t + "\n```\n</details>",
]


@given(machine=machines(), torch=st.sampled_from([None, "2.5.1+cu124", "2.13.0+cpu", "2.9.1"]),
       wrapping=st.sampled_from(range(len(WRAPPINGS))))
def test_a_printed_report_reads_back_into_the_machine_it_describes(machine, torch, wrapping):
    cuda = "12.4" if torch == "2.5.1+cu124" else None
    reading = read_collect_env(WRAPPINGS[wrapping](print_report(machine, torch, cuda)))
    facts, expected = reading.facts, machine.facts()
    assert reading.unread == []
    assert facts.python.version == machine.python
    assert facts.torch.version == torch and facts.torch.cuda == cuda
    assert facts.nvidia.driver_version == expected.nvidia.driver_version
    assert [g.name for g in facts.nvidia.gpus] == [g.name for g in expected.nvidia.gpus if g.visible]
    system = {"linux": "Linux", "wsl2": "Linux", "rocm": "Linux", "windows": "Windows", "macos": "Darwin"}[machine.kind]
    assert facts.os.system == system
    assert (facts.os.wsl == "wsl2") == (machine.kind == "wsl2")
    if system == "Darwin":
        assert facts.python.machine == ("x86_64" if machine.rosetta or machine.platform.endswith("x86_64") else "arm64")


@given(st.text(max_size=400))
def test_any_text_is_read_or_refused_never_a_crash(text):
    try:
        read_text(text, "x")
    except NotAReportError:
        pass
    except ValueError as exc:  # a broken envdoctor report (text starting with '{')
        assert "x" in str(exc)


@pytest.mark.parametrize("line", [
    "GPU models and configuration: GPU 0: a" + " " * 200_000 + "b",
    "OS: " + " " * 200_000 + "x",
    ">" * 200_000,
    "GPU models and configuration: " + "(gfx900" * 50_000,
    "cuDNN version: " + "libcudnn_" * 50_000,
    "<details" * 50_000,
    "[conda] " + "a " * 100_000,
])
def test_hostile_lines_are_read_or_listed(line):
    """Lines built to make a careless pattern backtrack (the benchmark times them; here they must just end)."""
    reading = read_collect_env("PyTorch version: 2.1.0\nIs debug build: False\n" + line + "\n")
    assert reading.facts.torch.version == "2.1.0"
