"""ROCm parsers on real tool output, and the ROCm probe on machine folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.door import RecordedDoor
from envdoctor.probes import ProbeContext
from envdoctor.probes.rocm import (
    gpus_from_rocminfo,
    parse_amd_smi_asic_json,
    parse_rocm_smi_product,
    parse_rocm_version_file,
    parse_rocminfo,
    parse_visible_devices,
    probe,
)

FIXTURES = Path(__file__).parent / "fixtures" / "rocm"
MI250 = (FIXTURES / "rocminfo-mi250-rocm6.2.3-agents1-4.txt").read_text()


def test_rocminfo_mi250_agents():
    agents = parse_rocminfo(MI250)
    assert [a.device_type for a in agents] == ["CPU", "CPU", "GPU", "GPU"]
    gpus = gpus_from_rocminfo(agents)
    assert [(g.index, g.arch, g.name) for g in gpus] == [
        (0, "gfx90a", "AMD Instinct MI250X/MI250"),
        (1, "gfx90a", "AMD Instinct MI250X/MI250"),
    ]
    assert [g.uuid for g in gpus] == ["GPU-4007a1a5b32f6606", "GPU-52502d2da1dea260"]
    assert all(g.vendor == "amd" for g in gpus)


def test_rocminfo_isa_names_do_not_become_agents():
    assert "amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-" in MI250
    assert all(not a.name.startswith("amdgcn") for a in parse_rocminfo(MI250))


def test_rocminfo_cut_off_inside_the_first_gpu():
    cut = MI250[: MI250.index("Device Type:             GPU")]
    agents = parse_rocminfo(cut)
    assert len(agents) == 3
    assert gpus_from_rocminfo(agents) == []


@pytest.mark.parametrize("name", ["rocminfo-kfd-permission-denied.txt", "rocminfo-kfd-cannot-allocate.txt"])
def test_rocminfo_error_output_has_no_agents(name):
    assert parse_rocminfo((FIXTURES / name).read_text()) == []


def test_rocm_smi_product_names():
    gpus = parse_rocm_smi_product((FIXTURES / "rocm-smi-showproductname-mi100-rocm4.0.txt").read_text())
    assert [(g.index, g.name, g.arch) for g in gpus] == [(0, "0x738c", None)]


def test_amd_smi_truncated_document_gives_nothing():
    assert parse_amd_smi_asic_json((FIXTURES / "amd-smi-static-json-rx7800xt-truncated.txt").read_text()) == []


def test_amd_smi_both_shapes():
    # The fields of the real output above (asic.market_name, asic.target_graphics_version), closed properly.
    entry = {"gpu": 0, "asic": {"market_name": "AMD Radeon RX 7800 XT", "target_graphics_version": "gfx1101"}}
    warning = "amdsmi_interface.py:3569: SyntaxWarning: 'return' in a 'finally' block\n"
    for text in (json.dumps([entry]), warning + json.dumps({"gpu_data": [entry]})):
        gpus = parse_amd_smi_asic_json(text)
        assert [(g.index, g.name, g.arch) for g in gpus] == [(0, "AMD Radeon RX 7800 XT", "gfx1101")]


@pytest.mark.parametrize(("text", "version"), [("6.2.4-120\n", "6.2.4"), ("6.2\n", "6.2"), ("", None), ("garbage", None)])
def test_version_file(text, version):
    assert parse_rocm_version_file(text) == version


@pytest.mark.parametrize(("value", "indices"), [("0,1", {0, 1}), ("", set()), ("GPU-abc", None), (None, None)])
def test_visible_devices(value, indices):
    assert parse_visible_devices(value) == indices


@given(st.text())
def test_parsers_never_raise(text):
    parse_rocminfo(text)
    parse_amd_smi_asic_json(text)
    parse_rocm_smi_product(text)
    parse_rocm_version_file(text)
    parse_visible_devices(text)


def machine(tmp_path: Path, files: dict | None = None, **parts) -> ProbeContext:
    """A RecordedDoor over a Linux machine folder."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for path, text in (files or {}).items():
        target = tmp_path / "files" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (tmp_path / "machine.json").write_text(json.dumps(
        {"format": "envdoctor.machine/1", "platform": {"system": "Linux", "machine": "x86_64"}, **parts}
    ))
    return ProbeContext(door=RecordedDoor(tmp_path), timeout=2.0)


ROCMINFO = "/opt/rocm/bin/rocminfo"
VERSION = {"/opt/rocm/.info/version": "6.2.4-120\n"}


def test_probe_with_hidden_gpu(tmp_path):
    ctx = machine(tmp_path, VERSION, which={"rocminfo": ROCMINFO}, env={"HIP_VISIBLE_DEVICES": "1"},
                  commands=[{"argv": [ROCMINFO], "status": "ok", "returncode": 0, "stdout": MI250}])
    facts = probe(ctx)
    assert (facts.status, facts.version) == ("ok", "6.2.4")
    assert [g.visible for g in facts.gpus] == [False, True]


def test_probe_rocminfo_failing_then_rocm_smi(tmp_path):
    rocm_smi = (FIXTURES / "rocm-smi-showproductname-mi100-rocm4.0.txt").read_text()
    denied = (FIXTURES / "rocminfo-kfd-permission-denied.txt").read_text()
    ctx = machine(
        tmp_path, VERSION, which={"rocminfo": ROCMINFO, "rocm-smi": "/opt/rocm/bin/rocm-smi"},
        commands=[{"argv": [ROCMINFO], "status": "ok", "returncode": 1, "stdout": denied},
                  {"argv": ["/opt/rocm/bin/rocm-smi", "--showproductname"], "status": "ok", "returncode": 0, "stdout": rocm_smi}],
    )
    facts = probe(ctx)
    assert facts.status == "ok"
    assert facts.source == "rocm-smi --showproductname"
    assert facts.attempts[1].status == "error" and "exit code 1" in facts.attempts[1].detail


@pytest.mark.parametrize(
    ("entry", "status"),
    [({"status": "timed_out"}, "timed_out"),
     ({"status": "ok", "returncode": 1,
       "stdout": "ROCk module is loaded\nUnable to open /dev/kfd read-write: Cannot allocate memory\n"}, "error")],
)
def test_probe_rocminfo_failure_without_fallback(tmp_path, entry, status):
    facts = probe(machine(tmp_path, VERSION, which={"rocminfo": ROCMINFO}, commands=[{"argv": [ROCMINFO], **entry}]))
    assert facts.status == status
    assert facts.gpus == []


def test_probe_installed_without_gpu_and_absent(tmp_path):
    assert probe(machine(tmp_path / "a", VERSION)).status == "no_gpu"
    absent = probe(machine(tmp_path / "b"))
    assert (absent.status, absent.version, absent.attempts) == ("absent", None, [])
