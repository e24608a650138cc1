"""The Intel GPU (XPU) probe's readers, each judged on whole values.

They read what Linux and Intel's tools say about a GPU: a DRM card's ``/sys/class/drm/cardN/device/uevent``
(``KEY=value`` lines the kernel writes in ``pci_uevent``, drivers/pci/pci-driver.c: ``PCI_CLASS=%04X``,
``PCI_ID=%04X:%04X``, ``PCI_SLOT_NAME``, and ``DRIVER`` for any bound device), the sysfs id files beside it
(``vendor``, ``device``, ``class``: ``0x%04x`` in drivers/pci/pci-sysfs.c) and the device lines of
``sycl-ls`` (oneAPI). Real texts are in tests/fixtures/xpu/ (sources in its README) or quoted below with
their source.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.probes.xpu import PciDevice, _without_trailing_version, parse_drm_uevent, parse_sycl_ls, parse_sysfs_hex

FIXTURES = Path(__file__).parent / "fixtures" / "xpu"


def read(name: str) -> str:
    return (FIXTURES / name).read_text()


# --- the device uevent ---------------------------------------------------------------------------------------

# The Apple GPU under Asahi Linux, a platform device with no PCI bus: the device uevent Mesa's drm-shim
# serves for it (src/asahi/drm-shim/asahi_noop.c, Mesa, https://gitlab.freedesktop.org/mesa/mesa), as the
# kernel writes it for a device-tree device. "1" is hex, but OF_COMPATIBLE_N is no PCI class.
ASAHI = "DRIVER=asahi\nOF_FULLNAME=/soc/agx\nOF_COMPATIBLE_0=apple,gpu-g13g\nOF_COMPATIBLE_N=1\n"

# An NEC uPD720200 USB 3.0 controller (1033:0194): the kernel's uevent keys of its PCI device as
# `udevadm info --export-db` printed them ("E: " taken off; udev's own DEVPATH, SUBSYSTEM and UDEV_LOG left
# out), from a dump stored in a public repository (index id 56892423500). Its class, 0x0c0330, has a letter.
XHCI = """DRIVER=xhci_hcd
PCI_CLASS=C0330
PCI_ID=1033:0194
PCI_SUBSYS_ID=144D:C098
PCI_SLOT_NAME=0000:03:00.0
MODALIAS=pci:v00001033d00000194sv0000144Dsd0000C098bc0Csc03i30
"""


@pytest.mark.parametrize(
    ("text", "device"),
    [
        (read("uevent-intel-igpu-00-02.0.txt"),
         PciDevice(vendor="8086", device="591d", pci_class="030000", slot="0000:00:02.0", driver="vfio-pci")),
        (read("uevent-arc-a770-synthesised.txt"),
         PciDevice(vendor="8086", device="56a0", pci_class="030000", slot="0000:03:00.0", driver="i915")),
        (ASAHI, PciDevice(driver="asahi")),
        (XHCI, PciDevice(vendor="1033", device="0194", pci_class="0c0330", slot="0000:03:00.0", driver="xhci_hcd")),
        # assembled: the same keys with the hex in lower case (the kernel writes upper case): the case is not read
        ("DRIVER=i915\nPCI_CLASS=c0330\nPCI_ID=8086:56a0\nPCI_SLOT_NAME=0000:03:00.0\n",
         PciDevice(vendor="8086", device="56a0", pci_class="0c0330", slot="0000:03:00.0", driver="i915")),
        # assembled: a device with no driver bound (the kernel then writes no DRIVER line; an empty one reads
        # the same) and an empty slot name
        ("DRIVER=\nPCI_CLASS=30000\nPCI_ID=8086:56A0\nPCI_SLOT_NAME=\n",
         PciDevice(vendor="8086", device="56a0", pci_class="030000")),
        # assembled: a blank line and a line without "=" are passed over, not the end of the file
        ("\nnot a key\nDRIVER=i915\nPCI_ID=8086:56A0\n", PciDevice(vendor="8086", device="56a0", driver="i915")),
        # assembled: a value holding "=" belongs to the key before the first "="
        ("DRIVER=vfio=pci\nPCI_SLOT_NAME=0000:03:00.0\n", PciDevice(slot="0000:03:00.0", driver="vfio=pci")),
        # assembled: values that are not the kernel's hex are left unread
        ("PCI_CLASS=display\nPCI_ID=8086:56A0:00\n", PciDevice()),
        (None, PciDevice()),  # no uevent file
        ("", PciDevice()),
    ],
    ids=["igpu", "arc-a770", "asahi-platform-device", "xhci-class-with-a-letter", "lower-case-hex", "empty-values",
         "lines-without-keys", "value-with-equals", "not-hex", "no-file", "empty-file"],
)
def test_parse_drm_uevent(text, device):
    assert parse_drm_uevent(text) == device


# --- the sysfs id files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0x8086\n", "8086"),  # card1/device/vendor of an Intel card
        ("0x56a0\n", "56a0"),  # card1/device/device of an Arc A770
        ("0x030000\n", "030000"),  # card1/device/class of a VGA controller
        ("0x56A0\n", "56a0"),  # assembled: the id in upper case, as a hand-written copy may hold it
        ("56a0\n", None),  # assembled: without its 0x
        (None, None),  # no such file
        ("", None),
    ],
)
def test_parse_sysfs_hex(text, value):
    assert parse_sysfs_hex(text) == value


# --- sycl-ls ----------------------------------------------------------------------------------------------------

# oneAPI's sycl-ls in a container on a machine with an Arc B580 (PCI id 0xe20b, named by id by that driver)
# and a UHD 770, from a blog post of 2025-02-07 about running models on the B580 (index id 1265433490)
B580 = """[opencl:cpu][opencl:0] Intel(R) OpenCL, 12th Gen Intel(R) Core(TM) i7-12700 OpenCL 3.0 (Build 0) [2024.18.7.0.11_160000]
[opencl:gpu][opencl:1] Intel(R) OpenCL Graphics, Intel(R) Graphics [0xe20b] OpenCL 3.0 NEO  [24.39.31294.12]
[opencl:gpu][opencl:2] Intel(R) OpenCL Graphics, Intel(R) UHD Graphics 770 OpenCL 3.0 NEO  [24.39.31294.12]
[level_zero:gpu][level_zero:0] Intel(R) Level-Zero, Intel(R) Graphics [0xe20b] 1.6 [1.3.31294]
[level_zero:gpu][level_zero:1] Intel(R) Level-Zero, Intel(R) UHD Graphics 770 1.6 [1.3.31294]
"""

# A newer sycl-ls (the Unified Runtime platform name, a "+" in the driver version) on Arc Pro B60 cards
# (device id e211): the first three of the four Level Zero lines in https://github.com/intel/llm-scaler
# vllm/README.md ("Check the Installation")
B60 = "".join(f"[level_zero:gpu][level_zero:{index}] Intel(R) oneAPI Unified Runtime over Level-Zero,"
              " Intel(R) Graphics [0xe211] 20.1.0 [1.6.33944+12]\n" for index in range(3))

# sycl-ls as a project's README quotes it, without the versions at the ends of the lines (index id 70132966502)
ABRIDGED = """[opencl:cpu] Intel(R) OpenCL, 13th Gen Intel(R) Core(TM) i9-13900K
[ext_oneapi_level_zero:gpu] Intel(R) Level-Zero, Intel(R) Arc(TM) A770 Graphics
[ext_oneapi_level_zero:gpu] Intel(R) Level-Zero, Intel(R) Graphics [0x7d55]
"""


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (B580, ["Intel(R) Graphics [0xe20b]", "Intel(R) UHD Graphics 770"]),
        (B60, ["Intel(R) Graphics [0xe211]"] * 3),
        # the bracketed id is part of the name: with no version after it there is nothing to take off
        (ABRIDGED, ["Intel(R) Arc(TM) A770 Graphics", "Intel(R) Graphics [0x7d55]"]),
        # assembled: the fixture's listing cut off after a platform name, then one of its complete lines
        ("[ext_oneapi_level_zero:gpu:0] Intel(R) Level-Zero\n"
         "[ext_oneapi_level_zero:gpu:1] Intel(R) Level-Zero, Intel(R) UHD Graphics 630 1.3 [1.3.28454]\n",
         ["Intel(R) UHD Graphics 630"]),
        # assembled: a line ending at its comma names nothing
        ("[level_zero:gpu][level_zero:0] Intel(R) Level-Zero,   \n", []),
        # assembled: a device name holding a comma; the platform's name ends at the first one
        ("[level_zero:gpu][level_zero:0] Intel(R) Level-Zero, Intel(R) Arc(TM) A770 Graphics, 16 GB 1.3 [1.3.28454]\n",
         ["Intel(R) Arc(TM) A770 Graphics, 16 GB"]),
        (None, []),  # sycl-ls did not run
        ("", []),
    ],
    ids=["b580-and-uhd770", "three-b60", "abridged", "cut-after-platform", "nothing-after-comma", "comma-in-name",
         "no-output", "empty-output"],
)
def test_parse_sycl_ls(text, names):
    assert parse_sycl_ls(text) == names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # the text after the platform's comma, as partition leaves it (a blank before it) and read with its
        # line end: the A770 line of tests/fixtures/xpu/sycl-ls-a770-uhd630-2024.1.txt
        (" Intel(R) Arc(TM) A770 Graphics 1.3 [1.3.28454]\n", "Intel(R) Arc(TM) A770 Graphics"),
        # the B580 line above: the last bracket holds the driver version, the first is part of the name
        (" Intel(R) Graphics [0xe20b] 1.6 [1.3.31294]", "Intel(R) Graphics [0xe20b]"),
        ("Intel(R) Graphics [0x7d55]", "Intel(R) Graphics [0x7d55]"),  # the README's abridged line
        ("Intel(R) Arc(TM) A770 Graphics", "Intel(R) Arc(TM) A770 Graphics"),
        # assembled: the A770 line cut off inside its driver version: only a whole "version [driver]" tail is
        # taken off
        (" Intel(R) Arc(TM) A770 Graphics 1.3 [1.3.284", "Intel(R) Arc(TM) A770 Graphics 1.3 [1.3.284"),
        # assembled: a version and driver with no name before them, and a driver version alone
        ("1.3 [1.3.28454]", "1.3 [1.3.28454]"),
        (" [1.3.28454] ", "[1.3.28454]"),
        ("", ""),
    ],
)
def test_without_trailing_version(text, name):
    assert _without_trailing_version(text) == name
