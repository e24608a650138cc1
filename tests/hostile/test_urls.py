"""The URL guard against the parsers that really fetch: pip's (its vendored urllib3) and a WHATWG
parser (ada-url, the standard uv's Rust `url` crate follows). Whatever the guard lets through, every
parser must read the same scheme, and plain http must reach the loopback interface in all of them.

The hostile URLs are built from pieces known to split parsers (backslashes, extra ``@``, ``?`` and
``#`` before ``@``, odd ports, IPv4 spellings, IPv6 zones); they are synthesised.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement

from envdoctor.urls import direct_reference_problem, index_url_problem, is_loopback, split_host

pip_urllib3 = pytest.importorskip("pip._vendor.urllib3.util.url")
ada_url = pytest.importorskip("ada_url")


def _loopback(host: str) -> bool:
    host = host.lower().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def readings(url: str) -> list[tuple[str, str]]:
    """(scheme, host) as pip's urllib3 and a WHATWG parser read ``url``."""
    pip_url = pip_urllib3.parse_url(url)
    whatwg = ada_url.URL(url)
    return [((pip_url.scheme or "").lower(), (pip_url.host or "").lower()),
            (whatwg.protocol.rstrip(":"), whatwg.hostname)]


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example\\@localhost/whl",
        "http://127.0.0.1:8000\\@localhost/whl",
        "http://evil.example\\\\@127.0.0.1/",
        "http://localhost\t/simple",
        "http://local\nhost/simple",
        "http://evil.example /@localhost/",
        "http://ｌｏｃａｌｈｏｓｔ/simple",  # full-width letters: WHATWG maps them to "localhost"
        "http://evil.example/",
        "http://127.0.0.1.evil.example/",
        "http://0x7f.1/", "http://127.1/", "http://2130706433/", "http://127.000.000.001/",
        "https://0x7f.1/", "https://2130706433/", "https://1.2.3.04/",  # IPv4 that pip and WHATWG spell apart
        "http://localhost./", "http://[::1%25lo]/", "http://[junk]/", "https://[junk]/",
        "http://localhost:0/", "http://localhost:65536/", "http://localhost:80:80/", "http://localhost:8o/",
        "http:/localhost/simple", "http:localhost/simple", "//localhost/simple", "localhost/simple",
        "ftp://localhost/", "file:///srv/wheels", "javascript://localhost/%0aalert(1)",
        "http://@/", "http://user@/", "", "http://%6cocalhost/", "http://local_host/",
    ],
)
def test_refused(url):
    assert index_url_problem(url) is not None


@pytest.mark.parametrize(
    "url, host",
    [
        ("https://download.pytorch.org/whl/cu126", "download.pytorch.org"),
        ("https://user:p%40ss@mirror.example:8443/simple/", "mirror.example"),
        ("HTTPS://Mirror.Example/simple", "mirror.example"),
        ("http://127.0.0.1:8000/simple", "127.0.0.1"),
        ("http://127.255.0.9/simple", "127.255.0.9"),
        ("http://localhost/simple", "localhost"),
        ("http://LOCALHOST:8080", "localhost"),
        ("http://[::1]:8000/simple", "[::1]"),
        ("http://evil.example@localhost/whl", "localhost"),  # userinfo "evil.example": the host is localhost
        ("http://a:b@c@localhost/", "localhost"),  # the last @ ends the userinfo, in every parser
        ("http://localhost#@evil.example/", "localhost"),
        ("http://localhost?@evil.example/", "localhost"),
    ],
)
def test_accepted_and_read_alike(url, host):
    assert index_url_problem(url) is None
    assert split_host(url)[1] == host
    for scheme, read_host in readings(url):
        assert scheme == url.split(":")[0].lower()
        assert read_host == host


SCHEMES = st.sampled_from(["http", "https", "HTTP", "hTtPs", "ftp", "file", "git+http", "ws"])
HOSTS = st.sampled_from(["localhost", "LOCALHOST", "127.0.0.1", "127.9.9.9", "[::1]", "[::ffff:7f00:1]",
                         "evil.example", "0x7f.1", "127.1", "localhost.", "[::1%25eth0]", "xn--nxasmq6b.example",
                         "", "%6cocalhost", "local host", "ｌｏｃａｌｈｏｓｔ", "[::1]]", "[v1.x]"])
