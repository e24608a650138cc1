"""The one door to the machine.

Every probe reaches the machine only through a :class:`Door`: run a command with a timeout, read a
file, list a directory, test a path, read the environment, find an executable, ask NVML, read
platform facts. :class:`LiveDoor` is the real machine, :class:`RecordedDoor` replays a machine
folder (tests, bug reports) and :class:`RecordingDoor` wraps a live door and writes such a folder.

Children never outlive the call that started them. Each runs in its own session (process group);
its output is read with one deadline and kept up to a byte limit (``CommandResult.truncated`` says
when more came). Reading stops at the child's own exit, after a short grace, even when a grandchild
still holds the pipes. Then whatever it left behind is killed: its process group, every descendant
seen while it ran (psutil, polled with a growing interval) and, on Linux, any process still holding
one of its pipes (found through ``/proc/*/fd``: a grandchild that called setsid). A timeout or a
KeyboardInterrupt ends the whole tree the same way (SIGTERM, then SIGKILL). The process group is
signalled before the child is reaped, so its id cannot have been reused.

Machine folder layout (``machine.json`` plus ``files/``)::

    machine.json  {"format": "envdoctor.machine/1", "platform": {...}, "env": {...},
                   "which": {"nvidia-smi": "/usr/bin/nvidia-smi"},
                   "commands": [{"argv": [...], "status": "ok", "returncode": 0,
                                 "stdout": "..." | "stdout_file": "commands/x.txt",
                                 "stderr": "..." | "stderr_file": "...", "duration_s": 0.05,
                                 "truncated": false}],
                   "dirs": {"/usr/local": ["cuda", "cuda-12.4"]},
                   "exists": ["/dev/dxg"],
                   "nvml": {"status": "ok", "data": {...}} | {"status": "not_found", "error": "..."},
                   "disk_space": {"/dev/shm": {"total_bytes": 67108864, "free_bytes": 67108864}},
                   "target_python": "/home/dev/venv/bin/python" | null,
                   "recorded_files": ["commands/00-python.stdout", "files/proc/cpuinfo", ...]}
    files/        the files that were read, at their absolute path below files/ (files/proc/...;
                  a Windows path C:\\a\\b at files/C/a/b): see :func:`recorded_file_path`

A folder may come from someone else, so :class:`RecordedDoor` checks all of it when it opens: every
field's type, regular files only (no symlinks, FIFOs or devices anywhere in the folder), sizes
bounded, every referenced file present. Anything else is a :class:`MachineFolderError` naming the
entry. ``target_python`` is the interpreter a recording was made for (``--python``);
``recorded_files`` lists what the recording wrote, so a later ``--force`` removes only that.

A command argument that holds a script (a newline, or longer than 200 characters) is matched by its
first line when that line is a ``# envdoctor:NAME`` marker, so fixtures stay valid when a script
changes.
"""

from __future__ import annotations

import json
import math
import ntpath
import os
import platform
import posixpath
import re
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from envdoctor.redact import redact_data, redact_env, redact_text

MACHINE_FORMAT = "envdoctor.machine/1"
READ_LIMIT = 4 * 1024 * 1024  # bytes of one file the door reads
OUTPUT_LIMIT = 8 * 1024 * 1024  # bytes kept of each output stream of a command
CHANNEL_LIMIT = 8 * 1024 * 1024  # bytes kept of what a child writes to its private channel
EXIT_GRACE = 0.5  # seconds a child's pipes may stay open after it exited (a grandchild holding them)
KILL_GRACE = 0.5  # seconds between SIGTERM and SIGKILL
MANIFEST_LIMIT = 32 * 1024 * 1024  # machine.json
FOLDER_FILE_LIMIT = 16 * 1024 * 1024  # any other file of a machine folder
FOLDER_TOTAL_LIMIT = 256 * 1024 * 1024
FOLDER_ENTRY_LIMIT = 20_000
JSON_DEPTH_LIMIT = 64
COMMAND_STATUSES = ("ok", "not_found", "timed_out", "error")
HTTP_LIMIT = 256 * 1024  # bytes of an HTTP answer kept (an index page)
HTTP_REDIRECTS = 5
#: What an HTTP request came to: an answer (see ``code``), or why there was none.
HTTP_STATUSES = ("answered", "refused", "unreachable", "timed_out", "tls", "error")
NVML_STATUSES = ("ok", "not_found", "error", "timed_out")


@dataclass(frozen=True)
class CommandResult:
    """What running one command gave. ``status`` says whether it ran at all."""

    argv: tuple[str, ...]
    status: str  # "ok" (it ran; see returncode) | "not_found" | "timed_out" | "error"
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    error: str = ""
    truncated: bool = False  # stdout or stderr went past the byte limit; only part of it is kept

    @property
    def succeeded(self) -> bool:
        return self.status == "ok" and self.returncode == 0

    def describe(self) -> str:
        """One line for a report: what went wrong, or 'ok'."""
        if self.status == "ok":
            if self.returncode == 0:
                return "ok"
            first = (self.stderr.strip() or self.stdout.strip()).splitlines()
            return f"exit code {self.returncode}" + (f": {first[0][:200]}" if first else "")
        if self.status == "timed_out":
            return f"timed out after {self.duration_s:.1f} s"
        if self.status == "not_found":
            return "not found"
        return self.error or "error"


@dataclass(frozen=True)
class HttpResult:
    """One bounded HTTP request: ``answered`` with a status ``code`` (4xx and 5xx too), or why not."""

    url: str
    status: str  # one of HTTP_STATUSES; "refused": the URL guard refused it (or a redirect) unfetched
    code: int | None = None
    final_url: str = ""
    body: bytes = b""
    error: str = ""
    duration_s: float = 0.0
    content_type: str = ""  # the answer's Content-Type, lowercased, without parameters
    content_range: str = ""  # the answer's Content-Range (a ranged request answered with 206)
    truncated: bool = False  # the body was longer than ``limit``: only its start is kept


@dataclass(frozen=True)
class ChannelResult:
    """A command run with a private channel: its result (stdout/stderr are tails) and what it sent."""

    result: CommandResult
    channel: bytes = b""
    channel_truncated: bool = False


@dataclass(frozen=True)
class FileRead:
    """A file's text, or None and why not ("not found", "a FIFO, not a regular file", ...)."""

    text: str | None
    problem: str = ""  # why text is None; "truncated at N bytes" when only the start was read


@dataclass(frozen=True)
class NvmlResult:
    """What NVML said: ``data`` holds the raw values read through pynvml (see LiveDoor.nvml)."""

    status: str  # "ok" | "not_found" (library missing) | "error" | "timed_out"
    data: dict | None = None
    error: str = ""


@dataclass(frozen=True)
class DiskSpace:
    """What ``statvfs`` says of the filesystem holding a path (``/dev/shm``): its size and what is free."""

    total_bytes: int
    free_bytes: int  # available to an unprivileged process (f_bavail)


@dataclass(frozen=True)
class PlatformInfo:
    """Facts Python's own runtime knows about the machine envdoctor runs on."""

    system: str  # platform.system(): Linux, Darwin, Windows
    machine: str  # platform.machine(): x86_64, aarch64, arm64, AMD64
    release: str = ""  # kernel release / OS release
    version: str = ""  # platform.version()
    python_executable: str = ""
    mac_ver: str = ""
    win_ver: str = ""  # platform.win32_ver()[1], e.g. 10.0.22631
    win_edition: str = ""
    glibc: str = ""  # os.confstr("CS_GNU_LIBC_VERSION") without the "glibc " prefix
    cpu_count_logical: int | None = None
    cpu_count_physical: int | None = None
    memory_total_bytes: int | None = None
    processor: str = ""  # Windows only: platform.processor(); elsewhere it would run `uname -p`


