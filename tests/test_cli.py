"""The command line as users run it: exit codes, JSON contract, recorded machines, no hidden work."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MACHINES_DIR

from envdoctor.cli import cli
from envdoctor.report import SCHEMA


def invoke(*args, env=None):
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result


def run_json(*args):
    result = invoke(*args, "--json")
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    "machine, exit_code, finding",
    [
        ("wsl2-rtx4070", 1, "torch.cpu-build-on-gpu"),
        ("driver-library-mismatch", 1, "nvidia.driver-mismatch"),
        ("rhel9-a100-525-cuda118", 0, "torch.cuda-minor-newer-than-driver"),
        ("proc-only-no-nvidia-smi", 0, "nvidia.gpus-unknown"),
        ("debian12-no-gpu", 0, None),
    ],
)
def test_check_on_recorded_machines(machine, exit_code, finding):
    code, data = run_json("check", "--machine", str(MACHINES_DIR / machine))
    assert code == exit_code == data["exit_code"]
    assert data["schema"] == SCHEMA and data["command"] == "check"
    ids = {f["id"] for f in data["findings"]}
    if finding:
        assert finding in ids
    else:
        assert not [f for f in data["findings"] if f["severity"] in ("error", "warning")]


def test_every_report_key_is_present_even_when_empty():
    _, data = run_json("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"))
    assert data["plan"] is None and data["checks"] == [] and data["error"] is None
    assert data["facts"]["nvidia"]["status"] == "no_driver"


def test_strict_turns_warnings_into_failure():
    machine = str(MACHINES_DIR / "rhel9-a100-525-cuda118")
    assert invoke("check", "--machine", machine).exit_code == 0
    assert invoke("check", "--machine", machine, "--strict").exit_code == 1


def test_usage_errors_exit_2():
    assert invoke("check", "--timeout", "-1").exit_code == 2
    assert invoke("check", "--bogus").exit_code == 2
    assert invoke("install", "--gpu", "sm_86", "--no-gpu", "--dry-run").exit_code == 2


def test_bad_machine_folder_is_a_usage_error_naming_the_file(tmp_path):
    (tmp_path / "machine.json").write_text("{")
    result = invoke("check", "--machine", str(tmp_path))
    assert result.exit_code == 2
    assert "machine.json" in result.output


def test_color_follows_the_environment():
    machine = str(MACHINES_DIR / "wsl2-rtx4070")
    assert "\x1b[" in invoke("check", "--machine", machine, env={"FORCE_COLOR": "1", "NO_COLOR": ""}).output
    assert "\x1b[" not in invoke("check", "--machine", machine, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).output
    assert "\x1b[" not in invoke("check", "--machine", machine, "--json", env={"FORCE_COLOR": "1"}).output


def test_record_then_replay_gives_the_same_facts(tmp_path):
    code, live = run_json("check", "--record", str(tmp_path / "rec"))
    assert (tmp_path / "rec" / "machine.json").is_file()
    _, replay = run_json("check", "--machine", str(tmp_path / "rec"))
    # why the live run chose its interpreter is not a probed fact: a replay keeps the recorded one
    live["facts"]["python"].pop("chosen_because")
    assert replay["facts"]["python"].pop("chosen_because") == ""
    for section in ("os", "cpu", "python", "nvidia", "cuda", "cudnn", "torch"):
        strip = lambda d: json.loads(json.dumps(d).replace('"duration_s": ', '"d": '))  # noqa: E731
        live_section, replay_section = strip(live["facts"][section]), strip(replay["facts"][section])
        for attempts in (live_section, replay_section):
            for attempt in attempts.get("attempts", []):
                attempt.pop("d", None)
        assert live_section == replay_section, section
    assert replay["exit_code"] == code


def test_install_dry_run_starts_no_process(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(os, "posix_spawn", refuse, raising=False)
    monkeypatch.setattr(os, "fork", refuse, raising=False)
    code, data = run_json("install", "--dry-run", "--machine", str(MACHINES_DIR / "wsl2-rtx4070"))
    assert code == 0
    plan = data["plan"]
    assert plan["ok"] and plan["action"] == "reinstall"
    assert plan["variant"].startswith("cu") and plan["index_url"].startswith("https://download.pytorch.org/whl/cu")
    assert plan["commands"]["pip"][:4] == ["/home/dev/venv/bin/python", "-m", "pip", "install"]
    assert "torch.cpu-build-on-gpu" in {f["id"] for f in data["findings"]}


def test_install_for_a_described_target():
    code, data = run_json("install", "--dry-run", "--machine", str(MACHINES_DIR / "debian12-no-gpu"),
                          "--driver", "535.104.05", "--gpu", "NVIDIA GeForce RTX 3090", "--target-python", "3.11",
                          "--target-os", "linux", "--target-arch", "x86_64")
    assert code == 0
    assert data["plan"]["variant"] in ("cu126", "cu121", "cu124", "cu118")
    assert any("--driver" in item for item in data["facts"]["overrides"])


def test_install_refuses_to_run_a_plan_for_another_machine():
    result = invoke("install", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--driver", "535.104.05",
                    "--gpu", "sm_86")
    assert result.exit_code == 2
    assert "--dry-run" in result.output


def test_unsure_driver_state_gives_no_plan_but_ways_forward():
    code, data = run_json("install", "--dry-run", "--machine", str(MACHINES_DIR / "driver-library-mismatch"))
    assert code == 1
    assert data["plan"]["ok"] is False
    assert any("--variant cpu" in a["message"] for a in data["plan"]["alternatives"])


def test_install_from_a_saved_report(tmp_path):
    _, report = run_json("check", "--machine", str(MACHINES_DIR / "rhel9-a100-525-cuda118"))
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(report))
    code, data = run_json("install", "--dry-run", "--facts", str(saved))
    assert code == 0
    assert data["facts"]["nvidia"]["driver_version"] == report["facts"]["nvidia"]["driver_version"]
    saved.write_text('{"schema": "something.else"}')
    result = invoke("install", "--dry-run", "--facts", str(saved))
    assert result.exit_code == 2 and "not an envdoctor report" in result.output


def test_recipes_validate_built_in_and_broken(tmp_path):
    assert invoke("recipes", "validate").exit_code == 0
    result = invoke("recipes", "validate", str(Path(__file__).parent / "fixtures" / "recipes" / "bad_arch"))
    assert result.exit_code == 1
    assert "sm_9O" in result.output


def test_broken_recipe_overlay_is_envdoctor_failure_exit_3():
    bad = Path(__file__).parent / "fixtures" / "recipes" / "bad_toml"
    result = invoke("check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"), "--recipes", str(bad))
    assert result.exit_code == 3


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as a fake nvidia-smi")
def test_hung_nvidia_smi_does_not_hang_check(tmp_path):
    """The hung child is killed at the deadline and check goes on: it ends (well before the 60 s a hang
    would take) with the timeout as a finding, and the child is gone. No wall-clock bound: load varies."""
    fake = tmp_path / "nvidia-smi"
    pid_file = tmp_path / "pid"
    fake.write_text(f"#!/bin/sh\necho $$ > '{pid_file}'\nexec sleep 1000\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run([sys.executable, "-m", "envdoctor", "check", "--json", "--timeout", "2"],
                          capture_output=True, text=True, env=env, timeout=60)
    data = json.loads(done.stdout)
    assert data["facts"]["nvidia"]["status"] == "timed_out"
    assert "nvidia.smi-timed-out" in {f["id"] for f in data["findings"]}
    assert done.returncode == 1
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return
    status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}/status").exists() else ""
    assert "zombie" in status, f"the hung nvidia-smi ({pid}) outlived check"


@pytest.mark.needs_torch
def test_verify_cpu_through_the_cli():
    code, data = run_json("verify", "--device", "cpu", "--level", "quick", "--expect-torch", ">=2.0")
    assert code == 0 and data["ok"] is True
    ids = {c["id"]: c for c in data["checks"]}
    assert ids["cpu.matmul.float32"]["status"] == "pass"
    assert ids["expect.torch"]["status"] == "pass"


def test_verify_unmet_expectation_fails():
    code, data = run_json("verify", "--device", "cpu", "--level", "quick", "--expect-gpus", "8")
    assert code == 1
    assert {c["id"]: c["status"] for c in data["checks"]}["expect.gpus"] == "fail"


def test_recipes_validate_checks_gpu_peaks_too(tmp_path):
    (tmp_path / "gpu_peaks.toml").write_text('[[gpu]]\nname = "X"\nmatch = ["x"]\ntf32 = -1\nsource = "https://example.org"\n')
    result = invoke("recipes", "validate", str(tmp_path))
    assert result.exit_code == 1
    assert "'tf32' must be a positive number" in result.output


def _envdoctor(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from envdoctor.entry import main; main()", *args],
                          capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[1],
                          env=dict(os.environ, PYTHONIOENCODING="utf-8", **(env or {})))


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as a failing installer")
def test_the_exit_code_contract_on_real_invocations(tmp_path):
    """0 fine, 1 problems, 2 usage, 3 envdoctor failed, 4 installer failed (130: tests/hostile)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    failing_uv = bin_dir / "uv"
    failing_uv.write_text('#!/bin/sh\n[ "$1" = "--version" ] && { echo "uv 0.5.0"; exit 0; }\nexit 2\n')
    failing_uv.chmod(0o755)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    cases = [
        (0, ["check", "--machine", str(MACHINES_DIR / "debian12-no-gpu")], {}),
        (1, ["check", "--machine", str(MACHINES_DIR / "wsl2-rtx4070")], {}),
        (2, ["check", "--timeout", "nan"], {}),
        (2, ["check", "--machine", str(tmp_path / "missing")], {}),
        (3, ["check", "--machine", str(MACHINES_DIR / "debian12-no-gpu"),
             "--recipes", str(Path(__file__).parent / "fixtures" / "recipes" / "bad_toml")], {}),
        (4, ["install", "torch==2.12.0", "--manager", "uv", "--python", str(venv / "bin" / "python"), "--no-verify",
             "--yes", "--no-index-check"],
         {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}),
    ]
    for code, args, env in cases:
        for as_json in ([], ["--json"]):
            done = _envdoctor(*args, *as_json, env=env)
            assert done.returncode == code, (args, done.stderr)
            assert "Traceback" not in done.stderr
            if as_json:
                assert json.loads(done.stdout)["exit_code"] == code


