"""collect() on the recorded machines: the OS, CPU, Python, torch, ROCm, XPU and Apple sections."""

from __future__ import annotations

from pathlib import Path

from envdoctor.door import RecordedDoor
from envdoctor.probes import collect

MACHINES = Path(__file__).parent / "machines"


def facts_of(name: str):
    return collect(RecordedDoor(MACHINES / name), timeout=2.0)


def test_debian12_no_gpu():
    facts = facts_of("debian12-no-gpu")
    assert (facts.os.system, facts.os.arch, facts.os.distro_id, facts.os.distro_version) == ("Linux", "x86_64", "debian", "12")
    assert facts.os.distro_name == "Debian GNU/Linux 12 (bookworm)"
    assert (facts.os.glibc, facts.os.wsl, facts.os.container) == ("2.36", None, "docker")
    assert (facts.cpu.model, facts.cpu.avx2, facts.cpu.avx512) == ("AMD EPYC", True, True)
    python = facts.python
    assert (python.status, python.version, python.in_venv, python.externally_managed) == ("ok", "3.11.7", True, False)
    assert python.tool("pip").version == "23.2.1"
    torch = facts.torch
    assert (torch.status, torch.version, torch.local, torch.cuda, torch.hip) == ("ok", "2.13.0+cpu", "cpu", None, None)
    assert torch.copies == ["/home/dev/venv/lib/python3.11/site-packages"]
    assert torch.nvidia_packages == []
    assert (facts.rocm.status, facts.xpu.present, facts.apple.mps_possible) == ("absent", False, False)


def test_rocm_mi250x():
    facts = facts_of("rocm-mi250x")
    assert (facts.os.distro_id, facts.os.distro_version, facts.os.distro_like) == ("ubuntu", "22.04", ["debian"])
    assert facts.cpu.model is None  # no /proc/cpuinfo recorded, and "x86_64" is not a model name
    rocm = facts.rocm
    assert (rocm.status, rocm.version) == ("ok", "6.2.3")
    assert [(g.index, g.arch, g.name) for g in rocm.gpus] == [
        (0, "gfx90a", "AMD Instinct MI250X/MI250"), (1, "gfx90a", "AMD Instinct MI250X/MI250")]
    torch = facts.torch
    assert (torch.status, torch.version, torch.local) == ("ok", "2.5.1+rocm6.2", "rocm6.2")
    assert (torch.hip, torch.cuda) == ("6.2.41133-dd7f95766", None)
    assert torch.companion("pytorch-triton-rocm").version == "3.1.0"
    assert (facts.python.in_venv, facts.python.externally_managed) == (False, False)


def test_macos_arm64():
    facts = facts_of("macos-arm64")
    assert (facts.os.system, facts.os.arch, facts.os.macos_version, facts.os.glibc) == ("Darwin", "arm64", "14.6.1", None)
    assert facts.cpu.model == "Apple M1 Pro"
    assert (facts.cpu.avx2, facts.cpu.logical_cores) == (None, 10)
    apple = facts.apple
    assert (apple.apple_silicon, apple.mps_possible, apple.macos_version) == (True, True, "14.6.1")
    torch = facts.torch
    assert (torch.status, torch.version, torch.local, torch.cuda, torch.installer) == ("ok", "2.13.0", None, None, "uv")
    python = facts.python
    assert (python.in_venv, python.externally_managed) == (True, False)
    assert any(a.detail == "ignored inside a venv" for a in python.attempts)
    assert (facts.rocm.status, facts.xpu.present) == ("absent", False)


def test_macos_x86_64_python_under_rosetta_cannot_use_mps():
    """envdoctor runs natively (arm64) while the target interpreter is an x86_64 Python under Rosetta 2:
    the MPS verdict is the target's, not envdoctor's own process's."""
    facts = facts_of("macos-arm64-rosetta-python")
    assert facts.os.arch == "arm64"
    python = facts.python
    assert (python.executable, python.machine, python.platform_tag) == (
        "/usr/local/opt/python@3.12/Frameworks/Python.framework/Versions/3.12/bin/python3.12", "x86_64",
        "macosx-14.0-x86_64")
    assert python.externally_managed is True
    apple = facts.apple
    assert (apple.apple_silicon, apple.mps_possible, apple.macos_version) == (True, False, "14.6.1")
    assert "Rosetta" in apple.reason and "x86_64" in apple.reason
    assert apple.source.startswith("target interpreter")
    assert facts.torch.status == "absent"


def test_recorded_pyinfo_answers_carry_the_target_platform():
    assert (facts_of("macos-arm64").python.machine, facts_of("windows11-rtx4090").python.machine) == ("arm64", "AMD64")
    python = facts_of("debian12-no-gpu").python
    assert (python.platform_tag, python.machine, python.pointer_bits, python.free_threaded) == (
        "linux-x86_64", "x86_64", 64, False)