class Door:
    """The interface every probe uses. Subclasses implement each method."""

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        raise NotImplementedError

    def run_live(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Run a command whose output goes straight to the user (an installer); output is not kept."""
        raise NotImplementedError

    def run_with_channel(
        self, argv: Sequence[str], timeout: float, stdin_for: Callable[[int], bytes]
    ) -> ChannelResult:
        """Run argv with a private pipe the child reports on; stdout and stderr are noise, kept as tails.

        ``stdin_for(channel)`` gives the bytes written to the child's stdin (then closed), where
        ``channel`` is the number the child opens the pipe's write end by: a file descriptor, or a
        handle on Windows (``msvcrt.open_osfhandle``). Neither argv nor the environment carries it.
        """
        raise NotImplementedError

    def read_file(self, path: str) -> FileRead:
        """A regular file's text (undecodable bytes replaced), bounded; or None and why."""
        raise NotImplementedError

    def read_text(self, path: str) -> str | None:
        """The file's text (undecodable bytes replaced), or None when it cannot be read."""
        return self.read_file(path).text

    def listdir(self, path: str) -> list[str] | None:
        """Sorted entry names, or None when the directory cannot be listed."""
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def env(self) -> Mapping[str, str]:
        raise NotImplementedError

    def which(self, name: str) -> str | None:
        raise NotImplementedError

    def platform(self) -> PlatformInfo:
        raise NotImplementedError

    def python_executable(self) -> str:
        """The default target interpreter; cheaper than platform(), which also asks psutil."""
        return self.platform().python_executable

    def nvml(self, timeout: float) -> NvmlResult:
        raise NotImplementedError

    def disk_space(self, path: str) -> DiskSpace | None:
        """Size and free space of the filesystem holding ``path``; None when it cannot be asked (no such
        path, not POSIX)."""
        raise NotImplementedError

    def http_get(self, url: str, timeout: float, limit: int = HTTP_LIMIT, *, accept: str = "text/html",
                 byte_range: str | None = None) -> HttpResult:
        """GET ``url`` (https, or http to the loopback interface only; every redirect is judged the same
        way) within ``timeout`` seconds, keeping at most ``limit`` bytes of the body. ``byte_range`` asks
        for part of a file (``"-65536"``: its last 64 KiB; ``"100-199"``), as pip reads a wheel's METADATA."""
        raise NotImplementedError


def _decode(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------- running children


class _Sink:
    """One output stream, bounded: its first ``limit`` bytes (or its last, with ``tail``)."""

    def __init__(self, limit: int, tail: bool = False) -> None:
        self.limit = max(0, int(limit))
        self.tail = tail
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk: bytes) -> None:
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
    import psutil

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
                try:
                    found.append(psutil.Process(pid))
                except psutil.Error:
                    pass
                break
    return found


class _Child:
    """A running child and every process it started that was seen, so that all of them can be ended."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.seen: dict[int, Any] = {}  # pid -> psutil.Process (which refuses to signal a reused pid)
        self.lock = threading.Lock()
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
        import psutil

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
        import psutil

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
            for process in [*self.seen.values(), *_pipe_holders(pipes)]:
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
_RUNNING_LOCK = threading.Lock()


def stop_all_commands() -> None:
    """Kill every command the door is running in any thread, with what it started.

    For a KeyboardInterrupt in the main thread while probe threads wait on their commands: each of
    those calls then returns at once instead of at its timeout.
    """
    with _RUNNING_LOCK:
        children = list(_RUNNING)
    for child in children:
        child.look()
        child.signal_all(signal.SIGKILL if os.name == "posix" else signal.SIGTERM)


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
        for _ in range(64):
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
            for key, _ in selector.select(max(0.0, until - now)):
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
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ChannelResult:
    """Start argv and see it through: bounded output, one deadline, nothing left running.

    With ``stdin_for`` the child also gets a private channel (see :meth:`Door.run_with_channel`).
    """
    start = time.monotonic()
    if not _valid_timeout(timeout):
        return ChannelResult(CommandResult(argv, "error", error=f"invalid timeout {timeout!r}: "
                                                                "it must be a finite number of seconds above 0"))
    deadline = start + timeout
    kwargs: dict[str, Any] = {"cwd": cwd, "env": None if env is None else dict(env), "stdin": subprocess.DEVNULL}
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
            return ChannelResult(CommandResult(argv, "error", duration_s=time.monotonic() - start, error=str(exc)))
        for fd in list(to_close):
            if fd != channel_read:
                os.close(fd)
                to_close.remove(fd)
        child = _Child(proc)
        with _RUNNING_LOCK:
            _RUNNING.add(child)
        out, err, sent = _Sink(limit, tail), _Sink(limit, tail), _Sink(channel_limit)
        sinks: dict[int, _Sink] = {}
        if capture and proc.stdout is not None and proc.stderr is not None:
            sinks[proc.stdout.fileno()] = out
            sinks[proc.stderr.fileno()] = err
        if channel_read is not None:
            sinks[channel_read] = sent
        try:
            pump = _pump_select if os.name == "posix" else _pump_threads
            exited, still_open = pump(child, sinks, deadline)
            child.end(sorted(still_open))
            if os.name == "posix":
                _drain(sinks)
            for reader in child.readers:  # their writers are gone: each ends at end of file
                reader.join(KILL_GRACE)
        except BaseException:  # KeyboardInterrupt included: nothing keeps running after envdoctor
            child.end(list(sinks))
            raise
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(child)
            for handle in (proc.stdout, proc.stderr):
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


def run_command(argv: Sequence[str], timeout: float, capture: bool = True, *, limit: int = OUTPUT_LIMIT) -> CommandResult:
    """Run argv (never through a shell) and always come back within about ``timeout`` seconds.

    At most ``limit`` bytes of each stream are kept (the start; ``truncated`` says more came). With
    ``capture=False`` the child writes to envdoctor's stderr as it goes (stdout stays free for a
    JSON document). On a timeout, the output read so far is kept.
    """
    return _run(tuple(str(a) for a in argv), timeout, capture=capture, limit=limit).result


def run_with_channel(
    argv: Sequence[str],
    timeout: float,
    stdin_for: Callable[[int], bytes],
    *,
    limit: int = 64 * 1024,
    channel_limit: int = CHANNEL_LIMIT,
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
                    cwd=folder, env=env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------- reading files


class UserFileError(ValueError):
    """A file given on the command line that cannot be used; the message names it and says why."""


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def _read_regular(path: str, limit: int, *, follow: bool) -> tuple[bytes | None, str, bool]:
    """(bytes, problem, truncated): a regular file's first ``limit`` bytes, never blocking on a FIFO.

    ``follow=False`` refuses a symlink as the last component. The size is checked on the open file,
    so a file swapped for a FIFO or device between checks is still refused.
    """
    flags = _OPEN_FLAGS | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        if not follow and stat.S_ISLNK(os.lstat(path).st_mode):
            return None, "a symbolic link, not a regular file", False
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None, "no such file", False
    except IsADirectoryError:
        return None, "a directory, not a regular file", False
    except PermissionError:
        return None, "permission denied", False
    except (OSError, ValueError) as exc:
        return None, f"cannot open ({getattr(exc, 'strerror', None) or exc})", False
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            return None, f"{_kind(mode)}, not a regular file", False
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1024 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            return data[:limit], f"truncated at {limit} bytes", True
        return data, "", False
    except OSError as exc:
        return None, f"cannot read ({exc.strerror or exc})", False
    finally:
        os.close(fd)


def read_user_file(path: str, limit: int) -> str:
    """The text of a file the user named (a report, an overlay), which may come from someone else.

    Raises :class:`UserFileError` naming the path when it is missing, a symlink, not a regular file
    (FIFO, device, directory), larger than ``limit`` bytes or not UTF-8. Never blocks on a FIFO.
    """
    data, problem, truncated = _read_regular(str(path), limit, follow=False)
    if truncated:
        raise UserFileError(f"{path}: larger than {limit} bytes")
    if data is None:
        raise UserFileError(f"{path}: {problem}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def parse_json_text(text: str, max_depth: int = JSON_DEPTH_LIMIT) -> Any:
    """JSON from someone else: raises ValueError for bad syntax, NaN/Infinity, numbers that overflow
    to infinity, and nesting deeper than ``max_depth`` (the code reading it afterwards recurses)."""

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    def finite(text_value: str) -> float:
        value = float(text_value)
        if not math.isfinite(value):
            raise ValueError(f"{text_value} is out of range")
        return value

    try:
        data = json.loads(text, parse_constant=constant, parse_float=finite)
    except RecursionError:
        raise ValueError(f"nested deeper than {max_depth} levels") from None
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise ValueError(f"nested deeper than {max_depth} levels")
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return data


# ---------------------------------------------------------------------------- writing files the user named


def _write_refusal(path: str, mode: int) -> UserFileError:
    return UserFileError(f"{path}: {_kind(mode)}; envdoctor writes only regular files and never through a link")


def write_user_file(path: str, data: bytes) -> None:
    """Replace (or create) the regular file ``path`` with ``data`` (a --junit report).

    A symlink, FIFO, device or folder at ``path`` is refused, never followed or opened. The data goes
    to a new file beside it first, renamed over ``path`` at the end, so a reader never sees half a file
    and a failure leaves the old one; a file replaced keeps its permissions (a 0600 report stays private).
    Raises :class:`UserFileError` naming the path.
    """
    path = str(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise UserFileError(f"{path}: cannot write ({exc.strerror or exc})")
    if mode is not None and not stat.S_ISREG(mode):
        raise _write_refusal(path, mode)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, temporary = tempfile.mkstemp(prefix=".envdoctor-", dir=folder)
    except OSError as exc:
        raise UserFileError(f"{path}: cannot write ({exc.strerror or exc})")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644 if mode is None else stat.S_IMODE(mode))  # a file replaced keeps its mode
        os.replace(temporary, path)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise UserFileError(f"{path}: cannot write ({exc.strerror or exc})")


_APPEND_FLAGS = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))


def append_user_file(path: str, data: bytes) -> None:
    """Append ``data`` to the regular file ``path`` (created if missing): a CI job summary file.

    Never follows a symlink at ``path``, never blocks on a FIFO, and writes nothing to anything that is
    not a regular file. Raises :class:`UserFileError` naming the path.
    """
    path = str(path)
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise _write_refusal(path, stat.S_IFLNK)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise UserFileError(f"{path}: cannot write ({exc.strerror or exc})")
    try:
        fd = os.open(path, _APPEND_FLAGS, 0o644)
    except OSError as exc:
        raise UserFileError(f"{path}: cannot write ({exc.strerror or exc})")
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _write_refusal(path, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise UserFileError(f"{path}: cannot write ({exc.strerror or exc})")
    finally:
        os.close(fd)


def read_user_bytes(path: str, limit: int) -> bytes:
    """The bytes of a regular file envdoctor keeps for the user (a cached index page); raises
    :class:`UserFileError` as :func:`read_user_file` does."""
    data, problem, truncated = _read_regular(str(path), limit, follow=False)
    if truncated:
        raise UserFileError(f"{path}: larger than {limit} bytes")
    if data is None:
        raise UserFileError(f"{path}: {problem}")
    return data


def make_user_dir(path: str) -> None:
    """Create the folder ``path`` (and its parents) for envdoctor's own files; a file or FIFO where the
    folder should be is refused. Raises :class:`UserFileError` naming the path."""
    path = str(path)
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise UserFileError(f"{path}: cannot create the folder ({exc.strerror or exc})")
    if not stat.S_ISDIR(mode):
        raise UserFileError(f"{path}: {_kind(mode)}, not a folder")


def remove_user_file(path: str) -> None:
    """Remove a regular file envdoctor wrote (a stale cache entry); anything else there is left alone."""
    try:
        if stat.S_ISREG(os.lstat(str(path)).st_mode):
            os.unlink(str(path))
    except OSError:
        pass


def user_data_path() -> Path:
    """The user's data folder for envdoctor (platformdirs: ``~/.local/share/envdoctor`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("envdoctor", appauthor=False))


