"""Policy gates: --require expressions and --policy files, on recorded machines and the real CPU torch.

Expected values come from the machines' own README files (driver, GPUs, torch, Python) and from the
published encodings (cuDNN's CUDNN_VERSION), not from envdoctor's code.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from conftest import MACHINES_DIR

from envdoctor import policy
from envdoctor.cli import cli
from envdoctor.facts import Check, Facts


def run(*args: str, env: dict | None = None):
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result


def check_json(machine: str, *args: str) -> tuple[int, dict]:
    result = run("check", "--machine", str(MACHINES_DIR / machine), "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def by_requirement(data: dict) -> dict[str, dict]:
    return {item["requirement"]: item for item in data["requirements"]}


# ---------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("text, key, op, value", [
    ("torch>=2.5", "torch", ">=", "2.5"),
    ("cuda>=12.4", "cuda", ">=", "12.4"),
    ("driver>=535", "driver", ">=", "535"),
    ("gpus>=8", "gpus", ">=", "8"),
    ("gpu-arch>=sm_80", "gpu-arch", ">=", "sm_80"),
    ("cudnn>=9", "cudnn", ">=", "9"),
    ("nccl>=2.20", "nccl", ">=", "2.20"),
    ("python>=3.10", "python", ">=", "3.10"),
    ("variant=cu126", "variant", "==", "cu126"),
    ("tflops.bf16>=600", "tflops.bf16", ">=", "600"),
    ("  torch  <  3  ", "torch", "<", "3"),
    ("gpu-arch==8.0", "gpu-arch", "==", "8.0"),
])
def test_every_documented_expression_parses(text, key, op, value):
    parsed = policy.parse_requirement(text)
    assert (parsed.key, parsed.op, parsed.value) == (key, op, value)


@pytest.mark.parametrize("text, column, width", [
    ("torch>=2.x", 7, 3),  # the value
    ("bogus>=1", 0, 5),  # the key
    ("torch 2.5", 6, 1),  # where the operator should be
    ("variant>=cu126", 9, 5),  # a variant has no order
    ("gpus>=8.5", 6, 3),
    ("gpu-arch>=sm_90a", 10, 6),  # arch-specific, not a capability
    ("driver>=1!535", 8, 5),
    ("python>=3.١١", 8, 4),  # non-ASCII digits
    ("tflops.fp8>=100", 0, 10),
    ("torch>=", 7, 1),
])
def test_a_malformed_expression_points_at_the_bad_part(text, column, width):
    with pytest.raises(policy.PolicyError) as caught:
        policy.parse_requirement(text)
    lines = str(caught.value).splitlines()
    assert lines[1] == f"  {text}"
    assert lines[2] == "  " + " " * column + "^" * width


def test_a_malformed_require_is_a_usage_error_with_the_pointer():
    result = run("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--require", "torch>=2.x")
    assert result.exit_code == 2
    assert "'2.x' is not a plain version" in result.output
    assert "^^^" in result.output
    result = run("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--json", "--require", "gpus>=lots")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["exit_code"] == 2 and "lots" in document["error"]


@pytest.mark.parametrize("number, text", [(8902, "8.9.2"), (8600, "8.6.0"), (90100, "9.1.0"), (90501, "9.5.1"),
                                          (0, None), (True, None), ("90100", None)])
def test_cudnn_numbers_read_as_cudnn_version_h_defines_them(number, text):
    assert policy.cudnn_text(number) == text


# ---------------------------------------------------------------------------- check on recorded machines


def test_unmet_requirement_names_the_requirement_and_the_actual_value():
    # rhel9-a100-525-cuda118: driver 525.60.13, one A100 (sm_80), torch 2.5.1+cu124, Python 3.9.18
    code, data = check_json("rhel9-a100-525-cuda118", "--require", "driver>=535", "--require", "torch>=2.5",
                            "--require", "gpu-arch>=sm_80", "--require", "python==3.9", "--require", "variant=cu124",
                            "--require", "cuda>=12.4", "--require", "cudnn>=9", "--require", "gpus>=8")
    assert code == 1 and data["exit_code"] == 1
    results = by_requirement(data)
    assert {name: item["status"] for name, item in results.items()} == {
        "driver>=535": "unmet", "torch>=2.5": "met", "gpu-arch>=sm_80": "met", "python==3.9": "met",
        "variant=cu124": "met", "cuda>=12.4": "met", "cudnn>=9": "met", "gpus>=8": "unmet"}
    assert results["driver>=535"]["actual"] == "525.60.13"
    assert results["gpus>=8"]["actual"] == "1"
    unmet = [f for f in data["findings"] if f["id"] == "policy.requirement-unmet"]
    assert {f["severity"] for f in unmet} == {"error"}
    messages = " | ".join(f["message"] for f in unmet)
    assert "driver>=535" in messages and "525.60.13" in messages and "gpus>=8" in messages


def test_all_requirements_met_keeps_exit_0():
    code, data = check_json("rhel9-a100-525-cuda118", "--require", "driver>=525", "--require", "torch<2.6")
    assert code == 0 and all(item["met"] for item in data["requirements"])


def test_versions_compare_as_many_parts_as_the_requirement_names():
    code, data = check_json("rhel9-a100-525-cuda118", "--require", "torch==2.5", "--require", "torch>2.5",
                            "--require", "driver>=525.60.13", "--require", "driver>525.60", "--require", "cuda==12.4.0")
    results = {name: item["status"] for name, item in by_requirement(data).items()}
    assert results == {"torch==2.5": "met", "torch>2.5": "unmet", "driver>=525.60.13": "met",
                       "driver>525.60": "unmet", "cuda==12.4.0": "met"}


def test_gpu_arch_must_hold_for_every_gpu():
    # ubuntu2204-gtx1080-rtx4090-535: a GTX 1080 (sm_61) and an RTX 4090 (sm_89)
    _, data = check_json("ubuntu2204-gtx1080-rtx4090-535", "--require", "gpu-arch>=sm_70", "--require", "gpu-arch>=6.1")
    results = by_requirement(data)
    assert results["gpu-arch>=sm_70"]["status"] == "unmet"
    assert "sm_61" in results["gpu-arch>=sm_70"]["actual"]
    assert results["gpu-arch>=6.1"]["status"] == "met"


def test_values_check_cannot_know_are_unknown_and_say_verify_measures_them():
    code, data = check_json("rhel9-a100-525-cuda118", "--require", "nccl>=2.20", "--require", "tflops.bf16>=100")
    assert code == 1
    for item in data["requirements"]:
        assert item["status"] == "unknown" and item["actual"] is None
        assert "--verify" in item["reason"]
    ids = {f["id"] for f in data["findings"] if f["area"] == "policy"}
    assert ids == {"policy.requirement-unknown"}


def test_a_machine_without_a_value_is_unmet_not_unknown():
    _, data = check_json("debian12-no-gpu", "--require", "driver>=535", "--require", "cuda>=12", "--require", "gpus>=1")
    results = by_requirement(data)
    assert results["driver>=535"]["status"] == "unmet" and "no NVIDIA driver" in results["driver>=535"]["actual"]
    assert results["cuda>=12"]["status"] == "unmet" and "not a CUDA build" in results["cuda>=12"]["actual"]
    assert results["gpus>=1"]["actual"] == "0"


def test_text_output_lists_requirements_with_their_actual_values():
    result = run("check", "--machine", str(MACHINES_DIR / "rhel9-a100-525-cuda118"), "--color", "never",
                 "--require", "driver>=535", "--require", "torch>=2.5")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    start = lines.index("Requirements")
    assert lines[start + 1].split() == ["[✗]", "driver>=535", "525.60.13"]
    assert lines[start + 2].split() == ["[✓]", "torch>=2.5", "2.5.1+cu124"]


# ---------------------------------------------------------------------------- policy files


def test_policy_file_adds_requirements_and_counts_chosen_warnings_as_errors(tmp_path):
    machine = str(MACHINES_DIR / "rhel9-a100-525-cuda118")
    # warnings only here: cu124 on a 525 driver (minor-version compatibility), an older CUDA toolkit beside it
    assert run("check", "--machine", machine).exit_code == 0
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text('require = ["torch>=2.5"]\nwarnings-as-errors = ["torch.cuda-minor-*"]\n')
    result = run("check", "--machine", machine, "--json", "--policy", str(policy_file))
    data = json.loads(result.stdout)
    assert result.exit_code == 1
    escalated = [f for f in data["findings"] if f["id"] == "torch.cuda-minor-newer-than-driver"]
    assert escalated and escalated[0]["severity"] == "error"
    assert any(str(policy_file) in item for item in escalated[0]["evidence"])
    assert data["requirements"][0]["origin"] == str(policy_file)


def test_star_counts_every_warning(tmp_path):
    policy_file = tmp_path / "p.toml"
    policy_file.write_text('warnings-as-errors = ["*"]\n')
    result = run("check", "--machine", str(MACHINES_DIR / "rhel9-a100-525-cuda118"), "--policy", str(policy_file))
    assert result.exit_code == 1


@pytest.mark.parametrize("text, expected", [
    ("require = [", "not valid TOML"),
    ('requires = ["torch>=2"]', "unknown key(s) requires"),
    ('require = "torch>=2"', "'require' must be a list"),
    ('require = ["torch>=two"]', "require[0]"),
    ('warnings-as-errors = ["Torch CUDA"]', "not a finding id"),
])
def test_a_bad_policy_file_is_a_usage_error_naming_it(tmp_path, text, expected):
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(text)
    result = run("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--policy", str(policy_file))
    assert result.exit_code == 2
    assert expected in result.output and str(policy_file) in result.output


def test_a_policy_symlink_or_fifo_is_refused_without_reading_it(tmp_path):
    real = tmp_path / "real.toml"
    real.write_text('require = ["torch>=2"]\n')
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    result = run("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--policy", str(link))
    assert result.exit_code == 2 and "symbolic link" in result.output
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    result = run("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--policy", str(fifo))
    assert result.exit_code == 2 and "FIFO" in result.output


# ---------------------------------------------------------------------------- values from verify


def test_verify_values_win_over_the_probes():
    build = Check("build", "pass", details={"torch": "2.6.0+cu126", "cuda": "12.6", "cudnn": 90501, "nccl": "2.21.5",
                                            "python": "3.12.1", "hip": None, "xpu": None})
    devices = Check("devices", "pass", details={"cuda": {"kind": "cuda", "count": 2, "devices": [
        {"index": 0, "name": "NVIDIA H100 80GB HBM3", "capability": "9.0"},
        {"index": 1, "name": "NVIDIA H100 80GB HBM3", "capability": "9.0"}]}, "xpu": {"count": 0}, "mps": {"count": 0}})
    perf = [Check("cpu.perf.matmul.bfloat16", "pass", metrics={"tflops": 0.5}),
            Check("cuda:0.perf.matmul.bfloat16", "pass", metrics={"tflops": 650.0}),
            Check("cuda:1.perf.matmul.bfloat16", "pass", metrics={"tflops": 590.0})]
    observed = policy.observe(Facts(), [build, devices, *perf])
    wanted = [policy.parse_requirement(text) for text in (
        "cudnn>=9.5", "nccl>=2.20", "gpus>=2", "gpu-arch>=sm_90", "variant=cu126", "python>=3.12", "tflops.bf16>=600",
        "tflops.bf16>=500")]
    results = {r.requirement: r for r in policy.evaluate(wanted, observed)}
    assert {name: r.status for name, r in results.items()} == {
        "cudnn>=9.5": "met", "nccl>=2.20": "met", "gpus>=2": "met", "gpu-arch>=sm_90": "met", "variant=cu126": "met",
        "python>=3.12": "met", "tflops.bf16>=600": "unmet", "tflops.bf16>=500": "met"}
    # every accelerator must reach it; the CPU's number is not one of them
    assert results["tflops.bf16>=600"].actual == "cuda:0 650, cuda:1 590"


@pytest.mark.needs_torch
def test_verify_checks_requirements_against_the_real_torch():
    import torch

    result = run("verify", "--device", "cpu", "--json", "--require", f"torch=={torch.__version__.split('+')[0]}",
                 "--require", "nccl>=2.20", "--require", "tflops.fp32>=100000")
    data = json.loads(result.stdout)
    results = by_requirement(data)
    assert results[f"torch=={torch.__version__.split('+')[0]}"]["status"] == "met"
    assert results["nccl>=2.20"]["status"] == "unmet"  # the CPU build carries no NCCL
    assert results["tflops.fp32>=100000"]["status"] == "unmet"
    assert float(results["tflops.fp32>=100000"]["actual"].split()[-1]) > 0
    assert result.exit_code == 1
