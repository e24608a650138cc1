"""The one door to the machine.

Every probe reaches the machine only through a :class:`Door`: run a command with a timeout, read a
file, list a directory, test a path, read the environment, find an executable, ask NVML, read
platform facts. :class:`LiveDoor` is the real machine, :class:`RecordedDoor` replays a machine
folder (tests, bug reports) and :class:`RecordingDoor` wraps a live door and writes such a folder.

One module per part of the interface: ``types`` (results, limits, the Door base), ``processes``
(running children), ``user_files`` (files the user named), ``net`` (HTTP, NVML), ``live``,
``recorded`` (machine folders) and ``recording``. This package re-exports what the rest of
envdoctor uses.
"""

from __future__ import annotations

from envdoctor.door.live import LiveDoor, windows_display_language
from envdoctor.door.net import http_get
from envdoctor.door.processes import (
    STOP_SIGNALS,
    Stopped,
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
    "append_user_file",
    "command_key",
    "http_get",
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
