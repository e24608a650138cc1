"""Package index pages as data: PEP 503 HTML, PEP 691 JSON, the PyPI JSON API, and wheel file names.

Pure: each parser takes a page's bytes, its Content-Type and the URL it was served from, and returns
the files it lists, or raises :class:`PageError` saying what is wrong with the page. A page may come
from a hostile or broken mirror, so the content type must be one an index serves, JSON must be valid
and shaped as its specification says, and every file link must pass the installer's URL guard
(https, or plain http to the loopback interface) without leaving an https page for plain http or a
loopback index for another host. Nothing here follows a link.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from packaging.version import InvalidVersion, Version

from envdoctor.datatypes import datatype
from envdoctor.i18n import _
from envdoctor.urls import index_url_problem, split_host

__all__ = [
    "HTML_TYPES", "IndexFile", "JSON_API_TYPES", "PageError", "SIMPLE_JSON_TYPE", "Wheel", "link_problem",
    "normalise", "parse_json_api", "parse_simple", "parse_wheel_name", "wheel_platform",
]

SIMPLE_JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPES = ("text/html", "application/vnd.pypi.simple.v1+html")
JSON_API_TYPES = ("application/json",)
#: What a simple-index request asks for: PEP 691 JSON first, HTML as the fallback every index serves.
SIMPLE_ACCEPT = f"{SIMPLE_JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
MAX_FILES = 200_000  # files one page may list (the PyTorch index's torch page lists about 10 000)
MAX_FILENAME = 255  # longer names are not wheels envdoctor reads

_ANCHOR = re.compile(r"""<a\s((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE)  # a quoted ">=3.9" stays inside
# an attribute with or without a value: PEP 592 allows a bare data-yanked
_ATTRIBUTE = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_WHEEL = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[^-]+)(?:-(?P<build>\d[^-]*))?-(?P<python>[^-]+)"
                    r"-(?P<abi>[^-]+)-(?P<platform>[^-]+)\.whl$", re.ASCII)
_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(x86_64|aarch64)$", re.ASCII)
_LEGACY_MANYLINUX = {"manylinux1": "2.5", "manylinux2010": "2.12", "manylinux2014": "2.17"}
_MACOS = re.compile(r"^macosx_(\d+)_(\d+)_(arm64|x86_64|universal2)$", re.ASCII)
_CPYTHON = re.compile(r"^cp3(\d+)$", re.ASCII)


class PageError(ValueError):
    """An index page that cannot be used; the message says why (and names the page)."""


@datatype(frozen=True)
class IndexFile:
    """One file an index lists."""

    filename: str
    url: str  # absolute
    requires_python: str | None = None
    upload_time: str | None = None  # ISO 8601 (PEP 700 / the JSON API); None where the index does not say
    yanked: bool = False
    metadata_url: str | None = None  # PEP 658 / 714: the wheel's METADATA served beside it


@datatype(frozen=True)
class Wheel:
    """A wheel file name taken apart (PEP 427 / 425)."""

    name: str  # normalised
    version: Version
    pythons: tuple[str, ...]  # "3.12", "3.13t"; empty: any Python 3 (py3, abi3 from its minimum up)
    abi3_from: str | None  # "3.9" for cp39-abi3
    platforms: tuple[str, ...]  # envdoctor platform names (linux-x86_64, ...), in tag order
    tags: tuple[str, ...]  # the raw platform tags

    @property
    def local(self) -> str:
        """The local version label (``cu124`` of ``2.5.1+cu124``), '' for none."""
        return self.version.local or ""


