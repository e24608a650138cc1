from __future__ import annotations

import os
import stat
import time

import pytest

from conftest import load_machine
from envdoctor.door import LiveDoor
from envdoctor.probes import ProbeContext, nvidia


def test_ubuntu2204_rtx3090_535():
    _, facts = load_machine("ubuntu2204-rtx3090-535")
    nv = facts.nvidia
    assert (nv.status, nv.driver_version, nv.driver_max_cuda, nv.source) == ("ok", "535.183.01", "12.2", "nvidia-smi")
    (gpu,) = nv.gpus
    assert (gpu.name, gpu.compute_capability, gpu.arch, gpu.memory_total_mib, gpu.mig_mode) == (
        "NVIDIA GeForce RTX 3090", "8.6", "sm_86", 24576, None)
    assert facts.cuda.toolkits == []
    assert [(i.kind, i.version) for i in facts.cudnn.installs] == [("pip", "8.9.2.26")]
    assert (facts.os.distro_id, facts.os.distro_version) == ("ubuntu", "22.04")
    assert (facts.torch.version, facts.torch.cuda) == ("2.1.2+cu121", "12.1")


def test_ubuntu2404_8xh100_mig_and_visible_devices():
    _, facts = load_machine("ubuntu2404-8xh100-570-mig")
    nv = facts.nvidia
    assert (nv.status, nv.source, nv.driver_version, nv.driver_max_cuda) == ("ok", "nvml", "570.124.06", "12.8")
    assert len(nv.gpus) == 8
    assert {g.name for g in nv.gpus} == {"NVIDIA H100 80GB HBM3"}
    assert {g.arch for g in nv.gpus} == {"sm_90"}
    assert [g.index for g in nv.gpus if g.mig_mode == "enabled"] == [0]
    # CUDA_VISIBLE_DEVICES=2,3,17,4: 17 does not exist, so 4 is never reached.
    assert nv.cuda_visible_devices == "2,3,17,4"
    assert [g.index for g in nv.visible_gpus()] == [2, 3]
    assert nv.hidden_gpus == [0, 1, 4, 5, 6, 7]
    assert facts.torch.status == "absent"


def test_wsl2_rtx4070_with_cpu_torch():
    _, facts = load_machine("wsl2-rtx4070")
    nv = facts.nvidia
    assert (nv.status, nv.driver_version, nv.driver_max_cuda) == ("ok", "537.13", "12.2")
    assert [(g.name, g.arch) for g in nv.gpus] == [("NVIDIA GeForce RTX 4070", "sm_89")]
    assert any(a.source == "nvidia-smi" and a.status == "ok" for a in nv.attempts)
    assert facts.os.wsl == "wsl2"
    assert (facts.torch.version, facts.torch.cuda) == ("2.13.0+cpu", None)


def test_rhel9_a100_driver_older_than_torch_cuda():
    _, facts = load_machine("rhel9-a100-525-cuda118")
    nv = facts.nvidia
    assert (nv.status, nv.driver_version, nv.driver_max_cuda) == ("ok", "525.60.13", "12.0")
    assert [(g.name, g.compute_capability, g.mig_mode) for g in nv.gpus] == [("NVIDIA A100-SXM4-80GB", "8.0", "disabled")]
    (toolkit,) = facts.cuda.toolkits
    assert (toolkit.version, toolkit.path, toolkit.active) == ("11.8.89", "/usr/local/cuda-11.8", True)
    assert facts.cuda.cuda_home == "/usr/local/cuda-11.8"
    assert [(i.kind, i.version) for i in facts.cudnn.installs] == [
        ("header", "8.9.7"), ("library", "8.9.7"), ("pip", "9.1.0.70")]
    assert (facts.os.distro_id, facts.os.distro_version) == ("rhel", "9.4")
    assert (facts.torch.version, facts.torch.cuda) == ("2.5.1+cu124", "12.4")


def test_driver_library_mismatch_names_both_versions():
    _, facts = load_machine("driver-library-mismatch")
    nv = facts.nvidia
    assert nv.status == "driver_mismatch"
    assert nv.driver_version == "565.57.01"
    assert "570.124" in nv.message and "565.57.01" in nv.message
    assert nv.gpus == []


def test_proc_only_is_driver_with_gpus_unknown():
    _, facts = load_machine("proc-only-no-nvidia-smi")
    nv = facts.nvidia
    assert (nv.status, nv.driver_version, nv.source) == ("gpus_unknown", "565.57.01", "/proc/driver/nvidia/version")
    assert nv.driver_max_cuda is None


def test_windows11_rtx4090_nvidia_smi_off_path():
    _, facts = load_machine("windows11-rtx4090")
    nv = facts.nvidia
    assert (nv.status, nv.driver_version, nv.driver_max_cuda) == ("ok", "591.86", "13.1")
    assert [(g.name, g.arch, g.memory_total_mib) for g in nv.gpus] == [("NVIDIA GeForce RTX 4090", "sm_89", 24564)]
    assert facts.os.windows_release == "11"


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for nvidia-smi")
def test_hung_nvidia_smi_does_not_hang_the_probe(tmp_path, monkeypatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\nsleep 1000\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    timeout = 1.0
    start = time.monotonic()
    facts = nvidia.probe(ProbeContext(LiveDoor(), timeout=timeout))
    elapsed = time.monotonic() - start
    assert facts.status == "timed_out"
    assert elapsed < timeout + 1.5
    assert any(a.source.startswith("nvidia-smi") and a.status == "timed_out" for a in facts.attempts)
