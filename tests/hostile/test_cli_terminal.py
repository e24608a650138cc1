"""What reaches the terminal: any stream encoding, a closed stdout, no escape sequences from tool
output or reports, no secrets. Every run is a real envdoctor process.

The hostile machines are copies of tests/machines/wsl2-rtx4070 (real nvidia-smi and os-release
text, see its README) with a GPU name and PRETTY_NAME replaced by synthesised hostile strings.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envdoctor.report import ExitCode

ROOT = Path(__file__).resolve().parents[2]
MACHINES = ROOT / "tests" / "machines"
WSL = MACHINES / "wsl2-rtx4070"  # an NVIDIA machine: its checklist says "CUDA ≤ 12.2"
ENTRY = [sys.executable, "-c", "from envdoctor.entry import main; main()"]
#: Terminal control that must never come from data: ESC, C1 controls, BEL, carriage return.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
OUR_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def run(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    full_env.update({"PYTHONIOENCODING": "utf-8"}, **(env or {}))
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([*ENTRY, *args], stderr=subprocess.PIPE, cwd=ROOT, env=full_env, timeout=120, **kwargs)


def assert_clean_exit(done: subprocess.CompletedProcess, code: int) -> None:
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == code, stderr
    for sign in ("Traceback", "Exception ignored", "BrokenPipeError", "UnicodeEncodeError", "Aborted"):
        assert sign not in stderr, stderr


# ---------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "ascii"])
@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_any_stdout_encoding_gets_the_report(encoding, verbose):
    """`envdoctor check > report.txt` on Windows (cp1252) or a latin-1 terminal."""
    done = run("check", "--machine", str(WSL), *verbose, env={"PYTHONIOENCODING": encoding})
    assert_clean_exit(done, ExitCode.PROBLEMS)
    text = done.stdout.decode(encoding)  # strict: everything written is in the stream's encoding
    assert "supports CUDA <= 12.2" in text
    assert "[FAIL] torch" in text
    assert "1 error(s)" in text.splitlines()[-1]


def hostile_machine(tmp_path: Path, gpu_name: str, pretty_name: str) -> Path:
    folder = tmp_path / "machine"
    shutil.copytree(WSL, folder)
    csv = folder / "commands" / "02-nvidia-smi.stdout"
    csv.write_text(csv.read_text(encoding="utf-8").replace("NVIDIA GeForce RTX 4070", gpu_name), encoding="utf-8")
    release = folder / "files" / "etc" / "os-release"
    release.write_text(release.read_text(encoding="utf-8").replace(
        'PRETTY_NAME="Ubuntu 22.04 LTS"', f'PRETTY_NAME="{pretty_name}"'), encoding="utf-8")
    return folder


def test_characters_the_stream_cannot_hold_become_question_marks(tmp_path):
    machine = hostile_machine(tmp_path, "NVIDIA GeForce RTX 4070 显卡", "Ubuntu 22.04 LTS ≥ Jammy")
    done = run("check", "--machine", str(machine), env={"PYTHONIOENCODING": "cp1252"})
    assert_clean_exit(done, ExitCode.PROBLEMS)
    text = done.stdout.decode("cp1252")
    assert "NVIDIA GeForce RTX 4070 ??" in text and "Ubuntu 22.04 LTS ? Jammy" in text


# ---------------------------------------------------------------------------- closed stdout


@pytest.mark.skipif(os.name != "posix", reason="pipes and closed descriptors")
@pytest.mark.parametrize("as_json", [[], ["--json"]])
@pytest.mark.parametrize("machine, code", [(WSL, ExitCode.PROBLEMS), (MACHINES / "debian12-no-gpu", ExitCode.OK)])
def test_a_pipe_nobody_reads_ends_quietly_with_the_exit_code(as_json, machine, code):
    """`envdoctor check | head -0`: the reader is gone before envdoctor writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = run("check", "--machine", str(machine), *as_json, stdout=write_end)
    finally:
        os.close(write_end)
    assert_clean_exit(done, code)


@pytest.mark.skipif(os.name != "posix", reason="closed descriptors")
def test_a_closed_stdout_ends_quietly_with_the_exit_code():
    """`envdoctor check >&-`: Python starts with no sys.stdout at all."""
    done = run("check", "--machine", str(WSL), stdout=None, preexec_fn=lambda: os.close(1))
    assert_clean_exit(done, ExitCode.PROBLEMS)
    done = run("check", "--machine", str(MACHINES / "debian12-no-gpu"), "--json", stdout=None,
               preexec_fn=lambda: os.close(1))
    assert_clean_exit(done, ExitCode.OK)


