from __future__ import annotations

import pytest
from conftest import FIXTURES_DIR, make_machine
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.facts import Gpu
from envdoctor.probes import ProbeContext, nvidia
from envdoctor.probes.nvidia import (
    QUERY_FIELDS,
    classify_smi_failure,
    cuda_version_from_int,
    cuda_visibility,
    gpus_from_nvml,
    parse_nvml_library_version,
    parse_proc_driver_version,
    parse_smi_header,
    parse_smi_query,
    parse_sys_driver_version,
    rejected_field,
)

FIX = FIXTURES_DIR / "nvidia"
QUERY = [f"--query-gpu={','.join(QUERY_FIELDS)}", "--format=csv,noheader,nounits"]


def fixture(name: str) -> str:
    return (FIX / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name, driver, cuda",
    [
        ("smi-table-535.183.01-4xA10.txt", "535.183.01", "12.2"),
        ("smi-table-590.48.01-h100-mig.txt", "590.48.01", "13.1"),
        ("smi-table-610.57.04-rtx2080super-kmd.txt", "610.57.04", "13.3"),
        ("smi-table-610.62-windows-wddm.txt", "610.62", "13.3"),
        ("smi-table-591.86-windows-wddm.txt", "591.86", "13.1"),
        ("smi-table-wsl-535.103-driver-537.13-truncated.txt", "537.13", "12.2"),
        ("smi-table-wsl-545.46-cuda-err-truncated.txt", "546.80", None),
        ("smi-table-384.66-no-cuda-field.txt", "384.66", None),
    ],
)
def test_table_header_gives_driver_and_cuda(name, driver, cuda):
    header = parse_smi_header(fixture(name))
    assert header is not None
    assert (header.driver_version, header.cuda_version) == (driver, cuda)


def test_table_header_absent_in_error_output():
    assert parse_smi_header(fixture("smi-mismatch-with-nvml-570.124.txt")) is None
    assert parse_smi_header("") is None


def test_query_rows_keep_values_and_drop_na():
    fields = (
        "power.limit", "power.min_limit", "power.max_limit", "memory.total", "vbios_version", "driver_version",
        "name", "gpu_uuid", "power.draw", "temperature.gpu", "temperature.memory", "clocks.current.graphics",
        "clocks.sm", "clocks.mem", "utilization.gpu", "utilization.memory", "fan.speed",
        "pcie.link.width.current", "pstate",
    )
    (row,) = parse_smi_query(fixture("smi-query-rtx2080-440.64-nounits.csv"), fields)
    assert row["name"] == "GeForce RTX 2080"
    assert row["driver_version"] == "440.64"
    assert row["memory.total"] == "7979"
    assert row["temperature.memory"] is None


def test_query_skips_the_csv_header_row():
    fields = ("compute_cap", "compute_mode", "driver_version", "name", "index")
    rows = parse_smi_query(fixture("smi-query-compute-cap-570.86.15-with-header.csv"), fields)
    assert [(r["index"], r["name"], r["compute_cap"]) for r in rows] == [
        ("0", "NVIDIA TITAN V", "7.0"),
        ("1", "NVIDIA RTX 5880 Ada Generation", "8.9"),
    ]


def test_query_ignores_lines_of_the_wrong_width():
    assert parse_smi_query(fixture("smi-mismatch-with-nvml-570.124.txt")) == []
    assert parse_smi_query("0, NVIDIA A100\n") == []


def test_rejected_field_is_named():
    assert rejected_field(fixture("smi-query-compute-cap-rejected.txt")) == "compute_cap"
    assert rejected_field(fixture("smi-no-devices.txt")) is None


@pytest.mark.parametrize(
    "name, status, message_start",
    [
        ("smi-no-devices.txt", "no_gpu", "No devices were found"),
        ("smi-mismatch-old.txt", "driver_mismatch", "Failed to initialize NVML: Driver/library version mismatch"),
        ("smi-mismatch-with-nvml-570.124.txt", "driver_mismatch", "Failed to initialize NVML"),
        ("smi-couldnt-communicate-wsl.txt", "error", "NVIDIA-SMI has failed because it couldn't communicate"),
    ],
)
def test_failures_are_classified(name, status, message_start):
    got_status, message = classify_smi_failure(fixture(name))
    assert got_status == status
    assert message.startswith(message_start)


