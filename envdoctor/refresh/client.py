"""Ask the package indexes, through the door: bounded pages, a page cache for ``--offline``, ranged wheel reads.

Every request a refresh makes is a :meth:`Door.http_get` (https, or http to the loopback interface;
every redirect judged by the same URL guard; one timeout per request; the body bounded). Each answer
that was used is kept in the user's cache folder, so ``--offline`` can build the same data again from
the last pages fetched; the cache holds only the last run's pages, at most :data:`CACHE_LIMIT` bytes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import field
from pathlib import Path

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.door import WAKE_EVERY, Door, HttpResult, UserFileError
from envdoctor.extensions import Catalog
from envdoctor.i18n import _, message_of
from envdoctor.recipes import Recipes
from envdoctor.redact import redact_text
from envdoctor.refresh import extension_learn, reading, wheelzip
from envdoctor.refresh.indexes import JSON_API_TYPES, SIMPLE_ACCEPT, IndexFile, PageError, parse_json_api, parse_simple
from envdoctor.urls import index_url_problem

__all__ = ["CACHE_LIMIT", "PAGE_LIMIT", "FetchError", "IndexClient", "NotReached", "PageCache", "gather"]

PAGE_LIMIT = 16 * 1024 * 1024  # one index page (the PyTorch index's torch page is a few MiB)
CACHE_LIMIT = 256 * 1024 * 1024  # what the cache keeps of one run
WORKERS = 8  # wheel reads in flight at once


class FetchError(Exception):
    """A page or wheel that could not be read; the message names the URL and says why."""


class NotReached(FetchError):
    """No answer came (refused connection, name not resolved, timeout, TLS torn down), the page is not
    there (404), or ``--offline`` has no copy of it: what a blocked or absent index looks like, as opposed
    to an index that answered with something unusable."""


#: The door's statuses of a request that got no answer from the server.
_NO_ANSWER = ("unreachable", "timed_out", "tls")


@datatype(frozen=True)
class Answer:
    """What a request brought back (or the cache kept of it)."""

    url: str
    final_url: str
    content_type: str
    content_range: str
    body: bytes


class PageCache:
    """The last run's answers, one file each (``<key>.body`` and ``<key>.json``) in a folder of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.kept: set[str] = set()
        self.size = 0

    @staticmethod
    def key(url: str, accept: str, byte_range: str | None) -> str:
        return hashlib.sha256(f"{url}\0{accept}\0{byte_range or ''}".encode()).hexdigest()[:40]

    def load(self, key: str) -> Answer | None:
        from envdoctor.door import read_user_bytes, read_user_file

        try:
            meta = json.loads(read_user_file(str(self.folder / f"{key}.json"), 64 * 1024))
            body = read_user_bytes(str(self.folder / f"{key}.body"), PAGE_LIMIT)
        except (UserFileError, ValueError):
            return None
        if not isinstance(meta, dict) or not all(isinstance(meta.get(k), str) for k in
                                                 ("url", "final_url", "content_type", "content_range")):
            return None
        return Answer(meta["url"], meta["final_url"], meta["content_type"], meta["content_range"], body)

    def save(self, key: str, answer: Answer) -> None:
        from envdoctor.door import make_user_dir, write_user_file

        if self.size + len(answer.body) > CACHE_LIMIT:
            return
        meta = {"url": answer.url, "final_url": answer.final_url, "content_type": answer.content_type,
                "content_range": answer.content_range, "saved": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        try:
            make_user_dir(str(self.folder))
            write_user_file(str(self.folder / f"{key}.body"), answer.body)
            write_user_file(str(self.folder / f"{key}.json"), json.dumps(meta).encode())
        except UserFileError:
            return  # a cache that cannot be written costs --offline only
        self.kept.add(key)
        self.size += len(answer.body)

    def prune(self) -> None:
        """Remove every entry this run did not keep: the cache holds one run's pages."""
        from envdoctor.door import remove_user_file

        try:
            names = [p.name for p in self.folder.iterdir()]
        except OSError:
            return
        for name in names:
            stem, _dot, suffix = name.rpartition(".")
            if suffix in ("body", "json") and stem not in self.kept:
                remove_user_file(str(self.folder / name))


@datatype
class IndexClient:
    """Bounded requests through the door, answered from the cache when ``offline``."""

    door: Door
    timeout: float
    cache: PageCache | None = None
    offline: bool = False
    requests: int = 0
    fetched_bytes: int = 0
    log: list[str] = field(default_factory=list)

    def get(self, url: str, accept: str, byte_range: str | None = None, limit: int = PAGE_LIMIT,
            missing_ok: bool = False) -> Answer | None:
        """The answer to a GET; None for a 404 when ``missing_ok``; FetchError for anything else unusable."""
        key = PageCache.key(url, accept, byte_range)
        if self.offline:
            cached = self.cache.load(key) if self.cache is not None else None
            if cached is None:
                if missing_ok:
                    return None
                raise NotReached(_("{url}: not in the cache of the last refresh (run it once without --offline)",
                                   url=redact_text(url)))
            if self.cache is not None:
                self.cache.kept.add(key)
            return cached
        result = self.door.http_get(url, self.timeout, limit, accept=accept, byte_range=byte_range)
        self.requests += 1
        self.fetched_bytes += len(result.body)
        answer = self._judge(url, result, byte_range, missing_ok)
        if answer is not None and self.cache is not None:
            self.cache.save(key, answer)
        return answer

    @staticmethod
    def _judge(url: str, result: HttpResult, byte_range: str | None, missing_ok: bool) -> Answer | None:
        shown = redact_text(url)
        if result.status in _NO_ANSWER:
            raise NotReached(_("{url}: {status}: {error}", url=shown, status=result.status.replace("_", " "),
                               error=redact_text(result.error)[:300]))
        if result.status != "answered":
            raise FetchError(_("{url}: {status}: {error}", url=shown, status=result.status.replace("_", " "),
                               error=redact_text(result.error)[:300]))
        if result.code == 404 and missing_ok:
            return None
        if result.code == 404:
            raise NotReached(_("{url}: answered 404", url=shown))
        if result.code not in (200, 206) or (result.code == 206 and byte_range is None):
            raise FetchError(_("{url}: answered {code}", url=shown, code=result.code))
        if result.truncated:
            megabytes = PAGE_LIMIT // (1024 * 1024)
            if byte_range is not None:
                raise FetchError(_("{url}: the server ignores ranged requests ({limit} MiB): not read", url=shown,
                                   limit=megabytes))
            raise FetchError(_("{url}: larger than the limit ({limit} MiB): not read", url=shown, limit=megabytes))
        return Answer(url, result.final_url or url, result.content_type, result.content_range, result.body)

    # ------------------------------------------------------------------ wheels

    def wheel_members(self, url: str, wanted: Callable[[str], bool]) -> dict[str, bytes]:
        """The members of the remote wheel at ``url`` that ``wanted`` picks, read by byte ranges."""
        tail = self.get(url, "*/*", f"-{wheelzip.TAIL}", limit=wheelzip.TAIL)
        assert tail is not None
        try:
            return self._members(url, tail, wanted)
        except wheelzip.WheelZipError as exc:
            raise FetchError(_("{url}: {problem}", url=redact_text(url), problem=message_of(exc))) from None

    def _members(self, url: str, tail: Answer, wanted: Callable[[str], bool]) -> dict[str, bytes]:
        span = wheelzip.content_range(tail.content_range) if tail.content_range else None
        if span is None:  # a whole small file answered with 200
            span = (0, len(tail.body) - 1, len(tail.body))
        tail_start = span[0]
        offset, size = wheelzip.directory_location(tail.body, tail_start)
        if offset >= tail_start:
            directory = tail.body[offset - tail_start: offset - tail_start + size]
        else:
            head = self.get(url, "*/*", f"{offset}-{tail_start - 1}", limit=tail_start - offset)
            assert head is not None
            directory = (head.body + tail.body)[: size]
        members = wheelzip.directory_members(directory)
        found: dict[str, bytes] = {}
        for name, member in members.items():
            if not wanted(name):
                continue
            first, last = wheelzip.member_span(member)
            last = min(last, span[2] - 1)
            chunk = self.get(url, "*/*", f"{first}-{last}", limit=last - first + 1)
            assert chunk is not None
            found[name] = wheelzip.member_content(chunk.body, member)
        return found


# ---------------------------------------------------------------------------- what a refresh reads


def _project_files(client: IndexClient, sources: reading.Sources, name: str) -> tuple[list[IndexFile], str]:
    """A project's files from the JSON API, else (no such page, or not JSON) from the PEP 691 / 503 simple
    page; and the URL read."""
    if sources.pypi_api:
        url = f"{sources.pypi_api}/{name}/json"
        answer = client.get(url, ", ".join(JSON_API_TYPES), missing_ok=True)
        if answer is not None and answer.content_type in JSON_API_TYPES:  # else a mirror without the JSON API
            try:
                return parse_json_api(answer.body, answer.content_type, answer.final_url), url
            except PageError as exc:
                raise FetchError(message_of(exc)) from None
    url = f"{sources.pypi_simple}/{name}/"
    answer = client.get(url, SIMPLE_ACCEPT)
    assert answer is not None
    try:
        return parse_simple(answer.body, answer.content_type, answer.final_url), url
    except PageError as exc:
        raise FetchError(message_of(exc)) from None


def _index_page(client: IndexClient, url: str, missing_ok: bool = False) -> list[IndexFile] | None:
    answer = client.get(url, SIMPLE_ACCEPT, missing_ok=missing_ok)
    if answer is None:
        return None
    try:
        return parse_simple(answer.body, answer.content_type, answer.final_url)
    except PageError as exc:
        raise FetchError(message_of(exc)) from None


def _read_wheels(client: IndexClient, reads: Iterable[reading.WheelRead]) -> dict[str, reading.WheelFacts]:
    """Each wheel's METADATA (and torch/version.py), read in parallel; a wheel that cannot be read is a
    fact of its own (its problem), not the end of the refresh."""

    def one(read: reading.WheelRead) -> tuple[str, reading.WheelFacts]:
        try:
            if read.metadata_url:
                answer = client.get(read.metadata_url, "*/*", limit=wheelzip.MEMBER_LIMIT)
                assert answer is not None
                return read.filename, reading.WheelFacts(answer.body.decode("utf-8", errors="replace"))
            members = client.wheel_members(read.url, reading.wanted_member)
        except FetchError as exc:
            return read.filename, reading.WheelFacts(problem=message_of(exc))
        return read.filename, reading.wheel_facts(members)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(one, read) for read in reads]
        while wait(futures, timeout=WAKE_EVERY).not_done:  # awake for a stopping signal
            pass
        return dict(future.result() for future in futures)