NOISE = st.sampled_from(["", "@", ":", "\\", "/", "?", "#", "%2f", "%40", " ", "\t", "\x00", "é", "evil.example",
                         "localhost", "[", "]", "\\@", "@localhost", ":80", ":", "..", ";"])
PORTS = st.sampled_from(["", ":", ":80", ":8000", ":0", ":65535", ":65536", ":-1", ":80a", ": 80", ":0x50"])


@st.composite
def hostile_urls(draw) -> str:
    userinfo = "".join(draw(st.lists(NOISE, max_size=4)))
    at = draw(st.sampled_from(["", "@"]))
    tail = "".join(draw(st.lists(NOISE, max_size=4)))
    slashes = draw(st.sampled_from(["//", "//", "/", "\\\\", "///", ""]))
    return f"{draw(SCHEMES)}:{slashes}{userinfo}{at}{draw(HOSTS)}{draw(PORTS)}{tail}/simple"


@settings(max_examples=2000, deadline=None)
@given(hostile_urls())
@example("http://evil.example\\@localhost/whl")
@example("http://localhost:80\\@evil.example/")
def test_whatever_is_accepted_every_parser_reads_alike(url):
    """The property the guard exists for: accepted means pip and WHATWG agree on the scheme and the
    host, and plain http goes to loopback in both."""
    if index_url_problem(url) is not None:
        return
    scheme, host, _ = split_host(url)
    for read_scheme, read_host in readings(url):
        assert read_scheme == scheme, (url, read_scheme)
        assert read_host == host, (url, read_host)
        if scheme == "http":
            assert _loopback(read_host), (url, read_host)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_judged_without_error(text):
    problem = index_url_problem(text)
    assert problem is None or isinstance(problem, str)
    if problem is None:
        assert split_host(text) is not None


def test_not_a_string_is_refused():
    for value in (None, 5, b"https://x.example/", ["https://x.example/"]):
        assert index_url_problem(value) is not None


def test_is_loopback_counts_only_the_loopback_interface():
    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "127.1.2.3", "[::1]"))
    assert not any(is_loopback(h) for h in ("localhost.evil.example", "127.0.0.1.evil.example", "0.0.0.0",
                                             "[::]", "::1", "10.0.0.1", "0x7f000001", "[fe80::1]"))


@pytest.mark.parametrize(
    "requirement, refused",
    [
        ("torch", False),
        ("torch==2.6.0", False),
        ("torch @ https://download.pytorch.org/whl/cpu/torch-2.6.0-cp311-none-linux_x86_64.whl", False),
        ("torch @ git+https://github.com/pytorch/pytorch@v2.6.0", False),
        ("torch @ http://localhost:8000/torch.whl", False),
        ("torch @ http://evil.example/torch.whl", True),
        ("torch @ git+http://evil.example/pytorch", True),
        ("torch @ file:///tmp/torch.whl", True),
        ("torch @ file://localhost/tmp/torch.whl", True),
        ("torch @ git+ssh://git@github.com/pytorch/pytorch", True),
        ("torch @ git+file:///srv/pytorch", True),
        ("torch @ hg+https://evil.example/pytorch", True),
        ("torch @ ftp://evil.example/torch.whl", True),
        ("torch @ https://[junk]/torch.whl", True),
    ],
)
def test_direct_references(requirement, refused):
    assert (direct_reference_problem(Requirement(requirement)) is not None) is refused


@settings(max_examples=1000, deadline=None)
@given(hostile_urls())
def test_accepted_direct_references_are_read_alike(url):
    url = url.replace(":", "+https:", 1) if url.lower().startswith("git") else url
    try:
        requirement = Requirement(f"pkg @ {url}")
    except InvalidRequirement:
        return
    if direct_reference_problem(requirement) is not None:
        return
    scheme, host, _ = split_host(requirement.url)
    transport = scheme.removeprefix("git+")
    for read_scheme, read_host in readings(requirement.url.removeprefix("git+")):
        assert read_scheme == transport and read_host == host, (url, read_scheme, read_host)
        if transport == "http":
            assert _loopback(read_host)


def test_the_guard_is_linear_in_its_input():
    """Megabyte URLs are judged (quadratic parsing of 1 MB would not return in any useful time)."""
    for url in ("https://" + "a" * 1_000_000, "https://" + "a." * 500_000 + "example", "http://" + "@" * 1_000_000,
                "https://x.example/" + "%" * 1_000_000, "http://" + "[" * 1_000_000):
        index_url_problem(url)
