"""A machine replayed from a folder.

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
                   "recorded_files": ["commands/00-python.stdout", "files/proc/cpuinfo", ...],
                   "recorded_sha256": {"commands/00-python.stdout": "<hex digest>", ...}}
    files/        the files that were read, at their absolute path below files/ (files/proc/...;
                  a Windows path C:\\a\\b at files/C/a/b): see :func:`recorded_file_path`

A folder may come from someone else, so :class:`RecordedDoor` checks all of it when it opens: every
field's type, regular files only (no symlinks, FIFOs or devices anywhere in the folder), sizes
bounded, every referenced file present. Anything else is a :class:`MachineFolderError` naming the
entry. ``target_python`` is the interpreter a recording was made for (``--python``);
``recorded_files`` lists what the recording wrote and ``recorded_sha256`` the hash of each, so a later
``--force`` removes only those files, and only while they still hold what was written.

A command argument that holds a script (a newline, or longer than 200 characters) is matched by its
first line when that line is a ``# envdoctor:NAME`` marker, so fixtures stay valid when a script
changes.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from envdoctor.door.types import (
    COMMAND_STATUSES,
    HTTP_LIMIT,
    MACHINE_FORMAT,
    NVML_STATUSES,
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
from envdoctor.door.user_files import _kind, _read_regular
from envdoctor.i18n import _
from envdoctor.readers.json_text import parse_json_text

MANIFEST_LIMIT = 32 * 1024 * 1024  # machine.json
FOLDER_FILE_LIMIT = 16 * 1024 * 1024  # any other file of a machine folder
FOLDER_TOTAL_LIMIT = 256 * 1024 * 1024
FOLDER_ENTRY_LIMIT = 20_000
#: Entries of machine.json's lists and objects, and names in its directory listings, all together: a
#: recording holds a few thousand; checking and indexing stops before work grows past this.
MANIFEST_ENTRY_LIMIT = 100_000


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
           "recorded_files", "recorded_sha256", "disk_space"}
    COMMAND = {"argv", "status", "returncode", "stdout", "stderr", "stdout_file", "stderr_file", "duration_s",
               "error", "truncated"}
    NVML_DEVICE = {"index", "name", "uuid", "memory_total_bytes", "memory_used_bytes", "compute_capability",
                   "mig_mode", "pci_bus_id", "errors"}

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, field_name: str, problem: str) -> MachineFolderError:
        return MachineFolderError(_("{where}: {field}: {problem}", where=self.where, field=field_name, problem=problem))

    def keys(self, value: dict, allowed: set, field_name: str) -> None:
        unknown = sorted(str(key) for key in value if key not in allowed)
        if unknown:
            raise self.fail(field_name, _("unknown key(s) {keys}", keys=", ".join(unknown[:5])))

    def mapping(self, value: Any, field_name: str, item: Callable[[Any], bool], what: str) -> dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) and item(v) for k, v in value.items()):
            raise self.fail(field_name, _("must be an object of string -> {what}", what=what))
        return value

    def strings(self, value: Any, field_name: str) -> list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(field_name, _("must be a list of strings"))
        return value

    def check(self, data: Any) -> dict:
        if not isinstance(data, dict) or data.get("format") != MACHINE_FORMAT:
            raise MachineFolderError(_("{where}: 'format' must be {format!r}", where=self.where, format=MACHINE_FORMAT))
        self.keys(data, self.TOP, _("top level"))
        self.size(data)
        self.platform(data.get("platform"))
        self.mapping(data.get("env", {}), "env", lambda v: isinstance(v, str), _("string"))
        self.mapping(data.get("which", {}), "which", lambda v: isinstance(v, str), _("string"))
        self.mapping(data.get("dirs", {}), "dirs",
                     lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v), _("list of strings"))
        self.strings(data.get("exists", []), "exists")
        self.strings(data.get("recorded_files", []), "recorded_files")
        self.mapping(data.get("recorded_sha256", {}), "recorded_sha256",
                     lambda v: isinstance(v, str) and re.fullmatch("[0-9a-f]{64}", v) is not None, _("SHA-256 hex digest"))
        target = data.get("target_python")
        if target is not None and not (isinstance(target, str) and target):
            raise self.fail("target_python", _("must be a non-empty string or null"))
        commands = data.get("commands", [])
        if not isinstance(commands, list):
            raise self.fail("commands", _("must be a list"))
        for number, entry in enumerate(commands):
            self.command(entry, f"commands[{number}]")
        self.nvml(data.get("nvml", {"status": "not_found", "error": "not recorded"}))
        self.disk_space(data.get("disk_space", {}))
        return data

    def size(self, data: dict) -> None:
        """Refuse a manifest with more than MANIFEST_ENTRY_LIMIT entries before any is looked at one by one."""
        total = 0
        for key in sorted(self.TOP - {"format", "platform", "nvml", "target_python"}):
            value = data.get(key)
            if isinstance(value, (dict, list)):
                total += len(value)
            if total > MANIFEST_ENTRY_LIMIT:
                raise self.fail(key, _("more than {limit} entries in all: not a recorded machine",
                                       limit=MANIFEST_ENTRY_LIMIT))
        listings = data.get("dirs")
        if isinstance(listings, dict):
            for listing in listings.values():
                total += len(listing) if isinstance(listing, list) else 0
                if total > MANIFEST_ENTRY_LIMIT:
                    raise self.fail("dirs", _("more than {limit} entries in all: not a recorded machine",
                                              limit=MANIFEST_ENTRY_LIMIT))

    def disk_space(self, value: Any) -> None:
        """``{"/dev/shm": {"total_bytes": N, "free_bytes": N}}``: whole numbers, free never above total."""
        if not isinstance(value, dict):
            raise self.fail("disk_space", _("must be an object of path -> {{total_bytes, free_bytes}}"))
        for path, entry in value.items():
            name = f"disk_space[{path!r}]"
            if not isinstance(entry, dict) or set(entry) != {"total_bytes", "free_bytes"}:
                raise self.fail(name, _("must be an object with exactly total_bytes and free_bytes"))
            total, free = entry["total_bytes"], entry["free_bytes"]
            if not (_is_int(total) and _is_int(free) and 0 <= free <= total):
                raise self.fail(name, _("total_bytes and free_bytes must be whole numbers, 0 <= free <= total"))

    def platform(self, value: Any) -> None:
        if not isinstance(value, dict):
            raise MachineFolderError(_("{where}: bad 'platform': must be an object", where=self.where))
        known = {item.name: item for item in fields(PlatformInfo)}
        unknown = sorted(str(key) for key in value if key not in known)
        if unknown:
            raise MachineFolderError(_("{where}: bad 'platform': unknown key(s) {keys}", where=self.where,
                                       keys=", ".join(unknown[:5])))
        for name, item in known.items():
            if name not in value:
                if name in ("system", "machine"):
                    raise MachineFolderError(_("{where}: bad 'platform': {name!r} is required", where=self.where, name=name))
                continue
            wanted_str = item.type == "str"
            ok = isinstance(value[name], str) if wanted_str else (value[name] is None or _is_int(value[name]))
            if not ok:
                if wanted_str:
                    raise MachineFolderError(_("{where}: bad 'platform': {name!r} must be a string",
                                               where=self.where, name=name))
                raise MachineFolderError(_("{where}: bad 'platform': {name!r} must be an integer or null",
                                           where=self.where, name=name))

    def command(self, entry: Any, name: str) -> None:
        if not isinstance(entry, dict) or not isinstance(entry.get("argv"), list) or not entry["argv"]:
            raise MachineFolderError(_("{where}: {name} needs an 'argv' list", where=self.where, name=name))
        self.keys(entry, self.COMMAND, name)
        self.strings(entry["argv"], f"{name}.argv")
        if entry.get("status", "ok") not in COMMAND_STATUSES:
            raise self.fail(f"{name}.status", _("must be one of {values}", values=", ".join(COMMAND_STATUSES)))
        if "returncode" in entry and entry["returncode"] is not None and not _is_int(entry["returncode"]):
            raise self.fail(f"{name}.returncode", _("must be an integer or null"))
        for key in ("stdout", "stderr", "error"):
            if key in entry and not isinstance(entry[key], str):
                raise self.fail(f"{name}.{key}", _("must be a string"))
        for key in ("stdout", "stderr"):
            if f"{key}_file" in entry:
                if key in entry:
                    raise self.fail(name, _("has both {key!r} and {file_key!r}", key=key, file_key=key + "_file"))
                if not _safe_relative(entry[f"{key}_file"]):
                    raise self.fail(f"{name}.{key}_file", _("{path!r} is not a relative path inside the folder",
                                                            path=entry[key + "_file"]))
        duration = entry.get("duration_s", 0.0)
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 0 <= duration < 1e9:
            raise self.fail(f"{name}.duration_s", _("must be a finite number of seconds >= 0"))
        if not isinstance(entry.get("truncated", False), bool):
            raise self.fail(f"{name}.truncated", _("must be true or false"))

    def nvml(self, value: Any) -> None:
        if not isinstance(value, dict):
            raise self.fail("nvml", _("must be an object"))
        self.keys(value, {"status", "data", "error"}, "nvml")
        if value.get("status") not in NVML_STATUSES:
            raise self.fail("nvml.status", _("must be one of {values}", values=", ".join(NVML_STATUSES)))
        if not isinstance(value.get("error", ""), str):
            raise self.fail("nvml.error", _("must be a string"))
        data = value.get("data")
        if data is None:
            return
        if not isinstance(data, dict):
            raise self.fail("nvml.data", _("must be an object or null"))
        self.keys(data, {"driver_version", "cuda_driver_version", "devices"}, "nvml.data")
        if not isinstance(data.get("driver_version", ""), str):
            raise self.fail("nvml.data.driver_version", _("must be a string"))
        cuda = data.get("cuda_driver_version")
        if cuda is not None and not _is_int(cuda):
            raise self.fail("nvml.data.cuda_driver_version", _("must be an integer or null"))
        devices = data.get("devices", [])
        if not isinstance(devices, list):
            raise self.fail("nvml.data.devices", _("must be a list"))
        for number, device in enumerate(devices):
            name = f"nvml.data.devices[{number}]"
            if not isinstance(device, dict):
                raise self.fail(name, _("must be an object"))
            self.keys(device, self.NVML_DEVICE, name)
            if not _is_int(device.get("index")):
                raise self.fail(f"{name}.index", _("must be an integer"))
            if not isinstance(device.get("name"), str):
                raise self.fail(f"{name}.name", _("must be a string"))
            for key in ("uuid", "pci_bus_id"):
                if device.get(key) is not None and not isinstance(device[key], str):
                    raise self.fail(f"{name}.{key}", _("must be a string or null"))
            for key in ("memory_total_bytes", "memory_used_bytes"):
                if device.get(key) is not None and not _is_int(device[key]):
                    raise self.fail(f"{name}.{key}", _("must be an integer or null"))
            for key in ("compute_capability", "mig_mode"):
                pair = device.get(key)
                if pair is not None and not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_int, pair))):
                    raise self.fail(f"{name}.{key}", _("must be a list of two integers or null"))
            self.mapping(device.get("errors", {}), f"{name}.errors", lambda v: isinstance(v, str), _("string"))


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
            raise MachineFolderError(_("{path}: cannot list ({error})", path=path, error=exc.strerror or str(exc)))
        for entry in entries:
            count += 1
            name = f"{relative}{entry.name}"
            if count > FOLDER_ENTRY_LIMIT:
                raise MachineFolderError(_("{path}: more than {limit} entries: not a machine folder", path=str(root),
                                           limit=FOLDER_ENTRY_LIMIT))
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                raise MachineFolderError(_("{path}: cannot read ({error})", path=entry.path,
                                           error=exc.strerror or str(exc)))
            if stat.S_ISDIR(mode):
                pending.append((f"{name}/", entry.path))
            elif stat.S_ISREG(mode):
                size = entry.stat(follow_symlinks=False).st_size
                total += size
                if total > FOLDER_TOTAL_LIMIT:
                    raise MachineFolderError(_("{path}: more than {limit} bytes: not a machine folder", path=str(root),
                                               limit=FOLDER_TOTAL_LIMIT))
                files[name] = size
            else:
                raise MachineFolderError(_("{path}: {kind}; a machine folder holds regular files and folders only",
                                           path=entry.path, kind=_kind(mode)))
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
            if problem == "no such file":
                raise MachineFolderError(_("{path}: {problem} (a machine folder needs machine.json)",
                                           path=str(manifest), problem=problem))
            raise MachineFolderError(_("{path}: {problem}", path=str(manifest), problem=problem))
        if truncated:
            raise MachineFolderError(_("{path}: larger than {limit} bytes", path=str(manifest), limit=MANIFEST_LIMIT))
        try:
            parsed = parse_json_text(data.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError included
            raise MachineFolderError(_("{path}: not readable JSON: {error}", path=str(manifest), error=str(exc)))
        manifest_data = _Manifest(str(manifest)).check(parsed)
        tree = _folder_tree(self.folder)
        self._platform = PlatformInfo(**manifest_data["platform"])
        self._target_python = manifest_data.get("target_python")
        self._env = dict(manifest_data.get("env", {}))
        self._which = dict(manifest_data.get("which", {}))
        self._dirs = {k: sorted(v) for k, v in manifest_data.get("dirs", {}).items()}
        self._exists = set(manifest_data.get("exists", []))
        self._nvml = manifest_data.get("nvml", {"status": "not_found", "error": _("not recorded")})
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
            raise MachineFolderError(_("{path}: no such file (named by machine.json {field})", path=str(path),
                                       field=field_name))
        data, problem, truncated = _read_regular(str(path), FOLDER_FILE_LIMIT, follow=False)
        if data is None:
            raise MachineFolderError(_("{path}: {problem}", path=str(path), problem=problem))
        if truncated:
            raise MachineFolderError(_("{path}: larger than {limit} bytes", path=str(path), limit=FOLDER_FILE_LIMIT))
        return _decode(data)

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        argv = tuple(str(a) for a in argv)
        entry = self._commands.get(command_key(argv))
        if entry is None:
            if self.which(argv[0]) is None and not self.exists(argv[0]):
                return CommandResult(argv, "not_found")
            return CommandResult(argv, "error", error=_("not recorded in this machine folder"))
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

    def run_live(self, argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None) -> CommandResult:
        return CommandResult(tuple(argv), "error", error=_("a recorded machine cannot run installers"))

    def run_with_channel(
        self, argv: Sequence[str], timeout: float, stdin_for: Callable[[int], bytes],
        on_channel: Callable[[bytes], None] | None = None,
    ) -> ChannelResult:
        return ChannelResult(CommandResult(tuple(str(a) for a in argv), "error",
                                           error=_("a recorded machine cannot run the verifier")))

    def read_file(self, path: str) -> FileRead:
        text = self._files.get(recorded_file_path(path))
        return FileRead(text, "" if text is not None else _("not recorded in this machine folder"))

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
        return HttpResult(url, "error", error=_("a recorded machine has no network"))

    def disk_space(self, path: str) -> DiskSpace | None:
        return self._disk_space.get(path)


