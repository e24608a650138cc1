"""The parent owns verify's verdict: code inside the child that lies is caught by what the parent checks.

Each fake torch (tests/fake_torch/, synthesised) loads the real torch and then rewrites the smoke test
from inside, as code on the child's PYTHONPATH can: it reports checks as passed that never ran, claims
8 CUDA GPUs on this CPU-only machine, forges the matmul products on the CPU, or drops checks. The
known-answer reference is recomputed here by hand for one fixed seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fakes import FAKE_TORCH, REPO

from envdoctor.facts import Check
from envdoctor.verify import VerifyOptions, runner

pytestmark = pytest.mark.needs_torch


def verify_cli(case: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(FAKE_TORCH / case)])}
    done = subprocess.run([sys.executable, "-c", "from envdoctor.entry import main; main()", "verify", "--json",
                           "--timeout", "120", *args], capture_output=True, text=True, env=env, timeout=300,
                          check=False)
    report = json.loads(done.stdout)
    report["checks_by_id"] = {check["id"]: check for check in report["checks"]}
    return report


def test_checks_reported_as_passed_without_evidence_fail_and_8_claimed_gpus_do_not_count():
    report = verify_cli("lying_reporter", "--level", "quick", "--expect-gpus", "8")
    found = report["checks_by_id"]
    assert report["exit_code"] == 1
    for label in ["cpu"] + [f"cuda:{i}" for i in range(8)]:
        check = found[f"{label}.matmul.float32"]
        assert (check["status"], check["message"]) == ("fail", "no product of this run's small integers came back to check")
    assert found["expect.gpus"]["status"] == "fail"
    assert found["expect.gpus"]["details"] == {"expected": 8, "seen": 8, "confirmed": 0, "probed": 0}


def test_products_forged_on_the_cpu_still_do_not_make_gpus_the_probes_never_saw():
    report = verify_cli("forged_products", "--level", "quick", "--expect-gpus", "8")
    found = report["checks_by_id"]
    assert [found[f"cuda:{i}.matmul.float32"]["status"] for i in range(8)] == ["pass"] * 8  # what it can still do
    assert found["cpu.matmul.float32"]["status"] == "pass"
    assert found["expect.gpus"]["status"] == "fail"
    assert found["expect.gpus"]["details"] == {"expected": 8, "seen": 8, "confirmed": 8, "probed": 0}
    assert report["exit_code"] == 1


@pytest.mark.parametrize("level, missing", [
    ("quick", ["cpu.tutorial.autograd"]),
    ("standard", ["cpu.copy", "cpu.matmul.float32", "cpu.autograd", "cpu.gradcheck", "cpu.conv2d",
                  "cpu.tutorial.autograd", "cpu.train.sgd", "cpu.train.amp", "cpu.data.loader"]),
])
def test_a_run_that_drops_checks_fails_naming_them(level, missing):
    report = verify_cli("skipped_checks", "--device", "cpu", "--level", level)
    complete = report["checks_by_id"]["smoke.complete"]
    assert complete["status"] == "fail" and complete["details"] == {"missing": missing}
    assert report["exit_code"] == 1


# ---------------------------------------------------------------------------- the parent's own arithmetic


def test_the_reference_product_is_computed_by_hand():
    inputs = {"a": [[1, 2], [3, 4]], "b": [[-1, 0, 2], [4, -3, 1]]}
    assert runner.known_answer_product(inputs) == [[7, -6, 4], [13, -12, 10]]


def test_the_inputs_are_small_integers_fresh_for_each_seed():
    first, second = runner.known_answer_inputs(1), runner.known_answer_inputs(2)
    assert first != second and first == runner.known_answer_inputs(1)
    assert len(first["a"]) == 8 and {len(row) for row in first["a"]} == {8}
    assert len(first["b"]) == 8 and {len(row) for row in first["b"]} == {12}
    assert {value for row in first["a"] + first["b"] for value in row} <= set(range(-4, 5))
    assert len(runner.smoke_stdin(12345, "0" * 32, first)) < 4096  # what the door writes before the child starts


def test_a_wrong_product_fails_even_when_the_child_says_pass():
    inputs = {"a": [[1, 2], [3, 4]], "b": [[1, 0], [0, 1]]}
    good = Check("cpu.matmul.float32", "pass", "", "", details={"known_answer_product": [[1.0, 2.0], [3.0, 4.0]]})
    bad = Check("cpu.matmul.float16", "pass", "", "", details={"known_answer_product": [[1.0, 2.0], [3.0, 5.0]]})
    nan = Check("cpu.matmul.bfloat16", "pass", "", "", details={"known_answer_product": [[float("nan"), 2], [3, 4]]})
    checks = [Check("import", "pass", "", ""), good, bad, nan]
    confirmed = runner.judge_results(checks, VerifyOptions(device="cpu", level="quick"), inputs, {})
    assert confirmed == {"cpu"}
    assert [c.status for c in checks] == ["pass", "pass", "fail", "fail", "fail"]
    assert checks[-1].id == "smoke.complete" and checks[-1].details == {"missing": ["cpu.tutorial.autograd"]}
