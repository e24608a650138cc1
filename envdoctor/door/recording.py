"""Recording a machine: a door that remembers what was asked and writes it as a machine folder."""

from __future__ import annotations

import hashlib
import json
import math
import ntpath
import os
import re
import stat
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, field
from pathlib import Path
from typing import Any

from envdoctor.datatypes import datatype
from envdoctor.door.recorded import MANIFEST_LIMIT, _safe_relative, command_key, recorded_file_path
from envdoctor.door.types import (
    HTTP_LIMIT,
    MACHINE_FORMAT,
    ChannelResult,
    CommandResult,
    DiskSpace,
    Door,
    FileRead,
    HttpResult,
    NvmlResult,
    PlatformInfo,
)
from envdoctor.door.user_files import _kind, _read_regular, _write_all
from envdoctor.i18n import _, message_of
from envdoctor.readers.json_text import parse_json_text
from envdoctor.redact import redact_data, redact_env, redact_text


class RecordError(ValueError):
    """A machine folder that cannot be written where asked; the message names the path and why."""


@datatype
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
        return RecordError(_("{path}: permission denied", path=str(path)))
    if isinstance(exc, (NotADirectoryError, FileExistsError)):
        return RecordError(_("{path}: something that is not a folder is in the way", path=str(path)))
    return RecordError(_("{path}: cannot write ({error})", path=str(path), error=exc.strerror or str(exc)))


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

    def run_live(self, argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None) -> CommandResult:
        return self.inner.run_live(argv, timeout, env)

    def run_with_channel(
        self, argv: Sequence[str], timeout: float, stdin_for: Callable[[int], bytes],
        on_channel: Callable[[bytes], None] | None = None,
    ) -> ChannelResult:
        return self.inner.run_with_channel(argv, timeout, stdin_for, on_channel)

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

    def cwd(self) -> str | None:
        return self.inner.cwd()

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
            "recorded_sha256": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(contents.items())},
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
            raise RecordError(_("the folder to record into is an empty path"))
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
    mode = _mode(folder)
    if mode is None:
        try:
            os.makedirs(folder)
        except OSError as exc:
            raise _write_problem(folder, exc)
        return
    if stat.S_ISLNK(mode):
        raise RecordError(_("{path}: is a symbolic link; record into a real folder", path=str(folder)))
    if not stat.S_ISDIR(mode):
        raise RecordError(_("{path}: exists and is not a folder", path=str(folder)))
    try:
        entries = os.listdir(folder)
    except OSError as exc:
        raise _write_problem(folder, exc)
    if not entries:
        return
    if not force:
        raise RecordError(_("{path}: not empty; record into a new folder, or pass --force to replace an "
                            "earlier recording there (only the files it wrote are removed)", path=str(folder)))
    if "machine.json" in entries:
        _remove_recording(folder)


def _remove_recording(folder: Path) -> None:
    """Delete the files an earlier recording wrote, and its machine.json.

    machine.json may have been edited by anyone, so a file goes only when its bytes still hash to what
    ``recorded_sha256`` says envdoctor wrote; any other file stays (and a write that would replace it
    is refused later).
    """
    manifest = folder / "machine.json"
    data, problem, _truncated = _read_regular(str(manifest), MANIFEST_LIMIT, follow=False)
    try:
        if data is None:
            raise ValueError(problem)
        parsed = parse_json_text(data.decode("utf-8"))
        if not isinstance(parsed, dict) or parsed.get("format") != MACHINE_FORMAT:
            raise ValueError(_("'format' is not {format!r}", format=MACHINE_FORMAT))
        hashes = parsed.get("recorded_sha256") or {}
        if not isinstance(hashes, dict) or not all(isinstance(value, str) for value in hashes.values()):
            raise ValueError(_("'recorded_sha256' is not an object of name -> hash"))
    except (ValueError, TypeError) as exc:
        raise RecordError(_("{path}: not a recording envdoctor can replace ({problem}); remove the folder by hand",
                            path=str(manifest), problem=message_of(exc)))
    names = [name for name in hashes if name != "machine.json"]
    for name in names:
        if not _safe_relative(name):
            raise RecordError(_("{path}: names {name!r}, which is not inside the folder; remove it by hand",
                                path=str(manifest), name=name))
    folders: set[str] = set()
    for name in names:
        path = folder / name
        _check_no_links(folder, name, last=False)
        mode = _mode(path)
        if mode is None:
            continue
        if not stat.S_ISREG(mode):
            raise RecordError(_("{path}: {kind}, not a file envdoctor wrote; remove it by hand", path=str(path),
                                kind=_kind(mode)))
        content, _problem, truncated = _read_regular(str(path), MANIFEST_LIMIT, follow=False)
        if content is None or truncated or hashlib.sha256(content).hexdigest() != hashes[name]:
            continue  # not what envdoctor wrote there: left alone
        _remove(path)
        parts = name.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    _remove(manifest)
    for name in sorted(folders, key=lambda n: n.count("/"), reverse=True):
        try:
            os.rmdir(folder / name)
        except OSError:
            pass  # not empty: something else lives there


def _mode(path: Path) -> int | None:
    """The file type and mode at ``path`` itself (a link is not followed); None where nothing is there."""
    try:
        return os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _write_problem(path, exc)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _write_problem(path, exc)


def _check_no_links(folder: Path, relative: str, *, last: bool) -> None:
    """Refuse a symlink or non-folder at any folder component of ``relative`` (and at the last one too)."""
    parts = relative.split("/")
    path = folder
    for position, part in enumerate(parts):
        path = path / part
        final = position == len(parts) - 1
        if final and not last:
            return
        mode = _mode(path)
        if mode is None:
            return
        if stat.S_ISLNK(mode):
            raise RecordError(_("{path}: is a symbolic link; envdoctor does not write through links", path=str(path)))
        if not final and not stat.S_ISDIR(mode):
            raise RecordError(_("{path}: {kind} is in the way of a folder", path=str(path), kind=_kind(mode)))
        if final:
            raise RecordError(_("{path}: already exists; envdoctor does not overwrite it", path=str(path)))


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
                raise RecordError(_("{path}: {kind} is in the way of a folder", path=str(path), kind=_kind(mode)))
        except OSError as exc:
            raise _write_problem(path, exc)
    path = path / parts[-1]
    try:
        fd = os.open(path, _CREATE_FLAGS, 0o644)
    except FileExistsError:
        raise RecordError(_("{path}: already exists; envdoctor does not overwrite it", path=str(path)))
    except OSError as exc:
        raise _write_problem(path, exc)
    try:
        _write_all(fd, data)
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