def user_cache_path() -> Path:
    """The user's cache folder for envdoctor (platformdirs: ``~/.cache/envdoctor`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("envdoctor", appauthor=False))


# ---------------------------------------------------------------------------- the live machine


def _nvml_query() -> dict:
    """Read everything envdoctor wants from NVML; raises pynvml.NVMLError on failure."""
    import pynvml

    def text(value: Any) -> str:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    pynvml.nvmlInit()
    try:
        data: dict[str, Any] = {
            "driver_version": text(pynvml.nvmlSystemGetDriverVersion()),
            "cuda_driver_version": int(pynvml.nvmlSystemGetCudaDriverVersion_v2()),
            "devices": [],
        }
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            device: dict[str, Any] = {"index": index, "name": text(pynvml.nvmlDeviceGetName(handle))}
            for key, call in (
                ("uuid", lambda h: text(pynvml.nvmlDeviceGetUUID(h))),
                ("memory_total_bytes", lambda h: int(pynvml.nvmlDeviceGetMemoryInfo(h).total)),
                ("memory_used_bytes", lambda h: int(pynvml.nvmlDeviceGetMemoryInfo(h).used)),
                ("compute_capability", lambda h: list(pynvml.nvmlDeviceGetCudaComputeCapability(h))),
                ("mig_mode", lambda h: list(pynvml.nvmlDeviceGetMigMode(h))),
                ("pci_bus_id", lambda h: text(pynvml.nvmlDeviceGetPciInfo(h).busId)),
            ):
                try:
                    device[key] = call(handle)
                except pynvml.NVMLError as exc:
                    device[key] = None
                    device.setdefault("errors", {})[key] = str(exc)
            data["devices"].append(device)
        return data
    finally:
        try:
            pynvml.nvmlShutdown()
        except pynvml.NVMLError:
            pass


def _call_with_timeout(func, timeout: float):
    """Run func in a daemon thread; a hung driver call cannot keep envdoctor from exiting."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # reported, never raised across the thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="envdoctor-nvml")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout:.1f} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _guarded_redirects() -> Any:
    """A urllib redirect handler that follows at most HTTP_REDIRECTS hops, each through the URL guard."""
    import urllib.request

    from envdoctor.urls import index_url_problem

    class Handler(urllib.request.HTTPRedirectHandler):
        max_redirections = HTTP_REDIRECTS

        def redirect_request(self, req, fp, code, msg, headers, newurl):
            problem = index_url_problem(newurl)
            if problem:
                raise _RedirectRefused(f"redirected to {newurl}, which is refused: {problem}")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return Handler()


