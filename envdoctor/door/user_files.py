"""Files the user named or envdoctor keeps for the user: regular files only, bounded, never through a link."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

READ_LIMIT = 4 * 1024 * 1024  # bytes of one file the door reads



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
    data = read_user_bytes(path, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None



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
        _write_all(fd, data)
    except OSError as exc:
        raise UserFileError(f"{path}: cannot write ({exc.strerror or exc})")
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data``: os.write may write less than it is given."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


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


