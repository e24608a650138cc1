"""Loopback package indexes for the install tests: real wheels from disk, served on 127.0.0.1.

``Index`` serves a PEP 503 simple index (``/<root>/<project>/`` pages linking ``/files/<wheel>``) or,
for the layout some mirrors use, find-links pages (``/<root>/<variant>/``: every file, one page). It
records each request path, so a test can say which index a package came from. The wheels are the
real ones on this machine: the torch 2.13.0 CPU wheel (``ENVDOCTOR_TEST_WHEELS``, pip's find-links
folder, ``/opt/wheels``) and its pure-Python dependencies from the local package mirror (``/opt/pypi``).

``PageServer`` answers any page (and byte ranges of it); ``RefreshIndex`` serves a loopback PyPI and
PyTorch wheel index built from tests/fixtures/refresh/ (see its SOURCES.md) for ``recipes refresh``.
"""

from __future__ import annotations

import html
import http.server
import os
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, unquote

#: torch 2.13.0's Requires-Dist (read from the wheel's METADATA), the PyPI names they resolve to here,
#: and the one extra the tests ask for (torch[opt-einsum]).
TORCH_DEPENDENCIES = ("filelock", "typing-extensions", "setuptools", "sympy", "mpmath", "networkx", "jinja2",
                      "markupsafe", "fsspec")
EXTRA_DEPENDENCIES = ("opt-einsum",)
WHEEL_FOLDERS = ("/opt/pypi/files", "/opt/pypi-more/files")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def torch_wheel() -> Path | None:
    """The torch-2.13.0+cpu wheel for this Python, where one lies on disk."""
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    folders = [os.environ.get("ENVDOCTOR_TEST_WHEELS", ""), *os.environ.get("PIP_FIND_LINKS", "").split(), "/opt/wheels"]
    for folder in folders:
        if folder and Path(folder).is_dir():
            found = sorted(Path(folder).glob(f"torch-2.13.0+cpu-{tag}-{tag}-*.whl"))
            if found:
                return found[0]
    return None


def local_wheels(names: Iterable[str]) -> list[Path]:
    """Every wheel of these projects that installs on this Python, from the local package mirror (an
    index offers them all; the installer's resolver picks)."""
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    chosen: list[Path] = []
    for name in names:
        candidates: list[Path] = []
        for folder in WHEEL_FOLDERS:
            if Path(folder).is_dir():
                candidates += [p for p in Path(folder).glob("*.whl")
                               if normalise(p.name.split("-")[0]) == normalise(name)
                               and ("-py3-none-" in p.name or "-py2.py3-none-" in p.name or f"-{tag}-" in p.name)]
        chosen += sorted(candidates)
    return chosen


