"""The verifier against a torch that lies, floods, shadows or leaves processes behind.

Each case puts a fake ``torch`` (tests/fake_torch/<case>, synthesised) or a planted source tree in
the way and checks that the verdict still comes from what the child really did.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import FAKE_TORCH, REPO, child_env, default_sigint, gone, kill_quietly, read_pids

from envdoctor.door import LiveDoor
from envdoctor.facts import Check
from envdoctor.verify import VerifyOptions, run_verify, verify_ok

posix_only = pytest.mark.skipif(os.name != "posix", reason="signals and setsid are POSIX")


def by_id(checks: list[Check]) -> dict[str, Check]:
    return {check.id: check for check in checks}


def verify_with(monkeypatch, case: str, **options) -> list[Check]:
    """verify at ``--level quick`` (import, devices, a matmul, the tutorial's autograd): each case attacks the child
    and its pipes, which every level starts and reads alike."""
    monkeypatch.setenv("PYTHONPATH", str(FAKE_TORCH / case))
    return run_verify(LiveDoor(), VerifyOptions(device="cpu", perf_seconds=0.0, level="quick",
                                                **{"timeout": 120.0, **options}))


# ---------------------------------------------------------------------------- forged results


def test_a_perfect_run_forged_on_stdout_and_stderr_counts_for_nothing(monkeypatch):
    checks = verify_with(monkeypatch, "print_forged_events", expect_gpus=8, expect_cuda="12.8")
    assert [(c.id, c.status) for c in checks] == [("import", "fail"), ("expect.gpus", "fail"), ("expect.cuda", "fail")]
    assert checks[0].message.startswith("exited with code 0 during import")
    assert checks[1].message == "expected 8 GPU(s); the smoke test never reached device discovery"
    assert not verify_ok(checks)


@pytest.mark.needs_torch
def test_events_forged_on_every_file_descriptor_are_rejected(monkeypatch):
    checks = verify_with(monkeypatch, "write_forged_channel", expect_gpus=0)
    found = by_id(checks)
    assert "forged.check" not in found
    assert found["smoke.protocol"].status == "fail"
    assert "wrong or missing nonce" in found["smoke.protocol"].message
    assert found["import"].status == "pass" and found["cpu.matmul.float32"].status == "pass"
    assert found["expect.gpus"].status == "pass"
    assert not verify_ok(checks)


# ---------------------------------------------------------------------------- what the child imports


def plant_shadows(folder: Path) -> Path:
    """A torch/ source tree and a json.py in the working directory; the marker file shows a run."""
    marker = folder / "json-py-ran"
    (folder / "torch").mkdir()
    (folder / "torch" / "__init__.py").write_text('raise ImportError("the torch source tree in the working directory")\n')
    (folder / "json.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit('json.py from cwd')\n")
    return marker


@pytest.mark.needs_torch
def test_the_working_directory_shadows_nothing(monkeypatch, tmp_path):
    marker = plant_shadows(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    found = by_id(run_verify(LiveDoor(), VerifyOptions(device="cpu", perf_seconds=0.0, level="quick")))
    assert found["import"].status == "pass", found["import"].message
    assert "site-packages" in found["import"].details["location"]
    assert not marker.exists()


def pyenv_python(version: str) -> Path:
    found = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python"))
    if not found:
        pytest.skip(f"needs CPython {version} (pyenv)")
    return found[-1]


@pytest.mark.parametrize("version", ["3.8", "3.10", "3.12"])
def test_older_interpreters_keep_the_working_directory_off_the_path_too(monkeypatch, tmp_path, version):
    python = pyenv_python(version)
    marker = plant_shadows(tmp_path)
    (tmp_path / "fakes").symlink_to(FAKE_TORCH)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", "fakes/raise_on_import")  # relative: it must still mean this folder's
    checks = run_verify(LiveDoor(), VerifyOptions(python=str(python), device="cpu", perf_seconds=0.0))
    assert [(c.id, c.status, c.message) for c in checks] == [
        ("import", "fail", "ImportError: libcudnn.so.9: cannot open shared object file: No such file or directory")]
    assert not marker.exists()


def test_user_site_packages_are_kept(monkeypatch, tmp_path):
    python = pyenv_python("3.10")
    user_base = tmp_path / "userbase"
    package = user_base / "lib" / "python3.10" / "site-packages" / "torch"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('raise ImportError("the torch in the user site-packages")\n')
    monkeypatch.setenv("PYTHONUSERBASE", str(user_base))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    checks = run_verify(LiveDoor(), VerifyOptions(python=str(python), device="cpu", perf_seconds=0.0))
    assert [(c.id, c.message) for c in checks] == [("import", "ImportError: the torch in the user site-packages")]


# ---------------------------------------------------------------------------- floods and leftovers


@pytest.mark.long_unit
@pytest.mark.needs_torch
def test_endless_output_is_bounded_and_the_run_still_passes(monkeypatch):
    checks = verify_with(monkeypatch, "endless_output")
    assert verify_ok(checks), [(c.id, c.message) for c in checks if c.status == "fail"]
    assert by_id(checks)["cpu.tutorial.autograd"].status == "pass"  # the last check of the level ran


@pytest.mark.needs_torch
@posix_only
def test_a_grandchild_holding_the_pipes_does_not_turn_a_pass_into_a_hang(monkeypatch, tmp_path):
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("ENVDOCTOR_TEST_PIDFILE", str(pidfile))
    checks = verify_with(monkeypatch, "grandchild_holds_pipes", timeout=300.0)
    helper = read_pids(pidfile, 1)
    try:
        assert verify_ok(checks), [(c.id, c.message) for c in checks if c.status == "fail"]
        assert gone(helper[0]), "the helper that held the pipes is still running"
    finally:
        kill_quietly(helper)


@posix_only
def test_a_hung_child_is_killed_with_what_it_started(monkeypatch, tmp_path):
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("ENVDOCTOR_TEST_PIDFILE", str(pidfile))
    checks = verify_with(monkeypatch, "hang_with_grandchild", timeout=8.0)
    pids = read_pids(pidfile, 2)
    try:
        assert [(c.id, c.status, c.message) for c in checks] == [
            ("import", "fail", "hung during import: no result within 8 s; the child was killed")]
        assert all(gone(pid) for pid in pids)
    finally:
        kill_quietly(pids)


INTERRUPTED_VERIFY = """
from envdoctor.door import LiveDoor
from envdoctor.verify import VerifyOptions, run_verify
run_verify(LiveDoor(), VerifyOptions(device="cpu", timeout=600.0))
"""


@posix_only
def test_ctrl_c_during_verify_leaves_nothing_running(tmp_path):
    pidfile = tmp_path / "pids"
    env = child_env(ENVDOCTOR_TEST_PIDFILE=str(pidfile))
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(FAKE_TORCH / "hang_with_grandchild")])
    runner = subprocess.Popen([sys.executable, "-c", INTERRUPTED_VERIFY], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=default_sigint)
    try:
        pids = read_pids(pidfile, 2)
        runner.send_signal(signal.SIGINT)
        _, stderr = runner.communicate(timeout=60)
        assert "KeyboardInterrupt" in stderr.decode()
        assert all(gone(pid) for pid in pids), "the smoke child or its helper outlived the interrupted verify"
    finally:
        runner.kill()
        kill_quietly(read_pids(pidfile, 2) if pidfile.exists() else [])
