"""While an installer step runs, a terminal is told which step and for how long; a pipe or --json never.

The installers here are real processes that wait on a FIFO: the test opens it only once the progress it
expects has been seen, so nothing is timed and nothing sleeps. The elapsed times come from an injected
clock where the exact text is checked.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from install_servers import clean_env

from envdoctor.cli import progress_writer
from envdoctor.door import LiveDoor
from envdoctor.install import elapsed_text, run_installer

pytestmark = pytest.mark.skipif(os.name != "posix", reason="a FIFO, a pty and shell-script installers")
ROOT = Path(__file__).resolve().parents[1]
ENTRY = [sys.executable, "-c", "from envdoctor.entry import main; main()"]
DEADLINE = 120.0  # a safety net for a broken run, never a synchronisation


def release(fifo: Path) -> None:
    """Let the waiting installer finish (opening the FIFO for writing unblocks its reader)."""
    with open(fifo, "w") as pipe:
        pipe.write("go\n")


def test_progress_is_called_with_the_elapsed_time_until_the_installer_ends(tmp_path):
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    times = iter([100.0, 130.0, 175.0])  # start, then one reading per tick
    seen: list[float] = []

    def progress(seconds: float) -> None:
        seen.append(seconds)
        if len(seen) == 2:
            threading.Thread(target=release, args=(fifo,)).start()

    argv = [sys.executable, "-c", f"open({str(fifo)!r}).read()"]
    result = run_installer(LiveDoor(), argv, timeout=DEADLINE, progress=progress, interval=0.001,
                           clock=lambda: next(times, 175.0))
    assert result.succeeded
    assert seen[:2] == [30.0, 75.0] and set(seen[2:]) <= {75.0}  # no tick once the installer has ended


@pytest.mark.parametrize("seconds, text", [(0, "0:00"), (59.9, "0:59"), (75, "1:15"), (3600, "1:00:00"),
                                           (3725, "1:02:05")])
def test_elapsed_text(seconds, text):
    assert elapsed_text(seconds) == text


def test_only_a_terminal_gets_progress_and_never_with_json(tmp_path):
    controller, terminal = pty.openpty()
    try:
        with open(terminal, "w", closefd=False) as tty, open(tmp_path / "log", "w") as log:
            assert progress_writer(tty, as_json=False) is not None
            assert progress_writer(tty, as_json=True) is None
            assert progress_writer(log, as_json=False) is None
    finally:
        os.close(terminal)
        os.close(controller)


def slow_uv(bin_dir: Path, fifo: Path) -> None:
    """A uv that answers --version and otherwise says it started, then waits for the test."""
    bin_dir.mkdir()
    script = bin_dir / "uv"
    script.write_text(f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "uv 0.5.0"; exit 0; fi\n'
                      f'echo "fake uv started"\nread line < "{fifo}"\nexit 0\n')
    script.chmod(0o755)


def test_a_terminal_sees_the_step_and_the_time_while_the_installer_runs(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    slow_uv(tmp_path / "bin", fifo)
    env = clean_env(PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", ENVDOCTOR_PROGRESS_INTERVAL="0.05",
                    TERM="dumb")
    controller, terminal = pty.openpty()
    process = subprocess.Popen([*ENTRY, "install", "torch==2.13.0", "--no-gpu", "--python", str(venv / "bin" / "python"),
                                "--manager", "uv", "--yes", "--no-index-check", "--no-verify"], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    shown = b""
    try:
        while b"elapsed" not in shown.split(b"fake uv started")[-1]:
            ready, _, _ = select.select([controller], [], [], DEADLINE)
            assert ready, shown.decode(errors="replace")[-2000:]
            shown += os.read(controller, 4096)
        release(fifo)
        process.communicate(timeout=DEADLINE)
        while select.select([controller], [], [], 0)[0]:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other end is closed: all is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    lines = shown.decode().replace("\r\n", "\n").split("\n")
    progress = [line for line in lines if "still running" in line]
    assert progress, lines
    for line in progress:
        assert re.fullmatch(r"envdoctor: uv is still running \(step 1/1\) · \d+:\d\d elapsed", line), line
    assert lines.index(progress[0]) > lines.index("fake uv started")  # said while the installer ran


def test_a_nonsense_interval_is_a_usage_error(tmp_path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True, timeout=300)
    done = subprocess.run([*ENTRY, "install", "torch==2.13.0", "--no-gpu", "--python", str(tmp_path / "venv" / "bin" /
                           "python"), "--yes"], cwd=ROOT, env=clean_env(ENVDOCTOR_PROGRESS_INTERVAL="nan"), capture_output=True,
                          text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "ENVDOCTOR_PROGRESS_INTERVAL: 'nan' is not a number of seconds" in done.stderr
