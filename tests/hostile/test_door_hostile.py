"""The door against tools that misbehave: floods, binary output, hangs, grandchildren that keep the
pipes or escape the process group, SIGTERM ignored, Ctrl-C, FIFOs and devices, a hanging ``uname``.

Every case runs real processes. Timeouts here are upper bounds that turn a hang into a failure,
never assertions about speed (those are measured in benchmarks/bench_hostile.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
from fakes import REPO, child_env, default_sigint, fake_tool, gone, kill_quietly, read_pids

from envdoctor import door
from envdoctor.door import LiveDoor, UserFileError, read_user_file, run_command, stop_all_commands

posix_only = pytest.mark.skipif(os.name != "posix", reason="process groups and FIFOs are POSIX")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds pipe holders through /proc")

# Writes numbered lines "00000000\n", "00000001\n", ... to stdout: the expected bytes are computable.
COUNTER = "import sys\nfor i in range({n}):\n    sys.stdout.write('%08d\\n' % i)\n"
FLOOD = "import os\nwhile True:\n    os.write(1, b'y\\n' * 32768)\n"


def counter_bytes(lines: int) -> str:
    return "".join(f"{i:08d}\n" for i in range(lines))


# ---------------------------------------------------------------------------- bounded output


def test_output_past_the_limit_keeps_the_start_and_says_truncated():
    result = run_command([sys.executable, "-c", COUNTER.format(n=100_000)], 60, limit=50_000)
    assert (result.status, result.returncode) == ("ok", 0)
    assert result.truncated
    assert result.stdout == counter_bytes(100_000)[:50_000]


def test_output_within_the_limit_is_whole_and_not_truncated():
    result = run_command([sys.executable, "-c", COUNTER.format(n=1000)], 60, limit=9000)
    assert result.stdout == counter_bytes(1000) and not result.truncated


def test_endless_output_times_out_with_the_bounded_start_kept():
    result = run_command([sys.executable, "-c", FLOOD], 2.0, limit=1 << 20)
    assert result.status == "timed_out" and result.returncode is None
    assert result.truncated
    assert result.stdout == "y\n" * (1 << 19)


def test_binary_output_is_decoded_with_replacements():
    result = run_command([sys.executable, "-c", "import os\nos.write(1, bytes(range(256)) * 64)"], 60)
    assert result.succeeded
    assert "\ufffd" in result.stdout and len(result.stdout) > 0


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 0, -5, True])
def test_a_timeout_that_is_not_finite_and_positive_runs_nothing(timeout, tmp_path):
    marker = tmp_path / "ran"
    result = run_command([sys.executable, "-c", f"open({str(marker)!r}, 'w')"], timeout)
    assert result.status == "error" and "finite number of seconds" in result.error
    assert not marker.exists()


# ---------------------------------------------------------------------------- leftovers


@posix_only
def test_a_grandchild_holding_stdout_does_not_turn_an_exit_into_a_timeout(tmp_path):
    pidfile = tmp_path / "pids"
    tool = fake_tool(tmp_path, "tool", f"echo before\nsleep 600 &\necho $! > {pidfile}\necho after\n", "/bin/sh")
    result = run_command([str(tool)], 60)
    pid = read_pids(pidfile, 1)[0]
    try:
        assert (result.status, result.returncode) == ("ok", 0)
        assert result.stdout == "before\nafter\n"
        assert gone(pid), "the background sleep outlived the command"
    finally:
        kill_quietly([pid])


@linux_only
def test_a_setsid_grandchild_holding_stdout_is_found_and_killed(tmp_path):
    pidfile = tmp_path / "pids"
    body = ("import subprocess, sys\n"
            "p = subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
            f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
            "print('parent done')\n")
    result = run_command([sys.executable, "-c", body], 60)
    pid = read_pids(pidfile, 1)[0]
    try:
        assert (result.status, result.returncode, result.stdout) == ("ok", 0, "parent done\n")
        assert gone(pid), "the setsid grandchild outlived the command"
    finally:
        kill_quietly([pid])


@posix_only
def test_a_hung_child_and_its_setsid_grandchild_are_killed_at_the_timeout(tmp_path):
    pidfile = tmp_path / "pids"
    body = ("import os, subprocess, sys, time\n"
            "p = subprocess.Popen(['sleep', '600'], start_new_session=True, stdout=subprocess.DEVNULL)\n"
            f"open({str(pidfile)!r}, 'w').write('%d\\n%d\\n' % (p.pid, os.getpid()))\n"
            "print('waiting', flush=True)\n"
            "time.sleep(600)\n")
    result = run_command([sys.executable, "-c", body], 5.0)
    pids = read_pids(pidfile, 2)
    try:
        assert result.status == "timed_out"
        assert result.stdout == "waiting\n"
        assert all(gone(pid) for pid in pids), "something the hung child started is still running"
    finally:
        kill_quietly(pids)


@posix_only
def test_a_child_ignoring_sigterm_gets_sigkill(tmp_path):
    pidfile = tmp_path / "pids"
    body = ("import os, signal, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            f"open({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
            "print('ignoring SIGTERM', flush=True)\n"
            "while True:\n    time.sleep(1)\n")
    result = run_command([sys.executable, "-c", body], 5.0)
    pid = read_pids(pidfile, 1)[0]
    try:
        assert result.status == "timed_out" and result.stdout == "ignoring SIGTERM\n"
        assert gone(pid)
    finally:
        kill_quietly([pid])


def test_stop_all_commands_ends_commands_running_in_other_threads(tmp_path):
    pidfile = tmp_path / "pids"
    body = f"import os, time\nopen({str(pidfile)!r}, 'w').write(str(os.getpid()))\ntime.sleep(600)\n"
    results = []
    worker = threading.Thread(target=lambda: results.append(run_command([sys.executable, "-c", body], 600)))
    worker.start()
    pid = read_pids(pidfile, 1)[0]
    try:
        stop_all_commands()
        worker.join(60)
        assert not worker.is_alive()
        assert results[0].status == "ok" and results[0].returncode == -signal.SIGKILL
        assert gone(pid)
    finally:
        kill_quietly([pid])


# ---------------------------------------------------------------------------- Ctrl-C

# A stand-in for envdoctor: it runs a long-lived child (which starts a setsid grandchild) through
# the door, in one of three ways, until it is interrupted.
INTERRUPTED = """
import os, sys
from envdoctor.door import LiveDoor, run_command, run_with_channel
mode, pidfile = sys.argv[1], sys.argv[2]
child = [sys.executable, "-c", '''
import os, subprocess, sys, time
p = subprocess.Popen(["sleep", "600"], start_new_session=True, stdout=subprocess.DEVNULL)
open(sys.argv[1], "w").write("%d\\\\n%d\\\\n" % (p.pid, os.getpid()))
time.sleep(600)
''', pidfile]
if mode == "capture":
    run_command(child, 600)
