"""Parts of real collect_env reports read whole; every expected value was read off the report's own lines
(tests/fixtures/collect_env/README.md names the thread each report comes from)."""

from __future__ import annotations

import dataclasses

from conftest import FIXTURES_DIR

from envdoctor.facts import Attempt, CudaToolkit, ToolInfo
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
