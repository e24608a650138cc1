"""Intel GPU and Apple MPS detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.door import RecordedDoor
from envdoctor.probes import ProbeContext, apple, xpu
from envdoctor.probes.xpu import (
    parse_drm_uevent,
    parse_sycl_ls,
    parse_sysfs_hex,
    parse_xpu_smi_discovery,
)

FIXTURES = Path(__file__).parent / "fixtures" / "xpu"


def read(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.mark.parametrize(
    ("name", "names"),
    [("sycl-ls-a770-uhd630-2024.1.txt", ["Intel(R) Arc(TM) A770 Graphics", "Intel(R) UHD Graphics 630"]),
     ("sycl-ls-a750-ci-log.txt", ["Intel(R) Arc(TM) A750 Graphics"]),
     ("sycl-ls-cpu-only.txt", [])],
)
def test_sycl_ls(name, names):
    assert parse_sycl_ls(read(name)) == names


def test_xpu_smi_discovery_cut_off_table():
    assert parse_xpu_smi_discovery(read("xpu-smi-discovery-flex170-truncated.txt")) == ["Intel(R) Data Center GPU Flex 170"]


def test_uevent_and_sysfs_values():
    device = parse_drm_uevent(read("uevent-intel-igpu-00-02.0.txt"))
    assert (device.vendor, device.device, device.pci_class, device.slot) == ("8086", "591d", "030000", "0000:00:02.0")
    assert device.is_display
    assert parse_sysfs_hex("0x8086\n") == "8086"
    assert parse_sysfs_hex("junk") is None


@given(st.text())
def test_parsers_never_raise(text):
    parse_sycl_ls(text)
    parse_xpu_smi_discovery(text)
    parse_drm_uevent(text)
    parse_sysfs_hex(text)


def machine(tmp_path: Path, platform: dict, files: dict | None = None, **parts) -> ProbeContext:
    """A RecordedDoor over a machine folder written from the given parts."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for path, text in (files or {}).items():
        target = tmp_path / "files" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (tmp_path / "machine.json").write_text(json.dumps({"format": "envdoctor.machine/1", "platform": platform, **parts}))
    return ProbeContext(door=RecordedDoor(tmp_path), timeout=2.0)


LINUX = {"system": "Linux", "machine": "x86_64"}
IGPU = {"/sys/class/drm/card0/device/uevent": read("uevent-intel-igpu-00-02.0.txt")}
ARC = {"/sys/class/drm/card1/device/uevent": read("uevent-arc-a770-synthesised.txt")}
DRM = {"/sys/class/drm": ["card0", "card0-HDMI-A-1", "card1", "renderD128"]}


def test_discrete_arc_with_sycl_ls_names(tmp_path):
    ctx = machine(tmp_path, LINUX, {**IGPU, **ARC}, dirs=DRM, which={"sycl-ls": "/opt/intel/oneapi/bin/sycl-ls"},
                  commands=[{"argv": ["/opt/intel/oneapi/bin/sycl-ls"], "status": "ok", "returncode": 0,
                             "stdout": read("sycl-ls-a770-uhd630-2024.1.txt")}])
    facts = xpu.probe(ctx)
    assert facts.present is True
    integrated, arc = facts.devices
    assert integrated.name is None and "integrated graphics" in integrated.source
    assert (arc.name, arc.pci_bus_id) == ("Intel(R) Arc(TM) A770 Graphics", "0000:03:00.0")


def test_integrated_only_is_listed_but_not_present(tmp_path):
    facts = xpu.probe(machine(tmp_path, LINUX, IGPU, dirs={"/sys/class/drm": ["card0"]}))
    assert facts.present is False
    assert len(facts.devices) == 1
    assert "not counted as an XPU target" in facts.devices[0].source


def test_no_drm_and_not_linux(tmp_path):
    none = xpu.probe(machine(tmp_path / "a", LINUX))
    assert (none.present, none.devices, none.attempts[0].status) == (False, [], "not_found")
    assert xpu.probe(machine(tmp_path / "b", {"system": "Windows", "machine": "AMD64"})).attempts == []


def test_apple_probe(tmp_path):
    mac = apple.probe(machine(tmp_path / "a", {"system": "Darwin", "machine": "arm64", "mac_ver": "13.0"}))
    assert (mac.apple_silicon, mac.macos_version, mac.mps_possible) == (True, "13.0", True)
    linux = apple.probe(machine(tmp_path / "b", LINUX))
    assert (linux.apple_silicon, linux.mps_possible, linux.reason) == (False, False, "not macOS")
