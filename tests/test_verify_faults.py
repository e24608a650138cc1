"""Fault injection: a fake ``torch`` (tests/fake_torch/<case>) first on the child's PYTHONPATH.

Each broken torch must come back as a failed check naming the stage it broke in, within the
timeout, with the overall verdict failed, and never as a crash or hang of envdoctor.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import load_machine

from envdoctor.door import LiveDoor
from envdoctor.facts import Check
from envdoctor.verify import VerifyOptions, run_verify, verify_ok

FAKES = Path(__file__).parent / "fake_torch"


def run_with_fake(monkeypatch, case: str, timeout: float = 60.0, **options) -> tuple[list[Check], float]:
    monkeypatch.setenv("PYTHONPATH", str(FAKES / case))
    start = time.monotonic()
    checks = run_verify(LiveDoor(), VerifyOptions(timeout=timeout, perf_seconds=0.0, **options))
    return checks, time.monotonic() - start


def failed(checks: list[Check]) -> dict[str, Check]:
    return {check.id: check for check in checks if check.status == "fail"}


@pytest.mark.parametrize("case, message", [
    ("segfault_on_import", "crashed with SIGSEGV during import"),
    ("abort_on_import", "crashed with SIGABRT during import"),
    ("raise_on_import", "ImportError: libcudnn.so.9: cannot open shared object file: No such file or directory"),
])
def test_import_faults_fail_the_import_stage(monkeypatch, case, message):
    checks, elapsed = run_with_fake(monkeypatch, case)
    assert [(check.id, check.status, check.message) for check in checks] == [("import", "fail", message)]
    assert not verify_ok(checks)
    assert elapsed < 30


@pytest.mark.long_unit
def test_a_hanging_import_is_killed_at_the_timeout(monkeypatch):
    checks, elapsed = run_with_fake(monkeypatch, "hang_on_import", timeout=3.0)
    assert [(check.id, check.status) for check in checks] == [("import", "fail")]
    assert checks[0].message == "hung during import: no result within 3 s; the child was killed"
    assert checks[0].details["timed_out"] is True
    assert 3.0 <= elapsed < 8.0
    assert not verify_ok(checks)


def test_expectations_fail_when_the_import_died(monkeypatch):
    checks, _ = run_with_fake(monkeypatch, "segfault_on_import", expect_gpus=0, expect_torch=">=2")
    assert set(failed(checks)) == {"import", "expect.gpus", "expect.torch"}


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_a_wrong_matmul_fails_every_matmul_check_and_nothing_else(monkeypatch):
    checks, _ = run_with_fake(monkeypatch, "wrong_matmul", device="cpu")
    assert set(failed(checks)) == {"cpu.matmul.float32", "cpu.matmul.float16", "cpu.matmul.bfloat16"}
    assert "wrong answer" in failed(checks)["cpu.matmul.float32"].message
    assert {check.id: check.status for check in checks}["cpu.conv2d"] == "pass"
    assert not verify_ok(checks)


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_a_crash_inside_a_stage_names_that_stage(monkeypatch):
    checks, _ = run_with_fake(monkeypatch, "segfault_in_matmul", device="cpu")
    assert checks[-1].id == "cpu.matmul.float32"
    assert checks[-1].message == "crashed with SIGSEGV during cpu.matmul.float32"
    assert [check.status for check in checks if check.id.startswith("cpu.")] == ["pass", "pass", "fail"]


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_a_gpu_that_fails_allocation_fails_its_alloc_stage(monkeypatch):
    _, facts = load_machine("rhel9-a100-525-cuda118")  # nvidia-smi shows the A100 the fake torch reports
    monkeypatch.setenv("PYTHONPATH", str(FAKES / "cuda_alloc_fails"))
    checks = run_verify(LiveDoor(), VerifyOptions(perf_seconds=0.0, timeout=60.0), facts)
    found = {check.id: check for check in checks}
    assert found["devices"].status == "pass"
    assert found["devices"].details["cuda"]["devices"][0]["name"] == "NVIDIA A100-SXM4-80GB"
    assert found["cuda:0.alloc"].status == "fail"
    assert "Torch not compiled with CUDA enabled" in found["cuda:0.alloc"].message
    later = [check for check in checks if check.id.startswith("cuda:0.") and check.id != "cuda:0.alloc"]
    assert later and all(check.status == "skip" for check in later)
    assert found["cpu.matmul.float32"].status == "pass"
    assert not verify_ok(checks)


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_torch_seeing_fewer_gpus_does_not_blame_a_driver_that_runs_the_build(monkeypatch):
    _, facts = load_machine("rhel9-a100-525-cuda118")  # R525: CUDA 12.0 at most; the fake is a cu124 build
    facts.nvidia.gpus = facts.nvidia.gpus * 2
    monkeypatch.setenv("PYTHONPATH", str(FAKES / "cuda_alloc_fails"))
    # only the devices check is judged here: the quick level keeps the child short
    checks = run_verify(LiveDoor(), VerifyOptions(device="cpu", perf_seconds=0.0, timeout=60.0, level="quick"), facts)
    devices = {check.id: check for check in checks}["devices"]
    assert devices.status == "fail"
    assert devices.message.startswith("nvidia-smi shows 2 GPU(s), torch sees 1")
    # the fake is a CUDA 12.4 build: on R525 (CUDA 12.0) it runs through minor-version compatibility,
    # so the driver is not named as the cause (the same verdict check and install give)
    assert "supports CUDA" not in devices.message