# ---------------------------------------------------------------------------- escape sequences

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[31mRED\x9b1mC1\rCR\x1bPdcs\x1b\\\u202eEVIL"


@pytest.mark.parametrize("color", ["never", "always"])
def test_escape_sequences_in_a_recorded_machine_never_reach_the_terminal(tmp_path, color):
    machine = hostile_machine(tmp_path, f"NVIDIA GeForce RTX 4070{HOSTILE}", f"Ubuntu 22.04 LTS{HOSTILE}")
    for args in (["check"], ["check", "-v"], ["install", "--dry-run", "-v"]):
        done = run(*args, "--machine", str(machine), "--color", color)
        text = done.stdout.decode("utf-8")
        assert done.returncode in (0, 1), done.stderr
        assert "NVIDIA GeForce RTX 4070" in text and "Ubuntu 22.04 LTS" in text
        assert "owned" not in text and "\u202e" not in text
        assert not CONTROL.search(OUR_COLOURS.sub("", text)), args
        assert "RED" in text  # the printable parts stay


def test_escape_sequences_in_a_facts_report_never_reach_the_terminal(tmp_path):
    done = run("check", "--machine", str(WSL), "--json")
    report = json.loads(done.stdout)
    report["facts"]["os"]["distro_name"] = f"Ubuntu{HOSTILE}"
    report["facts"]["nvidia"]["gpus"][0]["name"] = f"NVIDIA GeForce RTX 4070{HOSTILE}"
    report["facts"]["python"]["executable"] = f"/usr/bin/python3{HOSTILE}"
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(report))
    done = run("install", "--dry-run", "-v", "--facts", str(saved), "--color", "always")
    text = done.stdout.decode("utf-8")
    assert done.returncode in (0, 1), done.stderr
    assert "Ubuntu" in text and "owned" not in text
    assert not CONTROL.search(OUR_COLOURS.sub("", text))
    data = json.loads(run("install", "--dry-run", "--facts", str(saved), "--json").stdout)
    assert data["facts"]["os"]["distro_name"] == f"Ubuntu{HOSTILE}"  # JSON keeps the value, escaped


# ---------------------------------------------------------------------------- secrets

SECRETS = {
    "PIP_INDEX_URL": "https://user:s3cretPIP@mirror.example/simple",
    "UV_INDEX_URL": "https://tok3nUVtok3nUV@mirror.example/simple",
    "PIP_EXTRA_INDEX_URL": "https://ci:s3cretEXTRA@extra.example/simple",
}
MIRROR_SECRET = "m1rrorS3cret"


def mirror_overlay(folder: Path) -> Path:
    folder.mkdir()
    (folder / "mirrors.toml").write_text(
        'schema = "envdoctor.recipes.mirrors/1"\nsource = "a company mirror with credentials (synthesised)"\n'
        'mirror = [{ prefix = "https://download.pytorch.org/whl", '
        f'replacement = "https://mirror-user:{MIRROR_SECRET}@mirror.example/whl" }}]\n')
    return folder


def assert_no_secret(*outputs: bytes) -> None:
    for output in outputs:
        text = output.decode("utf-8", "replace")
        for secret in ("s3cretPIP", "tok3nUVtok3nUV", "s3cretEXTRA", MIRROR_SECRET):
            assert secret not in text, (secret, text[-2000:])


def test_planted_secrets_appear_in_no_output(tmp_path):
    overlay = mirror_overlay(tmp_path / "recipes")
    machine = str(MACHINES / "wsl2-rtx4070")
    runs = [
        ["check"], ["check", "-v"], ["check", "--json"], ["check", "--record", str(tmp_path / "rec")],
        ["check", "--machine", machine, "--recipes", str(overlay), "-v"],
        ["install", "--dry-run", "--machine", machine, "--recipes", str(overlay), "-v"],
        ["install", "--dry-run", "--machine", machine, "--recipes", str(overlay), "--json"],
        ["install", "--dry-run", "--recipes", str(overlay), "-v"],
        ["install", "--dry-run", "--recipes", str(overlay), "--json"],
    ]
    plans = 0
    for args in runs:
        done = run(*args, env=SECRETS)
        assert done.returncode in (0, 1), (args, done.stderr)
        assert_no_secret(done.stdout, done.stderr)
        if "--json" in args and args[0] == "install":
            plan = json.loads(done.stdout)["plan"]
            if plan["ok"]:
                assert "mirror.example/whl" in plan["index_url"]  # the mirror is shown, its password masked
                plans += 1
    assert plans  # the overlay was used: the redaction was tested on a URL that holds a password
    recorded = [path for path in (tmp_path / "rec").rglob("*") if path.is_file()]
    assert recorded and b"mirror.example" in (tmp_path / "rec" / "machine.json").read_bytes()
    assert_no_secret(*(path.read_bytes() for path in recorded))  # the folder users attach to bug reports


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as a spy installer")
def test_the_installer_gets_the_real_url_while_output_shows_it_masked(tmp_path):
    overlay = mirror_overlay(tmp_path / "recipes")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "uv.log"
    spy = bin_dir / "uv"
    spy.write_text(f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "uv 0.5.0"; exit 0; fi\n'
                   f'printf "%s\\n" "$@" >> "{log}"\nexit 0\n')
    spy.chmod(0o755)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    env = dict(SECRETS, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    done = run("install", "torch==2.12.0", "--manager", "uv", "--python", str(venv / "bin" / "python"),
               "--recipes", str(overlay), "--no-verify", "--json", "--yes", "--no-index-check", env=env)
    # the spy "succeeds" without installing anything, and the re-check says so
    assert done.returncode == ExitCode.PROBLEMS, done.stderr
    assert json.loads(done.stdout)["plan"]["run"]["succeeded"]
    assert_no_secret(done.stdout, done.stderr)
    assert b"running uv:" in done.stderr and b"mirror-user:****@mirror.example" in done.stderr
    executed = log.read_text()
    assert f"https://mirror-user:{MIRROR_SECRET}@mirror.example/whl/cpu" in executed.splitlines()
