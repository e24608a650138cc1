"""Index pages and wheel names read whole: each expected value is written by hand from the page or
the name (PEP 427/425 for names, PEP 503/691/658/714 and the PyPI JSON API for pages)."""

from __future__ import annotations

import json

import pytest
from packaging.version import Version

from envdoctor.refresh import indexes
from envdoctor.refresh.indexes import IndexFile, PageError, Wheel, link_problem, parse_json_api, parse_simple, parse_wheel_name

PAGE = "https://index.example/simple/torch/"


@pytest.fixture(autouse=True)
def _names_read_afresh():
    """parse_wheel_name is cached: each test reads its names through the parser itself."""
    parse_wheel_name.cache_clear()


@pytest.mark.parametrize(("filename", "expected"), [
    ("torch-2.5.1+cu124-cp312-cp312-manylinux_2_28_x86_64.whl",
     Wheel("torch", Version("2.5.1+cu124"), ("3.12",), None, ("linux-x86_64",), ("manylinux_2_28_x86_64",))),
    ("torch-2.6.0-cp313-cp313t-win_amd64.whl",
     Wheel("torch", Version("2.6.0"), ("3.13t",), None, ("windows-x86_64",), ("win_amd64",))),
    ("Torch_Vision-0.1-cp310.cp311-cp311-linux_aarch64.whl",
     Wheel("torch-vision", Version("0.1"), ("3.10", "3.11"), None, ("linux-aarch64",), ("linux_aarch64",))),
    ("xformers-0.0.28-cp39-abi3-macosx_11_0_universal2.whl",
     Wheel("xformers", Version("0.0.28"), (), "3.9", ("macos-arm64", "macos-x86_64"), ("macosx_11_0_universal2",))),
    ("six-1.0-1build-py2.py3-none-any.whl", Wheel("six", Version("1.0"), (), None, (), ("any",))),
])
def test_wheel_names_taken_apart(filename, expected):
    assert parse_wheel_name(filename) == expected


def test_a_page_that_answers_with_another_type_is_named_with_its_type():
    with pytest.raises(PageError) as refused:
        parse_simple(b"{}", "text/plain; " + "x" * 100, PAGE)
    assert str(refused.value) == (f"{PAGE}: answered with Content-Type {('text/plain; ' + 'x' * 100)[:80]}, not an "
                                  "index page (application/vnd.pypi.simple.v1+json, text/html, "
                                  "application/vnd.pypi.simple.v1+html)")
    with pytest.raises(PageError) as untyped:
        parse_json_api(b"{}", "", PAGE)
    assert str(untyped.value) == f"{PAGE}: answered with Content-Type none, not an index page (application/json)"


def test_html_pages_are_read_whole():
    body = (b'<a href="torch-1.whl#sha256=ab" data-requires-python="&gt;=3.9" data-core-metadata="">a</a>'
            b"<a href='/t/torch-2.whl' data-dist-info-metadata=\"sha256=cd\" data-yanked=''>b</a>"
            b'<a href="torch%2B3.whl" data-core-metadata="false" data-upload-time="2024-01-01T00:00:00Z">c</a>'
            b'<a name="x">no link</a>')
    assert parse_simple(body, "text/html", PAGE) == [
        IndexFile("torch-1.whl", PAGE + "torch-1.whl", ">=3.9", None, False, None),
        IndexFile("torch-2.whl", "https://index.example/t/torch-2.whl", None, None, True,
                  "https://index.example/t/torch-2.whl.metadata"),
        IndexFile("torch+3.whl", PAGE + "torch%2B3.whl", None, "2024-01-01T00:00:00Z", False, None),
    ]
    with pytest.raises(PageError) as refused:
        parse_simple(b"<a href='x'>\xff</a>", "text/html", PAGE)
    assert str(refused.value) == f"{PAGE}: not UTF-8 (byte 12)"


def simple_json(files: list[object], version: object = "1.1") -> bytes:
    return json.dumps({"meta": {"api-version": version}, "name": "torch", "files": files}).encode()