class _RedirectRefused(Exception):
    pass


def _without_userinfo(url: str) -> str:
    """``url`` without ``user:password@``: the check asks without credentials (a 401 still answers), and
    no credential reaches a result, a message or a log."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    match = re.match(r"([^/?#]*)(.*)", rest, re.S)
    authority, tail = (match.group(1), match.group(2)) if match else (rest, "")
    return f"{scheme}://{authority.rpartition('@')[2]}{tail}"


def http_get(url: str, timeout: float, limit: int = HTTP_LIMIT, *, accept: str = "text/html",
             byte_range: str | None = None) -> HttpResult:
    """A bounded GET through urllib (the environment's proxy settings apply, as they do to pip).

    Reading stops after ``limit`` bytes of the body; ``truncated`` says when more came.
    """
    import ssl
    import urllib.error
    import urllib.request

    from envdoctor import __version__
    from envdoctor.urls import index_url_problem

    start = time.monotonic()
    problem = index_url_problem(url)
    url = _without_userinfo(url)
    if problem:
        return HttpResult(url, "refused", error=problem)
    if not _valid_timeout(timeout):
        return HttpResult(url, "error", error=f"invalid timeout {timeout!r}")
    if byte_range is not None and not re.fullmatch(r"[0-9]{0,19}-[0-9]{0,19}", byte_range, re.ASCII):
        return HttpResult(url, "error", error=f"invalid byte range {byte_range!r}")
    opener = urllib.request.build_opener(_guarded_redirects())
    headers = {"User-Agent": f"envdoctor/{__version__}", "Accept": accept}
    if byte_range is not None:
        headers["Range"] = f"bytes={byte_range}"
    request = urllib.request.Request(url, headers=headers)

    def bounded(answer: Any, code: int, final_url: str) -> HttpResult:
        kind = str(answer.headers.get("Content-Type", "") if answer.headers is not None else "")
        kind = kind.split(";", 1)[0].strip().lower()
        span = str(answer.headers.get("Content-Range", "") if answer.headers is not None else "")
        body = answer.read(limit + 1) if getattr(answer, "fp", None) is not None else b""
        return HttpResult(url, "answered", code, final_url, body[:limit], content_type=kind, content_range=span,
                          truncated=len(body) > limit)

    def fetch() -> HttpResult:
        try:
            with opener.open(request, timeout=timeout) as answer:
                return bounded(answer, answer.status, answer.geturl())
        except urllib.error.HTTPError as exc:
            return bounded(exc, exc.code, exc.geturl() or url)

    try:
        result = _call_with_timeout(fetch, timeout)
    except _RedirectRefused as exc:
        result = HttpResult(url, "refused", error=str(exc))
    except TimeoutError as exc:
        result = HttpResult(url, "timed_out", error=str(exc) or f"no answer within {timeout:.1f} s")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLError):
            result = HttpResult(url, "tls", error=str(reason))
        elif isinstance(reason, TimeoutError):
            result = HttpResult(url, "timed_out", error=f"no answer within {timeout:.1f} s")
        else:
            result = HttpResult(url, "unreachable", error=str(reason))
    except OSError as exc:  # a connection reset mid-answer
        result = HttpResult(url, "unreachable", error=redact_text(str(exc)))
    except Exception as exc:  # http.client's InvalidURL, a malformed status line, ...: never a crash
        result = HttpResult(url, "error", error=redact_text(f"{type(exc).__name__}: {exc}"))
    return HttpResult(result.url, result.status, result.code, result.final_url, result.body, result.error,
                      round(time.monotonic() - start, 3), result.content_type, result.content_range,
                      result.truncated)


class LiveDoor(Door):
    """The real machine."""

    def __init__(self) -> None:
        self._platform: PlatformInfo | None = None

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        return run_command(argv, timeout)

    def run_live(self, argv: Sequence[str], timeout: float) -> CommandResult:
        return run_command(argv, timeout, capture=False)

    def run_with_channel(
        self, argv: Sequence[str], timeout: float, stdin_for: Callable[[int], bytes]
    ) -> ChannelResult:
        return run_with_channel(argv, timeout, stdin_for)

    def read_file(self, path: str) -> FileRead:
        # Symlinks are followed: this is the machine's own tree (/etc/os-release is one on Debian,
        # Ubuntu and Fedora). FIFOs and devices are refused: reading one would hang or never end.
        data, problem, _ = _read_regular(path, READ_LIMIT, follow=True)
        return FileRead(None if data is None else _decode(data), problem)

    def listdir(self, path: str) -> list[str] | None:
        try:
            return sorted(os.listdir(path))
        except (OSError, ValueError):
            return None

    def exists(self, path: str) -> bool:
        try:
            return os.path.lexists(path)
        except ValueError:
            return False

    def env(self) -> Mapping[str, str]:
        return dict(os.environ)

    def which(self, name: str) -> str | None:
        return shutil.which(name)

    def platform(self) -> PlatformInfo:
        if self._platform is None:
            self._platform = _live_platform()
        return self._platform

    def python_executable(self) -> str:
        return sys.executable

    def http_get(self, url: str, timeout: float, limit: int = HTTP_LIMIT, *, accept: str = "text/html",
                 byte_range: str | None = None) -> HttpResult:
        return http_get(url, timeout, limit, accept=accept, byte_range=byte_range)

    def nvml(self, timeout: float) -> NvmlResult:
        absent = _nvml_cannot_load(self)
        if absent:
            return NvmlResult("not_found", error=absent)
        try:
            import pynvml
        except ImportError as exc:
            return NvmlResult("not_found", error=f"pynvml not importable: {exc}")
        try:
            return NvmlResult("ok", data=_call_with_timeout(_nvml_query, timeout))
        except TimeoutError as exc:
            return NvmlResult("timed_out", error=str(exc))
        except pynvml.NVMLError_LibraryNotFound as exc:
            return NvmlResult("not_found", error=str(exc) or "NVML library not found")
        except pynvml.NVMLError as exc:
            return NvmlResult("error", error=str(exc))
        except Exception as exc:  # a broken binding is a fact, not a crash
            return NvmlResult("error", error=f"{type(exc).__name__}: {exc}")

    def disk_space(self, path: str) -> DiskSpace | None:
        if not hasattr(os, "statvfs"):
            return None
        try:
            info = os.statvfs(path)
        except (OSError, ValueError):
            return None
        return DiskSpace(info.f_blocks * info.f_frsize, min(info.f_bavail, info.f_blocks) * info.f_frsize)


def _nvml_cannot_load(door: Door) -> str:
    """Why NVML cannot be there, decided without loading it (importing pynvml costs ~15 ms)."""
    system = door.platform().system
    if system == "Darwin":
        return "NVML does not exist on macOS"
    if system == "Linux" and not any(
        door.exists(path) for path in ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/dxg")
    ):
        return "no NVIDIA kernel driver (/proc/driver/nvidia, /dev/nvidiactl and /dev/dxg are absent)"
    return ""


def _live_platform() -> PlatformInfo:
    """Platform facts without starting a process: ``platform.uname().processor`` runs ``uname -p``
    (no timeout) on POSIX, so os.uname() is used there and the processor is read on Windows only."""
    import psutil

    glibc = ""
    if hasattr(os, "confstr"):
        try:
            glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").replace("glibc", "").strip()
        except (OSError, ValueError):
            glibc = ""
    win_ver, win_edition, processor = "", "", ""
    if sys.platform == "win32":
        system, release, version, machine = platform.system(), platform.release(), platform.version(), platform.machine()
        win_ver = platform.win32_ver()[1]
        win_edition = platform.win32_edition() or ""
        processor = platform.processor()
    else:
        uname = os.uname()
        system, release, version, machine = uname.sysname, uname.release, uname.version, uname.machine
    try:
        memory = int(psutil.virtual_memory().total)
    except Exception:
        memory = None
    return PlatformInfo(
        system=system,
        machine=machine,
        release=release,
        version=version,
        python_executable=sys.executable,
        mac_ver=platform.mac_ver()[0] if sys.platform == "darwin" else "",
        win_ver=win_ver,
        win_edition=win_edition,
        glibc=glibc,
        cpu_count_logical=psutil.cpu_count(logical=True),
        cpu_count_physical=psutil.cpu_count(logical=False),
        memory_total_bytes=memory,
        processor=processor,
    )


def command_key(argv: Sequence[str]) -> tuple[str, ...]:
    """How a recorded machine matches a command: scripts by their marker line."""
    key = []
    for arg in argv:
        arg = str(arg)
        if "\n" in arg or len(arg) > 200:
            first = arg.lstrip().splitlines()[0] if arg.strip() else ""
            key.append(f"<script {first[2:].strip()}>" if first.startswith("# envdoctor:") else "<script>")
        else:
            key.append(arg)
    return tuple(key)


_DRIVE = re.compile(r"^([A-Za-z]):[\\/]")


def recorded_file_path(path: str) -> str:
    """Where a file read at ``path`` is kept below ``files/``: a relative POSIX path that stays inside.

    The path is normalised as an absolute path first, so ``/../../x`` is ``x``; a Windows drive path
    ``C:\\a\\b`` is ``C/a/b`` and a UNC path ``\\\\srv\\share\\x`` is ``UNC/srv/share/x``. "" for a root.
    """
    path = str(path)
    drive = _DRIVE.match(path)
    if drive or path.startswith("\\\\"):
        normal = ntpath.normpath(path)
        head = [drive.group(1)] if drive else ["UNC"]
        parts = head + re.split(r"[\\/]+", normal[2:])
    else:
        parts = posixpath.normpath("/" + path).split("/")
    return "/".join(part for part in parts if part not in ("", ".", ".."))


# ---------------------------------------------------------------------------- machine folders


class MachineFolderError(ValueError):
    """A machine folder that cannot be read; the message names the file and what is wrong."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _safe_relative(name: Any) -> bool:
    """A path inside a folder: relative, POSIX separators, no '..' and no empty parts."""
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name or _DRIVE.match(name):
        return False
    parts = name.split("/")
    return not name.startswith("/") and all(part not in ("", ".", "..") for part in parts)


class _Manifest:
    """Type checks for machine.json; each failure names the field."""

    TOP = {"format", "platform", "env", "which", "commands", "dirs", "exists", "nvml", "target_python",
           "recorded_files", "disk_space"}
    COMMAND = {"argv", "status", "returncode", "stdout", "stderr", "stdout_file", "stderr_file", "duration_s",
               "error", "truncated"}
    NVML_DEVICE = {"index", "name", "uuid", "memory_total_bytes", "memory_used_bytes", "compute_capability",
                   "mig_mode", "pci_bus_id", "errors"}

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, field_name: str, problem: str) -> MachineFolderError:
        return MachineFolderError(f"{self.where}: {field_name}: {problem}")

    def keys(self, value: dict, allowed: set, field_name: str) -> None:
        unknown = sorted(str(key) for key in value if key not in allowed)
        if unknown:
            raise self.fail(field_name, f"unknown key(s) {', '.join(unknown[:5])}")

    def mapping(self, value: Any, field_name: str, item: Callable[[Any], bool], what: str) -> dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) and item(v) for k, v in value.items()):
            raise self.fail(field_name, f"must be an object of string -> {what}")
        return value

    def strings(self, value: Any, field_name: str) -> list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(field_name, "must be a list of strings")
        return value

    def check(self, data: Any) -> dict:
        if not isinstance(data, dict) or data.get("format") != MACHINE_FORMAT:
            raise MachineFolderError(f"{self.where}: 'format' must be {MACHINE_FORMAT!r}")
        self.keys(data, self.TOP, "top level")
        self.platform(data.get("platform"))
        self.mapping(data.get("env", {}), "env", lambda v: isinstance(v, str), "string")
        self.mapping(data.get("which", {}), "which", lambda v: isinstance(v, str), "string")
        self.mapping(data.get("dirs", {}), "dirs",
                     lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v), "list of strings")
        self.strings(data.get("exists", []), "exists")
        self.strings(data.get("recorded_files", []), "recorded_files")
        target = data.get("target_python")
        if target is not None and not (isinstance(target, str) and target):
            raise self.fail("target_python", "must be a non-empty string or null")
        commands = data.get("commands", [])
        if not isinstance(commands, list):
            raise self.fail("commands", "must be a list")
        for number, entry in enumerate(commands):
            self.command(entry, f"commands[{number}]")
        self.nvml(data.get("nvml", {"status": "not_found", "error": "not recorded"}))
        self.disk_space(data.get("disk_space", {}))
        return data

    def disk_space(self, value: Any) -> None:
        """``{"/dev/shm": {"total_bytes": N, "free_bytes": N}}``: whole numbers, free never above total."""
        if not isinstance(value, dict):
            raise self.fail("disk_space", "must be an object of path -> {total_bytes, free_bytes}")
        for path, entry in value.items():
            name = f"disk_space[{path!r}]"
            if not isinstance(entry, dict) or set(entry) != {"total_bytes", "free_bytes"}:
                raise self.fail(name, "must be an object with exactly total_bytes and free_bytes")
            total, free = entry["total_bytes"], entry["free_bytes"]
            if not (_is_int(total) and _is_int(free) and 0 <= free <= total):
                raise self.fail(name, "total_bytes and free_bytes must be whole numbers, 0 <= free <= total")

    def platform(self, value: Any) -> None:
        if not isinstance(value, dict):
            raise MachineFolderError(f"{self.where}: bad 'platform': must be an object")
        known = {item.name: item for item in fields(PlatformInfo)}
        unknown = sorted(str(key) for key in value if key not in known)
        if unknown:
            raise MachineFolderError(f"{self.where}: bad 'platform': unknown key(s) {', '.join(unknown[:5])}")
        for name, item in known.items():
            if name not in value:
                if name in ("system", "machine"):
                    raise MachineFolderError(f"{self.where}: bad 'platform': {name!r} is required")
                continue
            wanted_str = item.type == "str"
            ok = isinstance(value[name], str) if wanted_str else (value[name] is None or _is_int(value[name]))
            if not ok:
                raise MachineFolderError(f"{self.where}: bad 'platform': {name!r} must be "
                                         f"{'a string' if wanted_str else 'an integer or null'}")

    def command(self, entry: Any, name: str) -> None:
        if not isinstance(entry, dict) or not isinstance(entry.get("argv"), list) or not entry["argv"]:
            raise MachineFolderError(f"{self.where}: {name} needs an 'argv' list")
        self.keys(entry, self.COMMAND, name)
        self.strings(entry["argv"], f"{name}.argv")
        if entry.get("status", "ok") not in COMMAND_STATUSES:
            raise self.fail(f"{name}.status", f"must be one of {', '.join(COMMAND_STATUSES)}")
        if "returncode" in entry and entry["returncode"] is not None and not _is_int(entry["returncode"]):
            raise self.fail(f"{name}.returncode", "must be an integer or null")
        for key in ("stdout", "stderr", "error"):
            if key in entry and not isinstance(entry[key], str):
                raise self.fail(f"{name}.{key}", "must be a string")
        for key in ("stdout", "stderr"):
            if f"{key}_file" in entry:
                if key in entry:
                    raise self.fail(name, f"has both {key!r} and {key + '_file'!r}")
                if not _safe_relative(entry[f"{key}_file"]):
                    raise self.fail(f"{name}.{key}_file", f"{entry[key + '_file']!r} is not a relative path "
                                                          "inside the folder")
        duration = entry.get("duration_s", 0.0)
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 0 <= duration < 1e9:
            raise self.fail(f"{name}.duration_s", "must be a finite number of seconds >= 0")
        if not isinstance(entry.get("truncated", False), bool):
            raise self.fail(f"{name}.truncated", "must be true or false")

    def nvml(self, value: Any) -> None:
        if not isinstance(value, dict):
            raise self.fail("nvml", "must be an object")
        self.keys(value, {"status", "data", "error"}, "nvml")
        if value.get("status") not in NVML_STATUSES:
            raise self.fail("nvml.status", f"must be one of {', '.join(NVML_STATUSES)}")
        if not isinstance(value.get("error", ""), str):
            raise self.fail("nvml.error", "must be a string")
        data = value.get("data")
        if data is None:
            return
        if not isinstance(data, dict):
            raise self.fail("nvml.data", "must be an object or null")
        self.keys(data, {"driver_version", "cuda_driver_version", "devices"}, "nvml.data")
        if not isinstance(data.get("driver_version", ""), str):
            raise self.fail("nvml.data.driver_version", "must be a string")
        cuda = data.get("cuda_driver_version")
        if cuda is not None and not _is_int(cuda):
            raise self.fail("nvml.data.cuda_driver_version", "must be an integer or null")
        devices = data.get("devices", [])
        if not isinstance(devices, list):
            raise self.fail("nvml.data.devices", "must be a list")
        for number, device in enumerate(devices):
            name = f"nvml.data.devices[{number}]"
            if not isinstance(device, dict):
                raise self.fail(name, "must be an object")
            self.keys(device, self.NVML_DEVICE, name)
            if not _is_int(device.get("index")):
                raise self.fail(f"{name}.index", "must be an integer")
            if not isinstance(device.get("name"), str):
                raise self.fail(f"{name}.name", "must be a string")
            for key in ("uuid", "pci_bus_id"):
                if device.get(key) is not None and not isinstance(device[key], str):
                    raise self.fail(f"{name}.{key}", "must be a string or null")
            for key in ("memory_total_bytes", "memory_used_bytes"):
                if device.get(key) is not None and not _is_int(device[key]):
                    raise self.fail(f"{name}.{key}", "must be an integer or null")
            for key in ("compute_capability", "mig_mode"):
                pair = device.get(key)
                if pair is not None and not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_int, pair))):
                    raise self.fail(f"{name}.{key}", "must be a list of two integers or null")
            self.mapping(device.get("errors", {}), f"{name}.errors", lambda v: isinstance(v, str), "string")


