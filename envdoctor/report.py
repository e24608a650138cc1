"""One report value per command, rendered many ways (see render.py).

The JSON form is the contract for machines: ``schema`` names it (``envdoctor.report/1``), every key
is always present (``null`` or ``[]`` when empty), and the exit code is part of the document.
"""

from __future__ import annotations

import enum
from dataclasses import field
from typing import TYPE_CHECKING, Any

from envdoctor import __version__
from envdoctor.datatypes import datatype
from envdoctor.facts import Check, Facts, Finding, from_dict, to_dict
from envdoctor.i18n import _, message_of

if TYPE_CHECKING:
    from envdoctor.policy import RequirementResult

SCHEMA = "envdoctor.report/1"
SCHEMA_VERSION = 1


class ExitCode(enum.IntEnum):
    """Stable exit codes, the same with and without --json."""

    OK = 0
    PROBLEMS = 1  # errors found, unmet expectations, failed verify, no plan fits
    USAGE = 2  # bad flags or values
    INTERNAL = 3  # envdoctor itself failed (e.g. a malformed recipe file)
    INSTALLER = 4  # the package installer ran and failed
    HANGUP = 129  # SIGHUP (128 + 1): the terminal went; the children envdoctor started are killed first
    INTERRUPTED = 130  # Ctrl-C (SIGINT); the children envdoctor started are killed first
    QUIT = 131  # SIGQUIT (128 + 3)
    TERMINATED = 143  # SIGTERM (128 + 15): CI cancellation, `timeout`, pod termination


@datatype
class Report:
    """One run's whole result: the facts, findings, checks and plans every renderer reads."""

    command: str | None  # None only when a usage error came before any command was named
    facts: Facts | None = None
    findings: list[Finding] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    plan: dict[str, Any] | None = None
    error: str | None = None  # set when the command could not do its job at all
    strict: bool = False  # warnings count as problems
    findings_gate: bool = True  # False when findings are context only (install: the plan decides)
    exit_override: ExitCode | None = None
    duration_s: float | None = None
    requirements: list[RequirementResult] = field(default_factory=list)  # --require / --policy verdicts
    fleet: dict[str, Any] | None = None  # verify --distributed: the ranks, what differs, the collectives

    def summary(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "info": 0, "pass": 0, "fail": 0, "skip": 0}
        for finding in self.findings:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        for check in self.checks:
            counts[check.status] = counts.get(check.status, 0) + 1
        return counts

    @property
    def ok(self) -> bool:
        counts = self.summary()
        gated = self.findings_gate and (counts["error"] or (self.strict and counts["warning"]))
        failed = gated or counts["fail"]
        plan_failed = self.plan is not None and not self.plan.get("ok", True)
        return not (failed or plan_failed or self.error)

    @property
    def exit_code(self) -> ExitCode:
        if self.exit_override is not None:
            return self.exit_override
        return ExitCode.OK if self.ok else ExitCode.PROBLEMS

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "envdoctor_version": __version__,
            "command": self.command,
            "ok": self.ok,
            "exit_code": int(self.exit_code),
            "summary": self.summary(),
            "findings_gate": self.findings_gate,
            "duration_s": self.duration_s,
            "error": self.error,
            "facts": to_dict(self.facts) if self.facts is not None else None,
            "findings": to_dict(self.findings),
            "checks": to_dict(self.checks),
            "plan": self.plan,
            "requirements": [dict(to_dict(result), met=result.met) for result in self.requirements],
            "fleet": self.fleet,
        }


class ReportFormatError(ValueError):
    """A file that is not an envdoctor report; the message says what is wrong."""


def parse_report(text: str, where: str = "report") -> Any:
    """The JSON of a saved report, read as strict JSON (no NaN or infinities, bounded nesting); any
    problem is a ReportFormatError naming ``where``."""
    from envdoctor.readers.json_text import parse_json_text

    try:
        return parse_json_text(text)
    except ValueError as exc:  # json.JSONDecodeError too, and an integer too long to convert
        raise ReportFormatError(_("{where}: not valid JSON for a report ({error})", where=where, error=str(exc))) from None


def facts_from_report(data: Any, where: str = "report") -> Facts:
    """The facts of a saved ``check --json`` report (for --facts)."""
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("envdoctor.report/"):
        raise ReportFormatError(_("{where}: not an envdoctor report (no 'schema': {schema!r})", where=where, schema=SCHEMA))
    if data.get("schema") != SCHEMA:
        raise ReportFormatError(_("{where}: schema {found!r} is not supported (expected {schema!r})", where=where,
                                  found=data.get("schema"), schema=SCHEMA))
    if not isinstance(data.get("facts"), dict):
        raise ReportFormatError(_("{where}: the report holds no 'facts' object", where=where))
    try:
        return from_dict(Facts, data["facts"], "facts")
    except ValueError as exc:
        raise ReportFormatError(_("{where}: {problem}", where=where, problem=message_of(exc))) from exc