def test_pep_691_pages_are_read_whole():
    files = [
        {"filename": "a.whl", "url": "a.whl#sha256=00", "core-metadata": {"sha256": "11"}, "yanked": "broken",
         "requires-python": ">=3.10", "upload-time": "2025-01-01T00:00:00Z"},
        {"filename": "b.whl", "url": "https://index.example/b.whl", "data-dist-info-metadata": True, "yanked": False},
        {"filename": "c.whl", "url": "c.whl", "core-metadata": False, "data-dist-info-metadata": True,
         "requires-python": ""},
    ]
    assert parse_simple(simple_json(files), indexes.SIMPLE_JSON_TYPE, PAGE) == [
        IndexFile("a.whl", PAGE + "a.whl", ">=3.10", "2025-01-01T00:00:00Z", True, PAGE + "a.whl.metadata"),
        IndexFile("b.whl", "https://index.example/b.whl", None, None, False, "https://index.example/b.whl.metadata"),
        IndexFile("c.whl", PAGE + "c.whl", None, None, False, None),
    ]


@pytest.mark.parametrize(("body", "message"), [
    (json.dumps({"files": []}).encode(), "PEP 691 api-version missing is not 1.x"),
    (json.dumps({"meta": {}, "files": []}).encode(), "PEP 691 api-version missing is not 1.x"),
    (simple_json([], "2.0"), "PEP 691 api-version 2.0 is not 1.x"),
    (simple_json([], "10." + "0" * 30), "PEP 691 api-version 10.00000000000000000 is not 1.x"),
    (json.dumps({"meta": {"api-version": "1.0"}}).encode(), "not a PEP 691 project page (no 'files' list)"),
    (simple_json([{"filename": "a"}]), "files[0] needs 'filename' and 'url' strings"),
    (simple_json([{"filename": "a", "url": "a", "requires-python": 3}]),
     "files[0].requires-python must be a string, got int"),
    (simple_json([{"filename": "a", "url": "http://127.0.0.1/a"}]),
     "links http://127.0.0.1/a: a plain-http link on an https page"),
])
def test_pep_691_refusals(body, message):
    with pytest.raises(PageError) as refused:
        parse_simple(body, indexes.SIMPLE_JSON_TYPE, PAGE)
    assert str(refused.value) == f"{PAGE}: {message}"


def test_the_file_cap_allows_exactly_the_cap(monkeypatch):
    monkeypatch.setattr(indexes, "MAX_FILES", 2)
    two = {"releases": {"1.0": [{"filename": "a", "url": "a"}, {"filename": "b", "url": "b"}]}}
    assert [f.filename for f in parse_json_api(json.dumps(two).encode(), "application/json", PAGE)] == ["a", "b"]
    three = {"releases": {"1.0": [{"filename": "a", "url": "a"}], "2.0": [{"filename": "b", "url": "b"},
                                                                         {"filename": "c", "url": "c"}]}}
    with pytest.raises(PageError) as refused:
        parse_json_api(json.dumps(three).encode(), "application/json", PAGE)
    assert str(refused.value) == f"{PAGE}: lists more than 2 files"
    html = b"".join(b'<a href="%d">x</a>' % n for n in range(3))
    assert len(parse_simple(html[:-len(b'<a href="2">x</a>')], "text/html", PAGE)) == 2
    with pytest.raises(PageError) as many:
        parse_simple(html, "text/html", PAGE)
    assert str(many.value) == f"{PAGE}: lists more than 2 files"


def test_the_json_api_is_read_whole():
    document = {"releases": {"2.0": [{"filename": "t.whl", "url": "https://files.example/t.whl", "yanked": True,
                                      "requires_python": ">=3.9", "upload_time_iso_8601": "2024-05-01T00:00:00Z"}],
                             "1.0": []}}
    assert parse_json_api(json.dumps(document).encode(), "application/json", PAGE) == [
        IndexFile("t.whl", "https://files.example/t.whl", ">=3.9", "2024-05-01T00:00:00Z", True, None)]


def test_links_from_a_page_that_is_not_an_absolute_url_are_refused():
    assert link_problem("relative/page/", "https://files.example/t.whl") == "not an absolute URL with a host"


def test_a_bare_data_yanked_attribute_marks_the_file_yanked():
    assert parse_simple(b'<a href="t.whl" data-yanked>t</a>', "text/html", PAGE) == [
        IndexFile("t.whl", PAGE + "t.whl", None, None, True, None)]
