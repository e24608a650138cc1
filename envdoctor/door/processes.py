"""Running children: one deadline, bounded output, nothing left running.

Children never outlive the call that started them. Each runs in its own session (process group);
its output is read with one deadline and kept up to a byte limit (``CommandResult.truncated`` says
when more came). Reading stops at the child's own exit, after a short grace, even when a grandchild
still holds the pipes. Then whatever it left behind is killed: its process group, every descendant
seen while it ran (psutil, polled with a growing interval; on Linux imported the first time a child
has children) and, on Linux, any process still holding one of its pipes (found through ``/proc/*/fd``:
a grandchild that called setsid). A timeout or a KeyboardInterrupt ends the whole tree the same way
(SIGTERM, then SIGKILL). The process group is signalled before the child is reaped, so its id cannot
have been reused.
"""

from __future__ import annotations

import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from envdoctor.door.types import (
    CHANNEL_LIMIT,
    EXIT_GRACE,
    KILL_GRACE,
    OUTPUT_LIMIT,
    ChannelResult,
    CommandResult,
    _decode,
)
from envdoctor.i18n import _


class _Sink:
    """One output stream, bounded: its first ``limit`` bytes (or its last, with ``tail``)."""

    def __init__(self, limit: int, tail: bool = False, listener: Callable[[bytes], None] | None = None) -> None:
        self.limit = max(0, int(limit))
        self.tail = tail
        self.data = bytearray()
        self.truncated = False
        self.listener = listener  # sees each chunk as it arrives (a live progress display)

    def add(self, chunk: bytes) -> None:
        if self.listener is not None:
            self.listener(chunk)
        if self.tail:
            self.data += chunk
            if len(self.data) > self.limit:
                self.truncated = True
                if len(self.data) > 2 * self.limit + 65536:  # trim now and then, not on every chunk
                    del self.data[: len(self.data) - self.limit]
            return
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        if len(chunk) > room:
            self.truncated = True

    def value(self) -> bytes:
        return bytes(self.data[-self.limit:] if self.tail and self.limit else self.data[: self.limit])


def _pipe_holders(fds: Sequence[int]) -> list:
    """Other processes holding one of these pipes open (Linux ``/proc/*/fd``): a grandchild that
    called setsid escapes the process group, yet still holds the pipe it inherited."""
    if not sys.platform.startswith("linux") or not fds:
        return []
    links = set()
    for fd in fds:
        try:
            links.add(f"pipe:[{os.fstat(fd).st_ino}]")
        except OSError:
            continue
    found = []
    me = os.getpid()
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []
    for pid in pids:
        if pid == me:
            continue
        fd_dir = f"/proc/{pid}/fd"
        try:
            entries = os.listdir(fd_dir)
        except OSError:
            continue
        for entry in entries:
            try:
                held = os.readlink(f"{fd_dir}/{entry}") in links
            except OSError:
                continue
            if held:
                psutil = _psutil()
                try:
                    found.append(psutil.Process(pid))
                except psutil.Error:
                    pass
                break
    return found


_PSUTIL: list[Any] = []  # [the psutil module], once a process tree had to be walked


def _psutil() -> Any:
    """psutil, imported the first time a process tree must be walked: on Linux most commands start no
    process (:func:`_has_children` tells), and ``check`` does not pay about 10 ms for the import."""
    if not _PSUTIL:
        import psutil

        _PSUTIL.append(psutil)
    return _PSUTIL[0]


if not sys.platform.startswith("linux"):  # no /proc to tell who has children: every look walks the tree,
    _psutil()  # and a stopping signal's handler (which imports nothing) must find psutil ready


_CHILDREN_FILES: list[bool] = []  # [whether this kernel lists children in /proc/PID/task/TID/children], once asked