def _folder_tree(root: Path) -> dict[str, int]:
    """Every regular file below ``root`` (relative POSIX path -> size); anything else is an error."""
    files: dict[str, int] = {}
    pending = [("", str(root))]
    count = 0
    total = 0
    while pending:
        relative, path = pending.pop()
        try:
            entries = list(os.scandir(path))
        except OSError as exc:
            raise MachineFolderError(f"{path}: cannot list ({exc.strerror or exc})")
        for entry in entries:
            count += 1
            name = f"{relative}{entry.name}"
            if count > FOLDER_ENTRY_LIMIT:
                raise MachineFolderError(f"{root}: more than {FOLDER_ENTRY_LIMIT} entries: not a machine folder")
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                raise MachineFolderError(f"{entry.path}: cannot read ({exc.strerror or exc})")
            if stat.S_ISDIR(mode):
                pending.append((f"{name}/", entry.path))
            elif stat.S_ISREG(mode):
                size = entry.stat(follow_symlinks=False).st_size
                total += size
                if total > FOLDER_TOTAL_LIMIT:
                    raise MachineFolderError(f"{root}: more than {FOLDER_TOTAL_LIMIT} bytes: not a machine folder")
                files[name] = size
            else:
                raise MachineFolderError(f"{entry.path}: {_kind(mode)}; a machine folder holds regular files "
                                         "and folders only")
    return files


