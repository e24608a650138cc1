"""Parts of real collect_env reports read whole; every expected value was read off the report's own lines
(tests/fixtures/collect_env/README.md names the thread each report comes from)."""

from __future__ import annotations

import dataclasses

from conftest import FIXTURES_DIR

from envdoctor.facts import Attempt, CudaToolkit, Gpu, PythonFacts, ToolInfo, XpuFacts
from envdoctor.readers.collect_env import read_collect_env


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