def _has_children(pid: int) -> bool | None:
    """Linux: whether a process has any child right now, from ``/proc/PID/task/*/children``; None
    where the kernel does not say. Most commands start none, and the answer spares importing psutil
    and walking every process of the machine."""
    if not _CHILDREN_FILES:
        _CHILDREN_FILES.append(sys.platform.startswith("linux")
                               and os.path.exists(f"/proc/self/task/{threading.get_native_id()}/children"))
    if not _CHILDREN_FILES[0]:
        return None
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as listing:
                if listing.read(64).strip():
                    return True
        except OSError:  # the thread ended meanwhile
            continue
    return False


class _Child:
    """A running child and every process it started that was seen, so that all of them can be ended."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.seen: dict[int, Any] = {}  # pid -> psutil.Process (which refuses to signal a reused pid)
        self.lock = threading.RLock()  # reentrant: a signal handler may stop the child mid-call
        self.reaped = False
        self.next_look = time.monotonic() + 0.05
        self.look_every = 0.05
        self.readers: list[threading.Thread] = []  # Windows: the threads reading its pipes

    def exited(self) -> bool:
        """Whether the child has exited, without reaping it where the OS allows (its pid stays reserved)."""
        if self.proc.returncode is not None:
            return True
        if hasattr(os, "waitid") and os.name == "posix":
            try:
                return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
            except ChildProcessError:
                return True
        return self.proc.poll() is not None

    def look(self) -> None:
        """Remember the child's current descendants (they are reparented once it exits)."""
        if _has_children(self.proc.pid) is False:
            return
        psutil = _psutil()
        try:
            for process in psutil.Process(self.proc.pid).children(recursive=True):
                self.seen.setdefault(process.pid, process)
        except psutil.Error:
            pass

    def maybe_look(self, now: float) -> None:
        if now >= self.next_look:
            self.look()
            self.look_every = min(1.0, self.look_every * 2)
            self.next_look = now + self.look_every

    def signal_all(self, number: int, pipes: Sequence[int] = ()) -> None:
        """Send a signal to the child's process group, every descendant seen and the holders of ``pipes``."""
        with self.lock:
            if self.reaped:
                return
            if os.name == "posix":
                try:
                    os.killpg(self.proc.pid, number)
                except OSError:
                    pass
            elif self.proc.returncode is None:
                try:
                    self.proc.kill()
                except OSError:
                    pass
            targets = [*self.seen.values(), *_pipe_holders(pipes)]
            if not targets:
                return
            psutil = _psutil()  # imported already: every target is a psutil.Process
            for process in targets:
                try:
                    process.send_signal(number)
                except (psutil.Error, OSError, ValueError):
                    pass

    def wait_exit(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        pause = 0.002
        while not self.exited():
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(0.05, pause * 2)
        return True

    def end(self, pipes: Sequence[int] = ()) -> None:
        """Stop the child (SIGTERM, then SIGKILL) and kill what it left behind, then reap it."""
        if not self.exited():
            self.look()
            self.signal_all(signal.SIGTERM)
            self.wait_exit(KILL_GRACE)
        if os.name == "posix":
            self.signal_all(signal.SIGKILL, pipes)
        else:
            self.signal_all(signal.SIGTERM, pipes)  # psutil's SIGTERM on Windows is TerminateProcess
        self.reap()

    def reap(self) -> None:
        with self.lock:
            try:
                self.proc.wait(timeout=KILL_GRACE + 1.0)
            except subprocess.TimeoutExpired:  # unkillable (stuck in the kernel): leave it to init
                pass
            self.reaped = True


_RUNNING: set[_Child] = set()
_RUNNING_LOCK = threading.RLock()  # reentrant: the signal handler takes it in whatever thread it interrupts
_STOPPING = threading.Event()  # set by a stopping signal: no new command starts
_SUBREAPER: list[bool] = []  # [whether envdoctor is the subreaper of its children's orphans], once asked
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
#: Set in every child's environment to envdoctor's pid: what its orphans are told apart by.
DOOR_PARENT_VARIABLE = "ENVDOCTOR_DOOR_PARENT"
#: The signals that end envdoctor with every child it started; each exits 128 + its number.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name))


class Stopped(BaseException):
    """A signal (SIGTERM, SIGHUP, SIGQUIT) ended the run; every command the door started is already stopped.

    A BaseException, as KeyboardInterrupt is: nothing on the way up may swallow it.
    """

    def __init__(self, number: int) -> None:
        super().__init__(signal.Signals(number).name)
        self.number = number


def _become_subreaper() -> bool:
    """Linux: make envdoctor the parent of its children's orphans (``PR_SET_CHILD_SUBREAPER``).

    A daemon that double-forks and closes its file descriptors leaves no pipe and no process-group
    trace; as a subreaper, envdoctor still sees it as a child of its own and can end it.
    """
    if not _SUBREAPER:
        answer = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                libc = ctypes.CDLL(None, use_errno=True)
                answer = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            except (OSError, AttributeError):
                answer = False
        _SUBREAPER.append(answer)
    return _SUBREAPER[0]


def _sweep_orphans() -> None:
    """Kill and reap the processes reparented to envdoctor (it is their subreaper) once no command runs.

    Orphans are told from anything else envdoctor's process started by the variable every door child
    inherits (``/proc/PID/environ`` keeps it even when the process clears its environment later).
    """
    if not (_SUBREAPER and _SUBREAPER[0]):
        return
    me = str(os.getpid())
    with _RUNNING_LOCK:
        # an orphan is reparented to envdoctor itself: no child at all means none to sweep
        if _RUNNING or _has_children(os.getpid()) is False:
            return
        psutil = _psutil()
        try:
            children = psutil.Process().children(recursive=True)
        except psutil.Error:
            return
        orphans = []
        for process in children:
            try:
                if process.environ().get(DOOR_PARENT_VARIABLE) == me:
                    orphans.append(process)
            except psutil.Error:
                continue
        for process in orphans:
            try:
                process.kill()
            except psutil.Error:
                pass
    for process in orphans:
        try:
            process.wait(KILL_GRACE)
        except (psutil.Error, subprocess.TimeoutExpired):  # psutil.TimeoutExpired is a psutil.Error
            pass


def stop_all_commands() -> None:
    """Kill every command the door is running in any thread, with what it started.

    For a KeyboardInterrupt in the main thread while probe threads wait on their commands: each of
    those calls then returns at once instead of at its timeout.
    """
    with _RUNNING_LOCK:
        children = list(_RUNNING)
    for child in children:
        # a signal handler imports nothing (the import it interrupted could be one psutil needs): before
        # psutil's first use, the process groups only, and each command's own clean-up does the rest
        if _PSUTIL:
            child.look()
        child.signal_all(signal.SIGKILL if os.name == "posix" else signal.SIGTERM)


#: The longest one wait of envdoctor's sleeps. A stopping signal the kernel hands to another thread
#: only sets Python's flag; its handler runs when the main thread next wakes, so a join without a
#: timeout would wait out a hung command before the signal is seen.
WAKE_EVERY = 0.05


def join_thread(thread: threading.Thread) -> None:
    """Wait for ``thread`` to end, waking every :data:`WAKE_EVERY` seconds for a stopping signal."""
    while thread.is_alive():
        thread.join(WAKE_EVERY)


def _stopping_error(number: int) -> BaseException:
    return KeyboardInterrupt() if number == signal.SIGINT else Stopped(number)


class _HeldSignals(threading.local):
    """While a thread starts a child: the stopping signal that came meanwhile (the handler runs in the
    main thread, so only the main thread's values are ever read)."""

    depth = 0
    number: int | None = None


_HELD = _HeldSignals()


class _StartingChild:
    """Hold the stopping signals' exception while a child starts, then raise it once the child is known.

    Raised inside ``subprocess.Popen`` (after the fork, before the pid is kept) or before the child is
    in ``_RUNNING``, it would leave a running child that nothing can end; the child then outlives
    envdoctor, holding whatever output it inherited (a live installer holds envdoctor's stderr).
    """

    def __enter__(self) -> None:
        _HELD.depth += 1

    def __exit__(self, *exc: object) -> None:
        _HELD.depth -= 1
        if _HELD.depth == 0 and _HELD.number is not None:
            number, _HELD.number = _HELD.number, None
            stop_all_commands()  # the child that just started, as the handler would have
            raise _stopping_error(number)


def _stop_on_signal(number: int, frame: Any) -> None:
    """Stop every child now, refuse new ones, and end the run: KeyboardInterrupt for SIGINT, else Stopped.

    Only the first signal raises; a second one during the clean-up only kills again. While the main
    thread starts a child, the exception waits until that child can be ended with the rest.
    """
    first = not _STOPPING.is_set()
    _STOPPING.set()
    stop_all_commands()
    if first:
        if _HELD.depth:
            _HELD.number = number
            return
        raise _stopping_error(number)


def stop_on_signals() -> None:
    """Make SIGINT, SIGTERM, SIGHUP and SIGQUIT stop every child at once and end the run (main thread only).

    CI cancellation, ``timeout`` and pod termination send SIGTERM; a closed terminal SIGHUP.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for number in STOP_SIGNALS:
        try:
            signal.signal(number, _stop_on_signal)
        except (OSError, ValueError):
            pass


def _read_ready(fd: int, sink: _Sink) -> bool:
    """Read what is there; False at end of file."""
    try:
        chunk = os.read(fd, 65536)
    except (BlockingIOError, InterruptedError):
        return True
    except OSError:
        return False
    if not chunk:
        return False
    sink.add(chunk)
    return True


def _drain(sinks: Mapping[int, _Sink]) -> None:
    """What is still buffered in the pipes once every writer is gone (never blocks)."""
    for fd, sink in sinks.items():
        for _read in range(64):
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            sink.add(chunk)


def _pump_select(child: _Child, sinks: Mapping[int, _Sink], deadline: float) -> tuple[bool, set[int]]:
    """Read the pipes until the child exits (plus EXIT_GRACE) or the deadline; (exited, pipes still open)."""
    selector = selectors.DefaultSelector()
    pidfd = None
    open_fds = set(sinks)
    try:
        for fd in sinks:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        if hasattr(os, "pidfd_open"):
            try:
                pidfd = os.pidfd_open(child.proc.pid)
                selector.register(pidfd, selectors.EVENT_READ)
            except OSError:
                pidfd = None
        exited_at = None
        pause = 0.002
        while True:
            now = time.monotonic()
            if exited_at is None and child.exited():
                exited_at = now
            if exited_at is not None and (not open_fds or now >= exited_at + EXIT_GRACE):
                return True, open_fds
            if now >= deadline:
                return exited_at is not None, open_fds
            until = deadline if exited_at is None else min(deadline, exited_at + EXIT_GRACE)
            if exited_at is None:
                child.maybe_look(now)
                until = min(until, child.next_look)
                if pidfd is None:  # no exit notification: poll, more slowly as time goes on
                    until = min(until, now + pause)
                    pause = min(0.05, pause * 2)
            for key, _events in selector.select(max(0.0, until - now)):
                if key.fd == pidfd:
                    selector.unregister(pidfd)
                elif not _read_ready(key.fd, sinks[key.fd]):
                    selector.unregister(key.fd)
                    open_fds.discard(key.fd)
    finally:
        selector.close()
        if pidfd is not None:
            os.close(pidfd)


def _pump_threads(child: _Child, sinks: Mapping[int, _Sink], deadline: float) -> tuple[bool, set[int]]:
    """Windows: pipes cannot be selected there, so a thread reads each one."""

    def read_all(fd: int, sink: _Sink) -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            sink.add(chunk)

    readers = {fd: threading.Thread(target=read_all, args=(fd, sink), daemon=True) for fd, sink in sinks.items()}
    child.readers = list(readers.values())
    for reader in child.readers:
        reader.start()
    while not child.exited():
        now = time.monotonic()
        if now >= deadline:
            return False, {fd for fd, reader in readers.items() if reader.is_alive()}
        child.maybe_look(now)
        try:
            child.proc.wait(timeout=max(0.0, min(deadline, child.next_look) - now))
        except subprocess.TimeoutExpired:
            pass
    grace_end = time.monotonic() + EXIT_GRACE
    for reader in readers.values():
        reader.join(max(0.0, grace_end - time.monotonic()))
    return True, {fd for fd, reader in readers.items() if reader.is_alive()}


def _valid_timeout(timeout: Any) -> bool:
    return isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and math.isfinite(timeout) and timeout > 0


def _run(
    argv: tuple[str, ...],
    timeout: float,
    *,
    capture: bool = True,
    limit: int = OUTPUT_LIMIT,
    tail: bool = False,
    stdin_for: Callable[[int], bytes] | None = None,
    channel_limit: int = CHANNEL_LIMIT,
    on_channel: Callable[[bytes], None] | None = None,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ChannelResult:
    """Start argv and see it through: bounded output, one deadline, nothing left running.

    With ``stdin_for`` the child also gets a private channel (see :meth:`Door.run_with_channel`).
    """
    start = time.monotonic()
    if not _valid_timeout(timeout):
        return ChannelResult(CommandResult(argv, "error", error=_(
            "invalid timeout {timeout!r}: it must be a finite number of seconds above 0", timeout=timeout)))
    if _STOPPING.is_set():
        return ChannelResult(CommandResult(argv, "error", error=_("not started: envdoctor is stopping")))
    deadline = start + timeout
    _become_subreaper()
    child_env = dict(os.environ if env is None else env)
    child_env[DOOR_PARENT_VARIABLE] = str(os.getpid())
    kwargs: dict[str, Any] = {"cwd": cwd, "env": child_env, "stdin": subprocess.DEVNULL}
    if os.name == "posix":
        kwargs["start_new_session"] = True
    else:
        kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    to_close: list[int] = []
    channel_read = None
    try:
        if stdin_for is not None:
            channel_read, channel_write = os.pipe()
            to_close += [channel_read, channel_write]
            token = channel_write
            if sys.platform != "win32":
                kwargs["pass_fds"] = (channel_write,)
            else:
                import msvcrt

                token = msvcrt.get_osfhandle(channel_write)
                os.set_handle_inheritable(token, True)
                info = subprocess.STARTUPINFO()
                info.lpAttributeList = {"handle_list": [token]}
                kwargs["startupinfo"] = info
            message = stdin_for(token)
            if len(message) > 4096:  # written before the child starts, so it must fit in the pipe
                raise ValueError("the stdin message is over 4096 bytes")
            stdin_read, stdin_write = os.pipe()
            to_close += [stdin_read, stdin_write]
            os.write(stdin_write, message)
            os.close(stdin_write)
            to_close.remove(stdin_write)
            kwargs["stdin"] = stdin_read
        child: _Child | None = None
        sinks: dict[int, _Sink] = {}
        try:
            # started and registered in one step: neither the orphan sweep nor a stopping signal comes between
            with _StartingChild(), _RUNNING_LOCK:
                try:
                    proc = subprocess.Popen(
                        argv,
                        stdout=subprocess.PIPE if capture else 2,
                        stderr=subprocess.PIPE if capture else None,
                        **kwargs,
                    )
                except FileNotFoundError:
                    return ChannelResult(CommandResult(argv, "not_found", duration_s=time.monotonic() - start))
                except (OSError, ValueError) as exc:
                    return ChannelResult(CommandResult(argv, "error", duration_s=time.monotonic() - start,
                                                       error=str(exc)))
                child = _Child(proc)
                _RUNNING.add(child)
            for fd in list(to_close):
                if fd != channel_read:
                    os.close(fd)
                    to_close.remove(fd)
            if _STOPPING.is_set():  # a signal came while it started: it goes at once
                child.signal_all(signal.SIGKILL if os.name == "posix" else signal.SIGTERM)
            out, err, sent = _Sink(limit, tail), _Sink(limit, tail), _Sink(channel_limit, listener=on_channel)
            if capture and proc.stdout is not None and proc.stderr is not None:
                sinks[proc.stdout.fileno()] = out
                sinks[proc.stderr.fileno()] = err
            if channel_read is not None:
                sinks[channel_read] = sent
            pump = _pump_select if os.name == "posix" else _pump_threads
            exited, still_open = pump(child, sinks, deadline)
            child.end(sorted(still_open))
            if os.name == "posix":
                _drain(sinks)
            for reader in child.readers:  # their writers are gone: each ends at end of file
                reader.join(KILL_GRACE)
        except BaseException:  # KeyboardInterrupt included: nothing keeps running after envdoctor
            if child is not None:
                child.end(list(sinks))
            raise
        finally:
            if child is not None:
                with _RUNNING_LOCK:
                    _RUNNING.discard(child)
                _sweep_orphans()
                for handle in (child.proc.stdout, child.proc.stderr):
                    if handle is not None:
                        handle.close()
    finally:
        for fd in to_close:
            os.close(fd)
    result = CommandResult(
        argv,
        "ok" if exited else "timed_out",
        proc.returncode if exited else None,
        _decode(out.value()),
        _decode(err.value()),
        time.monotonic() - start,
        truncated=out.truncated or err.truncated,
    )
    return ChannelResult(result, sent.value(), sent.truncated)


def run_command(argv: Sequence[str], timeout: float, capture: bool = True, *, limit: int = OUTPUT_LIMIT,
                env: Mapping[str, str] | None = None) -> CommandResult:
    """Run argv (never through a shell) and always come back within about ``timeout`` seconds.

    At most ``limit`` bytes of each stream are kept (the start; ``truncated`` says more came). With
    ``capture=False`` the child writes to envdoctor's stderr as it goes (stdout stays free for a
    JSON document). On a timeout, the output read so far is kept. ``env``: the child's whole environment
    (None: envdoctor's own).
    """
    return _run(tuple(str(a) for a in argv), timeout, capture=capture, limit=limit, env=env).result


def run_with_channel(
    argv: Sequence[str],
    timeout: float,
    stdin_for: Callable[[int], bytes],
    *,
    limit: int = 64 * 1024,
    channel_limit: int = CHANNEL_LIMIT,
    on_channel: Callable[[bytes], None] | None = None,
) -> ChannelResult:
    """Run argv with a private pipe (see :meth:`Door.run_with_channel`) in a fresh, empty directory.

    The child's working directory is a new temporary folder, so nothing there can shadow an import;
    relative entries of PYTHONPATH and a relative argv[0] are made absolute first, so the child still
    finds what it would from here. stdout and stderr keep their last ``limit`` bytes.
    """
    argv = tuple(str(a) for a in argv)
    if argv and not os.path.isabs(argv[0]) and (os.sep in argv[0] or (os.altsep or os.sep) in argv[0]):
        argv = (os.path.abspath(argv[0]), *argv[1:])
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(entry) if entry and not os.path.isabs(entry) else entry
            for entry in env["PYTHONPATH"].split(os.pathsep)
        )
    folder = tempfile.mkdtemp(prefix="envdoctor-")
    try:
        return _run(argv, timeout, limit=limit, tail=True, stdin_for=stdin_for, channel_limit=channel_limit,
                    on_channel=on_channel, cwd=folder, env=env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

