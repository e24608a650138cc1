"""The one door to the machine.

Every probe reaches the machine only through a :class:`Door`: run a command with a timeout, read a
file, list a directory, test a path, read the environment, find an executable, ask NVML, read
platform facts. :class:`LiveDoor` is the real machine, :class:`RecordedDoor` replays a machine
folder (tests, bug reports) and :class:`RecordingDoor` wraps a live door and writes such a folder.

Machine folder layout (``machine.json`` plus ``files/``)::

    machine.json  {"format": "envdoctor.machine/1", "platform": {...}, "env": {...},
                   "which": {"nvidia-smi": "/usr/bin/nvidia-smi"},
                   "commands": [{"argv": [...], "status": "ok", "returncode": 0,
                                 "stdout": "..." | "stdout_file": "commands/x.txt",
                                 "stderr": "..." | "stderr_file": "...", "duration_s": 0.05}],
                   "dirs": {"/usr/local": ["cuda", "cuda-12.4"]},
                   "exists": ["/dev/dxg"],
                   "nvml": {"status": "ok", "data": {...}} | {"status": "not_found", "error": "..."}}
    files/        the files that were read, at their absolute path below files/ (files/proc/...)

A command argument that holds a script (a newline, or longer than 200 characters) is matched by its
first line when that line is a ``# envdoctor:NAME`` marker, so fixtures stay valid when a script
changes.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

MACHINE_FORMAT = "envdoctor.machine/1"
READ_LIMIT = 4 * 1024 * 1024


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
class NvmlResult:
    """What NVML said: ``data`` holds the raw values read through pynvml (see LiveDoor.nvml)."""

    status: str  # "ok" | "not_found" (library missing) | "error" | "timed_out"
    data: dict | None = None
    error: str = ""


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
    processor: str = ""


class Door:
    """The interface every probe uses. Subclasses implement each method."""

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        raise NotImplementedError

    def run_live(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Run a command whose output goes straight to the user (an installer); output is not kept."""
        raise NotImplementedError

    def read_text(self, path: str) -> str | None:
        """The file's text (undecodable bytes replaced), or None when it cannot be read."""
        raise NotImplementedError

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


def _decode(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill the process and anything it started (it runs in its own session)."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError, OSError):
        pass


def run_command(argv: Sequence[str], timeout: float, capture: bool = True) -> CommandResult:
    """Run argv (never through a shell) and always come back within about ``timeout`` seconds.

    With ``capture=False`` the child writes to envdoctor's stderr as it goes (stdout stays free
    for a JSON document).
    """
    argv = tuple(str(a) for a in argv)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else 2,
            stderr=subprocess.PIPE if capture else None,
            start_new_session=(os.name == "posix"),
        )
    except FileNotFoundError:
        return CommandResult(argv, "not_found", duration_s=time.monotonic() - start)
    except OSError as exc:
        return CommandResult(argv, "error", duration_s=time.monotonic() - start, error=str(exc))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        try:
            out, err = proc.communicate(timeout=1.0)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
        return CommandResult(
            argv, "timed_out", None, _decode(out), _decode(err), time.monotonic() - start
        )
    return CommandResult(
        argv, "ok", proc.returncode, _decode(out), _decode(err), time.monotonic() - start
    )


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
                ("uuid", lambda: text(pynvml.nvmlDeviceGetUUID(handle))),
                ("memory_total_bytes", lambda: int(pynvml.nvmlDeviceGetMemoryInfo(handle).total)),
                ("compute_capability", lambda: list(pynvml.nvmlDeviceGetCudaComputeCapability(handle))),
                ("mig_mode", lambda: list(pynvml.nvmlDeviceGetMigMode(handle))),
                ("pci_bus_id", lambda: text(pynvml.nvmlDeviceGetPciInfo(handle).busId)),
            ):
                try:
                    device[key] = call()
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