elif mode == "live":
    LiveDoor().run_live(child, 600)
else:
    run_with_channel(child, 600, lambda channel: b"")
"""


@posix_only
@pytest.mark.parametrize("mode", ["capture", "live", "channel"])
def test_ctrl_c_kills_the_child_and_what_it_started(tmp_path, mode):
    pidfile = tmp_path / "pids"
    runner = subprocess.Popen([sys.executable, "-c", INTERRUPTED, mode, str(pidfile)], env=child_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO, preexec_fn=default_sigint)
    try:
        pids = read_pids(pidfile, 2)
        runner.send_signal(signal.SIGINT)
        _, stderr = runner.communicate(timeout=60)
        assert "KeyboardInterrupt" in stderr.decode()
        assert all(gone(pid) for pid in pids), "a child of the interrupted run is still running"
    finally:
        runner.kill()
        kill_quietly(read_pids(pidfile, 2) if pidfile.exists() else [])


@pytest.fixture
def stop_handlers(monkeypatch):
    """envdoctor's stopping-signal handlers in this process, with a fresh stopping flag; both undone after."""
    from envdoctor.door import processes

    monkeypatch.setattr(processes, "_STOPPING", threading.Event())
    before = {number: signal.getsignal(number) for number in processes.STOP_SIGNALS}
    processes.stop_on_signals()
    try:
        yield processes
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


@posix_only
@pytest.mark.parametrize(("live", "number", "error"), [(False, signal.SIGINT, KeyboardInterrupt),
                                                     (True, signal.SIGINT, KeyboardInterrupt),
                                                     (True, signal.SIGTERM, door.Stopped)],
                         ids=["capture-SIGINT", "live-SIGINT", "live-SIGTERM"])
