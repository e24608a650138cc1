"""GPU memory already in use, per GPU: from NVML's memory info, or from the Memory-Usage column of the
nvidia-smi table (real tables in tests/fixtures/nvidia/, sources in its README)."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES_DIR, MACHINES_DIR, load_machine

from envdoctor.door import MachineFolderError, RecordedDoor
from envdoctor.probes.nvidia import gpus_from_nvml, parse_smi_memory

TABLES = FIXTURES_DIR / "nvidia"


@pytest.mark.parametrize("table, expected", [
    ("smi-table-535.183.01-4xA10.txt", {0: (16, 23028), 1: (16, 23028), 2: (16, 23028), 3: (16, 23028)}),
    ("smi-table-384.66-no-cuda-field.txt", {0: (2789, 12174)}),  # a TITAN Xp with 2.7 GiB in use
    ("smi-table-610.57.04-rtx2080super-kmd.txt", {0: (211, 8192)}),  # gnome-shell and Xwayland hold 176 MiB
    ("smi-table-591.86-windows-wddm.txt", {0: (702, 8192)}),
    ("smi-table-590.48.01-h100-mig.txt", {0: (59, 81559)}),  # the MIG table below is not a GPU box
    ("smi-table-wsl-545.46-cuda-err-truncated.txt", {0: (816, 6144)}),
])
def test_memory_usage_from_real_tables(table, expected):
    assert parse_smi_memory((TABLES / table).read_text()) == expected


def test_a_table_without_gpu_boxes_gives_nothing():
    assert parse_smi_memory((TABLES / "smi-no-devices.txt").read_text()) == {}
    assert parse_smi_memory(None) == {}


def test_nvml_memory_used_becomes_mib_and_a_bad_value_unknown():
    gpus = gpus_from_nvml({"devices": [
        {"index": 0, "name": "NVIDIA A10", "memory_total_bytes": 24146608128, "memory_used_bytes": 16777216},
        {"index": 1, "name": "NVIDIA A10", "memory_total_bytes": 24146608128, "memory_used_bytes": "lots"},
        {"index": 2, "name": "NVIDIA A10"}]})
    assert [gpu.memory_used_mib for gpu in gpus] == [16, None, None]


def test_recorded_machines_show_memory_in_use_from_either_source():
    _, facts = load_machine("docker-a10-shm64-cgroup2")  # nvidia-smi's table
    assert [(gpu.index, gpu.memory_used_mib, gpu.memory_total_mib) for gpu in facts.nvidia.gpus] == [(0, 16, 23028)]
    _, facts = load_machine("docker-cgroup1-gpu-busy-no-uvm")  # NVML
    assert [(gpu.index, gpu.memory_used_mib, gpu.memory_total_mib) for gpu in facts.nvidia.gpus] == [(0, 19456, 24576)]
    _, facts = load_machine("ubuntu2204-rtx3090-535")  # a table cut after its header: unknown, not zero
    assert facts.nvidia.gpus[0].memory_used_mib is None


def test_a_recorded_nvml_memory_used_must_be_a_whole_number(tmp_path):
    manifest = json.loads((MACHINES_DIR / "docker-cgroup1-gpu-busy-no-uvm" / "machine.json").read_text())
    manifest["nvml"]["data"]["devices"][0]["memory_used_bytes"] = "19 GiB"
    (tmp_path / "machine.json").write_text(json.dumps(manifest))
    with pytest.raises(MachineFolderError, match=r"memory_used_bytes: must be an integer or null"):
        RecordedDoor(tmp_path)