def test_nvml_library_version_only_on_newer_drivers():
    assert parse_nvml_library_version(fixture("smi-mismatch-with-nvml-570.124.txt")) == "570.124"
    assert parse_nvml_library_version(fixture("smi-mismatch-550.144.txt")) == "550.144"
    assert parse_nvml_library_version(fixture("smi-mismatch-old.txt")) is None


@pytest.mark.parametrize(
    "name, version",
    [
        ("proc-version-384.98.txt", "384.98"),
        ("proc-version-open-565.57.01.txt", "565.57.01"),
        ("proc-version-open-jetson-35.3.1.txt", "35.3.1"),
    ],
)
def test_proc_version_proprietary_and_open_modules(name, version):
    assert parse_proc_driver_version(fixture(name)) == version


def test_sys_module_version_accepts_only_a_version():
    assert parse_sys_driver_version("535.104.05\n") == "535.104.05"
    assert parse_sys_driver_version("garbage") is None


def test_numeric_helpers():
    assert cuda_version_from_int(12040) == "12.4"
    assert cuda_version_from_int(11080) == "11.8"
    assert cuda_version_from_int(13000) == "13.0"
    assert cuda_version_from_int(True) is None
    assert cuda_version_from_int(-1) is None


def test_gpus_from_nvml_converts_units_and_modes():
    (gpu,) = gpus_from_nvml(
        {"devices": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_total_bytes": 81559 * 1024 * 1024,
                      "compute_capability": [9, 0], "mig_mode": [1, 0], "uuid": "GPU-1", "pci_bus_id": "0:1"}]}
    )
    assert (gpu.memory_total_mib, gpu.compute_capability, gpu.arch, gpu.mig_mode) == (81559, "9.0", "sm_90", "enabled")
    assert gpus_from_nvml({"devices": [None, "x"]}) == []
    assert gpus_from_nvml({"devices": [{"index": 1, "compute_capability": None, "mig_mode": None}]})[0].arch is None


def _gpus() -> list[Gpu]:
    """Three GPUs of one model, one with MIG enabled."""
    return [
        Gpu("nvidia", index=0, name="NVIDIA A100-SXM4-80GB", compute_capability="8.0", uuid="GPU-aaaa1111-0000",
            mig_mode="enabled"),
        Gpu("nvidia", index=1, name="NVIDIA A100-SXM4-80GB", compute_capability="8.0", uuid="GPU-bbbb2222-0000",
            mig_mode="disabled"),
        Gpu("nvidia", index=2, name="NVIDIA A100-SXM4-80GB", compute_capability="8.0", uuid="GPU-bbbb3333-0000",
            mig_mode="disabled"),
    ]


@pytest.mark.parametrize(
    "value, visible, count",
    [
        (None, {0, 1, 2}, 3),
        ("", set(), 0),
        ("-1", set(), 0),
        ("NoDevFiles", set(), 0),
        ("2,0", {0, 2}, 2),
        ("1,7,2", {1}, 1),  # parsing stops at the first device that does not exist
        ("GPU-aaaa", {0}, 1),
        ("gpu-AAAA1111", {0}, 1),  # UUID prefixes are matched in any case
        ("GPU-bbbb", set(), 0),  # ambiguous prefix is invalid
        ("GPU-bbbb3,1", {1, 2}, 2),
        ("MIG-12345678-aaaa", {0}, 1),  # the only MIG-enabled GPU holds it
        ("MIG-GPU-aaaa1111-0000/1/0", {0}, 1),
        ("MIG-GPU-bbbb2222-0000/1/0", set(), 0),  # its GPU has MIG disabled: no such instance
        ("MIG-GPU-aaaa1111-0000", set(), 0),  # the old form needs /<GPU instance>/<compute instance>
        ("0,bogus,1", {0}, 1),
        ("١", set(), 0),  # CUDA reads ASCII digits only
        ("99999999999999999999", set(), 0),
    ],
)
def test_cuda_visible_devices(value, visible, count):
    seen = cuda_visibility(value, _gpus())
    assert (set(seen.indices), seen.count, seen.uncertain) == (visible, count, False)