class LiveDoor(Door):
    """The real machine."""

    def __init__(self) -> None:
        self._platform: PlatformInfo | None = None

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        return run_command(argv, timeout)

    def run_live(self, argv: Sequence[str], timeout: float) -> CommandResult:
        return run_command(argv, timeout, capture=False)

    def read_text(self, path: str) -> str | None:
        try:
            with open(path, "rb") as handle:
                return _decode(handle.read(READ_LIMIT))
        except (OSError, ValueError):
            return None

    def listdir(self, path: str) -> list[str] | None:
        try:
            return sorted(os.listdir(path))
        except (OSError, ValueError):
            return None

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def env(self) -> Mapping[str, str]:
        return dict(os.environ)

    def which(self, name: str) -> str | None:
        return shutil.which(name)

    def platform(self) -> PlatformInfo:
        if self._platform is None:
            self._platform = _live_platform()
        return self._platform

    def python_executable(self) -> str:
        import sys

        return sys.executable

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
    import sys

    import psutil

    glibc = ""
    if hasattr(os, "confstr"):
        try:
            glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").replace("glibc", "").strip()
        except (OSError, ValueError):
            glibc = ""
    win_ver, win_edition = "", ""
    if sys.platform == "win32":
        win_ver = platform.win32_ver()[1]
        win_edition = platform.win32_edition() or ""
    try:
        memory = int(psutil.virtual_memory().total)
    except Exception:
        memory = None
    uname = platform.uname()
    return PlatformInfo(
        system=uname.system,
        machine=uname.machine,
        release=uname.release,
        version=uname.version,
        python_executable=sys.executable,
        mac_ver=platform.mac_ver()[0] if sys.platform == "darwin" else "",
        win_ver=win_ver,
        win_edition=win_edition,
        glibc=glibc,
        cpu_count_logical=psutil.cpu_count(logical=True),
        cpu_count_physical=psutil.cpu_count(logical=False),
        memory_total_bytes=memory,
        processor=uname.processor,
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


class MachineFolderError(ValueError):
    """A machine folder that cannot be read; the message names the file and what is wrong."""


class RecordedDoor(Door):
    """A machine replayed from a folder written by ``check --record`` or by hand from real outputs."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        manifest = self.folder / "machine.json"
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MachineFolderError(f"{manifest}: no such file (a machine folder needs machine.json)")
        except (OSError, ValueError) as exc:
            raise MachineFolderError(f"{manifest}: not readable JSON: {exc}")
        if not isinstance(data, dict) or data.get("format") != MACHINE_FORMAT:
            raise MachineFolderError(f"{manifest}: 'format' must be {MACHINE_FORMAT!r}")
        try:
            self._platform = PlatformInfo(**data.get("platform", {}))
        except TypeError as exc:
            raise MachineFolderError(f"{manifest}: bad 'platform': {exc}")
        self._env = {str(k): str(v) for k, v in data.get("env", {}).items()}
        self._which = dict(data.get("which", {}))
        self._dirs = {k: sorted(v) for k, v in data.get("dirs", {}).items()}
        self._exists = set(data.get("exists", []))
        self._nvml = data.get("nvml", {"status": "not_found", "error": "not recorded"})
        self._commands: dict[tuple[str, ...], dict] = {}
        for number, entry in enumerate(data.get("commands", [])):
            if not isinstance(entry, dict) or not isinstance(entry.get("argv"), list):
                raise MachineFolderError(f"{manifest}: commands[{number}] needs an 'argv' list")
            self._commands[command_key(entry["argv"])] = entry

    def _text(self, entry: dict, name: str) -> str:
        if f"{name}_file" in entry:
            path = self.folder / entry[f"{name}_file"]
            try:
                return path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                raise MachineFolderError(f"{path}: cannot read ({exc})")
        return str(entry.get(name, ""))

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
            self._text(entry, "stdout"),
            self._text(entry, "stderr"),
            duration,
            entry.get("error", ""),
        )

    def run_live(self, argv: Sequence[str], timeout: float) -> CommandResult:
        return CommandResult(tuple(argv), "error", error="a recorded machine cannot run installers")

    def _file(self, path: str) -> Path:
        return self.folder / "files" / path.lstrip("/\\").replace(":", "")

    def read_text(self, path: str) -> str | None:
        try:
            return self._file(path).read_text(encoding="utf-8", errors="replace")
        except (OSError, ValueError):
            return None

    def listdir(self, path: str) -> list[str] | None:
        return list(self._dirs[path]) if path in self._dirs else None

    def exists(self, path: str) -> bool:
        return (
            path in self._exists
            or path in self._dirs
            or self._file(path).is_file()
            or path in self._which.values()
        )

    def env(self) -> Mapping[str, str]:
        return dict(self._env)

    def which(self, name: str) -> str | None:
        return self._which.get(name)

    def platform(self) -> PlatformInfo:
        return self._platform

    def nvml(self, timeout: float) -> NvmlResult:
        return NvmlResult(
            self._nvml.get("status", "error"), self._nvml.get("data"), self._nvml.get("error", "")
        )


@dataclass
class _Recording:
    commands: list = field(default_factory=list)
    dirs: dict = field(default_factory=dict)
    exists: set = field(default_factory=set)
    which: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    nvml: dict | None = None


class RecordingDoor(Door):
    """Wraps a door and remembers everything asked, to write a machine folder afterwards."""

    def __init__(self, inner: Door) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self._rec = _Recording()

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        result = self.inner.run(argv, timeout)
        with self._lock:
            self._rec.commands.append(result)
        return result

    def run_live(self, argv: Sequence[str], timeout: float) -> CommandResult:
        return self.inner.run_live(argv, timeout)

    def read_text(self, path: str) -> str | None:
        text = self.inner.read_text(path)
        if text is not None:
            with self._lock:
                self._rec.files[path] = text
        return text

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

    def nvml(self, timeout: float) -> NvmlResult:
        result = self.inner.nvml(timeout)
        with self._lock:
            self._rec.nvml = {"status": result.status, "data": result.data, "error": result.error}
        return result

    def write(self, folder: str | os.PathLike) -> Path:
        """Write the machine folder; the environment is filtered to what probes read."""
        folder = Path(folder)
        (folder / "commands").mkdir(parents=True, exist_ok=True)
        commands = []
        for number, result in enumerate(self._rec.commands):
            entry: dict[str, Any] = {
                "argv": list(command_key(result.argv)),
                "status": result.status,
                "returncode": result.returncode,
                "duration_s": round(result.duration_s, 4),
            }
            if result.error:
                entry["error"] = result.error
            for name in ("stdout", "stderr"):
                text = getattr(result, name)
                if text:
                    rel = f"commands/{number:02d}-{Path(result.argv[0]).name}.{name}"
                    (folder / rel).write_text(text, encoding="utf-8")
                    entry[f"{name}_file"] = rel
            commands.append(entry)
        for path, text in self._rec.files.items():
            target = folder / "files" / path.lstrip("/\\").replace(":", "")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        manifest = {
            "format": MACHINE_FORMAT,
            "platform": asdict(self.inner.platform()),
            "env": {k: v for k, v in self.inner.env().items() if k in RECORDED_ENV},
            "which": dict(sorted(self._rec.which.items())),
            "commands": commands,
            "dirs": dict(sorted(self._rec.dirs.items())),
            "exists": sorted(self._rec.exists),
            "nvml": self._rec.nvml or {"status": "not_found", "error": "not asked"},
        }
        (folder / "machine.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return folder


RECORDED_ENV = frozenset(
    {
        "PATH",
        "CUDA_VISIBLE_DEVICES",
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
