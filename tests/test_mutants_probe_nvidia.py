"""The NVIDIA probe's readers, each result compared whole: the ``nvidia-smi`` table (header and GPU boxes),
``--query-gpu`` CSV rows, nvidia-smi's error text, ``/proc/driver/nvidia/version``, the NVML data the door
returns, and what ``CUDA_VISIBLE_DEVICES`` leaves a CUDA program.

Real texts come from tests/fixtures/nvidia/ (sources in its README) and from these public captures:

- utkuozdemir/nvidia_gpu_exporter ``internal/captures/`` @ e656cd81a180e7e0e7862b53c9acd4c2fb0f590b: nvidia-smi
  output of real machines (UUIDs masked by the capture script), here the ``--query-gpu ... --format=csv`` section
  of ``linux-x86_64__nvidia-h100-mig__590.48.01.txt``, ``linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt``,
  ``linux-x86_64__nvidia-l40s__595.80.txt`` and ``linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04.txt``
  (the last one's idle table is tests/fixtures/nvidia/smi-table-610.57.04-rtx2080super-kmd.txt);
- a 5-GPU mining rig's ``nvidia-smi --query-gpu=name,pci.bus,index,uuid --format=csv``,
  https://github.com/YoRyan/nuxhash/pull/10;
- a 6x A100-PCIE-40GB server on driver 460.91.03 (its ``nvidia-smi`` table, ``nvidia-smi -L`` with MIG on GPUs
  4 and 5, and the ``CUDA_VISIBLE_DEVICES`` value it runs with), a public GitHub markdown note found by
  exact-string search (index id 40266112638; the index does not name its repository);
- NVML memory info printed through py3nvml, https://github.com/fbcotter/py3nvml/issues/6.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.facts import Gpu
from envdoctor.probes.nvidia import (
    QUERY_FIELDS,
    SmiHeader,
    Visibility,
    classify_smi_failure,
    cuda_version_from_int,
    cuda_visibility,
    gpus_from_nvml,
    gpus_from_query,
    parse_nvml_library_version,
    parse_proc_driver_version,
    parse_smi_header,
    parse_smi_memory,
    parse_smi_query,
)

FIX = Path(__file__).parent / "fixtures" / "nvidia"
MIB = 1024 * 1024
QUERY = "nvidia-smi --query-gpu"
INT_REASON = ("integer entries count in CUDA's fastest-first order, not nvidia-smi's, with different GPU models "
              "and CUDA_DEVICE_ORDER not PCI_BUS_ID")
MIG_REASON = "a MIG-<uuid> entry cannot be tied to its GPU from NVML's GPU list"
MASKED = "GPU-00000000-0000-0000-0000-000000000000"  # the captures' masked GPU UUID
MIG_0 = "MIG-00000000-0000-0000-0000-000000000000"  # the H100 capture's `nvidia-smi -L`: its first two MIG devices
MIG_1 = "MIG-00000001-0000-0000-0000-000000000001"


def fixture(name: str) -> str:
    return (FIX / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- --query-gpu rows

# The captures' values of QUERY_FIELDS, in QUERY_FIELDS order, as --format=csv,noheader,nounits prints them
# (the captures ran --format=csv: "81559 MiB" there is "81559" here).
H100_MIG_ROW = f"0, NVIDIA H100 80GB HBM3, {MASKED}, 81559, 9.0, 590.48.01, Enabled, 00000000:00:09.0"
H100_ROW = f"0, NVIDIA H100 80GB HBM3, {MASKED}, 81559, 9.0, 590.48.01, Disabled, 00000000:00:09.0"
L40S_ROW = f"0, NVIDIA L40S, {MASKED}, 46068, 8.9, 595.80, [N/A], 00000000:01:00.0"
RTX2080S_ROW = f"0, NVIDIA GeForce RTX 2080 SUPER, {MASKED}, 8192, 7.5, 610.57.04, [N/A], 00000000:0C:00.0"


def changed(gpu: Gpu, **fields: object) -> Gpu:
    return Gpu(**{**gpu.__dict__, **fields})


def smi_gpu(row: str) -> Gpu:
    (gpu,) = gpus_from_query(parse_smi_query(row))
    return gpu


def test_query_rows_become_whole_gpus():
    assert parse_smi_query(H100_MIG_ROW) == [{
        "index": "0", "name": "NVIDIA H100 80GB HBM3", "uuid": MASKED, "memory.total": "81559", "compute_cap": "9.0",
        "driver_version": "590.48.01", "mig.mode.current": "Enabled", "pci.bus_id": "00000000:00:09.0"}]
    assert smi_gpu(H100_MIG_ROW) == Gpu(
        "nvidia", index=0, name="NVIDIA H100 80GB HBM3", uuid=MASKED, memory_total_mib=81559, compute_capability="9.0",
        arch="sm_90", mig_mode="enabled", pci_bus_id="00000000:00:09.0", source=QUERY)
    assert smi_gpu(H100_ROW).mig_mode == "disabled"
    assert smi_gpu(L40S_ROW) == Gpu(
        "nvidia", index=0, name="NVIDIA L40S", uuid=MASKED, memory_total_mib=46068, compute_capability="8.9",
        arch="sm_89", pci_bus_id="00000000:01:00.0", source=QUERY)


# nuxhash#10, verbatim: a mining rig of four GTX 1060 6GB and one GTX 1080 Ti, with the --format=csv header row.
RIG_CSV = """\
name, pci.bus, index, uuid
GeForce GTX 1060 6GB, 0x01, 0, GPU-f3da2e71-6e43-729a-e3ae-f731ed96d50c
GeForce GTX 1080 Ti, 0x02, 1, GPU-15ea7bf9-1a0e-2d7f-9c62-c28e5ca1aaf1
GeForce GTX 1060 6GB, 0x03, 2, GPU-3dc4f2b0-6e1b-c088-c342-4367c334795a
GeForce GTX 1060 6GB, 0x09, 3, GPU-03ddeff3-19c4-6676-d02d-6942bd80630d
GeForce GTX 1060 6GB, 0x0A, 4, GPU-ff3318a7-f0dd-dc57-1fb8-cc95ba35c56e
"""
RIG = gpus_from_query(parse_smi_query(RIG_CSV, ("name", "pci.bus", "index", "uuid")))


def test_a_query_of_other_fields_leaves_the_rest_unknown():
    def gtx(index: int, name: str, uuid: str) -> Gpu:
        return Gpu("nvidia", index=index, name=f"GeForce GTX {name}", uuid=uuid, source=QUERY)

    assert RIG == [
        gtx(0, "1060 6GB", "GPU-f3da2e71-6e43-729a-e3ae-f731ed96d50c"),
        gtx(1, "1080 Ti", "GPU-15ea7bf9-1a0e-2d7f-9c62-c28e5ca1aaf1"),
        gtx(2, "1060 6GB", "GPU-3dc4f2b0-6e1b-c088-c342-4367c334795a"),
        gtx(3, "1060 6GB", "GPU-03ddeff3-19c4-6676-d02d-6942bd80630d"),
        gtx(4, "1060 6GB", "GPU-ff3318a7-f0dd-dc57-1fb8-cc95ba35c56e"),
    ]


def test_a_quoted_name_keeps_its_comma():
    # Assembled: the RTX 2080 SUPER row with its name quoted and holding a comma, as CSV quotes such a value.
    row = f'0, "NVIDIA GeForce RTX 2080 SUPER, rev. A", {MASKED}, 8192, 7.5, 610.57.04, [N/A], 00000000:0C:00.0'
    assert parse_smi_query(row) == [{
        "index": "0", "name": "NVIDIA GeForce RTX 2080 SUPER, rev. A", "uuid": MASKED, "memory.total": "8192",
        "compute_cap": "7.5", "driver_version": "610.57.04", "mig.mode.current": None, "pci.bus_id": "00000000:0C:00.0"}]


@pytest.mark.parametrize("text", ["", None])
def test_no_output_is_no_row_even_for_a_one_field_query(text):
    assert parse_smi_query(text, ("name",)) == []


# ---------------------------------------------------------------- the nvidia-smi table

def test_a_header_whose_driver_version_is_unreadable_keeps_the_cuda_version():
    # Assembled: the 4x A10 table's header line with one digit of the driver version an Arabic-Indic eight.
    line = "| NVIDIA-SMI 535.183.01             Driver Version: 535.1\u06683.01   CUDA Version: 12.2     |"
    assert parse_smi_header(line) == SmiHeader(None, "12.2")


def test_gpu_boxes_quoted_without_the_tables_top():
    # An excerpt: the TITAN Xp box of tests/fixtures/nvidia/smi-table-384.66-no-cuda-field.txt alone, as
    # issues often quote just the GPU rows.
    box = fixture("smi-table-384.66-no-cuda-field.txt").splitlines()[7:9]
    assert box[0].startswith("|   0  TITAN Xp")
    assert parse_smi_memory("\n".join(box)) == {0: (2789, 12174)}


# The same capture's table 15 s later, under load (`nvidia-smi -l` prints one table after another like this).
RTX2080S_LOAD_TABLE = """\
Wed Aug 12 21:54:00 2026
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 610.57.04              KMD Version: 610.57.04     CUDA UMD Version: 13.3     |
+-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |
|                                         |                        |               MIG M. |
|=========================================+========================+======================|
|   0  NVIDIA GeForce RTX 2080 ...    Off |   00000000:0C:00.0 Off |                  N/A |
| 38%   38C    P2             97W /  250W |     815MiB /   8192MiB |      8%      Default |
|                                         |                        |                  N/A |
+-----------------------------------------+------------------------+----------------------+

