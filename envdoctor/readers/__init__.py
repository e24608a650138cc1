"""Readers of other people's machines: a pasted ``torch.utils.collect_env`` report, a saved
``envdoctor check --json`` report, a folder ``envdoctor check --record`` wrote, or whatever was pasted
when torch failed (errors, warnings, pip / conda / nvidia-smi output: :mod:`envdoctor.readers.pastes`).

Each turns its input into the :class:`~envdoctor.facts.Facts` ``check`` collects, so the same rules
judge it, and says what it could not read. Text readers are pure; a recorded folder is replayed
through :class:`~envdoctor.door.RecordedDoor` and the same probes ``check`` runs.
:mod:`.install_commands` reads the install commands in a README, script, Dockerfile or requirements file.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from envdoctor.datatypes import datatype
from envdoctor.facts import Attempt, Facts
from envdoctor.i18n import _, listed, n_

if TYPE_CHECKING:
    from envdoctor.readers.pastes import PasteReading

KINDS = {
    "collect_env": _("a torch.utils.collect_env report"),
    "envdoctor-report": _("an envdoctor --json report"),
    "machine-folder": _("a machine folder recorded by envdoctor check --record"),
    "paste": _("pasted text"),
}


class NotAReportError(ValueError):
    """Input that is none of the things diagnose reads; the message says what it expected."""


@datatype
class Reading:
    """What a reader made of its input."""

    kind: str  # a key of KINDS
    facts: Facts
    lines: int = 0  # lines of text read (0 for a folder)
    unread: list[str] = field(default_factory=list)  # "line 14: <text> (why)"
    missing: list[str] = field(default_factory=list)  # fields the report does not have
    truncated_at: int | None = None  # the last line read, when the report ends early
    notes: list[str] = field(default_factory=list)
    paste: PasteReading | None = None  # the messages recognised in the text (any text input)
    here: bool = False  # judged together with the live probe of this machine (--here)

    def describe(self) -> str:
        parts: list[str] = [KINDS[self.kind]]
        if self.lines:
            parts.append(n_("{n} line", "{n} lines", self.lines))
        if self.unread:
            parts.append(_("{n} not read", n=len(self.unread)))
        if self.kind == "paste":
            parts.append(_("{n} message(s) recognised", n=len(self.paste.signals) if self.paste is not None else 0))
        return listed(parts)


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
    """Read text: a report (collect_env, envdoctor --json) or any paste, with the messages it holds.

    Raises :class:`NotAReportError` for input that is not text (binary), or the report module's
    ReportFormatError for a broken envdoctor report, naming ``where``.
    """
    from envdoctor.readers.pastes import read_paste
    from envdoctor.readers.pastes.unwrap import FULL_WIDTH, is_binary

    if is_binary(text):
        raise NotAReportError(_("{where}: binary data, not text: expected a pasted error, log or report", where=where))
    paste = read_paste(text)
    text = text.translate(FULL_WIDTH)  # one character for one: the report's line numbers stay
    kind = detect(text)
    if kind == "envdoctor-report":
        from envdoctor.report import ReportFormatError, facts_from_report, parse_report

        try:
            facts = facts_from_report(parse_report(_strip_fences(text), where), where)
        except ReportFormatError:
            if not paste.signals:
                raise
            paste.facts.os.attempts.insert(0, Attempt(where, "ok", KINDS["paste"]))
            return Reading("paste", paste.facts, paste.lines, paste=paste)  # JSON a notebook printed an error in
        facts.os.attempts.append(Attempt(where, "ok", KINDS[kind]))
        return Reading(kind, facts, lines=text.count("\n") + 1)  # structured: its messages are envdoctor's own
    if kind == "collect_env":
        from envdoctor.readers.collect_env import read_collect_env

        found = read_collect_env(text)
        found.facts.os.attempts.insert(0, Attempt(where, "ok", KINDS[kind]))
        _fill_from_paste(found.facts, paste.facts)
        return Reading(kind, found.facts, found.lines, found.unread, found.missing, found.truncated_at, found.notes,
                       paste=paste)
    paste.facts.os.attempts.insert(0, Attempt(where, "ok" if paste.signals else "empty", KINDS["paste"]))
    return Reading("paste", paste.facts, paste.lines, paste=paste)


def _fill_from_paste(facts: Facts, pasted: Facts) -> None:
    """What the messages around a report say that the report does not: torch's own GPU warning names a GPU
    and its compute capability when the report could not list the GPUs."""
    if not facts.nvidia.gpus and pasted.nvidia.gpus:
        facts.nvidia.gpus = pasted.nvidia.gpus
        if facts.nvidia.status in ("no_driver", "unknown", "gpus_unknown") and facts.nvidia.driver_version:
            facts.nvidia.status = "ok"


def read_folder(folder: Path, timeout: float = 10.0) -> Reading:
    """Replay a recorded machine folder through the probes ``check`` runs (no process is started).

    Raises the door's MachineFolderError for a folder that is not a valid recording.
    """
    from envdoctor.door import RecordedDoor
    from envdoctor.probes import collect

    facts = collect(RecordedDoor(folder), timeout=timeout)
    return Reading("machine-folder", facts)
