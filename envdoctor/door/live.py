"""The real machine."""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence

from envdoctor.door.net import _call_with_timeout, _nvml_query, http_get
from envdoctor.door.processes import _psutil, run_command, run_with_channel
from envdoctor.door.types import (
    HTTP_LIMIT,
    ChannelResult,
    CommandResult,
    DiskSpace,
    Door,
    FileRead,
    HttpResult,
    NvmlResult,
    PlatformInfo,
    _decode,
)
from envdoctor.door.user_files import READ_LIMIT, _read_regular
from envdoctor.i18n import _, message_of


class LiveDoor(Door):
    """The real machine."""

    def __init__(self) -> None:
        self._platform: PlatformInfo | None = None

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        return run_command(argv, timeout)

    def run_live(self, argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None) -> CommandResult:
        return run_command(argv, timeout, capture=False, env={**os.environ, **env} if env else None)

    def run_with_channel(
        self, argv: Sequence[str], timeout: float, stdin_for: Callable[[int], bytes],
        on_channel: Callable[[bytes], None] | None = None,
    ) -> ChannelResult:
        return run_with_channel(argv, timeout, stdin_for, on_channel=on_channel)

    def read_file(self, path: str) -> FileRead:
        # Symlinks are followed: this is the machine's own tree (/etc/os-release is one on Debian,
        # Ubuntu and Fedora). FIFOs and devices are refused: reading one would hang or never end.
        data, problem, _truncated = _read_regular(path, READ_LIMIT, follow=True)
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

    def realpath(self, path: str) -> str:
        try:
            return os.path.realpath(path)
        except (OSError, ValueError):
            return path

    def env(self) -> Mapping[str, str]:
        return dict(os.environ)

    def which(self, name: str) -> str | None:
        return shutil.which(name)

    def cwd(self) -> str | None:
        try:
            return os.getcwd()
        except OSError:  # the working directory was removed
            return None

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
            return NvmlResult("not_found", error=_("pynvml not importable: {error}", error=str(exc)))
        try:
            return NvmlResult("ok", data=_call_with_timeout(_nvml_query, timeout))
        except TimeoutError as exc:
            return NvmlResult("timed_out", error=message_of(exc))
        except pynvml.NVMLError_LibraryNotFound as exc:
            return NvmlResult("not_found", error=str(exc) or _("NVML library not found"))
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
        return _("NVML does not exist on macOS")
    if system == "Linux" and not any(
        door.exists(path) for path in ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/dxg")
    ):
        return _("no NVIDIA kernel driver (/proc/driver/nvidia, /dev/nvidiactl and /dev/dxg are absent)")
    return ""


def _memory_and_cpus() -> tuple[int | None, int | None, int | None]:
    """(memory in bytes, logical CPUs, physical cores). On Linux from sysconf and sysfs, as psutil reads
    them, without importing psutil for three numbers; elsewhere from psutil."""
    if sys.platform.startswith("linux"):
        try:
            memory: int | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (OSError, ValueError):
            memory = None
        cores = set()
        try:
            cpus = [entry for entry in os.listdir("/sys/devices/system/cpu") if re.fullmatch(r"cpu[0-9]+", entry)]
        except OSError:
            cpus = []
        for cpu in cpus:
            for name in ("core_cpus_list", "thread_siblings_list"):
                try:
                    with open(f"/sys/devices/system/cpu/{cpu}/topology/{name}", encoding="ascii") as file:
                        cores.add(file.read(4096).strip())
                    break
                except (OSError, ValueError):
                    continue
        return memory, os.cpu_count(), len(cores) or None
    psutil = _psutil()
    try:
        total: int | None = int(psutil.virtual_memory().total)
    except Exception:
        total = None
    return total, psutil.cpu_count(logical=True), psutil.cpu_count(logical=False)


def _live_platform() -> PlatformInfo:
    """Platform facts without starting a process: ``platform.uname().processor`` runs ``uname -p``
    (no timeout) on POSIX, so os.uname() is used there and the processor is read on Windows only."""
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
    memory, logical, physical = _memory_and_cpus()
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
        cpu_count_logical=logical,
        cpu_count_physical=physical,
        memory_total_bytes=memory,
        processor=processor,
    )



def windows_display_language() -> str | None:
    """The Windows display language as a locale name (``zh_CN``), where no locale variable names one:
    Windows sets neither LANG nor LANGUAGE. None elsewhere or when Windows does not say."""
    if sys.platform != "win32":
        return None
    import ctypes
    import locale

    try:
        lcid = ctypes.windll.kernel32.GetUserDefaultUILanguage()
    except (AttributeError, OSError):
        return None
    return locale.windows_locale.get(lcid)
