"""Readers of other people's machines: a pasted ``torch.utils.collect_env`` report, a saved
``envdoctor check --json`` report, or a folder ``envdoctor check --record`` wrote.

Each turns its input into the :class:`~envdoctor.facts.Facts` ``check`` collects, so the same rules
judge it, and says what it could not read. Text readers are pure; a recorded folder is replayed
through :class:`~envdoctor.door.RecordedDoor` and the same probes ``check`` runs.
:mod:`.install_commands` reads the install commands in a README, script, Dockerfile or requirements file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from envdoctor.facts import Attempt, Facts

KINDS = {
    "collect_env": "a torch.utils.collect_env report",
    "envdoctor-report": "an envdoctor --json report",
    "machine-folder": "a machine folder recorded by envdoctor check --record",
}


class NotAReportError(ValueError):
    """Input that is none of the things diagnose reads; the message says what it expected."""


@dataclass
class Reading:
    """What a reader made of its input."""

    kind: str  # a key of KINDS
    facts: Facts
    lines: int = 0  # lines of text read (0 for a folder)
    unread: list[str] = field(default_factory=list)  # "line 14: <text> (why)"
    missing: list[str] = field(default_factory=list)  # fields the report does not have
    truncated_at: int | None = None  # the last line read, when the report ends early
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        size = f", {self.lines} lines" if self.lines else ""
        unread = f", {len(self.unread)} not read" if self.unread else ""
        return f"{KINDS[self.kind]}{size}{unread}"


def _strip_fences(text: str) -> str:
    """The text inside the first markdown fence, when it is fenced JSON."""
    stripped = text.strip()
    if stripped.startswith(("```", "~~~")):
        lines = stripped.split("\n")[1:]
        while lines and lines[-1].strip().startswith(("```", "~~~")):
            lines.pop()
        return "\n".join(lines).strip()
    return stripped


def detect(text: str) -> str | None:
    """``"envdoctor-report"``, ``"collect_env"`` or None (neither)."""
    from envdoctor.readers.collect_env import looks_like_collect_env

    if _strip_fences(text).startswith("{"):
        return "envdoctor-report"
    return "collect_env" if looks_like_collect_env(text) else None


def read_text(text: str, where: str) -> Reading:
    """Read a report given as text; raises :class:`NotAReportError` (or the report module's
    ReportFormatError for a broken envdoctor report) naming ``where``."""
    kind = detect(text)
    if kind == "envdoctor-report":
        from envdoctor.report import facts_from_report, parse_report

        facts = facts_from_report(parse_report(_strip_fences(text), where), where)
        facts.os.attempts.append(Attempt(where, "ok", KINDS[kind]))
        return Reading(kind, facts, lines=text.count("\n") + 1)
    if kind == "collect_env":
        from envdoctor.readers.collect_env import read_collect_env

        found = read_collect_env(text)
        found.facts.os.attempts.insert(0, Attempt(where, "ok", KINDS[kind]))
        return Reading(kind, found.facts, found.lines, found.unread, found.missing, found.truncated_at, found.notes)
    raise NotAReportError(f"{where}: not a report envdoctor can read: expected the output of "
                          "`python -m torch.utils.collect_env`, an `envdoctor check --json` report, or a folder "
                          "recorded with `envdoctor check --record`")


def read_folder(folder: Path, timeout: float = 10.0) -> Reading:
    """Replay a recorded machine folder through the probes ``check`` runs (no process is started).

    Raises the door's MachineFolderError for a folder that is not a valid recording.
    """
    from envdoctor.door import RecordedDoor
    from envdoctor.probes import collect

    facts = collect(RecordedDoor(folder), timeout=timeout)
    return Reading("machine-folder", facts)