def _stored_name(relative: str) -> str:
    """The key of ``files/...``, as :func:`recorded_file_path` spells it: a backslash in a name is a
    folder separator, as Windows reads it, so a folder replays the same on every system."""
    parts = re.split(r"[\\/]+", relative[len("files/"):])
    return "/".join(part for part in parts if part not in ("", ".", ".."))


class RecordedDoor(Door):
    """A machine replayed from a folder written by ``check --record`` or by hand from real outputs.

    The whole folder is checked and read when it opens; afterwards nothing touches the disk.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        manifest = self.folder / "machine.json"
        data, problem, truncated = _read_regular(str(manifest), MANIFEST_LIMIT, follow=False)
        if data is None:
            hint = " (a machine folder needs machine.json)" if problem == "no such file" else ""
            raise MachineFolderError(f"{manifest}: {problem}{hint}")
        if truncated:
            raise MachineFolderError(f"{manifest}: larger than {MANIFEST_LIMIT} bytes")
        try:
            parsed = parse_json_text(data.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError included
            raise MachineFolderError(f"{manifest}: not readable JSON: {exc}")
        manifest_data = _Manifest(str(manifest)).check(parsed)
        tree = _folder_tree(self.folder)
        self._platform = PlatformInfo(**manifest_data["platform"])
        self._target_python = manifest_data.get("target_python")
        self._env = dict(manifest_data.get("env", {}))
        self._which = dict(manifest_data.get("which", {}))
        self._dirs = {k: sorted(v) for k, v in manifest_data.get("dirs", {}).items()}
        self._exists = set(manifest_data.get("exists", []))
        self._nvml = manifest_data.get("nvml", {"status": "not_found", "error": "not recorded"})
        self._disk_space = {path: DiskSpace(entry["total_bytes"], entry["free_bytes"])
                            for path, entry in manifest_data.get("disk_space", {}).items()}
        self._commands: dict[tuple[str, ...], dict] = {}
        for number, entry in enumerate(manifest_data.get("commands", [])):
            entry = dict(entry)
            for name in ("stdout", "stderr"):
                relative = entry.pop(f"{name}_file", None)
                if relative is not None:
                    entry[name] = self._folder_text(relative, tree, f"commands[{number}].{name}_file")
            self._commands[command_key(entry["argv"])] = entry
        self._files = {_stored_name(relative): self._folder_text(relative, tree, "files/")
                       for relative in sorted(tree) if relative.startswith("files/")}

    def _folder_text(self, relative: str, tree: Mapping[str, int], field_name: str) -> str:
        path = self.folder / relative
        if relative not in tree:
            raise MachineFolderError(f"{path}: no such file (named by machine.json {field_name})")
        data, problem, truncated = _read_regular(str(path), FOLDER_FILE_LIMIT, follow=False)
        if data is None:
            raise MachineFolderError(f"{path}: {problem}")
        if truncated:
            raise MachineFolderError(f"{path}: larger than {FOLDER_FILE_LIMIT} bytes")
        return _decode(data)

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        argv = tuple(str(a) for a in argv)
        entry = self._commands.get(command_key(argv))
        if entry is None:
            if self.which(argv[0]) is None and not self.exists(argv[0]):
                return CommandResult(argv, "not_found")
            return CommandResult(argv, "error", error="not recorded in this machine folder")
        status = entry.get("status", "ok")
        duration = float(entry.get("duration_s", 0.0))
        if status == "timed_out":
            duration = max(duration, timeout)
        return CommandResult(
            argv,
            status,
            entry.get("returncode", 0 if status == "ok" else None),
            entry.get("stdout", ""),
            entry.get("stderr", ""),
            duration,
            entry.get("error", ""),
            entry.get("truncated", False),
        )

    def run_live(self, argv: Sequence[str], timeout: float) -> CommandResult:
        return CommandResult(tuple(argv), "error", error="a recorded machine cannot run installers")

    def run_with_channel(
        self, argv: Sequence[str], timeout: float, stdin_for: Callable[[int], bytes]
    ) -> ChannelResult:
        return ChannelResult(CommandResult(tuple(str(a) for a in argv), "error",
                                           error="a recorded machine cannot run the verifier"))

    def read_file(self, path: str) -> FileRead:
        text = self._files.get(recorded_file_path(path))
        return FileRead(text, "" if text is not None else "not recorded in this machine folder")

    def listdir(self, path: str) -> list[str] | None:
        return list(self._dirs[path]) if path in self._dirs else None

    def exists(self, path: str) -> bool:
        return (
            path in self._exists
            or path in self._dirs
            or recorded_file_path(path) in self._files
            or path in self._which.values()
        )

    def env(self) -> Mapping[str, str]:
        return dict(self._env)

    def which(self, name: str) -> str | None:
        return self._which.get(name)

    def platform(self) -> PlatformInfo:
        return self._platform

    def python_executable(self) -> str:
        return self._target_python or self._platform.python_executable

    def nvml(self, timeout: float) -> NvmlResult:
        return NvmlResult(
            self._nvml.get("status", "error"), self._nvml.get("data"), self._nvml.get("error", "")
        )

    def http_get(self, url: str, timeout: float, limit: int = HTTP_LIMIT, *, accept: str = "text/html",
                 byte_range: str | None = None) -> HttpResult:
        return HttpResult(url, "error", error="a recorded machine has no network")

    def disk_space(self, path: str) -> DiskSpace | None:
        return self._disk_space.get(path)


# ---------------------------------------------------------------------------- recording


class RecordError(ValueError):
    """A machine folder that cannot be written where asked; the message names the path and why."""


@dataclass
class _Recording:
    commands: list = field(default_factory=list)
    dirs: dict = field(default_factory=dict)
    exists: set = field(default_factory=set)
    which: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    nvml: dict | None = None
    disk_space: dict = field(default_factory=dict)


_CREATE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
                 | getattr(os, "O_CLOEXEC", 0))


def _write_problem(path: Path | str, exc: OSError) -> RecordError:
    if isinstance(exc, PermissionError):
        return RecordError(f"{path}: permission denied")
    if isinstance(exc, (NotADirectoryError, FileExistsError)):
        return RecordError(f"{path}: something that is not a folder is in the way")
    return RecordError(f"{path}: cannot write ({exc.strerror or exc})")


def _safe_name(argv0: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", ntpath.basename(argv0.replace("/", "\\")))[:40].strip("._")
    return name or "command"


class RecordingDoor(Door):
    """Wraps a door and remembers everything asked, to write a machine folder afterwards.

    ``target_python`` is the interpreter probed in place of the default (``--python``); it is
    written down so that the folder replays with it.
    """

    def __init__(self, inner: Door, target_python: str | None = None) -> None:
        self.inner = inner
        self.target_python = target_python or None
        self._lock = threading.Lock()
        self._rec = _Recording()

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        result = self.inner.run(argv, timeout)
        with self._lock:
            self._rec.commands.append(result)
        return result

    def run_live(self, argv: Sequence[str], timeout: float) -> CommandResult:
        return self.inner.run_live(argv, timeout)

    def run_with_channel(
        self, argv: Sequence[str], timeout: float, stdin_for: Callable[[int], bytes]
    ) -> ChannelResult:
        return self.inner.run_with_channel(argv, timeout, stdin_for)

    def read_file(self, path: str) -> FileRead:
        read = self.inner.read_file(path)
        if read.text is not None:
            with self._lock:
                self._rec.files[path] = read.text
        return read

    def listdir(self, path: str) -> list[str] | None:
        entries = self.inner.listdir(path)
        if entries is not None:
            with self._lock:
                self._rec.dirs[path] = entries
        return entries

    def exists(self, path: str) -> bool:
        found = self.inner.exists(path)
        if found:
            with self._lock:
                self._rec.exists.add(path)
        return found

    def env(self) -> Mapping[str, str]:
        return self.inner.env()

    def which(self, name: str) -> str | None:
        found = self.inner.which(name)
        if found is not None:
            with self._lock:
                self._rec.which[name] = found
        return found

    def platform(self) -> PlatformInfo:
        return self.inner.platform()

    def python_executable(self) -> str:
        return self.inner.python_executable()

    def nvml(self, timeout: float) -> NvmlResult:
        result = self.inner.nvml(timeout)
        with self._lock:
            self._rec.nvml = {"status": result.status, "data": result.data, "error": result.error}
        return result

    def http_get(self, url: str, timeout: float, limit: int = HTTP_LIMIT, *, accept: str = "text/html",
                 byte_range: str | None = None) -> HttpResult:
        # the network is not part of a recorded machine
        return self.inner.http_get(url, timeout, limit, accept=accept, byte_range=byte_range)

    def disk_space(self, path: str) -> DiskSpace | None:
        space = self.inner.disk_space(path)
        if space is not None:
            with self._lock:
                self._rec.disk_space[path] = {"total_bytes": space.total_bytes, "free_bytes": space.free_bytes}
        return space

    def _contents(self) -> dict[str, bytes]:
        """Relative path -> bytes of everything the folder will hold; secrets redacted."""
        contents: dict[str, bytes] = {}
        commands = []
        with self._lock:
            recorded = list(self._rec.commands)
            files = dict(self._rec.files)
            rec = self._rec
        for number, result in enumerate(recorded):
            entry: dict[str, Any] = {
                "argv": [redact_text(arg) for arg in command_key(result.argv)],
                "status": result.status,
                "returncode": result.returncode,
                "duration_s": round(result.duration_s, 4) if math.isfinite(result.duration_s) else 0.0,
            }
            if result.error:
                entry["error"] = redact_text(result.error)
            if result.truncated:
                entry["truncated"] = True
            for name in ("stdout", "stderr"):
                text = getattr(result, name)
                if text:
                    program = _safe_name(redact_text(result.argv[0]) if result.argv else "")
                    relative = f"commands/{number:02d}-{program}.{name}"
                    contents[relative] = redact_text(text).encode("utf-8", "replace")
                    entry[f"{name}_file"] = relative
            commands.append(entry)
        taken: set[str] = set()
        for path, text in sorted(files.items()):
            relative = redact_text(recorded_file_path(path))
            parents = {"/".join(relative.split("/")[:i]) for i in range(1, relative.count("/") + 1)}
            if not relative or relative in taken or parents & taken or any(t.startswith(relative + "/") for t in taken):
                continue  # the same file under another spelling, or a file where another needs a folder
            taken.add(relative)
            contents[f"files/{relative}"] = redact_text(text).encode("utf-8", "replace")
        env = {k: v for k, v in self.inner.env().items() if k in RECORDED_ENV}
        manifest = redact_data({
            "format": MACHINE_FORMAT,
            "platform": asdict(self.inner.platform()),
            "which": dict(sorted(rec.which.items())),
            "commands": commands,
            "dirs": dict(sorted(rec.dirs.items())),
            "exists": sorted(rec.exists),
            "nvml": rec.nvml or {"status": "not_found", "error": "not asked"},
            "disk_space": dict(sorted(rec.disk_space.items())),
            "target_python": self.target_python,
            "recorded_files": sorted(contents),
        })
        manifest["env"] = redact_env(env)
        text = json.dumps(manifest, indent=2, allow_nan=False, default=str) + "\n"
        contents["machine.json"] = text.encode("utf-8")
        return contents

    def write(self, folder: str | os.PathLike, *, force: bool = False) -> Path:
        """Write the machine folder into a new or empty folder and return it.

        A non-empty folder is refused unless ``force``; then only what an earlier recording there
        wrote (the files its machine.json names, and machine.json) is removed, anything else stays
        and the write is refused if it would overwrite it. Symlinks are never followed and nothing is
        written outside the folder. Raises :class:`RecordError`.
        """
        if not str(folder):
            raise RecordError("the folder to record into is an empty path")
        folder = Path(folder)
        contents = self._contents()
        _open_record_folder(folder, force)
        for relative in contents:
            _check_no_links(folder, relative, last=True)
        for relative, data in contents.items():
            _write_new(folder, relative, data)
        return folder


def _open_record_folder(folder: Path, force: bool) -> None:
    """Create the folder, or accept an existing real one: empty, or (with force) cleared of a recording."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        try:
            os.makedirs(folder)
        except OSError as exc:
            raise _write_problem(folder, exc)
        return
    except OSError as exc:
        raise _write_problem(folder, exc)
    if stat.S_ISLNK(info.st_mode):
        raise RecordError(f"{folder}: is a symbolic link; record into a real folder")
    if not stat.S_ISDIR(info.st_mode):
        raise RecordError(f"{folder}: exists and is not a folder")
    try:
        entries = os.listdir(folder)
    except OSError as exc:
        raise _write_problem(folder, exc)
    if not entries:
        return
    if not force:
        raise RecordError(f"{folder}: not empty; record into a new folder, or pass --force to replace an "
                          "earlier recording there (only the files it wrote are removed)")
    if "machine.json" in entries:
        _remove_recording(folder)