def normalise(name: str) -> str:
    """A project name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_platform(tag: str) -> tuple[str | None, str | None, bool]:
    """(envdoctor platform, floor, legacy) of one platform tag: ``manylinux_2_28_x86_64`` -> (linux-x86_64,
    glibc 2.28, False); ``macosx_11_0_arm64`` -> (macos-arm64, macOS 11.0, False); ``manylinux1_x86_64`` ->
    (linux-x86_64, 2.5, True): a legacy alias whose wheels may need a newer glibc than the tag says."""
    match = _MANYLINUX.match(tag)
    if match:
        return f"linux-{match.group(3)}", f"{match.group(1)}.{match.group(2)}", False
    for prefix, floor in _LEGACY_MANYLINUX.items():
        for arch in ("x86_64", "aarch64"):
            if tag == f"{prefix}_{arch}":
                return f"linux-{arch}", floor, prefix != "manylinux2014"
    if tag in ("linux_x86_64", "linux_aarch64"):
        return f"linux-{tag[len('linux_'):]}", None, False
    if tag == "win_amd64":
        return "windows-x86_64", None, False
    match = _MACOS.match(tag)
    if match:
        arch = "arm64" if match.group(3) == "arm64" else "x86_64"
        return f"macos-{arch}", f"{int(match.group(1))}.{match.group(2)}", False
    return None, None, False


def _pythons(python_tags: str, abi: str) -> tuple[tuple[str, ...], str | None] | None:
    """The Pythons a wheel's tags install on: ((3.12,), None), ((), "3.9") for cp39-abi3, ((), None) for py3."""
    found: list[str] = []
    for tag in python_tags.split("."):
        match = _CPYTHON.match(tag)
        if match is None:
            if tag in ("py3", "py2.py3") or tag.startswith("py3"):
                return (), None
            continue
        minor = match.group(1)
        if abi == "abi3":
            return (), f"3.{minor}"
        free_threaded = abi == f"cp3{minor}t"
        found.append(f"3.{minor}" + ("t" if free_threaded else ""))
    return (tuple(found), None) if found else None


@functools.lru_cache(maxsize=65536)
def parse_wheel_name(filename: str) -> Wheel | None:
    """The parts of a wheel file name, or None for anything that is not a CPython 3 / py3 wheel."""
    match = _WHEEL.match(filename) if len(filename) <= MAX_FILENAME else None
    if match is None:
        return None
    try:
        version = Version(match.group("version"))
    except InvalidVersion:
        return None
    pythons = _pythons(match.group("python"), match.group("abi"))
    if pythons is None:
        return None
    tags = tuple(match.group("platform").split("."))
    platforms: list[str] = []
    for tag in tags:
        for platform in ([wheel_platform(tag)[0]] if not tag.endswith("universal2")
                         else ["macos-arm64", "macos-x86_64"]):
            if platform and platform not in platforms:
                platforms.append(platform)
    return Wheel(normalise(match.group("name")), version, pythons[0], pythons[1], tuple(platforms), tags)


def _origin(url: str) -> tuple[str, str, str] | None:
    """(scheme, host, port) as the URL guard reads them."""
    return split_host(url)


def link_problem(page_url: str, link: str) -> str | None:
    """Why a page's file link is refused: the URL guard, a plain-http link on an https page, or a
    loopback index sending envdoctor to another host."""
    problem = index_url_problem(link)
    if problem:
        return problem
    page, target = _origin(page_url), _origin(link)
    if page is None or target is None:
        return _("not an absolute URL with a host")
    if page[0] == "https" and target[0] != "https":
        return _("a plain-http link on an https page")
    if page[0] == "http" and target != page:
        return _("a loopback index linking another host")
    return None


def _checked_link(page_url: str, href: str) -> str:
    url = urljoin(page_url, href)
    problem = link_problem(page_url, url)
    if problem:
        raise PageError(_("{url}: links {link}: {problem}", url=page_url, link=url[:200], problem=problem))
    return url


