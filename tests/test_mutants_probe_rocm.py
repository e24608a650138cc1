"""The ROCm readers compared whole with what real tool output means.

The readers read rocminfo's HSA agents (``parse_rocminfo``, then ``gpus_from_rocminfo``), the JSON of
``amd-smi static --asic --json`` and the ``GPU[n] : key: value`` lines of ``rocm-smi --showproductname`` (``rocm-smi -a``
prints the same Product Info lines among its other sections). The texts are tool output quoted in public GitHub issues
and repositories, cited beside each; tabs are written as ``\\t`` and the column padding at line ends is dropped. Where a
text is assembled by hand for an edge case, its comment says so and what it stands for.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envdoctor.facts import Gpu
from envdoctor.probes.rocm import (
    RocmAgent,
    gfx_target,
    gpus_from_rocminfo,
    parse_amd_smi_asic_json,
    parse_rocm_smi_product,
    parse_rocminfo,
)

FIXTURES = Path(__file__).parent / "fixtures" / "rocm"
# rocminfo --support, ROCm 6.2.3, EPYC 73F3 and MI250 (https://github.com/ROCm/ROCm/issues/3951), agents 1 to 4
MI250 = (FIXTURES / "rocminfo-mi250-rocm6.2.3-agents1-4.txt").read_text()
MI250_LINES = MI250.splitlines(keepends=True)
# the first GPU agent's own Name line (agent 3); agent 4's is the same text
GCD_NAME = "  Name:                    gfx90a                             \n"
EPYC = "AMD EPYC 73F3 16-Core Processor"
MI250_AGENTS = [
    RocmAgent(name=EPYC, marketing_name=EPYC, device_type="CPU", uuid="CPU-XX", node=0),
    RocmAgent(name=EPYC, marketing_name=EPYC, device_type="CPU", uuid="CPU-XX", node=1),
    RocmAgent(name="gfx90a", marketing_name="AMD Instinct MI250X/MI250", device_type="GPU", uuid="GPU-4007a1a5b32f6606", node=2),
    RocmAgent(name="gfx90a", marketing_name="AMD Instinct MI250X/MI250", device_type="GPU", uuid="GPU-52502d2da1dea260", node=3),
]


def rocminfo_gpu(index: int, name: str | None, uuid: str | None, arch: str | None) -> Gpu:
    return Gpu(vendor="amd", index=index, name=name, uuid=uuid, arch=arch, source="rocminfo")


def amd_smi_gpu(index: int, name: str | None, arch: str | None) -> Gpu:
    return Gpu(vendor="amd", index=index, name=name, arch=arch, source="amd-smi static --asic --json")


def rocm_smi_gpu(index: int, name: str | None, arch: str | None) -> Gpu:
    return Gpu(vendor="amd", index=index, name=name, arch=arch, source="rocm-smi --showproductname")


def without_first(lines: list[str], line: str) -> str:
    rest = list(lines)
    rest.remove(line)
    return "".join(rest)


def with_line_after_first(lines: list[str], anchor: str, line: str) -> str:
    at = lines.index(anchor) + 1
    return "".join(lines[:at] + [line] + lines[at:])


# --- rocminfo ----------------------------------------------------------------------------------------------------


def test_every_agent_of_the_mi250_output_whole():
    assert parse_rocminfo(MI250) == MI250_AGENTS


def test_the_mi250_gpus_whole():
    assert gpus_from_rocminfo(MI250_AGENTS) == [
        rocminfo_gpu(0, "AMD Instinct MI250X/MI250", "GPU-4007a1a5b32f6606", "gfx90a"),
        rocminfo_gpu(1, "AMD Instinct MI250X/MI250", "GPU-52502d2da1dea260", "gfx90a"),
    ]


# rocminfo as posted, shortened by its author with "..." lines, in a comment of https://github.com/ROCm/ROCm/issues/5480
# (Fedora's rocminfo 6.3.0 on an RX 6800M laptop with a Radeon iGPU; "OCk" is the post's own first line). "GPU-XX" is
# what rocminfo prints for a GPU without a unique id; the reader keeps the value as printed.
ROCMINFO_ABRIDGED = """\
OCk module is loaded
=====================
HSA System Attributes
=====================
Runtime Version:         1.1
Runtime Ext Version:     1.6
System Timestamp Freq.:  1000.000000MHz
Sig. Max Wait Duration:  18446744073709551615 (0xFFFFFFFFFFFFFFFF) (timestamp count)
Machine Model:           LARGE
System Endianness:       LITTLE
Mwaitx:                  DISABLED
DMAbuf Support:          YES
...
...
*******
Agent 2
*******
  Name:                    gfx1031
  Uuid:                    GPU-XX
  Marketing Name:          AMD Radeon RX 6800M
  Vendor Name:             AMD
  Feature:                 KERNEL_DISPATCH
  Profile:                 BASE_PROFILE
  Float Round Mode:        NEAR
  Max Queue Number:        128(0x80)
  Queue Min Size:          64(0x40)
  Queue Max Size:          131072(0x20000)
  Queue Type:              MULTI
  Node:                    1
  Device Type:             GPU