# A box with a GTX 1080 in the first PCI slot and an RTX 4090 in the second: nvidia-smi numbers them
# by PCI bus id (0 = GTX 1080), CUDA by default fastest first (0 = RTX 4090).
MIXED = [
    Gpu("nvidia", index=0, name="NVIDIA GeForce GTX 1080", compute_capability="6.1",
        uuid="GPU-3c5d2a8e-1b07-4f1e-9c0d-2f6a7b8c9d01", pci_bus_id="00000000:01:00.0"),
    Gpu("nvidia", index=1, name="NVIDIA GeForce RTX 4090", compute_capability="8.9",
        uuid="GPU-8e41f0b2-77c3-4d5a-a1e9-0b2c3d4e5f60", pci_bus_id="00000000:02:00.0"),
]


def test_index_on_mixed_gpus_without_pci_order_is_uncertain():
    seen = cuda_visibility("0", MIXED)
    assert (set(seen.indices), seen.count, seen.uncertain) == ({0, 1}, 1, True)
    assert "fastest-first" in seen.reason
    assert cuda_visibility("0", MIXED, "FASTEST_FIRST").uncertain is True


def test_index_on_mixed_gpus_with_pci_bus_id_order_is_nvidia_smis_index():
    seen = cuda_visibility("0", MIXED, "PCI_BUS_ID")
    assert (set(seen.indices), seen.count, seen.uncertain) == ({0}, 1, False)
    assert set(cuda_visibility("1", MIXED, " PCI_BUS_ID ").indices) == {1}
    assert cuda_visibility("2", MIXED, "PCI_BUS_ID").count == 0


def test_uuid_prefix_names_one_gpu_in_any_order():
    for order in (None, "FASTEST_FIRST", "PCI_BUS_ID"):
        seen = cuda_visibility("GPU-8e", MIXED, order)
        assert (set(seen.indices), seen.count, seen.uncertain) == ({1}, 1, False)


def test_eight_identical_gpus_map_indices_whatever_the_order():
    h100s = [Gpu("nvidia", index=i, name="NVIDIA H100 80GB HBM3", compute_capability="9.0", uuid=f"GPU-{i:08d}")
             for i in range(8)]
    seen = cuda_visibility("0,1", h100s)
    assert (set(seen.indices), seen.count, seen.uncertain) == ({0, 1}, 2, False)


def test_mig_uuid_with_several_mig_gpus_keeps_them_all_and_is_uncertain():
    gpus = [Gpu("nvidia", index=i, name="NVIDIA H100 80GB HBM3", compute_capability="9.0", uuid=f"GPU-{i}",
                mig_mode="enabled" if i < 2 else "disabled") for i in range(4)]
    seen = cuda_visibility("MIG-6a7b8c9d-1e2f-5a6b-8c9d-0e1f2a3b4c5d", gpus)
    assert (set(seen.indices), seen.count, seen.uncertain) == ({0, 1}, 1, True)
    assert "MIG" in seen.reason


@given(st.text())
def test_parsers_never_raise(text):
    parse_smi_header(text)
    parse_smi_query(text)
    rejected_field(text)
    classify_smi_failure(text)
    parse_nvml_library_version(text)
    parse_proc_driver_version(text)
    parse_sys_driver_version(text)
    cuda_visibility(text, _gpus())
    cuda_visibility(text, MIXED, text)


# ---------------------------------------------------------------- probe


def smi_commands(smi: str, table: str, query: str, query_rc: int = 0, table_rc: int = 0) -> list[dict]:
    return [
        {"argv": [smi], "returncode": table_rc, "stdout": table},
        {"argv": [smi, *QUERY], "returncode": query_rc, "stdout": query},
    ]


def test_probe_retries_without_compute_cap_on_old_drivers(tmp_path):
    smi = "/usr/bin/nvidia-smi"
    old_fields = [f for f in QUERY_FIELDS if f != "compute_cap"]
    door = make_machine(
        tmp_path,
        which={"nvidia-smi": smi},
        commands=[
            {"argv": [smi], "returncode": 0, "stdout": fixture("smi-table-384.66-no-cuda-field.txt")},
            {"argv": [smi, *QUERY], "returncode": 2, "stdout": fixture("smi-query-compute-cap-rejected.txt")},
            {"argv": [smi, f"--query-gpu={','.join(old_fields)}", QUERY[1]], "returncode": 0,
             "stdout": "0, TITAN Xp, GPU-1, 12189, 384.66, [N/A], 00000000:41:00.0\n"},
        ],
    )
    facts = nvidia.probe(ProbeContext(door, timeout=2))
    assert facts.status == "ok"
    (gpu,) = facts.gpus
    assert (gpu.name, gpu.compute_capability, gpu.memory_total_mib) == ("TITAN Xp", None, 12189)
    assert facts.driver_version == "384.66"
    assert any(a.status == "error" and "compute_cap" in a.detail for a in facts.attempts)


