"""Fake tools and process checks shared by the hostile tests.

Every fake here is synthesised on purpose: a small script that misbehaves in one known way (hangs,
floods its output, ignores SIGTERM, leaves a grandchild behind). Nothing is copied from a real tool.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
FAKE_TORCH = REPO / "tests" / "fake_torch"


def fake_tool(folder: Path, name: str, body: str, interpreter: str = sys.executable) -> Path:
    """An executable ``folder/name`` running ``body`` (Python by default, or ``/bin/sh``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!{interpreter}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def default_sigint() -> None:
    """A ``preexec_fn`` for a child a test interrupts: SIGINT's disposition is inherited, and from a shell
    that ran `trap '' INT` the child would ignore the Ctrl-C the test sends."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def gone(pid: int, within: float = 30.0) -> bool:
    """Whether the process is gone (or a zombie awaiting its reaper) within ``within`` seconds.

    The wait only absorbs the kernel delivering SIGKILL; a leftover that is never killed keeps this
    False for the whole wait.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def kill_quietly(pids: list[int]) -> None:
    """Clean up after a failing test, so a leftover does not outlive it."""
    for pid in pids:
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def read_pids(path: Path, count: int, within: float = 60.0, starter: subprocess.Popen | None = None) -> list[int]:
    """The first ``count`` pids written to ``path`` by a fake, waiting until they are there (and failing at
    once, with what it printed, should ``starter``, the process that runs the fake, end first)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists():
            lines = [line for line in path.read_text().split("\n") if line.strip()]
            if len(lines) >= count:
                return [int(line) for line in lines[:count]]
        if starter is not None and starter.poll() is not None:
            out, err = starter.communicate()
            raise AssertionError(f"{path}: exit code {starter.returncode} before the fake ran\n{out}\n{err}")
        time.sleep(0.05)
    raise AssertionError(f"{path}: fewer than {count} pids after {within} s")


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a Python child that imports envdoctor from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra)
    return env