class Index:
    """A loopback index: PEP 503 pages under ``/<root>/``, or find-links pages (``/<root>/<variant>/``)."""

    def __init__(self, wheels: Iterable[Path], root: str = "simple", layout: str = "simple",
                 answer: int = 200) -> None:
        self.files = {p.name: p for p in wheels}
        self.root = root.strip("/")
        self.layout = layout  # "simple": /<root>[/<variant>]/<project>/; "find-links": /<root>/<variant>/ lists all
        self.answer = answer  # every page answers this status; 200 serves the index
        self.requests: list[str] = []
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _serve(self, body: bool) -> None:
                index.requests.append(self.path)
                status, content, kind = index.page(self.path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if body:
                    self.wfile.write(content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The index's base URL (a PyTorch-style base: variants live below it)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/{self.root}"

    def page(self, path: str) -> tuple[int, bytes, str]:
        path = unquote(path.split("?", 1)[0])
        if self.answer != 200:
            return self.answer, b"", "text/plain"
        if path.startswith("/files/") and path[len("/files/"):] in self.files:
            return 200, self.files[path[len("/files/"):]].read_bytes(), "application/octet-stream"
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != self.root:
            return 404, b"", "text/plain"
        rest = parts[1:]
        if self.layout == "find-links":  # one flat page per variant folder, as some mirrors serve
            return (200, self._links(self.files), "text/html") if len(rest) == 1 else (404, b"", "text/plain")
        project = normalise(rest[-1]) if rest else ""
        matching = {n: p for n, p in self.files.items() if normalise(n.split("-")[0]) == project}
        if not matching:
            return 404, b"", "text/plain"
        return 200, self._links(matching), "text/html"

    @staticmethod
    def _links(files: dict[str, Path]) -> bytes:
        anchors = "".join(f'<a href="/files/{quote(name)}">{html.escape(name)}</a>\n' for name in sorted(files))
        return f"<!DOCTYPE html><html><body>\n{anchors}</body></html>".encode()

    def fetched(self) -> set[str]:
        """The project names of the files downloaded from this index."""
        return {normalise(unquote(p).rsplit("/", 1)[-1].split("-")[0]) for p in self.requests if p.startswith("/files/")}

    def __enter__(self) -> Index:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the machine's pip/uv configuration (pip.conf points at local folders)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", UV_NO_CONFIG="1",
               PYTHONIOENCODING="utf-8")
    env.update(extra)
    return env


# ---------------------------------------------------------------------------- pages of any kind


class Page:
    """One answer of :class:`PageServer`: a status, a Content-Type, a body (bytes, or a size of filler
    streamed without being held), headers, and a delay before answering (``hang`` never answers)."""

    def __init__(self, body: bytes = b"", content_type: str = "text/html", status: int = 200,
                 headers: dict[str, str] | None = None, delay: float = 0.0, hang: bool = False,
                 filler: int = 0) -> None:
        self.body, self.content_type, self.status = body, content_type, status
        self.headers, self.delay, self.hang, self.filler = headers or {}, delay, hang, filler


class PageServer:
    """A loopback server answering each path from ``routes`` (a dict, or a function of the path), with
    byte ranges (``Range: bytes=a-b`` / ``bytes=-n`` -> 206 and ``Content-Range``) as a wheel host
    answers them. It records every request as (path, range header)."""

    def __init__(self, routes) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str]] = []
        self.stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Range", "")))
                page = server.page(self.path)
                if page.hang:
                    server.stop.wait(30)
                    return
                if page.delay:
                    server.stop.wait(page.delay)
                body, status, extra = page.body, page.status, dict(page.headers)
                wanted = self.headers.get("Range", "")
                if wanted and status == 200 and not page.filler:
                    body, status, extra = server.ranged(body, wanted, extra)
                self.send_response(status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(page.filler or len(body)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    if page.filler:
                        chunk = b"<!-- " + b"x" * 65526 + b" -->\n"
                        for _ in range(page.filler // len(chunk)):
                            self.wfile.write(chunk)
                        self.wfile.write(b"x" * (page.filler % len(chunk)))
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def page(self, path: str) -> Page:
        path = unquote(path.split("?", 1)[0])
        found = self.routes(path) if callable(self.routes) else self.routes.get(path)
        return found if found is not None else Page(b"not found", "text/plain", 404)

    @staticmethod
    def ranged(body: bytes, wanted: str, extra: dict[str, str]) -> tuple[bytes, int, dict[str, str]]:
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", wanted.strip())
        if not match or not (match.group(1) or match.group(2)):
            return body, 200, extra
        if match.group(1):
            first = int(match.group(1))
            last = min(int(match.group(2)), len(body) - 1) if match.group(2) else len(body) - 1
        else:
            first, last = max(0, len(body) - int(match.group(2))), len(body) - 1
        if first >= len(body) or first > last:
            return b"", 416, {**extra, "Content-Range": f"bytes */{len(body)}"}
        return body[first: last + 1], 206, {**extra, "Content-Range": f"bytes {first}-{last}/{len(body)}"}

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------- an index for `recipes refresh`

REFRESH_FIXTURES = Path(__file__).parent / "fixtures" / "refresh"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def simple_json_page(name: str, files: list[dict]) -> bytes:
    """A PEP 691 project page listing ``files`` (PEP 691 file dicts)."""
    import json

    return json.dumps({"meta": {"api-version": "1.1"}, "name": name, "files": files}).encode()


def simple_html_page(name: str, files: list[dict]) -> bytes:
    """A PEP 503 project page listing ``files`` (PEP 691 file dicts: their url and requires-python)."""
    anchors = []
    for entry in files:
        extra = ""
        if entry.get("requires-python"):
            extra = f' data-requires-python="{html.escape(entry["requires-python"])}"'
        anchors.append(f'    <a href="{html.escape(entry["url"])}"{extra}>{html.escape(entry["filename"])}</a><br/>')
    text = f"<!DOCTYPE html>\n<html>\n  <body>\n    <h1>Links for {name}</h1>\n" + "\n".join(anchors) + "\n  </body>\n</html>\n"
    return text.encode()


def json_api_page(name: str, files: list[dict]) -> bytes:
    """The PyPI JSON API document (``/pypi/NAME/json``) of ``files``, grouped by release."""
    import json

    releases: dict[str, list[dict]] = {}
    for entry in files:
        releases.setdefault(entry["filename"].split("-")[1], []).append(
            {"filename": entry["filename"], "url": entry["url"], "requires_python": entry.get("requires-python"),
             "upload_time_iso_8601": entry.get("upload-time"), "yanked": entry.get("yanked", False)})
    return json.dumps({"info": {"name": name}, "releases": releases}).encode()


def wheel_zip(members: dict[str, bytes], filler: int = 200_000) -> bytes:
    """A small wheel: ``members`` first, then ``filler`` incompressible bytes, so the central directory lies
    past the first 64 KiB a lazy reader asks for."""
    import io
    import random
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        archive.writestr(zipfile.ZipInfo("torch/lib/filler.bin", (2024, 1, 1, 0, 0, 0)),
                         random.Random(0).randbytes(filler), zipfile.ZIP_STORED)
    return buffer.getvalue()


def fixture_wheels() -> dict[str, bytes]:
    """The wheels of tests/fixtures/refresh/wheels.json, built from its METADATA and version.py texts."""
    import json

    spec = json.loads((REFRESH_FIXTURES / "wheels.json").read_text())
    built = {}
    for filename, inside in spec.items():
        name, version = filename.split("-")[:2]
        members = {f"{name}-{version}.dist-info/METADATA": (REFRESH_FIXTURES / "metadata" / inside["metadata"]).read_bytes()}
        if inside.get("version_py"):
            members["torch/version.py"] = (REFRESH_FIXTURES / "version-py" / inside["version_py"]).read_bytes()
        built[filename] = wheel_zip(members)
    return built


def pytorch_listing() -> list[tuple[str, str]]:
    """(folder, file name) of every line of tests/fixtures/refresh/pytorch-index.txt."""
    out = []
    for line in (REFRESH_FIXTURES / "pytorch-index.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            folder, _, filename = line.split()[0].partition("/")
            out.append((folder, filename))
    return out


class RefreshIndex:
    """The routes of a loopback PyPI (``/pypi/simple/NAME/``, ``/pypi/pypi/NAME/json``) and PyTorch wheel
    index (``/whl/torch/``, ``/whl/<variant>/torch/``) serving the refresh fixtures; ``/files/NAME`` serves
    the fixture wheels with byte ranges. ``pypi`` picks the PyPI form (``json``: PEP 691, ``html``: PEP
    503, ``api``: the JSON API), ``pytorch`` the PyTorch index's (``html`` or ``json``). ``overrides`` maps a
    path to a :class:`Page` that replaces its answer (a hostile page)."""

    def __init__(self, pypi: str = "json", pytorch: str = "html", projects: dict[str, list[dict]] | None = None,
                 listing: list[tuple[str, str]] | None = None, wheels: dict[str, bytes] | None = None,
                 core_metadata: bool = False) -> None:
        import json

        self.pypi, self.pytorch, self.core_metadata = pypi, pytorch, core_metadata
        self.projects = projects if projects is not None else {
            name: json.loads((REFRESH_FIXTURES / "pypi" / f"{name}.json").read_text())["files"]
            for name in ("torch", "torchvision", "torchaudio")}
        self.listing = listing if listing is not None else pytorch_listing()
        self.wheels = wheels if wheels is not None else fixture_wheels()
        self.overrides: dict[str, Page] = {}
        self.server = PageServer(self.route)

    @property
    def pypi_url(self) -> str:
        return f"{self.server.base}/pypi"

    @property
    def index_url(self) -> str:
        return f"{self.server.base}/whl"

    def files_of(self, name: str) -> list[dict]:
        """The project's files, linked to this server; with ``core_metadata``, PEP 658 says the METADATA of
        the wheels this server has lies beside them."""
        base = self.server.base
        out = []
        for entry in self.projects[name]:
            entry = {**entry, "url": f"{base}/files/{quote(entry['filename'])}"}
            if self.core_metadata and entry["filename"] in self.wheels:
                entry["core-metadata"] = True
            out.append(entry)
        return out

    def pytorch_files(self, folder: str | None) -> list[dict]:
        return [{"filename": filename, "url": f"/whl/{f}/{quote(filename)}"}
                for f, filename in self.listing if folder is None or f == folder]

    def route(self, path: str) -> Page | None:
        if path in self.overrides:
            return self.overrides[path]
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["pypi", "simple"] and len(parts) == 3 and parts[2] in self.projects:
            if self.pypi == "html":
                return Page(simple_html_page(parts[2], self.files_of(parts[2])), "text/html")
            return Page(simple_json_page(parts[2], self.files_of(parts[2])), SIMPLE_JSON)
        if parts[:2] == ["pypi", "pypi"] and len(parts) == 4 and parts[3] == "json" and self.pypi == "api" \
                and parts[2] in self.projects:
            return Page(json_api_page(parts[2], self.files_of(parts[2])), "application/json")
        if parts[:1] == ["whl"] and parts[-1:] == ["torch"] and len(parts) in (2, 3):
            files = self.pytorch_files(parts[1] if len(parts) == 3 else None)
            if not files:
                return None
            if self.pytorch == "json":
                return Page(simple_json_page("torch", files), SIMPLE_JSON)
            return Page(simple_html_page("torch", files), "text/html")
        if parts[:1] == ["files"] and len(parts) == 2 and parts[1] in self.wheels:
            return Page(self.wheels[parts[1]], "application/octet-stream", headers={"Accept-Ranges": "bytes"})
        if parts[:1] == ["files"] and len(parts) == 2 and parts[1].endswith(".metadata") and self.core_metadata \
                and parts[1][: -len(".metadata")] in self.wheels:
            import io
            import zipfile

            with zipfile.ZipFile(io.BytesIO(self.wheels[parts[1][: -len(".metadata")]])) as archive:
                name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
                return Page(archive.read(name), "application/octet-stream")
        return None

    def __enter__(self) -> RefreshIndex:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)
