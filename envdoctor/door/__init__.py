"""The one door to the machine.

Every probe reaches the machine only through a :class:`Door`: run a command with a timeout, read a
file, list a directory, test a path, read the environment, find an executable, ask NVML, read
platform facts. :class:`LiveDoor` is the real machine, :class:`RecordedDoor` replays a machine
folder (tests, bug reports) and :class:`RecordingDoor` wraps a live door and writes such a folder.

One module per part of the interface: ``types`` (results, limits, the Door base), ``processes``
(running children), ``user_files`` (files the user named), ``net`` (HTTP, NVML), ``live``,
``recorded`` (machine folders) and ``recording``. This package re-exports what the rest of
envdoctor uses, each name imported from its module when first asked for, so ``check`` loads neither
the recording nor the machine-folder code (nor hashing) unless it records or replays.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envdoctor.door.live import LiveDoor, windows_display_language
    from envdoctor.door.net import http_get
    from envdoctor.door.processes import (
        STOP_SIGNALS,
        WAKE_EVERY,
        Stopped,
        join_thread,
        run_command,
        run_with_channel,
        stop_all_commands,
        stop_on_signals,
    )
    from envdoctor.door.recorded import (
        FOLDER_ENTRY_LIMIT,
        FOLDER_FILE_LIMIT,
        FOLDER_TOTAL_LIMIT,
        MANIFEST_ENTRY_LIMIT,
        MANIFEST_LIMIT,
        MachineFolderError,
        RecordedDoor,
        command_key,
        recorded_file_path,
    )
    from envdoctor.door.recording import RECORDED_ENV, RecordError, RecordingDoor
    from envdoctor.door.types import (
        CHANNEL_LIMIT,
        COMMAND_STATUSES,
        EXIT_GRACE,
        HTTP_LIMIT,
        HTTP_REDIRECTS,
        HTTP_STATUSES,
        KILL_GRACE,
        MACHINE_FORMAT,
        NVML_STATUSES,
        OUTPUT_LIMIT,
        ChannelResult,
        CommandResult,
        DiskSpace,
        Door,
        FileRead,
        HttpResult,
        NvmlResult,
        PlatformInfo,
    )
    from envdoctor.door.user_files import (
        READ_LIMIT,
        UserFileError,
        append_user_file,
        make_user_dir,
        read_user_bytes,
        read_user_file,
        remove_user_file,
        user_cache_path,
        user_data_path,
        write_user_file,
    )

_MODULE_OF = {
    "CHANNEL_LIMIT": "types",
    "COMMAND_STATUSES": "types",
    "ChannelResult": "types",
    "CommandResult": "types",
    "DiskSpace": "types",
    "Door": "types",
    "EXIT_GRACE": "types",
    "FOLDER_ENTRY_LIMIT": "recorded",
    "FOLDER_FILE_LIMIT": "recorded",
    "FOLDER_TOTAL_LIMIT": "recorded",
    "FileRead": "types",
    "HTTP_LIMIT": "types",
    "HTTP_REDIRECTS": "types",
    "HTTP_STATUSES": "types",
    "HttpResult": "types",
    "KILL_GRACE": "types",
    "LiveDoor": "live",
    "windows_display_language": "live",
    "MACHINE_FORMAT": "types",
    "MANIFEST_ENTRY_LIMIT": "recorded",
    "MANIFEST_LIMIT": "recorded",
    "MachineFolderError": "recorded",
    "NVML_STATUSES": "types",
    "NvmlResult": "types",
    "OUTPUT_LIMIT": "types",
    "PlatformInfo": "types",
    "READ_LIMIT": "user_files",
    "RECORDED_ENV": "recording",
    "RecordError": "recording",
    "RecordedDoor": "recorded",
    "RecordingDoor": "recording",
    "STOP_SIGNALS": "processes",
    "Stopped": "processes",
    "WAKE_EVERY": "processes",
    "UserFileError": "user_files",
    "append_user_file": "user_files",
    "command_key": "recorded",
    "http_get": "net",
    "join_thread": "processes",
    "make_user_dir": "user_files",
    "read_user_bytes": "user_files",
    "read_user_file": "user_files",
    "recorded_file_path": "recorded",
    "remove_user_file": "user_files",
    "run_command": "processes",
    "run_with_channel": "processes",
    "stop_all_commands": "processes",
    "stop_on_signals": "processes",
    "user_cache_path": "user_files",
    "user_data_path": "user_files",
    "write_user_file": "user_files",
}
_SUBMODULES = frozenset({"live", "net", "processes", "recorded", "recording", "types", "user_files"})


def __getattr__(name: str) -> Any:
    """A re-exported name (or a submodule), imported on first use and kept."""
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "CHANNEL_LIMIT",
    "COMMAND_STATUSES",
    "EXIT_GRACE",
    "FOLDER_ENTRY_LIMIT",
    "FOLDER_FILE_LIMIT",
    "FOLDER_TOTAL_LIMIT",
    "HTTP_LIMIT",
    "HTTP_REDIRECTS",
    "HTTP_STATUSES",
    "KILL_GRACE",
    "MACHINE_FORMAT",
    "MANIFEST_ENTRY_LIMIT",
    "MANIFEST_LIMIT",
    "NVML_STATUSES",
    "OUTPUT_LIMIT",
    "READ_LIMIT",
    "RECORDED_ENV",
    "STOP_SIGNALS",
    "ChannelResult",
    "CommandResult",
    "DiskSpace",
    "Door",
    "FileRead",
    "HttpResult",
    "LiveDoor",
    "MachineFolderError",
    "NvmlResult",
    "PlatformInfo",
    "RecordError",
    "RecordedDoor",
    "RecordingDoor",
    "Stopped",
    "UserFileError",
    "WAKE_EVERY",
    "append_user_file",
    "command_key",
    "http_get",
    "join_thread",
    "make_user_dir",
    "read_user_bytes",
    "read_user_file",
    "recorded_file_path",
    "remove_user_file",
    "run_command",
    "run_with_channel",
    "stop_all_commands",
    "stop_on_signals",
    "user_cache_path",
    "user_data_path",
    "windows_display_language",
    "write_user_file",
]
