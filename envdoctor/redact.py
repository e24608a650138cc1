"""Secrets never leave envdoctor: index credentials and tokens are masked wherever it prints or writes.

Modelled on pip's own redaction (``redact_auth_from_url``): the password of ``user:password@`` becomes
``****``, and a lone userinfo, which for token-authenticated indexes *is* the token, is masked whole.
Environment variables whose name says they hold a secret are masked outright, and values shaped
like well-known tokens are masked wherever they appear in text.
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
    r"|hf_[A-Za-z0-9]{20,}|pypi-AgE[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}"
    r"|sk-[A-Za-z0-9_-]{20,})"
)
#: Secrets carried in a query string (``?token=...``, signed URLs' ``sig=``) and bearer tokens.
_QUERY_SECRET = re.compile(
    r"(?i)(?P<key>[?&](?:token|access_token|auth|api_?key|key|password|secret|sig|signature)=)[^&#\s\"'<>]+"
)
_BEARER = re.compile(r"(?i)(?P<key>\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}")
#: Variable names that hold a secret whatever their value looks like.
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|ACCESS_KEY|PRIVATE_KEY|AUTH)", re.I)


def _mask_userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match.group("userinfo").partition(":")
    kept = f"{user}:{MASK}" if colon and user else MASK
    return f"{match.group('scheme')}{kept}@"


def redact_text(text: str) -> str:
    """``text`` with URL credentials and token-shaped values masked."""
    if not text:
        return text
    text = _USERINFO.sub(_mask_userinfo, text)
    text = _QUERY_SECRET.sub(lambda m: m.group("key") + MASK, text)
    text = _BEARER.sub(lambda m: m.group("key") + MASK, text)
    return _TOKEN_SHAPES.sub(MASK, text)


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env`` fit to write down: secret-named values masked, credentials in others masked."""
    return {name: (MASK if _SECRET_NAME.search(name) and value else redact_text(value)) for name, value in env.items()}


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
