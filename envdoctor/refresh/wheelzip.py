"""Read a few members of a remote wheel from byte ranges, as pip's lazy wheel does: never the whole file.

A torch wheel is gigabytes; its METADATA and ``torch/version.py`` are kilobytes. The zip format puts
its directory at the end, so three or four ranged requests suffice: the last 64 KiB (end-of-directory
record, ZIP64 locator), the central directory if it starts earlier, then each wanted member's local
header and data. The functions here are pure: they take the bytes the requests returned and say what
they hold, or raise :class:`WheelZipError`. Every size is bounded and decompression is capped, so a
hostile file cannot make envdoctor read or inflate more than the limits below.
"""

from __future__ import annotations

import re
import struct
import zlib

from envdoctor.datatypes import datatype
from envdoctor.i18n import _

__all__ = ["DIRECTORY_LIMIT", "MEMBER_LIMIT", "TAIL", "Member", "WheelZipError", "content_range",
           "directory_location", "directory_members", "member_content", "member_span"]

TAIL = 64 * 1024  # bytes asked from the end: the end record and a zip comment of any length fit
DIRECTORY_LIMIT = 32 * 1024 * 1024  # a torch wheel's central directory is 1-3 MiB
MEMBER_LIMIT = 4 * 1024 * 1024  # METADATA and version.py are kilobytes
_LOCAL_SLACK = 1024  # a local header's extra field may be longer than the central one

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$", re.ASCII)


class WheelZipError(ValueError):
    """Bytes that are not the zip structure expected; the message says which."""


@datatype(frozen=True)
class Member:
    """One entry of the central directory."""

    name: str
    method: int  # 0 stored, 8 deflated
    compressed_size: int
    size: int
    offset: int  # of its local header


def content_range(header: str) -> tuple[int, int, int] | None:
    """(first, last, total) of a ``Content-Range: bytes first-last/total`` header, or None."""
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last, total = (int(g) for g in match.groups())
    return (first, last, total) if first <= last < total else None


def directory_location(tail: bytes, tail_start: int) -> tuple[int, int]:
    """(offset, size) of the central directory, from the file's last bytes (``tail`` starts at ``tail_start``)."""
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise WheelZipError(_("no end-of-central-directory record in the last bytes: not a zip file"))
    _disk, _start_disk, _entries_here, _entries, size, offset, _comment = struct.unpack("<HHHHIIH", tail[at + 4: at + 22])
    if size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
        locator = at - 20
        if locator < 0 or tail[locator: locator + 4] != _ZIP64_LOCATOR:
            raise WheelZipError(_("a ZIP64 file without its ZIP64 end-record locator"))
        record = struct.unpack("<Q", tail[locator + 8: locator + 16])[0] - tail_start
        if record < 0 or tail[record: record + 4] != _ZIP64_EOCD or len(tail) < record + 56:
            raise WheelZipError(_("the ZIP64 end record is not where its locator says"))
        size, offset = struct.unpack("<QQ", tail[record + 40: record + 56])
    if size > DIRECTORY_LIMIT:
        raise WheelZipError(_("a central directory of {size} bytes (more than {limit})", size=size, limit=DIRECTORY_LIMIT))
    if offset + size > tail_start + at:
        raise WheelZipError(_("the central directory overlaps its end record"))
    return offset, size


def _zip64_values(extra: bytes, wanted: list[str]) -> dict[str, int]:
    """The ZIP64 extra field's values for the fields that were 0xFFFFFFFF, in the order the format fixes."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack("<HH", extra[at: at + 4])
        if kind == 1:
            body = extra[at + 4: at + 4 + length]
            values = struct.unpack(f"<{len(body) // 8}Q", body[: len(body) // 8 * 8])
            if len(values) < len(wanted):
                raise WheelZipError(_("a ZIP64 extra field shorter than its entry needs"))
            return dict(zip(wanted, values, strict=False))
        at += 4 + length
    raise WheelZipError(_("a ZIP64 entry without its ZIP64 extra field"))


def directory_members(data: bytes) -> dict[str, Member]:
    """Every entry of a central directory, by name."""
    members: dict[str, Member] = {}
    at = 0
    while at + 46 <= len(data) and data[at: at + 4] == _CENTRAL:
        (_made_by, _needed, _flags, method, _time, _date, _crc, compressed, size, name_length, extra_length,
         comment_length, _disk, _internal, _external, offset) = struct.unpack("<HHHHHHIIIHHHHHII", data[at + 4: at + 46])
        end = at + 46 + name_length + extra_length + comment_length
        if end > len(data):
            raise WheelZipError(_("a central directory entry runs past the directory"))
        name = data[at + 46: at + 46 + name_length].decode("utf-8", errors="replace")
        wanted = [key for key, value in (("size", size), ("compressed", compressed), ("offset", offset))
                  if value == 0xFFFFFFFF]
        if wanted:
            values = _zip64_values(data[at + 46 + name_length: at + 46 + name_length + extra_length], wanted)
            size, compressed, offset = (values.get("size", size), values.get("compressed", compressed),
                                        values.get("offset", offset))
        members[name] = Member(name, method, compressed, size, offset)
        at = end
    if at != len(data):
        raise WheelZipError(_("the central directory holds something that is not an entry"))
    return members


def member_span(member: Member) -> tuple[int, int]:
    """The byte range (first, last) that holds a member's local header and data."""
    if member.compressed_size > MEMBER_LIMIT or member.size > MEMBER_LIMIT:
        raise WheelZipError(_("{member}: {size} bytes (more than {limit})", member=member.name,
                              size=max(member.size, member.compressed_size), limit=MEMBER_LIMIT))
    return member.offset, member.offset + 30 + len(member.name.encode()) + _LOCAL_SLACK + member.compressed_size - 1


def member_content(chunk: bytes, member: Member) -> bytes:
    """A member's content from the bytes of :func:`member_span` (its local header first)."""
    if chunk[:4] != _LOCAL or len(chunk) < 30:
        raise WheelZipError(_("{member}: no local file header where the directory says", member=member.name))
    name_length, extra_length = struct.unpack("<HH", chunk[26:30])
    start = 30 + name_length + extra_length
    data = chunk[start: start + member.compressed_size]
    if len(data) < member.compressed_size:
        raise WheelZipError(_("{member}: its data runs past the bytes read", member=member.name))
    if member.method == 0:
        return data[:member.size]
    if member.method != 8:
        raise WheelZipError(_("{member}: compression method {method} (only stored and deflated are read)",
                              member=member.name, method=member.method))
    inflater = zlib.decompressobj(-15)
    try:
        content = inflater.decompress(data, MEMBER_LIMIT + 1)
    except zlib.error as exc:
        raise WheelZipError(_("{member}: not valid deflate data ({error})", member=member.name, error=str(exc))) from None
    if len(content) > MEMBER_LIMIT or inflater.unconsumed_tail:
        raise WheelZipError(_("{member}: inflates to more than {limit} bytes", member=member.name, limit=MEMBER_LIMIT))
    return content
