"""Signals and daemons: SIGTERM, SIGHUP, SIGQUIT and SIGINT stop every child at once, and a daemon that
double-forks and closes its file descriptors is still ended.

Real processes throughout: envdoctor's own CLI in a child, fake tools on PATH (synthesised shell and
Python scripts, each misbehaving in one known way), real signals. Readiness is a pid file the fake
writes, polled with a deadline; whether a process is gone is asked of the kernel (psutil).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import REPO, child_env, fake_tool, gone, kill_quietly, read_pids

from envdoctor.door import run_command
from envdoctor.report import ExitCode

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and process groups")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the subreaper is Linux's")
ENTRY = [sys.executable, "-c", "from envdoctor.entry import main; main()"]
STOPPING = [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGQUIT, 131), (signal.SIGINT, 130)]

# Writes its pid and its own child's pid, then waits forever: an installer or nvidia-smi that hangs.
#: A tool that hangs, writing its own pid and its child's. check runs nvidia-smi twice at once: each copy writes a
#: file of its own and renames it into place, so the pids file always holds one copy's two pids, never a mix.
HUNG = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "{name} 1.0.0"; exit 0; fi
sleep 600 &
echo "$$" > "{pids}.$$.tmp"
echo "$!" >> "{pids}.$$.tmp"
mv "{pids}.$$.tmp" "{pids}"
wait
"""


def _hung_tool(bin_dir: Path, name: str, pids: Path) -> None:
    fake_tool(bin_dir, name, HUNG.format(name=name, pids=pids).split("\n", 1)[1], interpreter="/bin/sh")