def gather(client: IndexClient, sources: reading.Sources, known: Recipes) -> reading.Material:
    """Everything a refresh needs from the indexes: the three projects' files, the PyTorch index's torch
    page and the variant pages of new releases, and the METADATA of the wheels the rules must read.

    A PyTorch index that cannot be reached (or has no torch page) is a state of its own: the material
    then says why, and the releases are learnt from PyPI alone. PyPI not reached ends the refresh."""
    torch_page = f"{sources.index}/torch/"
    missing = ""
    try:
        pytorch = _index_page(client, torch_page)
    except NotReached as exc:
        pytorch, missing = [], message_of(exc)
    assert pytorch is not None
    projects: dict[str, list[IndexFile]] = {}
    read_from: dict[str, str] = {}
    for name in compat.TORCH_FAMILY:
        try:
            projects[name], read_from[name] = _project_files(client, sources, name)
        except NotReached as exc:
            if missing:
                raise FetchError(_("neither PyPI nor the PyTorch wheel index could be read: {problem}; {missing}",
                                   problem=message_of(exc), missing=missing)) from None
            raise
    new = reading.new_releases(projects["torch"], known)
    variant_pages: dict[str, list[IndexFile] | None] = {}
    for variant in reading.variants_to_confirm(pytorch, new):
        variant_pages[variant] = _index_page(client, f"{sources.index}/{variant}/torch/", missing_ok=True)
    wheels = _read_wheels(client, reading.wheels_to_read(projects, new, known))
    read_from["pytorch"] = torch_page
    return reading.Material(projects, pytorch, variant_pages, wheels, read_from, pytorch_missing=missing)