def test_probe_no_devices_is_no_gpu_with_driver_from_proc(tmp_path):
    smi = "/usr/bin/nvidia-smi"
    door = make_machine(
        tmp_path,
        which={"nvidia-smi": smi},
        commands=smi_commands(smi, fixture("smi-no-devices.txt"), fixture("smi-no-devices.txt"), 6, 6),
        files={"/proc/driver/nvidia/version": fixture("proc-version-open-565.57.01.txt")},
    )
    facts = nvidia.probe(ProbeContext(door, timeout=2))
    assert (facts.status, facts.driver_version, facts.gpus) == ("no_gpu", "565.57.01", [])


def test_probe_reports_the_first_line_of_other_failures(tmp_path):
    smi = "/usr/bin/nvidia-smi"
    text = fixture("smi-couldnt-communicate-wsl.txt")
    door = make_machine(tmp_path, which={"nvidia-smi": smi}, commands=smi_commands(smi, text, text, 9, 9))
    facts = nvidia.probe(ProbeContext(door, timeout=2))
    assert facts.status == "error"
    assert facts.message.startswith("NVIDIA-SMI has failed because it couldn't communicate")


def test_probe_timed_out_keeps_driver_from_proc(tmp_path):
    smi = "/usr/bin/nvidia-smi"
    door = make_machine(
        tmp_path,
        which={"nvidia-smi": smi},
        commands=[{"argv": [smi], "status": "timed_out"}, {"argv": [smi, *QUERY], "status": "timed_out"}],
        files={"/proc/driver/nvidia/version": fixture("proc-version-384.98.txt")},
    )
    facts = nvidia.probe(ProbeContext(door, timeout=1))
    assert (facts.status, facts.driver_version) == ("timed_out", "384.98")


def test_probe_finds_wsl_nvidia_smi_off_path(tmp_path):
    smi = nvidia.WSL_SMI_PATH
    door = make_machine(
        tmp_path,
        exists=[smi],
        commands=smi_commands(smi, fixture("smi-table-wsl-535.103-driver-537.13-truncated.txt"),
                              "0, NVIDIA GeForce GTX 1650, GPU-1, 4096, 7.5, 537.13, [N/A], 00000000:02:00.0\n"),
    )
    facts = nvidia.probe(ProbeContext(door, timeout=2))
    assert (facts.status, facts.driver_max_cuda, facts.gpus[0].arch) == ("ok", "12.2", "sm_75")


def test_probe_finds_windows_nvidia_smi_off_path(tmp_path):
    smi = nvidia.WINDOWS_SMI_PATHS[1]
    door = make_machine(
        tmp_path,
        system="Windows",
        exists=[smi],
        commands=smi_commands(smi, fixture("smi-table-610.62-windows-wddm.txt"),
                              "0, NVIDIA GeForce RTX 2080 SUPER, GPU-1, 8192, 7.5, 610.62, [N/A], 00000000:0C:00.0\n"),
    )
    facts = nvidia.probe(ProbeContext(door, timeout=2))
    assert (facts.status, facts.driver_version, facts.driver_max_cuda) == ("ok", "610.62", "13.3")


def test_probe_nothing_at_all_is_no_driver(tmp_path):
    facts = nvidia.probe(ProbeContext(make_machine(tmp_path), timeout=1))
    assert facts.status == "no_driver"
    assert {a.source for a in facts.attempts} >= {"nvml", "nvidia-smi", "/proc/driver/nvidia/version"}


def test_probe_nvml_without_devices_is_no_gpu(tmp_path):
    door = make_machine(tmp_path, nvml={"status": "ok", "data": {"driver_version": "550.54.15",
                                                               "cuda_driver_version": 12040, "devices": []}})
    facts = nvidia.probe(ProbeContext(door, timeout=1))
    assert (facts.status, facts.driver_version, facts.driver_max_cuda) == ("no_gpu", "550.54.15", "12.4")
