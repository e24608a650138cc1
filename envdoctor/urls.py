"""Which URLs envdoctor lets an installer fetch from: one guard for index URLs and direct references.

pip and uv parse URLs the way browsers do (the WHATWG URL standard), not the way
:func:`urllib.parse.urlsplit` does: for ``http://host\\@localhost/whl`` urlsplit reads the host
``localhost`` while pip and uv read ``host``, because a backslash ends the authority of an http URL.
Rather than model every parser's quirks, the guard refuses whatever they could read differently
(backslashes, whitespace, control and non-ASCII characters, odd ports, ambiguous hosts), then
judges the one host left: https anywhere, plain http only to the loopback interface.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from envdoctor.i18n import _

if TYPE_CHECKING:  # an annotation only: check loads the recipes, which use this module, without packaging's parser
    from packaging.requirements import Requirement

#: Characters every URL parser reads the same way: printable ASCII without the backslash.
_PLAIN = re.compile(r"^[!-\[\]-~]+$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_PORT = re.compile(r"^[0-9]{1,5}$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_DNS_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
#: Schemes a direct reference may use, each with the transport it rides on.
DIRECT_SCHEMES = {"https": "https", "http": "http", "git+https": "https", "git+http": "http"}


def split_host(url: str) -> tuple[str, str, str] | None:
    """(scheme, host, port) of an absolute hierarchical URL, or None when it has no authority.

    The authority ends at the first ``/``, ``?`` or ``#``; userinfo is everything up to its last
    ``@`` (as WHATWG reads it). The host is lowercased; an IPv6 literal keeps its brackets.
    """
    match = _SCHEME.match(url)
    if not match or not url[match.end():].startswith("//"):
        return None
    rest = url[match.end() + 2:]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return None
        host, tail = hostport[: end + 1], hostport[end + 1:]
        if tail and not tail.startswith(":"):
            return None
        port = tail[1:]
    else:
        host, _colon, port = hostport.partition(":")
    return match.group(1).lower(), host.lower(), port


def _canonical_ipv4(host: str) -> bool:
    try:
        return str(ipaddress.IPv4Address(host)) == host
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    """``localhost``, a dotted-quad in 127.0.0.0/8, or ``[::1]``: nothing else counts."""
    if host == "localhost":
        return True
    literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if literal != host or re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", host):
        try:
            return ipaddress.ip_address(literal).is_loopback
        except ValueError:
            return False
    return False


def _host_problem(host: str, port: str, transport: str) -> str | None:
    if not host:
        return _("it names no host")
    if port and (not _PORT.match(port) or not 0 < int(port) < 65536):
        return _("port {port} is not a number from 1 to 65535", port=repr(port))
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return _("host {host} is not an IPv6 address", host=repr(host))
        if "%" in host:
            return _("host {host} names a zone, which URL parsers do not agree on", host=repr(host))
    elif not _DNS_NAME.match(host):
        return _("host {host} is not a plain host name or address", host=repr(host))
    elif _NUMERIC_LABEL.match(host.rpartition(".")[2]) and not _canonical_ipv4(host):
        # WHATWG reads a host ending in a number as an IPv4 address (0x7f.1 is 127.0.0.1), pip as a name
        return _("host {host} is an unusual spelling of an IPv4 address; write it as a.b.c.d", host=repr(host))
    if transport == "https" or is_loopback(host):
        return None
    return _("plain http is allowed only to 127.0.0.1, ::1 or localhost (use https)")


def index_url_problem(url: object) -> str | None:
    """Why an installer must not be pointed at ``url`` as an index or find-links page; None if it may."""
    if not isinstance(url, str) or not url:
        return _("an index URL must be a non-empty string")
    if not _PLAIN.match(url):
        return _("it holds a backslash, whitespace, a control or a non-ASCII character, which URL parsers read differently")
    parts = split_host(url)
    if parts is None:
        return _("it is not an absolute URL with a host (scheme://host/...)")
    scheme, host, port = parts
    if scheme not in ("https", "http"):
        return _("the scheme {scheme} is not https", scheme=repr(scheme))
    return _host_problem(host, port, scheme)


def direct_reference_problem(requirement: Requirement) -> str | None:
    """Why a PEP 508 ``name @ URL`` requirement must not be handed to an installer; None if it may."""
    url = requirement.url
    if url is None:
        return None
    if not _PLAIN.match(url):
        return _("its URL holds a backslash, whitespace, a control or a non-ASCII character")
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else ""
    if scheme == "file":
        return _("a file: URL installs whatever lies at that path; install local files with pip directly")
    if scheme not in DIRECT_SCHEMES:
        return _("the scheme {scheme} is not one of {schemes}", scheme=repr(scheme or "(none)"),
                 schemes=", ".join(DIRECT_SCHEMES))
    parts = split_host(url)
    if parts is None:
        return _("its URL names no host")
    _scheme, host, port = parts
    return _host_problem(host, port, DIRECT_SCHEMES[scheme])