...
...
*******
Agent 3
*******
  Name:                    gfx90c
  Uuid:                    GPU-XX
  Marketing Name:          AMD Radeon Graphics
  Vendor Name:             AMD
  Feature:                 KERNEL_DISPATCH
  Profile:                 BASE_PROFILE
  Float Round Mode:        NEAR
  Max Queue Number:        128(0x80)
  Queue Min Size:          64(0x40)
  Queue Max Size:          131072(0x20000)
  Queue Type:              MULTI
  Node:                    2
  Device Type:             GPU
...
...
"""


def test_an_abridged_output_keeps_the_agents_it_shows():
    agents = parse_rocminfo(ROCMINFO_ABRIDGED)
    assert agents == [
        RocmAgent(name="gfx1031", marketing_name="AMD Radeon RX 6800M", device_type="GPU", uuid="GPU-XX", node=1),
        RocmAgent(name="gfx90c", marketing_name="AMD Radeon Graphics", device_type="GPU", uuid="GPU-XX", node=2),
    ]
    assert gpus_from_rocminfo(agents) == [
        rocminfo_gpu(0, "AMD Radeon RX 6800M", "GPU-XX", "gfx1031"),
        rocminfo_gpu(1, "AMD Radeon Graphics", "GPU-XX", "gfx90c"),
    ]


def test_lines_without_their_agent_header_make_no_agent():
    # What `rocminfo | grep -E 'Name:|Device Type:'` prints for the MI250 output: the agents' Name, Marketing Name,
    # Vendor Name and Device Type lines and the ISA names, with no "Agent N" header. No line says where an agent
    # starts, so none is read as one.
    grepped = "".join(line for line in MI250_LINES if "Name:" in line or "Device Type:" in line)
    assert grepped.startswith(f"  Name:                    {EPYC}")
    assert parse_rocminfo(grepped) == []


def test_an_agent_whose_name_line_is_missing_is_left_out_and_lends_nothing_to_its_neighbours():
    # Assembled: the MI250 output with agent 3's own Name line taken out, as a damaged or hand-edited paste would be.
    # Its Uuid, Node and Device Type lines belong to no agent read (neither to agent 2 before it), and its ISA entry's
    # deeper "Name: amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-" is not an agent either; agent 4 is read as before.
    text = without_first(MI250_LINES, GCD_NAME)
    assert text.count(GCD_NAME) == 1
    assert parse_rocminfo(text) == [MI250_AGENTS[0], MI250_AGENTS[1], MI250_AGENTS[3]]


@pytest.mark.parametrize(
    "text",
    [
        # Assembled: agent 3's Name line printed twice; an agent has one name, so a repeated line starts no agent.
        pytest.param(with_line_after_first(MI250_LINES, GCD_NAME, GCD_NAME), id="name-line-twice"),
        # Assembled: a two-space line without a colon inside agent 3 (a wrapped or cut line); it carries no field,
        # and the lines after it are still read.
        pytest.param(
            with_line_after_first(MI250_LINES, "  Node:                    2                                  \n", "  N/A\n"),
            id="two-space-line-without-colon",
        ),
    ],
)
def test_stray_lines_inside_an_agent_change_nothing(text):
    assert parse_rocminfo(text) == MI250_AGENTS


def test_a_value_keeps_the_colons_after_its_key():
    # Assembled: a marketing name with a colon in it (rocminfo prints the name as the driver gives it).
    text = "*******\nAgent 1\n*******\n  Name:                    gfx90a\n  Marketing Name:          AMD Instinct MI250X: OAM\n"
    assert parse_rocminfo(text) == [RocmAgent(name="gfx90a", marketing_name="AMD Instinct MI250X: OAM")]


def test_a_gpu_agent_named_without_a_gfx_target_has_no_arch():
    # Assembled: a GPU agent whose Name is not a gfx target; the GPU keeps its marketing name and no arch is made up.
    agents = [
        RocmAgent(name=EPYC, marketing_name=EPYC, device_type="CPU", uuid="CPU-XX", node=0),
        RocmAgent(name="AMD Radeon Graphics", marketing_name=None, device_type="GPU", uuid=None, node=1),
    ]
    assert gpus_from_rocminfo(agents) == [rocminfo_gpu(0, "AMD Radeon Graphics", None, None)]


# --- amd-smi static --asic --json ------------------------------------------------------------------------------------

# `amd-smi static --json` on an MI210, the example output in ROCm/device-metrics-exporter, pkg/testrunner/utils_test.go
# (TestParseAMDSMIStaticOutput). Its gpu, asic, bus and vbios objects as printed; the later objects (limit, driver,
# board, ras, numa, vram, cache_info, clock) are left out and the document is closed.
MI210_JSON = """\
{
    "gpu_data": [
        {
            "gpu": 0,
            "asic": {
                "market_name": "AMD Instinct MI210",
                "vendor_id": "0x1002",
                "vendor_name": "Advanced Micro Devices Inc. [AMD/ATI]",
                "subvendor_id": "0x1002",
                "device_id": "0x740f",
                "subsystem_id": "0x0c34",
                "rev_id": "0x02",
                "oam_id": "N/A",
                "num_compute_units": 104,
                "target_graphics_version": "gfx90a"
            },
            "bus": {
                "max_pcie_width": 16,
                "max_pcie_speed": {
                    "value": 16,
                    "unit": "GT/s"
                },
                "pcie_interface_version": "Gen 4",
                "slot_type": "OAM"
            },
            "vbios": {
                "name": "Mi200 pcie"
            }
        }
    ]
}
"""

# `amd-smi static --json` of an older release (a list, and no target_graphics_version in asic) on an RX 6600, from
# luckylinux/supermicro-fan-control, GPU_NOTES.md. The market name is cut short by amd-smi itself. Its gpu, asic and bus
# objects as printed; the later objects are left out and the document is closed.
NAVI23_JSON = """\
[
    {
        "gpu": 0,
        "asic": {
            "market_name": "Navi 23 [Radeon RX 6600/6600 XT",
            "vendor_id": "0x1002",
            "vendor_name": "Advanced Micro Devices Inc. [AMD/ATI]",
            "subvendor_id": "0x1043",
            "device_id": "0x73ff",
            "rev_id": "0xc7",
            "asic_serial": "N/A",
            "oam_id": "N/A"
        },
        "bus": {
            "bdf": "0000:0b:00.0",
            "max_pcie_width": 16,
            "max_pcie_speed": {
                "value": 16,
                "unit": "GT/s"
            },
            "pcie_interface_version": "Gen 4",
            "slot_type": "CEM"
        }
    }
]
"""
MI210_ASIC = json.loads(MI210_JSON)["gpu_data"][0]["asic"]
# the four Python 3.14 warning lines amd-smi printed before its document in https://github.com/nathaninline/ajean/issues/39
PY314_WARNINGS = "".join((FIXTURES / "amd-smi-static-json-rx7800xt-truncated.txt").read_text().splitlines(keepends=True)[:4])


@pytest.mark.parametrize(
    ("text", "gpus"),
    [
        pytest.param(MI210_JSON, [amd_smi_gpu(0, "AMD Instinct MI210", "gfx90a")], id="mi210-gpu-data"),
        pytest.param(NAVI23_JSON, [amd_smi_gpu(0, "Navi 23 [Radeon RX 6600/6600 XT", None)], id="navi23-list-no-target"),
        # Assembled: the list-shaped document after the same Python warnings (the list release run under Python 3.14).
        pytest.param(PY314_WARNINGS + NAVI23_JSON, [amd_smi_gpu(0, "Navi 23 [Radeon RX 6600/6600 XT", None)],
                     id="warnings-then-list"),
        # Assembled: the MI210 document indented as a whole (as a log or a wrapper script may print it); no line
        # starts with the bracket, and it is still the same document.
        pytest.param("".join("    " + line for line in MI210_JSON.splitlines(keepends=True)),
                     [amd_smi_gpu(0, "AMD Instinct MI210", "gfx90a")], id="indented-document"),
        # Assembled: the MI210 entry as amd-smi numbers it for a machine's second GPU (as `-g 1` prints it alone):
        # the index is amd-smi's "gpu", not the entry's place in the list.
        pytest.param(MI210_JSON.replace('"gpu": 0,', '"gpu": 1,'), [amd_smi_gpu(1, "AMD Instinct MI210", "gfx90a")],
                     id="second-gpu-alone"),
        # Assembled: an element that is not an object, then the MI210 entry without its "gpu" number; the element
        # describes no GPU, and the entry without a number takes its place in the list.
        pytest.param(json.dumps([None, {"asic": MI210_ASIC}]), [amd_smi_gpu(1, "AMD Instinct MI210", "gfx90a")],
                     id="non-object-then-unnumbered"),
    ],
)
def test_amd_smi_documents_whole(text, gpus):
    assert parse_amd_smi_asic_json(text) == gpus


# --- rocm-smi --showproductname (and rocm-smi -a's Product Info) ----------------------------------------------------

# rocm-smi --showproductname of ROCm 6.3.3 on two MI210s, https://github.com/ROCm/ROCm/issues/5480
MI210_PRODUCT = """\

