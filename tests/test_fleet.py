"""verify --distributed: the launcher's variables, rank 0's comparison, and real torchrun jobs.

The real jobs run ``torchrun --standalone`` with gloo on the CPU torch. Each rank is started through
tests/fleet_faults/launch_rank.py, which runs envdoctor unchanged except on the one rank a test makes
misbehave (a fake nvidia-smi first on PATH, a rank that exits before starting, a rank stuck between
two collectives). Expected values are written out here: the sum of rank ids n(n-1)/2, nccl-tests'
bus-bandwidth factor 2(n-1)/n (nccl-tests, doc/PERFORMANCE.md), the odd ranks each test creates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner
from conftest import MACHINES_DIR
from hostile.fakes import gone

from envdoctor.cli import cli
from envdoctor.verify import fleet

REPO = Path(__file__).resolve().parents[1]
LAUNCH = REPO / "tests" / "fleet_faults" / "launch_rank.py"
TORCHRUN = Path(sys.executable).with_name("torchrun")
RTX3090 = MACHINES_DIR / "ubuntu2204-rtx3090-535" / "commands"

TORCHRUN_ENV = {"RANK": "1", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "4", "GROUP_RANK": "0",
                "MASTER_ADDR": "localhost", "MASTER_PORT": "43807", "TORCHELASTIC_RUN_ID": "05aedfd2-e738",
                "TORCHELASTIC_RESTART_COUNT": "0", "TORCHELASTIC_USE_AGENT_STORE": "True"}


# ---------------------------------------------------------------------------- launchers


def test_torchrun_variables():
    launch = fleet.launch_from_env(TORCHRUN_ENV)
    assert launch == fleet.Launch("torchrun", 1, 4, 1, "localhost", 43807, "05aedfd2-e738.0", True)


def test_slurm_needs_master_addr_and_defaults_the_port():
    env = {"SLURM_PROCID": "9", "SLURM_NTASKS": "16", "SLURM_LOCALID": "1", "SLURM_JOB_ID": "4242"}
    with pytest.raises(fleet.LaunchError, match="MASTER_ADDR is not set"):
        fleet.launch_from_env(env)
    launch = fleet.launch_from_env({**env, "MASTER_ADDR": "node-001"})
    assert (launch.launcher, launch.rank, launch.world_size, launch.local_rank) == ("slurm", 9, 16, 1)
    assert (launch.master_port, launch.agent_store, launch.run_id) == (29500, False, "4242")


@pytest.mark.parametrize("env, launcher", [
    ({"OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "8", "OMPI_COMM_WORLD_LOCAL_RANK": "3"}, "openmpi"),
    ({"PMI_RANK": "3", "PMI_SIZE": "8", "MPI_LOCALRANKID": "3"}, "mpich"),
    ({"RANK": "3", "WORLD_SIZE": "8"}, "env"),
])
def test_mpi_launchers(env, launcher):
    launch = fleet.launch_from_env({**env, "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "12345"})
    assert (launch.launcher, launch.rank, launch.world_size, launch.master_port) == (launcher, 3, 8, 12345)


@pytest.mark.parametrize("env, problem", [
    ({}, "no launcher found"),
    ({"RANK": "4", "WORLD_SIZE": "4", "MASTER_ADDR": "h"}, "RANK='4'"),
    ({"RANK": "0", "WORLD_SIZE": "0", "MASTER_ADDR": "h"}, "WORLD_SIZE='0'"),
    ({"RANK": "١", "WORLD_SIZE": "4", "MASTER_ADDR": "h"}, "RANK="),
    ({"RANK": "0", "WORLD_SIZE": "4", "MASTER_ADDR": "h", "MASTER_PORT": "70000"}, "MASTER_PORT"),
    ({"RANK": "0", "WORLD_SIZE": "4", "MASTER_ADDR": "a b"}, "MASTER_ADDR='a b'"),
])
def test_nonsense_from_the_launcher_is_refused(env, problem):
    with pytest.raises(fleet.LaunchError, match=problem.replace("(", r"\(").replace("?", r"\?")):
        fleet.launch_from_env(env)


def test_distributed_outside_a_launcher_is_a_usage_error():
    result = CliRunner().invoke(cli, ["verify", "--distributed", "--json"], env={"RANK": None, "WORLD_SIZE": None,
                                                                               "SLURM_PROCID": None, "PMI_RANK": None,
                                                                               "OMPI_COMM_WORLD_RANK": None})
    assert result.exit_code == 2
    assert "torchrun" in json.loads(result.stdout)["error"]


# ---------------------------------------------------------------------------- rank 0's comparison


def summaries(count: int) -> list[dict]:
    base = {"envdoctor": "0.1.0", "python": "3.11.7", "torch": "2.5.1+cu124", "variant": "cu124", "cuda": "12.4",
            "cudnn": "9.1.0", "nccl": "2.21.5", "driver": "550.54.15", "gpu_model": "8x NVIDIA H100 80GB HBM3",
            "gpu_count": "8", "failed_checks": [], "unmet_requirements": []}
    return [dict(base, rank=rank, host=f"node-{rank // 8:03d}") for rank in range(count)]


def test_a_uniform_fleet_passes_every_comparison():
    checks, odd = fleet.compare(summaries(64))
    assert odd == [] and all(check.status == "pass" for check in checks)
    assert [check.id for check in checks] == [f"fleet.same.{name}" for name in fleet.FIELDS] + ["fleet.ranks.verify"]


def test_the_odd_ranks_and_their_hosts_are_named():
    ranks = summaries(1000)
    ranks[17]["torch"] = "2.4.0+cu121"
    ranks[503]["torch"] = "2.4.0+cu121"
    ranks[640]["driver"] = "535.104.05"
    ranks[999]["failed_checks"] = ["cuda:3.matmul.bfloat16"]
    checks, odd = fleet.compare(ranks)
    found = {check.id: check for check in checks}
    assert odd == [17, 503, 640, 999]
    assert found["fleet.same.torch"].status == "fail"
    assert found["fleet.same.torch"].message == (
        "torch differs: 2.5.1+cu124 on 998 rank(s); 2.4.0+cu121 on ranks 17 (node-002), 503 (node-062)")
    assert "535.104.05 on rank 640 (node-080)" in found["fleet.same.driver"].message
    assert found["fleet.ranks.verify"].message == (
        "1 of 1000 rank(s) failed their own verify: rank 999 (node-124): cuda:3.matmul.bfloat16 failed")
    assert found["fleet.same.python"].status == "pass"


def test_a_tie_goes_to_the_lowest_rank():
    ranks = summaries(2)
    ranks[1]["python"] = "3.12.1"
    checks, odd = fleet.compare(ranks)
    assert odd == [1]
    assert next(c for c in checks if c.id == "fleet.same.python").message.startswith("python differs: 3.11.7 on 1")


def test_gathered_summaries_are_read_strictly():
    good = json.dumps({"torch": "2.5.1", "host": "n1", "local_rank": 0, "failed_checks": ["x"] * 50})
    events = [{"name": "summaries", "items": [
        {"rank": 0, "summary": good}, {"rank": 0, "summary": good}, {"rank": 7, "summary": good},
        {"rank": True, "summary": good}, {"rank": 1, "summary": "[[[[[[[[[1]]]]]]]]]"},
        {"rank": 2, "summary": "NaN"}, {"rank": 3, "summary": json.dumps({"torch": "x" * 10_000})}, "junk"]},
        {"name": "other", "items": "ignored"}]
    found, problems = fleet.read_summaries(events, world_size=4)
    assert [s["rank"] for s in found] == [0, 3]
    assert len(found[0]["failed_checks"]) == 20 and len(found[1]["torch"]) == fleet.MAX_VALUE_LENGTH
    assert len(problems) == 6


# ---------------------------------------------------------------------------- real jobs


def torchrun(tmp_path: Path, ranks: int, *args: str, fault_rank: int | None = None, fault: str = "",
             timeout: float = 300) -> tuple[int, dict, str, str]:
    """Run a real job; rank 0's one JSON document, and everything else the job printed.

    Each rank verifies its node at ``--level quick`` (import, devices, a matmul, autograd): what the fleet
    compares and the collectives are the same at every level, and the training and timed matmuls of
    ``standard`` (covered in test_verify*.py) would only make the ranks race each other for the CPU."""
    if not TORCHRUN.exists():
        pytest.skip("torchrun is not installed beside this interpreter")
    env = dict(os.environ, FLEET_TEST_RANK=str(fault_rank), FLEET_TEST_FAULT=fault,
               FLEET_TEST_PIDS=str(tmp_path / "pids"), OMP_NUM_THREADS="1")
    argv = [str(TORCHRUN), "--standalone", f"--nproc-per-node={ranks}", str(LAUNCH), "verify", "--distributed",
            "--device", "cpu", "--level", "quick", "--json", *args]
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)
    document, end = json.JSONDecoder().raw_decode(done.stdout)
    return done.returncode, document, done.stdout[end:], done.stderr


def checks_of(document: dict) -> dict[str, dict]:
    return {check["id"]: check for check in document["checks"]}


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_three_ranks_one_of_them_different_is_named(tmp_path):
    """Three ranks: the fewest where the odd one is outvoted (of two, a tie goes to the lowest rank)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    smi = fake / "nvidia-smi"  # replays the recorded RTX 3090 machine's nvidia-smi answers
    smi.write_text(f"#!{sys.executable}\nimport sys\n"
                   f"name = '02' if any(a.startswith('--query-gpu') for a in sys.argv[1:]) else '01'\n"
                   f"sys.stdout.write(open({str(RTX3090)!r} + '/' + name + '-nvidia-smi.stdout').read())\n")
    smi.chmod(0o755)
    junit = tmp_path / "fleet.xml"
    code, document, rest, stderr = torchrun(tmp_path, 3, "--junit", str(junit), "--fleet-timeout", "120",
                                            fault_rank=2, fault=f"path={fake}")
    assert rest.strip() == ""  # only rank 0 writes to stdout
    assert code != 0 and document["exit_code"] == 1
    found = checks_of(document)
    assert document["fleet"]["world_size"] == 3 and document["fleet"]["backend"] == "gloo"
    assert document["fleet"]["odd_ranks"] == [2]
    assert found["fleet.same.driver"]["status"] == "fail"
    assert "535.183.01 on rank 2 (" in found["fleet.same.driver"]["message"]
    assert "NVIDIA GeForce RTX 3090 on rank 2 (" in found["fleet.same.gpu_model"]["message"]
    assert "rank 2 (" in found["fleet.ranks.verify"]["message"]  # torch sees no GPU there: its devices check failed
    assert found["fleet.same.torch"]["status"] == "pass"
    assert found["fleet.allreduce.rank_ids"]["details"] == {"got": 3, "expected": 3}
    for elements in (1, 1000, 65539, 1048576):
        assert found[f"fleet.allreduce.sum.{elements}"]["status"] == "pass"
    bandwidth = found["fleet.busbw"]
    algbw, busbw = bandwidth["metrics"]["algbw_gb_per_s"], bandwidth["metrics"]["busbw_gb_per_s"]
    assert algbw > 0 and busbw == pytest.approx(algbw * 2 * 2 / 3, rel=1e-3, abs=1e-4)
    assert bandwidth["details"]["bytes"] == 8 * 1024 * 1024
    assert [rank["rank"] for rank in document["fleet"]["ranks"]] == [0, 1, 2]
    root = ET.parse(junit).getroot()
    failed = {case.get("name") for case in root.iter("testcase") if case.find("failure") is not None}
    assert {"fleet.same.driver", "fleet.same.gpu_model", "fleet.ranks.verify"} <= failed
    assert found["fleet.ranks.verify"]["details"] == {"ranks": [2]}
    # rank 2's own stderr line races torchrun stopping it once rank 0 ends the job: what it may say is
    # checked, not whether it got to say it
    assert "envdoctor: rank 2: done" not in stderr
    assert "envdoctor: rank 1: failed" not in stderr


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_a_rank_that_never_starts_is_named_after_the_timeout(tmp_path):
    # the timeout covers rank 0's own import of torch too, which takes seconds on a busy machine
    code, document, rest, _ = torchrun(tmp_path, 2, "--fleet-timeout", "20", fault_rank=1, fault="exit")
    assert rest.strip() == ""
    assert document["exit_code"] == 1
    join = checks_of(document).get("fleet.join")
    assert join is not None, [(check["id"], check["status"], check["message"]) for check in document["checks"]]
    assert join["status"] == "fail" and "rank(s) 1 never arrived" in join["message"]
    assert document["fleet"]["missing_ranks"] == [1]
    assert "fleet.gather" not in checks_of(document)  # nothing after a failed step runs


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_a_rank_stuck_between_collectives_is_named_and_its_process_stopped(tmp_path):
    try:
        # each step before the stuck one must finish within the fleet timeout, on a busy machine too
        code, document, rest, _ = torchrun(tmp_path, 2, "--fleet-timeout", "20", fault_rank=1, fault="hang")
        assert document["exit_code"] == 1
        failed = [check for check in document["checks"] if check["status"] == "fail"]
        assert [check["id"] for check in failed] == ["fleet.allreduce.sum.1"]
        assert "rank 1 (" in failed[0]["message"] and "still at fleet.allreduce.rank_ids" in failed[0]["message"]
        assert failed[0]["details"]["ranks_behind"][0]["rank"] == 1
        assert [rank["rank"] for rank in document["fleet"]["ranks"]] == [0, 1]  # the gather had worked
        # torchrun stops the job when rank 0 exits 1; the stuck child of rank 1 goes with it
        stuck = [int(pid) for pid in (tmp_path / "pids").read_text().split()]
        assert stuck and all(gone(pid) for pid in stuck)
    finally:
        for pid in (tmp_path / "pids").read_text().split() if (tmp_path / "pids").exists() else []:
            try:
                psutil.Process(int(pid)).kill()
            except psutil.Error:
                pass


def test_the_rank_script_uses_no_newer_syntax_than_the_smoke_test():
    """It runs in the target interpreter, whatever its version: it must compile on Python 3.8."""
    python38 = next(iter(sorted(Path.home().glob(".pyenv/versions/3.8.*/bin/python"))), None)
    if python38 is None:
        pytest.skip("no Python 3.8 here")
    done = subprocess.run([str(python38), "-c", "import sys; compile(sys.stdin.read(), 'fleet_rank.py', 'exec')"],
                          input=fleet.FLEET_SCRIPT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