def gather_extensions(client: IndexClient, sources: reading.Sources, catalog: Catalog, known: Recipes,
                      rewrite: Callable[[str], str] | None = None
                      ) -> tuple[extension_learn.ExtensionMaterial, list[extension_learn.PageRead]]:
    """What a refresh reads of the compiled extensions: the PyPI files of the torch-pin rows, the METADATA of
    their new releases, and the pages of the rows' own indexes (``rewrite`` applies a mirror). A project or
    an index that gives no usable answer is a problem of its own, not the end of the refresh; an index's
    other pages are then not asked for (a blocked host costs one timeout, not one per page)."""
    material = extension_learn.ExtensionMaterial()
    for ext in extension_learn.pin_rows(catalog):
        try:
            material.files[ext.key], _read_from = _project_files(client, sources, ext.dists[0])
        except FetchError as exc:
            material.problems[ext.key] = message_of(exc)
    reads = extension_learn.pins_to_read(catalog, material.files)
    facts = _read_wheels(client, [reading.WheelRead(r.filename, r.url, f"{r.key} {r.release}", r.metadata_url)
                                  for r in reads])
    for filename, found in facts.items():
        if found.metadata is not None:
            material.metadata[filename] = found.metadata
        else:
            material.problems[filename] = found.problem or _("no METADATA in the wheel")
    pages = extension_learn.pages_to_read(catalog, known, rewrite)
    for page in pages:
        if page.key in material.page_problems:
            continue  # its index gave no usable answer once: the rest of its pages are not asked for
        problem = index_url_problem(page.url)
        if problem:
            material.page_problems[page.key] = _("{url}: {problem}", url=redact_text(page.url), problem=problem)
            continue
        try:
            material.pages[page] = _index_page(client, page.url, missing_ok=True)
        except FetchError as exc:
            material.page_problems[page.key] = message_of(exc)
    return material, pages