def _signal_envdoctor(args: list[str], bin_dir: Path, pids: Path, number: int) -> tuple[int, str, str, list[int]]:
    """Start envdoctor, wait until the fake is running, send ``number``; (exit code, stdout, stderr, fake pids)."""
    env = child_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    env = {k: v for k, v in env.items() if not k.startswith(("PIP_", "UV_"))}
    proc = subprocess.Popen([*ENTRY, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    children: list[int] = []
    try:
        children = read_pids(pids, 2, within=300, starter=proc)
        proc.send_signal(number)
        # far below the 600 s the fake would hang and the probe timeout: ending at once is the point
        out, err = proc.communicate(timeout=60)
        return proc.returncode, out, err, children
    finally:
        if proc.poll() is None:
            proc.kill()
        kill_quietly(children)


@pytest.fixture
def target(tmp_path) -> str:
    """A fresh, empty venv: the only interpreter an install here could touch."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    return str(venv / "bin" / "python")


@pytest.mark.parametrize(("number", "code"), STOPPING[:3], ids=["SIGTERM", "SIGHUP", "SIGQUIT"])
def test_a_stopping_signal_during_install_stops_the_installer_and_exits_128_plus_n(tmp_path, target, number, code):
    bin_dir, pids = tmp_path / "bin", tmp_path / "uv.pids"
    _hung_tool(bin_dir, "uv", pids)
    returncode, out, err, children = _signal_envdoctor(
        ["install", "torch==2.12.0", "--manager", "uv", "--python", target, "--no-verify", "--yes",
         "--no-index-check", "--json"], bin_dir, pids, number)
    assert returncode == code, err
    assert f"envdoctor: stopped by {signal.Signals(number).name}" in err
    assert "Traceback" not in err
    assert json.loads(out)["exit_code"] == code
    assert [pid for pid in children if not gone(pid)] == []


@pytest.mark.parametrize(("number", "code"), [STOPPING[0], STOPPING[3]], ids=["SIGTERM", "SIGINT"])
def test_a_stopping_signal_during_check_stops_a_hung_nvidia_smi_at_once(tmp_path, number, code):
    """The probe's timeout is 300 s: envdoctor must not wait for it (the probe threads' commands are
    killed by the signal handler itself, before the thread pool is waited for)."""
    bin_dir, pids = tmp_path / "bin", tmp_path / "smi.pids"
    _hung_tool(bin_dir, "nvidia-smi", pids)
    returncode, out, err, children = _signal_envdoctor(["check", "--timeout", "300", "--json"], bin_dir, pids, number)
    assert returncode == code, err
    assert json.loads(out)["exit_code"] == code
    assert [pid for pid in children if not gone(pid)] == []


# A daemon: fork, setsid, fork again, close every file descriptor (no pipe, no process group, no
# parent left to trace it by), write its pid, live on. The first child waits only until the pid is
# written, so the daemon is running when the command returns.
DAEMON = """
import os, sys, time
pidfile = sys.argv[1]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.closerange(0, 4096)
        with open(pidfile + ".tmp", "w") as out:
            out.write("%d\\n" % os.getpid())
        os.rename(pidfile + ".tmp", pidfile)
        time.sleep(600)
        os._exit(0)
    while not os.path.exists(pidfile):
        time.sleep(0.01)
    os._exit(0)
os.wait()
"""


@linux_only
def test_a_double_forked_daemon_that_closed_its_fds_is_ended_with_its_command(tmp_path):
    pidfile = tmp_path / "daemon.pid"
    result = run_command([sys.executable, "-c", DAEMON, str(pidfile)], 60)
    daemon = read_pids(pidfile, 1)
    try:
        assert (result.status, result.returncode) == ("ok", 0)
        assert gone(daemon[0]), "the daemon outlived the command that started it"
    finally:
        kill_quietly(daemon)


@linux_only
def test_check_ends_a_daemon_a_probed_tool_started(tmp_path):
    """The same daemon under the real CLI: `check` with a fake nvidia-smi that starts it."""
    bin_dir, pidfile = tmp_path / "bin", tmp_path / "daemon.pid"
    fake_tool(bin_dir, "nvidia-smi", DAEMON.replace("sys.argv[1]", repr(str(pidfile))))
    env = child_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run([*ENTRY, "check", "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    daemon = read_pids(pidfile, 1)
    try:
        assert done.returncode in (ExitCode.OK, ExitCode.PROBLEMS), done.stderr
        assert gone(daemon[0]), "the daemon outlived envdoctor"
    finally:
        kill_quietly(daemon)


# The signal taken by a worker thread, as the kernel may choose: the process-wide handler is then due,
# but it runs only in the main thread, which must wake up from its wait to run it. The worker waits as
# a door command does, until the handler says envdoctor is stopping.
TAKEN_BY_A_WORKER = """
import os, signal, sys, time
from envdoctor.door import Stopped, stop_on_signals
from envdoctor.door.processes import _STOPPING
from envdoctor.probes import Pending
from envdoctor.refresh.client import _read_wheels
from envdoctor.refresh.reading import WheelRead

def worker(*args, **kwargs):
    signal.raise_signal(signal.SIGTERM)  # raise() signals the calling thread
    while not _STOPPING.is_set():
        time.sleep(0.01)
    return "torch-2.12.0-cp311-none-any.whl", None

class Client:
    get = staticmethod(worker)

stop_on_signals()
try:
    if sys.argv[1] == "probe":
        Pending(worker).result()
    else:
        _read_wheels(Client(), [WheelRead("torch-2.12.0-cp311-none-any.whl", "", "torch", "metadata")])
except Stopped as exc:
    print("stopped by", exc, flush=True)
    os._exit(0)
"""


@pytest.mark.parametrize("wait", ["probe", "refresh"])
def test_a_stopping_signal_a_worker_thread_takes_still_ends_the_main_threads_wait(wait):
    """The main thread waits for a probe's thread or a refresh's pool. Waiting without a timeout, it never
    ran the handler (4 of 25 runs of the hung-nvidia-smi test above hung so, under load)."""
    done = subprocess.run([sys.executable, "-c", TAKEN_BY_A_WORKER, wait], cwd=REPO, env=child_env(),
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "stopped by SIGTERM\n", "")