def _remove_recording(folder: Path) -> None:
    """Delete the files an earlier recording's machine.json names, and machine.json."""
    manifest = folder / "machine.json"
    data, problem, _ = _read_regular(str(manifest), MANIFEST_LIMIT, follow=False)
    try:
        if data is None:
            raise ValueError(problem)
        parsed = parse_json_text(data.decode("utf-8"))
        if not isinstance(parsed, dict) or parsed.get("format") != MACHINE_FORMAT:
            raise ValueError(f"'format' is not {MACHINE_FORMAT!r}")
        names = list(parsed.get("recorded_files") or [])
        for entry in parsed.get("commands") or []:
            names += [entry[key] for key in ("stdout_file", "stderr_file") if isinstance(entry, dict) and key in entry]
    except (ValueError, TypeError) as exc:
        raise RecordError(f"{manifest}: not a recording envdoctor can replace ({exc}); remove the folder by hand")
    names = [name for name in names if name != "machine.json"]
    for name in names:
        if not _safe_relative(name):
            raise RecordError(f"{manifest}: names {name!r}, which is not inside the folder; remove it by hand")
    folders: set[str] = set()
    for name in [*names, "machine.json"]:
        path = folder / name
        _check_no_links(folder, name, last=False)
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise _write_problem(path, exc)
        if not stat.S_ISREG(mode):
            raise RecordError(f"{path}: {_kind(mode)}, not a file envdoctor wrote; remove it by hand")
        try:
            os.unlink(path)
        except OSError as exc:
            raise _write_problem(path, exc)
        parts = name.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    for name in sorted(folders, key=lambda n: n.count("/"), reverse=True):
        try:
            os.rmdir(folder / name)
        except OSError:
            pass  # not empty: something else lives there