def _filename(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _kind(content_type: str, url: str, allowed: tuple[str, ...]) -> None:
    if content_type not in allowed:
        raise PageError(_("{url}: answered with Content-Type {type}, not an index page ({allowed})", url=url,
                          type=content_type[:80] or "none", allowed=", ".join(allowed)))


def _json(body: bytes, url: str) -> Any:
    from envdoctor.readers.json_text import parse_json_text

    try:
        return parse_json_text(body.decode("utf-8"), max_depth=16)
    except UnicodeDecodeError as exc:
        raise PageError(_("{url}: not UTF-8 (byte {byte})", url=url, byte=exc.start)) from None
    except ValueError as exc:
        raise PageError(_("{url}: not valid JSON ({error})", url=url, error=str(exc)[:200])) from None


def _metadata_flag(value: Any) -> bool:
    """PEP 658/714: ``true`` or a hash table (JSON), or an attribute value (HTML) that is not ``false``."""
    if isinstance(value, dict):
        return True
    return value is True or (isinstance(value, str) and value.strip().lower() not in ("", "false"))


def parse_simple(body: bytes, content_type: str, url: str) -> list[IndexFile]:
    """A project page of a simple index, PEP 691 JSON or PEP 503 HTML (by its Content-Type)."""
    if content_type == SIMPLE_JSON_TYPE:
        return _simple_json(_json(body, url), url)
    _kind(content_type, url, (SIMPLE_JSON_TYPE, *HTML_TYPES))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PageError(_("{url}: not UTF-8 (byte {byte})", url=url, byte=exc.start)) from None
    files: list[IndexFile] = []
    for anchor in _ANCHOR.finditer(text):
        attributes = {m.group(1).lower(): html.unescape(next((g for g in m.groups()[1:] if g is not None), ""))
                      for m in _ATTRIBUTE.finditer(anchor.group(1))}
        href = attributes.get("href")
        if not href:
            continue
        link = _checked_link(url, href.split("#", 1)[0])
        metadata = attributes.get("data-core-metadata", attributes.get("data-dist-info-metadata"))
        files.append(IndexFile(_filename(link), link, attributes.get("data-requires-python") or None,
                               attributes.get("data-upload-time") or None, "data-yanked" in attributes,
                               link + ".metadata" if _metadata_flag(metadata) else None))
        if len(files) > MAX_FILES:
            raise PageError(_("{url}: lists more than {limit} files", url=url, limit=MAX_FILES))
    return files


def _text_or_none(value: Any, url: str, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise PageError(_("{url}: {what} must be a string, got {type}", url=url, what=what, type=type(value).__name__))


def _simple_json(data: Any, url: str) -> list[IndexFile]:
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise PageError(_("{url}: not a PEP 691 project page (no 'files' list)", url=url))
    meta = data.get("meta")
    version = str(meta.get("api-version", "")) if isinstance(meta, dict) else ""
    if not re.fullmatch(r"1\.\d+", version):
        raise PageError(_("{url}: PEP 691 api-version {version} is not 1.x", url=url, version=version[:20] or "missing"))
    if len(data["files"]) > MAX_FILES:
        raise PageError(_("{url}: lists more than {limit} files", url=url, limit=MAX_FILES))
    files: list[IndexFile] = []
    for number, entry in enumerate(data["files"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str) \
                or not isinstance(entry.get("url"), str):
            raise PageError(_("{url}: {where} needs 'filename' and 'url' strings", url=url, where=f"files[{number}]"))
        link = _checked_link(url, entry["url"].split("#", 1)[0])
        metadata = entry.get("core-metadata", entry.get("data-dist-info-metadata"))
        files.append(IndexFile(entry["filename"], link,
                               _text_or_none(entry.get("requires-python"), url, f"files[{number}].requires-python"),
                               _text_or_none(entry.get("upload-time"), url, f"files[{number}].upload-time"),
                               entry.get("yanked") not in (None, False),
                               link + ".metadata" if _metadata_flag(metadata) else None))
    return files


def parse_json_api(body: bytes, content_type: str, url: str) -> list[IndexFile]:
    """The PyPI JSON API's project document (``/pypi/NAME/json``): every release's files."""
    _kind(content_type, url, JSON_API_TYPES)
    data = _json(body, url)
    releases = data.get("releases") if isinstance(data, dict) else None
    if not isinstance(releases, dict):
        raise PageError(_("{url}: not a JSON API project document (no 'releases' table)", url=url))
    files: list[IndexFile] = []
    for version, entries in releases.items():
        if not isinstance(entries, list):
            raise PageError(_("{url}: {where} must be a list of files", url=url, where=f"releases[{str(version)[:40]!r}]"))
        for number, entry in enumerate(entries):
            where = f"releases[{str(version)[:40]!r}][{number}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str) \
                    or not isinstance(entry.get("url"), str):
                raise PageError(_("{url}: {where} needs 'filename' and 'url' strings", url=url, where=where))
            link = _checked_link(url, entry["url"])
            files.append(IndexFile(entry["filename"], link,
                                   _text_or_none(entry.get("requires_python"), url, f"{where}.requires_python"),
                                   _text_or_none(entry.get("upload_time_iso_8601"), url, f"{where}.upload_time_iso_8601"),
                                   bool(entry.get("yanked", False)), None))
            if len(files) > MAX_FILES:
                raise PageError(_("{url}: lists more than {limit} files", url=url, limit=MAX_FILES))
    return files
