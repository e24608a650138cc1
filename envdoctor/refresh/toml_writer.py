"""TOML text for a refresh's overlay (and the extension pins' file): envdoctor reads TOML with tomllib but
has nothing to write it. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["toml_text"]


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$", re.ASCII)


def _key(text: str) -> str:
    return text if _BARE_KEY.fullmatch(text) else _string(text)


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def toml_text(table: Mapping[str, Any], header: str = "") -> str:
    """TOML for the overlay's shape: top-level values, ``[refresh]``, and one table per release with
    inline tables inside (written here: envdoctor reads TOML with tomllib but has nothing to write it)."""
    lines = [f"# {line}" for line in header.splitlines()]
    for key, value in table.items():
        if not isinstance(value, Mapping):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        if isinstance(value, Mapping) and key != "series":
            lines += ["", f"[{_key(key)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in value.items()]
    for name, body in (table.get("series") or {}).items():
        plain = {k: v for k, v in body.items() if k != "releases"}
        if plain:
            lines += ["", f"[series.{_key(name)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in plain.items()]
        for release, spec in body.get("releases", {}).items():
            lines += ["", f"[series.{_key(name)}.releases.{_key(release)}]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in spec.items() if k != "variants"]
            lines += [f"[series.{_key(name)}.releases.{_key(release)}.variants]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in spec.get("variants", {}).items()]
    return "\n".join(lines) + "\n"
