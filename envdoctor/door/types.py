"""What the door answers (results, platform facts), the limits it keeps, and the :class:`Door` interface."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from envdoctor.datatypes import datatype
from envdoctor.i18n import _

MACHINE_FORMAT = "envdoctor.machine/1"
OUTPUT_LIMIT = 8 * 1024 * 1024  # bytes kept of each output stream of a command
CHANNEL_LIMIT = 8 * 1024 * 1024  # bytes kept of what a child writes to its private channel
EXIT_GRACE = 0.5  # seconds a child's pipes may stay open after it exited (a grandchild holding them)
KILL_GRACE = 0.5  # seconds between SIGTERM and SIGKILL
COMMAND_STATUSES = ("ok", "not_found", "timed_out", "error")
HTTP_LIMIT = 256 * 1024  # bytes of an HTTP answer kept (an index page)
HTTP_REDIRECTS = 5
#: What an HTTP request came to: an answer (see ``code``), or why there was none.
HTTP_STATUSES = ("answered", "refused", "unreachable", "timed_out", "tls", "error")
NVML_STATUSES = ("ok", "not_found", "error", "timed_out")


@datatype(frozen=True)
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
            if first:
                return _("exit code {code}: {output}", code=self.returncode, output=first[0][:200])
            return _("exit code {code}", code=self.returncode)
        if self.status == "timed_out":
            return _("timed out after {seconds:.1f} s", seconds=self.duration_s)
        if self.status == "not_found":
            return _("not found")
        return self.error or _("error")


@datatype(frozen=True)
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


@datatype(frozen=True)
class ChannelResult:
    """A command run with a private channel: its result (stdout/stderr are tails) and what it sent."""

    result: CommandResult
    channel: bytes = b""
    channel_truncated: bool = False


@datatype(frozen=True)
class FileRead:
    """A file's text, or None and why not ("not found", "a FIFO, not a regular file", ...)."""

    text: str | None
    problem: str = ""  # why text is None; "truncated at N bytes" when only the start was read


@datatype(frozen=True)
class NvmlResult:
    """What NVML said: ``data`` holds the raw values read through pynvml (see LiveDoor.nvml)."""

    status: str  # "ok" | "not_found" (library missing) | "error" | "timed_out"
    data: dict | None = None
    error: str = ""


@datatype(frozen=True)
class DiskSpace:
    """What ``statvfs`` says of the filesystem holding a path (``/dev/shm``): its size and what is free."""

    total_bytes: int
    free_bytes: int  # available to an unprivileged process (f_bavail)


@datatype(frozen=True)
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

    def run_live(self, argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None) -> CommandResult:
        """Run a command whose output goes straight to the user (an installer); output is not kept.

        ``env``: variables set for this command only (an extension build's MAX_JOBS), over envdoctor's own."""
        raise NotImplementedError

    def run_with_channel(
        self, argv: Sequence[str], timeout: float, stdin_for: Callable[[int], bytes],
        on_channel: Callable[[bytes], None] | None = None,
    ) -> ChannelResult:
        """Run argv with a private pipe the child reports on; stdout and stderr are noise, kept as tails.

        ``on_channel``, when given, sees each chunk of the channel as it arrives (a progress display).

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

    def realpath(self, path: str) -> str:
        """The path with symlinks resolved, so that two names of one folder are asked about once; a
        recorded machine (and a recording, which must ask what its replay will) keeps the name given."""
        return path

    def env(self) -> Mapping[str, str]:
        raise NotImplementedError

    def which(self, name: str) -> str | None:
        raise NotImplementedError

    def cwd(self) -> str | None:
        """The working directory, where a ``.venv`` may be; None for a machine that is not this one."""
        return None

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

