"""Parts of real collect_env reports read whole; every expected value was read off the report's own lines
(tests/fixtures/collect_env/README.md names the thread each report comes from)."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import FIXTURES_DIR

from envdoctor.facts import Attempt, CudaToolkit, Gpu, OsFacts, PythonFacts, ToolInfo, XpuFacts
from envdoctor.readers.collect_env import _cpu, _os, _Platform, _platform, parse_fields, read_collect_env


def facts(name: str):
    return read_collect_env((FIXTURES_DIR / "collect_env" / name).read_text(encoding="utf-8")).facts


def os_of(name: str) -> dict[str, object]:
    return {key: value for key, value in dataclasses.asdict(facts(name).os).items() if key != "attempts"}


NO_OS = {"macos_version": None, "windows_build": None, "windows_release": None, "container": None, "distro_like": []}


def test_a_wsl2_report():
    found = facts("2.4.0-wsl2-rtx4070-laptop.txt")
    assert found.cuda.toolkits == [CudaToolkit("12.4.131", active=True,
                                               source="nvcc --version, as report line 17: CUDA runtime version: 12.4.131")]
    assert (found.torch.debug, found.torch.attempts, found.python.tools) == (
        False, [Attempt("report line 3", "ok", "PyTorch version: 2.4.0+cu121")], [])
    assert [gpu.name for gpu in found.nvidia.gpus] == ["NVIDIA GeForce RTX 4070 Laptop GPU"]
    assert os_of("2.4.0-wsl2-rtx4070-laptop.txt") == {
        **NO_OS, "system": "Linux", "arch": "x86_64", "kernel": "5.15.153.1-microsoft-standard-WSL2",
        "distro_id": "ubuntu", "distro_version": "22.04", "distro_name": "Ubuntu 22.04.2 LTS", "glibc": "2.35",
        "wsl": "wsl2", "source": "report line 8: OS: Ubuntu 22.04.2 LTS (x86_64)"}


def test_a_gentoo_rocm_report():
    found = facts("2.7.0-rocm6.3-gentoo-details.md")
    assert ([gpu.name for gpu in found.rocm.gpus], found.nvidia.gpus) == (["AMD Radeon RX 5700 XT"], [])
    assert found.torch.attempts == [Attempt("report line 7", "ok", "PyTorch version: 2.7.0.dev20250123+rocm6.3")]
    assert os_of("2.7.0-rocm6.3-gentoo-details.md") == {
        **NO_OS, "system": "Linux", "arch": "x86_64", "kernel": "6.7.7-gentoo-dist", "distro_id": "gentoo",
        "distro_version": None, "distro_name": "Gentoo Linux", "glibc": "2.40", "wsl": None,
        "source": "report line 12: OS: Gentoo Linux (x86_64)"}


def test_a_radeon_report():
    found = facts("2.2.0-rocm5.7-rx6750xt.txt")
    assert ([gpu.name for gpu in found.rocm.gpus], found.nvidia.gpus, found.torch.debug) == (
        ["AMD Radeon RX 6750 XT"], [], False)


def test_an_xpu_report():
    found = facts("2.13.0-xpu-wsl2.txt")
    assert ([device.name for device in found.xpu.devices], found.xpu.present) == (["Intel(R) Graphics [0xb080]"], True)


def test_a_report_of_library_lists_only():
    found = facts("1.10.2-conda-cuda10.2-libraries-only.txt")
    where = "report line 1: Versions of relevant libraries:"
    assert found.python.tools == [ToolInfo("pip", source=where), ToolInfo("conda", source=where)]
    assert (found.torch.debug, found.torch.attempts) == (None, [
        Attempt("report: pytorch version", "not_found", "not in the report"),
        Attempt("report line 15: [conda] pytorch                   1.10.2          py3.7_cuda10.2_cudnn7.6.5_0    pytorch",
                "ok", "torch read from the library lists: the report's top is missing")])


def test_a_macos_report_s_version_comes_from_its_platform_line():
    # "Python platform: macOS-12.2.1-arm64-arm-64bit"
    found = facts("1.13.0-macos12.2-arm64-mps-unavailable.txt")
    assert (found.os.system, found.os.arch, found.os.macos_version, found.os.glibc) == ("Darwin", "arm64", "12.2.1", None)


def test_the_cpu_block_of_a_generated_report():
    # "CPU(s): 2", "Model name: AMD EPYC", and a Flags line with avx2 and avx512f
    cpu = facts("generated-2.13.0-cpu-linux.txt").cpu
    assert dataclasses.asdict(cpu) == {"model": "AMD EPYC", "physical_cores": None, "logical_cores": 2,
                                       "memory_total_bytes": None, "avx2": True, "avx512": True,
                                       "source": "report line 30: CPU:", "attempts": []}


# Assembled, not pasted: the lines of torch's collect_env format, with a GPU list as `nvidia-smi -L` prints it
# (name, then "(UUID: GPU-...)") and a Radeon named without "AMD", as ROCm's own tools list some cards.
ASSEMBLED = """\
PyTorch version: 2.5.1+cu124
Is debug build: False
CUDA used to build PyTorch: 12.4
OS: Ubuntu 22.04.4 LTS (x86_64)
Python version: 3.11.9 (main) [GCC 11.4.0] (64-bit runtime)
Python platform: Linux-5.15.0-105-generic-x86_64-with-glibc2.35
Is CUDA available: True
GPU models and configuration:
GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-1b2c3d4e-0000-1111-2222-333344445555)
GPU 1: Radeon Pro W7900
Nvidia driver version: 550.54.15
"""


def test_gpu_lines_lose_their_uuid_and_a_radeon_is_amd():
    found = read_collect_env(ASSEMBLED).facts
    assert ([(g.vendor, g.name) for g in found.nvidia.gpus], [(g.vendor, g.name) for g in found.rocm.gpus]) == (
        [("nvidia", "NVIDIA A100-SXM4-80GB")], [("amd", "Radeon Pro W7900")])


def test_a_windows_report_s_python_whole():
    # line 18: "Python version: 3.9.16 (main, May 17 2023, 17:49:16) [MSC v.1916 64 bit (AMD64)] (64-bit runtime)";
    # sysconfig names a 64-bit x86 CPython on Windows "win-amd64", and platform.machine() there is "AMD64"
    found = facts("2.0.1-windows11-gtx1050ti.txt").python
    line = "Python version: 3.9.16 (main, May 17 2023, 17:49:16) [MSC v.1916 64 bit (AMD64)] (64-bit runtime)"
    libraries = "report line 43: Versions of relevant libraries:"
    assert found == PythonFacts(
        status="ok", version="3.9.16", implementation="cpython", platform_tag="win-amd64", machine="AMD64",
        pointer_bits=64, tools=[ToolInfo("pip", source=libraries), ToolInfo("conda", source=libraries)],
        source=f"report line 18: {line}",
        attempts=[Attempt("report line 18", "ok", line),
                  Attempt("report line 19", "ok", "Python platform: Windows-10-10.0.22621-SP0")])


def generated_without_torch(replaced: dict[str, str]) -> str:
    """generated-no-torch-python3.10.txt (torch 2.13.0's collect_env.py run by a Python 3.10 without torch)
    with whole lines replaced: assembled, to give the report what a broken or shadowed install would show."""
    text = (FIXTURES_DIR / "collect_env" / "generated-no-torch-python3.10.txt").read_text(encoding="utf-8")
    for old, new in replaced.items():
        assert old in text.splitlines()
        text = text.replace(old, new)
    return text


def test_torch_that_pip_lists_but_the_report_could_not_import_is_an_error():
    # Assembled: the Python 3.10 report without torch, with "[pip3] torch==2.13.0" as its pip list (line 73)
    found = read_collect_env(generated_without_torch({"[pip3] No relevant packages": "[pip3] torch==2.13.0"}))
    torch = found.facts.torch
    assert (torch.status, torch.version, torch.attempts) == ("error", None, [
        Attempt("report line 2", "not_found", "pytorch version: N/A"),  # the field's label, then its value
        Attempt("report line 73: [pip3] torch==2.13.0", "error",
                "the report could not import torch, but pip lists torch 2.13.0")])


def test_a_torch_version_that_is_no_version_is_said():
    # Assembled: "PyTorch version: master" as old issue templates were filled in
    found = read_collect_env(generated_without_torch({"PyTorch version: N/A": "PyTorch version: master"}))
    torch = found.facts.torch
    assert (torch.status, torch.version, torch.attempts) == ("error", None, [
        Attempt("report line 2", "ok", "PyTorch version: master"),
        Attempt("report line 2: PyTorch version: master", "unparsed", "'master' is not a version")])


def test_a_conda_pytorch_of_another_version_is_not_the_torch_imported():
    # Assembled: torch 2.1.0 imported (pip's), while conda's list holds a pytorch 2.0.1 that pip's shadows
    found = read_collect_env(generated_without_torch({
        "PyTorch version: N/A": "PyTorch version: 2.1.0+cu118",
        "[pip3] No relevant packages": "[pip3] torch==2.1.0+cu118",
        "[conda] Could not collect": "[conda] pytorch                   2.0.1           py3.10_cuda11.8_cudnn8.7.0_0    pytorch",
    })).facts.torch
    assert (found.status, found.version, found.conda, found.installer, [(d.name, d.version, d.installer)
                                                                       for d in found.installs]) == (
        "ok", "2.1.0+cu118", False, "pip", [("torch", "2.1.0+cu118", "pip"), ("pytorch", "2.0.1", "conda")])


def test_an_xpu_report_whose_models_read_n_a_lists_no_device():
    # assembled from 2.13.0-xpu-wsl2.txt: its "Intel GPU models detected" block cut, as a report of a machine torch
    # finds no Intel GPU on, so the onboard block's own "N/A" (in capitals, as the report writes it) is all there is
    found = read_collect_env(without_block("2.13.0-xpu-wsl2.txt", "Intel GPU models detected:")).facts
    assert (found.xpu.devices, found.xpu.present) == ([], True)


def without_block(name: str, title: str) -> str:
    """A fixture with one block of ``* `` lines cut, title and all (what a report of a machine without it shows)."""
    lines = (FIXTURES_DIR / "collect_env" / name).read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(title))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].strip().startswith("* "))
    return "\n".join(lines[:start] + lines[end:])


def test_an_xpu_report_read_whole():
    # line 26 says whether torch has an XPU, line 34 is the one device torch detected (its line kept to 160 characters)
    assert facts("2.13.0-xpu-wsl2.txt").xpu == XpuFacts(
        present=True, source="report line 26: Is XPU available: True", devices=[Gpu(
            "intel", 0, "Intel(R) Graphics [0xb080]",
            source="report line 34: * [0] _XpuDeviceProperties(name='Intel(R) Graphics [0xb080]', platform_name="
                   "'Intel(R) oneAPI Unified Runtime over Level-Zero V2', type='gpu', device_id=0xB080, ")])


def test_without_the_detected_block_the_first_onboard_model_is_the_device():
    # assembled from xpu-indented-b60.txt, its "Intel GPU models detected" block cut. The onboard block names the B60
    # twice (lines 15 and 16) where torch detected one device (line 18 of the report): its first model is the device
    found = read_collect_env(without_block("xpu-indented-b60.txt", "Intel GPU models detected:")).facts
    assert found.xpu == XpuFacts(present=True, source="report line 9: Is XPU available: True", devices=[Gpu(
        "intel", 0, "Intel(R) Arc(TM) Pro B60 Graphics", source="report line 15: * Intel(R) Arc(TM) Pro B60 Graphics")])


def test_a_detected_device_makes_the_xpu_present_whatever_the_available_line_says():
    # assembled from 2.13.0-xpu-wsl2.txt: its "Is XPU available" line says False
    text = (FIXTURES_DIR / "collect_env" / "2.13.0-xpu-wsl2.txt").read_text(encoding="utf-8")
    found = read_collect_env(text.replace("Is XPU available: True", "Is XPU available: False")).facts
    assert (found.xpu.present, [device.name for device in found.xpu.devices]) == (True, ["Intel(R) Graphics [0xb080]"])


def test_every_detected_device_is_a_device():
    # assembled from xpu-indented-b60.txt: its detected line repeated as device [1], as a machine with two B60s lists them
    lines = (FIXTURES_DIR / "collect_env" / "xpu-indented-b60.txt").read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("* [0] _XpuDeviceProperties"))
    lines.insert(at + 1, lines[at].replace("* [0]", "* [1]"))
    devices = read_collect_env("\n".join(lines)).facts.xpu.devices
    first = facts("xpu-indented-b60.txt").xpu.devices[0].source
    assert first.startswith("report line 18: * [0] ")
    assert [(d.index, d.name, d.source) for d in devices] == [
        (0, "Intel(R) Arc(TM) Pro B60 Graphics", first),
        (1, "Intel(R) Arc(TM) Pro B60 Graphics", first.replace("report line 18: * [0] ", "report line 19: * [1] "))]


def test_a_report_cut_inside_its_platform_line_takes_glibc_from_its_libc_line():
    # line 21 "OS: Ubuntu 22.04.4 LTS (x86_64)", line 25 "Libc version: glibc-2.35", line 28 cut as
    # "Python platform: Linux-5.15.0-105-generic-x86_64-w": the kernel is read there, the glibc only on line 25
    assert os_of("2.3.0-rocm6.0-wget-preamble.txt") == {
        **NO_OS, "system": "Linux", "arch": "x86_64", "kernel": "5.15.0-105-generic", "distro_id": "ubuntu",
        "distro_version": "22.04", "distro_name": "Ubuntu 22.04.4 LTS", "glibc": "2.35", "wsl": None,
        "source": "report line 21: OS: Ubuntu 22.04.4 LTS (x86_64)"}


MAC = {**NO_OS, "system": "Darwin", "kernel": None, "distro_id": "macos", "glibc": None, "wsl": None}


def test_macos_reports_whole():
    # 1.13.0: line 8 "OS: macOS 12.2.1 (arm64)"; 2.2.2: line 14 "OS: macOS 14.5 (x86_64)", an Intel i9; 2.6.0a0:
    # line 11 "OS: macOS 15.3 (x86_64)" and "macOS-10.16-x86_64-i386-64bit" (what an x86_64 Python built for 10.x
    # reports) on an "Apple M2 Pro": the machine is Apple silicon, the version the OS line's
    assert [os_of(name) for name in ("1.13.0-macos12.2-arm64-mps-unavailable.txt", "2.2.2-macos14-intel-wrapped.txt",
                                     "2.6.0a0-macos15-x86_64-python-on-apple-m2.md")] == [
        {**MAC, "arch": "arm64", "macos_version": "12.2.1", "distro_version": "12.2.1", "distro_name": "macOS 12.2.1",
         "source": "report line 8: OS: macOS 12.2.1 (arm64)"},
        {**MAC, "arch": "x86_64", "macos_version": "14.5", "distro_version": "14.5", "distro_name": "macOS 14.5",
         "source": "report line 14: OS: macOS 14.5 (x86_64)"},
        {**MAC, "arch": "arm64", "macos_version": "15.3", "distro_version": "15.3", "distro_name": "macOS 15.3",
         "source": "report line 11: OS: macOS 15.3 (x86_64)"}]


def test_a_macos_report_without_its_os_line_takes_the_version_from_its_platform_line():
    # Assembled from 1.13.0-macos12.2-arm64-mps-unavailable.txt: line 8 "OS: macOS 12.2.1 (arm64)" replaced by
    # "OS: Could not collect", so only line 15 "Python platform: macOS-12.2.1-arm64-arm-64bit" gives the version
    text = (FIXTURES_DIR / "collect_env" / "1.13.0-macos12.2-arm64-mps-unavailable.txt").read_text(encoding="utf-8")
    assert "OS: macOS 12.2.1 (arm64)" in text.splitlines()
    found = read_collect_env(text.replace("OS: macOS 12.2.1 (arm64)", "OS: Could not collect")).facts.os
    assert {key: value for key, value in dataclasses.asdict(found).items() if key != "attempts"} == {
        **MAC, "arch": "arm64", "macos_version": "12.2.1", "distro_version": "12.2.1", "distro_name": "macOS 12.2.1",
        "source": "report line 8: OS: Could not collect"}


WINDOWS = {**NO_OS, "system": "Windows", "arch": "x86_64", "kernel": None, "distro_id": None, "distro_version": None,
           "glibc": None, "wsl": None}


def test_windows_reports_whole():
    # 2.8.0: line 9 "OS: Microsoft Windows 11 Enterprise (10.0.22631 64-bit)", line 16 "Windows-10-10.0.22631-SP0";
    # 2.0.1: line 12 "OS: Microsoft Windows 11 Pro", line 19 "Windows-10-10.0.22621-SP0". platform.platform() says
    # "Windows-10" on Windows 11 too; builds from 22000 up are Windows 11
    assert [os_of("2.8.0-windows11-cpu-warning-first.txt"), os_of("2.0.1-windows11-gtx1050ti.txt")] == [
        {**WINDOWS, "distro_name": "Microsoft Windows 11 Enterprise (10.0.22631 64-bit)", "windows_build": "10.0.22631",
         "windows_release": "11", "source": "report line 9: OS: Microsoft Windows 11 Enterprise (10.0.22631 64-bit)"},
        {**WINDOWS, "distro_name": "Microsoft Windows 11 Pro", "windows_build": "10.0.22621", "windows_release": "11",
         "source": "report line 12: OS: Microsoft Windows 11 Pro"}]


def test_a_gpu_line_with_two_uuids_is_cut_at_the_first():
    # Assembled from 2.4.0-wsl2-rtx4070-laptop.txt: its GPU line 19 given two "(UUID: ...)" parts, as a line of
    # `nvidia-smi -L` with the UUID line of a MIG device joined to it reads; the name ends before the first
    text = (FIXTURES_DIR / "collect_env" / "2.4.0-wsl2-rtx4070-laptop.txt").read_text(encoding="utf-8")
    field, line = "GPU models and configuration: ", "GPU 0: NVIDIA GeForce RTX 4070 Laptop GPU"
    assert field + line in text.splitlines()
    joined = (f"{line} (UUID: GPU-1b2c3d4e-0000-1111-2222-333344445555) MIG 1g.5gb Device 0: "
              "(UUID: MIG-5e6f7a8b-0000-1111-2222-333344445555)")
    found = read_collect_env(text.replace(field + line, field + joined)).facts
    assert (found.nvidia.gpus, found.rocm.gpus) == (
        [Gpu("nvidia", 0, "NVIDIA GeForce RTX 4070 Laptop GPU", source=f"report line 19: {joined}")], [])


# ---------------------------------------------------------------------------- the platform, OS and GPU lines of every report
# Each value below was read off the report's own lines by hand: the "Python platform" line for the platform
# (`platform.platform()`: system, release or kernel, machine, then glibc or the Windows build), the "OS" line with its
# "(machine)" for the OS, and the "GPU models and configuration" field with the lines under it for the GPUs.

def fields_of(text: str) -> dict:
    return parse_fields(text)[0]


def report(name: str) -> str:
    return (FIXTURES_DIR / "collect_env" / name).read_text(encoding="utf-8")


REPORTS = sorted(path.name for path in (FIXTURES_DIR / "collect_env").iterdir() if path.name != "README.md")
LINUX_X86 = {"system": "Linux", "machine": "x86_64"}
#: the "Python platform" line of each report that has one (the others read as no platform at all)
PLATFORMS = {
    # macOS-12.2.1-arm64-arm-64bit
    "1.13.0-macos12.2-arm64-mps-unavailable.txt": {"system": "Darwin", "machine": "arm64", "macos": "12.2.1"},
    "2.0.1-windows11-gtx1050ti.txt": {"system": "Windows", "windows_build": "10.0.22621"},  # Windows-10-10.0.22621-SP0
    # macOS-13.7.4-arm64-arm-64bit
    "2.10.0-macos13-arm64-nightly.md": {"system": "Darwin", "machine": "arm64", "macos": "13.7.4"},
    "2.13.0-xpu-wsl2.txt": {**LINUX_X86, "kernel": "6.18.33.2-microsoft-standard-WSL2", "glibc": "2.43"},
    "2.2.0-rocm5.7-rx6750xt.txt": {**LINUX_X86, "kernel": "6.2.0-33-generic", "glibc": "2.31"},
    "2.2.2-macos14-intel-wrapped.txt": {"system": "Darwin", "machine": "x86_64", "macos": "14.5"},  # macOS-14.5-x86_64-i386-64bit
    # cut as "Linux-5.15.0-105-generic-x86_64-w": no glibc on the line
    "2.3.0-rocm6.0-wget-preamble.txt": {**LINUX_X86, "kernel": "5.15.0-105-generic"},
    "2.4.0-wsl2-rtx4070-laptop.txt": {**LINUX_X86, "kernel": "5.15.153.1-microsoft-standard-WSL2", "glibc": "2.35"},
    "2.6.0-ubuntu24.10-rtx5090d-cu126.md": {**LINUX_X86, "kernel": "6.11.0-21-generic", "glibc": "2.40"},
    # "macOS-10.16-x86_64-i386-64bit": 10.16 is what a Python built against an older SDK says on macOS 11 and later
    "2.6.0a0-macos15-x86_64-python-on-apple-m2.md": {"system": "Darwin", "machine": "x86_64"},
    # the CPU's name sits between the machine and the glibc
    "2.7.0-rocm6.3-gentoo-details.md": {**LINUX_X86, "kernel": "6.7.7-gentoo-dist", "glibc": "2.40"},
    "2.8.0-windows11-cpu-warning-first.txt": {"system": "Windows", "windows_build": "10.0.22631"},  # Windows-10-10.0.22631-SP0
    "generated-2.13.0-cpu-linux-no-nvcc.txt": {**LINUX_X86, "kernel": "6.18.44-fc-v669", "glibc": "2.36"},
    "generated-2.13.0-cpu-linux.txt": {**LINUX_X86, "kernel": "6.18.44-fc-v669", "glibc": "2.36"},
    "generated-no-torch-python3.10.txt": {**LINUX_X86, "kernel": "6.18.44-fc-v669", "glibc": "2.36"},
    "xpu-indented-b60.txt": {**LINUX_X86, "kernel": "7.0.0-29-generic", "glibc": "2.43"},
}


@pytest.mark.parametrize("name", REPORTS)
def test_the_platform_line_of_every_report_whole(name):
    assert _platform(fields_of(report(name))) == _Platform(**PLATFORMS.get(name, {}))


def ok(line: int, text: str) -> dict:
    """An OS read from report line ``line``, which reads ``text``."""
    return {"source": f"report line {line}: {text}", "attempts": [Attempt(f"report line {line}", "ok", text)]}


def ubuntu(line: int, name: str, version: str, **more) -> dict:
    return {"system": "Linux", "arch": "x86_64", "distro_id": "ubuntu", "distro_version": version, "distro_name": name,
            **ok(line, f"OS: {name} (x86_64)"), **more}


def macos(line: int, text: str, version: str, arch: str) -> dict:
    return {"system": "Darwin", "arch": arch, "distro_id": "macos", "distro_version": version,
            "distro_name": f"macOS {version}", "macos_version": version, **ok(line, text)}


DEBIAN = {"system": "Linux", "arch": "x86_64", "kernel": "6.18.44-fc-v669", "distro_id": "debian", "distro_version": "12",
          "distro_name": "Debian GNU/Linux 12 (bookworm)", "glibc": "2.36"}
#: (the OS facts, Apple silicon, the Python process's machine) of each report, off its OS, platform, libc and CPU lines
OSES = {
    "1.10.2-conda-cuda10.2-libraries-only.txt": (
        {"attempts": [Attempt("report: os", "not_found", "not in the report")]}, False, None),
    "1.13.0-macos12.2-arm64-mps-unavailable.txt": (
        macos(8, "OS: macOS 12.2.1 (arm64)", "12.2.1", "arm64"), True, "arm64"),
    # "OS: Mac OSX 10.14.6", no machine in parentheses and no platform line
    "1.4.0a0-macos10.14-old-labels.md": (macos(9, "OS: Mac OSX 10.14.6", "10.14.6", ""), False, None),
    "1.5.0-windows-fenced.md": ({"source": "report line 13: OS: Could not collect", "attempts": [
        Attempt("report line 13", "not_found", "os: Could not collect")]}, False, None),
    "1.5.0-windows-server-quoted.md": ({"system": "Windows", "distro_name": "Microsoft Windows Server 2019 Standard",
                                        **ok(7, "OS: Microsoft Windows Server 2019 Standard")}, False, None),
    "1.7.0-colab-t4-unfenced.txt": (ubuntu(20, "Ubuntu 18.04.5 LTS", "18.04"), False, "x86_64"),
    "1.7.0a0-rocm-source-build.md": (ubuntu(9, "Ubuntu 18.04.4 LTS", "18.04"), False, "x86_64"),
    "1.7.1-ubuntu-rtx3080-could-not-collect.txt": (ubuntu(7, "Ubuntu 20.04.1 LTS", "20.04"), False, "x86_64"),
    "1.7.1-windows10-localized-zh.txt": ({"system": "Windows", "distro_name": "Microsoft Windows 10 专业版(Professional)",
                                          "windows_release": "10",
                                          **ok(9, "OS: Microsoft Windows 10 专业版(Professional)")}, False, None),
    "1.8.0a0-macos11-arm64-backticks.txt": (macos(7, "OS: macOS 11.1 (arm64)", "11.1", "arm64"), True, "arm64"),
    "2.0.1-windows11-gtx1050ti.txt": ({"system": "Windows", "arch": "x86_64", "distro_name": "Microsoft Windows 11 Pro",
                                       "windows_build": "10.0.22621", "windows_release": "11",
                                       **ok(12, "OS: Microsoft Windows 11 Pro")}, False, None),
    "2.10.0-macos13-arm64-nightly.md": (macos(9, "OS: macOS 13.7.4 (arm64)", "13.7.4", "arm64"), True, "arm64"),
    "2.13.0-xpu-wsl2.txt": (ubuntu(12, "Ubuntu 26.04 LTS", "26.04", kernel="6.18.33.2-microsoft-standard-WSL2",
                                   glibc="2.43", wsl="wsl2"), False, "x86_64"),
    "2.2.0-rocm5.7-rx6750xt.txt": (ubuntu(8, "Ubuntu 20.04.6 LTS", "20.04", kernel="6.2.0-33-generic", glibc="2.31"),
                                   False, "x86_64"),
    "2.2.2-macos14-intel-wrapped.txt": (macos(14, "OS: macOS 14.5 (x86_64)", "14.5", "x86_64"), False, "x86_64"),
    "2.3.0-rocm6.0-wget-preamble.txt": (ubuntu(21, "Ubuntu 22.04.4 LTS", "22.04", kernel="5.15.0-105-generic",
                                               glibc="2.35"), False, "x86_64"),
    "2.4.0-wsl2-rtx4070-laptop.txt": (ubuntu(8, "Ubuntu 22.04.2 LTS", "22.04", kernel="5.15.153.1-microsoft-standard-WSL2",
                                             glibc="2.35", wsl="wsl2"), False, "x86_64"),
    "2.6.0-ubuntu24.10-rtx5090d-cu126.md": (ubuntu(15, "Ubuntu 24.10", "24.10", kernel="6.11.0-21-generic", glibc="2.40"),
                                            False, "x86_64"),
    # an x86_64 Python on an "Apple M2 Pro" (its CPU line): Apple silicon, the process x86_64
    "2.6.0a0-macos15-x86_64-python-on-apple-m2.md": (macos(11, "OS: macOS 15.3 (x86_64)", "15.3", "arm64"), True, "x86_64"),
    "2.7.0-rocm6.3-gentoo-details.md": ({"system": "Linux", "arch": "x86_64", "kernel": "6.7.7-gentoo-dist",
                                         "distro_id": "gentoo", "distro_name": "Gentoo Linux", "glibc": "2.40",
                                         **ok(12, "OS: Gentoo Linux (x86_64)")}, False, "x86_64"),
    "2.8.0-windows11-cpu-warning-first.txt": ({
        "system": "Windows", "arch": "x86_64", "distro_name": "Microsoft Windows 11 Enterprise (10.0.22631 64-bit)",
        "windows_build": "10.0.22631", "windows_release": "11",
        **ok(9, "OS: Microsoft Windows 11 Enterprise (10.0.22631 64-bit)")}, False, None),
    "generated-2.13.0-cpu-linux-no-nvcc.txt": ({**DEBIAN, **ok(7, "OS: Debian GNU/Linux 12 (bookworm) (x86_64)")},
                                               False, "x86_64"),
    "generated-2.13.0-cpu-linux.txt": ({**DEBIAN, **ok(10, "OS: Debian GNU/Linux 12 (bookworm) (x86_64)")},
                                       False, "x86_64"),
    "generated-no-torch-python3.10.txt": ({**DEBIAN, **ok(7, "OS: Debian GNU/Linux 12 (bookworm) (x86_64)")},
                                          False, "x86_64"),
    "no-torch-macos-python2.7.md": (macos(8, "OS: Mac OSX 10.15.5 (x86_64)", "10.15.5", "x86_64"), False, "x86_64"),
    # every line ends in blanks: "OS: Ubuntu 18.04 LTS            "
    "no-torch-ubuntu-trailing-spaces.txt": ({"system": "Linux", "distro_id": "ubuntu", "distro_version": "18.04",
                                             "distro_name": "Ubuntu 18.04 LTS", **ok(8, "OS: Ubuntu 18.04 LTS")},
                                            False, None),
    "template-1.0-ubuntu16.04-titan-xp.md": ({"system": "Linux", "distro_id": "ubuntu", "distro_version": "16.04",
                                              "distro_name": "Ubuntu 16.04",
                                              **ok(2, "- OS (e.g., Linux): Ubuntu 16.04")}, False, None),
    # no OS line: the platform line is the source
    "xpu-indented-b60.txt": ({"system": "Linux", "arch": "x86_64", "kernel": "7.0.0-29-generic", "glibc": "2.43",
                              "source": "report line 2: Python platform: Linux-7.0.0-29-generic-x86_64-with-glibc2.43",
                              "attempts": [Attempt("report: os", "not_found", "not in the report")]}, False, "x86_64"),
}


def os_read(text: str) -> tuple[OsFacts, bool, str | None]:
    fields = fields_of(text)
    return _os(fields, _platform(fields), _cpu(fields).model)


def test_every_report_has_its_os_written_down():
    assert sorted(OSES) == REPORTS


@pytest.mark.parametrize("name", REPORTS)
def test_the_os_of_every_report_whole(name):
    expected, apple_silicon, machine = OSES[name]
    assert os_read(report(name)) == (OsFacts(**expected), apple_silicon, machine)


def gpu(vendor: str, index: int, name: str, line: int, text: str, arch: str | None = None) -> Gpu:
    return Gpu(vendor, index, name, arch=arch, source=f"report line {line}: {text}")


#: (NVIDIA GPUs, AMD GPUs) of each report that names one
GPUS = {
    "1.5.0-windows-fenced.md": ([gpu("nvidia", 0, "Quadro P1000", 20, "GPU 0: Quadro P1000")], []),
    "1.5.0-windows-server-quoted.md": ([gpu("nvidia", 0, "TITAN RTX", 15, "GPU 0: TITAN RTX"),
                                        gpu("nvidia", 1, "TITAN RTX", 16, "GPU 1: TITAN RTX")], []),
    "1.7.0-colab-t4-unfenced.txt": ([gpu("nvidia", 0, "Tesla T4", 28, "GPU 0: Tesla T4")], []),
    # a ROCm build's GPU by its PCI device name
    "1.7.0a0-rocm-source-build.md": ([], [gpu("amd", 0, "Device 66a1", 17, "Device 66a1")]),
    "2.0.1-windows11-gtx1050ti.txt": ([gpu("nvidia", 0, "NVIDIA GeForce GTX 1050 Ti", 23,
                                           "GPU 0: NVIDIA GeForce GTX 1050 Ti")], []),
    "2.2.0-rocm5.7-rx6750xt.txt": ([], [gpu("amd", 0, "AMD Radeon RX 6750 XT", 19, "AMD Radeon RX 6750 XT")]),
    "2.4.0-wsl2-rtx4070-laptop.txt": ([gpu("nvidia", 0, "NVIDIA GeForce RTX 4070 Laptop GPU", 19,
                                           "GPU 0: NVIDIA GeForce RTX 4070 Laptop GPU")], []),
    "2.6.0-ubuntu24.10-rtx5090d-cu126.md": ([gpu("nvidia", 0, "NVIDIA GeForce RTX 5090 D", 26,
                                                 "GPU 0: NVIDIA GeForce RTX 5090 D")], []),
    "2.7.0-rocm6.3-gentoo-details.md": ([], [gpu("amd", 0, "AMD Radeon RX 5700 XT", 23,
                                                 "AMD Radeon RX 5700 XT (gfx1010:xnack-)", arch="gfx1010")]),
    # the issue template filled by hand: "GPU models and configuration" line, then "GPU TITAN xp" on its own line
    "template-1.0-ubuntu16.04-titan-xp.md": ([gpu("nvidia", 0, "GPU TITAN xp", 7, "GPU TITAN xp")], []),
}


def gpus_read(text: str) -> tuple[list[Gpu], list[Gpu]]:
    found = read_collect_env(text).facts
    return found.nvidia.gpus, found.rocm.gpus


@pytest.mark.parametrize("name", REPORTS)
def test_the_gpus_of_every_report_whole(name):
    assert gpus_read(report(name)) == GPUS.get(name, ([], []))


# ---------------------------------------------------------------------------- assembled: lines no report at hand shows

def assembled(name: str, replaced: dict[str, str], cut_at: str | None = None) -> str:
    """The real report ``name`` with whole lines replaced (a replacement may hold a newline: a line split in two,
    or ``""``: the line cut), and with everything from the line starting ``cut_at`` on cut (a report pasted short)."""
    lines = report(name).split("\n")
    for old, new in replaced.items():
        assert lines.count(old) == 1, old
        at = lines.index(old)
        lines[at:at + 1] = new.split("\n") if new else []
    if cut_at is not None:
        lines = lines[:next(i for i, line in enumerate(lines) if line.startswith(cut_at))]
    return "\n".join(lines)


def test_a_gpu_name_wrapped_onto_the_next_line_is_the_only_gpu():
    # assembled from 2.2.0-rocm5.7-rx6750xt.txt: line 19 "GPU models and configuration: AMD Radeon RX 6750 XT"
    # wrapped after its colon, as the mail client of 2.2.2-macos14-intel-wrapped.txt wraps lines: the name is line 20
    text = assembled("2.2.0-rocm5.7-rx6750xt.txt", {
        "GPU models and configuration: AMD Radeon RX 6750 XT": "GPU models and configuration:\nAMD Radeon RX 6750 XT"})
    assert gpus_read(text) == ([], [gpu("amd", 0, "AMD Radeon RX 6750 XT", 20, "AMD Radeon RX 6750 XT")])


def test_could_not_collect_under_the_gpu_field_is_no_gpu_even_beside_a_driver():
    # assembled from 2.4.0-wsl2-rtx4070-laptop.txt (driver 551.88 on line 20): its GPU line 19 replaced by the field
    # and "Could not collect" wrapped onto the next line. A driver makes a bare name an NVIDIA GPU, but that is no name
    text = assembled("2.4.0-wsl2-rtx4070-laptop.txt", {
        "GPU models and configuration: GPU 0: NVIDIA GeForce RTX 4070 Laptop GPU":
            "GPU models and configuration:\nCould not collect"})
    found = read_collect_env(text).facts.nvidia
    assert (found.gpus, found.driver_version, found.status) == ([], "551.88", "gpus_unknown")


def test_a_gpu_keeps_the_index_its_line_gives():
    # assembled from 1.5.0-windows-server-quoted.md: its line 15 "> GPU 0: TITAN RTX" cut, so the report lists
    # "GPU 1: TITAN RTX" alone (a report trimmed by hand to the GPU in question): the GPU keeps the number it was given
    text = assembled("1.5.0-windows-server-quoted.md", {"> GPU 0: TITAN RTX": ""})
    assert gpus_read(text) == ([gpu("nvidia", 1, "TITAN RTX", 15, "GPU 1: TITAN RTX")], [])


@pytest.mark.parametrize(("written", "arch"), [("AMD FirePro W7100", None), ("Radeon VII", None),
                                               ("Instinct MI100", None), ("Vega 20 (gfx906)", "gfx906")])
def test_an_amd_gpu_named_by_hand_is_amd_without_a_rocm_torch(written, arch):
    # assembled from template-1.0-ubuntu16.04-titan-xp.md (the issue template filled by hand, no ROCm line): its line 7
    # "GPU TITAN xp" replaced by an AMD card as a person writes it: a word of AMD's names, or its gfx target alone
    text = assembled("template-1.0-ubuntu16.04-titan-xp.md", {
        " - GPU models and configuration: GPU TITAN xp": f" - GPU models and configuration: {written}"})
    name = written.removesuffix(" (gfx906)")
    assert gpus_read(text) == ([], [gpu("amd", 0, name, 7, written, arch=arch)])


def test_an_os_line_that_says_osx_alone_is_macos():
    # assembled from template-1.0-ubuntu16.04-titan-xp.md: its OS "Ubuntu 16.04" (line 2) replaced by "OSX 10.13.6"
    text = assembled("template-1.0-ubuntu16.04-titan-xp.md", {
        " - OS (e.g., Linux): Ubuntu 16.04": " - OS (e.g., Linux): OSX 10.13.6"})
    assert os_read(text) == (OsFacts(**macos(2, "- OS (e.g., Linux): OSX 10.13.6", "10.13.6", "")), False, None)


def test_a_libc_line_alone_makes_the_system_linux():
    # assembled from generated-no-torch-python3.10.txt: its OS line 7 replaced by "OS: Could not collect" and the
    # report cut before line 14, "Python platform": "Libc version: glibc-2.36" (line 11) alone says Linux
    text = assembled("generated-no-torch-python3.10.txt", {
        "OS: Debian GNU/Linux 12 (bookworm) (x86_64)": "OS: Could not collect"}, cut_at="Python platform:")
    assert os_read(text) == (OsFacts(system="Linux", glibc="2.36", source="report line 7: OS: Could not collect",
                                     attempts=[Attempt("report line 7", "not_found", "os: Could not collect")]),
                             False, None)


@pytest.mark.parametrize("cpu", ["VirtualApple @ 2.50GHz processor", "Apple A18 Pro"])
def test_an_x86_64_python_on_apple_silicon_by_its_cpu_line(cpu):
    # assembled from 2.6.0a0-macos15-x86_64-python-on-apple-m2.md: its CPU line 30 "Apple M2 Pro" replaced by what
    # an x86_64 process under Rosetta 2 reads as the CPU's name ("VirtualApple ..."), or by an A-series chip's name
    text = assembled("2.6.0a0-macos15-x86_64-python-on-apple-m2.md", {"Apple M2 Pro": cpu})
    assert os_read(text) == (OsFacts(**macos(11, "OS: macOS 15.3 (x86_64)", "15.3", "arm64")), True, "x86_64")


WINDOWS_11_ENTERPRISE = "OS: Microsoft Windows 11 Enterprise (10.0.22631 64-bit)"


def test_a_windows_report_without_its_platform_line_takes_the_build_from_its_os_line():
    # assembled from 2.8.0-windows11-cpu-warning-first.txt: its line 16 "Python platform: Windows-10-10.0.22631-SP0"
    # cut (the 1.x script printed none): line 9 still says build 10.0.22631, and "(64-bit runtime)" a 64-bit Python
    text = assembled("2.8.0-windows11-cpu-warning-first.txt", {"Python platform: Windows-10-10.0.22631-SP0": ""})
    assert os_read(text) == (OsFacts(**{**WINDOWS, "distro_name": WINDOWS_11_ENTERPRISE.removeprefix("OS: "),
                                        "windows_build": "10.0.22631", "windows_release": "11",
                                        **ok(9, WINDOWS_11_ENTERPRISE)}), False, None)


def test_a_windows_report_without_any_build_takes_the_release_from_its_os_line():
    # assembled from 2.0.1-windows11-gtx1050ti.txt: its line 19 "Python platform: Windows-10-10.0.22621-SP0" cut;
    # line 12 "OS: Microsoft Windows 11 Pro" names the release and no build
    text = assembled("2.0.1-windows11-gtx1050ti.txt", {"Python platform: Windows-10-10.0.22621-SP0": ""})
    assert os_read(text) == (OsFacts(**{**WINDOWS, "distro_name": "Microsoft Windows 11 Pro", "windows_release": "11",
                                        **ok(12, "OS: Microsoft Windows 11 Pro")}), False, None)


def test_a_windows_server_release_comes_from_its_build():
    # assembled from 2.8.0-windows11-cpu-warning-first.txt: its OS and platform lines (9 and 16) replaced by those of
    # Windows Server 2022, build 20348: below 22000, the first build of Windows 11, so release "10"; the OS line names no
    # "Windows 10" or "Windows 11"
    server = "OS: Microsoft Windows Server 2022 Datacenter (10.0.20348 64-bit)"
    text = assembled("2.8.0-windows11-cpu-warning-first.txt", {
        WINDOWS_11_ENTERPRISE: server,
        "Python platform: Windows-10-10.0.22631-SP0": "Python platform: Windows-10-10.0.20348-SP0"})
    assert os_read(text) == (OsFacts(**{**WINDOWS, "distro_name": server.removeprefix("OS: "), "windows_build": "10.0.20348",
                                        "windows_release": "10", **ok(9, server)}), False, None)


def test_an_amd64_machine_is_x86_64():
    # assembled from 2.0.1-windows11-gtx1050ti.txt: its OS line 12 given the machine in parentheses, the form the script
    # writes on Linux and macOS, with "AMD64", what platform.machine() says on 64-bit x86 Windows
    text = assembled("2.0.1-windows11-gtx1050ti.txt", {"OS: Microsoft Windows 11 Pro": "OS: Microsoft Windows 11 Pro (AMD64)"})
    assert os_read(text) == (OsFacts(**{**WINDOWS, "distro_name": "Microsoft Windows 11 Pro", "windows_build": "10.0.22621",
                                        "windows_release": "11", **ok(12, "OS: Microsoft Windows 11 Pro (AMD64)")}),
                             False, "AMD64")


def test_an_os_line_that_names_no_distribution():
    # assembled from generated-no-torch-python3.10.txt: its OS line 7 replaced by "OS: linux (x86_64)", what the script
    # prints where neither lsb_release nor a release file names the distribution (it writes sys.platform)
    text = assembled("generated-no-torch-python3.10.txt", {"OS: Debian GNU/Linux 12 (bookworm) (x86_64)": "OS: linux (x86_64)"})
    assert os_read(text) == (OsFacts(system="Linux", arch="x86_64", kernel="6.18.44-fc-v669", glibc="2.36",
                                     **ok(7, "OS: linux (x86_64)")), False, "x86_64")


@pytest.mark.parametrize("machine", ["aarch64", "ppc64le"])
def test_a_linux_machine_other_than_x86_64(machine):
    # assembled from generated-no-torch-python3.10.txt: "x86_64" in its OS line 7 and platform line 14 replaced by another
    # machine Linux runs torch on (an ARM server's or a POWER9's, as platform.machine() names them)
    text = assembled("generated-no-torch-python3.10.txt", {
        "OS: Debian GNU/Linux 12 (bookworm) (x86_64)": f"OS: Debian GNU/Linux 12 (bookworm) ({machine})",
        "Python platform: Linux-6.18.44-fc-v669-x86_64-with-glibc2.36":
            f"Python platform: Linux-6.18.44-fc-v669-{machine}-with-glibc2.36"})
    assert os_read(text) == (OsFacts(**{**DEBIAN, "arch": machine,
                                        **ok(7, f"OS: Debian GNU/Linux 12 (bookworm) ({machine})")}), False, machine)


def test_macos_without_a_version_is_macos():
    # assembled from 2.6.0a0-macos15-x86_64-python-on-apple-m2.md: its OS line 11 replaced by "OS: Could not collect";
    # the platform line's "macOS-10.16-..." is no version (an x86_64 Python's compatibility answer), so none is known
    text = assembled("2.6.0a0-macos15-x86_64-python-on-apple-m2.md", {"OS: macOS 15.3 (x86_64)": "OS: Could not collect"})
    assert os_read(text) == (OsFacts(system="Darwin", arch="arm64", distro_id="macos", distro_name="macOS",
                                     source="report line 11: OS: Could not collect",
                                     attempts=[Attempt("report line 11", "not_found", "os: Could not collect")]),
                             True, "x86_64")


def platform_of(name: str, replaced: dict[str, str]) -> _Platform:
    return _platform(fields_of(assembled(name, replaced)))


def test_a_platform_line_cut_before_its_machine_names_no_kernel():
    # assembled from 2.3.0-rocm6.0-wget-preamble.txt, whose line 28 is already cut as
    # "Python platform: Linux-5.15.0-105-generic-x86_64-w": cut sooner, inside the kernel's name
    assert platform_of("2.3.0-rocm6.0-wget-preamble.txt", {
        "Python platform: Linux-5.15.0-105-generic-x86_64-w": "Python platform: Linux-5.15.0-105-gen"}) == _Platform(
        system="Linux")


def test_a_windows_platform_line_of_an_older_windows_names_no_build():
    # assembled from 2.0.1-windows11-gtx1050ti.txt: its line 19 replaced by what platform.platform() says on Windows 8.1
    assert platform_of("2.0.1-windows11-gtx1050ti.txt", {
        "Python platform: Windows-10-10.0.22621-SP0": "Python platform: Windows-8.1-6.3.9600-SP0"}) == _Platform(
        system="Windows")


def test_a_darwin_platform_line_names_the_kernel_not_the_macos_version():
    # assembled from no-torch-macos-python2.7.md (Mac OSX 10.15.5, Python 2.7): the platform line that Python 2.7 writes
    # there added after line 13, "Darwin-19.5.0-x86_64-i386-64bit": 19.5.0 is Darwin's version, not macOS's
    text = assembled("no-torch-macos-python2.7.md", {
        "Python version: 2.7 (64-bit runtime)":
            "Python version: 2.7 (64-bit runtime)\nPython platform: Darwin-19.5.0-x86_64-i386-64bit"})
    assert _platform(fields_of(text)) == _Platform(system="Darwin", machine="x86_64")
    assert os_read(text) == (OsFacts(**macos(8, "OS: Mac OSX 10.15.5 (x86_64)", "10.15.5", "x86_64")), False, "x86_64")


def test_arm64_on_linux_is_aarch64():
    # assembled from generated-no-torch-python3.10.txt: its OS line 7 given "(arm64)", Debian's own name for the
    # machine (dpkg --print-architecture), and its platform line 14 "aarch64", what platform.machine() says there.
    # On Linux the architecture is named aarch64, as Linux's wheels are tagged
    text = assembled("generated-no-torch-python3.10.txt", {
        "OS: Debian GNU/Linux 12 (bookworm) (x86_64)": "OS: Debian GNU/Linux 12 (bookworm) (arm64)",
        "Python platform: Linux-6.18.44-fc-v669-x86_64-with-glibc2.36":
            "Python platform: Linux-6.18.44-fc-v669-aarch64-with-glibc2.36"})
    assert os_read(text) == (OsFacts(**{**DEBIAN, "arch": "aarch64",
                                        **ok(7, "OS: Debian GNU/Linux 12 (bookworm) (arm64)")}), False, "aarch64")


def test_aarch64_off_linux_is_arm64():
    # assembled, its lines made to disagree: 2.2.2-macos14-intel-wrapped.txt with "(x86_64)" in its OS line 14 replaced
    # by "(aarch64)" (its platform line still says x86_64, its CPU an Intel i9, so no Apple silicon is read). Off Linux
    # the architecture is named arm64, as macOS's wheels are tagged
    text = assembled("2.2.2-macos14-intel-wrapped.txt", {"OS: macOS 14.5 (x86_64)": "OS: macOS 14.5 (aarch64)"})
    assert os_read(text) == (OsFacts(**macos(14, "OS: macOS 14.5 (aarch64)", "14.5", "arm64")), False, "x86_64")


def test_a_gpu_number_too_long_to_read_leaves_the_gpu_its_place():
    # assembled from 2.4.0-wsl2-rtx4070-laptop.txt: its GPU line 19's "GPU 0:" given a number of 33 digits, longer than
    # any count is read (compat.MAX_DIGITS, 32): the GPU is the list's first, index 0
    number = "1" + "0" * 32
    line = "GPU 0: NVIDIA GeForce RTX 4070 Laptop GPU"
    text = assembled("2.4.0-wsl2-rtx4070-laptop.txt", {
        f"GPU models and configuration: {line}": f"GPU models and configuration: {line.replace('0:', number + ':')}"})
    assert gpus_read(text) == ([gpu("nvidia", 0, "NVIDIA GeForce RTX 4070 Laptop GPU", 19,
                                    line.replace("0:", number + ":"))], [])