def test_a_stopping_signal_while_popen_returns_still_ends_the_child_it_started(stop_handlers, monkeypatch, live,
                                                                               number, error):
    """A signal handled inside ``subprocess.Popen``, after the fork and before the pid is kept (seen under
    load): the child has started, yet is in no list of running commands. It must still be ended."""
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def popen_then_signal(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        signal.raise_signal(number)  # the handler runs before raise_signal returns
        return started[0]

    monkeypatch.setattr(stop_handlers.subprocess, "Popen", popen_then_signal)
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    try:
        with pytest.raises(error):
            LiveDoor().run_live(sleeper, 600) if live else run_command(sleeper, 600)
        assert len(started) == 1
        assert started[0].returncode == -signal.SIGKILL, "the child kept running after the signal"
    finally:
        kill_quietly([proc.pid for proc in started if proc.returncode is None])


@posix_only
def test_ctrl_c_while_a_command_fails_to_start_is_not_lost(stop_handlers, monkeypatch, tmp_path):
    """The interrupt that came while a command was being started still ends the run when it did not start."""
    def missing_after_ctrl_c(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        raise FileNotFoundError(2, "No such file or directory", args[0][0])

    monkeypatch.setattr(stop_handlers.subprocess, "Popen", missing_after_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        run_command([str(tmp_path / "missing")], 600)


# ---------------------------------------------------------------------------- files


def in_thread(func, *args):
    """Call func in a thread and return (or raise) what it did; a hang fails after 30 s instead of
    stopping the test run."""
    box = {}

    def target():
        try:
            box["value"] = func(*args)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), f"{func.__name__}{args} hung"
    if "error" in box:
        raise box["error"]
    return box["value"]


@posix_only
def test_live_door_refuses_fifos_and_devices_without_hanging(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    live = LiveDoor()
    assert in_thread(live.read_file, str(fifo)) == door.FileRead(None, "a FIFO, not a regular file")
    assert in_thread(live.read_text, "/dev/zero") is None
    assert in_thread(live.read_file, "/dev/zero").problem == "a character device, not a regular file"
    assert live.read_file(str(tmp_path)).problem == "a directory, not a regular file"
    assert live.read_file(str(tmp_path / "missing")).problem == "no such file"


def test_live_door_reads_proc_files_and_follows_the_machine_s_own_symlinks(tmp_path):
    (tmp_path / "real.txt").write_text("ID=debian\n")
    (tmp_path / "os-release").symlink_to("real.txt")  # as /etc/os-release is on Debian and Ubuntu
    assert LiveDoor().read_text(str(tmp_path / "os-release")) == "ID=debian\n"
    if sys.platform.startswith("linux"):
        assert "Name:" in LiveDoor().read_text("/proc/self/status")


def test_live_door_reads_a_huge_file_up_to_the_limit(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"a" * (door.READ_LIMIT + 10))
    read = LiveDoor().read_file(str(big))
    assert read.text == "a" * door.READ_LIMIT and read.problem == f"truncated at {door.READ_LIMIT} bytes"


def test_read_user_file_reads_utf8_and_drops_a_bom(tmp_path):
    report = tmp_path / "report.json"
    report.write_bytes(b'\xef\xbb\xbf{"ok": true}')
    assert read_user_file(str(report), 100) == '{"ok": true}'


def user_file_cases(tmp_path):
    (tmp_path / "real.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    (tmp_path / "big.json").write_text("x" * 101)
    (tmp_path / "latin1.json").write_bytes(b'{"name": "caf\xe9"}')
    cases = {
        "missing.json": "no such file",
        "link.json": "a symbolic link",
        "big.json": "larger than 100 bytes",
        "latin1.json": "not UTF-8 text",
        ".": "a directory",
    }
    if os.name == "posix":
        os.mkfifo(tmp_path / "fifo.json")
        cases["fifo.json"] = "a FIFO"
    return cases


def test_read_user_file_refuses_what_is_not_a_small_regular_utf8_file(tmp_path):
    for name, problem in user_file_cases(tmp_path).items():
        path = str(tmp_path / name)
        with pytest.raises(UserFileError) as caught:
            in_thread(read_user_file, path, 100)
        assert str(caught.value).startswith(f"{path}: ") and problem in str(caught.value), (name, str(caught.value))


@posix_only
def test_read_user_file_refuses_dev_zero_at_once():
    with pytest.raises(UserFileError, match="/dev/zero: a character device"):
        in_thread(read_user_file, "/dev/zero", 1 << 30)


# ---------------------------------------------------------------------------- platform facts


@posix_only
def test_platform_facts_start_no_process_even_with_a_hanging_uname_on_path(tmp_path):
    fake_tool(tmp_path, "uname", "exec sleep 600\n", "/bin/sh")
    env = child_env(PATH=f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    # the fake is effective: the standard library's processor lookup runs it and hangs
    hung = subprocess.Popen([sys.executable, "-c", "import platform; platform.uname().processor"], env=env,
                            start_new_session=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            hung.wait(2.0)
    finally:
        os.killpg(hung.pid, signal.SIGKILL)
        hung.wait()
    script = ("from envdoctor.door import LiveDoor\n"
              "p = LiveDoor().platform()\n"
              "print(p.system, p.machine, repr(p.processor))\n")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60,
                            start_new_session=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [os.uname().sysname, os.uname().machine, "''"]