def test_help_lists_the_exit_codes():
    text = invoke("--help").output
    for line in ("0    fine", "1    problems found", "2    usage error", "3    envdoctor itself failed",
                 "4    the package installer ran and failed", "130  interrupted"):
        assert line in text


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a device whose every write fails ENOSPC)")
@pytest.mark.parametrize("args", [("check", "--json"), ("check",), ("recipes", "refresh", "--help")])
def test_a_stdout_that_refuses_writes_is_exit_2_with_one_line(args):
    """`envdoctor check > /dev/full`: the report cannot be delivered, which is said in one line on stderr
    with the documented exit code, never as an internal error."""
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-c", "from envdoctor.entry import main; main()", *args],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=300,
                                cwd=Path(__file__).parents[1])
    assert result.returncode == 2, result.stderr
    assert result.stderr == "envdoctor: cannot write to standard output: No space left on device\n"


def fix_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("$ envdoctor ")]


@pytest.mark.parametrize("command", [["check"], ["install", "--dry-run", "--gpu", "NVIDIA GeForce RTX 4070"]])
def test_fix_commands_of_a_replay_repeat_the_machine_folder_quoted(tmp_path, command):
    import shlex
    import shutil

    folder = tmp_path / "it's a machine"
    shutil.copytree(MACHINES_DIR / "wsl2-rtx4070", folder)
    done = subprocess.run([sys.executable, "-m", "envdoctor", *command, "--machine", str(folder)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    wanted = ["envdoctor", "install", "--dry-run", "--machine", str(folder), *command[2:]]
    lines = fix_lines(done.stdout)
    assert lines, done.stdout
    for line in lines:  # what a POSIX shell hands the program: the folder and the GPU name whole
        assert shlex.split(line.removeprefix("$ ")) == wanted


@pytest.mark.skipif(os.name != "posix", reason="POSIX venv layout")
def test_fix_commands_repeat_python_with_the_describing_flags(tmp_path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True, timeout=300)
    python = str(tmp_path / "venv" / "bin" / "python")  # no torch: its finding says what to run
    done = invoke("install", "--dry-run", "--no-gpu", "--python", python, "--json")
    commands = [c for f in json.loads(done.stdout)["findings"] for c in f["commands"] if c[:1] == ["envdoctor"]]
    assert commands and all(c == ["envdoctor", "install", "--dry-run", "--no-gpu", "--python", python] for c in commands)
