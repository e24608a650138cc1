from __future__ import annotations

import json
import shutil

from conftest import MACHINES_DIR, load_machine

from envdoctor.door import RecordedDoor
from envdoctor.probes import collect


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


def test_mixed_gpus_with_an_index_in_cuda_visible_devices_are_uncertain():
    """GTX 1080 at PCI index 0, RTX 4090 at 1, CUDA_VISIBLE_DEVICES=0 without CUDA_DEVICE_ORDER: CUDA's
    device 0 is the fastest GPU, so either may be the one a program sees; both stay marked visible."""
    _, facts = load_machine("ubuntu2204-gtx1080-rtx4090-535")
    nv = facts.nvidia
    assert [(g.index, g.name, g.arch) for g in nv.gpus] == [
        (0, "NVIDIA GeForce GTX 1080", "sm_61"), (1, "NVIDIA GeForce RTX 4090", "sm_89")]
    assert (nv.cuda_visible_devices, nv.cuda_device_order) == ("0", None)
    assert nv.visibility_uncertain is True
    assert [g.index for g in nv.visible_gpus()] == [0, 1]
    assert nv.hidden_gpus == []
    (attempt,) = [a for a in nv.attempts if a.source == "env CUDA_VISIBLE_DEVICES"]
    assert attempt.detail.startswith("CUDA enumerates 1 device(s)")


def test_mixed_gpus_under_pci_bus_id_order_map_the_index(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(MACHINES_DIR / "ubuntu2204-gtx1080-rtx4090-535", folder)
    manifest = json.loads((folder / "machine.json").read_text())
    manifest["env"]["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
    (folder / "machine.json").write_text(json.dumps(manifest))
    nv = collect(RecordedDoor(folder), timeout=5).nvidia
    assert (nv.cuda_device_order, nv.visibility_uncertain) == ("PCI_BUS_ID", False)
    assert [g.name for g in nv.visible_gpus()] == ["NVIDIA GeForce GTX 1080"]
    assert nv.hidden_gpus == [1]


def test_eight_identical_h100s_need_no_device_order():
    nv = load_machine("ubuntu2404-8xh100-570-mig")[1].nvidia
    assert (nv.cuda_device_order, nv.visibility_uncertain) == (None, False)
