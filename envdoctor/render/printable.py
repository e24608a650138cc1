"""What every rendering does to a report first: terminal controls stripped, secrets masked, nesting bounded."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from envdoctor.facts import Finding
from envdoctor.i18n import Text
from envdoctor.redact import redact_text
from envdoctor.report import Report

# Patterns kept as text are compiled by re on first use (and cached there): a `check` that meets nothing they read
# does not compile them.
#: Terminal control: ESC sequences (CSI, OSC, DCS/SOS/PM/APC strings, two-byte escapes), C0 controls
#: other than newline and tab, DEL, C1 controls, and the Unicode bidirectional overrides that reorder
#: what a reader sees. Each alternative stops at the next ESC, so stripping is linear in the text.
_CONTROL = (
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)
#: Values nested deeper than this (only untrusted input does that) are shown as a placeholder.
MAX_DEPTH = 32
TOO_DEEP = "(nested too deeply to show)"


def strip_controls(text: str) -> str:
    """``text`` without anything a terminal would act on instead of printing."""
    return re.sub(_CONTROL, "", text)


def printable(text: str) -> str:
    """``text`` fit for a terminal or a log: controls stripped, then credentials and tokens masked."""
    return redact_text(strip_controls(text))


def scrub(value: Any, text: Callable[[str], str], non_finite: list[tuple[str, str]] | None = None,
          path: str = "", depth: int = 0) -> Any:
    """A copy of ``value`` (dataclasses, dicts, lists) with ``text`` applied to every string and nesting cut
    at MAX_DEPTH. Given a ``non_finite`` list, NaN and infinities become None (JSON has neither) and each
    is recorded there as (its JSON Pointer, ``"nan"`` / ``"inf"`` / ``"-inf"``); without it they are kept.
    """
    if isinstance(value, Text):  # cleaned in English and in what a translation fills in alike
        return value.map(text)
    if isinstance(value, str):
        return text(value)
    if isinstance(value, float):
        if non_finite is None or math.isfinite(value):
            return value
        non_finite.append((path, repr(value)))
        return None
    if value is None or isinstance(value, (bool, int)):
        return value
    if depth >= MAX_DEPTH:
        return TOO_DEEP
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: scrub(getattr(value, f.name), text, non_finite, f"{path}/{f.name}", depth + 1)
                   for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, Mapping):
        return {(text(k) if isinstance(k, str) else k): scrub(v, text, non_finite, f"{path}/{_pointer_token(k)}", depth + 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub(v, text, non_finite, f"{path}/{n}", depth + 1) for n, v in enumerate(value))
    return text(str(value))


def _pointer_token(key: object) -> str:
    """A mapping key as one JSON Pointer token (RFC 6901: ``~`` is written ``~0`` and ``/`` ``~1``)."""
    return printable(str(key)).replace("~", "~0").replace("/", "~1")


def format_number(value: object, spec: str) -> str:
    """``value`` formatted with ``spec`` when it is a number: NaN and infinities read ``nan``, ``inf``,
    ``-inf`` (what a broken GPU measures); anything else (a null from another rank's JSON) reads ``?``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "?"
    return format(value, spec)


def printable_report(report: Report) -> Report:
    """A copy of ``report`` fit to print anywhere (controls stripped, secrets masked; NaN kept, for
    :func:`format_number` to show), for the renderings that take a Report as it is (GitHub annotations, JUnit XML)."""
    scrubbed: Report = scrub(report, printable)
    return scrubbed


def finding_text(finding: Finding, *, evidence: bool) -> str:
    """A finding as plain lines, for formats with no layout of their own (annotations, JUnit bodies): the
    message, its fix, its commands, and (with ``evidence``) where it was seen."""
    lines = [finding.message]
    if finding.fix:
        lines.append(f"fix: {finding.fix}")
    lines.extend("$ " + " ".join(argv) for argv in finding.commands)
    if evidence:
        lines.extend(f"evidence: {item}" for item in finding.evidence)
    return "\n".join(lines)
