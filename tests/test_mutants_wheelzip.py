"""The ranged zip reader's answers compared whole: members against what the stdlib's zipfile wrote
(an independent reader of the same bytes), byte ranges and error messages hand-computed from the zip
format (PKWARE APPNOTE 6.3.10: a local header is 30 bytes plus name and extra; an end record is 22)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from envdoctor.refresh import wheelzip
from envdoctor.refresh.wheelzip import Member, WheelZipError


def written() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", b"stored bytes", zipfile.ZIP_STORED)
        archive.writestr("b/METADATA", b"Name: torch\n" * 20, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def stdlib_members(data: bytes) -> dict[str, Member]:
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    return {i.filename: Member(i.filename, i.compress_type, i.compress_size, i.file_size, i.header_offset)
            for i in infos}


@pytest.mark.parametrize(("header", "expected"), [
    ("bytes 0-0/1", (0, 0, 1)),
    ("  bytes 5-9/10 ", (5, 9, 10)),
    ("bytes 9-9/10", (9, 9, 10)),
    ("bytes 10-9/20", None),
    ("bytes 5-10/10", None),
    ("bytes 5-9/10 extra", None),
    ("xbytes 5-9/10", None),
    ("bytes 5-9/*", None),
])
def test_content_range(header, expected):
    assert wheelzip.content_range(header) == expected


def test_the_directory_is_found_and_read_whole_as_zipfile_reads_it():
    data = written()
    for start in (0, 3):  # the tail may begin after the file's first bytes
        offset, size = wheelzip.directory_location(data[start:], start)
        eocd = data.rfind(b"PK\x05\x06")
        assert (offset, size) == (struct.unpack("<I", data[eocd + 16: eocd + 20])[0],
                                  struct.unpack("<I", data[eocd + 12: eocd + 16])[0])
        assert offset + size == eocd
    assert wheelzip.directory_members(data[offset: offset + size]) == stdlib_members(data)


def test_zip64_sizes_and_offsets_come_from_the_extra_field(monkeypatch):
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 10)  # the stdlib then writes ZIP64 records and extras
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", b"stored bytes that pass the limit", zipfile.ZIP_STORED)
        archive.writestr("b/METADATA", b"Name: torch\n" * 20, zipfile.ZIP_DEFLATED)
    monkeypatch.undo()
    data = buffer.getvalue()
    offset, size = wheelzip.directory_location(data, 0)
    assert data[offset: offset + 4] == b"PK\x01\x02"
    assert data[offset + size: offset + size + 4] == b"PK\x06\x06"
    members = wheelzip.directory_members(data[offset: offset + size])
    assert members == stdlib_members(data)
    for name, member in members.items():
        first, last = wheelzip.member_span(member)
        assert wheelzip.member_content(data[first: last + 1], member) == zipfile.ZipFile(io.BytesIO(data)).read(name)


def test_a_member_s_span_is_its_header_name_slack_and_data():
    assert wheelzip.member_span(Member("torch/version.py", 8, 100, 300, 5000)) == (5000, 5000 + 30 + 16 + 1024 + 100 - 1)
    assert wheelzip.member_span(Member("é", 0, 0, 0, 0)) == (0, 30 + 2 + 1024 - 1)
    limit = wheelzip.MEMBER_LIMIT
    assert wheelzip.member_span(Member("m", 8, limit, limit, 7)) == (7, 7 + 30 + 1 + 1024 + limit - 1)
    with pytest.raises(WheelZipError) as big:
        wheelzip.member_span(Member("big", 8, limit + 1, 10, 0))
    assert str(big.value) == f"big: {limit + 1} bytes (more than {limit})"
    with pytest.raises(WheelZipError) as large:
        wheelzip.member_span(Member("large", 8, 10, limit + 2, 0))
    assert str(large.value) == f"large: {limit + 2} bytes (more than {limit})"


def local(name: bytes, extra: bytes = b"") -> bytes:
    return b"PK\x03\x04" + b"\0" * 22 + struct.pack("<HH", len(name), len(extra)) + name + extra


def test_member_content_stored_deflated_and_refused():
    assert wheelzip.member_content(local(b"m", b"XY") + b"hello world", Member("m", 0, 11, 5, 0)) == b"hello"
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(b"abc" * 50) + packer.flush()
    assert wheelzip.member_content(local(b"m") + packed + b"tail", Member("m", 8, len(packed), 150, 0)) == b"abc" * 50
    refusals = [
        (b"PK\x03\x05" + b"\0" * 40, Member("m", 0, 1, 1, 0), "m: no local file header where the directory says"),
        (b"PK\x03\x04" + b"\0" * 25, Member("m", 0, 0, 0, 0), "m: no local file header where the directory says"),
        (local(b"m") + b"abc", Member("m", 0, 4, 4, 0), "m: its data runs past the bytes read"),
        (local(b"m") + b"abcd", Member("m", 12, 4, 4, 0),
         "m: compression method 12 (only stored and deflated are read)"),
    ]
    for chunk, member, message in refusals:
        with pytest.raises(WheelZipError) as refused:
            wheelzip.member_content(chunk, member)
        assert str(refused.value) == message
    with pytest.raises(WheelZipError) as bad:
        wheelzip.member_content(local(b"m") + b"\xff\xff\xff\xff", Member("m", 8, 4, 4, 0))
    assert str(bad.value) == "m: not valid deflate data (Error -3 while decompressing data: invalid block type)"


def test_exactly_the_member_limit_inflates():
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(b"\0" * wheelzip.MEMBER_LIMIT) + packer.flush()
    member = Member("m", 8, len(packed), wheelzip.MEMBER_LIMIT, 0)
    assert wheelzip.member_content(local(b"m") + packed, member) == b"\0" * wheelzip.MEMBER_LIMIT
    over = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = over.compress(b"\0" * (wheelzip.MEMBER_LIMIT + 1)) + over.flush()
    with pytest.raises(WheelZipError) as refused:
        wheelzip.member_content(local(b"m") + packed, Member("m", 8, len(packed), 1, 0))
    assert str(refused.value) == f"m: inflates to more than {wheelzip.MEMBER_LIMIT} bytes"


def end_record(size: int, offset: int) -> bytes:
    return b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, size, offset, 0)


@pytest.mark.parametrize(("tail", "start", "message"), [
    (b"PK\x05\x06" + b"\0" * 17, 0, "no end-of-central-directory record in the last bytes: not a zip file"),
    (b"x" * 100 + end_record(10, 95), 0, "the central directory overlaps its end record"),
    (b"x" * 100 + end_record(wheelzip.DIRECTORY_LIMIT + 1, 0), 0,
     f"a central directory of {wheelzip.DIRECTORY_LIMIT + 1} bytes (more than {wheelzip.DIRECTORY_LIMIT})"),
    (b"x" * 10 + end_record(0xFFFFFFFF, 0), 0, "a ZIP64 file without its ZIP64 end-record locator"),
    (end_record(0, 0xFFFFFFFF), 0, "a ZIP64 file without its ZIP64 end-record locator"),
    (b"PK\x06\x07" + b"\0" * 4 + struct.pack("<Q", 5) + b"\0" * 4 + end_record(0xFFFFFFFF, 0), 10,
     "the ZIP64 end record is not where its locator says"),
    (b"PK\x06\x07" + b"\0" * 4 + struct.pack("<Q", 0) + b"\0" * 4 + end_record(0xFFFFFFFF, 0), 0,
     "the ZIP64 end record is not where its locator says"),
])
def test_directory_location_refusals(tail, start, message):
    with pytest.raises(WheelZipError) as refused:
        wheelzip.directory_location(tail, start)
    assert str(refused.value) == message


def test_a_directory_that_ends_exactly_at_its_end_record_is_accepted():
    assert wheelzip.directory_location(b"x" * 100 + end_record(10, 90), 0) == (90, 10)
    assert wheelzip.directory_location(b"x" * 100 + end_record(10, 1090), 1000) == (1090, 10)
    assert wheelzip.directory_location(b"x" * 100 + end_record(wheelzip.DIRECTORY_LIMIT, 0), 2 ** 26) == (
        0, wheelzip.DIRECTORY_LIMIT)


def central(name: bytes, extra: bytes = b"", sizes: tuple[int, int, int] = (1, 2, 3), method: int = 8) -> bytes:
    compressed, size, offset = sizes
    return (b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, 20, 0, method, 0, 0, 0, compressed, size,
                                        len(name), len(extra), 0, 0, 0, 0, offset) + name + extra)


def test_directory_members_refusals_and_zip64_extras():
    with pytest.raises(WheelZipError) as past:
        wheelzip.directory_members(central(b"abc")[:-1])
    assert str(past.value) == "a central directory entry runs past the directory"
    with pytest.raises(WheelZipError) as trailing:
        wheelzip.directory_members(central(b"abc") + b"PK")
    assert str(trailing.value) == "the central directory holds something that is not an entry"
    big = 0xFFFFFFFF
    with pytest.raises(WheelZipError) as without:
        wheelzip.directory_members(central(b"a", struct.pack("<HH", 7, 0), (1, big, 3)))
    assert str(without.value) == "a ZIP64 entry without its ZIP64 extra field"
    with pytest.raises(WheelZipError) as short:
        wheelzip.directory_members(central(b"a", struct.pack("<HHQ", 1, 8, 5), (big, big, 3)))
    assert str(short.value) == "a ZIP64 extra field shorter than its entry needs"
    other_then_zip64 = struct.pack("<HH", 9, 2) + b"zz" + struct.pack("<HHQQQ", 1, 24, 2**33, 2**34, 2**35)
    assert wheelzip.directory_members(central(b"a", other_then_zip64, (big, big, big))) == {
        "a": Member("a", 8, 2**34, 2**33, 2**35)}
    only_offset = struct.pack("<HHQ", 1, 8, 2**40)
    assert wheelzip.directory_members(central(b"a", only_offset, (4, 5, big)) + central(b"b", method=0)) == {
        "a": Member("a", 8, 4, 5, 2**40), "b": Member("b", 0, 1, 2, 3)}
    assert wheelzip.directory_members(central(b"\xff")) == {"\ufffd": Member("\ufffd", 8, 1, 2, 3)}
    assert wheelzip.directory_members(b"") == {}


def zip64_tail(size: int, offset: int, before: bytes = b"", start: int = 0) -> bytes:
    """``before``, a ZIP64 end record (56 bytes), its locator and an end record of 0xFFFFFFFF fields,
    as the last bytes of a file from ``start`` on."""
    record = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, 1, 1, size, offset)
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, start + len(before), 1)
    return before + record + locator + end_record(0xFFFFFFFF, 0xFFFFFFFF)


def test_a_zip64_end_record_gives_the_directory():
    assert wheelzip.directory_location(zip64_tail(10, 0, b"x" * 10), 0) == (0, 10)
    assert wheelzip.directory_location(zip64_tail(0, 0), 0) == (0, 0)  # the record first in the tail
    start = 2**33
    assert wheelzip.directory_location(zip64_tail(4, start + 6, b"x" * 10, start), start) == (start + 6, 4)
    with pytest.raises(WheelZipError) as huge:
        wheelzip.directory_location(zip64_tail(2**63 + 1, 0), 0)
    assert str(huge.value) == f"a central directory of {2**63 + 1} bytes (more than {wheelzip.DIRECTORY_LIMIT})"


def test_a_zip64_record_cut_short_is_refused():
    cut = b"PK\x06\x06" + b"\0" * 9 + b"PK\x06\x07" + struct.pack("<IQI", 0, 0, 1) + end_record(0xFFFFFFFF, 0)
    assert len(cut) == 55
    with pytest.raises(WheelZipError) as refused:
        wheelzip.directory_location(cut, 0)
    assert str(refused.value) == "the ZIP64 end record is not where its locator says"


def test_extra_fields_are_walked_one_after_another():
    big = 0xFFFFFFFF
    extra = struct.pack("<HH", 9, 0) + struct.pack("<HH", 9, 4) + struct.pack("<HH", 1, 0) \
        + struct.pack("<HHQ", 1, 8, 77)
    assert wheelzip.directory_members(central(b"a", extra, (4, big, 3))) == {"a": Member("a", 8, 4, 77, 3)}


def test_an_entry_of_exactly_forty_six_bytes_is_read():
    assert wheelzip.directory_members(central(b"")) == {"": Member("", 8, 1, 2, 3)}
