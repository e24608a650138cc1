"""``--format github``: GitHub Actions annotations, and a Markdown job summary.

Annotations are workflow commands, one line each: ``::error title=TITLE::MESSAGE`` (also ``warning``,
``notice``), which the runner shows on the run's page ("Workflow commands for GitHub Actions",
https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands). The message and
the property values are escaped as the runner unescapes them (actions/runner,
src/Runner.Common/ActionCommand.cs; actions/toolkit, packages/core/src/command.ts, ``escapeData`` and
``escapeProperty``): ``%`` -> ``%25``, CR -> ``%0D``, LF -> ``%0A`` everywhere, and in a property
value also ``:`` -> ``%3A`` and ``,`` -> ``%2C``, so no text can end a command early or forge another.

The job summary is Markdown appended to the file ``GITHUB_STEP_SUMMARY`` names ("Adding a job
summary", same page); GitHub takes at most 1 MiB per step, and envdoctor writes at most
:data:`SUMMARY_LIMIT` bytes. Table cells are escaped so no value can close the table or open HTML.
"""

from __future__ import annotations

from envdoctor.facts import Check
from envdoctor.render.printable import finding_text, format_number, printable_report
from envdoctor.render.text import render_text
from envdoctor.report import Report

#: Bytes of Markdown one run appends to the job summary (GitHub's limit is 1 MiB per step).
SUMMARY_LIMIT = 64 * 1024
#: Rows per table in the job summary; the rest are counted.
SUMMARY_ROWS = 200


def escape_data(text: str) -> str:
    """A workflow command's message, as the toolkit's ``escapeData`` writes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (``title=...``), as the toolkit's ``escapeProperty`` writes it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, title: str, message: str) -> str:
    """One ``::error title=...::message`` line. The runner trims the properties, so the title is
    trimmed here (there is no escape for a space)."""
    return f"::{level} title={escape_property(title.strip())}::{escape_data(message)}"


def annotation_lines(report: Report) -> list[str]:
    """An error for each error finding (unmet requirements included) and failed check, a warning for
    each warning finding (an error with --strict), a notice for a run that could not do its job."""
    report = printable_report(report)
    lines = []
    for finding in report.findings:
        if finding.severity not in ("error", "warning"):
            continue
        level = "error" if finding.severity == "error" or report.strict else "warning"
        lines.append(annotation(level, f"envdoctor {finding.id}", finding_text(finding, evidence=False)))
    for check in report.checks:
        if check.status == "fail":
            lines.append(annotation("error", f"envdoctor verify {check.id}", check.message or "failed"))
    if report.error:
        lines.append(annotation("error", f"envdoctor {report.command or ''}".strip(), report.error))
    return lines


def render_github(report: Report, ascii_only: bool, verbose: int = 0, quiet: bool = False,
                  show_facts: bool = True) -> str:
    """The text report for the log, then the annotation lines the runner picks up."""
    text = render_text(report, False, ascii_only, verbose, quiet, show_facts=show_facts)
    return "\n".join([text, *annotation_lines(report)])


def _cell(text: object) -> str:
    """A Markdown table cell that stays one cell: no pipe, newline or HTML can break out of it."""
    value = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(value.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").split())


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out.extend("| " + " | ".join(_cell(value) for value in row) + " |" for row in rows[:SUMMARY_ROWS])
    if len(rows) > SUMMARY_ROWS:
        out.append(f"\n... and {len(rows) - SUMMARY_ROWS} more (see the JSON report)")
    return out + [""]


_MARK = {"met": "✅", "unmet": "❌", "unknown": "❌", "pass": "✅", "fail": "❌", "skip": "➖", "warn": "⚠️",
         "error": "❌", "warning": "⚠️", "info": "ℹ️"}


def job_summary(report: Report) -> str:
    """Markdown for ``GITHUB_STEP_SUMMARY``: the verdict, then requirements, findings and checks."""
    report = printable_report(report)
    counts = report.summary()
    verdict = "passed" if report.ok else "failed"
    out = [f"### envdoctor {report.command or ''}: {verdict} {_MARK['pass' if report.ok else 'fail']}", ""]
    parts = [f"{counts[key]} {name}" for key, name in (("error", "error(s)"), ("warning", "warning(s)"),
                                                       ("fail", "failed check(s)"), ("pass", "passed check(s)"))
             if counts[key]]
    out += [_cell(" · ".join(parts) or "no problems found") + f" · exit code {int(report.exit_code)}", ""]
    if report.error:
        out += [f"**{_cell(report.error)}**", ""]
    if report.fleet is not None:
        fleet = report.fleet
        out += [_cell(f"Fleet: {fleet.get('world_size')} rank(s) on {len(fleet.get('hosts') or [])} host(s), "
                      f"backend {fleet.get('backend')}"), ""]
    if report.requirements:
        out += ["#### Requirements", ""]
        out += _table(("", "requirement", "actual"), [
            (_MARK[r.status], r.requirement, r.actual if r.actual is not None else f"unknown: {r.reason}")
            for r in report.requirements])
    shown = [f for f in report.findings if f.area != "policy"]
    if shown:
        out += ["#### Findings", ""]
        out += _table(("", "id", "message", "fix"), [(_MARK[f.severity], f.id, f.message, f.fix or "") for f in shown])
    if report.checks:
        out += ["#### Verify", ""]
        out += _table(("", "check", "result"), [(_MARK.get(c.status, "❌"), c.id, _check_text(c)) for c in report.checks])
    text = "\n".join(out) + "\n"
    data = text.encode("utf-8")
    if len(data) > SUMMARY_LIMIT:
        cut = data[: SUMMARY_LIMIT - 200].decode("utf-8", "ignore")
        text = cut[: cut.rfind("\n") + 1] + "\n... (cut at envdoctor's job-summary limit; see the JSON report)\n"
    return text


def _check_text(check: Check) -> str:
    metrics = check.metrics
    extra = []
    if "tflops" in metrics:
        extra.append(f"{format_number(metrics['tflops'], '.3g')} TFLOP/s")
    if "busbw_gb_per_s" in metrics:
        extra.append(f"busbw {format_number(metrics['busbw_gb_per_s'], '.3g')} GB/s")
    return " · ".join(part for part in (check.message, *extra) if part)
