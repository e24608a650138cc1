"""Secrets never leave envdoctor: index credentials and tokens are masked wherever it prints or writes.

Modelled on pip's own redaction (``redact_auth_from_url``): the password of ``user:password@`` becomes
``****``, and a lone userinfo, which for token-authenticated indexes *is* the token, is masked whole.
Environment variables whose name says they hold a secret are masked outright, and values shaped
like well-known tokens are masked wherever they appear in text.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

MASK = "****"

#: ``scheme://userinfo@`` inside any text; userinfo stops at characters a URL authority cannot hold.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s\"'<>\\]+)@")
#: Tokens with a published, recognisable shape (GitHub, GitLab, Hugging Face, Slack, AWS, OpenAI-style).
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|hf_[A-Za-z0-9]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|sk-[A-Za-z0-9_-]{20,})\b"
)
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
    return _TOKEN_SHAPES.sub(MASK, _USERINFO.sub(_mask_userinfo, text))


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env`` fit to write down: secret-named values masked, credentials in others masked."""
    return {name: (MASK if _SECRET_NAME.search(name) and value else redact_text(value)) for name, value in env.items()}


def redact_data(value: Any) -> Any:
    """``value`` (JSON-shaped: dicts, lists, strings, numbers) with every string passed through redact_text."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_text(str(k)): redact_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v) for v in value]
    return value