def _check_no_links(folder: Path, relative: str, *, last: bool) -> None:
    """Refuse a symlink or non-folder at any folder component of ``relative`` (and at the last one too)."""
    parts = relative.split("/")
    path = folder
    for position, part in enumerate(parts):
        path = path / part
        final = position == len(parts) - 1
        if final and not last:
            return
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return
        except OSError as exc:
            raise _write_problem(path, exc)
        if stat.S_ISLNK(mode):
            raise RecordError(f"{path}: is a symbolic link; envdoctor does not write through links")
        if not final and not stat.S_ISDIR(mode):
            raise RecordError(f"{path}: {_kind(mode)} is in the way of a folder")
        if final:
            raise RecordError(f"{path}: already exists; envdoctor does not overwrite it")


def _write_new(folder: Path, relative: str, data: bytes) -> None:
    """Create folders one component at a time and the file itself exclusively, never through a link."""
    parts = relative.split("/")
    path = folder
    for part in parts[:-1]:
        path = path / part
        try:
            os.mkdir(path)
        except FileExistsError:
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
                raise RecordError(f"{path}: {_kind(mode)} is in the way of a folder")
        except OSError as exc:
            raise _write_problem(path, exc)
    path = path / parts[-1]
    try:
        fd = os.open(path, _CREATE_FLAGS, 0o644)
    except FileExistsError:
        raise RecordError(f"{path}: already exists; envdoctor does not overwrite it")
    except OSError as exc:
        raise _write_problem(path, exc)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise _write_problem(path, exc)
    finally:
        os.close(fd)


RECORDED_ENV = frozenset(
    {
        "PATH",
        "CUDA_VISIBLE_DEVICES",
        "CUDA_DEVICE_ORDER",
        "NVIDIA_VISIBLE_DEVICES",
        "CUDA_HOME",
        "CUDA_PATH",
        "CUDA_ROOT",
        "CUDNN_HOME",
        "LD_LIBRARY_PATH",
        "ROCM_PATH",
        "HIP_VISIBLE_DEVICES",
        "ROCR_VISIBLE_DEVICES",
        "CONDA_PREFIX",
        "CONDA_DEFAULT_ENV",
        "CONDA_EXE",
        "MAMBA_EXE",
        "VIRTUAL_ENV",
        "WSL_DISTRO_NAME",
        "WSL_INTEROP",
        "KUBERNETES_SERVICE_HOST",
        "container",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "UV_INDEX_URL",
        "SYSTEMROOT",
        "ProgramFiles",
        "ONEAPI_ROOT",
    }
)