============================ ROCm System Management Interface ============================
====================================== Product Info ======================================
GPU[0]\t\t: Card Series: \t\tInstinct MI210
GPU[0]\t\t: Card Model: \t\t0x740f
GPU[0]\t\t: Card Vendor: \t\tAdvanced Micro Devices, Inc. [AMD/ATI]
GPU[0]\t\t: Card SKU: \t\tD67301
GPU[0]\t\t: Subsystem ID: \t0x0c34
GPU[0]\t\t: Device Rev: \t\t0x02
GPU[0]\t\t: Node ID: \t\t2
GPU[0]\t\t: GUID: \t\t12261
GPU[0]\t\t: GFX Version: \t\tgfx90a
GPU[1]\t\t: Card Series: \t\tInstinct MI210
GPU[1]\t\t: Card Model: \t\t0x740f
GPU[1]\t\t: Card Vendor: \t\tAdvanced Micro Devices, Inc. [AMD/ATI]
GPU[1]\t\t: Card SKU: \t\tD67301
GPU[1]\t\t: Subsystem ID: \t0x0c34
GPU[1]\t\t: Device Rev: \t\t0x02
GPU[1]\t\t: Node ID: \t\t3
GPU[1]\t\t: GUID: \t\t36740
GPU[1]\t\t: GFX Version: \t\tgfx90a
==========================================================================================
================================== End of ROCm SMI Log ===================================
"""

# rocm-smi --showproductname on a Radeon R9 Fury X, the card series a pci.ids name with brackets, from
# https://github.com/easybuilders/easybuild-framework/pull/3978 (the post's tabs are spaces)
FIJI_PRODUCT = """\
======================= ROCm System Management Interface =======================
================================= Product Info =================================
GPU[0]          : Card series:          Fiji [Radeon R9 FURY / NANO Series]
GPU[0]          : Card model:           Radeon R9 FURY X
GPU[0]          : Card vendor:          Advanced Micro Devices, Inc. [AMD/ATI]
GPU[0]          : Card SKU:             C88001
"""

# rocm-smi -a on an RX 580, from its Memory Vendor section to the end of Product Info,
# https://github.com/ROCm/ROCm/issues/4965: the "get_..., Not supported" lines before the product's are no records
RX580_ALL = """\
===================================== Memory Vendor ======================================
GPU[0]\t\t: get_vram_vendor, Not supported on the given system
==========================================================================================
================================== PCIe Replay Counter ===================================
GPU[0]\t\t: PCIe Replay Count: 0
==========================================================================================
===================================== Serial Number ======================================
GPU[0]\t\t: get_serial_number, Not supported on the given system
GPU[0]\t\t: Serial Number: N/A
==========================================================================================
===================================== KFD Processes ======================================
No KFD PIDs currently running
==========================================================================================
================================== GPUs Indexed by PID ===================================
No KFD PIDs currently running
==========================================================================================
======================= GPU Memory clock frequencies and voltages ========================
GPU[0]\t\t: get_od_volt, Not supported on the given system
==========================================================================================
==================================== Current voltage =====================================
GPU[0]\t\t: Voltage (mV): 1031
==========================================================================================
======================================= PCI Bus ID =======================================
GPU[0]\t\t: PCI Bus: 0000:01:00.0
==========================================================================================
================================== Firmware Information ==================================
GPU[0]\t\t: CE firmware version: \t\t140
GPU[0]\t\t: MC firmware version: \t\t62184512
GPU[0]\t\t: ME firmware version: \t\t167
GPU[0]\t\t: MEC firmware version: \t730
GPU[0]\t\t: MEC2 firmware version: \t730
GPU[0]\t\t: PFP firmware version: \t254
GPU[0]\t\t: RLC firmware version: \t286
GPU[0]\t\t: SDMA firmware version: \t58
GPU[0]\t\t: SDMA2 firmware version: \t58
GPU[0]\t\t: SMC firmware version: \t00.23.17.00
GPU[0]\t\t: UVD firmware version: \t0x01821000
GPU[0]\t\t: VCE firmware version: \t0x351a0300
==========================================================================================
====================================== Product Info ======================================
GPU[0]\t\t: Card Series: \t\tAMD Radeon RX 580 Series
GPU[0]\t\t: Card Model: \t\t0x67df
GPU[0]\t\t: Card Vendor: \t\tAdvanced Micro Devices, Inc. [AMD/ATI]
GPU[0]\t\t: Card SKU: \t\tD000PIL
GPU[0]\t\t: Subsystem ID: \t0x0519
GPU[0]\t\t: Device Rev: \t\t0xe7
GPU[0]\t\t: Node ID: \t\t1
GPU[0]\t\t: GUID: \t\t38156
GPU[0]\t\t: GFX Version: \t\tgfx803
==========================================================================================
"""

# rocm-smi -a of ROCm 4.1 on a Vega 10 (the post's tabs are spaces), a comment of https://github.com/ROCm/ROCm/issues/1449:
# its Current Memory Use, Memory Vendor, GPU Memory clock frequencies and Product Info sections (those in between left
# out). Its Product Info has no card series; the "ERROR: 2 GPU[0]: ..." lines are not GPU[n] records.
VEGA10_ALL = """\
============================== Current Memory Use ==============================
ERROR: 2 GPU[0]: % memory use: RSMI_STATUS_NOT_SUPPORTED: This function is not supported in the current environment.
================================================================================
================================ Memory Vendor =================================
GPU[0]          : GPU memory vendor: samsung
================================================================================
================== GPU Memory clock frequencies and voltages ===================
ERROR: 2 GPU[0]: od volt: RSMI_STATUS_NOT_SUPPORTED: This function is not supported in the current environment.
================================================================================
================================= Product Info =================================
GPU[0]          : Card model:           0x2387
GPU[0]          : Card vendor:          Advanced Micro Devices, Inc. [AMD/ATI]
GPU[0]          : Card SKU:             D05001
================================================================================
"""

# rocm-smi -a's Pages Info section alone on the same RX 580 (https://github.com/ROCm/ROCm/issues/4965): its one
# line is a message, not a "key: value" record, so it names no GPU
RX580_PAGES = """\
======================================= Pages Info =======================================
GPU[0]\t\t: ras, Not supported on the given system
"""


@pytest.mark.parametrize(
    ("text", "gpus"),
    [
        pytest.param(MI210_PRODUCT, [rocm_smi_gpu(0, "Instinct MI210", "gfx90a"), rocm_smi_gpu(1, "Instinct MI210", "gfx90a")],
                     id="two-mi210"),
        pytest.param(FIJI_PRODUCT, [rocm_smi_gpu(0, "Fiji [Radeon R9 FURY / NANO Series]", None)], id="fiji-brackets"),
        pytest.param(RX580_ALL, [rocm_smi_gpu(0, "AMD Radeon RX 580 Series", "gfx803")], id="rx580-all"),
        pytest.param(VEGA10_ALL, [rocm_smi_gpu(0, None, None)], id="vega10-all-no-series"),
        pytest.param(RX580_PAGES, [], id="message-only"),
        # Assembled: a line in rocm-smi's layout for a device that is not a GPU; only GPU[n] lines are read.
        pytest.param("CPU[0]\t\t: Card Series: \t\tAMD EPYC 7763 64-Core Processor\n", [], id="not-a-gpu-line"),
        # Assembled: the MI210's lines with no space after either colon; the key is still "Card Series".
        pytest.param("GPU[0]:Card Series:Instinct MI210\nGPU[0]:GFX Version:gfx90a\n",
                     [rocm_smi_gpu(0, "Instinct MI210", "gfx90a")], id="tight-spacing"),
        # Assembled: a card series with a colon in it; the value is everything after the key's colon.
        pytest.param("GPU[0]\t\t: Card Series: \t\tAMD Instinct MI250X: OAM\n",
                     [rocm_smi_gpu(0, "AMD Instinct MI250X: OAM", None)], id="colon-in-series"),
    ],
)
def test_rocm_smi_product_whole(text, gpus):
    assert parse_rocm_smi_product(text) == gpus


# rocm-smi -a of ROCm 6.1.1 on a Ryzen 7 7840U (Radeon 780M), Product Info section
# (https://github.com/ROCm/ROCm/issues/3207); the same report's rocminfo names the GPU agent gfx1103
PHOENIX = (
    "GPU[0]\t\t: Card Series: \t\tPhoenix1\n"
    "GPU[0]\t\t: Card Model: \t\t0x15bf\n"
    "GPU[0]\t\t: Card Vendor: \t\tAdvanced Micro Devices, Inc. [AMD/ATI]\n"
    "GPU[0]\t\t: Card SKU: \t\tPHXGENERIC\n"
    "GPU[0]\t\t: Subsystem ID: \tRadeon HD 6470M\n"
    "GPU[0]\t\t: Device Rev: \t\t0xc9\n"
    "GPU[0]\t\t: Node ID: \t\t1\n"
    "GPU[0]\t\t: GUID: \t\t4765\n"
    "GPU[0]\t\t: GFX Version: \t\tgfx11003\n"
)


def test_rocm_smi_s_decimal_stepping_is_read_as_the_target_rocminfo_names():
    assert parse_rocm_smi_product(PHOENIX) == [rocm_smi_gpu(0, "Phoenix1", "gfx1103")]


@pytest.mark.parametrize(("written", "target"), [
    # as rocminfo, amd-smi and most rocm-smi releases write them (one hex digit of stepping)
    ("gfx906", "gfx906"), ("gfx90a", "gfx90a"), ("gfx942", "gfx942"), ("gfx1030", "gfx1030"), ("gfx1100", "gfx1100"),
    ("gfx1151", "gfx1151"), ("gfx1201", "gfx1201"),
    ("gfx90a:sramecc+:xnack-", "gfx90a"),  # rocminfo's ISA name with its features
    # the two-digit decimal stepping: gfx11003 is real (above); the rest apply the same writing to known targets
    # (assembled): 9 0 10 -> gfx90a, 9 4 02 -> gfx942, 9 0 06 -> gfx906, 10 3 00 -> gfx1030, 12 0 01 -> gfx1201
    ("gfx11003", "gfx1103"), ("gfx9010", "gfx90a"), ("gfx9402", "gfx942"), ("gfx9006", "gfx906"),
    ("gfx10300", "gfx1030"), ("gfx12001", "gfx1201"),
    ("GFX11003:sramecc+", "gfx1103"),  # assembled: the same spelling upper-cased and with rocminfo's feature suffix
    # no target: amd-smi's N/A, an empty field, a bare prefix
    ("N/A", None), ("", None), ("gfx", None),
])
def test_a_gfx_target_as_each_tool_writes_it(written, target):
    assert gfx_target(written) == target


def test_amd_smi_s_n_a_is_no_name_and_no_target():
    # amd-smi's CLI (amdsmi_commands.py, `static --asic`) starts every ASIC field at "N/A" and keeps it where the
    # library could not read one; assembled from MI210_JSON above with those two fields so
    text = MI210_JSON.replace('"AMD Instinct MI210"', '"N/A"').replace('"gfx90a"', '"N/A"')
    assert parse_amd_smi_asic_json(text) == [amd_smi_gpu(0, None, None)]


def test_amd_smi_s_empty_name_is_no_name():
    # assembled: MI210_JSON with an empty market name
    assert parse_amd_smi_asic_json(MI210_JSON.replace('"AMD Instinct MI210"', '""')) == [amd_smi_gpu(0, None, "gfx90a")]