+-----------------------------------------------------------------------------------------+
| Processes:                                                                              |
|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |
|        ID   ID                                                               Usage      |
|=========================================================================================|
|    0   N/A  N/A            1720      G   /usr/bin/gnome-shell                    173MiB |
|    0   N/A  N/A            4556      G   /usr/bin/Xwayland                         3MiB |
|    0   N/A  N/A           28511      C   ffmpeg                                  230MiB |
|    0   N/A  N/A           28512      C   ffmpeg                                  370MiB |
+-----------------------------------------------------------------------------------------+
"""


def test_memory_is_read_from_the_first_table_only():
    assert parse_smi_memory(RTX2080S_LOAD_TABLE) == {0: (815, 8192)}
    # Assembled: the idle table, then the load table, as two successive tables of `nvidia-smi -l`; reading
    # stops at the first process table.
    idle = fixture("smi-table-610.57.04-rtx2080super-kmd.txt")
    assert parse_smi_memory(idle + RTX2080S_LOAD_TABLE) == {0: (211, 8192)}


# ---------------------------------------------------------------- errors and versions

@pytest.mark.parametrize("text", ["", None, "\n  \n"])
def test_no_error_text_is_an_error_without_a_message(text):
    assert classify_smi_failure(text) == ("error", "")


def test_the_nvml_library_version_ends_before_a_full_stop():
    # Assembled: the line of tests/fixtures/nvidia/smi-mismatch-with-nvml-570.124.txt quoted in a sentence.
    assert parse_nvml_library_version("nvidia-smi says NVML library version: 570.124.") == "570.124"


@pytest.mark.parametrize("value, cuda", [
    (12040, "12.4"),  # NVML's CUDA 12.4
    (1000, "1.0"),  # the lowest CUDA version
    (999, None),  # below CUDA 1.0: no CUDA version, though a positive int
    (1, None),
    (0, None),
    ("12040", None),  # not an int: replayed data may hold anything
    (12040.0, None),
    (None, None),
])
def test_cuda_version_from_nvml(value, cuda):
    assert cuda_version_from_int(value) == cuda


PROC_384 = fixture("proc-version-384.98.txt")
PROC_OPEN = fixture("proc-version-open-565.57.01.txt")


@pytest.mark.parametrize("text, version", [
    # Assembled: the 384.98 file's two lines in the other order; the NVRM line is found wherever it stands.
    ("\n".join(reversed(PROC_384.splitlines())), "384.98"),
    # Assembled: the 384.98 line run together with the open module's (a lost newline); the first module counts.
    (PROC_384.splitlines()[0] + PROC_OPEN, "384.98"),
    # Assembled: the open module's line cut after "Kernel Module" and after "for x86_64".
    ("NVRM version: NVIDIA UNIX Open Kernel Module", None),
    ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64", None),
])
def test_proc_version_odd_texts(text, version):
    assert parse_proc_driver_version(text) == version


# ---------------------------------------------------------------- NVML data

# The H100 MIG capture's values as the door's NVML query returns them (bytes; NVML's `used` is total - free,
# 81559 - 81022 MiB; MIG mode current and pending both enabled).
H100_NVML = {"index": 0, "name": "NVIDIA H100 80GB HBM3", "uuid": MASKED, "memory_total_bytes": 81559 * MIB,
             "memory_used_bytes": 537 * MIB, "compute_capability": [9, 0], "mig_mode": [1, 1],
             "pci_bus_id": "00000000:00:09.0"}
H100_GPU = Gpu("nvidia", index=0, name="NVIDIA H100 80GB HBM3", uuid=MASKED, memory_total_mib=81559, memory_used_mib=537,
               compute_capability="9.0", arch="sm_90", mig_mode="enabled", pci_bus_id="00000000:00:09.0", source="nvml")


def test_nvml_devices_become_whole_gpus():
    assert gpus_from_nvml({"driver_version": "590.48.01", "cuda_driver_version": 13010, "devices": [H100_NVML]}) == [
        H100_GPU]
    disabled = {**H100_NVML, "memory_used_bytes": 478 * MIB, "mig_mode": [0, 0]}  # the H100 capture without MIG
    assert gpus_from_nvml({"devices": [disabled]}) == [
        Gpu("nvidia", index=0, name="NVIDIA H100 80GB HBM3", uuid=MASKED, memory_total_mib=81559, memory_used_mib=478,
            compute_capability="9.0", arch="sm_90", mig_mode="disabled", pci_bus_id="00000000:00:09.0", source="nvml")]


def test_nvml_memory_rounds_down_to_whole_mib():
    # py3nvml#6: "Total memory: 5636292608", "Free memory: 5578420224" (used = total - free); no name given.
    device = {"index": 0, "memory_total_bytes": 5636292608, "memory_used_bytes": 5636292608 - 5578420224}
    (gpu,) = gpus_from_nvml({"devices": [device]})
    assert gpu == Gpu("nvidia", index=0, memory_total_mib=5375, memory_used_mib=55, source="nvml")
    assert (type(gpu.memory_total_mib), type(gpu.memory_used_mib)) == (int, int)


def test_nvml_calls_that_failed_leave_their_facts_unknown():
    # The RTX 2080 SUPER capture's values; the door records None (and the error) for an NVML call that raised:
    # MIG mode is "Not Supported" on a GeForce, and an assembled "Function Not Found" for the compute capability.
    device = {"index": 0, "name": "NVIDIA GeForce RTX 2080 SUPER", "uuid": MASKED, "memory_total_bytes": 8192 * MIB,
              "memory_used_bytes": None, "compute_capability": None, "mig_mode": None, "pci_bus_id": "00000000:0C:00.0",
              "errors": {"compute_capability": "Function Not Found", "mig_mode": "Not Supported"}}
    assert gpus_from_nvml({"devices": [device]}) == [
        Gpu("nvidia", index=0, name="NVIDIA GeForce RTX 2080 SUPER", uuid=MASKED, memory_total_mib=8192,
            pci_bus_id="00000000:0C:00.0", source="nvml")]


@pytest.mark.parametrize("device, gpu", [
    # Assembled replayed records: an empty name, and MIG modes no NVML returns (0 disabled, 1 enabled only).
    ({**H100_NVML, "name": ""}, changed(H100_GPU, name=None)),
    ({**H100_NVML, "mig_mode": [2, 0]}, changed(H100_GPU, mig_mode=None)),  # current mode unknown
    ({**H100_NVML, "mig_mode": [1]}, H100_GPU),  # the current mode alone
    ({**H100_NVML, "mig_mode": []}, changed(H100_GPU, mig_mode=None)),
])
def test_odd_nvml_values_are_unknown_not_fatal(device, gpu):
    assert gpus_from_nvml({"devices": [device]}) == [gpu]


@pytest.mark.parametrize("data, gpus", [
    (None, []),
    ({"driver_version": "590.48.01"}, []),  # no device list at all
    ({"devices": None}, []),
    ({"devices": [None, H100_NVML]}, [H100_GPU]),  # an odd entry is skipped, the next one still read
])
def test_odd_nvml_data_is_skipped(data, gpus):
    assert gpus_from_nvml(data) == gpus


# ---------------------------------------------------------------- CUDA_VISIBLE_DEVICES

# The 6x A100 server as the probe lists it: driver 460.91.03 refuses compute_cap, so the query runs without it.
# Assembled rows of real values: names, memory, driver and bus ids from the note's table, UUIDs and the MIG
# mode (enabled on GPUs 4 and 5, which hold MIG devices) from its `nvidia-smi -L`.
A100_FIELDS = tuple(field for field in QUERY_FIELDS if field != "compute_cap")
A100_CSV = """\
0, A100-PCIE-40GB, GPU-66ad7319-313a-6b24-503f-863dffa1e8cf, 40536, 460.91.03, Disabled, 00000000:01:00.0
1, A100-PCIE-40GB, GPU-11107e51-6363-81fc-8a73-0fd446a734f5, 40536, 460.91.03, Disabled, 00000000:25:00.0
2, A100-PCIE-40GB, GPU-9ef1da52-8dfb-5327-6a00-17097ba591a9, 40536, 460.91.03, Disabled, 00000000:61:00.0
3, A100-PCIE-40GB, GPU-aed1178e-1c4b-6b7f-00fb-5bb68359e862, 40536, 460.91.03, Disabled, 00000000:A1:00.0
4, A100-PCIE-40GB, GPU-fb8bbc70-d551-45f9-43d4-9734f9cddb2c, 40536, 460.91.03, Enabled, 00000000:C1:00.0
5, A100-PCIE-40GB, GPU-82864c44-d125-bf84-645f-e800925bf730, 40536, 460.91.03, Enabled, 00000000:E1:00.0
"""
A100_BOX = gpus_from_query(parse_smi_query(A100_CSV, A100_FIELDS))


# Two H100s of the captures in one box (the one without MIG renumbered 1): one model, so indices are nvidia-smi's.
H100_PAIR = [smi_gpu(H100_MIG_ROW), changed(smi_gpu(H100_ROW), index=1)]
# An H100 without MIG beside an L40S, whose MIG mode nvidia-smi gives as [N/A].
H100_L40S = [smi_gpu(H100_ROW), changed(smi_gpu(L40S_ROW), index=1)]
ALL_RIG = frozenset(range(5))


@pytest.mark.parametrize("gpus, value, order, seen", [
    # the note's own value: one MIG device of GPU 5, one of GPU 4
    (A100_BOX, "MIG-GPU-82864c44-d125-bf84-645f-e800925bf730/1/0,MIG-GPU-fb8bbc70-d551-45f9-43d4-9734f9cddb2c/1/0",
     None, Visibility(frozenset({4, 5}), 2)),
    # equal names without a known compute capability are not taken for one model
    (A100_BOX, "1", None, Visibility(frozenset(range(6)), 1, True, INT_REASON)),
    (A100_BOX, "1", "PCI_BUS_ID", Visibility(frozenset({1}), 1)),
    # the mixed rig: CUDA's device 0 is the fastest (the 1080 Ti), so which GPU an index means is uncertain
    (RIG, "1,0", None, Visibility(ALL_RIG, 2, True, INT_REASON)),
    (RIG, "0,GPU-f3da", None, Visibility(ALL_RIG, 2, True, INT_REASON)),  # the fastest GPU, then a GTX 1060
    (RIG, "0,GPU-f3da", "PCI_BUS_ID", Visibility(frozenset({0}), 1)),  # one GPU named twice is one device
    (RIG, "GPU-f3da,GPU-15ea", None, Visibility(frozenset({0, 1}), 2)),
    (RIG, "GPU-1", None, Visibility(frozenset({1}), 1)),  # one hex digit names the 1080 Ti: no other UUID has it
    (RIG, MIG_0, None, Visibility(ALL_RIG, 1, True, MIG_REASON)),  # nvidia-smi gave no MIG mode: any GPU may hold it
    ([smi_gpu(RTX2080S_ROW)], "GPU-", None, Visibility(frozenset(), 0)),  # "GPU-" alone names no GPU
    (H100_PAIR, "MIG-", None, Visibility(frozenset(), 0)),  # nor "MIG-" a MIG device
    (H100_PAIR, "MIG-0", None, Visibility(frozenset({0}), 1)),  # a MIG UUID cannot be checked: any on the MIG GPU
    (H100_PAIR, f"1,{MIG_0}", None, Visibility(frozenset({0, 1}), 2)),
    (H100_PAIR, f"{MIG_0},{MIG_1}", None, Visibility(frozenset({0}), 2)),
    (H100_L40S, MIG_0, None, Visibility(frozenset({1}), 1, True, MIG_REASON)),  # not the GPU with MIG disabled
    ([smi_gpu(H100_ROW)], f"{MIG_0},0", None, Visibility(frozenset(), 0)),  # no GPU with MIG: CUDA stops there
])
def test_cuda_visibility_whole(gpus, value, order, seen):
    assert cuda_visibility(value, gpus, order) == seen
