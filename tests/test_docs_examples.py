"""The examples in docs/examples are real: every envdoctor command in them is a valid invocation, and
the ones that can run without a GPU run here against recorded machines.

- Dockerfile: each RUN line that calls envdoctor runs (an install with --dry-run added) against a
  recorded machine; the described GPU gets a plan.
- GitHub Actions and GitLab CI: the YAML parses, `check` steps run with their JUnit and job-summary
  output, `verify` steps parse, and the JUnit files are the ones the CI collects.
- Kubernetes: the manifests parse; the commands are valid; the fleet check's names fit together.
- Slurm: the prolog script runs under bash with a stand-in envdoctor that replays a recorded machine,
  and exits 1 only for an unfit node; the batch script's srun line is valid.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import MACHINES_DIR

from envdoctor.cli import cli

yaml = pytest.importorskip("yaml", reason="PyYAML (a test dependency) reads the CI and Kubernetes examples")

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
POLICY = EXAMPLES / "policy.toml"


def envdoctor_args(words: list[str]) -> list[str] | None:
    """The arguments after `envdoctor` (or `-m envdoctor`) in a command line; None when it runs something else."""
    for position, word in enumerate(words):
        if word == "envdoctor" or word.endswith("/envdoctor"):
            return words[position + 1:]
    return None


def valid(args: list[str]) -> None:
    """Parse and convert every option as envdoctor would, without running the command."""
    command = cli.commands[args[0]]
    with command.make_context(args[0], [POLICY.as_posix() if a == "envdoctor-policy.toml" else a for a in args[1:]]):
        pass


def run(args: list[str], machine: str, env: dict | None = None) -> tuple[int, dict]:
    args = [str(POLICY) if a == "envdoctor-policy.toml" else a for a in args]
    result = CliRunner().invoke(cli, [*args, "--machine", str(MACHINES_DIR / machine), "--json"], env=env,
                                catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def test_the_example_policy_is_a_valid_policy():
    code, data = run(["check", "--policy", str(POLICY)], "debian12-no-gpu")
    assert code == 1
    assert [r["requirement"] for r in data["requirements"]] == ["python>=3.10", "torch>=2.5", "driver>=525", "gpus>=1"]


def test_dockerfile_run_lines_are_valid_and_plan_for_the_described_gpu():
    lines = (EXAMPLES / "Dockerfile").read_text().splitlines()
    commands = [envdoctor_args(shlex.split(line[len("RUN "):])) for line in lines if line.startswith("RUN ")]
    commands = [args for args in commands if args]
    assert [args[0] for args in commands] == ["install", "install", "check"]
    for args in commands:
        valid(args)
        if args[0] == "install":
            code, data = run([*args, "--dry-run"] if "--dry-run" not in args else args, "debian12-no-gpu")
            assert code == 0 and data["plan"]["ok"] and data["plan"]["variant"].startswith("cu")
        else:
            code, data = run(args, "rhel9-a100-525-cuda118")  # torch 2.5.1+cu124 on Python 3.9
            assert {r["requirement"]: r["status"] for r in data["requirements"]} == {
                "torch>=2.5": "met", "cuda>=12.4": "met", "python>=3.10": "unmet"}


def steps_commands(steps: list[dict]) -> list[list[str]]:
    return [args for step in steps if "run" in step for args in [envdoctor_args(shlex.split(step["run"]))] if args]


def test_github_actions_job(tmp_path):
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    steps = workflow["jobs"]["envdoctor"]["steps"]
    commands = steps_commands(steps)
    assert [args[0] for args in commands] == ["check", "verify"]
    collected = next(step["with"]["path"] for step in steps if step.get("uses", "").startswith("actions/upload-artifact"))
    for args in commands:
        valid(args)
        assert args[args.index("--format") + 1] == "github"
        assert fnmatch.fnmatch(args[args.index("--junit") + 1], collected)
    check = commands[0]
    junit = tmp_path / "check.xml"
    summary = tmp_path / "summary.md"
    args = [str(junit) if a == "envdoctor-check.xml" else a for a in check if a not in ("--format", "github")]
    result = CliRunner().invoke(cli, [*[str(POLICY) if a == "envdoctor-policy.toml" else a for a in args],
                                      "--machine", str(MACHINES_DIR / "wsl2-rtx4070"), "--format", "github"],
                                env={"GITHUB_STEP_SUMMARY": str(summary)}, catch_exceptions=False)
    assert result.exit_code == 1  # a CPU-only torch on a GPU machine
    assert "::error title=envdoctor torch.cpu-build-on-gpu::" in result.stdout
    assert ET.parse(junit).getroot().tag == "testsuites"
    assert summary.read_text().startswith("### envdoctor check: failed")


def test_gitlab_ci_job_collects_the_junit_file_envdoctor_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the job writes its JUnit file into the working directory
    job = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())["envdoctor"]
    commands = [args for line in job["script"] for args in [envdoctor_args(shlex.split(line))] if args]
    assert len(commands) == 1
    valid(commands[0])
    assert commands[0][commands[0].index("--junit") + 1] == job["artifacts"]["reports"]["junit"]
    assert job["artifacts"]["when"] == "always"  # the report matters most when the job fails
    code, _ = run(commands[0], "rhel9-a100-525-cuda118")
    assert code in (0, 1)
    assert (tmp_path / job["artifacts"]["reports"]["junit"]).is_file()


def test_kubernetes_init_container():
    pod = yaml.safe_load((EXAMPLES / "kubernetes-initcontainer.yaml").read_text())
    assert pod["spec"]["restartPolicy"] == "Never"  # a failed init container then fails the pod
    (init,) = pod["spec"]["initContainers"]
    args = envdoctor_args(init["command"])
    assert args and args[0] == "verify"
    valid(args)
    assert init["resources"]["limits"]["nvidia.com/gpu"] == pod["spec"]["containers"][0]["resources"]["limits"][
        "nvidia.com/gpu"]


def test_kubernetes_fleet_check_names_fit_together():
    service, job = yaml.safe_load_all((EXAMPLES / "kubernetes-fleet-check.yaml").read_text())
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["template"]["spec"]["subdomain"] == service["metadata"]["name"]
    assert service["spec"]["clusterIP"] == "None"
    (container,) = spec["template"]["spec"]["containers"]
    assert container["command"][:2] == ["sh", "-c"]
    words = shlex.split(container["command"][2])
    options = dict(re.match(r"--([a-z-]+)=(.*)", w).groups() for w in words if re.match(r"--[a-z-]+=", w))
    assert int(options["nnodes"]) == spec["completions"] == spec["parallelism"]
    assert options["node-rank"] == "$JOB_COMPLETION_INDEX"
    assert options["master-addr"] == f"{job['metadata']['name']}-0.{service['metadata']['name']}"
    assert int(options["nproc-per-node"]) == container["resources"]["limits"]["nvidia.com/gpu"]
    args = envdoctor_args(words)
    assert args[:2] == ["verify", "--distributed"]
    valid(args)


def test_slurm_batch_script_runs_one_rank_per_gpu():
    text = (EXAMPLES / "slurm-fleet-check.sbatch").read_text()
    directives = dict(re.findall(r"^#SBATCH --([a-z-]+)=(\S+)", text, re.M))
    assert directives["ntasks-per-node"] == directives["gpus-per-node"]
    assert re.search(r"^export MASTER_ADDR=", text, re.M)
    srun = next(line for line in text.splitlines() if line.startswith("srun "))
    args = envdoctor_args(shlex.split(srun.split(">")[0]))
    assert args[:2] == ["verify", "--distributed"]
    valid(args)


@pytest.fixture
def prolog_env(tmp_path):
    """A stand-in envdoctor that replays a recorded machine: the real CLI, with --machine added."""

    def make(machine: str, policy: Path) -> dict:
        fake = tmp_path / "envdoctor"
        fake.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m envdoctor \"$@\" "
                        f"--machine {shlex.quote(str(MACHINES_DIR / machine))}\n")
        fake.chmod(0o755)
        return dict(os.environ, ENVDOCTOR=str(fake), ENVDOCTOR_POLICY=str(policy), ENVDOCTOR_LOG=str(tmp_path / "log"),
                    SLURMD_NODENAME="gpu-node-17", SLURM_JOB_ID="4242")

    return make


def prolog(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(EXAMPLES / "slurm-prolog.sh")], env=env, capture_output=True, text=True,
                          timeout=120)


def test_slurm_prolog_fails_an_unfit_node_and_logs_why(prolog_env, tmp_path):
    done = prolog(prolog_env("debian12-no-gpu", POLICY))
    assert done.returncode == 1
    assert "gpu-node-17" in done.stderr
    log = (tmp_path / "log").read_text()
    assert "node gpu-node-17 job 4242: envdoctor exit 1" in log
    assert "gpus>=1" in log and "driver>=525" in log


def test_slurm_prolog_passes_a_fit_node(prolog_env, tmp_path):
    policy = tmp_path / "fit.toml"
    policy.write_text('require = ["gpus>=1", "driver>=525", "torch>=2.5"]\n')
    done = prolog(prolog_env("rhel9-a100-525-cuda118", policy))
    assert done.returncode == 0, (tmp_path / "log").read_text()


def test_slurm_prolog_never_drains_a_node_for_envdoctor_own_failure(prolog_env, tmp_path):
    policy = tmp_path / "broken.toml"
    policy.write_text("require = [")
    done = prolog(prolog_env("debian12-no-gpu", policy))
    assert done.returncode == 0
    assert "envdoctor exit 2" in (tmp_path / "log").read_text()


def test_every_example_command_is_checked():
    """A new example file needs its test here."""
    tested = {"Dockerfile", "github-actions.yml", "gitlab-ci.yml", "kubernetes-initcontainer.yaml",
              "kubernetes-fleet-check.yaml", "slurm-prolog.sh", "slurm-fleet-check.sbatch", "policy.toml"}
    assert {p.name for p in EXAMPLES.iterdir()} == tested


def test_invalid_invocations_would_be_caught():
    with pytest.raises(click.UsageError):
        valid(["verify", "--require", "gpus>=many"])
    with pytest.raises(click.UsageError):
        valid(["check", "--frobnicate"])
