"""Loopback package indexes for the install tests: real wheels from disk, served on 127.0.0.1.

``Index`` serves a PEP 503 simple index (``/<root>/<project>/`` pages linking ``/files/<wheel>``) or,
for the layout some mirrors use, find-links pages (``/<root>/<variant>/``: every file, one page). It
records each request path, so a test can say which index a package came from. The wheels are the
real ones on this machine: the torch 2.13.0 CPU wheel (``ENVDOCTOR_TEST_WHEELS``, pip's find-links
folder, ``/opt/wheels``) and its pure-Python dependencies from the local package mirror (``/opt/pypi``).
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
