"""Secrets never leave envdoctor: index credentials and tokens are masked wherever it prints or writes.

Modelled on pip's own redaction (``redact_auth_from_url``): the password of ``user:password@`` becomes
``****``, and a lone userinfo, which for token-authenticated indexes *is* the token, is masked whole.
Tokens also ride in a URL's path and query (``/t/<token>/``, ``https://host/<token>/org/repo/``,
``?private_token=``), under names no list could hold, so every URL in text is read by structure:
every query value is masked, and so is every path segment shaped like a credential (after ``/t/`` or
``/token/``, a JWT, a long run of letters and digits). Scheme, host and the path's shape stay readable;
the fragment, which a client never sends, stays whole. Environment variables whose name says they
hold a secret are masked outright, and values shaped like well-known tokens are masked wherever they
appear in text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "****"

#: ``scheme://userinfo@`` inside any text. The userinfo runs to the *last* ``@`` before the authority
#: ends (``/ ? #`` or whitespace), as URL parsers read it, so a password holding ``@`` is masked whole;
#: a double quote ends it too, so a URL inside JSON text never swallows the next string, while a single
#: quote or a backslash does not (a password may hold them; over-masking is safe).
#: A scheme starts only where a word does and is at most 32 characters long, which keeps the search
#: linear in the text.
_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{0,31}://)(?P<userinfo>[^/?#\s\"]*)@")
#: Tokens with a published, recognisable shape (GitHub, GitLab, Hugging Face, PyPI, Slack, AWS,
#: OpenAI-style). No closing anchor: each shape takes the whole run of its characters, so a match never
#: backtracks and a token longer than usual is still masked whole.
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|hf_[A-Za-z0-9]{20,}|pypi-AgE[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|A[KS]IA[0-9A-Z]{16}"
    r"|sk-[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)"
)
# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
#: A URL inside text: scheme, then everything up to whitespace, a quote or an angle bracket.
_URL = (r"(?<![A-Za-z0-9+.-])(?P<head>[A-Za-z][A-Za-z0-9+.-]{0,31}://[^/?#\s\"'<>]*)(?P<path>[^?#\s\"'<>]*)"
        r"(?P<query>\?[^#\s\"'<>]*)?")
#: Path segments after which the next segment is a token (anaconda.org's ``/t/<token>/`` and kin).
_TOKEN_PARENTS = frozenset({"t", "token", "tokens", "auth", "key", "api-key", "apikey", "secret"})
#: A credential-shaped path segment: a run of 16 or more token characters (no dot, so no file name)
#: mixing letters with digits or both cases, as random tokens do and words rarely do.
_CREDENTIAL_SEGMENT = r"(?:(?=.*[0-9])(?=.*[A-Za-z])|(?=.*[a-z])(?=.*[A-Z]))[A-Za-z0-9_~%-]{16,}"
#: Secrets carried in a query string (``?token=...``, signed URLs' ``sig=``) and bearer tokens.
_QUERY_SECRET = re.compile(
    r"(?i)(?P<key>[?&](?:token|access_token|auth|api_?key|key|password|secret|sig|signature)=)[^&#\s\"'<>]+"
)
_BEARER = re.compile(r"(?i)(?P<key>\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}")
#: Variable names that hold a secret whatever their value looks like.
_SECRET_NAME = r"(?i)(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|ACCESS_KEY|PRIVATE_KEY|AUTH)"


def _mask_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match.group("userinfo").partition(":")
    kept = f"{user}:{MASK}" if colon and user else MASK
    return f"{match.group('scheme')}{kept}@"


def _mask_path(path: str) -> str:
    segments = path.split("/")
    for index, segment in enumerate(segments):
        after_token_word = index > 0 and segments[index - 1].lower() in _TOKEN_PARENTS
        if segment and (after_token_word or re.fullmatch(_CREDENTIAL_SEGMENT, segment) or segment.startswith("eyJ")):
            segments[index] = MASK
    return "/".join(segments)


def _mask_query(query: str) -> str:
    """Every value of the query masked, its keys kept: which parameter is a secret has no fixed name."""
    fields = []
    for field in query[1:].split("&"):
        key, equals, value = field.partition("=")
        fields.append(f"{key}={MASK}" if equals and value else (field if equals or not field else MASK))
    return "?" + "&".join(fields)


def _mask_url(match: re.Match[str]) -> str:
    query = match.group("query")
    return match.group("head") + _mask_path(match.group("path")) + (_mask_query(query) if query else "")


def redact_text(text: str) -> str:
    """``text`` with URL credentials and token-shaped values masked."""
    if not text:
        return text
    text = _USERINFO.sub(_mask_userinfo, text)
    if "://" in text:
        text = re.sub(_URL, _mask_url, text)
    text = _QUERY_SECRET.sub(lambda m: m.group("key") + MASK, text)
    text = _BEARER.sub(lambda m: m.group("key") + MASK, text)
    return _TOKEN_SHAPES.sub(MASK, text)


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env`` fit to write down: secret-named values masked, credentials in others masked."""
    return {name: (MASK if re.search(_SECRET_NAME, name) and value else redact_text(value)) for name, value in env.items()}


def redact_data(value: Any) -> Any:
    """``value`` (JSON-shaped: dicts, lists, strings, numbers) with every string passed through redact_text.

    Walks with its own stack, not recursion, so no nesting depth makes it fail.
    """
    if isinstance(value, str):
        return redact_text(value)
    if not isinstance(value, (dict, list, tuple)):
        return value
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]  # (source, parent container, key in parent)
    while stack:
        source, parent, key = stack.pop()
        if isinstance(source, str):
            parent[key] = redact_text(source)
        elif isinstance(source, dict):
            copy: dict[str, Any] = {}
            parent[key] = copy
            for name, item in source.items():
                name = redact_text(str(name))
                copy[name] = None
                stack.append((item, copy, name))
        elif isinstance(source, (list, tuple)):
            items: list[Any] = [None] * len(source)
            parent[key] = items
            stack.extend((item, items, index) for index, item in enumerate(source))
        else:
            parent[key] = source
    return root[0]
